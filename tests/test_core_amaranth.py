# amaranth: UnusedElaboratable=no
# SPDX-License-Identifier: BSD-2-Clause
# (the linter option above must be the first line; test_constructor_rejects_bad_arguments creates components that are refused, hence never used)
"""Fast unit checks of the LIFArray component in Amaranth's own simulator (no Verilog involved)."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from lifgen.golden import fixed
from lifgen.hw.core import LIFArray
from lifgen.params import CoreConfig, CoreTiming, LIFParams


def simulate(params, u, steps, neurons, *, spikes_ready=lambda cycle: True, trace=True, **options):
    """Drive the component: write each step's inputs through ``cur``, start the step, collect events.

    Returns (spikes [(step, neuron)], trace values [T, N], accept cycles, step-0 ready cycle).
    """
    dut = LIFArray(params.fixed, neurons, CoreConfig(trace=trace, **options), behavioural=True)
    spikes, trace_values, accepts = [], [], []
    cycle = [0]

    async def driver(ctx):
        prev = np.zeros(neurons, dtype=np.int64)
        for t in range(steps):
            while ctx.get(dut.busy):
                await ctx.tick()
            for n in np.flatnonzero(u[t] != prev):
                ctx.set(dut.cur.payload, {"neuron": int(n), "u": int(u[t, n])})
                ctx.set(dut.cur.valid, 1)
                await ctx.tick()
            ctx.set(dut.cur.valid, 0)
            prev = u[t]
            ctx.set(dut.step, 1)
            await ctx.tick()
            ctx.set(dut.step, 0)
        for _ in range(20 * (neurons + 10)):        # drains even a consumer ready one cycle in five
            await ctx.tick()

    async def consumer(ctx):
        while True:
            ready = bool(spikes_ready(cycle[0]))
            ctx.set(dut.spikes.ready, ready)
            if trace:
                ctx.set(dut.trace.ready, 1)
            await ctx.delay(0)
            _, _, s_valid, s_payload, step, busy, *tr = await ctx.tick().sample(
                dut.spikes.valid, dut.spikes.payload, dut.step, dut.busy,
                *((dut.trace.valid, dut.trace.payload) if trace else ()))
            if s_valid and ready:
                spikes.append((s_payload.step, s_payload.neuron))
            if step and not busy:
                accepts.append(cycle[0])
            if trace and tr[0]:
                trace_values.append((tr[1].neuron, tr[1].v))
            cycle[0] += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(driver)
    sim.add_testbench(consumer, background=True)
    sim.run()
    tv = np.array([v for _, v in trace_values]).reshape(steps, neurons) if trace else None
    return spikes, tv, accepts


@pytest.mark.parametrize("neurons, reset, t_ref_ms", [(1, "value", 0.0), (3, "subtract", 0.3), (8, "value", 0.2)])
def test_matches_golden(neurons, reset, t_ref_ms):
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, reset=reset, v_reset_mv=-68.0, t_ref_ms=t_ref_ms)
    c = params.fixed
    steps = 40
    rng = np.random.default_rng(neurons)
    u = rng.integers(c.vmin, c.vmax + 1, size=(steps, neurons))
    u[:, 0] = c.q(60.0)
    spikes, tv, _ = simulate(params, u, steps, neurons)
    ref = fixed.run(c, u, steps, trace=True)
    assert spikes == [tuple(x) for x in ref.spikes.tolist()]
    np.testing.assert_array_equal(tv, ref.v_trace)
    assert len(spikes) > 5


# (neurons, lanes, storage, reset, t_ref_ms): partial last groups, a non-power-of-two P, the SPRAM storage with
# its refractory codes (reset "value") and without a refractory period (reset "subtract")
# and every pipeline depth (mul_stages, add_stages; 4 to 6 and 3: adders cut into pieces)
STORAGE_CASES = [(7, 2, "bram", "subtract", 0.3, 1, 0), (10, 3, "bram", "value", 0.2, 2, 2),
                 (5, 8, "bram", "value", 0.0, 3, 1), (9, 1, "spram", "value", 1.0, 1, 0),
                 (6, 1, "spram", "subtract", 0.0, 2, 1), (1, 1, "spram", "value", 0.5, 0, 2),
                 (4, 1, "bram", "subtract", 0.0, 0, 1), (8, 1, "spram", "value", 1.0, 5, 3),
                 (11, 3, "bram", "subtract", 0.3, 4, 3), (6, 2, "bram", "value", 0.2, 5, 2),
                 (13, 1, "spram", "subtract", 0.0, 6, 3)]


@pytest.mark.parametrize("neurons, lanes, storage, reset, t_ref_ms, mul_stages, add_stages", STORAGE_CASES)
def test_lanes_and_storage_match_golden(neurons, lanes, storage, reset, t_ref_ms, mul_stages, add_stages):
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, reset=reset, v_reset_mv=-68.0, t_ref_ms=t_ref_ms)
    c = params.fixed
    steps = 40
    rng = np.random.default_rng(neurons + lanes)
    u = rng.integers(c.q(-20.0), c.q(100.0), size=(steps, neurons))
    u[:, 0] = c.q(60.0)
    spikes, tv, accepts = simulate(params, u, steps, neurons, lanes=lanes, storage=storage, mul_stages=mul_stages,
                                   add_stages=add_stages, read_stages=neurons % 3)      # 0, 1 and 2 all occur
    ref = fixed.run(c, u, steps, trace=True)
    assert spikes == [tuple(x) for x in ref.spikes.tolist()]
    np.testing.assert_array_equal(tv, ref.v_trace)
    assert len(spikes) > 5 and len(accepts) == steps


@pytest.mark.parametrize("lanes, storage", [(3, "bram"), (1, "spram")])
def test_stalled_lanes_lose_nothing(lanes, storage):
    """A consumer ready one cycle in five and a 2-entry FIFO: the issue stage waits, nothing is lost."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)
    c = params.fixed
    neurons, steps = 11, 25
    u = np.full((steps, neurons), c.q(100.0))
    spikes, tv, _ = simulate(params, u, steps, neurons, spikes_ready=lambda k: k % 5 == 0, spike_fifo_depth=2,
                             lanes=lanes, storage=storage)
    ref = fixed.run(c, u, steps, trace=True)
    assert spikes == [tuple(x) for x in ref.spikes.tolist()] and len(spikes) > 50
    np.testing.assert_array_equal(tv, ref.v_trace)


