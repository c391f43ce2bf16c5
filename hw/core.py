# SPDX-License-Identifier: BSD-2-Clause
"""The LIF neuron array: one pipelined datapath per lane updates N neurons per time step, P neurons per clock.

Implements README.md, section "The integer update rule", bit for bit (the golden model,
``lifgen.golden.fixed``, implements the same section; neither imports the other). Cycle timing is
defined by :class:`lifgen.params.CoreTiming`; README.md, section "The pipeline", has the diagram.

Design
------
Per-neuron state lives in a storage (``lifgen.hw.storage``: inferred block RAM, or the iCE40UP5K's SPRAMs)
that serves P lanes at once: group g is neurons g*P .. g*P + P - 1, lane j holds neuron g*P + j. A step walks
the group index through these stages, one group per cycle (initiation interval 1)::

    issue   decide to issue group g (when the FIFOs have room for everything in flight)
    send    present group g's row to the storage (a cycle after the decision: ``CoreTiming.ISSUE_CYCLES``)
    read    storage outputs valid (v, r, u per lane) ``storage_cycles`` later
    ram     ``CoreTiming.ram_regs`` registers on the storage output; with two or more the last also holds
            VREST - v and v - VTH (computed from the one before), so that each register is one adder from the next
            (with ``mul_stages`` >= 4: x's two carry-save terms instead)
    mul     x = (VREST - v) + u, and ``mul_stages`` registers around the product (x * G) >> (S-1) (0..6): with
            two or more, the first holds x and the others sit between the product's levels
            (``lifgen.hw.rule.product``); with four or more, one before x holds the first pieces of x and v - VTH
            (``lifgen.hw.rule.add_pieces``); with five and six, the product's last adder is in two and three pieces
    add     ``add_stages`` registers (0..3): after v + dv and its threshold adder, after clamp, threshold and reset;
            with three, one between two pieces of both adders
    commit  dv = (x*G + 2**(S-1)) >> S, clamp, threshold, reset, refractory, per lane;
            write v, r back; push the group's spikes (one FIFO entry: group, lane mask, step) and,
            with tracing, its trace (group, lane mask, P voltages)

Each output FIFO is followed by an unpacker that sends a group's events one per cycle in increasing lane order,
so the streams carry one event per transfer in increasing neuron order, whatever P.

Hazards: a neuron is read once and written once per step, and a new step is only accepted once
``busy`` is low, i.e. after the last commit of the previous one. So no read can overtake a pending
write-back of the same neuron, whatever N (N = 1 included); the price is L idle cycles per step.

Backpressure: nothing after the issue stage ever waits. A group is issued only when each FIFO has a free entry
for it and for every group already in flight (a credit counter per FIFO), so a commit always finds room:
a slow consumer holds the issue stage back, never the pipeline (no global clock enable), and nothing is dropped
or pushed twice.

Reset: after ``rst`` the core writes v = VREST, r = 0, u = 0 into every neuron, one storage row per cycle,
with ``busy`` high; only then is a step accepted.
"""

from itertools import count

from amaranth.hdl import Array, Assert, Assume, Cat, Const, Cover, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from lifgen.errors import refused_quietly
from lifgen.params import ROOM_SLACK_CREDITS, STEP_BITS, CoreConfig, FixedParams, check_storage, index_bits

from .counter import SplitCounter
from .fifo import EventFIFO
from .layouts import cur_layout, spike_layout, trace_layout
from .rule import (even_pieces, leak_in_pieces, leak_input, leak_input_terms, leak_sum, named, pieces_for, product,
                   reaches_threshold, rest_gap, threshold_input, threshold_input_terms, update, widen)
from .storage import make_storage

__all__ = ["LIFArray"]


