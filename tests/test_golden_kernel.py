# SPDX-License-Identifier: BSD-2-Clause
"""The numba engine (``lifgen.golden.kernel``) against the numpy engine, the scalar transcription and the vectors."""

import os
import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest

pytest.importorskip("numba")

from lifgen.errors import InputError, ParameterError  # noqa: E402
from lifgen.golden import fixed, kernel  # noqa: E402
from lifgen.params import GAIN_BITS_MAX, WIDTH_MAX, WIDTH_MIN, LIFParams  # noqa: E402

from reference import scalar_run  # noqa: E402


def assert_same(ref, res):
    """Two FixedResults are identical: values, dtypes, shapes."""
    for name in ("spikes", "v_final", "r_final"):
        a, b = getattr(ref, name), getattr(res, name)
        assert b.dtype == a.dtype == np.int64, name
        np.testing.assert_array_equal(b, a, err_msg=name, strict=True)
    if ref.v_trace is None:
        assert res.v_trace is None
    else:
        assert res.v_trace.dtype == np.int64
        np.testing.assert_array_equal(res.v_trace, ref.v_trace, err_msg="v_trace", strict=True)
    assert (res.steps, res.neurons) == (ref.steps, ref.neurons)


def both_engines(c, u, steps, neurons=None, trace=True, progress=None):
    ref = fixed.run(c, u, steps, neurons, trace=trace, engine="numpy")
    res = fixed.run(c, u, steps, neurons, trace=trace, engine="numba")
    assert_same(ref, res)
    return res


def random_params(rng):
    """A legal LIFParams drawn over the whole legal range (widths 4..32, gains up to GAIN_BITS_MAX bits)."""
    while True:
        width = int(rng.integers(WIDTH_MIN, WIDTH_MAX + 1))
        frac = int(rng.integers(0, width - 2))
        lsb = 2.0 ** -frac
        lim = (2 ** (width - 1) - 1) * lsb
        v_reset = float(rng.uniform(-0.9, 0.5) * lim)
        v_th = float(min(lim, v_reset + rng.uniform(1, 40) * lsb + rng.uniform(0, 0.5) * lim))
        dt = float(rng.uniform(0.05, 5.0))
        try:
            return LIFParams(tau_ms=float(rng.uniform(0.5, 40)), dt_ms=dt, v_rest_mv=float(rng.uniform(-0.9, 0.9) * lim),
                             v_reset_mv=v_reset, v_th_mv=v_th,
                             t_ref_ms=float(rng.choice([0.0, dt * rng.integers(1, 8)])),
                             width=width, frac=frac, gain_bits=int(rng.integers(1, GAIN_BITS_MAX + 1)),
                             reset=str(rng.choice(["value", "subtract"])))
        except ParameterError:
            continue


def random_input(rng, c, steps, neurons):
    """Scalar, [N] or [T, N] input over the whole Q range, with some neurons pinned to the rails."""
    kind = rng.integers(3)
    if kind == 0:
        return int(rng.integers(c.vmin, c.vmax + 1))
    shape = (neurons,) if kind == 1 else (steps, neurons)
    # mostly moderate drive around threshold, some anywhere in the range
    lo, hi = np.clip([c.VTH - c.VREST - 64, c.VTH - c.VREST + 512], c.vmin, c.vmax)
    u = rng.integers(lo, hi + 1, size=shape)
    wild = rng.random(shape) < 0.2
    u[wild] = rng.integers(c.vmin, c.vmax + 1, size=int(wild.sum()))
    u[..., 0] = c.vmax
    if neurons > 1:
        u[..., 1] = c.vmin
    return u


def test_vectors_reproduced_exactly(vector):
    c = LIFParams(**vector["params"]).fixed
    res = fixed.run(c, vector["u"], vector["steps"], vector["neurons"], trace=True, engine="numba")
    np.testing.assert_array_equal(res.spikes, vector["spikes"], strict=True)
    np.testing.assert_array_equal(res.v_trace, vector["v_trace"], strict=True)
    np.testing.assert_array_equal(res.v_final, vector["v_trace"][-1])
    both_engines(c, vector["u"], vector["steps"], vector["neurons"])


