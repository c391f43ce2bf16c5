# SPDX-License-Identifier: BSD-2-Clause
"""Where the neuron array keeps its state: the one place that knows memories, banks and vendor primitives.

The core (``lifgen.hw.core``) sees *groups*: group g holds neurons g*P .. g*P + P - 1 (P = lanes, lane j of
group g is neuron g*P + j). A storage object gives it, for every lane, v, the refractory counter r and the input
u of a group one cycle after the group's row address, takes the write-back of a committed group, the input writes
(by neuron index), the post-reset clear (by row), and the idle-time ``peek`` of one neuron's v.

Two storages (``CoreConfig.storage``):

- :class:`BlockRAMStorage` (``bram``): per lane a state memory (v and r in one word) and an input memory (u),
  inferred from ``amaranth.lib.memory.Memory``, ``ceil(N / P)`` rows each. Dual-ported: a read and a write every
  cycle.
- :class:`SPRAMStorage` (``spram``, one lane): the four SB_SPRAM256KA of the iCE40UP5K. v of even neurons in bank
  0, of odd neurons in bank 1; u the same way in banks 2 and 3; neuron n in row n >> 1. A neuron's state is one
  16-bit code (``lifgen.params.check_storage``): v itself, or ``VTH + r - 1`` while r refractory steps are left.
  An SPRAM reads or writes in a cycle, never both: ``read_ok`` is low when the row read this cycle is in the bank
  the write-back uses, and the core then waits a cycle (with its odd read-to-write distance that never happens in
  a step that runs unthrottled). Every SPRAM input is registered, so here reads, writes, input writes and the clear
  reach the memory a cycle later and read data (and ``peek_v``) arrives two cycles after the address
  (``CoreTiming.storage_cycles``).

Vendor primitives appear only here, behind :class:`SPRAM`: an ``Instance`` of SB_SPRAM256KA, or with
``behavioural=True`` an Amaranth model of it for Amaranth's simulator. The Verilog simulations use the Verilog
model ``lifgen/sim/models/SB_SPRAM256KA.v`` instead.
"""

import numpy as np
from amaranth.hdl import Array, ClockSignal, Const, Instance, Mux, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen.params import SPRAM_WORDS, CoreConfig, FixedParams, index_bits

from .layouts import state_layout

__all__ = ["SPRAM", "BlockRAMStorage", "SPRAMStorage", "make_storage", "divmod_const"]


