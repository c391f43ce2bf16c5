# SPDX-License-Identifier: BSD-2-Clause
"""Board tops: the neuron array behind a UART host link, with an activity LED.

:class:`BoardCore` is everything a board runs except its PLL and pins: UART receiver and transmitter
(``boards.uart``), the frame engine and the neuron array (``boards.link.LinkedArray``) and an LED stretcher.
Its ports are plain pins (``rx``, ``tx``, ``led``), so the same design runs in a bitstream and, with a bit
period of a few clock cycles, in Icarus Verilog as the simulated board (``lifgen.sim.board``).
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from lifgen.params import CoreConfig, LIFParams

from .link import LinkedArray
from .uart import UARTRx, UARTTx

__all__ = ["BoardCore", "link_timing"]


def link_timing(params: LIFParams, clock_hz, baud):
    """``(bit_cycles, dt_cycles)`` for a core clock: clock cycles per UART bit and per paced time step."""
    bit_cycles = round(clock_hz / baud)
    dt_cycles = max(1, round(params.dt_ms * 1e-3 * clock_hz))
    return bit_cycles, dt_cycles


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
        lit = Signal(range(self.led_cycles + 1))
        with m.If(link.activity):
            m.d.sync += lit.eq(self.led_cycles)
        with m.Elif(lit != 0):
            m.d.sync += lit.eq(lit - 1)
        m.d.comb += self.led.eq(lit != 0)
        return m
