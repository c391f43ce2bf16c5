# SPDX-License-Identifier: BSD-2-Clause
"""PLL parameters for iCE40 (``SB_PLL40``) and ECP5 (``EHXPLLL``), and the clock domain of a board top.

Calculators (pure Python and numpy, no tools)
---------------------------------------------
:func:`ice40_pll` and :func:`ecp5_pll` take the input and the requested output frequency in Hz and return a frozen
parameter record (:class:`ICE40PLLParams`, :class:`ECP5PLLParams`) whose ``f_out_hz`` is the frequency actually
achieved. Which one is chosen:

- by default the achievable frequency **nearest** to the request, with ties broken exactly as the Project
  IceStorm ``icepll`` and Project Trellis ``ecppll`` tools break them, so the parameters are identical to
  theirs (``tests/test_board_pll.py`` runs both tools on a table of requests);
- with ``at_most=True`` the **highest achievable frequency not above** the request (same tie rules among
  those): for a core clock that must not exceed a frequency the design is known to meet.

Both raise :class:`lifgen.errors.ParameterError` (``field="clock_hz"``) when the input or the output frequency
is outside the range the tools accept, or when no divider setting reaches the request.

iCE40 (icepll, SIMPLE feedback): ``f_pfd = f_in / (DIVR+1)`` in 10..133 MHz, ``f_vco = f_pfd * (DIVF+1)`` in
533..1066 MHz, ``f_out = f_vco / 2**DIVQ`` (DIVQ 1..6); input 10..133 MHz, output 16..275 MHz.
``FILTER_RANGE`` follows from ``f_pfd``. The search runs in double precision, in icepll's loop order.

ECP5 (ecppll, CLKOP feedback): ``f_pfd = f_in / CLKI_DIV`` in 3.125..400 MHz, ``f_vco = f_pfd * CLKFB_DIV *
CLKOP_DIV`` in 400..800 MHz, ``f_out = f_vco / CLKOP_DIV``; among equally near outputs the one whose VCO is
nearest 600 MHz. ecppll computes in single precision (C ``float``); so does this module (numpy float32), which is
what makes its choices, and ``CLKOP_CPHASE`` (ecppll's 180-degree "Lattice convention" phase), bit-identical.
ecppll only warns outside input 8..400 MHz and output 10..400 MHz; this module refuses those requests.

Gateware
--------
:class:`ICE40PLL` (``SB_PLL40_PAD`` fed straight from the clock pin, or ``SB_PLL40_CORE`` fed from a signal) and
:class:`ECP5PLL` (``EHXPLLL``, CLKOP feedback) instantiate the primitive; each has ``clk_out`` and ``locked``.

:func:`clock_domain` is what a board top calls: it adds the ``sync`` clock domain, driven by a PLL at (at most)
the requested frequency, or straight by the board oscillator when the request equals it, and returns the
frequency in Hz the domain actually runs at. Reset of ``sync`` is held while the PLL is unlocked, for a
power-on delay after lock (15 us from a clock pin, 100 us from the iCE40UP internal oscillator, as Amaranth's
own iCE40 platform does: iCE40 block RAM reads zero for ~3 us after configuration and the oscillator needs time to
settle) and while the board's reset button (``platform.default_rst``, e.g. ECPIX-5) is pressed; it is released
synchronously to ``sync`` (:class:`PowerOnReset`). The top must not define ``sync`` itself; nextpnr derives the
timing constraint of the PLL output from the input pin's frequency, so none is added here.
"""

import math
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import ClockDomain, ClockSignal, Const, Elaboratable, Instance, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer, ResetSynchronizer

from lifgen.errors import ParameterError

__all__ = ["ICE40PLLParams", "ECP5PLLParams", "ice40_pll", "ecp5_pll", "ICE40PLL", "ECP5PLL", "PowerOnReset",
           "clock_domain"]

_MHZ = 1e6

# icepll limits (MHz)
ICE40_F_IN = (10.0, 133.0)
ICE40_F_OUT = (16.0, 275.0)
ICE40_F_PFD = (10.0, 133.0)
ICE40_F_VCO = (533.0, 1066.0)

