# SPDX-License-Identifier: BSD-2-Clause
"""Where the neuron array keeps its state: the one place that knows memories, banks and vendor primitives.

The core (``lifgen.hw.core``) sees *groups*: group g holds neurons g*P .. g*P + P - 1 (P = lanes, lane j of
group g is neuron g*P + j). A storage object gives it, for every lane, v, the refractory counter r and the input
u of a group one cycle after the group's row address, takes the write-back of a committed group, the input writes
(by neuron index), the post-reset clear (by row), and the idle-time ``peek`` of one neuron's v.

Three storages (``CoreConfig.storage``):

- :class:`BlockRAMStorage` (``bram``): per lane a state memory (v and r in one word) and an input memory (u),
  inferred from ``amaranth.lib.memory.Memory``, ``ceil(N / P)`` rows each. Dual-ported: a read and a write every
  cycle.
- :class:`SPRAMStorage` (``spram``, one lane): the four SB_SPRAM256KA of the iCE40UP5K. v of even neurons in bank
  0, of odd neurons in bank 1; u the same way in banks 2 and 3; neuron n in row n >> 1. A neuron's state is one
  16-bit code (``lifgen.params.check_storage``): v itself, or ``VTH + r - 1`` while r refractory steps are left.
  An SPRAM reads or writes in a cycle, never both: a read of the bank the write-back uses (``conflict``) would
  not be served. The core keeps it from happening (``needs_even_waits``): its read-to-write distance is odd, and
  its issue stage waits an even number of cycles at a time, so the row read and the row written always differ in
  parity. Every SPRAM input passes two registers (a request per bank pair, then the pins,
  one look-up table between), so here reads, writes, input writes and the clear reach the memory two cycles later,
  and every SPRAM output one register before the multiplexer that picks the bank: read data (and ``peek_v``)
  arrives four cycles after the address (``CoreTiming.storage_cycles``).
- :class:`DP16KDStorage` (``dp16kd``, ECP5, any lanes): per lane a state and an input memory as in ``bram``, but
  built from DP16KD blocks instantiated directly (:class:`DP16KD`: port A writes, port B reads, the output
  register on) in the shape :func:`lifgen.params.dp16kd_shape` picks. Every block input passes two registers, a
  copy per memory and a copy per group of ``BLOCKS_PER_COPY`` blocks (address, write data, write enable, read
  enable), so no register drives more than a few blocks across the die, and every block output one register
  before any multiplexer: read data arrives five cycles after the row address; when P is not a power of two
  ``6 + ceil(A / 3)`` (inputs registered once more, then neuron indices divided by P in a fabric pipeline).

Vendor primitives appear only here, behind :class:`SPRAM` and :class:`DP16KD` (and the FD1S3AX flip-flops of the
DP16KD storage's copies, which synthesis must not merge): ``Instance`` objects, or with ``behavioural=True``
Amaranth models for Amaranth's simulator. The Verilog simulations use the Verilog models in
``lifgen/sim/models/`` instead (``lifgen.sim.primitives``).
"""

import numpy as np
from amaranth.hdl import Array, Cat, ClockSignal, Const, Instance, Mux, Module, Signal, Value, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen.params import (BRAM_BANK_ROWS, DP16KD_CONFIGS, DP16KD_DIVIDE_BITS, SPRAM_WORDS, CoreConfig, FixedParams,
                           dp16kd_shape, index_bits)

from .layouts import state_layout

__all__ = ["SPRAM", "DP16KD", "BlockRAMStorage", "SPRAMStorage", "DP16KDStorage", "make_storage", "divmod_const"]


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


READ_CYCLES = 5         # storage dp16kd: from a row address to its data when P is a power of two (DP16KDStorage)


