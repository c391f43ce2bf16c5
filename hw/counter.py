# SPDX-License-Identifier: BSD-2-Clause
"""A counter whose logic is at most two look-up tables from registers, for the core's issue and clear counters.

Why: on the iCE40UP5K a routing hop costs ~1.8 ns, so three look-up tables between registers take 10.3 ns even
with the shortest hops (DEVELOPERS.md, "Timing closure notes"). A plain 15-bit counter with an enable is a
15-bit carry chain and a look-up table after it (10.7 ns after placement), and its compares with constants
(``value == groups - 2``) are three tables deep once ABC shares parts of them. Here:

- ``value`` is ``Cat(lo, hi)``: ``lo`` the low ``LOW_BITS`` bits, counted as usual; ``hi`` the rest, which moves
  only when ``lo`` wraps (``en`` while ``lo`` is all ones: ``lo_is``, lo once more in one-hot, says so) and then
  loads ``hi_next``, a
  register holding hi + 1 (computed in one or two cycles: it is needed only ``2 ** LOW_BITS`` counts after hi last
  moved, at the earliest).
- ``hits[i]`` is ``value == at[i]`` as a register, loaded from whether the value next cycle equals it: with ``en``,
  whether ``value == at[i] - 1``, else whether ``value == at[i]``. Each of those is one look-up table of two
  registers: the bit of ``lo_is`` for the target's low bits and a register that says whether ``hi`` equals its
  high bits. That register
  is exact every cycle: when hi moves it loads whether hi + 1 equals them (a compare registered twice, fresh by
  then), else it keeps its value. So a hit is two tables from registers, and ``en`` enters the last.

Contract: ``en`` counts, ``clear`` (which wins) restarts at 0; ``following`` is what ``value`` will be in the next
cycle (combinational, for a consumer that registers its own copy). The owner never counts past ``size`` (once
past the last value it uses) without a ``clear``. With ``reset_less`` the registers have no reset (a reset merged
with ``clear`` into an iCE40 flip-flop's reset pin is a look-up table and a long route), so ``value`` and ``hits``
mean something only after the first ``clear``; else they reset to 0, as ``clear`` does.
"""

from amaranth.hdl import Assert, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from lifgen.errors import refused_quietly

__all__ = ["SplitCounter"]

LOW_BITS = 3            # lo's width: lo and one register are four inputs, one look-up table for a hit
CHUNK = 4               # bits per look-up table of a compare with a constant


