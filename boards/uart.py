# SPDX-License-Identifier: BSD-2-Clause
"""8N1 UART receiver and transmitter with the bit period as a parameter (clock cycles per bit).

The same gateware runs in bitstreams (``bit_cycles = clock / baud``) and in simulation, where a bit period of
a few cycles keeps a simulated host link fast. Both sides are byte streams (``amaranth.lib.stream``):

- :class:`UARTRx`: ``rx`` (the pin, idle high) in, ``bytes`` out. A byte is offered from the cycle after its
  stop bit was sampled until taken; a byte that arrives before the previous one was taken is dropped and
  counted in ``overrun``. A low stop bit (framing error) drops the byte and pulses ``framing_error``.
- :class:`UARTTx`: ``bytes`` in, ``tx`` (the pin) out; ``ready`` while the line is idle.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UARTRx", "UARTTx", "MIN_BIT_CYCLES"]

MIN_BIT_CYCLES = 4


class _UARTSide(wiring.Component):
    """What both sides share: ``bit_cycles``, clock cycles a bit (an integer >= ``MIN_BIT_CYCLES``)."""

    def __init__(self, bit_cycles):
        if isinstance(bit_cycles, bool) or not isinstance(bit_cycles, int) or bit_cycles < MIN_BIT_CYCLES:
            raise ValueError(f"bit_cycles must be an integer >= {MIN_BIT_CYCLES}, not {bit_cycles!r}")
        self.bit_cycles = bit_cycles
        super().__init__()


class UARTRx(_UARTSide):
    rx: In(1, init=1)
    bytes: Out(stream.Signature(8))
    overrun: Out(1)
    framing_error: Out(1)

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self.bit_cycles * 3 // 2 + 1))
        bit = Signal(range(10))
        shift = Signal(8)
        m.d.sync += [self.overrun.eq(0), self.framing_error.eq(0)]
        with m.If(self.bytes.ready):
            m.d.sync += self.bytes.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    # first sample in the middle of data bit 0: one and a half bit periods from here
                    m.d.sync += [timer.eq(self.bit_cycles * 3 // 2 - 1), bit.eq(0)]
                    m.next = "BITS"
            with m.State("BITS"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [timer.eq(self.bit_cycles - 1), bit.eq(bit + 1)]
                    with m.If(bit < 8):
                        m.d.sync += shift.eq(Cat(shift[1:], rx))
                    with m.Else():                                  # the stop bit
                        with m.If(~rx):
                            m.d.sync += self.framing_error.eq(1)
                            m.next = "BREAK"
                        with m.Else():
                            with m.If(self.bytes.valid & ~self.bytes.ready):
                                m.d.sync += self.overrun.eq(1)
                            with m.Else():
                                m.d.sync += [self.bytes.payload.eq(shift), self.bytes.valid.eq(1)]
                            m.next = "IDLE"
            with m.State("BREAK"):                                  # wait for the line to return high
                with m.If(rx):
                    m.next = "IDLE"
        return m


class UARTTx(_UARTSide):
    tx: Out(1, init=1)
    bytes: In(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.bit_cycles))
        shift = Signal(10, init=0x3FF)          # stop bit, 8 data bits, start bit (sent LSB first)
        left = Signal(range(11))
        m.d.comb += self.bytes.ready.eq(left == 0)
        m.d.comb += self.tx.eq(shift[0])
        with m.If(left == 0):
            with m.If(self.bytes.valid):
                m.d.sync += [shift.eq(Cat(0, self.bytes.payload, 1)), left.eq(10), timer.eq(self.bit_cycles - 1)]
        with m.Elif(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.Else():
            m.d.sync += [shift.eq(Cat(shift[1:], 1)), left.eq(left - 1), timer.eq(self.bit_cycles - 1)]
        return m
