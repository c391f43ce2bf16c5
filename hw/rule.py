# SPDX-License-Identifier: BSD-2-Clause
"""The integer update rule of one neuron as logic (README.md, section "The integer update rule").

The rule is cut into the pieces the pipeline of :class:`lifgen.hw.core.LIFArray` puts registers between::

    gap   = rest_gap(c, ~v)              VREST - v, exact, from ~v
    vt    = threshold_input(c, v)        v - VTH, exact, beside gap
    x     = leak_input(c, gap, u)        VREST - v + u, exact
    a     = product(c, x)                (x * G) >> (S-1), exact, as (hi, carry) with a = hi + carry: the terms of
                                         G (gain_terms) added in carry-save form, then the low S-1 bits' carry and
                                         the high bits' sum side by side; no multiplier, no adder longer than the
                                         high part
    v_sum = leak_sum(c, v, a)            v + ((x * G + 2**(S-1)) >> S), exact, in one adder
    above = reaches_threshold(c, vt, a)  v_sum >= VTH, in a second adder beside that one
    v_new, r_new, spike = update(m, c, v_sum, r, above)    clamp, threshold, reset, refractory

Every piece is one adder (or, in the product, one level of look-up tables) deep, so that registers between them
leave no long carry chain behind a look-up table: on the iCE40UP5K each routing hop costs ~1.8 ns.

:func:`update_rule` composes them without registers; ``lifgen.sim.formal`` proves that composition equal, for
every input, to a plain transcription of the README's rule in exact integers (and that nothing wraps).
The golden model (``lifgen.golden.fixed``) implements the same section in numpy; neither imports the other.
"""

from amaranth.hdl import Cat, Const, Mux, Signal, Value, signed, unsigned

from lifgen.params import FixedParams

__all__ = ["SHIFT_ADD_GAIN_BITS", "rest_gap", "leak_input", "threshold_input", "gain_terms", "product", "leak_sum",
           "reaches_threshold", "update", "update_rule"]


def rest_gap(c: FixedParams, nv):
    """gap = VREST - v from nv = ~v = -v - 1: nv + (VREST + 1) (Amaranth widens: exact). The core holds ~v in a
    register, so this is an adder of a register and a constant: on the iCE40 a register subtracted costs a
    look-up table that inverts it before the carry chain (two routing hops more)."""
    return nv + (c.VREST + 1)


def leak_input(c: FixedParams, gap, u):
    """x = gap + u = VREST - v + u (exact)."""
    return gap + u


def threshold_input(c: FixedParams, v):
    """vt = v - VTH (exact), for :func:`reaches_threshold`."""
    return v - c.VTH


def gain_terms(g):
    """G as a sum of signed powers of two with the fewest terms (the non-adjacent form): ``[(shift, sign), ...]``,
    lowest shift first, ``sum(sign << shift) == g``; at most ``ceil((bits(g) + 1) / 2)`` terms."""
    terms, shift = [], 0
    while g:
        if g & 1:
            sign = 2 - (g & 3)                          # +1 when g = 1 mod 4, -1 when g = 3 mod 4
            terms.append((shift, sign))
            g -= sign
        g >>= 1
        shift += 1
    return terms


SHIFT_ADD_GAIN_BITS = 12  # G up to this many bits: a tree of shifted additions; wider: a multiplier