def divmod_pipelined(m, value, divisor, name, bits_per_stage=3):
    """``(value // divisor, value % divisor, stages)``: restoring division by the constant ``divisor`` in fabric
    logic, ``bits_per_stage`` bits of ``value`` (most significant first) per cycle, with a register after each
    group of bits; the results appear ``stages`` cycles after ``value``. No multiplier: an unregistered ECP5
    MULT18X18D (``divmod_const``) alone takes ~4 ns."""
    n = len(value)
    rbits = max(1, (divisor - 1).bit_length())
    rest, quotient, bits = Const(0, rbits), [], value
    stages = 0
    for top in range(n - 1, -1, -bits_per_stage):
        for b in range(top, max(-1, top - bits_per_stage), -1):
            wide = Cat(bits[b], rest)
            ge = wide >= divisor
            quotient.insert(0, ge)
            rest = Mux(ge, wide - divisor, wide)[:rbits]
        stages += 1
        rest_q = Signal(rbits, name=f"{name}_rest{stages}")
        quot_q = Signal(len(quotient), name=f"{name}_quot{stages}")
        bits_q = Signal(n, name=f"{name}_bits{stages}")
        m.d.sync += [rest_q.eq(rest), quot_q.eq(Cat(*quotient)), bits_q.eq(bits)]
        rest, quotient, bits = rest_q, [quot_q[k] for k in range(len(quotient))], bits_q
    return Cat(*quotient), rest, stages


def delayed(m, value, cycles, name):
    """``value`` ``cycles`` cycles late, through a chain of registers."""
    for k in range(cycles):
        q = Signal.like(value, name=f"{name}_d{k + 1}") if isinstance(value, Signal) else \
            Signal(len(value), name=f"{name}_d{k + 1}")
        m.d.sync += q.eq(value)
        value = q
    return value


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


class DP16KD(wiring.Component):
    """One ECP5 DP16KD (18 kbit) as a simple dual-port RAM of ``depth`` words of ``width`` bits, one of
    :data:`lifgen.params.DP16KD_CONFIGS`: port A writes, port B reads with its output register on
    (``REGMODE_B = "OUTREG"``). Both ports run on the ``sync`` clock.

    Port A writes ``wr_data`` to ``wr_addr`` at the clock edge where ``wr_en`` is high. Port B reads ``rd_addr``
    at an edge where ``rd_en`` is high (with ``rd_en`` low the block's read latch holds); the output register takes
    the latch at the next edge, so the word is on ``rd_data`` two cycles after the address was presented, and
    stays there while ``rd_en`` is low. Reading the word that port A writes at the same edge gives an undefined
    word (the Verilog model gives X): the storage never uses such a read.

    Pins (``lifgen/sim/models/DP16KD.v`` and the checks in ``tests/test_rtl_dp16kd.py`` against Yosys's own
    mapping, ``techlibs/lattice/brams_map_16kd.v``): the word address sits in the top bits of ``ADx[13:0]``,
    ``ADx[13:s]`` with ``s = 14 - log2(depth)`` (4 for 1024 x 18, 3 for 2048 x 9, 2, 1, 0 for 16384 x 1); the bits
    below are 0, except that at width 18 ``ADA[1:0]`` are the write port's byte enables (both on). Data on
    ``DIA[width-1:0]`` and ``DOB[width-1:0]``. With ``behavioural=True`` an Amaranth model of the same timing
    (``model_depth`` words) replaces the primitive.
    """

    def __init__(self, depth, width, *, behavioural=False, model_depth=None):
        if (depth, width) not in DP16KD_CONFIGS:
            raise ValueError(f"a DP16KD has no {depth} x {width} configuration")
        self.depth, self.width = depth, width
        self.abits = depth.bit_length() - 1
        self.behavioural = behavioural
        self.model_depth = min(depth, model_depth or depth)
        super().__init__({"wr_addr": In(self.abits), "wr_data": In(width), "wr_en": In(1),
                          "rd_addr": In(self.abits), "rd_en": In(1), "rd_data": Out(width)})

    def elaborate(self, platform):
        m = Module()
        if self.behavioural:
            m.submodules.mem = mem = Memory(shape=self.width, depth=self.model_depth, init=[])
            rd, wr = mem.read_port(transparent_for=()), mem.write_port()
            m.d.comb += [rd.addr.eq(self.rd_addr), rd.en.eq(self.rd_en),
                         wr.addr.eq(self.wr_addr), wr.data.eq(self.wr_data), wr.en.eq(self.wr_en)]
            m.d.sync += self.rd_data.eq(rd.data)                # the output register
            return m
        shift = 14 - self.abits
        low = [Const(0)] * shift
        if self.width == 18:
            low = [Const(1), Const(1), Const(0), Const(0)]        # ADA[1:0]: byte enables of the 18-bit write
        ada = low + [self.wr_addr[k] for k in range(self.abits)]
        adb = [Const(0)] * shift + [self.rd_addr[k] for k in range(self.abits)]
        dia = [self.wr_data[k] if k < self.width else Const(0) for k in range(18)]
        dob = [Signal(name=f"dob{k}") for k in range(18)]
        pins = {}
        for k in range(14):
            pins[f"i_ADA{k}"], pins[f"i_ADB{k}"] = ada[k], adb[k]
        for k in range(18):
            pins[f"i_DIA{k}"], pins[f"i_DIB{k}"], pins[f"o_DOB{k}"] = dia[k], Const(0), dob[k]
        for k in range(3):
            pins[f"i_CSA{k}"], pins[f"i_CSB{k}"] = Const(0), Const(0)
        m.submodules.block = Instance(
            "DP16KD",
            p_DATA_WIDTH_A=self.width, p_DATA_WIDTH_B=self.width, p_REGMODE_A="NOREG", p_REGMODE_B="OUTREG",
            p_RESETMODE="SYNC", p_ASYNC_RESET_RELEASE="SYNC", p_CSDECODE_A="0b000", p_CSDECODE_B="0b000",
            p_WRITEMODE_A="NORMAL", p_WRITEMODE_B="NORMAL", p_GSR="AUTO",
            i_CLKA=ClockSignal(), i_CEA=Const(1), i_OCEA=Const(1), i_WEA=self.wr_en, i_RSTA=Const(0),
            i_CLKB=ClockSignal(), i_CEB=self.rd_en, i_OCEB=Const(1), i_WEB=Const(0), i_RSTB=Const(0),
            **pins)
        m.d.comb += self.rd_data.eq(Cat(dob[:self.width]))
        return m