class LIFArray(wiring.Component):
    """N time-multiplexed LIF neurons.

    Parameters
    ----------
    constants : FixedParams
        The quantised rule (``LIFParams(...).fixed``).
    neurons : int
        N >= 1.
    config : CoreConfig
        Core options (``lifgen.params.CoreConfig``): the ``trace`` stream (v of every neuron after every
        update), ``mul_stages`` (registers around the product, 0..3), ``lanes`` (P), ``storage``,
        ``spike_fifo_depth`` and ``trace_depth`` (entries of the output FIFOs, >= 2, one group each).
    behavioural : bool
        Use Amaranth models of vendor primitives (the SPRAMs of ``storage="spram"``) so that Amaranth's simulator
        can run the design; the default emits the primitives themselves.

    Members (the port contract; the same for every P and every storage)
    -------------------------------------------------------------------
    step : In(1)
        A step starts in a cycle where ``step`` is high and ``busy`` low.
    busy : Out(1)
        High from the cycle after a step is accepted until its last neuron has committed
        (its spike event, if any, is in the FIFO); high during the post-reset clear.
    cur : In(stream.Signature(cur_layout))
        Input writes ``(neuron, u)``; ready while not busy. A write accepted in or before the cycle
        a step is accepted applies to that step and every later one until rewritten. Writes to
        neuron indices >= N are accepted and ignored.
    spikes : Out(stream.Signature(spike_layout))
        ``(neuron, step mod 2**STEP_BITS)`` events: increasing neuron order within a step, steps in order.
    trace : Out(stream.Signature(trace_layout)), only with ``config.trace``
        ``(neuron, v)`` after every update, same order, one event per neuron per step.
    peek_addr : In(A), peek_v : Out(signed(W)), only with ``config.peek``
        While ``busy`` is low, ``peek_v`` shows v of neuron ``peek_addr`` as it was ``timing.storage_cycles``
        cycles earlier (1; 4 with SPRAM storage): the storage's read port, shared with the pipeline, which uses
        it only while a step runs.

    Raises ``TypeError`` for constants that are not a ``FixedParams`` and
    ``lifgen.errors.ParameterError`` (a ``ValueError``) for a bad neuron count or a storage these constants
    cannot use (``lifgen.params.check_storage``).
    """

    def __init__(self, constants: FixedParams, neurons: int, config: CoreConfig = CoreConfig(), *,
                 behavioural: bool = False):
        with refused_quietly(self):
            if not isinstance(constants, FixedParams):
                raise TypeError(f"constants must be a FixedParams, not {constants!r}")
            if not isinstance(config, CoreConfig):
                raise TypeError(f"config must be a CoreConfig, not {config!r}")
            self.timing = config.timing(neurons)                # validates neurons
            check_storage(constants, neurons, config)
        self.constants = constants
        self.neurons = neurons
        self.config = config
        self.behavioural = behavioural
        self.formal_covers = True                     # see _properties
        self.formal_watch = False                     # see _watch
        self.formal_watch_rule = False                # see _watch
        self.index_bits = index_bits(neurons)
        members = {
            "step": In(1),
            "busy": Out(1),
            "cur": In(stream.Signature(cur_layout(neurons, constants.W))),
            "spikes": Out(stream.Signature(spike_layout(neurons))),
        }
        if config.trace:
            members["trace"] = Out(stream.Signature(trace_layout(neurons, constants.W)))
        if config.peek:
            members["peek_addr"] = In(self.index_bits)
            members["peek_v"] = Out(signed(constants.W))
        super().__init__(members)

    @property
    def has_trace(self):
        return self.config.trace

    @property
    def latency(self):
        return self.timing.latency

    def elaborate(self, platform):
        m = Module()
        c, tm = self.constants, self.timing
        N, W, P, A = self.neurons, c.W, self.config.lanes, self.index_bits
        groups = tm.groups
        st = make_storage(c, N, self.config, behavioural=self.behavioural)
        st.elaborate(m)

        # ---- output FIFOs of groups, each followed by an unpacker ------------------------------------
        # an entry names its group by `first`: the group index when P is a power of two (the neuron index is then
        # wiring), else the group's first neuron, g * P, counted alongside the group (no multiplier on the output)
        pow2 = P & (P - 1) == 0
        first_shape = range(groups) if pow2 else range(groups * P)
        # `single`: the mask has one lane (computed before the FIFO, so nothing but a register follows its memory)
        # `lane`: the mask's lowest lane (with lanes; likewise computed before the FIFO)
        lane_field = {"lane": range(P)} if P > 1 else {}
        spike_entry = data.StructLayout({"first": first_shape, "mask": unsigned(P), "single": unsigned(1), **lane_field,
                                         "step": unsigned(STEP_BITS)})
        m.submodules.spike_fifo = spike_fifo = EventFIFO(
            width=spike_entry.size, depth=self.config.spike_fifo_depth)
        _unpack(m, spike_fifo, spike_entry, P, self.spikes,
                lambda entry, lane: {"neuron": _neuron(entry.first, lane, P, A), "step": entry.step})
        fifos = [spike_fifo]
        if self.has_trace:
            trace_entry = data.StructLayout({"first": first_shape, "mask": unsigned(P), "single": unsigned(1),
                                             **lane_field,
                                             "v": data.ArrayLayout(signed(W), P)})
            m.submodules.trace_fifo = trace_fifo = EventFIFO(
                width=trace_entry.size, depth=self.config.trace_depth)
            _unpack(m, trace_fifo, trace_entry, P, self.trace,
                    lambda entry, lane: {"neuron": _neuron(entry.first, lane, P, A), "v": entry.v[lane]})
            fifos.append(trace_fifo)

        # ---- control -------------------------------------------------------------------------
        clearing = Signal(init=1)                      # post-reset clear in progress
        m.submodules.clear_counter = clear_counter = SplitCounter(tm.clear_cycles, at=(tm.clear_cycles - 1,))
        clear_row = clear_counter.value
        running = Signal()                             # a step is in the pipeline
        issuing = Signal()                             # the issue stage holds a valid group
        # the number of the step being run (mod 2**STEP_BITS), counted in two halves: the high one a cycle after the
        # low one wraps (`step_wrap`), before any commit of the next step can read it (no 16-bit carry chain)
        step_lo, step_hi = Signal(STEP_BITS // 2), Signal(STEP_BITS - STEP_BITS // 2)
        step_wrap = Signal()
        step_no = Cat(step_lo, step_hi)

        accept = Signal()
        busy = Signal(init=1)                          # clearing | running, as a register of its own
        m.d.comb += [
            self.busy.eq(busy),
            accept.eq(self.step & ~busy),
        ]
        # clear_row == clear_cycles - 1, a register (lifgen.hw.counter): no wide compare before `busy`
        clear_last = clear_counter.hits[0]
        clear_done = clearing & clear_last
        step_done = Signal()                           # the last group commits (driven below)
        m.d.sync += busy.eq(accept | (busy & ~clear_done & ~step_done))

        m.d.comb += clear_counter.en.eq(clearing)
        with m.If(clearing):
            with m.If(clear_done):
                m.d.sync += clearing.eq(0)
        m.d.comb += [st.clear_en.eq(clearing), st.clear_row.eq(clear_row)]

        # ---- issue: only with room for this group and all in flight in every FIFO ----------------
        # The issue stage decides in one cycle (`go`, one gate of three registers) and presents the group to the
        # storage in the next: `went`, `sent` (the group) and `sent_last` are the first pipeline registers. The
        # counter of the groups sent counts `went` and restarts on `cleared` (the last cycle's `accept`), so every
        # input of its logic is a register (lifgen.hw.counter.SplitCounter); `issue_grp`, the next group to
        # issue, is then `sent + went` (or 0 after `cleared`), which only the proofs compute.
        #
        # Credits: one per FIFO entry, depth - 1 of them (an EventFIFO may take a write while its memory of depth - 1
        # entries has room; the entry at its output is not counted). Issuing a group takes a credit from
        # every FIFO; a commit that pushes nothing returns it, and an entry leaving the FIFO returns one a cycle
        # later (`took`, a register: the unpacker's read decision meets nothing else).
        # Invariant: credits + changes + took + groups in flight + entries in the FIFO = depth - 1, where a FIFO's
        # `change` is a register holding the last cycle's credits returned less the credit taken then (-1..2), added
        # to the counter a cycle later: so `go` meets no adder.
        # `room` says every FIFO has a credit for the next group: for a FIFO deep enough that a step at the full rate
        # never comes near its end (CoreTiming.room_slack) it is a compare of the last cycle's counter with
        # ROOM_SLACK_CREDITS (one look-up table or two, no `go`); else it is exact, `go` in its last gate.
        credits = [Signal(range(fifo.depth), init=fifo.depth - 1, name=f"credits{k}") for k, fifo in enumerate(fifos)]
        # set at commit, below; no reset (on the iCE40 a reset merged with the register's own zero into the
        # flip-flop's reset pin is a look-up table and a long route): 0 from the first cycle of the clear on, since
        # nothing is in flight then, and the credits are loaded while the core clears
        changes = [Signal(signed(3), name=f"change{k}", reset_less=True) for k in range(len(fifos))]
        tooks = [Signal(name=f"took{k}") for k in range(len(fifos))]
        room = Signal(init=1)                           # every FIFO has a credit for a group issued now
        go = Signal()
        # with SPRAM storage a read must never meet the write-back in its bank: the read-to-write distance is odd
        # (CoreTiming.ram_regs), so it never does while the issue stage waits an even number of cycles at a time;
        # `hold` makes every wait a pair (a wait not itself held holds the next cycle)
        hold = Signal()
        m.d.comb += go.eq(issuing & room & ~hold)
        if st.needs_even_waits:
            m.d.sync += hold.eq(issuing & ~room & ~hold)
        slack = [tm.room_slack(fifo.depth) for fifo in fifos]
        empty_next = []
        for credit, change, loose, fifo in zip(credits, changes, slack, fifos):
            fifo_credits = fifo.depth - 1
            # two registers added (credit >= 0 always), modulo 2**len(credit) with change's sign bit repeated: a
            # signed sum would put a look-up table in front of the carry chain
            width = len(credit)
            m.d.sync += credit.eq(Mux(clearing, fifo_credits, credit + widen(change, max(width, len(change)))[:width]))
            if loose:
                empty_next.append(credit < ROOM_SLACK_CREDITS)
                continue
            # no credit is left next cycle exactly when credit + change <= go (credit + change - go is never
            # negative): compares of the registers with small constants, no carry chain, `go` in the final gate
            c0, c1, c2 = credit == 0, credit == 1, credit == 2
            dn, dz = change == -1, change == 0
            empty_next.append(Mux(go, c0 | (c1 & (dn | dz)) | (c2 & dn), (c0 & (dn | dz)) | (c1 & dn)))
        # while the core clears, the credits are loaded and the changes settle to 0 (their first cycle may hold
        # what was in flight at a reset): `room` then says yes, as the full credits after the clear do
        m.d.sync += room.eq(clearing | ~Cat(empty_next).any())
        issue_last = Signal()                           # issue_grp == groups - 1
        went, cleared, sent_last = Signal(), Signal(), Signal()
        m.d.sync += [went.eq(go), cleared.eq(accept), sent_last.eq(issue_last)]
        m.submodules.sent_counter = sent_counter = SplitCounter(groups, at=(groups - 2, groups - 3), reset_less=True)
        m.d.comb += [sent_counter.en.eq(went), sent_counter.clear.eq(cleared)]
        sent = sent_counter.value                       # the group presented to the storage (when `went`)
        sent_first = Signal(range(groups * P))         # sent * P (used when P is not a power of two)
        m.d.sync += sent_first.eq(Mux(cleared, 0, Mux(went, sent_first + P, sent_first)))
        # issue_grp == groups - 2 from the counter's registered compares of `sent` with groups - 2 and groups - 3
        was = {2: sent_counter.hits[0], 3: sent_counter.hits[1]}
        before_last = _before_last(cleared, went, was, groups)
        with m.If(accept):
            m.d.sync += [running.eq(1), issuing.eq(1), issue_last.eq(groups == 1)]
        with m.Elif(go):
            m.d.sync += issue_last.eq(before_last)
            with m.If(issue_last):
                m.d.sync += issuing.eq(0)
        m.d.comb += st.rd_addr.eq(sent)
        if self.config.peek:
            m.d.comb += [st.peek_en.eq(~running), st.peek_addr.eq(self.peek_addr), self.peek_v.eq(st.peek_v)]

        # ---- read: storage outputs are valid ------------------------------------------------------
        # A pipeline stage is a dict of registers loaded every cycle (nothing after the issue stage waits).
        in_flight = []                                 # (valid, group) of every stage, in order (for the proofs)

        def stage(name, **fields):                     # (a constant passes: it needs no register)
            # every register is reset: without a reset on the data registers (only on `valid` and `push`) the
            # 6-lane ECP5 array fell from 168.1 to 127.4 MHz (seed 2), its registers beside the DP16KD blocks placed
            # across the die (DEVELOPERS.md, "Timing closure notes")
            regs = {k: v if isinstance(v, Const) else Signal(v.shape(), name=f"{name}_{k}") for k, v in fields.items()}
            m.d.sync += [regs[k].eq(v) for k, v in fields.items() if not isinstance(v, Const)]
            if "valid" in regs:
                in_flight.append((regs["valid"], regs["grp"]))
            return regs

        ctrl = dict(valid=went, grp=sent, last=sent_last)
        if not pow2:
            ctrl["first"] = sent_first
        in_flight.append((went, sent))
        for k in range(tm.storage_cycles):
            ctrl = stage(f"rd{k}", **ctrl)
        lanes = [dict(v=st.rd_v[j], r=st.rd_r[j], u=st.rd_u[j]) for j in range(P)]
        read = ctrl, lanes                             # the storage's answer (for the proofs)
        def differences(lane):                         # VREST - v and v - VTH, beside v (one adder each)
            nv = lane.pop("nv", None)
            return dict(lane, gap=rest_gap(c, ~lane["v"] if nv is None else nv), vt=threshold_input(c, lane["v"]))
        # with two or more RAM registers the last holds them, and the one before it also ~v (for rest_gap: no
        # inverter in front of the adder); else they are computed on the way to x. With four multiply registers or
        # more, x and v - VTH are added in two pieces each (below), and the last RAM register holds x's two
        # carry-save terms instead (so that x's adder starts from registers)
        x_pieces, product_pieces, leak_pieces = pieces_for(tm.mul_stages, tm.add_stages)
        pieces_x = x_pieces > 1
        early = tm.ram_regs >= 2 and not pieces_x

        def terms(lane):                              # x = s + t (modulo 2**n), beside v, r
            s, t = leak_input_terms(c, lane["v"], lane["u"])
            return dict(v=lane["v"], r=lane["r"], s=s, t=t)
        for k in range(tm.ram_regs):
            ctrl = stage(f"ram{k}", **ctrl)
            if early and k == tm.ram_regs - 2:
                lanes = [dict(lane, nv=~lane["v"]) for lane in lanes]
            if early and k == tm.ram_regs - 1:
                lanes = [differences(lane) for lane in lanes]
            if pieces_x and k == tm.ram_regs - 1:
                lanes = [terms(lane) for lane in lanes]
            lanes = [stage(f"ram{k}_l{j}", **lane) for j, lane in enumerate(lanes)]
        if not early and not pieces_x:
            lanes = [differences(lane) for lane in lanes]
        if pieces_x and not tm.ram_regs:
            lanes = [terms(lane) for lane in lanes]

        # ---- mul: x = VREST - v + u and the product x * G; with two or more multiply registers the first one
        # holds x, the others sit inside the product (lifgen.hw.rule.product); with four or more, a register before
        # that one holds the first pieces of x and v - VTH (lifgen.hw.rule.add_pieces), and with five or more the
        # product's last level is cut into mul_stages - 3 pieces ------------------------------------------------
        if pieces_x:
            x_adder = even_pieces(len(lanes[0]["s"]), x_pieces)       # two pieces, the register "xlow" between
            vt_terms = [threshold_input_terms(c, lane["v"]) for lane in lanes]
            vt_adder = even_pieces(len(vt_terms[0][1]), x_pieces)
            lanes = [dict(v=lane["v"], r=lane["r"], **_numbered("x", x_adder[0]([lane["s"], lane["t"]])),
                          **_numbered("vt", vt_adder[0](terms))) for lane, terms in zip(lanes, vt_terms)]
            ctrl = stage("xlow", **ctrl)
            lanes = [stage(f"xlow_l{j}", **lane) for j, lane in enumerate(lanes)]
            lanes = [dict(v=lane["v"], r=lane["r"], x=named(m, f"x_l{j}", x_adder[1](_fields(lane, "x"))[0]),
                          vt=vt_adder[1](_fields(lane, "vt"))[0]) for j, lane in enumerate(lanes)]
        else:
            lanes = [dict(v=lane["v"], r=lane["r"], x=named(m, f"x_l{j}", leak_input(c, lane["gap"], lane["u"])),
                          vt=lane["vt"]) for j, lane in enumerate(lanes)]
        if tm.mul_stages >= 2:
            ctrl = stage("x", **ctrl)
            lanes = [stage(f"x_l{j}", **lane) for j, lane in enumerate(lanes)]
        # v, r, v - VTH and the control pass as many registers beside the product's tree as it has inside
        tree_regs = tm.mul_stages - (tm.mul_stages >= 2) - pieces_x
        products = []
        for j, lane in enumerate(lanes):
            level_no, level_name = iter(range(tree_regs)), count()

            def register(values, j=j):
                k = next(level_no)
                return list(stage(f"mul{k}_l{j}", **{f"p{i}": value for i, value in enumerate(values)}).values())

            def wire(values, j=j):
                k = next(level_name)
                return [named(m, f"level{k}_l{j}_p{i}", value) for i, value in enumerate(values)]
            products.append(product(c, lane["x"], tree_regs, register, wire, pieces=product_pieces))
        for k in range(tree_regs):
            ctrl = stage(f"mul{k}", **ctrl)
            lanes = [stage(f"mul{k}_l{j}_vr", v=lane["v"], r=lane["r"], vt=lane["vt"]) for j, lane in enumerate(lanes)]
        lanes = [dict(v=lane["v"], r=lane["r"], vt=lane["vt"], a=a) for lane, a in zip(lanes, products)]

        # ---- update: v + dv and, beside it, whether that reaches VTH; then clamp, threshold and reset;
        # ``add_stages`` registers between (with three, the first sits between the two pieces of both adders) ------
        if leak_pieces > 1:
            parts = leak_in_pieces(c, lanes[0]["v"], lanes[0]["vt"], lanes[0]["a"], leak_pieces)
            assert len(parts) == 2                      # the one register of add_stages 3 between them
            lanes = [dict(r=lane["r"], **_numbered("s", parts[0]([lane["v"], lane["vt"], *lane["a"]])))
                     for lane in lanes]
            ctrl = stage("half", **ctrl)
            lanes = [stage(f"half_l{j}", **lane) for j, lane in enumerate(lanes)]
            lanes = [dict(zip(("v_sum", "above"), parts[1](_fields(lane, "s"))), r=lane["r"]) for lane in lanes]
            lanes = [dict(v_sum=named(m, f"v_sum_l{j}", lane["v_sum"]), above=named(m, f"above_l{j}", lane["above"]),
                          r=lane["r"]) for j, lane in enumerate(lanes)]
        else:
            lanes = [dict(v_sum=named(m, f"v_sum_l{j}", leak_sum(c, lane["v"], lane["a"])),
                          above=named(m, f"above_l{j}", reaches_threshold(c, lane["vt"], lane["a"])), r=lane["r"])
                     for j, lane in enumerate(lanes)]
        if tm.add_stages >= 1:
            ctrl = stage("sum", **ctrl)
            lanes = [stage(f"sum_l{j}", **lane) for j, lane in enumerate(lanes)]
        lanes = [dict(zip(("v_new", "r_new", "spike"), update(m, c, lane["v_sum"], lane["r"], lane["above"],
                                                                       name=f"l{j}")))
                 for j, lane in enumerate(lanes)]
        partial = N - (groups - 1) * P                 # lanes present in the last group

        def presence(ctrl):                            # the lanes of the group that hold a neuron
            return Cat(ctrl["valid"] & (~ctrl["last"] | Const(int(j < partial))) for j in range(P))
        if tm.add_stages >= 2:
            # the last register also holds whether the group pushes a spike entry (the FIFO's write enable then
            # comes straight from a register)
            pushes = (Cat(lane["spike"] for lane in lanes) & presence(ctrl)).any()
            ctrl = stage("upd", **ctrl, push=pushes)
            lanes = [stage(f"upd_l{j}", **lane) for j, lane in enumerate(lanes)]

        # ---- commit: write back, push the group's events -----------------------------------------------
        valid = ctrl["valid"]
        present = presence(ctrl)
        spikes = [lane["spike"] & present[j] for j, lane in enumerate(lanes)]
        trace_v = [lane["v_new"] for lane in lanes]
        m.d.comb += [st.wr_v[j].eq(lane["v_new"]) for j, lane in enumerate(lanes)]
        m.d.comb += [st.wr_r[j].eq(lane["r_new"]) for j, lane in enumerate(lanes)]
        m.d.comb += [st.wr_en.eq(valid), st.wr_addr.eq(ctrl["grp"])]

        spike_mask = Cat(spikes)
        spike_push = Signal(spike_entry)
        m.d.comb += [
            spike_push.first.eq(ctrl["grp"] if pow2 else ctrl["first"]), spike_push.mask.eq(spike_mask),
            spike_push.single.eq(_one_lane(spike_mask)), spike_push.step.eq(step_no),
            *([spike_push.lane.eq(_lowest(spike_mask))] if P > 1 else []),
            spike_fifo.w_data.eq(spike_push.as_value()),
            spike_fifo.w_en.eq(ctrl["push"] if "push" in ctrl else spike_mask.any()),
        ]
        if self.has_trace:
            trace_push = Signal(trace_entry)
            m.d.comb += [trace_push.first.eq(ctrl["grp"] if pow2 else ctrl["first"]), trace_push.mask.eq(present),
                         trace_push.single.eq(_one_lane(present))]
            if P > 1:
                m.d.comb += trace_push.lane.eq(_lowest(present))
            m.d.comb += [trace_push.v[j].eq(v) for j, v in enumerate(trace_v)]
            m.d.comb += [trace_fifo.w_data.eq(trace_push.as_value()), trace_fifo.w_en.eq(valid)]
        for change, took, fifo in zip(changes, tooks, fifos):      # credits come back late (safe)
            m.d.sync += took.eq(fifo.r_en & fifo.r_rdy)
            returned = (valid & ~fifo.w_en) + took
            # `go` picks between finished values (in the last look-up table) instead of entering the adder
            m.d.sync += change.eq(Mux(go, returned - 1, returned))
        m.d.comb += step_done.eq(valid & ctrl["last"])
        with m.If(step_done):
            m.d.sync += running.eq(0)
        # step_lo.all() as a register: step_lo last changed at the previous step's end, two cycles or more before
        # this one's (a step takes groups + L >= 2 cycles), so the register is current whenever step_done is high
        lo_full = Signal()
        m.d.sync += [step_lo.eq(Mux(step_done, step_lo + 1, step_lo)), lo_full.eq(step_lo.all()),
                     step_wrap.eq(step_done & lo_full), step_hi.eq(Mux(step_wrap, step_hi + 1, step_hi))]

        # ---- input writes ---------------------------------------------------------------------
        m.d.comb += [
            self.cur.ready.eq(~self.busy),
            st.in_en.eq(self.cur.valid & self.cur.ready & (self.cur.payload.neuron < N)),
            st.in_neuron.eq(self.cur.payload.neuron),
            st.in_u.eq(self.cur.payload.u),
        ]

        # ---- properties, proved by `make formal` (lifgen.sim.formal) -------------------------------
        if platform == "formal":
            issue_grp = Mux(cleared, 0, sent + went)[:len(sent)]    # the next group to issue
            # the counter of groups sent has been cleared since the step began (it has no reset)
            m.d.comb += Assert(~running | cleared | sent_counter.started)
            m.d.comb += [Assert(~(went & st.conflict)),                 # no read meets a write in its SPRAM bank
                         Assert(busy == (clearing | running)),         # and the other flags computed a cycle ahead
                         Assert(~clearing | (clear_last == (clear_row == tm.clear_cycles - 1))),
                         Assert(~issuing | (before_last == (issue_grp == groups - 2))),
                         Assert(~step_wrap | ~valid)]           # no commit reads the step number half counted
            step_no = Cat(step_lo, step_hi + step_wrap)[:STEP_BITS]
            self._properties(m, fifos, credits, changes, tooks, in_flight, room=room, issuing=issuing,
                             running=running,
                             clearing=clearing, issue_grp=issue_grp, issue_last=issue_last, accept=accept,
                             step_no=step_no, commit=ctrl, lanes=lanes, present=present)
            if self.formal_watch:
                self._watch(m, read, ctrl, lanes, present, accept=accept, step_no=step_no, running=running)
        return m

    def _watch(self, m, read, commit, lanes, present, *, accept, step_no, running):
        """End-to-end checks on one neuron w, any index below N chosen by the solver (bounded model checking from
        reset, ``lifgen.sim.formal.check_watched_neuron``; ``formal_watch`` turns them on). A shadow holds what w's
        state must be: v = VREST, r = 0, u = 0 after reset; u the last input write to w accepted (writes are only
        accepted while not busy, so before the step that uses them); v and r what the last commit of w wrote.
        Asserted: the storage returns exactly the shadow whenever w is read (so nothing else overwrites w's words,
        whatever the bypass, collision and reset behaviour of the storage); every spike event and trace event of w
        leaving the streams is the next one committed, with its step number and v; and once the array has been
        idle with nothing on ``spikes`` for ``fifo_latency + 1`` cycles, no committed spike of w is still missing.
        With ``formal_watch_rule`` also asserted: the commit of w writes what the rule
        (``lifgen.hw.rule.update_rule``, proved equal to the README's rule by ``lifgen.sim.formal.RuleProof``)
        gives for the shadow, so the pipeline feeds the rule w's own v, r and u; this second copy of the rule makes
        the search several times slower, so it runs at a small W. A cover shows a refractory period ending where
        it is one step long (NREF = 1)."""
        from amaranth.asserts import AnyConst                # amaranth.hdl does not export it (0.5)
        c, N, P = self.constants, self.neurons, self.config.lanes
        w = Signal(range(N))
        m.d.comb += w.eq(AnyConst(range(N)))
        m.d.comb += Assume(w < N)
        v, r, u = Signal(signed(c.W), init=c.VREST), Signal(max(1, c.ref_width)), Signal(signed(c.W))
        with m.If(self.cur.valid & self.cur.ready & (self.cur.payload.neuron == w)):
            m.d.sync += u.eq(self.cur.payload.u)

        if self.formal_watch_rule:
            from .rule import update_rule
            want_v, want_r, want_spike = update_rule(m, c, v, r if c.ref_width else Const(0, 1), u)

        def neuron(ctrl, j):                             # not _neuron: the check must not share what it checks
            return (ctrl["first"] if "first" in ctrl else ctrl["grp"] * P) + j

        read_ctrl, read_lanes = read
        spike_steps = _ShadowQueue(m, STEP_BITS, 8, "watch_spike")
        trace_vs = _ShadowQueue(m, signed(c.W), 8, "watch_v")
        pushed_spike, pushed_v, pushed_r = Signal(), Signal(signed(c.W)), Signal.like(r)
        for j in range(P):
            with m.If(read_ctrl["valid"] & (neuron(read_ctrl, j) == w)):
                m.d.comb += [Assert(read_lanes[j]["v"] == v), Assert(read_lanes[j]["u"] == u)]
                if c.ref_width:
                    m.d.comb += Assert(read_lanes[j]["r"] == r)
            with m.If(present[j] & (neuron(commit, j) == w)):
                m.d.comb += [pushed_spike.eq(lanes[j]["spike"]), pushed_v.eq(lanes[j]["v_new"]),
                             pushed_r.eq(lanes[j]["r_new"])]
                if self.formal_watch_rule:
                    m.d.comb += [Assert(lanes[j]["v_new"] == want_v), Assert(lanes[j]["spike"] == want_spike)]
                    if c.ref_width:
                        m.d.comb += Assert(lanes[j]["r_new"] == want_r)
                m.d.sync += [v.eq(lanes[j]["v_new"]), r.eq(lanes[j]["r_new"])]
        committed = Cat(present[j] & (neuron(commit, j) == w) for j in range(P)).any()
        once = Signal()                                  # w has been committed since reset
        m.d.sync += once.eq(once | committed)
        m.d.comb += Cover(committed & once)              # the search reaches w's second step
        if c.NREF == 1:                                  # a refractory period ends (within the bound)
            m.d.comb += Cover(committed & (r != 0) & (pushed_r == 0))

        out = self.spikes
        spike_out = out.valid & out.ready & (out.payload.neuron == w)
        spike_steps.update(committed & pushed_spike, step_no, spike_out)
        m.d.comb += Assert(~spike_out | ((spike_steps.count != 0) & (out.payload.step == spike_steps.head)))
        quiet = Signal(range(8))
        with m.If(accept | running | out.valid):
            m.d.sync += quiet.eq(0)
        with m.Elif(quiet != 7):
            m.d.sync += quiet.eq(quiet + 1)
        m.d.comb += Assert((quiet <= self.timing.fifo_latency) | (spike_steps.count == 0))
        m.d.comb += Cover(spike_out)
        if self.has_trace:
            tr = self.trace
            trace_out = tr.valid & tr.ready & (tr.payload.neuron == w)
            trace_vs.update(committed, pushed_v, trace_out)
            m.d.comb += Assert(~trace_out | ((trace_vs.count != 0) & (tr.payload.v == trace_vs.head)))
            m.d.comb += Cover(trace_out)

    def _properties(self, m, fifos, credits, changes, tooks, in_flight, *, room, issuing, running, clearing, issue_grp,
                    issue_last, accept, step_no, commit, lanes, present):
        """Assertions and covers proved by ``make formal`` (``lifgen.sim.formal``), by k-induction: they hold in
        every reachable state, for every input sequence. ``commits`` and ``accepted`` are registers that exist
        only for the proofs. A proof that constrains the ports (``lifgen.sim.formal.StepTimingProof``, where the
        issue stage never waits) sets ``formal_covers`` False."""
        groups = self.timing.groups
        valid, grp = commit["valid"], commit["grp"]
        groups_in_flight = sum(v for v, _ in in_flight)
        taken = in_flight[0][0]                          # the last cycle's `go`
        for fifo, credit, change, took in zip(fifos, credits, changes, tooks):
            # no event is ever pushed into a full FIFO (none is lost), because every entry has a credit:
            # credits + their pending change + the entry just taken + groups in the pipeline + entries in the FIFO
            # = depth - 1
            # (from the clear's end on: a reset does not clear `change`, which the clear's first cycle sets to 0;
            # nothing is in flight and the FIFO is empty while the core clears)
            m.d.comb += [Assert(~fifo.w_en | fifo.w_rdy),
                         Assert(clearing | (credit + change + took + groups_in_flight + fifo.level == fifo.depth - 1)),
                         Assert(clearing | (change + taken >= 0)), Assert(clearing | (change + taken <= 2)),
                         Assert(~clearing | ((groups_in_flight == 0) & ~took & (fifo.level == 0)))]
        # the issue stage's registers agree with each other
        # `room` never promises a credit that is not there; exact (every FIFO too shallow for slack), it is the AND of
        # the credits left
        m.d.comb += [Assert(clearing | ~room | (credit > taken)) for credit in credits]
        if not any(self.timing.room_slack(fifo.depth) for fifo in fifos):
            m.d.comb += Assert(clearing | (room == Cat(credit > taken for credit in credits).all()))
        m.d.comb += [Assert(~issuing | running), Assert(~issuing | (issue_last == (issue_grp == groups - 1))),
                     Assert(~issuing | (issue_grp < groups)), Assert(~running | ~clearing)]

        # every neuron is updated exactly once per accepted step, groups in increasing order: `commits` counts the
        # groups committed in this step; the group at commit is always the next one, the stages in flight hold
        # the groups after it in order, and the step ends with the last group
        commits = Signal(range(groups + 1))
        with m.If(accept):
            m.d.sync += commits.eq(0)
        with m.Elif(valid):
            m.d.sync += commits.eq(commits + 1)
        m.d.comb += [Assert(~valid | running), Assert(~valid | (grp == commits)),
                     Assert(~valid | (commit["last"] == (grp == groups - 1))),
                     Assert(~running | (commits + groups_in_flight == Mux(issuing, issue_grp, groups))),
                     Assert(running | (groups_in_flight == 0)), Assert(commits <= groups)]
        for k, (stage_valid, stage_grp) in enumerate(in_flight):
            later = sum(v for v, _ in in_flight[k:])
            m.d.comb += Assert(~stage_valid | (stage_grp == commits + later - 1))
        # a step is accepted only when not busy, and each accepted step completes once: `step_no` counts the
        # steps completed since reset (mod 2**STEP_BITS), `accepted` the steps accepted
        accepted = Signal(STEP_BITS)
        with m.If(accept):
            m.d.sync += accepted.eq(accepted + 1)
        m.d.comb += Assert(step_no == Mux(running, accepted - 1, accepted)[:STEP_BITS])
        if not self.formal_covers:
            return
        for j, lane in enumerate(lanes):
            m.d.comb += Cover(lane["spike"] & present[j])                 # a spike happens
        m.d.comb += [Cover(issuing & ~room),                               # the issue stage waits
                     Cover(running & ~issuing & valid & commit["last"])]   # a step completes


class _ShadowQueue:
    """A queue of expected values for :meth:`LIFArray._watch` (``depth`` registers; asserted never to overflow)."""

    def __init__(self, m, shape, depth, name):
        self.m, self.depth = m, depth
        self.slots = [Signal(shape, name=f"{name}{i}") for i in range(depth)]
        self.count = Signal(range(depth + 1), name=f"{name}_count")
        self.head = self.slots[0]

    def update(self, push, value, pop):
        m, slots = self.m, self.slots
        m.d.comb += Assert(~push | pop | (self.count < self.depth))
        m.d.sync += self.count.eq(self.count + push - pop)
        tail = self.count - pop                        # where a pushed value lands
        for i, slot in enumerate(slots):
            after_pop = slots[i + 1] if i + 1 < len(slots) else slot
            m.d.sync += slot.eq(Mux(push & (tail == i), value, Mux(pop, after_pop, slot)))


def _neuron(first, lane, lanes, width):
    """Neuron index of ``lane`` in the group named by ``first`` (see the FIFO entries in ``elaborate``)."""
    if lanes & (lanes - 1) == 0:                      # a power of two: wiring, no arithmetic
        return Cat(lane[:lanes.bit_length() - 1], first)[:width]
    return (first + lane)[:width]


def _lanes_set(mask):
    """The number of bits set in ``mask``, capped at 3 (two bits), as look-up tables of at most four inputs (no
    carry chain): per four bits of the mask a table, then a table per pair of counts."""
    counts = [Array(Const(min(bin(i).count("1"), 3), 2) for i in range(1 << len(chunk)))[chunk]
              for chunk in (mask[k:k + 4] for k in range(0, len(mask), 4))]
    while len(counts) > 1:
        pairs = [counts[k:k + 2] for k in range(0, len(counts), 2)]
        counts = [Array(Const(min(i % 4 + i // 4, 3), 2) for i in range(16))[Cat(*pair)] if len(pair) == 2
                  else pair[0] for pair in pairs]
    return counts[0]


def _numbered(prefix, values):
    """A list of values as pipeline-stage fields ``prefix0``, ``prefix1``, ..."""
    return {f"{prefix}{i}": value for i, value in enumerate(values)}


def _fields(lane, prefix):
    """The values :func:`_numbered` named, back as a list."""
    values = []
    while f"{prefix}{len(values)}" in lane:
        values.append(lane[f"{prefix}{len(values)}"])
    return values


def _before_last(cleared, went, was, groups):
    """issue_grp == groups - 2, from the counter's registered compares ``was[k]`` (sent == groups - k) and whether
    the last cycle issued a group (then issue_grp is sent + 1) or accepted a step (then it is 0)."""
    return Mux(cleared, groups == 2, Mux(went, was[3], was[2]))


def _lowest(mask):
    """The index of ``mask``'s lowest set bit (0 when none is set)."""
    index = Const(0, range(len(mask)))
    for j in reversed(range(len(mask))):
        index = Mux(mask[j], j, index)
    return index


def _one_lane(mask):
    """``mask`` has at most one bit set (a FIFO entry's mask is never 0, so: exactly one)."""
    return _lanes_set(mask) <= 1


def _unpack(m, fifo, entry_layout, lanes, source, payload):
    """Drive stream ``source`` from a FIFO of group entries (``first``, ``mask`` of lanes, ``single``: the mask
    has one lane, ...): one event per transfer for each set bit of ``mask``, lowest lane first. The head entry is taken out of the FIFO into a
    register (so the FIFO's memory drives nothing but that register) and the next one is loaded in the cycle its
    last event leaves: an entry pushed in cycle c offers its first event from c + 3 (``CoreTiming.fifo_latency``),
    the following events in the next cycles. The payload is 0 while ``valid`` is low (the port contract promises
    no X on any output after reset).
    """
    # head, pending and last mean something only while `held`, which the reset clears: they need no reset of their
    # own (on the iCE40 a reset on a register with an enable costs a look-up table in front of the enable)
    head = Signal(entry_layout, reset_less=True)
    held = Signal()                                    # head holds an entry with events left to send
    pending = Signal(lanes, reset_less=True)           # lanes of the head entry still to send
    # pending has one lane left: the event on offer is the entry's last (always, with one lane)
    last = Signal(reset_less=True) if lanes > 1 else Const(1)
    # the lowest lane of pending: a register computed a cycle ahead too, so the event's neuron index is one
    # adder from registers (first + lane, when the lanes are not a power of two)
    lane = Signal(range(lanes), reset_less=True)
    # `pending` and `last` are registers computed a cycle ahead, so the FIFO's read enable and the head register's
    # enable are a gate or two from registers
    finishing = held & source.ready & last
    m.d.comb += [source.valid.eq(held), fifo.r_en.eq(~held | finishing)]
    fields = payload(head, lane)
    m.d.comb += [getattr(source.payload, k).eq(Mux(held, v, 0)) for k, v in fields.items()]
    # the head holds an entry next cycle if the FIFO offers one (it is taken whenever the head is free or
    # finishing) or the head's entry is not finishing: one gate. The head register loads whenever it may take an
    # entry, offered or not (`held` says whether it holds one), so its enable does not wait for `r_rdy`.
    m.d.sync += held.eq(fifo.r_rdy | (held & ~finishing))
    with m.If(fifo.r_en):
        m.d.sync += head.eq(fifo.r_data)
        if lanes > 1:
            entry = entry_layout(fifo.r_data)
            m.d.sync += [pending.eq(entry.mask), last.eq(entry.single), lane.eq(entry.lane)]
    if lanes > 1:
        with m.Elif(source.valid & source.ready):
            # drop the lowest lane; two lanes left means one after this event (a table, no subtraction, before
            # `last`)
            rest = pending & (pending - 1)
            m.d.sync += [pending.eq(rest), last.eq(_lanes_set(pending) <= 2), lane.eq(_lowest(rest))]
