# SPDX-License-Identifier: BSD-2-Clause
"""Board tops: the neuron array behind a UART host link, with an activity LED.

:class:`BoardTop` is what ``lifgen build`` puts on a board (clock, pins, :class:`BoardCore`).

:class:`BoardCore` is everything a board runs except its PLL and pins: UART receiver and transmitter
(``boards.uart``), the frame engine and the neuron array (``boards.link.LinkedArray``) and an LED stretcher.
Its ports are plain pins (``rx``, ``tx``, ``led``), so the same design runs in a bitstream and, with a bit
period of a few clock cycles, in Icarus Verilog as the simulated board (``lifgen.sim.board``).

:class:`ArrayTop` measures the neuron array alone (``lifgen build --top array``, the benchmarks): the array with
its own clock, fed and drained on chip, no host link.
"""

from amaranth.hdl import Cat, Elaboratable, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out

from lifgen.errors import ParameterError, refused_quietly
from lifgen.params import CoreConfig, LIFParams
from lifgen.protocol import DEFAULT_BAUD

from lifgen.hw.core import LIFArray

from .link import LinkedArray
from .uart import MIN_BIT_CYCLES, UARTRx, UARTTx

__all__ = ["BoardCore", "BoardTop", "ArrayTop", "dt_cycles", "check_baud", "achievable_clock_hz", "MAX_BAUD_ERROR"]


def dt_cycles(params: LIFParams, clock_hz):
    """Clock cycles per paced time step (at least 1)."""
    return max(1, round(params.dt_ms * 1e-3 * clock_hz))


