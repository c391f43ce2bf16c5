# SPDX-License-Identifier: BSD-2-Clause
"""The generated Verilog in Icarus Verilog and Verilator (cocotb), against the golden model.

Every test builds the Verilog exactly as ``lifgen verilog`` writes it (``lifgen.hw.export``), runs it
through ``lifgen.sim.harness`` and compares every spike event and, with the trace stream, every
voltage of every neuron at every step with ``lifgen.golden.fixed``.
"""

import numpy as np
import pytest

from lifgen.golden import fixed, timing
from lifgen.params import CoreConfig, LIFParams
from lifgen.sim.harness import RTLConfig, run_rtl
from lifgen.sim.scoreboard import assert_match


def golden_for(params, u, steps, prestep=0):
    """Golden run of ``u`` ([N] or [T, N]) preceded by ``prestep`` steps with u = 0."""
    n = np.shape(u)[-1]
    full = np.zeros((prestep + steps, n), dtype=np.int64)
    full[prestep:] = u
    return fixed.run(params.fixed, full, prestep + steps, n, trace=True)


def random_input(params, steps, neurons, seed, rewrite_every=7):
    """Per-step input spanning the Q range: both rails on some neurons, values rewritten now and then."""
    c = params.fixed
    rng = np.random.default_rng(seed)
    u = np.empty((steps, neurons), dtype=np.int64)
    level = rng.integers(c.q(0.0), c.vmax // 2, size=neurons)
    for t in range(steps):
        if t % rewrite_every == 0:
            change = rng.random(neurons) < 0.5
            level = np.where(change, rng.integers(c.vmin, c.vmax + 1, size=neurons), level)
        u[t] = level
    u[: steps // 2, 0] = c.vmin               # neuron 0: bottom rail input, then top rail
    u[steps // 2:, 0] = c.vmax
    if neurons > 1:
        u[:, 1] = c.vmax                      # neuron 1: top rail input throughout
    return u


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_conformance_vectors(vector, sim):
    params = LIFParams(**vector["params"])
    cfg = RTLConfig(params, vector["neurons"], CoreConfig(trace=True), sim=sim)
    rtl = run_rtl(cfg, vector["u"], vector["steps"])
    np.testing.assert_array_equal(rtl.spikes, vector["spikes"])
    np.testing.assert_array_equal(rtl.v_trace, vector["v_trace"])


@pytest.mark.parametrize("neurons, trace", [(1, False), (1, True), (3, True), (37, False), (256, True)])
def test_exact_event_cycles(neurons, trace):
    """Consumers always ready: every accept and every event in the cycle the timing model predicts."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)
    c = params.fixed
    u = c.q(1.0) * np.linspace(60, 10, neurons).round().astype(np.int64)   # neuron 0 fires fastest
    steps = 120
    cfg = RTLConfig(params, neurons, CoreConfig(trace=trace))
    rtl = run_rtl(cfg, u, steps, prestep=1)
    ref = golden_for(params, u, steps, prestep=1)
    assert_match(ref, rtl)
    assert len(ref.spikes) > 10
    tm = cfg.timing
    # the prestep was requested during reset: accepted the cycle the clear ends
    assert rtl.accept_cycles[0] == tm.clear_cycles == neurons
    first = int(rtl.accept_cycles[1])             # after the input writes, steps run back to back
    np.testing.assert_array_equal(rtl.accept_cycles[1:], timing.accept_cycles(tm, steps, first))
    spikes = ref.spikes.copy()
    spikes[:, 0] -= 1                             # steps counted from the run's first
    np.testing.assert_array_equal(rtl.spike_cycles, timing.event_cycles(tm, spikes, first))
    # busy: high N cycles for the clear, then N + L - 1 cycles per step
    assert rtl.busy_cycles == tm.clear_cycles + (steps + 1) * (tm.step_cycles - 1)


# (mul_stages, latency L): the README's table, written out rather than computed by CoreTiming's formula
LATENCIES = [(0, 3), (1, 4), (2, 5), (3, 6), (4, 7), (5, 8), (6, 9)]


@pytest.mark.parametrize("mul_stages, latency", LATENCIES, ids=[f"mul{m}-L{l}" for m, l in LATENCIES])
def test_latency_follows_mul_stages(mul_stages, latency):
    params = LIFParams()
    neurons, steps = 5, 150
    u = np.full(neurons, params.fixed.q(45.0))        # fires every ~41 steps: 3 spikes per neuron
    cfg = RTLConfig(params, neurons, CoreConfig(mul_stages=mul_stages))
    rtl = run_rtl(cfg, u, steps)
    ref = golden_for(params, u, steps)
    assert_match(ref, rtl)
    assert len(ref.spikes) == 15                     # the cycles below are checked on every one
    assert cfg.timing.latency == latency
    # step k starts N + L cycles after step k-1; neuron n commits L + n cycles after its step's start,
    # and its event leaves 3 cycles later (the FIFO, then the register that sends a group's events)
    first = int(rtl.accept_cycles[0])
    np.testing.assert_array_equal(np.diff(rtl.accept_cycles), neurons + latency)
    expected = first + ref.spikes[:, 0] * (neurons + latency) + latency + ref.spikes[:, 1] + 3
    np.testing.assert_array_equal(rtl.spike_cycles, expected)


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_backpressure_and_input_gaps_lose_nothing(sim):
    """Random ready on spikes and trace, random gaps on cur, tiny FIFOs: same events, in order."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)     # fast neurons: many events per step
    neurons, steps = 37, 60
    u = random_input(params, steps, neurons, seed=3, rewrite_every=5)
    u[:, 2:20] = params.fixed.q(100.0)             # half the array fires often
    cfg = RTLConfig(params, neurons, CoreConfig(trace=True, spike_fifo_depth=2, trace_fifo_depth=2), sim=sim)
    rtl = run_rtl(cfg, u, steps, spikes_stall=170, trace_stall=90, cur_gap=0.4, seed=11)
    ref = golden_for(params, u, steps)
    assert_match(ref, rtl)
    assert len(ref.spikes) > 200
    # the stalls really happened: busy lasted far longer than an unstalled run's N + L - 1 per step
    tm = cfg.timing
    assert rtl.busy_cycles > tm.clear_cycles + steps * (tm.step_cycles - 1) * 1.5


# (neurons, width/frac, reset, t_ref_ms, steps, sim): every N, every format, both resets, t_ref 0 and > 0
SWEEP = [
    (1, (16, 8), "value", 0.0, 200, "icarus"),
    (2, (12, 4), "subtract", 1.0, 150, "icarus"),
    (3, (20, 10), "value", 0.5, 150, "icarus"),
    (37, (16, 8), "subtract", 0.0, 100, "icarus"),
    (37, (12, 4), "value", 2.0, 100, "icarus"),
    (256, (20, 10), "subtract", 0.5, 40, "icarus"),
    (256, (16, 8), "value", 1.0, 40, "icarus"),
    (1000, (12, 4), "subtract", 1.0, 12, "icarus"),
    (1000, (16, 8), "value", 0.5, 60, "verilator"),
    (3, (12, 4), "subtract", 0.5, 300, "verilator"),
]


@pytest.mark.parametrize("neurons, fmt, reset, t_ref_ms, steps, sim", SWEEP,
                         ids=[f"N{n}-W{w}F{f}-{r}-tref{t}-{s}" for n, (w, f), r, t, _, s in SWEEP])
def test_parameter_sweep(neurons, fmt, reset, t_ref_ms, steps, sim):
    width, frac = fmt
    lsb_range = 2.0 ** (width - 1 - frac)          # the Q range in mV is [-lsb_range, lsb_range)
    scale = min(1.0, lsb_range / 100.0)             # keep the voltages inside narrow formats
    params = LIFParams(tau_ms=4.0, dt_ms=0.25, v_rest_mv=-70 * scale, v_reset_mv=-72 * scale,
                       v_th_mv=-55 * scale, t_ref_ms=t_ref_ms, width=width, frac=frac,
                       gain_bits=width, reset=reset)
    u = random_input(params, steps, neurons, seed=neurons + width)
    rtl = run_rtl(RTLConfig(params, neurons, CoreConfig(trace=True), sim=sim), u, steps)
    ref = golden_for(params, u, steps)
    report = assert_match(ref, rtl)
    assert report["events_golden"] > 0
    assert (ref.v_trace == params.fixed.vmin).any()     # the bottom rail was reached (and clamped)


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_top_rail_saturation(reset):
    """v_rest + u above the Q range: v + dv is clamped to vmax before the threshold compare."""
    params = LIFParams(tau_ms=2.0, dt_ms=1.0, v_rest_mv=50.0, v_reset_mv=50.0, v_th_mv=127.99, reset=reset)
    c = params.fixed
    u = np.array([c.vmax, 0, c.vmax // 2])
    rtl = run_rtl(RTLConfig(params, 3, CoreConfig(trace=True)), u, 30)
    ref = golden_for(params, u, 30)
    assert_match(ref, rtl)
    assert ref.spikes[0].tolist() == [1, 0]            # only reachable through the clamp (see golden tests)


def test_step_number_wraps_modulo_2_16():
    """The step field is 16 bits: past 65,535 it wraps to 0 (the harness unwraps it in arrival order)."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)
    u = np.array([params.fixed.q(80.0)])
    steps = 66_000
    rtl = run_rtl(RTLConfig(params, 1, sim="verilator"), u, steps)
    ref = fixed.run(params.fixed, u, steps)
    np.testing.assert_array_equal(rtl.spikes, ref.spikes)
    assert ref.spikes[-1, 0] > 65_536
