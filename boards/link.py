# SPDX-License-Identifier: BSD-2-Clause
"""The neuron array behind the host link: frame receiver, command executor and frame sender (gateware).

:class:`LinkedArray` holds a ``LIFArray`` (with its trace stream and peek port) and speaks the protocol of
``lifgen.protocol`` over two byte streams, ``rx`` (from a UART receiver) and ``tx`` (to a UART transmitter).

Contract
--------
- One command at a time: the receiver parses one frame, the executor answers it with exactly one reply (or
  ``ERROR``), and only then does the receiver look for the next frame. Bytes that arrive meanwhile are counted
  as garbage (the host driver waits for each reply, so it never sends them).
- Nothing changes neuron state before the whole frame has arrived and its CRC has matched: the payload is
  held in a buffer and executed afterwards. A frame with a bad CRC, an unknown version or command, a length
  wrong for its command, an index outside the array, more than ``MAX_PAYLOAD`` bytes, or a silence of
  ``TIMEOUT_BYTE_TIMES`` byte times mid-frame is counted and answered with ``ERROR`` (code, command byte).
- ``RUN`` (steps, flags): steps run back to back (fast) or one per ``dt_cycles`` clock cycles (``PACED``);
  a tick that finds the previous step not yet accepted counts a missed deadline (the step still runs, late;
  nothing is skipped). Every spike event leaves as a ``SPIKE`` frame; with ``TRACE`` every (neuron, v) as a
  ``TRACE`` frame. When the link cannot keep up, the core's FIFOs fill and the core stalls: nothing is lost.
  The ``RUN`` reply (steps run, deadlines missed, SPIKE frames sent) follows the last event.
- ``activity`` pulses for one cycle per spike event sent (for an LED).
"""

import contextlib
import struct

from amaranth.hdl import Array, Assert, Cat, Const, Cover, Module, Mux, ResetInserter, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.crc.catalog import CRC16_CCITT_FALSE
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen import protocol as P
from lifgen.hw.core import LIFArray
from lifgen.params import STEP_BITS, CoreConfig, CoreTiming, LIFParams, index_bits

__all__ = ["LinkedArray", "identity_bytes"]


def identity_bytes(params: LIFParams, neurons, config: CoreConfig, clock_hz, dt_cycles):
    """The payload of the ``IDENTIFY`` reply (``protocol.IDENTITY_FIELDS``)."""
    c = params.fixed
    values = {"version": P.VERSION, "neurons": neurons, "W": c.W, "F": c.F, "S": c.S, "G": c.G,
              "VREST": c.VREST, "VRESET": c.VRESET, "VTH": c.VTH, "NREF": c.NREF, "subtract": int(c.subtract),
              "mul_stages": config.mul_stages, "spike_fifo_depth": config.spike_fifo_depth,
              "step_bits": STEP_BITS, "clock_hz": int(clock_hz), "dt_cycles": int(dt_cycles)}
    return P.pack_payload(P.Cmd.IDENTIFY | P.REPLY, *(values[name] for name, _ in P.IDENTITY_FIELDS))