class BoardCore(wiring.Component):
    """The board's logic between its pins. ``rx`` idles high; ``led`` is lit for ``led_cycles`` clock cycles
    after each spike event sent (so a person sees activity).

    ``clock_hz`` is reported by ``IDENTIFY``; ``bit_cycles`` is the UART bit period and ``dt_cycles`` the
    paced step period, both in clock cycles.
    """
    rx: In(1, init=1)
    tx: Out(1, init=1)
    led: Out(1)

    def __init__(self, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_hz, bit_cycles,
                 dt_cycles, led_cycles=None):
        self.params, self.neurons, self.config = params, neurons, config
        self.clock_hz, self.bit_cycles, self.dt_cycles = clock_hz, bit_cycles, dt_cycles
        self.led_cycles = max(1, int(led_cycles if led_cycles is not None else clock_hz // 20))
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart_rx = rx = UARTRx(self.bit_cycles)
        m.submodules.uart_tx = tx = UARTTx(self.bit_cycles)
        m.submodules.link = link = LinkedArray(self.params, self.neurons, self.config, clock_hz=self.clock_hz,
                                               dt_cycles=self.dt_cycles, byte_cycles=10 * self.bit_cycles)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx)]
        wiring.connect(m, rx.bytes, link.rx)
        wiring.connect(m, link.tx, tx.bytes)
        # LED stretcher: `lit` counts down once every 2**prescale cycles, so no long carry chain sits on one path
        prescale = max(0, min(12, (self.led_cycles // 8).bit_length()))
        pre = Signal(prescale + 1)
        pre_tick = Signal()
        m.d.sync += [pre.eq(pre[:prescale] + 1), pre_tick.eq(pre[prescale])] if prescale else pre_tick.eq(1)
        lit = Signal(range((self.led_cycles >> prescale) + 2))
        with m.If(link.activity):
            m.d.sync += [lit.eq((self.led_cycles >> prescale) + 1), self.led.eq(1)]
        with m.Elif(pre_tick & (lit != 0)):
            m.d.sync += lit.eq(lit - 1)
        with m.Elif(lit == 0):
            m.d.sync += self.led.eq(0)
        return m


class BoardTop(Elaboratable):
    """What ``lifgen build`` puts on a board: the clock (``boards.pll.clock_domain``: PLL or oscillator, reset
    held until lock), the UART pins, the activity LED and :class:`BoardCore`.

    ``clock_hz``: the requested core clock (default: the board's); the PLL gives the highest frequency it can
    reach that is not above it, and ``actual_clock_hz`` is set when the top is elaborated. ``baud``: the UART
    rate; the bit period is the nearest whole number of clock cycles, refused (``ParameterError``) when that
    is more than :data:`MAX_BAUD_ERROR` off the request or fewer than ``uart.MIN_BIT_CYCLES``.
    """

    def __init__(self, board, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_hz=None,
                 baud=DEFAULT_BAUD):
        self.board, self.params, self.neurons, self.config = board, params, neurons, config
        self.clock_hz = float(clock_hz if clock_hz is not None else board.default_clock_hz)
        self.baud = baud
        with refused_quietly(self):             # refuse an unreachable clock or baud rate now, before synthesis
            self.actual_clock_hz = achievable_clock_hz(board, self.clock_hz)
            self.bit_cycles = check_baud(self.actual_clock_hz, baud)

    def elaborate(self, platform):
        from .pll import clock_domain
        m = Module()
        actual = clock_domain(m, platform, self.board, self.clock_hz)
        assert actual == self.actual_clock_hz
        m.submodules.core = core = BoardCore(self.params, self.neurons, self.config, clock_hz=actual,
                                             bit_cycles=self.bit_cycles, dt_cycles=dt_cycles(self.params, actual))
        uart = self.board.request_uart(platform)
        m.submodules.rx_buf = rx = io.Buffer("i", uart.rx)
        m.submodules.tx_buf = tx = io.Buffer("o", uart.tx)
        m.submodules.led_buf = led = io.Buffer("o", self.board.request_led(platform))
        m.d.comb += [core.rx.eq(rx.i), tx.o.eq(core.tx), led.o.eq(core.led)]
        return m


class ArrayTop(Elaboratable):
    """The neuron array alone on a board, to measure what it reaches after place and route: the board's clock
    (``boards.pll.clock_domain``), ``step`` held high, input writes and the consumers' ``ready`` driven by a
    free-running xorshift register (each ``ready`` a register of its own, high three cycles in four, as a
    consumer's flow control would be), and every output folded (XOR) into one register that drives the LED, so
    that nothing is optimised away. It computes nothing useful; ``lifgen build --top array`` builds it."""

    def __init__(self, board, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_hz=None):
        self.board, self.params, self.neurons, self.config = board, params, neurons, config
        self.clock_hz = float(clock_hz if clock_hz is not None else board.default_clock_hz)
        with refused_quietly(self):
            self.actual_clock_hz = achievable_clock_hz(board, self.clock_hz)

    def elaborate(self, platform):
        from .pll import clock_domain
        m = Module()
        actual = clock_domain(m, platform, self.board, self.clock_hz)
        assert actual == self.actual_clock_hz
        m.submodules.array = array = LIFArray(self.params.fixed, self.neurons, self.config)
        state = Signal(32, init=0x2545F491)
        m.d.sync += state.eq(_xorshift32(state))
        cur_bits = len(array.cur.payload.as_value())
        m.d.comb += [
            array.step.eq(1),
            array.cur.valid.eq(state[31]),
            array.cur.payload.eq(Cat(state, state)[:cur_bits]),
        ]
        spikes_ready, trace_ready = Signal(init=1), Signal(init=1)
        m.d.sync += [spikes_ready.eq(state[30] | state[29]), trace_ready.eq(state[28] | state[27])]
        m.d.comb += array.spikes.ready.eq(spikes_ready)
        outputs = [array.busy, array.cur.ready, array.spikes.valid, array.spikes.payload.as_value()]
        if self.config.trace:
            m.d.comb += array.trace.ready.eq(trace_ready)
            outputs += [array.trace.valid, array.trace.payload.as_value()]
        if self.config.peek:
            m.d.comb += array.peek_addr.eq(state)
            outputs.append(array.peek_v)
        # fold every output bit into one with a tree of registered 4-input XORs (one LUT level per register)
        bits = Cat(*outputs)
        level = 0
        while len(bits) > 1:
            folded = Signal(-(-len(bits) // 4), name=f"fold{level}")
            m.d.sync += [folded[k].eq(bits[4 * k:4 * k + 4].xor()) for k in range(len(folded))]
            bits, level = folded, level + 1
        m.submodules.led_buf = led = io.Buffer("o", self.board.request_led(platform))
        m.d.comb += led.o.eq(bits[0])
        return m


def _xorshift32(x):
    x = x ^ (x << 13)[:32]
    x = x ^ (x >> 17)
    return x ^ (x << 5)[:32]


MAX_BAUD_ERROR = 0.02


def achievable_clock_hz(board, clock_hz):
    """The core clock ``boards.pll.clock_domain`` will make for a request: the oscillator itself, or the highest
    PLL output not above ``clock_hz``. ``ParameterError`` when the PLL cannot reach it."""
    from .pll import ecp5_pll, ice40_pll
    if float(clock_hz) == float(board.oscillator_hz):
        return float(board.oscillator_hz)
    calc = ice40_pll if board.family == "ice40" else ecp5_pll
    return calc(float(board.oscillator_hz), float(clock_hz), at_most=True).f_out_hz


def check_baud(clock_hz, baud):
    """Refuse a baud rate the clock cannot make within :data:`MAX_BAUD_ERROR` (8N1 tolerates about 4 %
    between both ends together)."""
    if isinstance(baud, bool) or not isinstance(baud, int) or baud <= 0:
        raise ParameterError(f"the baud rate must be a positive integer, not {baud!r}", field="baud")
    bit_cycles = round(clock_hz / baud)
    if bit_cycles < MIN_BIT_CYCLES:
        raise ParameterError(f"{baud} baud needs at least {MIN_BIT_CYCLES} clock cycles a bit; the core clock "
                             f"{clock_hz / 1e6:g} MHz gives {clock_hz / baud:.2f}", field="baud")
    error = abs(clock_hz / bit_cycles - baud) / baud
    if error > MAX_BAUD_ERROR:
        raise ParameterError(f"{baud} baud is {100 * error:.1f} % off at {clock_hz / 1e6:g} MHz "
                             f"({bit_cycles} cycles a bit); choose a baud rate that divides the clock",
                             field="baud")
    return bit_cycles
