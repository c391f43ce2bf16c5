# SPDX-License-Identifier: BSD-2-Clause
"""The integer model, both engines (numpy and numba), against a scalar transcription and the independent
conformance vectors. ``tests/test_golden_kernel.py`` compares the engines with each other."""

import numpy as np
import pytest

from lifgen.errors import InputError
from lifgen.golden import fixed, kernel
from lifgen.params import LIFParams
from lifgen.stimulus import currents_to_q

from reference import scalar_run


@pytest.fixture(params=["numpy", "numba"])
def engine(request):
    if request.param == "numba" and not kernel.available():
        pytest.skip("numba is not installed")
    return request.param


def _check_against_scalar(params, u, steps, neurons, engine):
    c = params.fixed
    res = fixed.run(c, u, steps, neurons, trace=True, engine=engine)
    spikes, trace = scalar_run(c, u, steps, neurons)
    assert res.spikes.tolist() == [list(s) for s in spikes]
    assert res.v_trace.tolist() == trace
    return res


def test_vectors_reproduced_exactly(vector, engine):
    c = LIFParams(**vector["params"]).fixed
    res = fixed.run(c, vector["u"], vector["steps"], vector["neurons"], trace=True, engine=engine)
    np.testing.assert_array_equal(res.spikes, vector["spikes"])
    np.testing.assert_array_equal(res.v_trace, vector["v_trace"])


@pytest.mark.parametrize("seed", range(12))
def test_random_parameters_match_scalar_transcription(seed, engine):
    rng = np.random.default_rng(seed)
    width = int(rng.integers(6, 25))
    frac = int(rng.integers(0, min(width - 3, 12)))
    lsb = 2.0 ** -frac
    lim = (2 ** (width - 1) - 1) * lsb
    v_rest = float(rng.uniform(-0.6, 0.0) * lim)
    v_reset = float(rng.uniform(-0.6, 0.2) * lim)
    v_th = float(min(lim, max(v_reset + rng.uniform(2, 20) * lsb, rng.uniform(0.1, 0.8) * lim)))
    dt = float(rng.uniform(0.05, 2.0))
    params = LIFParams(tau_ms=float(rng.uniform(1, 40)), dt_ms=dt, v_rest_mv=v_rest, v_reset_mv=v_reset,
                       v_th_mv=v_th, t_ref_ms=float(rng.choice([0.0, dt * rng.integers(1, 6)])),
                       width=width, frac=frac, gain_bits=int(rng.integers(10, 25)),
                       reset=str(rng.choice(["value", "subtract"])))
    c = params.fixed
    neurons, steps = 7, 150
    # inputs anywhere in the Q range, including both rails, rewritten every step
    u = rng.integers(c.vmin, c.vmax + 1, size=(steps, neurons))
    u[:, 0] = c.vmax
    u[:, 1] = c.vmin
    _check_against_scalar(params, u, steps, neurons, engine)


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_saturation_at_the_top_rail(reset, engine):
    # v_rest + u far above the Q range: v1 = v + dv overflows and is clamped to vmax, which is >= VTH
    params = LIFParams(tau_ms=2.0, dt_ms=1.0, v_rest_mv=50.0, v_reset_mv=50.0, v_th_mv=127.99, reset=reset)
    c = params.fixed
    u = np.full((30, 2), c.vmax)
    u[:, 1] = 0
    res = _check_against_scalar(params, u, 30, 2, engine)
    # by hand: step 0 -> 12800 + 12893 = 25693; step 1 -> 25693 + 7819 = 33512 > vmax: clamped, spikes
    assert res.v_trace[0, 0] == 25693
    assert res.spikes[0].tolist() == [1, 0]
    assert 1 not in res.spikes[:, 1]          # neuron 1 rests at v_rest, far below threshold


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_saturation_at_the_bottom_rail(reset, engine):
    params = LIFParams(tau_ms=2.0, dt_ms=1.0, reset=reset)
    c = params.fixed
    steps = 40
    u = np.zeros((steps, 3), dtype=np.int64)
    u[:, 0] = c.vmin            # v_rest + u = -198 mV: v is clamped at -128 mV
    u[:20, 1] = c.vmin
    u[20:, 1] = c.vmax          # from the bottom rail straight up to threshold
    res = _check_against_scalar(params, u, steps, 3, engine)
    assert res.v_trace[-1, 0] == c.vmin
    assert res.v_trace[19, 1] == c.vmin
    assert (res.spikes[:, 1] == 1).any() and not (res.spikes[:, 1] == 0).any()


def test_refractory_period_holds_reset_for_nref_steps(engine):
    params = LIFParams(t_ref_ms=0.3, reset="subtract", v_reset_mv=-65.0)
    c = params.fixed
    assert c.NREF == 3
    res = _check_against_scalar(params, np.full((400, 2), c.q(40.0)), 400, 2, engine)
    t0 = res.spikes[0, 0]
    assert (res.v_trace[t0 + 1:t0 + 1 + c.NREF, 0] == c.VRESET).all()
    assert np.diff(res.spikes[res.spikes[:, 1] == 0, 0]).min() > c.NREF


def test_input_shapes(engine):
    c = LIFParams().fixed
    a = fixed.run(c, np.full(3, c.q(20.0)), 300, engine=engine)
    b = fixed.run(c, np.full((300, 3), c.q(20.0)), 300, engine=engine)
    np.testing.assert_array_equal(a.spikes, b.spikes)
    with pytest.raises(InputError, match="shape"):
        fixed.run(c, np.zeros((5, 3), dtype=np.int64), 300, engine=engine)
    with pytest.raises(InputError, match="outside"):
        fixed.run(c, np.array([c.vmax + 1]), 10, engine=engine)
    with pytest.raises(InputError, match="outside"):
        currents_to_q(c, [200.0])