def divmod_const(m, value, divisor, limit):
    """``(value // divisor, value % divisor)`` as Amaranth values, exact for ``0 <= value < limit``.

    A power of two is a bit slice; other divisors use a reciprocal multiply ``(value * M) >> s`` whose
    exactness over the whole range is checked here, at elaboration.
    """
    if divisor & (divisor - 1) == 0:
        k = divisor.bit_length() - 1
        return value >> k, value[:k]
    x = np.arange(limit, dtype=np.int64)
    for s in range(limit.bit_length(), 2 * limit.bit_length() + 8):
        mult = -(-(1 << s) // divisor)
        if np.array_equal((x * mult) >> s, x // divisor):
            break
    else:                                               # pragma: no cover - the search always succeeds
        raise AssertionError(f"no reciprocal for {divisor} below {limit}")
    quotient, rest = Signal(range(max(2, -(-limit // divisor)))), Signal(range(divisor))
    m.d.comb += [quotient.eq((value * mult) >> s), rest.eq(value - quotient * divisor)]
    return quotient, rest


class SPRAM(wiring.Component):
    """One iCE40UP5K single-port RAM, SB_SPRAM256KA: 16,384 words of 16 bits, all write-mask bits on.

    Each cycle it either writes ``wdata`` to ``addr`` (``we`` high) or reads ``addr``; read data appears on
    ``rdata`` in the next cycle and holds until the next read. After a write cycle ``rdata`` is undefined
    (the Verilog model makes it X; this component's Amaranth model holds it). The Amaranth model holds
    ``model_depth`` words (the rows the array uses; addresses beyond them are never used by the core).
    """
    addr: In(14)
    wdata: In(16)
    we: In(1)
    rdata: Out(16)

    def __init__(self, *, behavioural=False, model_depth=SPRAM_WORDS):
        self.behavioural = behavioural
        self.model_depth = model_depth                  # words the behavioural model holds (all the rows used)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        if self.behavioural:
            m.submodules.mem = mem = Memory(shape=16, depth=self.model_depth, init=[])
            rd, wr = mem.read_port(transparent_for=()), mem.write_port()
            m.d.comb += [rd.addr.eq(self.addr), rd.en.eq(~self.we), self.rdata.eq(rd.data),
                         wr.addr.eq(self.addr), wr.data.eq(self.wdata), wr.en.eq(self.we)]
        else:
            m.submodules.spram = Instance(
                "SB_SPRAM256KA",
                i_ADDRESS=self.addr, i_DATAIN=self.wdata, i_MASKWREN=Const(0b1111, 4), i_WREN=self.we,
                i_CHIPSELECT=Const(1), i_CLOCK=ClockSignal(), i_STANDBY=Const(0), i_SLEEP=Const(0),
                i_POWEROFF=Const(1), o_DATAOUT=self.rdata)
        return m


class _Storage:
    """The signals every storage shares with the core (see the module docstring for their timing)."""

    def __init__(self, constants: FixedParams, neurons, lanes, rows):
        W, rw = constants.W, max(1, constants.ref_width)
        self.constants, self.neurons, self.lanes, self.rows = constants, neurons, lanes, rows
        self.rd_addr = Signal(range(max(2, rows)))      # row (group) to read this cycle
        self.read_ok = Signal(init=1)                   # the read of rd_addr happens this cycle
        self.rd_v = [Signal(signed(W), name=f"rd_v{j}") for j in range(lanes)]      # next cycle
        self.rd_r = [Signal(rw, name=f"rd_r{j}") for j in range(lanes)]
        self.rd_u = [Signal(signed(W), name=f"rd_u{j}") for j in range(lanes)]
        self.wr_en = Signal()                           # write-back of group wr_addr, every lane
        self.wr_addr = Signal(range(max(2, rows)))
        self.wr_v = [Signal(signed(W), name=f"wr_v{j}") for j in range(lanes)]
        self.wr_r = [Signal(rw, name=f"wr_r{j}") for j in range(lanes)]
        self.in_en = Signal()                           # input write (neuron < N), only while idle
        self.in_neuron = Signal(index_bits(neurons))
        self.in_u = Signal(signed(W))
        self.clear_en = Signal()                        # write v = VREST, r = 0, u = 0 into row clear_row
        self.clear_row = Signal(range(max(2, rows)))
        self.peek_en = Signal()                         # read peek_addr's row instead of rd_addr
        self.peek_addr = Signal(index_bits(neurons))
        self.peek_v = Signal(signed(W))                 # v of peek_addr, next cycle


class BlockRAMStorage(_Storage):
    """Inferred block RAM, one state and one input memory per lane.

    When P is not a power of two, neuron indices are split into (row, lane) by a constant division
    (:func:`divmod_const`, a multiplier). Then every input of the storage is registered, divided, and registered
    again before it reaches a memory, so read data arrives three cycles after the row address
    (``CoreTiming.storage_cycles``); reads, writes, input writes and the clear are all delayed alike, so their
    order is unchanged."""

    def __init__(self, constants: FixedParams, neurons, lanes):
        super().__init__(constants, neurons, lanes, rows=-(-neurons // lanes))
        self.registered = lanes & (lanes - 1) != 0

    def _inputs(self, m):
        """The storage's inputs as the memories see them: as they are, or a cycle late (``registered``)."""
        names = ("rd_addr", "wr_en", "wr_addr", "in_en", "in_neuron", "in_u", "clear_en", "clear_row", "peek_en",
                 "peek_addr")
        inputs = {name: getattr(self, name) for name in names}
        inputs["wr_v"], inputs["wr_r"] = list(self.wr_v), list(self.wr_r)
        if not self.registered:
            return inputs
        late = {}
        for name, value in inputs.items():
            values = value if isinstance(value, list) else [value]
            regs = [Signal.like(v, name=f"{v.name}_q") for v in values]
            m.d.sync += [r.eq(v) for r, v in zip(regs, values)]
            late[name] = regs if isinstance(value, list) else regs[0]
        return late

    def elaborate(self, m):
        c, P, rows = self.constants, self.lanes, self.rows
        i = self._inputs(m)
        drive = m.d.sync if self.registered else m.d.comb      # the memories' inputs
        peek_row, peek_lane = divmod_const(m, i["peek_addr"], P, self.neurons)
        in_row, in_lane = divmod_const(m, i["in_neuron"], P, self.neurons)
        delay = 2 if self.registered else 1                   # peek lane: until its data
        peek_lane_q = [Signal.like(peek_lane, name=f"peek_lane_q{k}") for k in range(delay)]
        m.d.sync += [q.eq(prev) for q, prev in zip(peek_lane_q, [peek_lane] + peek_lane_q[:-1])]
        lane_v = []
        for j in range(P):
            state = Memory(shape=state_layout(c.W, c.ref_width), depth=rows, init=[])
            inputs = Memory(shape=signed(c.W), depth=rows, init=[])
            m.submodules[f"state_mem{j}"], m.submodules[f"input_mem{j}"] = state, inputs
            s_rd, s_wr = state.read_port(transparent_for=()), state.write_port()
            u_rd, u_wr = inputs.read_port(transparent_for=()), inputs.write_port()
            row = Mux(i["peek_en"], peek_row, i["rd_addr"])
            drive += [s_rd.addr.eq(row), u_rd.addr.eq(row)]
            m.d.comb += [self.rd_v[j].eq(s_rd.data.v), self.rd_u[j].eq(u_rd.data)]
            if c.ref_width:
                m.d.comb += self.rd_r[j].eq(s_rd.data.r)
            lane_v.append(s_rd.data.v)
            with m.If(i["clear_en"]):
                drive += [s_wr.addr.eq(i["clear_row"]), s_wr.data.v.eq(c.VREST), s_wr.en.eq(1),
                          u_wr.addr.eq(i["clear_row"]), u_wr.data.eq(0), u_wr.en.eq(1)]
            with m.Else():
                drive += [s_wr.addr.eq(i["wr_addr"]), s_wr.data.v.eq(i["wr_v"][j]), s_wr.en.eq(i["wr_en"]),
                          u_wr.addr.eq(in_row), u_wr.data.eq(i["in_u"]), u_wr.en.eq(i["in_en"] & (in_lane == j))]
                if c.ref_width:
                    drive += s_wr.data.r.eq(i["wr_r"][j])
        m.d.comb += self.peek_v.eq(Array(lane_v)[peek_lane_q[-1]] if P > 1 else lane_v[0])


class SPRAMStorage(_Storage):
    """The iCE40UP5K's four SPRAMs (one lane): v in banks 0/1, u in banks 2/3, even/odd neurons."""

    def __init__(self, constants: FixedParams, neurons, *, behavioural=False):
        super().__init__(constants, neurons, 1, rows=neurons)
        self.behavioural = behavioural

    def _encode(self, v, r):
        c = self.constants
        if not c.NREF:
            return v
        return Mux(r != 0, c.VTH + r - 1, v)

    def _decode(self, m, code, v, r):
        c = self.constants
        word = code[:c.W].as_signed()
        if not c.NREF:
            m.d.comb += [v.eq(word), r.eq(0)]
            return
        refractory = word >= c.VTH
        m.d.comb += [v.eq(Mux(refractory, c.VRESET, word)), r.eq(Mux(refractory, word - c.VTH + 1, 0))]

    def elaborate(self, m):
        c = self.constants
        rows = max(2, -(-self.neurons // 2))
        banks = [SPRAM(behavioural=self.behavioural, model_depth=rows) for _ in range(4)]
        for b, bank in enumerate(banks):
            m.submodules[f"spram{b}"] = bank
        rd_n = Mux(self.peek_en, self.peek_addr, self.rd_addr)
        rd_odd = [Signal(name=f"rd_odd{k}") for k in range(2)]   # bank of the row read 1 and 2 cycles ago
        m.d.sync += [rd_odd[0].eq(rd_n[0]), rd_odd[1].eq(rd_odd[0])]
        wr_code = Signal(16)
        m.d.comb += [
            wr_code.eq(self._encode(self.wr_v[0], self.wr_r[0])),
            self.read_ok.eq(~(self.wr_en & (self.wr_addr[0] == self.rd_addr[0]))),
        ]
        for parity in (0, 1):
            # every SPRAM input is registered: the four blocks sit in the chip's corners, far from the logic
            v_bank, u_bank = banks[parity], banks[2 + parity]
            write_back = self.wr_en & (self.wr_addr[0] == parity)
            with m.If(self.clear_en):
                m.d.sync += [v_bank.addr.eq(self.clear_row), v_bank.wdata.eq(Const(c.VREST, signed(16))),
                             v_bank.we.eq(1),
                             u_bank.addr.eq(self.clear_row), u_bank.wdata.eq(0), u_bank.we.eq(1)]
            with m.Else():
                m.d.sync += [
                    v_bank.addr.eq(Mux(write_back, self.wr_addr >> 1, rd_n >> 1)),
                    v_bank.wdata.eq(wr_code), v_bank.we.eq(write_back),
                    u_bank.addr.eq(Mux(self.in_en, self.in_neuron >> 1, rd_n >> 1)),
                    u_bank.wdata.eq(self.in_u), u_bank.we.eq(self.in_en & (self.in_neuron[0] == parity)),
                ]
        code = Mux(rd_odd[1], banks[1].rdata, banks[0].rdata)
        self._decode(m, code, self.rd_v[0], self.rd_r[0])
        m.d.comb += [self.rd_u[0].eq(Mux(rd_odd[1], banks[3].rdata, banks[2].rdata)[:c.W].as_signed()),
                     self.peek_v.eq(self.rd_v[0])]


def make_storage(constants: FixedParams, neurons, config: CoreConfig, *, behavioural=False):
    """The storage ``config.storage`` names (``lifgen.params.check_storage`` has accepted the combination)."""
    if config.storage == "spram":
        return SPRAMStorage(constants, neurons, behavioural=behavioural)
    return BlockRAMStorage(constants, neurons, config.lanes)