def random_case(seed):
    """Parameters, input, steps, neurons and the trace flag of random case ``seed``."""
    rng = np.random.default_rng(1000 + seed)
    c = random_params(rng).fixed
    neurons = int(rng.choice([1, 2, 63, 64, 65, 129, int(rng.integers(1, 400))]))
    steps = int(rng.choice([0, 1, int(rng.integers(2, 250))]))
    return c, random_input(rng, c, steps, neurons), steps, neurons, bool(rng.integers(2))


RANDOM_CASES = 40


@pytest.mark.parametrize("seed", range(RANDOM_CASES))
def test_random_parameters_match_numpy_engine(seed):
    c, u, steps, neurons, trace = random_case(seed)
    res = both_engines(c, u, steps, neurons, trace=trace)
    assert res.v_final.shape == res.r_final.shape == (neurons,)


def test_the_random_cases_cover_what_they_claim():
    """The cases above reach both reset modes, refractory and not, both rails, spikes and silence, widths above
    30 bits, gains of more than 24 bits, N = 1, steps = 0, partial tiles, and the trace off and on."""
    seen = set()
    for seed in range(RANDOM_CASES):
        c, u, steps, neurons, trace = random_case(seed)
        res = fixed.run(c, u, steps, neurons, engine="numba")
        seen |= {("subtract", c.subtract), ("nref", c.NREF > 0), ("trace", trace), ("spikes", len(res.spikes) > 0),
                 ("per_step", np.ndim(u) == 2), ("scalar", np.ndim(u) == 0)}
        seen |= {"wide"} if c.W > 30 else set()
        seen |= {"big gain"} if c.S > 24 else set()
        seen |= {"N=1"} if neurons == 1 else set()
        seen |= {"steps=0"} if steps == 0 else set()
        seen |= {"partial tile"} if neurons % kernel.TILE and neurons > kernel.TILE else set()
        seen |= {"at vmin"} if steps and (res.v_final == c.vmin).any() else set()
    for flag in ("subtract", "nref", "trace", "spikes", "per_step", "scalar"):
        assert {(flag, True), (flag, False)} <= seen, flag
    assert {"wide", "big gain", "N=1", "steps=0", "partial tile", "at vmin"} <= seen


@pytest.mark.parametrize("seed", range(8))
def test_small_cases_match_scalar_transcription(seed):
    rng = np.random.default_rng(seed)
    c = random_params(rng).fixed
    neurons, steps = int(rng.integers(1, 6)), int(rng.integers(1, 80))
    u = rng.integers(c.vmin, c.vmax + 1, size=(steps, neurons))
    res = fixed.run(c, u, steps, neurons, trace=True, engine="numba")
    spikes, trace = scalar_run(c, u, steps, neurons)
    assert res.spikes.tolist() == [list(s) for s in spikes]
    assert res.v_trace.tolist() == trace


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_largest_products_stay_exact(reset):
    """W = 32, F = 0, a gain of 2**28 (GAIN_BITS_MAX bits), v_rest at the top and v_reset at the bottom rail:
    x * G comes close to 2**61, the int64 bound the kernel relies on; checked against Python ints."""
    lim = 2 ** 31 - 1
    params = LIFParams(tau_ms=1.0, dt_ms=50.0, v_rest_mv=lim, v_reset_mv=-lim, v_th_mv=0.0, t_ref_ms=50.0,
                       width=32, frac=0, gain_bits=GAIN_BITS_MAX, reset=reset)
    c = params.fixed
    assert c.G == 1 << GAIN_BITS_MAX and c.NREF == 1
    steps, neurons = 12, 3
    u = np.empty((steps, neurons), dtype=np.int64)
    u[:, 0] = c.vmax
    u[:, 1] = np.where(np.arange(steps) % 2, c.vmax, c.vmin)
    u[:, 2] = c.vmin
    res = both_engines(c, u, steps, neurons)
    spikes, trace = scalar_run(c, u, steps, neurons)
    assert res.spikes.tolist() == [list(s) for s in spikes]
    assert res.v_trace.tolist() == trace
    v_before = [[c.VREST] * neurons] + trace[:-1]
    x = [c.VREST - v_before[t][n] + int(u[t, n]) for t in range(steps) for n in range(neurons)]
    assert max(abs(xi) * c.G for xi in x) > 2 ** 60
    assert 0 in res.spikes[:, 1].tolist()


