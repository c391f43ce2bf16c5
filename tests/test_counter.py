# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen.hw.counter.SplitCounter`` against a plain counter, cycle by cycle: its value, the value it will have
next cycle and every hit, under random counting and clears (its own properties are also proved inside the core's
proofs, ``make formal``)."""

import random

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from lifgen.hw.counter import SplitCounter


@pytest.mark.parametrize("size", [1, 2, 5, 8, 9, 300, 4096])
@pytest.mark.parametrize("reset_less", [False, True])
def test_split_counter_counts_and_hits_like_a_plain_counter(size, reset_less):
    targets = sorted({0, 1, size - 3, size - 2, size - 1, size, 7, 8, 9, 255, 256, 4095} - {-3, -2, -1})
    targets = [t for t in targets if t <= size]
    m = Module()
    m.submodules.counter = counter = SplitCounter(size, at=targets, reset_less=reset_less)
    rng = random.Random(size * 2 + reset_less)
    seen = {"wraps": 0, "hits": 0}

    async def bench(ctx):
        value = None if reset_less else 0             # what the model knows (nothing before a clear, reset-less)
        for cycle in range(3000):
            # count up to size (once past the last value, as the core's counter of groups sent does), clearing
            # now and then: rarely enough that the high part moves many times
            clear = value is None or value == size or rng.random() < 0.002
            en = not clear and rng.random() < 0.7
            ctx.set(counter.clear, clear)
            ctx.set(counter.en, en)
            if value is not None:
                assert ctx.get(counter.value) == value, cycle
                for i, target in enumerate(targets):
                    assert ctx.get(counter.hits[i]) == (value == target), (cycle, target)
                    seen["hits"] += value == target
                following = 0 if clear else value + en
                assert ctx.get(counter.following) == following, cycle
                seen["wraps"] += en and value % 8 == 7
            value = 0 if clear else None if value is None else value + en
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert seen["hits"] > 0
    assert seen["wraps"] > 10 or size < 64


def test_split_counter_refuses_an_empty_range():
    with pytest.raises(ValueError, match="size must be at least 1"):
        SplitCounter(0)
