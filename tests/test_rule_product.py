# SPDX-License-Identifier: BSD-2-Clause
"""The multiplier-free product of the update rule (``lifgen.hw.rule.product``, (x * G) >> (S-1) as hi + carry):
the signed-digit terms of G, and the carry-save levels and split sum with pipeline registers between them, in
Amaranth's simulator against Python's integers. (Its arithmetic is also
proved for every x by ``lifgen.sim.formal.RuleProof``, for the gains of ``RULE_CASES``; this covers the others.)"""

import dataclasses
import random

import pytest
from amaranth.hdl import ClockDomain, Module, Signal, signed
from amaranth.sim import Simulator

from lifgen.hw.rule import SHIFT_ADD_GAIN_BITS, _carry_save_levels, gain_terms, product
from lifgen.params import LIFParams


@pytest.mark.parametrize("g", [*range(1, 300), 652, 1023, 1365, 2731, 4095, 40961, (1 << 28) - 1])
def test_gain_terms_are_a_non_adjacent_form(g):
    terms = gain_terms(g)
    assert sum(sign << shift for shift, sign in terms) == g
    assert all(sign in (1, -1) for _, sign in terms)
    assert all(b[0] - a[0] >= 2 for a, b in zip(terms, terms[1:]))      # no two nonzero digits side by side
    assert len(terms) <= (g.bit_length() + 2) // 2


@pytest.mark.parametrize("count, levels", [(1, 0), (2, 0), (3, 1), (4, 2), (5, 3), (6, 3), (7, 4), (9, 4)])
def test_carry_save_levels(count, levels):
    assert _carry_save_levels(count) == levels


# gains of one term (a power of two) up to seven, and one beyond the terms (a multiplier); shifts S - 1 of 15 (the
# defaults) and 0 (no low part: no carry)
@pytest.mark.parametrize("g", [1, 64, 3, 5, 7, 652, 1365, 2731, 3003, 4095, 40961])
@pytest.mark.parametrize("registers", [0, 1, 2, 3])
@pytest.mark.parametrize("s", [16, 1])
def test_product_with_registers_in_it(g, registers, s):
    c = dataclasses.replace(LIFParams().fixed, G=g, S=s)
    assert (c.gain_width > SHIFT_ADD_GAIN_BITS) == (g == 40961)
    m = Module()
    m.domains.sync = ClockDomain()                    # also with no registers
    x = Signal(signed(c.W + 2))
    k = iter(range(registers))

    def register(values):
        level = next(k)
        regs = [Signal(v.shape(), name=f"r{level}_{i}") for i, v in enumerate(values)]
        m.d.sync += [r.eq(v) for r, v in zip(regs, values)]
        return regs
    hi, carry = product(c, x, registers, register)
    a = Signal(signed(c.W + 4 + c.gain_width))
    m.d.comb += a.eq(hi + carry)
    assert next(k, None) is None                      # every register was placed

    rng = random.Random(g * 8 + registers * 2 + s)
    lo, hi = -(1 << (c.W + 1)), (1 << (c.W + 1)) - 1
    xs = [lo, hi, 0, -1, 1] + [rng.randint(lo, hi) for _ in range(60)]

    async def bench(ctx):
        seen = []
        for cycle in range(len(xs) + registers):
            if cycle < len(xs):
                ctx.set(x, xs[cycle])
            await ctx.delay(1e-9)
            seen.append(ctx.get(a))
            await ctx.tick()
        assert seen[registers:] == [(value * g) >> (s - 1) for value in xs]

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
