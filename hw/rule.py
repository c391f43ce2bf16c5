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

A deeper pipeline cuts the adders themselves into pieces with registers between (:func:`add_pieces`): x (from
a carry-save step of ~v, u and VREST + 1, :func:`leak_input_terms`, so that no adder precedes it) and v - VTH in
two, the product's last level (``product(..., pieces=)``) and v + dv with its threshold (:func:`leak_in_pieces`).
On the iCE40UP5K a carry chain costs 0.28 ns a bit, a chain that starts behind a look-up table or whose carry
leaves it as a signal ~2.6 ns more, and 10 ns leave room for about 12 bits between registers.

:func:`update_rule` composes them without registers; ``lifgen.sim.formal`` proves that composition equal, for
every input, to a plain transcription of the README's rule in exact integers (and that nothing wraps).
The golden model (``lifgen.golden.fixed``) implements the same section in numpy; neither imports the other.
"""

from itertools import count

from amaranth.hdl import Cat, Const, Mux, Signal, Value, signed, unsigned

from lifgen.params import FixedParams

__all__ = ["SHIFT_ADD_GAIN_BITS", "rest_gap", "leak_input", "threshold_input", "gain_terms", "product", "leak_sum",
           "reaches_threshold", "update", "update_rule", "widen", "named", "pieces_for", "piece_cuts", "add_pieces",
           "even_pieces", "leak_input_terms", "threshold_input_terms", "leak_operands",
           "leak_in_pieces"]


def widen(value, n):
    """``value`` as n bits (n >= its width): sign-extended when it is signed, zero-extended when not; a ``Const``
    stays a ``Const`` (a pipeline stage passes constants without a register)."""
    if isinstance(value, Const):
        return Const(value.value % (1 << n), n)
    value = Value.cast(value)
    fill = value[-1] if value.shape().signed else Const(0, 1)
    return Cat(value, fill.replicate(n - len(value)))


def _bits(value, start, stop=None):
    """value[start:stop], a ``Const`` for a ``Const``."""
    if isinstance(value, Const):
        stop = len(value) if stop is None else stop
        return Const((value.value >> start) % (1 << (stop - start)), stop - start)
    return value[start:stop]


def named(m, name, value):
    """``value`` as a signal of its own (driven combinationally), a ``Const`` as it is: a value used more than
    once is then built once (Amaranth's netlist builds an expression once per use; nested, exponentially often)."""
    if isinstance(value, Const):
        return value
    signal = Signal(Value.cast(value).shape(), name=name)
    m.d.comb += signal.eq(value)
    return signal


def pieces_for(mul_stages, add_stages):
    """How many pieces ``lifgen.hw.core`` cuts each adder into for these stage counts (``CoreConfig``):
    ``(x and v - VTH, the product's last adder, v + dv and its threshold adder)``, 1 for an adder left whole."""
    return 2 if mul_stages >= 4 else 1, max(1, mul_stages - 3), 2 if add_stages >= 3 else 1


def piece_cuts(n, pieces):
    """Where to cut an n-bit sum into ``pieces`` pieces of about equal width: the bit positions, ascending."""
    pieces = max(1, min(pieces, n - 1))
    return [round(n * i / pieces) for i in range(1, pieces)]


def even_pieces(n, pieces, keep=0):
    """:func:`add_pieces` cut at :func:`piece_cuts`: ``pieces`` pieces of about equal width."""
    return add_pieces(n, piece_cuts(n, pieces), keep)


def add_pieces(n, cuts, keep=0):
    """a + b modulo 2**n (signed, n bits) as ``[first, step, ...]``: functions to run one after another, each
    taking the list of values the one before gave (``first`` takes ``[a, b]``, each at most n bits) with a
    pipeline register possibly between them, the last giving ``[sum]``: bits ``keep`` .. n-1 of the sum. ``cuts``
    (ascending, 1 .. n-1) are where the sum is cut; each piece is one carry chain from registers to registers.

    A piece ending at bit c computes bit c as well (its operands' bits 0 .. c, or from the last cut) and hands on
    that bit inverted, ``nl``, with the operands from bit c up: the next piece adds ``Cat(nl, a[c:]) + Cat(1,
    b[c:])``, whose second position's carry is maj(a[c], b[c], nl) = the carry out of bit c (a[c] = b[c]: that
    bit; else the carry into c, which is nl). So no carry leaves a chain as a signal (on the iCE40 that costs a
    look-up table and a routing hop) and the next chain starts from registers. The values between pieces are
    ``[low, nl, a_rest, b_rest]``: the sum's bits already known (from ``keep``), nl, and the operands from the
    cut up (a ``Const`` operand stays one)."""
    assert all(0 < c < n for c in cuts) and list(cuts) == sorted(set(cuts))
    bounds = [0] + list(cuts)

    def start(values):
        a, b = (widen(value, n) for value in values)
        if not cuts:
            return [(a + b)[keep:n].as_signed()]
        c = cuts[0]
        total = (a[:c + 1] + b[:c + 1])[:c + 1]
        return [total[min(keep, c):c], ~total[c], _bits(a, c), _bits(b, c)]

    def step(values, d, c):                       # the piece from the cut at d to the one at c (or to the end)
        low, nl, a_rest, b_rest = values
        r = (c if c is not None else n) - d       # bits of this piece after bit d
        width = r + 1 if c is not None else r
        total = (Cat(nl, _bits(a_rest, 0, width)) + Cat(Const(1, 1), _bits(b_rest, 0, width)))[:width + 1]
        # total[1] carries out of bit d (the sum's bit d itself is ~nl); the sum's bits d + 1 .. are total[2:]
        known = Cat(low, ~nl, total[2:r + 1])
        first = max(0, keep - (d - len(low)))     # low holds bits d - len(low) .. d - 1
        if c is None:
            return [known[first:].as_signed()]
        return [known[first:], ~total[r + 1], _bits(a_rest, r), _bits(b_rest, r)]

    return [start] + [lambda values, d=d, c=c: step(values, d, c)
                      for d, c in zip(bounds[1:], list(cuts[1:]) + [None])]


def leak_input_terms(c: FixedParams, v, u):
    """x = VREST - v + u = ~v + u + (VREST + 1) as two values with that sum modulo 2**n, n (their width) the width
    of :func:`leak_input`'s exact x: a carry-save step, one look-up table per bit, so that the adder of x
    (:func:`add_pieces`) starts from registers."""
    n = len(leak_input(c, rest_gap(c, ~v), u))
    return _carry_save([widen(~v, n), widen(u, n), Const((c.VREST + 1) % (1 << n), n)])


def threshold_input_terms(c: FixedParams, v):
    """vt = v - VTH as the two operands of one adder at the width of :func:`threshold_input`'s exact vt: v and the
    constant -VTH (for :func:`add_pieces`)."""
    n = len(threshold_input(c, v))
    return [v, Const(-c.VTH % (1 << n), n)]


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


def product(c: FixedParams, x, registers=0, register=None, wire=None, pieces=1):
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
    (a simulator then evaluates the tree below it once per use). ``pieces`` > 1: the last level is the whole sum
    s + t in that many pieces (:func:`add_pieces`), ``pieces - 1`` of the registers between them (the others are
    spread as above), and a = its bits from S-1 up, carry 0."""
    k = c.S - 1
    n = len(x) + c.gain_width + 1
    if c.gain_width > SHIFT_ADD_GAIN_BITS:
        values = [x * Const(c.G, unsigned(c.gain_width))]
        levels = [lambda values: [values[0] >> k, Const(0, 1)]]
        pieces = 1
    else:
        wide = Cat(x, x[-1].replicate(n - len(x)))        # x sign-extended to n bits
        terms = gain_terms(c.G)
        top = max(shift for shift, sign in terms)
        ones = sum(1 << shift for shift, sign in terms if sign < 0)  # < 2**top
        values = [((wide << shift)[:n] | (ones if shift == top else 0)) if sign > 0 else ((~wide) << shift)[:n]
                  for shift, sign in terms]
        levels = [_carry_save] * _carry_save_levels(len(values))
        if len(values) == 1 or pieces <= 1:
            pieces = 1
            levels += [lambda values: _split_sum(values, k, n)]
        else:
            ends = even_pieces(n, pieces, keep=k)
            pieces = len(ends)
            levels += ends[:-1] + [lambda values: [ends[-1](values)[0], Const(0, 1)]]
    # the registers between the last level's pieces, then the others spread over the levels before them
    # (a register spread to the first piece's end goes to the last one's)
    # (without registers, the levels are composed as they are)
    depth, before = len(levels), len(levels) - (pieces - 1)
    spread = registers - (pieces - 1)
    assert spread >= 0 or not registers, "fewer registers than the pieces of the last level need"
    spread_cuts = [-(-j * before // spread) for j in range(1, spread + 1)]
    cuts = sorted([cut if cut < before else depth for cut in spread_cuts] + list(range(before, before + pieces - 1)))
    if not registers:
        cuts = []
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


def leak_operands(c: FixedParams, v, a):
    """The two operands of :func:`leak_sum` (and, with vt for v, of :func:`reaches_threshold`): v with 1 and the
    product's carry appended, and the product's high part with a 1 appended (signed)."""
    hi, carry = a
    return Cat(carry, Const(1, 1), v).as_signed(), Cat(Const(1, 1), hi).as_signed()


def leak_sum(c: FixedParams, v, a):
    """v + dv with dv = (x * G + 2**(S-1)) >> S, in one adder, from a = (x * G) >> (S-1) = hi + carry
    (:func:`product`): dv = (a + 1) >> 1, so v + dv = (2v + 1 + hi + carry) >> 1; with A + B + carry =
    (2A + carry + 2B + 1) >> 1 that is (4v + 2 + carry + 2 hi + 1) >> 2: v with 1 and the carry appended, plus hi
    with a 1 appended (:func:`leak_operands`)."""
    first, second = leak_operands(c, v, a)
    return (first + second) >> 2


def reaches_threshold(c: FixedParams, vt, a):
    """v_sum >= VTH from vt = v - VTH and a = hi + carry, without v_sum: v_sum - VTH = (2 vt + 1 + a) >> 1 (as in
    :func:`leak_sum`), and floor(y / 2) >= 0 exactly when y >= 0: the sign of one adder that works beside
    leak_sum's (written as there), so the threshold needs no compare after v + dv."""
    first, second = leak_operands(c, vt, a)
    return ~(first + second)[-1]


def leak_in_pieces(c: FixedParams, v, vt, a, pieces):
    """:func:`leak_sum` and :func:`reaches_threshold`, each adder in ``pieces`` pieces (:func:`add_pieces`): a list
    of functions to run one after another on ``[v, vt, a's hi, a's carry]``, with pipeline registers possibly
    between them; the last gives ``[v_sum, above]``."""
    def operands(values):
        v, vt, hi, carry = values
        return leak_operands(c, v, (hi, carry)) + leak_operands(c, vt, (hi, carry))
    v, vt = Value.cast(v), Value.cast(vt)
    hi, carry = a
    first, second, third, fourth = operands([v, vt, hi, carry])
    n_sum, n_above = max(len(first), len(second)) + 1, max(len(third), len(fourth)) + 1
    sums = even_pieces(n_sum, pieces, keep=2)
    above = even_pieces(n_above, pieces, keep=n_above - 1)
    count = len(sums)
    assert len(above) == count                    # both are wide enough for every cut piece_cuts makes

    def piece(i, values):
        if i == 0:
            first, second, third, fourth = operands(values)
            left, right = [first, second], [third, fourth]
        else:
            half = len(values) // 2
            left, right = values[:half], values[half:]
        left, right = sums[i](left), above[i](right)
        if i == count - 1:
            return [left[0], ~right[0][-1]]
        return left + right
    return [lambda values, i=i: piece(i, values) for i in range(count)]


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


def update_rule(m, c: FixedParams, v, r, u, probes=None, pieces=(1, 1, 1)):
    """The whole rule without pipeline registers: (v, r, u) -> (v_new, r_new, spike). ``pieces``: how many pieces
    each adder is cut into, as :func:`pieces_for` gives them for the stage counts of ``lifgen.hw.core``: the rule
    composed as that pipeline builds it, less its registers."""
    x_pieces, product_pieces, leak_pieces = pieces
    names = count()

    def wire(values):              # each level's values as signals: the next level uses them more than once
        return [named(m, f"rule{next(names)}", value) for value in values]

    def run(pieces, values):
        for piece in pieces:
            values = wire(piece(values))
        return values

    if x_pieces > 1:
        s, t = leak_input_terms(c, v, u)
        x, = run(even_pieces(len(s), x_pieces), wire([s, t]))
        terms = threshold_input_terms(c, v)
        vt, = run(even_pieces(len(terms[1]), x_pieces), terms)
    else:
        x, = wire([leak_input(c, rest_gap(c, ~v), u)])
        vt = threshold_input(c, v)
    a = product(c, x, wire=wire, pieces=product_pieces)
    if leak_pieces > 1:
        v_sum, above = run(leak_in_pieces(c, v, vt, a, leak_pieces), [v, vt, *a])
    else:
        v_sum, above = leak_sum(c, v, a), reaches_threshold(c, vt, a)
    return update(m, c, v_sum, r, above, probes=probes)