class SplitCounter(wiring.Component):
    """Counts ``en`` from 0 to ``size`` at most (module docstring); ``hits[i]`` is ``value == at[i]``."""

    def __init__(self, size: int, at=(), *, reset_less: bool = False):
        with refused_quietly(self):
            if size < 1:
                raise ValueError(f"size must be at least 1, not {size}")
        self.size, self.at, self.reset_less = size, tuple(at), reset_less
        # for the proofs: a clear has happened (or the reset did its job), so the hits are exact; the owner may
        # assert when it must be so
        self.started = Signal(init=not reset_less)
        super().__init__({
            "en": In(1), "clear": In(1),
            "value": Out(range(size + 1)), "following": Out(range(size + 1)),
            "hits": Out(max(1, len(self.at))),
        })

    def elaborate(self, platform):
        m = Module()
        width = len(self.value)
        low = min(LOW_BITS, width)
        quiet = dict(reset_less=self.reset_less)
        lo, hi = Signal(low, **quiet), Signal(width - low, **quiet)
        clear, en = self.clear, self.en
        lo_next = Mux(clear, 0, Mux(en, lo + 1, lo))[:low]
        m.d.sync += lo.eq(lo_next)
        m.d.comb += self.value.eq(Cat(lo, hi))
        # lo once more, one-hot (`lo_is[i]` is lo == i): each bit one table of en and two bits, and every compare
        # of lo with a constant one register
        lo_is = Signal(1 << low, init=1, **quiet)
        m.d.sync += lo_is.eq(Mux(clear, 1, Mux(en, lo_is.rotate_left(1), lo_is)))

        targets = [target for target in self.at if 0 <= target <= self.size]
        if not len(hi):
            m.d.comb += self.following.eq(lo_next)

            def equals(target):                       # value == target, a register
                return lo_is[target] if 0 <= target < 1 << width else Const(0)
            hi_is, hi_next, moved = {}, None, clear
        else:
            wrap = en & lo_is[-1]                     # lo is all ones
            moved = clear | wrap
            hi_next = self._successor(m, hi)
            hi_following = Mux(clear, 0, Mux(wrap, hi_next, hi))
            m.d.sync += hi.eq(hi_following)
            m.d.comb += self.following.eq(Cat(lo_next, hi_following))

            # hi == high for every high part the hits need, exact every cycle (see the module docstring)
            hi_is = {}
            for high in sorted({t >> low for target in targets for t in (target, target - 1) if t >= 0}):
                now = Signal(init=high == 0, name=f"hi_is_{high}", **quiet)
                after = self._registered_equals(m, hi, high - 1, f"hi_p1_is_{high}")    # hi + 1 == high
                m.d.sync += now.eq(Mux(clear, high == 0, Mux(wrap, after, now)))
                hi_is[high] = (now, after)

            def equals(target):                       # value == target, one look-up table of two registers
                if not 0 <= target < 1 << width:
                    return Const(0)
                return lo_is[target % (1 << low)] & hi_is[target >> low][0]
        # each hit a register computed a cycle ahead: value == at next cycle is value == at - 1 when counting
        for i, target in enumerate(self.at):
            if target in targets:
                hit = Signal(init=target == 0, name=f"hit_{target}", **quiet)
                m.d.sync += hit.eq(Mux(clear, target == 0, Mux(en, equals(target - 1), equals(target))))
                m.d.comb += self.hits[i].eq(hit)

        if platform == "formal":
            self._properties(m, lo, lo_is, hi, hi_next, hi_is, moved)
        return m

    def _successor(self, m, hi):
        """A register holding hi + 1, fresh one cycle after hi last moved (two for more than 8 bits: the sum of
        the low bits and their carry first, then the high bits chosen by that carry)."""
        quiet = dict(reset_less=self.reset_less)
        n = len(hi)
        if n <= 8:
            plus = Signal(n, init=1, **quiet)
            m.d.sync += plus.eq(hi + 1)
            self.successor_cycles = 1
            return plus
        cut = n // 2
        low_sum = Signal(cut + 1, init=1, **quiet)
        high, high_plus = Signal(n - cut, **quiet), Signal(n - cut, init=1, **quiet)
        plus = Signal(n, init=1, **quiet)
        m.d.sync += [low_sum.eq(hi[:cut] + 1), high.eq(hi[cut:]), high_plus.eq(hi[cut:] + 1),
                     plus.eq(Cat(low_sum[:cut], Mux(low_sum[cut], high_plus, high)))]
        self.successor_cycles = 2
        return plus

    def _registered_equals(self, m, value, constant, name):
        """``value == constant`` two cycles late: a register per ``CHUNK`` bits compared, then their AND."""
        if not 0 <= constant < 1 << len(value):
            return Const(0)
        quiet = dict(reset_less=self.reset_less)
        chunks = []
        for i, k in enumerate(range(0, len(value), CHUNK)):
            bits = value[k:k + CHUNK]
            part = (constant >> k) % (1 << len(bits))
            chunk = Signal(init=part == 0, name=f"{name}_{i}", **quiet)       # as after a reset (value 0)
            m.d.sync += chunk.eq(bits == part)
            chunks.append(chunk)
        equal = Signal(init=constant == 0, name=name, **quiet)
        m.d.sync += equal.eq(Cat(chunks).all())
        return equal

    def _properties(self, m, lo, lo_is, hi, hi_next, hi_is, moved):
        """What makes the hits exact, asserted for ``make formal``: ``age`` counts the cycles since hi last moved
        (or was cleared), up to 7; lo cannot have counted further than that, so when lo wraps hi_next and the
        registered compares are fresh."""
        started = self.started
        m.d.sync += started.eq(started | self.clear)
        with m.If(started):
            m.d.comb += [Assert(self.hits[i] == (self.value == target)) for i, target in enumerate(self.at)]
            m.d.comb += Assert(lo_is == (1 << lo)[:len(lo_is)])
        if hi_next is None:
            return
        age = Signal(range(8))
        m.d.sync += age.eq(Mux(moved, 0, Mux(age == 7, 7, age + 1)))
        with m.If(started):
            m.d.comb += Assert(age >= lo)
            m.d.comb += Assert((age < self.successor_cycles) | (hi_next == (hi + 1)[:len(hi)]))
            for high, (now, after) in hi_is.items():
                m.d.comb += [Assert(now == (hi == high)), Assert((age < 2) | (after == (hi + 1 == high)))]