def product(c: FixedParams, x, registers=0, register=None, wire=None):
    """a = (x * G) >> (S-1) (exact), as a pair ``(hi, carry)`` with a = hi + carry (``hi`` signed, ``carry`` one
    bit); :func:`leak_sum` and :func:`reaches_threshold` take the carry into their own adders.

    For G of up to :data:`SHIFT_ADD_GAIN_BITS` bits, without a multiplier (an iCE40HX has no DSP, and logic cut by
    registers is faster than the iCE40UP's and ECP5's DSPs without theirs): the terms of :func:`gain_terms`,
    ``x << shift`` for a digit +1 and ``~x << shift`` for a digit -1 (-(x << s) = (~x << s) + 2**s; the 2**s of
    all the -1 digits sum to less than 2**top, top the shift of G's highest digit, which is +1, so they are ORed
    into the low zero bits of that term: wiring). Then levels of carry-save adders (three values to two with the
    same sum, one look-up table per bit) down to two values s and t, and a last level that adds their low S-1 bits
    for the carry out only and their high bits beside it: hi = s[S-1:] + t[S-1:], carry = the low part's carry.
    All sums are taken modulo 2**n with n one bit wider than the exact product, so hi = a - carry exactly.
    A wider G is one multiplication ``x * G`` (hi = its bits from S-1 up, carry 0): the proof that the terms equal
    it (``lifgen.sim.formal.RuleProof``) takes seconds for G of 10 bits and more than minutes for 16.

    ``registers``: pipeline registers to put into the product, spread evenly over its levels (after level
    ceil(k * depth / registers) for k = 1 .. registers; with more registers than levels the rest follow the last
    level); ``register(values) -> values`` registers one level's values. The result is then ``registers`` cycles
    after ``x``. ``wire(values) -> values``, if given, names each level's values (signals driven combinationally):
    every value of a level is used twice by the next, and an expression used twice is built twice in the netlist
    (a simulator then evaluates the tree below it once per use)."""
    k = c.S - 1
    n = len(x) + c.gain_width + 1
    if c.gain_width > SHIFT_ADD_GAIN_BITS:
        values = [x * Const(c.G, unsigned(c.gain_width))]
        levels = [lambda values: [values[0] >> k, Const(0, 1)]]
    else:
        wide = Cat(x, x[-1].replicate(n - len(x)))        # x sign-extended to n bits
        terms = gain_terms(c.G)
        top = max(shift for shift, sign in terms)
        ones = sum(1 << shift for shift, sign in terms if sign < 0)  # < 2**top
        values = [((wide << shift)[:n] | (ones if shift == top else 0)) if sign > 0 else ((~wide) << shift)[:n]
                  for shift, sign in terms]
        levels = [_carry_save] * _carry_save_levels(len(values)) + [lambda values: _split_sum(values, k, n)]
    depth = len(levels)
    cuts = [-(-j * depth // registers) for j in range(1, registers + 1)]
    for done in range(depth + 1):
        for _ in range(cuts.count(done)):
            values = register(values)
        if done < depth:
            values = levels[done](values)
            if wire is not None:
                values = wire(values)
    hi, carry = values
    return hi, carry


def _carry_save_levels(count):
    """Levels of :func:`_carry_save` that take ``count`` values to at most two."""
    levels = 0
    while count > 2:
        count -= count // 3
        levels += 1
    return levels


def _carry_save(values):
    """One level of carry-save adders: every three values become two with the same sum (bitwise sum, and majority
    shifted up one; modulo 2**n, n their width); the others pass."""
    out = []
    for i in range(0, len(values) - len(values) % 3, 3):
        a, b, d = (Value.cast(v) for v in values[i:i + 3])
        n = len(a)
        out += [a ^ b ^ d, Cat(Const(0, 1), (a & b) | (a & d) | (b & d))[:n]]
    return out + list(values[len(values) - len(values) % 3:])


def _split_sum(values, k, n):
    """(hi, carry) of the sum s + t of one or two n-bit values modulo 2**n: carry out of their low k bits, and
    their bits from k up added (signed, n - k bits), so that hi + carry is the sum's bits from k up."""
    if len(values) == 1:
        return [Value.cast(values[0])[k:].as_signed(), Const(0, 1)]
    s, t = (Value.cast(v) for v in values)
    carry = (s[:k] + t[:k])[k] if k else Const(0, 1)
    return [(s[k:] + t[k:])[:n - k].as_signed(), carry]


def leak_sum(c: FixedParams, v, a):
    """v + dv with dv = (x * G + 2**(S-1)) >> S, in one adder, from a = (x * G) >> (S-1) = hi + carry
    (:func:`product`): dv = (a + 1) >> 1, so v + dv = (2v + 1 + hi + carry) >> 1; with A + B + carry =
    (2A + carry + 2B + 1) >> 1 that is (4v + 2 + carry + 2 hi + 1) >> 2: v with 1 and the carry appended, plus hi
    with a 1 appended."""
    hi, carry = a
    return (Cat(carry, Const(1, 1), v).as_signed() + Cat(Const(1, 1), hi).as_signed()) >> 2


def reaches_threshold(c: FixedParams, vt, a):
    """v_sum >= VTH from vt = v - VTH and a = hi + carry, without v_sum: v_sum - VTH = (2 vt + 1 + a) >> 1 (as in
    :func:`leak_sum`), and floor(y / 2) >= 0 exactly when y >= 0: the sign of one adder that works beside
    leak_sum's (written as there), so the threshold needs no compare after v + dv."""
    hi, carry = a
    return ~(Cat(carry, Const(1, 1), vt).as_signed() + Cat(Const(1, 1), hi).as_signed())[-1]


def update(m, c: FixedParams, v_sum, r, above, name="", probes=None):
    """The rest of the rule from v_sum = v + dv and the refractory counter r: clamp, threshold, reset.
    ``above``: v_sum >= VTH (:func:`reaches_threshold`). The rule compares the clamped v1 with VTH; v_sum is
    compared instead, which is the same because clamping is monotonic and VMIN < VRESET < VTH <= VMAX
    (``lifgen.params`` refuses other thresholds).
    Returns (v_new, r_new, spike): ``signed(W)``, ``max(1, ref_width)`` bits, 1 bit. With a dict as ``probes``,
    the intermediate values are put in it (``v1``, ``v_fired``, ``v_sub``) for the proofs."""
    # clamp to the W-bit range: v_sum is inside exactly when its bits from W-1 up are all equal
    top = v_sum[c.W - 1:]
    negative = v_sum[-1]
    v1 = Mux(~negative & top.any(), c.vmax, Mux(negative & ~top.all(), c.vmin, v_sum[:c.W].as_signed()))
    refractory = (r != 0) if c.ref_width else Const(0)
    spike = Signal(name=f"spike_{name}" if name else "spike")
    m.d.comb += spike.eq(~refractory & above)
    v_new = Signal(signed(c.W), name=f"v_new_{name}" if name else "v_new")
    r_new = Signal(max(1, c.ref_width), name=f"r_new_{name}" if name else "r_new")
    if c.subtract:
        v_sub = v1 - (c.VTH - c.VRESET)
        v_fired = Mux(v_sub < c.vmin, c.vmin, v_sub)
    else:
        v_sub = None
        v_fired = Const(c.VRESET, signed(c.W))
    with m.If(refractory):
        m.d.comb += [v_new.eq(c.VRESET), r_new.eq(r - 1)]
    with m.Elif(spike):
        m.d.comb += [v_new.eq(v_fired), r_new.eq(c.NREF)]
    with m.Else():
        m.d.comb += [v_new.eq(v1), r_new.eq(0)]
    if probes is not None:
        probes.update(v1=v1, v_fired=v_fired, v_sub=v_sub, refractory=refractory)
    return v_new, r_new, spike


def update_rule(m, c: FixedParams, v, r, u, probes=None):
    """The whole rule without pipeline registers: (v, r, u) -> (v_new, r_new, spike)."""
    a = product(c, leak_input(c, rest_gap(c, ~v), u))
    return update(m, c, leak_sum(c, v, a), r, reaches_threshold(c, threshold_input(c, v), a), probes=probes)