# ecppll limits (MHz): PFD and VCO are hard limits of its search; input/output are the ranges it warns about
ECP5_F_IN = (8.0, 400.0)
ECP5_F_OUT = (10.0, 400.0)
ECP5_F_PFD = (3.125, 400.0)
ECP5_F_VCO = (400.0, 800.0)


@dataclass(frozen=True)
class ICE40PLLParams:
    """``SB_PLL40_*`` parameters (SIMPLE feedback) and the frequencies they give, in Hz."""
    f_in_hz: float
    f_out_hz: float          # achieved
    f_pfd_hz: float
    f_vco_hz: float
    DIVR: int
    DIVF: int
    DIVQ: int
    FILTER_RANGE: int


@dataclass(frozen=True)
class ECP5PLLParams:
    """``EHXPLLL`` parameters (CLKOP output and feedback) and the frequencies they give, in Hz."""
    f_in_hz: float
    f_out_hz: float          # achieved
    f_vco_hz: float
    CLKI_DIV: int
    CLKFB_DIV: int
    CLKOP_DIV: int
    CLKOP_CPHASE: int


def _mhz(name, hz, lo, hi):
    if isinstance(hz, bool) or not isinstance(hz, (int, float, np.integer, np.floating)) or not math.isfinite(hz):
        raise ParameterError(f"{name} must be a frequency in Hz, not {hz!r}", field="clock_hz")
    mhz = float(hz) / _MHZ
    if not lo <= mhz <= hi:
        raise ParameterError(f"{name} {mhz:g} MHz is outside {lo:g}..{hi:g} MHz", field="clock_hz")
    return mhz


def _no_setting(family, f_in, f_out, at_most):
    rule = "at or below" if at_most else "near"
    return ParameterError(f"no {family} PLL setting gives a frequency {rule} {f_out:g} MHz from {f_in:g} MHz",
                          field="clock_hz")


def ice40_pll(f_in_hz, f_out_hz, *, at_most=False) -> ICE40PLLParams:
    """``SB_PLL40`` (SIMPLE feedback) parameters for ``f_in_hz`` -> ``f_out_hz``: icepll's choice by default,
    the highest frequency not above the request with ``at_most=True``. :class:`ParameterError` if impossible."""
    f_in = _mhz("iCE40 PLL input", f_in_hz, *ICE40_F_IN)
    f_out = _mhz("iCE40 PLL output", f_out_hz, *ICE40_F_OUT)
    best = None
    for divr in range(16):
        f_pfd = f_in / (divr + 1)
        if not ICE40_F_PFD[0] <= f_pfd <= ICE40_F_PFD[1]:
            continue
        for divf in range(128):
            f_vco = f_pfd * (divf + 1)
            if not ICE40_F_VCO[0] <= f_vco <= ICE40_F_VCO[1]:
                continue
            for divq in range(1, 7):
                f = f_vco / (1 << divq)
                if at_most and f > f_out:
                    continue
                # icepll keeps the first strictly better candidate in this loop order
                if best is None or abs(f - f_out) < abs(best[0] - f_out):
                    best = (f, divr, divf, divq, f_pfd, f_vco)
    if best is None:
        raise _no_setting("iCE40", f_in, f_out, at_most)
    f, divr, divf, divq, f_pfd, f_vco = best
    filter_range = next((i + 1 for i, hi in enumerate((17, 26, 44, 66, 101)) if f_pfd < hi), 6)
    return ICE40PLLParams(f_in_hz=f_in * _MHZ, f_out_hz=f * _MHZ, f_pfd_hz=f_pfd * _MHZ, f_vco_hz=f_vco * _MHZ,
                          DIVR=divr, DIVF=divf, DIVQ=divq, FILTER_RANGE=filter_range)