def _inputs(storage, m, registered):
    """``storage``'s inputs by name (lists for ``wr_v``/``wr_r``): as they are, or each a cycle late."""
    names = ("rd_addr", "wr_en", "wr_addr", "in_en", "in_neuron", "in_u", "clear_en", "clear_row", "peek_en",
             "peek_addr")
    inputs = {name: getattr(storage, name) for name in names}
    inputs["wr_v"], inputs["wr_r"] = list(storage.wr_v), list(storage.wr_r)
    if not registered:
        return inputs
    late = {}
    for name, value in inputs.items():
        values = value if isinstance(value, list) else [value]
        regs = [Signal.like(v, name=f"{v.name}_q") for v in values]
        m.d.sync += [r.eq(v) for r, v in zip(regs, values)]
        late[name] = regs if isinstance(value, list) else regs[0]
    return late


class _Storage:
    """The signals every storage shares with the core (see the module docstring for their timing)."""

    def __init__(self, constants: FixedParams, neurons, lanes, rows):
        W, rw = constants.W, max(1, constants.ref_width)
        self.constants, self.neurons, self.lanes, self.rows = constants, neurons, lanes, rows
        self.rd_addr = Signal(range(max(2, rows)))      # row (group) to read this cycle
        # a read of rd_addr would not be served this cycle (a write-back in its bank; for the proofs), and whether
        # the core must keep that from happening by waiting an even number of cycles at a time (SPRAM)
        self.conflict = Const(0)
        self.needs_even_waits = False
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
    order is unchanged.

    ``banked`` (``CoreTiming.banked``): each memory is built as banks of ``BRAM_BANK_ROWS`` rows (:class:`_Banks`),
    each bank's read data registered before the multiplexer that picks the bank, so read data arrives a cycle
    later. Without it, Yosys cascades the blocks of a deep memory itself and its multiplexer follows the blocks'
    outputs directly, which is what limited the iCE40HX8K array."""

    def __init__(self, constants: FixedParams, neurons, lanes, *, banked=False):
        super().__init__(constants, neurons, lanes, rows=-(-neurons // lanes))
        self.registered = lanes & (lanes - 1) != 0
        self.banked = banked

    def _inputs(self, m):
        """The storage's inputs as the memories see them: as they are, or a cycle late (``registered``)."""
        return _inputs(self, m, self.registered)

    def elaborate(self, m):
        c, P, rows = self.constants, self.lanes, self.rows
        i = self._inputs(m)
        drive = m.d.sync if self.registered else m.d.comb      # the memories' inputs
        peek_row, peek_lane = divmod_const(m, i["peek_addr"], P, self.neurons)
        in_row, in_lane = divmod_const(m, i["in_neuron"], P, self.neurons)
        delay = (2 if self.registered else 1) + self.banked    # peek lane: until its data
        peek_lane_q = [Signal.like(peek_lane, name=f"peek_lane_q{k}") for k in range(delay)]
        m.d.sync += [q.eq(prev) for q, prev in zip(peek_lane_q, [peek_lane] + peek_lane_q[:-1])]
        bank_rows = BRAM_BANK_ROWS if self.banked else max(1, rows)
        state_shape = state_layout(c.W, c.ref_width)
        row = Mux(i["peek_en"], peek_row, i["rd_addr"])
        lane_v = []
        for j in range(P):
            state = _Banks(m, f"state_mem{j}", state_shape, rows, bank_rows)
            inputs = _Banks(m, f"input_mem{j}", signed(c.W), rows, bank_rows)
            s_data, u_data = state.read(m, drive, row), inputs.read(m, drive, row)
            m.d.comb += [self.rd_v[j].eq(s_data.v), self.rd_u[j].eq(u_data)]
            if c.ref_width:
                m.d.comb += self.rd_r[j].eq(s_data.r)
            lane_v.append(s_data.v)
            word = Signal(state_shape, name=f"wr_word{j}")               # the state written back
            m.d.comb += word.v.eq(i["wr_v"][j])
            if c.ref_width:
                m.d.comb += word.r.eq(i["wr_r"][j])
            with m.If(i["clear_en"]):
                state.write(drive, i["clear_row"], state_shape.const({"v": c.VREST}), 1)
                inputs.write(drive, i["clear_row"], 0, 1)
            with m.Else():
                state.write(drive, i["wr_addr"], word, i["wr_en"])
                inputs.write(drive, in_row, i["in_u"], i["in_en"] & (in_lane == j))
        m.d.comb += self.peek_v.eq(Array(lane_v)[peek_lane_q[-1]] if P > 1 else lane_v[0])


