# SPDX-License-Identifier: BSD-2-Clause
"""Adders in pieces (``lifgen.hw.rule.add_pieces``): the sum is exact for every operand pair, wherever the cuts
are, with a constant operand, and with the low bits left out (``keep``); the core's registers between the pieces
are checked bit exact by the array tests (``test_core_amaranth``, ``test_rtl_lanes``) and the composition in the
rule by its proof (``test_formal``)."""

import itertools

import pytest
from amaranth.hdl import Const, Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from lifgen.hw.rule import add_pieces, piece_cuts


def _sums(n, cuts, a_shape, b_shape, keep=0, b_const=None):
    """Every (a, b) of the shapes and the n-bit sum's bits keep.. as the pieces give it."""
    m = Module()
    a = Signal(a_shape)
    b = Const(b_const, b_shape) if b_const is not None else Signal(b_shape)
    out = Signal(signed(n - keep))
    values = [a, b]
    for piece in add_pieces(n, cuts, keep):        # the pieces one after another, no registers between
        values = piece(values)
    m.d.comb += out.eq(values[0])
    seen = {}

    async def bench(ctx):
        for x in _values(a_shape):
            for y in ([b_const] if b_const is not None else _values(b_shape)):
                ctx.set(a, x)
                if b_const is None:
                    ctx.set(b, y)
                seen[x, y] = ctx.get(out)
    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return seen


def _values(shape):
    if shape.signed:
        return range(-(1 << (shape.width - 1)), 1 << (shape.width - 1))
    return range(1 << shape.width)


def _wrap(value, bits):
    value %= 1 << bits
    return value - (1 << bits) if value >> (bits - 1) else value


@pytest.mark.parametrize("n, cuts", [(5, [2]), (6, [1, 3]), (7, [2, 4, 5]), (7, [6]), (6, [])])
@pytest.mark.parametrize("a_shape, b_shape",
                         [(signed(4), signed(4)), (unsigned(5), signed(4)), (signed(3), unsigned(5))])
def test_pieces_add_exactly(n, cuts, a_shape, b_shape):
    for (x, y), got in _sums(n, cuts, a_shape, b_shape).items():
        assert got == _wrap(x + y, n), (x, y, got)


def test_two_bit_sum_in_two_pieces():
    for (x, y), got in _sums(2, [1], signed(2), unsigned(1)).items():
        assert got == _wrap(x + y, 2)


@pytest.mark.parametrize("keep", [0, 1, 3, 5])
def test_pieces_keep_the_high_bits(keep):
    n, cuts = 7, [2, 4]
    for (x, y), got in _sums(n, cuts, signed(6), signed(6), keep=keep).items():
        assert got == _wrap(x + y, n) >> keep, (x, y, keep, got)


@pytest.mark.parametrize("constant", [0, 1, 23, 63])
def test_pieces_with_a_constant_operand(constant):
    n = 7
    for (x, y), got in _sums(n, piece_cuts(n, 3), signed(6), unsigned(6), b_const=constant).items():
        assert got == _wrap(x + constant, n)
    # the constant's high part between the pieces stays a constant: no register needed for it
    first = add_pieces(n, piece_cuts(n, 3))[0]([Signal(signed(6)), Const(constant, 6)])
    assert isinstance(first[3], Const)


def test_piece_cuts_are_even_and_in_range():
    assert piece_cuts(29, 3) == [10, 19]
    assert piece_cuts(18, 2) == [9]
    assert piece_cuts(19, 1) == []
    for n, pieces in itertools.product(range(2, 40), range(1, 6)):
        cuts = piece_cuts(n, pieces)
        assert cuts == sorted(set(cuts)) and all(0 < c < n for c in cuts)
        assert len(cuts) == min(pieces, n - 1) - 1
