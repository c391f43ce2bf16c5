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

    issue   present group g's row to the storage (when the FIFOs have room for everything in flight)
    read    storage outputs valid (v, r, u per lane)
    ram     ``CoreTiming.ram_regs`` registers on the storage output (SPRAM only, to make L - 1 odd)
    mul     x = VREST - v + u, and ``mul_stages`` registers around the product x * G (0..3)
    commit  dv = (x*G + 2**(S-1)) >> S, clamp, threshold, reset, refractory, per lane;
            write v, r back; push the group's spikes (one FIFO entry: group, lane mask, step) and,
            with tracing, its trace (group, lane mask, P voltages)

Each output FIFO is followed by an unpacker that sends a group's events one per cycle in increasing lane order,
so the streams carry one event per transfer in increasing neuron order, whatever P.

Hazards: a neuron is read once and written once per step, and a new step is only accepted once
``busy`` is low, i.e. after the last commit of the previous one. So no read can overtake a pending
write-back of the same neuron, whatever N (N = 1 included); the price is L idle cycles per step.

Backpressure: nothing after the issue stage ever waits. A group is issued only when each FIFO has a free entry
for it and for every group already in flight (``level + in_flight < depth``), so a commit always finds room:
a slow consumer holds the issue stage back, never the pipeline (no global clock enable), and nothing is dropped
or pushed twice.

Reset: after ``rst`` the core writes v = VREST, r = 0, u = 0 into every neuron, one storage row per cycle,
with ``busy`` high; only then is a step accepted.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from lifgen.params import STEP_BITS, CoreConfig, FixedParams, check_storage, index_bits

