# SPDX-License-Identifier: BSD-2-Clause
"""The integer update rule of one neuron as logic (README.md, section "The integer update rule").

The rule is cut into the pieces the pipeline of :class:`lifgen.hw.core.LIFArray` puts registers between::

    x     = leak_input(c, v, u)          VREST - v + u, exact
    vt    = threshold_input(c, v)        v - VTH, exact, beside x
    p     = product(c, x)                x * G, exact: a tree of shifted additions (gain_terms), no multiplier
    v_sum = leak_sum(c, v, p)            v + ((p + 2**(S-1)) >> S), exact, in one adder
    above = reaches_threshold(c, vt, p)  v_sum >= VTH, in a second adder beside that one
    v_new, r_new, spike = update(m, c, v_sum, r, above)    clamp, threshold, reset, refractory

:func:`update_rule` composes them without registers; ``lifgen.sim.formal`` proves that composition equal, for
every input, to a plain transcription of the README's rule in exact integers (and that nothing wraps).
The golden model (``lifgen.golden.fixed``) implements the same section in numpy; neither imports the other.
"""

from amaranth.hdl import Cat, Const, Mux, Signal, signed, unsigned

from lifgen.params import FixedParams

__all__ = ["SHIFT_ADD_GAIN_BITS", "leak_input", "threshold_input", "gain_terms", "product", "leak_sum",
           "reaches_threshold", "update", "update_rule"]


def leak_input(c: FixedParams, v, u):
    """x = VREST - v + u (Amaranth widens: exact)."""
    return c.VREST - v + u


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


def product(c: FixedParams, x, registers=0, register=None):
    """p = x * G (exact). For G of up to :data:`SHIFT_ADD_GAIN_BITS` bits without a multiplier: the terms
    ``sign * (x << shift)`` of :func:`gain_terms`, added pairwise in a balanced tree (ceil(log2(terms)) adder
    levels; an iCE40HX has no DSP, and a tree cut by registers is faster than the iCE40UP's and ECP5's DSPs
    without theirs). All sums are taken modulo 2**n, n the width of the exact product
    (signed(len(x) + gain_width)): the true product fits in n bits, so the result is exact whatever the partial
    sums do. A wider G is one multiplication ``x * G``: the proof that a tree equals it
    (``lifgen.sim.formal.RuleProof``) takes seconds for G of 10 bits and more than minutes for 16.

    ``registers``: pipeline registers to put into the tree, spread evenly over its levels (after level
    ceil(k * depth / registers) for k = 1 .. registers; with more registers than levels the rest follow the last
    level); ``register(values) -> values`` registers one level of partial sums. The result is then ``registers``
    cycles after ``x``."""
    n = len(x) + c.gain_width
    if c.gain_width > SHIFT_ADD_GAIN_BITS:
        level = [x * Const(c.G, unsigned(c.gain_width))]
    else:
        level = [(x << shift if sign > 0 else -(x << shift))[:n].as_signed() for shift, sign in gain_terms(c.G)]
    depth = (len(level) - 1).bit_length()                 # adder levels
    cuts = [-(-k * depth // registers) for k in range(1, registers + 1)]
    for done in range(depth + 1):
        for _ in range(cuts.count(done)):
            level = register(level)
        if done < depth:
            level = [(level[i] + level[i + 1])[:n].as_signed() if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
    return level[0]


def leak_sum(c: FixedParams, v, p):
    """v + dv with dv = (p + 2**(S-1)) >> S, in one adder: with a = p >> (S-1) (wiring),
    dv = (a + 1) >> 1, so v + dv = (2v + 1 + a) >> 1, and 2v + 1 is v with a 1 appended."""
    a = p >> (c.S - 1)                                 # arithmetic: p is signed
    return (Cat(Const(1, 1), v).as_signed() + a) >> 1


def reaches_threshold(c: FixedParams, vt, p):
    """v_sum >= VTH from vt = v - VTH and p, without v_sum: v_sum - VTH = (2 vt + 1 + a) >> 1 with a = p >> (S-1)
    (as in :func:`leak_sum`), and floor(y / 2) >= 0 exactly when y >= 0: the sign of one adder that works beside
    leak_sum's, so the threshold needs no compare after v + dv."""
    a = p >> (c.S - 1)
    return ~(Cat(Const(1, 1), vt).as_signed() + a)[-1]


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
    p = product(c, leak_input(c, v, u))
    return update(m, c, leak_sum(c, v, p), r, reaches_threshold(c, threshold_input(c, v), p), probes=probes)
