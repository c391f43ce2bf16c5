# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen.hw.counter.SplitCounter`` against a plain counter, cycle by cycle: its value, the value it will have
next cycle and every hit, under random counting and clears; and its own properties, proved by k-induction (they are also proved inside
the core's proofs, ``make formal``)."""

import random

import pytest
from amaranth.hdl import Assume, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In
from amaranth.sim import Simulator

from lifgen.hw.counter import SplitCounter
from lifgen.sim import formal


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


class _Bounded(wiring.Component):
    """The counter with ``en`` and ``clear`` free, but never counting past ``size`` (its owner's promise)."""

    def __init__(self, size, reset_less):
        self.counter = SplitCounter(size, at=(0, size - 3, size - 2, size - 1, size), reset_less=reset_less)
        super().__init__({"en": In(1), "clear": In(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.counter = counter = self.counter
        m.d.comb += [counter.en.eq(self.en), counter.clear.eq(self.clear),
                     Assume(~self.en | self.clear | (counter.value < counter.size))]
        return m


@pytest.mark.parametrize("size, reset_less", [(300, False), (4096, True)], ids=["hi6", "hi10-pieces-reset-less"])
def test_split_counter_properties_are_proved(tmp_path, size, reset_less):
    """The counter's own properties (hits exact, hi_next == hi + 1 once fresh, the registered compares of the high
    part current) by k-induction, ``en`` and ``clear`` free, for a high part of 6 bits and one of 10 (hi + 1 in
    two cycles, which the core's proofs, on small arrays, never build)."""
    result = formal._run_sby(f"counter{size}", _Bounded(size, reset_less), tmp_path, tasks=("prove",), depth=12,
                             timeout=900)
    assert result["prove"] == "PASS", result["log"]
