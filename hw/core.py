# SPDX-License-Identifier: BSD-2-Clause
"""The LIF neuron array: one pipelined datapath updates N neurons per time step, one neuron per clock.

Implements README.md, section "The integer update rule", bit for bit (the golden model,
``lifgen.golden.fixed``, implements the same section; neither imports the other). Cycle timing is
defined by :class:`lifgen.params.CoreTiming`; README.md, section "The pipeline", has the diagram.

Design
------
Per-neuron state lives in two block RAMs with synchronous read ports: the *state RAM* (v, and the
refractory counter r when N_REF > 0) and the *input RAM* (u). A step walks the neuron index through
four kinds of stage, one neuron per cycle (initiation interval 1)::

    issue   present neuron n's address to both RAMs
    read    RAM outputs valid: x = VREST - v + u
    mul     ``mul_stages`` registers around the product x * G (0..3)
    commit  dv = (x*G + 2**(S-1)) >> S, clamp, threshold, reset, refractory;
            write v, r back; push (n, t) into the spike FIFO; push (n, v) into the trace FIFO

Hazards: a neuron is read once and written once per step, and a new step is only accepted once
``busy`` is low, i.e. after the last commit of the previous one. So no read can overtake a pending
write-back of the same neuron, whatever N (N = 1 included); the price is L idle cycles per step.

Backpressure: when the commit stage holds an event that its FIFO cannot take (spike FIFO full, or
trace FIFO full with tracing on), the whole pipeline freezes, RAM read ports included (their enable
is the advance signal), until the FIFO has room. Nothing is dropped or pushed twice.

Reset: after ``rst`` the core writes v = VREST, r = 0, u = 0 into every neuron, one per cycle,
with ``busy`` high; only then is a step accepted.
"""

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen.params import STEP_BITS, CoreConfig, FixedParams, index_bits