def ecp5_pll(f_in_hz, f_out_hz, *, at_most=False) -> ECP5PLLParams:
    """``EHXPLLL`` (CLKOP feedback) parameters for ``f_in_hz`` -> ``f_out_hz``: ecppll's choice by default,
    the highest frequency not above the request with ``at_most=True``. :class:`ParameterError` if impossible."""
    f_in = _mhz("ECP5 PLL input", f_in_hz, *ECP5_F_IN)
    f_out = _mhz("ECP5 PLL output", f_out_hz, *ECP5_F_OUT)
    f32 = np.float32
    # every (CLKI_DIV, CLKFB_DIV, CLKOP_DIV) at once, in ecppll's loop order (C order of these axes),
    # with its float arithmetic: fvco = (fpfd * fb) * op, fout = fvco / op
    idiv = np.arange(1, 129, dtype=f32)[:, None, None]
    fbdiv = np.arange(1, 81, dtype=f32)[None, :, None]
    odiv = np.arange(1, 129, dtype=f32)[None, None, :]
    f_pfd = f32(f_in) / idiv
    f_vco = (f_pfd * fbdiv) * odiv
    fout = f_vco / odiv
    ok = (f_pfd >= ECP5_F_PFD[0]) & (f_pfd <= ECP5_F_PFD[1]) & (f_vco >= ECP5_F_VCO[0]) & (f_vco <= ECP5_F_VCO[1])
    if at_most:
        ok &= fout <= f32(f_out)
    if not ok.any():
        raise _no_setting("ECP5", f_in, f_out, at_most)
    # ecppll replaces its best on a strictly smaller error, or an equal error with a VCO strictly nearer 600 MHz:
    # so it ends on the first (in loop order) of the minimal-error candidates whose VCO is nearest 600 MHz
    err = np.where(ok, np.abs(fout - f32(f_out)), np.inf)
    tied = err == err.min()
    dist = np.where(tied, np.abs(f_vco - f32(600)), np.inf)
    i, fb, op = np.unravel_index(np.argmax(dist == dist.min()), dist.shape)
    vco, out = f_vco[i, fb, op], fout[i, fb, op]
    ns_phase = float(f32(1.0 / (float(out) * 1e6) * 0.5))          # float ns_phase = 1/(fout*1e6) * 0.5
    cphase = int(ns_phase * (float(vco) * 1e6))                     # truncated like ecppll's int conversion
    return ECP5PLLParams(f_in_hz=f_in * _MHZ, f_out_hz=float(out) * _MHZ, f_vco_hz=float(vco) * _MHZ,
                         CLKI_DIV=int(i) + 1, CLKFB_DIV=int(fb) + 1, CLKOP_DIV=int(op) + 1, CLKOP_CPHASE=cphase)


class ICE40PLL(Elaboratable):
    """An iCE40 ``SB_PLL40_PAD`` or ``SB_PLL40_CORE`` with SIMPLE feedback and a global-buffer output.

    ``clock_in`` is, with ``pad=True``, the clock pin as requested with ``platform.request(name, dir="-")`` (or its
    ``.io``), wired to ``PACKAGEPIN`` (iCEBreaker: its 12 MHz pin 35 sits on the PLL's own pad, and nextpnr
    refuses ``SB_PLL40_CORE`` there); with ``pad=False`` a clock signal wired to ``REFERENCECLK`` (iCEstick,
    HX8K-B-EVN: the pin through an input buffer; UPduino: ``SB_HFOSC``). Outputs: ``clk_out``, ``locked``.
    """

    def __init__(self, clock_in, params: ICE40PLLParams, *, pad: bool):
        if not isinstance(params, ICE40PLLParams):
            raise TypeError(f"params must be an ICE40PLLParams, not {params!r}")
        self.clock_in = clock_in
        self.params = params
        self.pad = bool(pad)
        self.clk_out = Signal()
        self.locked = Signal()

    def elaborate(self, platform):
        m = Module()
        p = self.params
        ports = dict(p_FEEDBACK_PATH="SIMPLE", p_PLLOUT_SELECT="GENCLK",
                     p_DIVR=p.DIVR, p_DIVF=p.DIVF, p_DIVQ=p.DIVQ, p_FILTER_RANGE=p.FILTER_RANGE,
                     i_RESETB=Const(1), i_BYPASS=Const(0), o_PLLOUTGLOBAL=self.clk_out, o_LOCK=self.locked)
        if self.pad:
            pin = getattr(self.clock_in, "io", self.clock_in)
            m.submodules.pll = Instance("SB_PLL40_PAD", i_PACKAGEPIN=pin, **ports)
        else:
            m.submodules.pll = Instance("SB_PLL40_CORE", i_REFERENCECLK=self.clock_in, **ports)
        return m