def test_refractory_and_saturation_in_many_tiles():
    """Thousands of neurons over several tiles, a refractory period, inputs rewritten every step."""
    params = LIFParams(t_ref_ms=0.3, reset="subtract", v_reset_mv=-65.0, dt_ms=0.5)
    c = params.fixed
    rng = np.random.default_rng(7)
    steps, neurons = 150, 3000
    u = rng.integers(c.q(-20.0), c.q(80.0), size=(steps, neurons))
    u[::7, :50] = c.vmax
    res = both_engines(c, u, steps, neurons)
    assert len(res.spikes) > 1000 and (res.r_final > 0).any()


def test_blocks_and_progress_match_numpy(monkeypatch):
    """Runs longer than one block (shrunk here to 7 steps) keep state, trace and spike order across blocks, and
    report progress at the same steps as the numpy engine."""
    c = LIFParams(t_ref_ms=0.2).fixed
    neurons, steps = 130, 203
    monkeypatch.setattr(kernel, "MASK_BYTES", 8 * 3 * 7)      # 3 tiles: 7 steps a block
    assert kernel.block_steps(neurons) == 7
    rng = np.random.default_rng(3)
    for u in (rng.integers(c.q(10.0), c.q(40.0), size=neurons), rng.integers(0, c.q(60.0), size=(steps, neurons))):
        calls = {"numpy": [], "numba": []}
        out = {}
        for engine in calls:
            out[engine] = fixed.run(c, u, steps, trace=True, engine=engine,
                                    progress=lambda done, total, e=engine: calls[e].append((done, total)))
        assert_same(out["numpy"], out["numba"])
        assert calls["numba"] == calls["numpy"] == [(t, steps) for t in range(10, steps, 10)]
        assert len(out["numba"].spikes) > 100


def test_input_layouts_and_simulate():
    c = LIFParams().fixed
    rng = np.random.default_rng(5)
    u = np.asfortranarray(rng.integers(0, c.q(40.0), size=(90, 70)))       # not C-contiguous
    both_engines(c, u, 90)
    both_engines(c, u[:, ::2], 90)                                          # strided view
    both_engines(c, np.full(70, c.q(30.0), dtype=np.int32), 90, trace=False)
    both_engines(c, c.q(30.0), 90, neurons=5)
    before = u.copy()
    fixed.run(c, u, 90, engine="numba")
    np.testing.assert_array_equal(u, before)                               # the input is not written
    params = LIFParams()
    a = fixed.simulate(params, [12.0, 20.0, 35.0], 500, engine="numpy")
    b = fixed.simulate(params, [12.0, 20.0, 35.0], 500, engine="numba")
    assert_same(a, b)
    assert a.spike_counts().tolist() == b.spike_counts().tolist() and b.spike_counts()[2] > 0


def test_concurrent_runs_from_threads():
    c = LIFParams().fixed
    u = np.random.default_rng(9).integers(0, c.q(40.0), size=5000)
    ref = fixed.run(c, u, 300, engine="numpy")
    results = [None] * 4

    def work(i):
        results[i] = fixed.run(c, u, 300, engine="numba")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for res in results:
        assert_same(ref, res)


