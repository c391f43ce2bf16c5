# SPDX-License-Identifier: BSD-2-Clause
"""Storage ``dp16kd`` (ECP5 DP16KD blocks instantiated directly, output register on, registered copies per group of
blocks): bit exact against the golden model in Amaranth's simulator (the Amaranth model); the block shapes, the
timing, the capacity model. The Icarus and Verilator runs (every accept and event cycle, trace and backpressure) are
cases of ``tests/test_rtl_lanes.py``."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from lifgen.boards.registry import blocks_needed, check_fits, get_board, max_neurons, storage_blocks
from lifgen.errors import InputError
from lifgen.golden import fixed
from lifgen.hw.core import LIFArray
from lifgen.hw.export import verilog_text
from lifgen.params import DP16KD_CONFIGS, CoreConfig, CoreTiming, LIFParams, dp16kd_shape
from lifgen.sim.primitives import models_for

from test_core_amaranth import simulate


@pytest.mark.parametrize("neurons, lanes, read_stages", [(10, 3, 0), (9, 1, 2), (13, 4, 1)])
def test_dp16kd_amaranth_model(neurons, lanes, read_stages):
    """The Amaranth model of the storage (``behavioural=True``) in Amaranth's simulator: results and accepts."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=0.5, reset="value", v_reset_mv=-68.0)
    c = params.fixed
    steps = 30
    rng = np.random.default_rng(neurons)
    u = rng.integers(c.q(-20.0), c.q(100.0), size=(steps, neurons))
    spikes, tv, accepts = simulate(params, u, steps, neurons, lanes=lanes, storage="dp16kd", read_stages=read_stages,
                                   mul_stages=2, add_stages=1)
    ref = fixed.run(c, u, steps, trace=True)
    assert spikes == [tuple(x) for x in ref.spikes.tolist()] and len(spikes) > 5
    np.testing.assert_array_equal(tv, ref.v_trace)
    assert len(accepts) == steps


def test_storage_cycles():
    """5: two hops of copies, the block's read, its output register, a register beside the block; with P not a
    power of two 1 + ceil(A / 3) more (the inputs registered, then the neuron index divided three bits per
    cycle): 12 at 98,304 neurons (A = 17)."""
    assert CoreTiming(98304, lanes=6, storage="dp16kd").storage_cycles == 12
    for lanes, cycles in ((1, 5), (2, 5), (8, 5), (16, 5), (3, 10), (6, 10), (12, 10)):       # A = 10 bits
        tm = CoreTiming(1000, lanes=lanes, storage="dp16kd", read_stages=2, mul_stages=3, add_stages=2)
        assert tm.storage_cycles == cycles and tm.ram_regs == 2
        assert tm.latency == CoreTiming.ISSUE_CYCLES + cycles + 2 + 3 + 2 and tm.clear_cycles == tm.groups


