# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen.hw.fifo.EventFIFO`` against ``amaranth.lib.fifo.SyncFIFOBuffered``, whose interface and cycle timing
it promises: both driven with the same random writes and reads, cycle by cycle."""

import random

import pytest
from amaranth.hdl import Module
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.sim import Simulator

from lifgen.hw.fifo import EventFIFO


@pytest.mark.parametrize("depth", [2, 3, 5, 8, 16])
@pytest.mark.parametrize("write_odds, read_odds", [(0.5, 0.5), (0.9, 0.3), (0.3, 0.9)])
def test_event_fifo_behaves_as_sync_fifo_buffered(depth, write_odds, read_odds):
    """Every cycle the same ``r_rdy``, ``level`` and ``w_rdy``, and the same ``r_data`` whenever an entry is
    offered. The writer keeps EventFIFO's contract (it never writes while ``w_rdy`` is low, which is also when
    SyncFIFOBuffered would refuse the write), so the streams of entries must agree exactly."""
    m = Module()
    m.submodules.ours = ours = EventFIFO(width=8, depth=depth)
    m.submodules.theirs = theirs = SyncFIFOBuffered(width=8, depth=depth)
    rng = random.Random(depth * 1000 + int(write_odds * 10) + int(read_odds * 100))
    seen = {"entries": 0, "full": 0, "empty_read": 0}

    async def bench(ctx):
        value = 0
        for _ in range(600):
            w_en = rng.random() < write_odds and ctx.get(ours.w_rdy)
            r_en = rng.random() < read_odds
            value = (value + 1) % 256
            for fifo in (ours, theirs):
                ctx.set(fifo.w_en, w_en)
                ctx.set(fifo.w_data, value)
                ctx.set(fifo.r_en, r_en)
            assert ctx.get(ours.r_rdy) == ctx.get(theirs.r_rdy)
            assert ctx.get(ours.level) == ctx.get(theirs.level)
            assert ctx.get(ours.w_rdy) == ctx.get(theirs.w_rdy)
            if ctx.get(ours.r_rdy):
                assert ctx.get(ours.r_data) == ctx.get(theirs.r_data)
                seen["entries"] += r_en
            seen["full"] += not ctx.get(ours.w_rdy)
            seen["empty_read"] += r_en and not ctx.get(ours.r_rdy)
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    # the runs went through the interesting states: many entries out; the memory full when writes are as likely as
    # reads or more, reads of an empty FIFO when reads are as likely as writes or more
    assert seen["entries"] > 100
    assert seen["full"] > 0 or write_odds < read_odds
    assert seen["empty_read"] > 0 or read_odds < write_odds


def test_event_fifo_refuses_a_depth_below_two():
    with pytest.raises(ValueError, match="depth must be at least 2"):
        EventFIFO(width=4, depth=1)
