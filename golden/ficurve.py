# SPDX-License-Identifier: BSD-2-Clause
"""f-I curves: firing rate against constant input, analytic and simulated (float and fixed), side by side."""

import numpy as np

from lifgen.errors import InputError
from lifgen.params import LIFParams, check_steps
from lifgen.stimulus import currents_to_q

from . import analytic, fixed, floating
from .stats import isi_rate_hz

__all__ = ["fi_curves", "fi_inputs"]


def fi_inputs(params: LIFParams, from_mv, to_mv, points):
    """``points`` evenly spaced inputs from ``from_mv`` to ``to_mv`` (mV), checked against the Q range."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"points must be >= 2, not {points}", field="points")
    for name, value in (("from_mv", from_mv), ("to_mv", to_mv)):
        try:
            currents_to_q(params.fixed, value)      # finite and in the Q range: then so is every point between
        except InputError as exc:
            raise InputError(f"{name}: {exc}", field=name) from None
    if not to_mv > from_mv:
        raise InputError(f"the last input must be above the first, not {to_mv} <= {from_mv}", field="to_mv")
    return np.linspace(from_mv, to_mv, points)


def fi_curves(params: LIFParams, current_mv, steps):
    """Rates (Hz) at each constant input: ``{"analytic": ..., "float": ..., "fixed": ...}``.

    Simulated rates are 1 / mean interspike interval over ``steps`` steps (``stats.isi_rate_hz``): the periodic
    rate the analytic curve describes, not the first charge from rest.
    """
    check_steps(steps)
    current_mv = np.asarray(current_mv, dtype=np.float64)
    n = len(current_mv)
    fx = fixed.simulate(params, current_mv, steps)
    fl = floating.simulate(params, current_mv, steps)
    return {
        "analytic": analytic.rate_hz(params, current_mv),
        "float": isi_rate_hz(fl.spikes, n, steps, params.dt_ms),
        "fixed": isi_rate_hz(fx.spikes, n, steps, params.dt_ms),
    }