class ECP5PLL(Elaboratable):
    """An ECP5 ``EHXPLLL`` with CLKOP feedback, as ``ecppll`` writes it. ``clock_in`` is a clock signal (the pin
    through an input buffer). Outputs: ``clk_out`` (CLKOP), ``locked``."""

    def __init__(self, clock_in, params: ECP5PLLParams):
        if not isinstance(params, ECP5PLLParams):
            raise TypeError(f"params must be an ECP5PLLParams, not {params!r}")
        self.clock_in = clock_in
        self.params = params
        self.clk_out = Signal()
        self.locked = Signal()

    def elaborate(self, platform):
        m = Module()
        p = self.params
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{p.f_in_hz / _MHZ:g}", a_FREQUENCY_PIN_CLKOP=f"{p.f_out_hz / _MHZ:g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1", a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
            p_CLKI_DIV=p.CLKI_DIV, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=p.CLKOP_DIV,
            p_CLKOP_CPHASE=p.CLKOP_CPHASE, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP", p_CLKFB_DIV=p.CLKFB_DIV,
            i_RST=Const(0), i_STDBY=Const(0), i_CLKI=self.clock_in, o_CLKOP=self.clk_out, i_CLKFB=self.clk_out,
            i_PHASESEL0=Const(0), i_PHASESEL1=Const(0), i_PHASEDIR=Const(1), i_PHASESTEP=Const(1),
            i_PHASELOADREG=Const(1), i_PLLWAKESYNC=Const(0), i_ENCLKOP=Const(0), o_LOCK=self.locked)
        return m


POR_SECONDS_PIN = 15e-6          # iCE40 BRAM reads zero ~3 us after configuration (x5 margin, as Amaranth)
POR_SECONDS_OSC = 100e-6         # iCE40 internal oscillators settle within 100 us (as Amaranth)


class PowerOnReset(Elaboratable):
    """Drives the reset of ``domain`` (through a ``ResetSynchronizer``: asserted at once, released on a clock
    edge): held while ``locked`` is low (seen through a two-stage synchroniser, so from the second clock edge after
    it falls), for ``delay`` cycles of the domain's clock after it rises, and while ``button`` is high (from the
    next clock edge). The delay counter is reset-less and ``ready`` is its top bit (flip-flops start at 0 after
    configuration on iCE40 and ECP5), and the reset it produces does not restart it. The synchroniser's
    asynchronous input is a register holding ``~ready | button``: ``locked`` comes from the PLL at the die's edge,
    and a look-up table beside it would put a long route on the domain's timing report. The synchroniser's stages
    start at 1, so the reset holds from power-up, before that register first loads. Inputs ``locked``,
    ``button``; output ``ready``."""

    def __init__(self, delay, *, domain="sync"):
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 1:
            raise ValueError(f"delay must be a positive number of cycles, not {delay!r}")
        self.delay = delay
        self.domain = domain
        self.locked = Signal(init=1)
        self.button = Signal()
        self.ready = Signal()

    def elaborate(self, platform):
        m = Module()
        # the timer counts from 2**k - delay - 1 up to 2**k, and `ready` is its top bit: no compare after the
        # counter (a wide one is three look-up tables deep on the iCE40UP5K)
        k = self.delay.bit_length()
        timer = Signal(k + 1, reset_less=True)
        sync = m.d[self.domain]
        locked = Signal()
        m.submodules.locked = FFSynchronizer(self.locked, locked, o_domain=self.domain)
        m.d.comb += self.ready.eq(timer[k])
        with m.If(~locked):
            sync += timer.eq(2**k - self.delay - 1)
        with m.Elif(~timer[k]):
            sync += timer.eq(timer + 1)
        # the synchroniser's asynchronous input comes straight from a register: a look-up table in front of it put
        # a long route on the domain's timing report (nextpnr times the flip-flops' reset pins like their data)
        arst = Signal(reset_less=True)
        sync += arst.eq(~self.ready | self.button)
        m.submodules.sync = ResetSynchronizer(arst, domain=self.domain)
        return m