class _Banks:
    """A memory of ``rows`` rows of ``shape`` as banks of ``bank_rows`` rows (the last may be shorter), each an
    inferred ``Memory`` with one synchronous read and one write port. With one bank :meth:`read` gives the
    memory's read data (a cycle after the address); with several, each bank's read data passes a register and
    the bank is picked after it (two cycles after the address)."""

    def __init__(self, m, name, shape, rows, bank_rows):
        self.shape, self.bits = shape, (bank_rows - 1).bit_length()
        self.ports = []
        for b in range(-(-max(1, rows) // bank_rows)):
            mem = Memory(shape=shape, depth=min(bank_rows, rows - b * bank_rows), init=[])
            m.submodules[name if rows <= bank_rows else f"{name}_b{b}"] = mem
            self.ports.append((mem.read_port(transparent_for=()), mem.write_port()))
        self.name = name

    def _split(self, row):
        """(bank, row within the bank) of ``row``."""
        return row[self.bits:], row[:self.bits]

    def read(self, m, drive, row):
        """The word at ``row``, ``drive`` being the domain of the memories' inputs (comb, or sync when the storage
        registers its inputs)."""
        if len(self.ports) == 1:
            rd = self.ports[0][0]
            drive += rd.addr.eq(row)
            return rd.data
        bank, low = self._split(row)
        at_memory = Signal(range(len(self.ports)), name=f"{self.name}_bank")    # the bank as the memories see it
        drive += at_memory.eq(bank)
        picked = [Signal.like(at_memory, name=f"{self.name}_bank_q{k}") for k in range(2)]
        m.d.sync += [picked[0].eq(at_memory), picked[1].eq(picked[0])]
        words = []
        for b, (rd, _) in enumerate(self.ports):
            drive += rd.addr.eq(low)
            word = Signal(self.shape, name=f"{self.name}_b{b}_q")
            m.d.sync += word.eq(rd.data)
            words.append(word)
        chosen = Array(Value.cast(word) for word in words)[picked[1]]
        return self.shape(chosen) if isinstance(self.shape, data.Layout) else chosen

    def write(self, drive, row, data, en):
        """Write ``data`` at ``row`` when ``en`` (statements in ``drive``, under the caller's conditions)."""
        if len(self.ports) == 1:
            wr = self.ports[0][1]
            drive += [wr.addr.eq(row), wr.data.eq(data), wr.en.eq(en)]
            return
        bank, low = self._split(row)
        for b, (_, wr) in enumerate(self.ports):
            drive += [wr.addr.eq(low), wr.data.eq(data), wr.en.eq(en & (bank == b))]


class SPRAMStorage(_Storage):
    """The iCE40UP5K's four SPRAMs (one lane): v in banks 0/1, u in banks 2/3, even/odd neurons."""

    def __init__(self, constants: FixedParams, neurons, *, behavioural=False):
        super().__init__(constants, neurons, 1, rows=neurons)
        self.behavioural = behavioural
        self.needs_even_waits = True

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
        # a bank reads or writes in a cycle, never both: the core keeps reads and write-backs in different banks
        # (`conflict` never meets a read, which make formal proves)
        self.conflict = self.wr_en & (self.wr_addr[0] == self.rd_addr[0])

        # two register stages before the blocks, which sit in the chip's corners far from the logic. The first
        # holds each bank pair's request: the row read, and the write (the clear's or the write-back's in the v
        # banks, the clear's or the input write's in the u banks, never both at once) with the banks it enables;
        # the second, at the blocks' pins, picks per bank the write's row or the read's with one look-up table.
        # Only the write enables are reset: a data register with a reset in a design whose reset is synchronous
        # gets the reset merged with its own clear condition into a look-up table in front of its flip-flops' reset
        # pin (u_data: rst | clear_en), a route from the reset synchroniser that was the UP5K's critical path
        def request(name, shape, value, reset_less=True):
            q = Signal(shape, name=name, reset_less=reset_less)
            m.d.sync += q.eq(value)
            return q
        row_bits = len(banks[0].addr)
        rd_n = Mux(self.peek_en, self.peek_addr, self.rd_addr)
        rd_row, rd_odd = request("rd_row", row_bits, rd_n >> 1), request("rd_odd", 1, rd_n[0])
        v_row = request("v_row", row_bits, Mux(self.clear_en, self.clear_row, self.wr_addr >> 1))
        v_data = request("v_data", 16, Mux(self.clear_en, Const(c.VREST, signed(16)),
                                            self._encode(self.wr_v[0], self.wr_r[0])))
        u_row = request("u_row", row_bits, Mux(self.clear_en, self.clear_row, self.in_neuron >> 1))
        u_data = request("u_data", 16, Mux(self.clear_en, 0, self.in_u))
        for parity in (0, 1):
            v_bank, u_bank = banks[parity], banks[2 + parity]
            v_we = request(f"v_we{parity}", 1, self.clear_en | (self.wr_en & (self.wr_addr[0] == parity)), False)
            u_we = request(f"u_we{parity}", 1, self.clear_en | (self.in_en & (self.in_neuron[0] == parity)), False)
            m.d.sync += [v_bank.addr.eq(Mux(v_we, v_row, rd_row)), v_bank.wdata.eq(v_data), v_bank.we.eq(v_we),
                         u_bank.addr.eq(Mux(u_we, u_row, rd_row)), u_bank.wdata.eq(u_data), u_bank.we.eq(u_we)]
        # each block's read data passes a register of its own (placed beside the block) before the multiplexer
        # that picks the bank; the bank of the row read goes along: the blocks' pins, their read, that register
        words = [request(f"rdata{b}", 16, bank.rdata) for b, bank in enumerate(banks)]
        odd = rd_odd
        for k in range(3):
            odd = request(f"rd_odd{k + 1}", 1, odd)
        code = Mux(odd, words[1], words[0])
        self._decode(m, code, self.rd_v[0], self.rd_r[0])
        m.d.comb += [self.rd_u[0].eq(Mux(odd, words[3], words[2])[:c.W].as_signed()),
                     self.peek_v.eq(self.rd_v[0])]


class DP16KDStorage(_Storage):
    """ECP5 DP16KD blocks instantiated directly (:class:`DP16KD`), per lane a state memory (v and r in one word)
    and an input memory (u), each ``ceil(N / P)`` rows in the shape :func:`lifgen.params.dp16kd_shape` gives.

    Timing, from the core's view (``CoreTiming.storage_cycles``): the cycle a row address (or a write, an input
    write, a clear) is presented, the memories' inputs are computed from it. Then two hops of registers that
    synthesis keeps apart (FD1S3AX flip-flops): a copy per memory, and from it a copy per group of at most
    ``BLOCKS_PER_COPY`` blocks (the row's word address, its low bits; read enable; write data per block column;
    write enable per block, from the high bits: which block of a cascade holds the row). At the next edge the
    block reads (or writes), at the one after its output register takes the word, and at the next a register
    beside each block: read data is on ``rd_*`` :data:`READ_CYCLES` (5) cycles after the row address. A cascade
    several blocks deep puts a multiplexer after those registers, driven by the high bits delayed alongside.
    When P is not a power of two every input is first registered once and neuron indices (input writes, peek)
    are divided by P in :func:`divmod_pipelined` (``ceil(A / 3)`` cycles), the other inputs delayed alike; the
    state memories' writes (write-back, clear) need no division and skip that delay.

    A block never reads the word written at the same edge: the state memories do not read while the clear writes
    them, the input memories not while an input write or the clear writes them, and within a step the row read
    and the row written are L - 1 groups apart; a write-back reaches its block no later than the reads of the
    next step.
    """

    BLOCKS_PER_COPY = 2                 # 4: the copy hop limited 8 lanes to 144-151 MHz (seeds 1, 2)

    def __init__(self, constants: FixedParams, neurons, lanes, *, behavioural=False):
        super().__init__(constants, neurons, lanes, rows=-(-neurons // lanes))
        self.registered = lanes & (lanes - 1) != 0
        self.behavioural = behavioural

    def _copy(self, m, value, name):
        """``value`` a cycle late, in a register of its own (FD1S3AX flip-flops; a plain register when
        behavioural)."""
        q = Signal(len(value), name=name, reset_less=True)
        if self.behavioural:
            m.d.sync += q.eq(value)
            return q
        for b in range(len(value)):
            m.submodules[f"{name}_ff{b}"] = Instance("FD1S3AX", i_CK=ClockSignal(), i_D=value[b], o_Q=q[b])
        return q

    def _memory(self, m, name, width, wr_row, wr_data, wr_en, rd_row, rd_en):
        """One memory of ``rows`` words of ``width`` bits from DP16KD blocks; returns its read word,
        :data:`READ_CYCLES` cycles after ``rd_row``: the memory's own copy of its inputs, the copies per group of
        blocks, the block's read, its output register, and a register per block output (before the cascade's
        multiplexer)."""
        depth, dw, cascade, columns = dp16kd_shape(self.rows, width)
        abits = depth.bit_length() - 1
        low = lambda row: row[:abits] if len(row) >= abits else row
        high = lambda row: row >> abits
        # first hop: this memory's copy of its inputs (the central inputs fan out to 2P memories, no further)
        rd_row, rd_en = self._copy(m, rd_row, f"{name}_rd_row"), self._copy(m, rd_en, f"{name}_rd_en")
        wr_row, wr_en = self._copy(m, wr_row, f"{name}_wr_row"), self._copy(m, wr_en, f"{name}_wr_en")
        wr_data = self._copy(m, wr_data, f"{name}_wr_data")
        blocks = [(i, k) for i in range(cascade) for k in range(columns)]
        out = [[None] * columns for _ in range(cascade)]
        for g in range(0, len(blocks), self.BLOCKS_PER_COPY):
            # second hop: a copy per group of blocks
            group, tag = blocks[g:g + self.BLOCKS_PER_COPY], f"{name}_g{g // self.BLOCKS_PER_COPY}"
            rd_a = self._copy(m, low(rd_row), f"{tag}_rd_addr")
            rd_e = self._copy(m, rd_en, f"{tag}_rd_en")
            wr_a = self._copy(m, low(wr_row), f"{tag}_wr_addr")
            data = {k: self._copy(m, wr_data[k * dw:min(width, (k + 1) * dw)], f"{tag}_wr_data{k}")
                    for k in sorted({k for _, k in group})}
            for i, k in group:
                we = wr_en if cascade == 1 else wr_en & (high(wr_row) == i)
                block = DP16KD(depth, dw, behavioural=self.behavioural, model_depth=self.rows)
                m.submodules[f"{name}_b{i}_{k}"] = block
                m.d.comb += [block.rd_addr.eq(rd_a), block.rd_en.eq(rd_e), block.wr_addr.eq(wr_a),
                             block.wr_data.eq(data[k]), block.wr_en.eq(self._copy(m, we, f"{name}_we{i}_{k}"))]
                out[i][k] = Signal(dw, name=f"{name}_q{i}_{k}")      # the register after the block
                m.d.sync += out[i][k].eq(block.rd_data)
        words = [Cat(row)[:width] for row in out]
        if cascade == 1:
            return words[0]
        sel = high(rd_row)
        for k in range(READ_CYCLES - 1):                # rd_row is a cycle late already
            nxt = Signal(len(sel), name=f"{name}_sel{k}")
            m.d.sync += nxt.eq(sel)
            sel = nxt
        word = Signal(width, name=f"{name}_word")
        m.d.comb += word.eq(Array(words)[sel])
        return word

    def elaborate(self, m):
        c, P = self.constants, self.lanes
        i = _inputs(self, m, self.registered)
        # the read port and the input memories' writes see the inputs `late`: as they are (P a power of two), or
        # after the division by P; the state memories' writes (write-back, clear) need no division
        late = dict(i)
        if self.registered:
            late["peek_row"], late["peek_lane"], stages = divmod_pipelined(m, i["peek_addr"], P, "peek",
                                                                           DP16KD_DIVIDE_BITS)
            late["in_row"], late["in_lane"], _ = divmod_pipelined(m, i["in_neuron"], P, "in", DP16KD_DIVIDE_BITS)
            for name in ("rd_addr", "peek_en", "in_en", "in_u", "clear_en", "clear_row"):
                late[name] = delayed(m, i[name], stages, name)
        else:
            late["peek_row"], late["peek_lane"] = divmod_const(m, i["peek_addr"], P, self.neurons)
            late["in_row"], late["in_lane"] = divmod_const(m, i["in_neuron"], P, self.neurons)
        peek_lane = delayed(m, late["peek_lane"], READ_CYCLES, "peek_lane")
        rw = c.ref_width
        rd_row = Signal(range(max(2, self.rows)))
        state_wr_row = Signal.like(rd_row, name="state_wr_row")
        input_wr_row = Signal.like(rd_row, name="input_wr_row")
        # the state memories' write side: with the inputs registered, the multiplexers in front of it are
        # registered instead (the same cycle), so that what fans out to the memories' copies over the die comes
        # straight from registers
        write_side = m.d.sync if self.registered else m.d.comb
        source = _inputs(self, m, False) if self.registered else i
        state_wr_en = Signal(name="state_wr_en")
        m.d.comb += [rd_row.eq(Mux(late["peek_en"], late["peek_row"], late["rd_addr"])),
                     input_wr_row.eq(Mux(late["clear_en"], late["clear_row"], late["in_row"]))]
        write_side += [state_wr_row.eq(Mux(source["clear_en"], source["clear_row"], source["wr_addr"])),
                       state_wr_en.eq(source["clear_en"] | source["wr_en"])]
        state_clear, input_clear = i["clear_en"], late["clear_en"]
        for j in range(P):
            state_word = Signal(c.W + rw, name=f"state_wr_word{j}")
            input_word = Signal(c.W, name=f"input_wr_word{j}")
            rest = Cat(Const(c.VREST, c.W), Const(0, rw))
            fresh = Cat(source["wr_v"][j], source["wr_r"][j]) if rw else source["wr_v"][j]
            write_side += state_word.eq(Mux(source["clear_en"], rest, fresh))
            m.d.comb += input_word.eq(Mux(input_clear, 0, late["in_u"]))
            # no read of a word written at the same edge: a state memory does not read while the clear writes it
            # (and while its delayed copy runs), an input memory not while the clear or an input write writes it
            state = self._memory(m, f"state{j}", c.W + rw, state_wr_row, state_word, state_wr_en,
                                 rd_row, ~(state_clear | input_clear))
            u = self._memory(m, f"input{j}", c.W, input_wr_row, input_word,
                             input_clear | (late["in_en"] & (late["in_lane"] == j)), rd_row,
                             ~(input_clear | late["in_en"]))
            m.d.comb += [self.rd_v[j].eq(state[:c.W].as_signed()), self.rd_u[j].eq(u.as_signed())]
            if rw:
                m.d.comb += self.rd_r[j].eq(state[c.W:])
        m.d.comb += self.peek_v.eq(Array(self.rd_v)[peek_lane] if P > 1 else self.rd_v[0])


def make_storage(constants: FixedParams, neurons, config: CoreConfig, *, behavioural=False):
    """The storage ``config.storage`` names (``lifgen.params.check_storage`` has accepted the combination)."""
    if config.storage == "spram":
        return SPRAMStorage(constants, neurons, behavioural=behavioural)
    if config.storage == "dp16kd":
        return DP16KDStorage(constants, neurons, config.lanes, behavioural=behavioural)
    return BlockRAMStorage(constants, neurons, config.lanes, banked=config.timing(neurons).banked)