def test_engine_choice(monkeypatch):
    with pytest.raises(InputError, match="engine must be one of"):
        fixed.choose_engine("cuda", 10, 10)
    assert fixed.choose_engine("numpy", 10**6, 10**6) == "numpy"
    assert fixed.choose_engine("numba", 1, 1) == "numba"
    # a fresh process: numba not loaded, nothing run yet
    monkeypatch.setattr(kernel, "loaded", lambda: False)
    monkeypatch.setattr(fixed, "_numpy_spent_s", 0.0)
    assert fixed.choose_engine("auto", 100, 10) == "numpy"                   # numpy is done before numba starts
    assert fixed.choose_engine("auto", 2000, 100_000) == "numba"
    assert fixed.choose_engine("auto", 100_000, 1) == "numba"                # many steps: numpy's per-step cost
    monkeypatch.setattr(kernel, "loaded", lambda: True)
    assert fixed.choose_engine("auto", 100, 10) == "numba"                   # already loaded: no start-up to pay
    monkeypatch.setattr(kernel, "available", lambda: False)
    assert fixed.choose_engine("auto", 2000, 100_000) == "numpy"
    with pytest.raises(InputError, match="needs the numba package"):
        fixed.choose_engine("numba", 1, 1)
    c = LIFParams().fixed
    res = fixed.run(c, np.full(3, c.q(30.0)), 400)                           # auto without numba: numpy engine
    assert res.spikes.shape[1] == 2 and len(res.spikes) > 0


def test_auto_moves_to_numba_once_numpy_has_run_long_enough(monkeypatch):
    monkeypatch.setattr(kernel, "loaded", lambda: False)
    monkeypatch.setattr(fixed, "_numpy_spent_s", 0.0)
    used = []
    monkeypatch.setattr(fixed, "_run_numpy", lambda *a: used.append("numpy"))
    monkeypatch.setattr(kernel, "simulate", lambda *a: used.append("numba") or (None,) * 4)
    c = LIFParams().fixed
    per_run = fixed._numpy_estimate_s(1000, 10)
    runs = int(fixed.NUMBA_STARTUP_S // per_run)
    for _ in range(runs + 2):
        fixed.run(c, np.zeros(10, dtype=np.int64), 1000)
    assert used == ["numpy"] * runs + ["numba"] * 2
    fixed.run(c, np.zeros(10, dtype=np.int64), 1000, engine="numpy")        # explicit engines are not counted
    assert fixed._numpy_spent_s == pytest.approx(runs * per_run)


def test_a_numba_that_does_not_import_leaves_auto_on_numpy(monkeypatch):
    def broken():
        raise ImportError("Numba needs NumPy 2.5 or less")

    monkeypatch.setattr(kernel, "_compiled", None)
    monkeypatch.setattr(kernel, "_import_error", None)
    monkeypatch.setattr(kernel, "_load", broken)
    c = LIFParams().fixed
    u = np.full(4, c.q(30.0))
    with pytest.raises(InputError, match="cannot load numba: Numba needs NumPy"):
        fixed.run(c, u, 200, engine="numba")
    assert not kernel.available()
    assert fixed.choose_engine("auto", 10**6, 10**6) == "numpy"
    monkeypatch.setattr(kernel, "_import_error", None)
    monkeypatch.setattr(fixed, "_numpy_spent_s", 10.0)                      # auto would take numba now ...
    res = fixed.run(c, u, 200)                                              # ... finds it broken, runs numpy
    assert_same(fixed.run(c, u, 200, engine="numpy"), res)
    assert not kernel.available()


FORK_PROBE = """
import multiprocessing as mp
import numpy as np
from lifgen.golden import fixed
from lifgen.params import LIFParams
c = LIFParams().fixed
u = np.arange(1000) % 40 * c.q(1.0)
parent = fixed.run(c, u, 300, engine="numba").spikes.tolist()
def child(q):
    q.put(fixed.run(c, u, 300, engine="numba").spikes.tolist())
ctx = mp.get_context("fork")
q = ctx.Queue()
p = ctx.Process(target=child, args=(q,))
p.start()
got = q.get(timeout=60)
p.join(60)
print(p.exitcode, got == parent, len(parent))
"""


def test_a_forked_child_can_run_the_kernel():
    """multiprocessing forks on Linux; under numba's default GNU OpenMP layer the child would be killed."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    res = subprocess.run([sys.executable, "-c", FORK_PROBE], capture_output=True, text=True, timeout=180,
                         cwd=pathlib.Path(__file__).parent.parent, env=env)
    assert res.returncode == 0, res.stderr
    exitcode, same, count = res.stdout.split()
    assert (exitcode, same) == ("0", "True") and int(count) > 1000