def test_shapes():
    """The fewest blocks, then the shallowest cascade: 16 K rows of 16 bits in sixteen 16384 x 1 blocks (no read
    multiplexer), 12 K rows in twelve 4096 x 4 (a cascade of 3, where 16384 x 1 would take 16)."""
    assert dp16kd_shape(16384, 16) == (16384, 1, 1, 16)
    assert dp16kd_shape(12288, 16) == (4096, 4, 3, 4)
    assert dp16kd_shape(13, 20) == (1024, 18, 1, 2)
    assert dp16kd_shape(2100, 16) == (1024, 18, 3, 1)
    for rows in (1, 5, 1000, 1024, 1025, 3000, 16384, 20000):
        for width in (1, 9, 16, 18, 20, 33):
            depth, dw, cascade, columns = dp16kd_shape(rows, width)
            assert (depth, dw) in DP16KD_CONFIGS and cascade * depth >= rows and columns * dw >= width
            assert cascade * columns == min(-(-rows // d) * -(-width // w) for d, w in DP16KD_CONFIGS)


def test_blocks_instantiated_are_counted():
    """The capacity model counts exactly the blocks the storage instantiates; ECP5 boards only."""
    fixed_params = LIFParams(t_ref_ms=1.0).fixed
    for neurons, lanes in ((37, 3), (2100, 1), (5000, 2)):
        config = CoreConfig(lanes=lanes, storage="dp16kd")
        text = verilog_text(LIFParams(t_ref_ms=1.0), neurons, config)
        assert text.count("DP16KD #(") == storage_blocks(fixed_params, neurons, config)
    f = LIFParams().fixed
    ulx3s = get_board("ulx3s-85f")
    for lanes in (6, 8):
        config = CoreConfig(lanes=lanes, storage="dp16kd")
        assert storage_blocks(f, 98304, config) == 192
        assert blocks_needed(ulx3s, f, 98304, config) <= 208
        check_fits(ulx3s, f, 98304, config)
    assert max_neurons(get_board("icebreaker"), f, CoreConfig(storage="dp16kd")) == 0
    with pytest.raises(InputError, match="DP16KD"):
        check_fits(get_board("icebreaker"), f, 100, CoreConfig(storage="dp16kd"))


def test_models_for_dp16kd_designs():
    assert set(models_for("DP16KD #(\n FD1S3AX ff (")) == {"DP16KD.v", "FD1S3AX.v"}


@pytest.mark.parametrize("neurons, lanes, storage, read_stages", [
    (37, 3, "dp16kd", 0), (23, 4, "dp16kd", 0), (40, 6, "dp16kd", 0),
    (2100, 1, "bram", 1), (3100, 3, "bram", 2)])
def test_peek(neurons, lanes, storage, read_stages):
    """The peek port (the host link's voltage read-back) through the Amaranth model: after three steps every
    neuron's v, ``storage_cycles`` after its index (with P = 3 and 6 through the pipelined division by P; the bram
    cases through banks of block RAM, each with its register before the bank multiplexer)."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5)
    c = params.fixed
    steps = 3
    u = np.tile(c.q(1.0) * np.arange(neurons) % c.q(40.0), (steps, 1))
    ref = fixed.run(c, u, steps, trace=True)
    dut = LIFArray(c, neurons, CoreConfig(lanes=lanes, storage=storage, read_stages=read_stages, peek=True),
                   behavioural=True)
    assert dut.timing.banked == (storage == "bram")
    delay = dut.timing.storage_cycles
    seen = {}

    async def driver(ctx):
        while ctx.get(dut.busy):
            await ctx.tick()
        for n in range(neurons):
            ctx.set(dut.cur.payload, {"neuron": n, "u": int(u[0, n])})
            ctx.set(dut.cur.valid, 1)
            await ctx.tick()
        ctx.set(dut.cur.valid, 0)
        ctx.set(dut.spikes.ready, 1)
        for _ in range(steps):                    # one step at a time: accepted, then run to the end
            ctx.set(dut.step, 1)
            await ctx.tick().until(dut.busy)
            ctx.set(dut.step, 0)
            await ctx.tick().until(~dut.busy)
        for n in range(neurons):                  # a new index every cycle; v arrives `delay` cycles later
            ctx.set(dut.peek_addr, n)
            await ctx.tick()
            if n >= delay - 1:
                seen[n - delay + 1] = ctx.get(dut.peek_v)
        for n in range(neurons - delay + 1, neurons):
            await ctx.tick()
            seen[n] = ctx.get(dut.peek_v)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(driver)
    sim.run()
    assert [seen[n] for n in range(neurons)] == ref.v_trace[-1].tolist()


def test_dp16kd_on_the_simulated_board():
    """The whole board (host link, frames, the peek-based read-back) around a 3-lane dp16kd array in Icarus, the
    Verilog models included by ``lifgen.sim.board``: bit exact, every frame good."""
    from lifgen import models
    from test_board_sim import PARAMS, schedule
    neurons, steps = 7, 40
    report = models.verify(PARAMS, schedule(neurons, steps, seed=5), neurons, steps, model="board-sim",
                           core=CoreConfig(lanes=3, storage="dp16kd"))
    assert report["match"], report["first_mismatch"]
    assert report["events_golden"] > 30 and report["trace_values_compared"] == neurons * steps
    assert report["link"]["frames_ok"] > 0 and report["link"]["bad_crc"] == 0


@pytest.mark.parametrize("when", ["clear", "mid-step", "events-waiting"])
@pytest.mark.parametrize("lanes", [1, 3])
def test_dp16kd_reset_at_any_point(when, lanes):
    """``rst`` during the clear, mid-step, or with events waiting, through the Amaranth model: the register copies
    have no reset (FD1S3AX), so a write in flight at ``rst`` still lands, before the clear of its row; then bit
    exact from v = VREST, u = 0 (the check of ``tests/test_core_amaranth.py``)."""
    from test_core_amaranth import test_reset_at_any_point_returns_to_the_post_reset_state as check
    check(when, lanes, "dp16kd")