from .layouts import cur_layout, spike_layout, trace_layout
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
        ``spike_fifo_depth`` and ``trace_fifo_depth`` (entries of the output FIFOs, >= 2, one group each).
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
        While ``busy`` is low, ``peek_v`` shows v of neuron ``peek_addr`` as it was one cycle earlier
        (the storage's read port, shared with the pipeline, which uses it only while a step runs).

    Raises ``TypeError`` for constants that are not a ``FixedParams`` and
    ``lifgen.errors.ParameterError`` (a ``ValueError``) for a bad neuron count or a storage these constants
    cannot use (``lifgen.params.check_storage``).
    """

    def __init__(self, constants: FixedParams, neurons: int, config: CoreConfig = CoreConfig(), *,
                 behavioural: bool = False):
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
        spike_entry = data.StructLayout({"group": range(groups), "mask": unsigned(P), "step": unsigned(STEP_BITS)})
        m.submodules.spike_fifo = spike_fifo = SyncFIFOBuffered(
            width=spike_entry.size, depth=self.config.spike_fifo_depth)
        _unpack(m, spike_fifo, spike_entry, P, self.spikes,
                lambda entry, lane: {"neuron": _neuron(entry.group, lane, P, A), "step": entry.step})
        fifos = [spike_fifo]
        if self.has_trace:
            trace_entry = data.StructLayout({"group": range(groups), "mask": unsigned(P),
                                             "v": data.ArrayLayout(signed(W), P)})
            m.submodules.trace_fifo = trace_fifo = SyncFIFOBuffered(
                width=trace_entry.size, depth=self.config.trace_fifo_depth)
            _unpack(m, trace_fifo, trace_entry, P, self.trace,
                    lambda entry, lane: {"neuron": _neuron(entry.group, lane, P, A), "v": entry.v[lane]})
            fifos.append(trace_fifo)

        # ---- control -------------------------------------------------------------------------
        clearing = Signal(init=1)                      # post-reset clear in progress
        clear_row = Signal(range(tm.clear_cycles))
        running = Signal()                             # a step is in the pipeline
        issuing = Signal()                             # the issue stage holds a valid group
        issue_grp = Signal(range(groups))
        step_no = Signal(STEP_BITS)                    # number of the step being run (mod 2**STEP_BITS)
        in_flight = Signal(range(tm.latency + 1))      # groups issued and not yet committed

        accept = Signal()
        m.d.comb += [
            self.busy.eq(clearing | running),
            accept.eq(self.step & ~self.busy),
        ]

        with m.If(clearing):
            m.d.sync += clear_row.eq(clear_row + 1)
            with m.If(clear_row == tm.clear_cycles - 1):
                m.d.sync += clearing.eq(0)
        m.d.comb += [st.clear_en.eq(clearing), st.clear_row.eq(clear_row)]

        # ---- issue: only with room for this group and all in flight in every FIFO ----------------
        # SyncFIFOBuffered takes a write while its inner FIFO (depth - 1 entries; level minus the output
        # register) has room, so the credits count against that.
        room = Signal()
        m.d.comb += room.eq(Cat(fifo.level - fifo.r_rdy + in_flight < fifo.depth - 1 for fifo in fifos).all())
        go = Signal()
        m.d.comb += go.eq(issuing & room & st.read_ok)
        with m.If(accept):
            m.d.sync += [running.eq(1), issuing.eq(1), issue_grp.eq(0)]
        with m.Elif(go):
            m.d.sync += issue_grp.eq(issue_grp + 1)
            with m.If(issue_grp == groups - 1):
                m.d.sync += issuing.eq(0)
        m.d.comb += st.rd_addr.eq(issue_grp)
        if self.config.peek:
            m.d.comb += [st.peek_en.eq(~running), st.peek_addr.eq(self.peek_addr), self.peek_v.eq(st.peek_v)]

        # ---- read: storage outputs are valid ------------------------------------------------------
        # A pipeline stage is a dict of registers loaded every cycle (nothing after the issue stage waits).
        def stage(name, **fields):
            regs = {k: Signal(v.shape(), name=f"{name}_{k}") for k, v in fields.items()}
            m.d.sync += [regs[k].eq(v) for k, v in fields.items()]
            return regs

        ctrl = stage("rd", valid=go, grp=issue_grp, last=issue_grp == groups - 1)
        lanes = [dict(v=st.rd_v[j], r=st.rd_r[j], u=st.rd_u[j]) for j in range(P)]
        for k in range(tm.ram_regs):
            ctrl = stage(f"ram{k}", **ctrl)
            lanes = [stage(f"ram{k}_l{j}", **lane) for j, lane in enumerate(lanes)]

        # ---- mul: x = VREST - v + u and the product, with optional registers -----------------------
        lanes = [dict(v=lane["v"], r=lane["r"],
                      p=(c.VREST - lane["v"] + lane["u"]) * Const(c.G, unsigned(c.gain_width)))
                 for lane in lanes]
        for k in range(tm.mul_stages):
            ctrl = stage(f"mul{k}", **ctrl)
            lanes = [stage(f"mul{k}_l{j}", **lane) for j, lane in enumerate(lanes)]

        # ---- commit --------------------------------------------------------------------------
        valid = ctrl["valid"]
        partial = N - (groups - 1) * P                 # lanes present in the last group
        present = Cat(valid & (~ctrl["last"] | Const(int(j < partial))) for j in range(P))
        spikes, trace_v = [], []
        for j, lane in enumerate(lanes):
            v_new, r_new, spike = _update(m, c, lane["v"], lane["r"], lane["p"], f"l{j}")
            spikes.append(spike & present[j])
            trace_v.append(v_new)
            m.d.comb += [st.wr_v[j].eq(v_new), st.wr_r[j].eq(r_new)]
        m.d.comb += [st.wr_en.eq(valid), st.wr_addr.eq(ctrl["grp"])]

        spike_mask = Cat(spikes)
        spike_push = Signal(spike_entry)
        m.d.comb += [
            spike_push.group.eq(ctrl["grp"]), spike_push.mask.eq(spike_mask), spike_push.step.eq(step_no),
            spike_fifo.w_data.eq(spike_push.as_value()),
            spike_fifo.w_en.eq(spike_mask.any()),
        ]
        if self.has_trace:
            trace_push = Signal(trace_entry)
            m.d.comb += [trace_push.group.eq(ctrl["grp"]), trace_push.mask.eq(present)]
            m.d.comb += [trace_push.v[j].eq(v) for j, v in enumerate(trace_v)]
            m.d.comb += [trace_fifo.w_data.eq(trace_push.as_value()), trace_fifo.w_en.eq(valid)]
        m.d.sync += in_flight.eq(in_flight + go - valid)
        with m.If(valid & ctrl["last"]):
            m.d.sync += [running.eq(0), step_no.eq(step_no + 1)]

        # ---- input writes ---------------------------------------------------------------------
        m.d.comb += [
            self.cur.ready.eq(~self.busy),
            st.in_en.eq(self.cur.valid & self.cur.ready & (self.cur.payload.neuron < N)),
            st.in_neuron.eq(self.cur.payload.neuron),
            st.in_u.eq(self.cur.payload.u),
        ]
        return m


def _update(m, c: FixedParams, v, r, p, name):
    """The integer update rule of one neuron (README, "The integer update rule") from its state (v, r) and the
    product p = (VREST - v + u) * G: returns (v_new, r_new, spike) as combinational signals."""
    dv = (p + (1 << (c.S - 1))) >> c.S               # arithmetic: p is signed
    v_sum = Signal(signed(c.W + 2), name=f"v_sum_{name}")
    m.d.comb += v_sum.eq(v + dv)
    v1 = Mux(v_sum > c.vmax, c.vmax, Mux(v_sum < c.vmin, c.vmin, v_sum))
    refractory = (r != 0) if c.ref_width else Const(0)
    spike = Signal(name=f"spike_{name}")
    m.d.comb += spike.eq(~refractory & (v1 >= c.VTH))
    v_new = Signal(signed(c.W), name=f"v_new_{name}")
    r_new = Signal(max(1, c.ref_width), name=f"r_new_{name}")
    if c.subtract:
        v_sub = v1 - (c.VTH - c.VRESET)
        v_fired = Mux(v_sub < c.vmin, c.vmin, v_sub)
    else:
        v_fired = c.VRESET
    with m.If(refractory):
        m.d.comb += [v_new.eq(c.VRESET), r_new.eq(r - 1)]
    with m.Elif(spike):
        m.d.comb += [v_new.eq(v_fired), r_new.eq(c.NREF)]
    with m.Else():
        m.d.comb += [v_new.eq(v1), r_new.eq(0)]
    return v_new, r_new, spike


def _neuron(group, lane, lanes, width):
    """Neuron index ``group * lanes + lane``."""
    if lanes & (lanes - 1) == 0:                      # a power of two: wiring, no arithmetic
        return Cat(lane[:lanes.bit_length() - 1], group)[:width]
    return (group * lanes + lane)[:width]


def _unpack(m, fifo, entry_layout, lanes, source, payload):
    """Drive stream ``source`` from a FIFO of group entries (``group``, ``mask`` of lanes, ...): one event per
    transfer for each set bit of ``mask``, lowest lane first; the entry is popped with its last event. The first
    event of an entry is offered as soon as the FIFO shows it (``fifo_latency`` after its push), the next ones in
    the following cycles. The payload is forced to 0 while ``valid`` is low: the FIFO's RAM read register has no
    initial value in Verilog, and the port contract promises no X on any output after reset.
    """
    entry = data.View(entry_layout, fifo.r_data)
    done = Signal(lanes)                               # lanes of the head entry already sent
    pending = Signal(lanes)
    lowest = Signal(lanes)
    lane = Signal(range(lanes))
    m.d.comb += [pending.eq(entry.mask & ~done), lowest.eq(pending & (~pending + 1))]
    for j in reversed(range(lanes)):
        with m.If(pending[j]):
            m.d.comb += lane.eq(j)
    last = (pending & ~lowest) == 0
    fields = payload(entry, lane)
    m.d.comb += [source.valid.eq(fifo.r_rdy), fifo.r_en.eq(source.ready & last)]
    m.d.comb += [getattr(source.payload, k).eq(Mux(fifo.r_rdy, v, 0)) for k, v in fields.items()]
    with m.If(source.valid & source.ready):
        m.d.sync += done.eq(Mux(last, 0, done | lowest))
