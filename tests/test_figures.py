# SPDX-License-Identifier: BSD-2-Clause
"""The lecture note's figures 2 and 3, reproduced by the fixed and float models."""

import numpy as np
import pytest

from lifgen.golden import analytic, fixed, floating
from lifgen.params import LIFParams


def test_figure2_subthreshold_settles_at_minus_58():
    p = LIFParams()
    steps = 2000                                   # 200 ms = 20 tau
    fl = floating.simulate(p, [12.0], steps)
    fx = fixed.simulate(p, [12.0], steps)
    assert len(fl.spikes) == 0 and len(fx.spikes) == 0
    assert fl.v_final[0] == pytest.approx(-58.0, abs=0.01)
    # the integer leak rounds to zero within 2**(S-1)/G LSB of equilibrium: the fixed model may stop there
    bound_mv = p.fixed.to_mv(p.dead_band_lsb)
    assert bound_mv == pytest.approx(0.196, abs=1e-3)
    assert abs(p.fixed.to_mv(fx.v_final[0]) - (-58.0)) <= bound_mv
    assert analytic.equilibrium_mv(p, 12.0) == -58.0


def test_figure2_suprathreshold_spikes():
    p = LIFParams()
    for model in (fixed, floating):
        res = model.simulate(p, [16.0], 1000)
        assert len(res.spikes) >= 1
        # the first crossing comes at the analytic charge time, tau ln 16 = 27.7 ms, to within a step
        t_first = (res.spikes[0, 0] + 1) * p.dt_ms
        assert abs(t_first - analytic.charge_time_ms(p, 16.0)) <= p.dt_ms + 0.005 * t_first


@pytest.mark.parametrize("t_ref_ms", [0.0, 5.0])
@pytest.mark.parametrize("model", [fixed, floating], ids=["fixed", "float"])
def test_figure3_interspike_interval_matches_analytic(model, t_ref_ms):
    p = LIFParams(t_ref_ms=t_ref_ms)
    current = np.arange(16.0, 61.0, 1.0)
    steps = 6000
    res = model.simulate(p, current, steps)
    expected = 1000.0 / analytic.rate_hz(p, current)           # ms
    for k, i in enumerate(current):
        ts = res.spikes[res.spikes[:, 1] == k, 0]
        assert len(ts) >= 3, f"R*I = {i} mV fired {len(ts)} times"
        isi = np.diff(ts) * p.dt_ms
        assert np.all(np.abs(isi - expected[k]) <= p.dt_ms + 0.005 * expected[k]), \
            f"R*I = {i} mV: ISIs {np.unique(isi)} ms, analytic {expected[k]:.3f} ms"


@pytest.mark.parametrize("model", [fixed, floating], ids=["fixed", "float"])
def test_figure3_silent_below_rheobase(model):
    p = LIFParams()
    current = np.arange(0.0, 15.5, 0.5)          # up to and including the rheobase, 15 mV
    assert np.all(analytic.rate_hz(p, current) == 0)
    res = model.simulate(p, current, 5000)
    assert len(res.spikes) == 0