from .layouts import cur_layout, spike_layout, state_layout, trace_layout

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
        update), ``mul_stages`` (registers between the RAM output and the commit stage, 0..3; latency
        L = 2 + mul_stages), ``spike_fifo_depth`` and ``trace_fifo_depth`` (entries of the output FIFOs, >= 2).

    Members
    -------
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
        ``(neuron, v)`` after every update, same order.
    peek_addr : In(A), peek_v : Out(signed(W)), only with ``config.peek``
        While ``busy`` is low, ``peek_v`` shows v of neuron ``peek_addr`` as it was one cycle earlier
        (the state RAM's read port, shared with the pipeline, which uses it only while a step runs).

    Raises ``TypeError`` for constants that are not a ``FixedParams`` and
    ``lifgen.errors.ParameterError`` (a ``ValueError``) for a bad neuron count.
    """

    def __init__(self, constants: FixedParams, neurons: int, config: CoreConfig = CoreConfig()):
        if not isinstance(constants, FixedParams):
            raise TypeError(f"constants must be a FixedParams, not {constants!r}")
        if not isinstance(config, CoreConfig):
            raise TypeError(f"config must be a CoreConfig, not {config!r}")
        self.timing = config.timing(neurons)                # validates neurons
        self.constants = constants
        self.neurons = neurons
        self.config = config
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
        c = self.constants
        N, W = self.neurons, c.W
        ref_width = c.ref_width

        # ---- storage -------------------------------------------------------------------------
        m.submodules.state_mem = state_mem = Memory(shape=state_layout(W, ref_width), depth=N, init=[])
        m.submodules.input_mem = input_mem = Memory(shape=signed(W), depth=N, init=[])
        state_rd = state_mem.read_port(transparent_for=())
        state_wr = state_mem.write_port()
        input_rd = input_mem.read_port(transparent_for=())
        input_wr = input_mem.write_port()

        m.submodules.spike_fifo = spike_fifo = SyncFIFOBuffered(
            width=spike_layout(N).size, depth=self.config.spike_fifo_depth)
        wiring.connect(m, wiring.flipped(self.spikes), _fifo_source(m, spike_fifo, spike_layout(N)))
        if self.has_trace:
            m.submodules.trace_fifo = trace_fifo = SyncFIFOBuffered(
                width=trace_layout(N, W).size, depth=self.config.trace_fifo_depth)
            wiring.connect(m, wiring.flipped(self.trace), _fifo_source(m, trace_fifo, trace_layout(N, W)))

        # ---- control -------------------------------------------------------------------------
        clearing = Signal(init=1)                      # post-reset clear in progress
        clear_idx = Signal(range(N))
        running = Signal()                             # a step is in the pipeline
        issuing = Signal()                             # the issue stage holds a valid neuron
        issue_idx = Signal(range(N))
        step_no = Signal(STEP_BITS)                    # number of the step being run (mod 2**STEP_BITS)
        advance = Signal()                             # the whole pipeline moves this cycle

        accept = Signal()
        m.d.comb += [
            self.busy.eq(clearing | running),
            accept.eq(self.step & ~self.busy),
        ]

        with m.If(clearing):
            m.d.sync += clear_idx.eq(clear_idx + 1)
            with m.If(clear_idx == N - 1):
                m.d.sync += clearing.eq(0)

        # ---- issue ---------------------------------------------------------------------------
        with m.If(accept):
            m.d.sync += [running.eq(1), issuing.eq(1), issue_idx.eq(0)]
        with m.Elif(issuing & advance):
            m.d.sync += issue_idx.eq(issue_idx + 1)
            with m.If(issue_idx == N - 1):
                m.d.sync += issuing.eq(0)
        m.d.comb += [
            state_rd.addr.eq(issue_idx), state_rd.en.eq(advance),
            input_rd.addr.eq(issue_idx), input_rd.en.eq(advance),
        ]
        if self.config.peek:
            with m.If(~running):
                m.d.comb += state_rd.addr.eq(self.peek_addr)
            m.d.comb += self.peek_v.eq(state_rd.data.v)

        # ---- read: RAM outputs are valid; form x = VREST - v + u --------------------------------
        # A pipeline stage is a dict of registers that move on `advance`.
        def stage(name, **fields):
            regs = {k: Signal(v.shape(), name=f"{name}_{k}") for k, v in fields.items()}
            with m.If(advance):
                m.d.sync += [regs[k].eq(v) for k, v in fields.items()]
            return regs

        rd = stage("rd", valid=issuing, n=issue_idx, last=issuing & (issue_idx == N - 1))
        rd_v = state_rd.data.v
        rd_r = state_rd.data.r if ref_width else Const(0, 1)
        x = Signal(signed(W + 2))
        m.d.comb += x.eq(c.VREST - rd_v + input_rd.data)
        product = x * Const(c.G, unsigned(c.gain_width))
        pipe = dict(valid=rd["valid"], n=rd["n"], last=rd["last"], v=rd_v, r=rd_r, p=product)

        # ---- mul: optional registers around the product ----------------------------------------
        for k in range(self.timing.mul_stages):
            pipe = stage(f"mul{k}", **pipe)

        # ---- commit --------------------------------------------------------------------------
        v, r, p = pipe["v"], pipe["r"], pipe["p"]
        dv = (p + (1 << (c.S - 1))) >> c.S               # arithmetic: p is signed
        v_sum = Signal(signed(W + 2))
        m.d.comb += v_sum.eq(v + dv)
        v1 = Mux(v_sum > c.vmax, c.vmax, Mux(v_sum < c.vmin, c.vmin, v_sum))
        refractory = (r != 0) if ref_width else Const(0)
        spike = Signal()
        m.d.comb += spike.eq(pipe["valid"] & ~refractory & (v1 >= c.VTH))
        v_new = Signal(signed(W))
        r_new = Signal(max(1, ref_width))
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

        spike_blocked = spike & ~spike_fifo.w_rdy
        trace_blocked = (pipe["valid"] & ~trace_fifo.w_rdy) if self.has_trace else Const(0)
        m.d.comb += advance.eq(~(spike_blocked | trace_blocked))
        commit = pipe["valid"] & advance

        spike_event = Signal(spike_layout(N))
        m.d.comb += [
            spike_event.neuron.eq(pipe["n"]),
            spike_event.step.eq(step_no),
            spike_fifo.w_data.eq(spike_event.as_value()),
            spike_fifo.w_en.eq(spike & advance),
        ]
        if self.has_trace:
            trace_event = Signal(trace_layout(N, W))
            m.d.comb += [
                trace_event.neuron.eq(pipe["n"]),
                trace_event.v.eq(v_new),
                trace_fifo.w_data.eq(trace_event.as_value()),
                trace_fifo.w_en.eq(commit),
            ]
        with m.If(commit & pipe["last"]):
            m.d.sync += [running.eq(0), step_no.eq(step_no + 1)]

        # ---- RAM write ports: the clear sequence, then commits and input writes -------------------
        with m.If(clearing):
            m.d.comb += [
                state_wr.addr.eq(clear_idx), state_wr.data.v.eq(c.VREST), state_wr.en.eq(1),
                input_wr.addr.eq(clear_idx), input_wr.data.eq(0), input_wr.en.eq(1),
            ]
        with m.Else():
            m.d.comb += [
                state_wr.addr.eq(pipe["n"]), state_wr.data.v.eq(v_new), state_wr.en.eq(commit),
                input_wr.addr.eq(self.cur.payload.neuron), input_wr.data.eq(self.cur.payload.u),
                input_wr.en.eq(self.cur.valid & self.cur.ready & (self.cur.payload.neuron < N)),
            ]
            if ref_width:
                m.d.comb += state_wr.data.r.eq(r_new)
        m.d.comb += self.cur.ready.eq(~self.busy)
        return m


def _fifo_source(m, fifo, layout):
    """A stream interface that reads ``fifo`` (payload reinterpreted with ``layout``).

    The payload is forced to 0 while ``valid`` is low: the FIFO's RAM read register has no initial
    value in Verilog, and the port contract promises no X on any output after reset.
    """
    src = stream.Signature(layout).create()
    m.d.comb += [
        src.valid.eq(fifo.r_rdy),
        src.payload.eq(Mux(fifo.r_rdy, fifo.r_data, 0)),
        fifo.r_en.eq(src.ready),
    ]
    return src
