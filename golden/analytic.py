# SPDX-License-Identifier: BSD-2-Clause
"""Closed-form LIF results for constant input (reset to rest): equilibrium, first spike time, f-I curve.

With v(0) = v_rest and constant u = R*I, v(t) = v_rest + u (1 - exp(-t/tau)). It reaches the
threshold only when u exceeds the rheobase ``v_th - v_rest``, after
``T = tau ln(u / (u - (v_th - v_rest)))``; with reset to v_rest and a refractory time ``t_ref``
the neuron fires periodically at ``f = 1 / (t_ref + T)``, and not at all below the rheobase.
"""

import numpy as np

from lifgen.params import LIFParams

__all__ = ["rheobase_mv", "charge_time_ms", "rate_hz", "equilibrium_mv"]


def rheobase_mv(params: LIFParams):
    """Smallest R*I (mV) that ever reaches threshold (strictly greater is needed)."""
    return params.v_th_mv - params.v_rest_mv


def equilibrium_mv(params: LIFParams, current_mv):
    """Voltage the membrane settles at without spiking: v_rest + R*I."""
    return params.v_rest_mv + np.asarray(current_mv, dtype=np.float64)


def charge_time_ms(params: LIFParams, current_mv):
    """Time from v_rest to threshold (ms); infinity at or below the rheobase."""
    u = np.asarray(current_mv, dtype=np.float64)
    theta = rheobase_mv(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = params.tau_ms * np.log(u / (u - theta))
    return np.where(u > theta, t, np.inf)


def rate_hz(params: LIFParams, current_mv):
    """Firing rate f = 1 / (t_ref + T) in Hz for V_reset = V_rest; 0 below the rheobase."""
    t = charge_time_ms(params, current_mv)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(t), 1000.0 / (params.t_ref_ms + t), 0.0)