def test_stalled_spike_stream_loses_nothing():
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)
    c = params.fixed
    neurons, steps = 6, 30
    u = np.full((steps, neurons), c.q(100.0))
    # consumer ready only one cycle in five; FIFO of 2 entries: the pipeline must stall
    spikes, tv, accepts = simulate(params, u, steps, neurons, spikes_ready=lambda k: k % 5 == 0,
                                   spike_fifo_depth=2)
    ref = fixed.run(c, u, steps, trace=True)
    assert spikes == [tuple(x) for x in ref.spikes.tolist()]
    np.testing.assert_array_equal(tv, ref.v_trace)
    # a stall did happen: without one, a step is done N + L cycles after it was accepted and the driver
    # starts the next one at most a few cycles later; here some steps took several times that
    unstalled = CoreTiming(neurons).step_cycles + 3
    assert max(np.diff(accepts)) > 2 * unstalled


def test_first_step_waits_for_the_clear():
    params = LIFParams()
    neurons = 5
    u = np.full((2, neurons), params.fixed.q(10.0))
    _, _, accepts = simulate(params, u, 2, neurons, trace=False)
    tm = CoreTiming(neurons)
    assert accepts[0] >= tm.clear_cycles
    assert accepts[1] - accepts[0] >= tm.step_cycles


@pytest.mark.parametrize("neurons, options, words", [
    (0, {}, "neurons"),
    (4, dict(mul_stages=7), "mul_stages"),
    (4, dict(add_stages=4), "add_stages"),
    (4, dict(spike_fifo_depth=1), "spike_fifo_depth"),
])
def test_constructor_rejects_bad_arguments(neurons, options, words):
    with pytest.raises(ValueError, match=words):
        LIFArray(LIFParams().fixed, neurons, CoreConfig(**options))
    with pytest.raises(TypeError, match="FixedParams"):
        LIFArray(LIFParams(), 4)