class LinkedArray(wiring.Component):
    rx: In(stream.Signature(8))
    tx: Out(stream.Signature(8))
    activity: Out(1)

    def __init__(self, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_hz, dt_cycles,
                 byte_cycles):
        """``dt_cycles``: clock cycles per paced step; ``byte_cycles``: clock cycles per UART byte (sets the
        mid-frame timeout)."""
        self.params, self.neurons = params, neurons
        self.config = config.with_host_link()
        self.clock_hz, self.dt_cycles, self.byte_cycles = clock_hz, max(1, int(dt_cycles)), byte_cycles
        self.formal_invariants = True               # see _properties
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        c, N = self.params.fixed, self.neurons
        core_rst = Signal()
        array = LIFArray(c, N, self.config, behavioural=platform == "formal")
        array.formal_covers = False                 # the core's own proofs (lifgen.sim.formal) cover it
        m.submodules.core = core = ResetInserter(core_rst)(array)

        # ---- counters (u32, saturating), in protocol.COUNTERS order -----------------------------------------
        counters = {name: Signal(32, name=f"count_{name}") for name in P.COUNTERS}
        bump = {name: Signal(name=f"bump_{name}") for name in P.COUNTERS}
        clear = {name: Signal(name=f"clear_{name}") for name in P.COUNTERS}   # restart at 0 (or 1 with a bump)
        for name in P.COUNTERS:
            with m.If(clear[name]):
                m.d.sync += counters[name].eq(bump[name])
            with m.Elif(bump[name] & (counters[name] != 0xFFFF_FFFF)):
                m.d.sync += counters[name].eq(counters[name] + 1)

        # ---- receiver -------------------------------------------------------------------------------------
        m.submodules.rx_crc = rx_crc = CRC16_CCITT_FALSE(data_width=8).create()
        m.submodules.payload = payload_mem = Memory(shape=8, depth=P.MAX_PAYLOAD, init=[])
        pl_wr = payload_mem.write_port()
        pl_rd = payload_mem.read_port(transparent_for=())
        version, cmd = Signal(8), Signal(8)
        length = Signal(16)
        count = Signal(16)
        head = Array(Signal(8, name=f"head{i}") for i in range(8))     # the first payload bytes, for fields
        timeout = Signal(range(P.TIMEOUT_BYTE_TIMES * self.byte_cycles + 1))
        frame_go = Signal()            # a frame passed CRC and version: execute it
        frame_err = Signal()           # a frame was rejected: answer with ERROR (err_code, cmd)
        err_code = Signal(8)
        exec_done = Signal()
        byte = self.rx.payload
        m.d.comb += [self.rx.ready.eq(1), rx_crc.data.eq(byte)]
        take = self.rx.valid
        in_frame = Signal()             # between SOF and the last CRC byte
        timed_out = Signal()            # silence mid-frame: the frame is dropped as truncated
        limit = P.TIMEOUT_BYTE_TIMES * self.byte_cycles
        with m.If(take | ~in_frame):
            m.d.sync += timeout.eq(0)
        with m.Elif(timeout != limit):
            m.d.sync += timeout.eq(timeout + 1)
        m.d.comb += timed_out.eq(in_frame & (timeout == limit))

        def reject(code, counter):
            """Drop the frame: count it and have the executor answer ERROR ``code``."""
            m.d.sync += err_code.eq(code)
            m.d.comb += bump[counter].eq(1)
            m.next = "ERROR"

        frame_states = []

        @contextlib.contextmanager
        def frame_state(name):
            """A state between SOF and the last CRC byte: a silence there truncates the frame."""
            frame_states.append(name)
            with m.State(name):
                yield
                with m.If(timed_out):
                    reject(P.Err.TRUNCATED, "truncated")

        with m.FSM(name="receiver") as receiver:
            with m.State("HUNT"):
                with m.If(take):
                    with m.If(byte == P.SOF):
                        m.d.comb += rx_crc.start.eq(1)
                        m.next = "VERSION"
                    with m.Else():
                        m.d.comb += bump["garbage_bytes"].eq(1)
            for state, target, nxt in (("VERSION", version, "CMD"), ("CMD", cmd, "LEN0"),
                                       ("LEN0", length[:8], "LEN1")):
                with frame_state(state):
                    with m.If(take):
                        m.d.comb += rx_crc.valid.eq(1)
                        m.d.sync += target.eq(byte)
                        m.next = nxt
            with frame_state("LEN1"):
                with m.If(take):
                    m.d.comb += rx_crc.valid.eq(1)
                    m.d.sync += [length[8:].eq(byte), count.eq(0)]
                    with m.If(Cat(length[:8], byte) > P.MAX_PAYLOAD):
                        reject(P.Err.OVERSIZED, "oversized")
                    with m.Elif(Cat(length[:8], byte) == 0):
                        m.next = "CRC0"
                    with m.Else():
                        m.next = "PAYLOAD"
            with frame_state("PAYLOAD"):
                m.d.comb += [pl_wr.addr.eq(count), pl_wr.data.eq(byte)]
                with m.If(take):
                    m.d.comb += [rx_crc.valid.eq(1), pl_wr.en.eq(1)]
                    with m.If(count < 8):
                        m.d.sync += head[count[:3]].eq(byte)
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == length - 1):
                        m.next = "CRC0"
            for state, nxt in (("CRC0", "CRC1"), ("CRC1", "CHECK")):
                with frame_state(state):
                    with m.If(take):
                        m.d.comb += rx_crc.valid.eq(1)
                        m.next = nxt
            with m.State("CHECK"):                       # the CRC register now holds the residue
                with m.If(~rx_crc.match_detected):
                    reject(P.Err.BAD_CRC, "bad_crc")
                with m.Elif(version != P.VERSION):
                    reject(P.Err.BAD_VERSION, "bad_version")
                with m.Else():
                    m.d.comb += frame_go.eq(1)
                    m.next = "BUSY"
            with m.State("ERROR"):
                m.d.comb += frame_err.eq(1)
                m.next = "BUSY"
            with m.State("BUSY"):                        # the executor answers; bytes now are garbage
                with m.If(take):
                    m.d.comb += bump["garbage_bytes"].eq(1)
                with m.If(exec_done):
                    m.next = "HUNT"

        m.d.comb += in_frame.eq(Cat(receiver.ongoing(name) for name in frame_states).any())

        # ---- sender: one frame of `tx_len` payload bytes, taken from `tx_src` -------------------------------------
        # Sources: SMALL, a register of the few bytes of an event or a short reply; IDENT, the constant identity;
        # COUNTERS, each counter read (and, when asked, cleared) as its first byte is due; VOLTS, `first` then
        # v of neurons first.. through the core's peek port.
        ident = identity_bytes(self.params, N, self.config, self.clock_hz, self.dt_cycles)
        SMALL, IDENT, COUNTERS, VOLTS = range(4)
        small_bytes = max(struct.calcsize("<" + P.PAYLOADS[c]) for c in
                          (P.Cmd.SPIKE, P.Cmd.TRACE, P.Cmd.ERROR, P.Cmd.RUN | P.REPLY, P.Cmd.WRITE_INPUTS | P.REPLY))
        tx_small = Signal(8 * small_bytes)
        tx_src = Signal(2)
        tx_cmd = Signal(8)
        tx_len = Signal(16)
        tx_first = Signal(32)
        tx_clear = Signal()                         # READ_COUNTERS with the clear flag
        snap = Signal(32)                           # the counter being sent
        tx_start = Signal()
        tx_idle = Signal()
        pidx = Signal(16)
        settle_cycles = self.config.timing(N).storage_cycles + 2      # peek address -> data -> byte register
        settle = Signal(range(settle_cycles + 1))
        next_byte = Signal(8)
        m.submodules.tx_crc = tx_crc = CRC16_CCITT_FALSE(data_width=8).create()
        out = Signal(8)
        m.d.comb += [self.tx.payload.eq(out), tx_crc.data.eq(out)]
        volt_word = Signal(signed(32))
        m.d.comb += [core.peek_addr.eq(tx_first + (pidx - 4)[2:]), volt_word.eq(core.peek_v)]

        def send_byte(value, nxt):
            m.d.comb += [out.eq(value), self.tx.valid.eq(1)]
            with m.If(self.tx.ready):
                m.next = nxt
            return self.tx.ready

        with m.FSM(name="sender"):
            with m.State("IDLE"):
                m.d.comb += tx_idle.eq(1)
                with m.If(tx_start):
                    m.next = "SOF"
            with m.State("SOF"):
                with m.If(send_byte(P.SOF, "VERSION")):
                    m.d.comb += tx_crc.start.eq(1)
            for state, value, nxt in (("VERSION", P.VERSION, "CMD"), ("CMD", tx_cmd, "LEN0"),
                                      ("LEN0", tx_len[:8], "LEN1")):
                with m.State(state):
                    m.d.comb += tx_crc.valid.eq(send_byte(value, nxt))
            with m.State("LEN1"):
                m.d.sync += [pidx.eq(0), settle.eq(settle_cycles)]
                m.d.comb += tx_crc.valid.eq(send_byte(tx_len[8:], "PAYLOAD"))
                with m.If(self.tx.ready & (tx_len == 0)):
                    m.next = "CRC_WAIT"
            with m.State("PAYLOAD"):
                # payload byte `pidx`, registered (off the CRC's path): the peek address follows pidx, its data
                # storage_cycles later, and the byte register a cycle after that: wait settle_cycles per byte
                value = Signal(8)
                ident_rom = Array(Const(b, 8) for b in ident)
                with m.Switch(tx_src):
                    with m.Case(SMALL):
                        m.d.comb += value.eq(tx_small.word_select(pidx[:(small_bytes - 1).bit_length()], 8))
                    with m.Case(IDENT):
                        m.d.comb += value.eq(ident_rom[pidx[:(len(ident) - 1).bit_length()]])
                    with m.Case(COUNTERS):
                        m.d.comb += value.eq(snap.word_select(pidx[:2], 8))
                        counter_no = pidx[2:6]
                        with m.If((settle == settle_cycles) & (pidx[:2] == 0)):     # first byte of a counter: read it
                            m.d.sync += snap.eq(Array(counters[name] for name in P.COUNTERS)[counter_no])
                            for k, name in enumerate(P.COUNTERS):
                                m.d.comb += clear[name].eq(tx_clear & (counter_no == k))
                    with m.Case(VOLTS):
                        with m.If(pidx >= 4):
                            m.d.comb += value.eq(volt_word.word_select(pidx[:2], 8))
                        with m.Else():
                            m.d.comb += value.eq(tx_first.word_select(pidx[:2], 8))
                m.d.sync += next_byte.eq(value)
                with m.If(settle != 0):
                    m.d.sync += settle.eq(settle - 1)
                with m.Else():
                    m.d.comb += [out.eq(next_byte), self.tx.valid.eq(1), tx_crc.valid.eq(self.tx.ready)]
                    with m.If(self.tx.ready):
                        m.d.sync += [pidx.eq(pidx + 1), settle.eq(settle_cycles)]
                        with m.If(pidx == tx_len - 1):
                            m.next = "CRC_WAIT"
            with m.State("CRC_WAIT"):                   # the CRC register takes the last byte
                m.next = "CRC0"
            with m.State("CRC0"):
                crc_now = Signal(16)
                m.d.sync += crc_now.eq(tx_crc.crc)
                send_byte(tx_crc.crc[8:], "CRC1")
            with m.State("CRC1"):
                send_byte(crc_now[:8], "IDLE")

        # ---- executor --------------------------------------------------------------------------------------
        field32 = lambda k: Cat(head[k], head[k + 1], head[k + 2], head[k + 3])
        field16 = lambda k: Cat(head[k], head[k + 1])
        first = Signal(32)
        k_total = Signal(16)
        k_done = Signal(16)
        word = Signal(32)
        j = Signal(2)
        steps = Signal(32)
        requested = Signal(32)
        accepted = Signal(32)
        missed = Signal(32)
        events_sent = Signal(32)
        paced, tracing = Signal(), Signal()
        tick = Signal(range(self.dt_cycles + 1))
        quiet = Signal(range(8))
        A = index_bits(N)

        def start_reply(code, nbytes, small=None, src=SMALL):
            m.d.sync += [tx_cmd.eq(code), tx_len.eq(nbytes), tx_src.eq(src)]
            if small is not None:
                m.d.sync += tx_small.eq(small)
            m.d.comb += tx_start.eq(1)

        def error(code):
            m.d.sync += err_code.eq(code)
            m.next = "SEND_ERROR"

        # the trace stream carries no step number: count its events (N per step) from the core's reset
        trace_step = Signal(STEP_BITS)
        trace_n = Signal(range(N))
        v32 = Signal(signed(32))
        m.d.comb += v32.eq(core.trace.payload.v)
        with m.If(core_rst):
            m.d.sync += [trace_step.eq(0), trace_n.eq(0)]
        with m.Elif(core.trace.valid & core.trace.ready):
            m.d.sync += trace_n.eq(trace_n + 1)
            with m.If(trace_n == N - 1):
                m.d.sync += [trace_n.eq(0), trace_step.eq(trace_step + 1)]

        with m.FSM(name="executor") as executor:
            with m.State("IDLE"):
                with m.If(frame_err):
                    m.next = "SEND_ERROR"
                with m.Elif(frame_go):
                    with m.Switch(cmd):
                        with m.Case(P.Cmd.IDENTIFY):
                            with m.If(length != 0):
                                error(P.Err.BAD_LENGTH)
                            with m.Else():
                                m.next = "IDENTIFY"
                        with m.Case(P.Cmd.WRITE_INPUTS):
                            with m.If((length < 4) | (length[:2] != 0)):
                                error(P.Err.BAD_LENGTH)
                            with m.Elif(field32(0) + ((length - 4) >> 2) > N):
                                error(P.Err.BAD_NEURON)
                            with m.Else():
                                m.d.sync += [first.eq(field32(0)), k_total.eq((length - 4) >> 2), k_done.eq(0),
                                             j.eq(0)]
                                m.next = "WRITE_ADDR"
                                with m.If(length == 4):
                                    m.next = "WRITE_REPLY"
                        with m.Case(P.Cmd.RUN):
                            with m.If(length != 5):
                                error(P.Err.BAD_LENGTH)
                            with m.Else():
                                m.d.sync += [steps.eq(field32(0)), paced.eq(head[4][0]), tracing.eq(head[4][1]),
                                             requested.eq(0), accepted.eq(0), missed.eq(0), tick.eq(0),
                                             quiet.eq(0), events_sent.eq(0)]
                                m.next = "RUN"
                        with m.Case(P.Cmd.READ_VOLTAGES):
                            with m.If(length != 6):
                                error(P.Err.BAD_LENGTH)
                            with m.Elif((field32(0) + field16(4) > N) | (field16(4) > (P.MAX_PAYLOAD - 4) // 4)):
                                error(P.Err.BAD_NEURON)
                            with m.Else():
                                m.d.sync += [tx_cmd.eq(P.Cmd.READ_VOLTAGES | P.REPLY),
                                             tx_len.eq(4 + 4 * field16(4)), tx_src.eq(VOLTS), tx_first.eq(field32(0))]
                                m.next = "VOLTAGES"
                        with m.Case(P.Cmd.READ_COUNTERS):
                            with m.If(length != 1):
                                error(P.Err.BAD_LENGTH)
                            with m.Else():
                                start_reply(P.Cmd.READ_COUNTERS | P.REPLY, 4 * len(P.COUNTERS), src=COUNTERS)
                                m.d.sync += tx_clear.eq(head[0][0])
                                m.next = "FINISH_COUNTERS"
                        with m.Case(P.Cmd.RESET):
                            with m.If(length != 0):
                                error(P.Err.BAD_LENGTH)
                            with m.Else():
                                m.d.comb += core_rst.eq(1)
                                m.next = "RESET_WAIT"
                        with m.Default():
                            error(P.Err.UNKNOWN_COMMAND)
            with m.State("SEND_ERROR"):
                with m.If(tx_idle):
                    start_reply(P.Cmd.ERROR, 2, Cat(err_code, cmd))
                    with m.Switch(err_code):
                        with m.Case(P.Err.BAD_LENGTH):
                            m.d.comb += bump["bad_length"].eq(1)
                        with m.Case(P.Err.BAD_NEURON):
                            m.d.comb += bump["bad_neuron"].eq(1)
                        with m.Case(P.Err.UNKNOWN_COMMAND):
                            m.d.comb += bump["unknown_command"].eq(1)
                    m.next = "FINISH"
            with m.State("IDENTIFY"):
                m.d.comb += bump["frames_ok"].eq(1)
                start_reply(P.Cmd.IDENTIFY | P.REPLY, len(ident), src=IDENT)
                m.next = "FINISH"
            # WRITE_INPUTS: value k is payload bytes 4+4k .. 7+4k; the payload RAM answers a cycle later
            with m.State("WRITE_ADDR"):
                m.d.comb += pl_rd.addr.eq(4 + 4 * k_done + j)
                m.next = "WRITE_DATA"
            with m.State("WRITE_DATA"):
                m.d.sync += [word.eq(Cat(word[8:], pl_rd.data)), j.eq(j + 1)]
                with m.If(j == 3):
                    m.next = "WRITE_PUSH"
                with m.Else():
                    m.next = "WRITE_ADDR"
            with m.State("WRITE_PUSH"):
                m.d.comb += [core.cur.valid.eq(1), core.cur.payload.neuron.eq(first + k_done),
                             core.cur.payload.u.eq(word[:c.W])]
                with m.If(core.cur.ready):
                    m.d.sync += k_done.eq(k_done + 1)
                    m.next = "WRITE_ADDR"
                    with m.If(k_done + 1 == k_total):
                        m.next = "WRITE_REPLY"
            with m.State("WRITE_REPLY"):
                m.d.comb += bump["frames_ok"].eq(1)
                start_reply(P.Cmd.WRITE_INPUTS | P.REPLY, 4, Cat(k_total, Const(0, 16)))
                m.next = "FINISH"
            with m.State("VOLTAGES"):
                m.d.comb += [tx_start.eq(1), bump["frames_ok"].eq(1)]
                m.next = "FINISH"
            with m.State("RESET_WAIT"):
                with m.If(~core.busy):
                    m.d.comb += bump["frames_ok"].eq(1)
                    start_reply(P.Cmd.RESET | P.REPLY, 0)
                    m.next = "FINISH"
            with m.State("RUN"):
                # step requests: all at once (fast) or one per tick (paced)
                with m.If(paced):
                    with m.If(tick == 0):
                        m.d.sync += tick.eq(self.dt_cycles - 1)
                        with m.If(requested != steps):
                            m.d.sync += requested.eq(requested + 1)
                            with m.If((requested != accepted) & (missed != 0xFFFF_FFFF)):
                                m.d.sync += missed.eq(missed + 1)
                                m.d.comb += bump["missed_deadlines"].eq(1)
                    with m.Else():
                        m.d.sync += tick.eq(tick - 1)
                with m.Else():
                    m.d.sync += requested.eq(steps)
                m.d.comb += core.step.eq(accepted != requested)
                with m.If(core.step & ~core.busy):
                    m.d.sync += accepted.eq(accepted + 1)
                # events: spikes first, then trace; each becomes a frame when the sender is free
                with m.If(tx_idle & core.spikes.valid):
                    m.d.comb += [core.spikes.ready.eq(1), self.activity.eq(1)]
                    m.d.sync += events_sent.eq(events_sent + 1)
                    start_reply(P.Cmd.SPIKE, 6, Cat(core.spikes.payload.step, core.spikes.payload.neuron,
                                                    Const(0, 32 - A)))
                with m.Elif(tx_idle & core.trace.valid & tracing):
                    m.d.comb += core.trace.ready.eq(1)
                    start_reply(P.Cmd.TRACE, 10, Cat(trace_step, core.trace.payload.neuron, Const(0, 32 - A), v32))
                with m.If(~tracing):
                    m.d.comb += core.trace.ready.eq(1)       # traced voltages are dropped unless asked for
                # done: every step accepted, the core idle and both streams quiet past the FIFO latency
                settled = (accepted == steps) & ~core.busy & ~core.spikes.valid & ~core.trace.valid & tx_idle
                with m.If(~settled):
                    m.d.sync += quiet.eq(0)
                with m.Elif(quiet != CoreTiming.FIFO_LATENCY + 2):
                    m.d.sync += quiet.eq(quiet + 1)
                with m.Else():
                    m.d.comb += bump["frames_ok"].eq(1)
                    start_reply(P.Cmd.RUN | P.REPLY, 12, Cat(accepted, missed, events_sent))
                    m.next = "FINISH"
            with m.State("FINISH_COUNTERS"):                # counted once its reply has left
                with m.If(tx_idle & ~tx_start):
                    m.d.comb += [bump["frames_ok"].eq(1), exec_done.eq(1)]
                    m.next = "IDLE"
            with m.State("FINISH"):                       # wait until the reply has left
                with m.If(tx_idle & ~tx_start):
                    m.d.comb += exec_done.eq(1)
                    m.next = "IDLE"

        if platform == "formal":
            self._properties(m, core, core_rst, receiver, executor, rx_crc, in_frame, take, byte)
        return m

    def _properties(self, m, core, core_rst, receiver, executor, rx_crc, in_frame, take, byte):
        """Proved by ``make formal`` (``lifgen.sim.formal.prove_parser``) for every byte sequence on ``rx`` and
        every ``tx.ready`` pattern: neuron state (an input write, an accepted step, the core's reset) changes
        only while the executor carries out a frame whose CRC matched. The CRC is computed a second time here,
        bit by bit from the protocol's definition (CRC-16/CCITT-FALSE, polynomial 0x1021, MSB first, over the
        bytes after SOF), independently of ``amaranth.lib.crc``; ``crc_ok`` holds its verdict on the last frame.
        The other assertions are invariants that make the property inductive; with ``formal_invariants`` False
        only the property itself is checked (a bounded search then reports where it breaks)."""
        ref = Signal(16, init=0xFFFF)                # the independent CRC over the frame so far
        nxt = ref
        for i in reversed(range(8)):
            feedback = nxt[15] ^ byte[i]
            nxt = (nxt << 1)[:16] ^ Mux(feedback, 0x1021, 0)
        crc_ok = Signal()                            # the last frame's CRC matched (set in CHECK)
        with m.If(receiver.ongoing("HUNT") & take & (byte == P.SOF)):
            m.d.sync += [ref.eq(0xFFFF), crc_ok.eq(0)]
        with m.Elif(in_frame & take):
            m.d.sync += ref.eq(nxt)
        checked = Signal()                           # crc_ok, or in CHECK already the verdict being taken
        m.d.comb += checked.eq(Mux(receiver.ongoing("CHECK"), ref == 0, crc_ok))
        with m.If(receiver.ongoing("CHECK")):
            m.d.sync += crc_ok.eq(ref == 0)         # the frame's own CRC, sent MSB first, leaves a residue of 0
        writes = (core.cur.valid & core.cur.ready) | (core.step & ~core.busy) | core_rst
        m.d.comb += Assert(~writes | checked)
        if self.formal_invariants:
            # what the induction needs: the two CRCs agree through the frame, the executor works exactly while
            # the receiver waits for it, and it only carries out a frame whose CRC matched
            m.d.comb += [Assert(~(in_frame | receiver.ongoing("CHECK")) | (ref == rx_crc.crc)),
                         Assert(receiver.ongoing("BUSY") == ~executor.ongoing("IDLE")),
                         Assert(~receiver.ongoing("CHECK") | executor.ongoing("IDLE")),
                         *(Assert(~executor.ongoing(state) | crc_ok)
                           for state in ("WRITE_ADDR", "WRITE_DATA", "WRITE_PUSH", "RUN", "RESET_WAIT"))]
        m.d.comb += [
            Cover(core.cur.valid & core.cur.ready),                # an input write
            Cover(core.step & ~core.busy),                         # a step
            Cover(receiver.ongoing("CHECK") & (ref != 0)),         # a frame with a bad CRC
        ]
