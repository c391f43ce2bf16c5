# SPDX-License-Identifier: BSD-2-Clause
"""The core's output FIFO: the interface and cycle timing of ``amaranth.lib.fifo.SyncFIFOBuffered``, with every
control decision a gate or two from registers.

Contract (that of ``SyncFIFOBuffered`` of the same ``depth``, which the core used before, so
``lifgen.params.CoreTiming.fifo_latency`` is unchanged):

- Up to ``depth - 1`` entries live in a memory (``amaranth.lib.memory.Memory`` of ``depth`` words, a synchronous
  read port), one more at the output. An entry written in cycle ``c`` (``w_en`` high) is offered from cycle ``c + 2`` if the output is free:
  ``r_rdy`` is a register and ``r_data`` the memory's read data (block RAM output, with no register after it: feed
  it into a register and nothing else). ``r_en`` with ``r_rdy`` takes the entry; ``r_data`` holds while it is not
  taken.
- Writes are not gated: the writer must never write while ``w_rdy`` is low (the memory full). The core's credits
  guarantee it (``lifgen.hw.core``, proved by ``make formal``), so ``w_rdy`` is there for the proofs and for
  ``level`` (entries held, the output's included), like ``SyncFIFOBuffered``'s.

Why not ``SyncFIFOBuffered`` itself: its read decision compares its level register with 0 and its write enable is
gated by a compare with the depth; on the iCE40UP5K (about 1.8 ns a routing hop) its control path was five look-up
tables long, 17 ns. Here the memory's non-empty flag is a register loaded a cycle ahead from compares of the count
with small constants, the count lags a cycle behind a registered change, and the read decision (which arrives
last) meets no adder: it picks the read pointer's next value after the pointer's own adder.
"""

from amaranth.hdl import Assert, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen.errors import refused_quietly

__all__ = ["EventFIFO"]


class EventFIFO(wiring.Component):
    """A FIFO of ``depth`` (>= 2) entries of ``width`` bits; see the module's docstring for the contract."""

    def __init__(self, *, width: int, depth: int):
        with refused_quietly(self):
            if depth < 2:
                raise ValueError(f"depth must be at least 2, not {depth}")
        self.width, self.depth = width, depth
        super().__init__({
            "w_en": In(1), "w_data": In(width), "w_rdy": Out(1),
            "r_en": In(1), "r_data": Out(width), "r_rdy": Out(1),
            "level": Out(range(depth + 1)),
        })

    def elaborate(self, platform):
        m = Module()
        inner = self.depth - 1                            # entries the memory holds at most
        size = self.depth                                 # its words: one spare, so a power-of-two depth wraps free
        m.submodules.storage = storage = Memory(shape=unsigned(self.width), depth=size, init=[])
        wr, rd = storage.write_port(), storage.read_port(domain="sync", transparent_for=())
        produce, consume = Signal(range(size)), Signal(range(size))
        count = Signal(range(inner + 1))                  # entries in the memory
        filled = Signal()                                 # count != 0, a register computed a cycle ahead

        # fetch the memory's oldest entry to the output when the output is free or being taken
        fetch = Signal()
        m.d.comb += fetch.eq(filled & (~self.r_rdy | self.r_en))

        m.d.comb += [wr.addr.eq(produce), wr.data.eq(self.w_data), wr.en.eq(self.w_en),
                     rd.addr.eq(consume), rd.en.eq(fetch), self.r_data.eq(rd.data)]
        # each pointer's enable, which arrives last, picks its next value after an adder of registers: not a clock
        # enable (with the reset that costs the iCE40 a look-up table more: its flip-flops' reset only acts when
        # they are enabled), and not the adder's carry (which puts the enable in front of the carry chain)
        m.d.sync += [produce.eq(Mux(self.w_en, _successor(produce, size), produce)),
                     consume.eq(Mux(fetch, _successor(consume, size), consume))]
        # the output holds an entry next cycle if one is fetched now or it holds one that is not taken; as a
        # function of registers and `r_en` (not of `fetch`, and not as a clock enable): one gate
        m.d.sync += self.r_rdy.eq(filled | (self.r_rdy & ~self.r_en))

        # the count lags a cycle: `change` holds the last cycle's w_en - fetch (-1..1) and is added a cycle later
        # (two registers added, so the read decision meets no adder); entries = count + change
        change = Signal(signed(2))
        entries = count + change
        m.d.sync += [count.eq(entries), change.eq(self.w_en - fetch)]
        # entries + w_en - fetch != 0 (it is never negative), from compares of the registers with small constants
        # (no carry chain), `fetch` in the last gate
        c0, c1, c2 = count == 0, count == 1, count == 2
        down, same, up = change == -1, change == 0, change == 1
        none = (c0 & same) | (c1 & down)                  # entries == 0
        one = (c0 & up) | (c1 & same) | (c2 & down)       # entries == 1
        m.d.sync += filled.eq(self.w_en | ~(none | one) | (one & ~fetch))

        m.d.comb += [self.w_rdy.eq(entries != inner), self.level.eq(entries + self.r_rdy)]

        if platform == "formal":
            # the registers agree (k-induction needs it said): the pointers are in range, the count is their
            # distance and `filled` its non-zero flag
            m.d.comb += [Assert(produce < size), Assert(consume < size), Assert(entries <= inner),
                         Assert(count <= inner), Assert(filled == (entries != 0)),
                         Assert(entries == Mux(produce >= consume, produce - consume, size + produce - consume))]
        return m


def _successor(pointer, size):
    """``pointer + 1`` modulo ``size`` (the adder's carry out dropped when ``size`` is a power of two)."""
    if size & (size - 1) == 0:
        return (pointer + 1)[:len(pointer)]
    return Mux(pointer == size - 1, 0, pointer + 1)