@pytest.mark.parametrize("when", ["clear", "mid-step", "events-waiting"])
@pytest.mark.parametrize("lanes, storage", [(1, "bram"), (3, "bram"), (1, "spram")])
def test_reset_at_any_point_returns_to_the_post_reset_state(when, lanes, storage):
    """``rst`` during the post-reset clear, in the middle of a step, or while events wait in the FIFO: the array
    clears again (busy high for the clear), drops what it held, and then runs bit exact from v = VREST, u = 0."""
    from amaranth.hdl import ResetInserter, Signal

    params = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=0.5)
    c = params.fixed
    neurons, steps = 7, 12
    rng = np.random.default_rng(lanes)
    before = rng.integers(c.q(30.0), c.q(100.0), size=neurons)        # state to be thrown away
    after = rng.integers(c.q(0.0), c.q(60.0), size=neurons)
    config = CoreConfig(lanes=lanes, storage=storage, spike_fifo_depth=64)      # holds three steps of events
    rst = Signal()
    dut = LIFArray(c, neurons, config, behavioural=True)
    sim = Simulator(ResetInserter(rst)(dut))
    sim.add_clock(1e-8)
    tm = config.timing(neurons)
    phase = {"after": False, "ready": False}
    spikes, busy_after = [], []

    async def write(ctx, u):
        for n, x in enumerate(u):
            ctx.set(dut.cur.payload, {"neuron": n, "u": int(x)})
            ctx.set(dut.cur.valid, 1)
            await ctx.tick()
        ctx.set(dut.cur.valid, 0)

    async def driver(ctx):
        if when == "clear":
            await ctx.tick().repeat(2)                  # the post-reset clear is under way
        else:
            while ctx.get(dut.busy):
                await ctx.tick()
            await write(ctx, before)
            ctx.set(dut.step, 1)
            if when == "mid-step":
                await ctx.tick().repeat(tm.latency + 2)  # inside the first step
            else:
                for _ in range(3):                      # three steps; nobody takes their events
                    await ctx.tick()
                    while ctx.get(dut.busy):
                        await ctx.tick()
                ctx.set(dut.step, 0)
                assert ctx.get(dut.spikes.valid)      # events are waiting
        ctx.set(dut.step, 0)
        ctx.set(rst, 1)
        await ctx.tick()
        ctx.set(rst, 0)
        phase.update(after=True, ready=True)
        for _ in range(tm.clear_cycles):              # busy for exactly the clear
            busy_after.append(ctx.get(dut.busy))
            await ctx.tick()
        assert not ctx.get(dut.busy) and not ctx.get(dut.spikes.valid)
        await write(ctx, after)
        for _ in range(steps):
            ctx.set(dut.step, 1)
            await ctx.tick()
            ctx.set(dut.step, 0)
            while ctx.get(dut.busy):
                await ctx.tick()
        await ctx.tick().repeat(40)

    async def consumer(ctx):
        while True:
            ready, after_reset = phase["ready"], phase["after"]     # what this cycle drives and counts
            ctx.set(dut.spikes.ready, ready)
            await ctx.delay(0)
            _, _, valid, payload = await ctx.tick().sample(dut.spikes.valid, dut.spikes.payload)
            if valid and ready and after_reset:
                spikes.append((payload.step, payload.neuron))

    sim.add_testbench(driver)
    sim.add_testbench(consumer, background=True)
    sim.run()
    ref = fixed.run(c, after, steps)
    assert all(busy_after) and len(busy_after) == tm.clear_cycles
    assert spikes == [tuple(x) for x in ref.spikes.tolist()] and len(spikes) > 5


@pytest.mark.parametrize("lanes", [1, 2, 3, 4, 5, 6, 8, 9, 12, 16])
def test_lanes_set_counts_the_unpackers_lanes(lanes):
    # the unpacker's `single` and `last` flags come from this count (capped at 3), built of small look-up tables
    from amaranth.hdl import Module, Signal
    from lifgen.hw.core import _lanes_set
    m = Module()
    mask, count = Signal(lanes), Signal(2)
    m.d.comb += count.eq(_lanes_set(mask))
    values = range(1 << lanes) if lanes <= 12 else [*range(0, 1 << lanes, 97), (1 << lanes) - 1]

    async def bench(ctx):
        for value in values:
            ctx.set(mask, value)
            assert ctx.get(count) == min(bin(value).count("1"), 3), value

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