class _BoardClock(Elaboratable):
    """Drives the clock and reset of ``sync`` (defined by the parent) from the board oscillator or a PLL, with the
    reset described in the module docstring. Built by :func:`clock_domain`, which has chosen the PLL parameters."""

    def __init__(self, board, pll_params, actual_hz):
        self.board = board
        self.pll_params = pll_params          # None: the oscillator drives sync directly
        self.actual_hz = actual_hz

    def elaborate(self, platform):
        m = Module()
        board, params = self.board, self.pll_params
        source = platform.default_clk
        hfosc = source == "SB_HFOSC"
        if hfosc:                                            # iCE40UP internal 48 MHz oscillator
            osc = Signal()
            m.submodules.hfosc = Instance("SB_HFOSC", p_CLKHF_DIV="0b00", i_CLKHFEN=Const(1), i_CLKHFPU=Const(1),
                                          o_CLKHF=osc)
            pin = None
        else:
            pin = platform.request(source, dir="-")

        if params is None:
            if pin is not None:
                m.submodules.clk_buf = buf = io.Buffer("i", pin)
                clk = buf.i
            else:
                clk = osc
            locked = Const(1)
        elif board.family == "ice40":
            if board.pll_pad and pin is not None:
                m.submodules.pll = pll = ICE40PLL(pin, params, pad=True)
            else:
                if pin is not None:
                    m.submodules.clk_buf = buf = io.Buffer("i", pin)
                    ref = buf.i
                else:
                    ref = osc
                m.submodules.pll = pll = ICE40PLL(ref, params, pad=False)
            clk, locked = pll.clk_out, pll.locked
        else:
            m.submodules.clk_buf = buf = io.Buffer("i", pin)
            m.submodules.pll = pll = ECP5PLL(buf.i, params)
            clk, locked = pll.clk_out, pll.locked

        m.d.comb += ClockSignal("sync").eq(clk)
        delay = max(1, math.ceil((POR_SECONDS_OSC if hfosc else POR_SECONDS_PIN) * self.actual_hz))
        m.submodules.por = por = PowerOnReset(delay)
        m.d.comb += por.locked.eq(locked)
        if platform.default_rst is not None:
            m.submodules.rst_buf = rst_buf = io.Buffer("i", platform.request(platform.default_rst, dir="-"))
            m.d.comb += por.button.eq(rst_buf.i)
        return m


def clock_domain(m: Module, platform, board, clock_hz) -> float:
    """Add the ``sync`` clock domain to the design of ``m`` for ``board`` (a :class:`lifgen.boards.registry.Board`)
    at ``clock_hz``, and return the frequency in Hz it actually runs at.

    ``clock_hz`` equal to ``board.oscillator_hz`` drives ``sync`` straight from the oscillator; anything else goes
    through the board's PLL (iCE40: ``SB_PLL40_PAD`` where ``board.pll_pad``, else ``SB_PLL40_CORE``; ECP5:
    ``EHXPLLL``) at the highest achievable frequency not above ``clock_hz`` (:func:`ice40_pll` /
    :func:`ecp5_pll` with ``at_most=True``). ``sync`` is defined in ``m`` (so ``m`` must be the top module or an
    ancestor of every user of ``sync``: Amaranth 0.6 drops upward domain propagation); the clocking logic is a
    submodule ``lifgen_clock`` of ``m`` that drives its clock and reset and requests the clock pin (and
    ``platform.default_rst``): the caller must request neither, nor define ``sync`` itself. Computes the PLL
    parameters now (so a bad frequency raises :class:`ParameterError` here, field ``clock_hz``) and builds the
    gateware when ``m`` is elaborated.
    """
    osc = float(board.oscillator_hz)
    if isinstance(clock_hz, bool) or not isinstance(clock_hz, (int, float)) or not math.isfinite(clock_hz) \
            or clock_hz <= 0:
        raise ParameterError(f"the core clock must be a positive frequency in Hz, not {clock_hz!r}",
                             field="clock_hz")
    if float(clock_hz) == osc:
        params, actual = None, osc
    else:
        calc = ice40_pll if board.family == "ice40" else ecp5_pll
        params = calc(osc, clock_hz, at_most=True)
        actual = params.f_out_hz
    m.domains.sync = ClockDomain("sync")
    m.submodules.lifgen_clock = _BoardClock(board, params, actual)
    return actual
