# amaranth: UnusedElaboratable=no
# SPDX-License-Identifier: BSD-2-Clause
# (the linter option above must be the first line: test_clock_domain_rejects_bad_frequency refuses modules, never used)
"""PLL calculators against the real tools (YoWASP ``icepll`` and ``ecppll``, ~0.1 s a run once prepared), the
``at_most`` rule against a brute-force enumeration, the power-on reset in simulation, and the clocking gateware
each board gets (elaboration only, no build)."""

import os
import re
import subprocess
import sys

import pytest
from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io
from amaranth.sim import Simulator

from lifgen.boards import pll
from lifgen.boards.registry import BOARDS, get_board
from lifgen.errors import ParameterError

BIN = os.path.dirname(sys.executable)
MHZ = 1e6

ICE40_REQUESTS = [(12, f) for f in (16, 24, 30, 36, 48, 50, 60, 66, 72, 100, 120, 200)] + \
                 [(48, f) for f in (20, 24, 50, 75)]
ECP5_REQUESTS = [(25, f) for f in (40, 50, 60, 62.5, 75, 100, 125, 150, 200)] + \
                [(100, f) for f in (50, 75, 133)] + [(12, f) for f in (48, 50, 100)]


def run_icepll(f_in, f_out):
    out = subprocess.run([os.path.join(BIN, "yowasp-icepll"), "-i", str(f_in), "-o", str(f_out)],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    fields = {k: int(re.search(rf"^{k}:\s*(\d+)", out, re.M).group(1))
              for k in ("DIVR", "DIVF", "DIVQ", "FILTER_RANGE")}
    fields["f_out"] = float(re.search(r"F_PLLOUT:\s*([\d.]+) MHz \(achieved\)", out).group(1))
    return fields


def run_ecppll(tmp_path, f_in, f_out):
    # YoWASP tools see the working directory only: relative output path
    out = subprocess.run([os.path.join(BIN, "yowasp-ecppll"), "-i", str(f_in), "-o", str(f_out), "-f", "pll.v"],
                         cwd=tmp_path, capture_output=True, text=True, check=True, timeout=300).stdout
    verilog = (tmp_path / "pll.v").read_text()
    fields = {k: int(re.search(rf"\.{k}\((\d+)\)", verilog).group(1))
              for k in ("CLKI_DIV", "CLKFB_DIV", "CLKOP_DIV", "CLKOP_CPHASE")}
    fields["f_out"] = float(re.search(r"clkout0 frequency: ([\d.e+-]+) MHz", out).group(1))
    return fields


@pytest.mark.parametrize("f_in, f_out", ICE40_REQUESTS)
def test_ice40_matches_icepll(f_in, f_out):
    tool = run_icepll(f_in, f_out)
    p = pll.ice40_pll(f_in * MHZ, f_out * MHZ)
    assert (p.DIVR, p.DIVF, p.DIVQ, p.FILTER_RANGE) == (tool["DIVR"], tool["DIVF"], tool["DIVQ"], tool["FILTER_RANGE"])
    assert p.f_out_hz / MHZ == pytest.approx(tool["f_out"], abs=6e-4)          # icepll prints 3 decimals
    assert p.f_out_hz == pytest.approx(f_in * MHZ * (p.DIVF + 1) / (p.DIVR + 1) / 2 ** p.DIVQ)


@pytest.mark.parametrize("f_in, f_out", ECP5_REQUESTS)
def test_ecp5_matches_ecppll(tmp_path, f_in, f_out):
    tool = run_ecppll(tmp_path, f_in, f_out)
    p = pll.ecp5_pll(f_in * MHZ, f_out * MHZ)
    assert (p.CLKI_DIV, p.CLKFB_DIV, p.CLKOP_DIV, p.CLKOP_CPHASE) == \
        (tool["CLKI_DIV"], tool["CLKFB_DIV"], tool["CLKOP_DIV"], tool["CLKOP_CPHASE"])
    assert p.f_out_hz / MHZ == pytest.approx(tool["f_out"], rel=1e-5)          # ecppll prints 6 digits
    assert p.f_out_hz == pytest.approx(f_in * MHZ * p.CLKFB_DIV / p.CLKI_DIV, rel=1e-6)


def test_known_values():
    """The research report's figures (also what the tools print)."""
    p = pll.ice40_pll(12e6, 50e6)
    assert (p.DIVR, p.DIVF, p.DIVQ, p.FILTER_RANGE, p.f_out_hz) == (0, 66, 4, 1, 50.25e6)
    assert pll.ice40_pll(12e6, 50e6, at_most=True).f_out_hz == 49.5e6
    e = pll.ecp5_pll(25e6, 100e6)
    assert (e.CLKI_DIV, e.CLKFB_DIV, e.CLKOP_DIV, e.CLKOP_CPHASE, e.f_out_hz, e.f_vco_hz) == (1, 4, 6, 2, 100e6, 600e6)
    assert pll.ecp5_pll(12e6, 50e6).f_out_hz == 48e6


def ice40_achievable(f_in):
    """Every output frequency (MHz) SB_PLL40 SIMPLE can make from ``f_in`` MHz, enumerated independently."""
    out = set()
    for r in range(16):
        for f in range(128):
            for q in range(1, 7):
                pfd, vco = f_in / (r + 1), f_in / (r + 1) * (f + 1)
                if 10 <= pfd <= 133 and 533 <= vco <= 1066:
                    out.add(vco / 2 ** q)
    return out


def ecp5_achievable(f_in):
    out = set()
    for i in range(1, 129):
        for fb in range(1, 81):
            pfd = f_in / i
            if 3.125 <= pfd <= 400 and any(400 <= pfd * fb * op <= 800 for op in range(1, 129)):
                out.add(f_in * fb / i)
    return out


@pytest.mark.parametrize("f_in, requests", [(12, (16, 20, 24, 30, 50, 64.5, 100, 275)), (48, (20, 33.3, 50))])
def test_ice40_at_most_is_highest_not_above(f_in, requests):
    achievable = ice40_achievable(f_in)
    for f_out in requests:
        got = pll.ice40_pll(f_in * MHZ, f_out * MHZ, at_most=True).f_out_hz / MHZ
        assert got == max(f for f in achievable if f <= f_out)


@pytest.mark.parametrize("f_in, requests", [(25, (10, 33.3, 50, 62.4, 99, 400)), (100, (50, 77.7))])
def test_ecp5_at_most_is_highest_not_above(f_in, requests):
    achievable = ecp5_achievable(f_in)
    for f_out in requests:
        got = pll.ecp5_pll(f_in * MHZ, f_out * MHZ, at_most=True).f_out_hz / MHZ
        assert got <= f_out
        assert got == pytest.approx(max(f for f in achievable if f <= f_out * (1 + 1e-7)), rel=1e-6)


@pytest.mark.parametrize("call", [
    lambda: pll.ice40_pll(12e6, 300e6),          # icepll: output above 275 MHz
    lambda: pll.ice40_pll(12e6, 15e6),           # below 16 MHz
    lambda: pll.ice40_pll(5e6, 50e6),            # input below 10 MHz
    lambda: pll.ecp5_pll(25e6, 500e6),           # above 400 MHz
    lambda: pll.ecp5_pll(1e6, 50e6),             # input below 8 MHz
    lambda: pll.ice40_pll(12e6, float("nan")),
    lambda: pll.ice40_pll(12e6, "50"),
])
def test_impossible_requests_raise(call):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.field == "clock_hz"


def test_power_on_reset_holds_until_locked_and_delay():
    m = Module()
    m.domains.sync = cd = ClockDomain("sync")
    m.submodules.por = por = pll.PowerOnReset(5)
    sim = Simulator(m)
    sim.add_clock(1e-6)
    rst = []

    async def bench(ctx):
        ctx.set(por.locked, 0)
        for cycle in range(30):
            ctx.set(por.locked, cycle >= 3)
            ctx.set(por.button, 20 <= cycle < 22)
            await ctx.tick()
            rst.append(ctx.get(cd.rst))
    sim.add_testbench(bench)
    sim.run()
    # locked from cycle 3, seen 2 cycles later (its synchroniser), 5 cycles of delay, the register in front of the
    # reset synchroniser, its 2 stages; the button resets from the next edge, for as long as held (plus the register
    # and the synchroniser's release)
    assert rst == [1] * 13 + [0] * 7 + [1] * 4 + [0] * 6


def test_clock_domain_default_clocks_are_exact():
    for board in BOARDS.values():
        if board.default_clock_hz == board.oscillator_hz:
            continue
        calc = pll.ice40_pll if board.family == "ice40" else pll.ecp5_pll
        assert calc(board.oscillator_hz, board.default_clock_hz, at_most=True).f_out_hz == board.default_clock_hz


class _ClockOnly(Elaboratable):
    def __init__(self, board, clock_hz):
        self.board, self.clock_hz, self.actual = board, clock_hz, None

    def elaborate(self, platform):
        m = Module()
        self.actual = pll.clock_domain(m, platform, self.board, self.clock_hz)
        m.submodules.led = led = io.Buffer("o", self.board.request_led(platform))   # something clocked to keep
        m.d.sync += led.o.eq(~led.o)
        return m


EXPECTED_PRIMITIVES = {
    "icebreaker": {"SB_PLL40_PAD"},
    "icestick": {"SB_PLL40_CORE"},
    "ice40-hx8k-b-evn": {"SB_PLL40_CORE"},
    "upduino-v3": {"SB_HFOSC", "SB_PLL40_CORE"},
}


@pytest.mark.parametrize("name", list(BOARDS))
def test_clock_domain_instantiates_the_board_pll(name):
    board = get_board(name)
    top = _ClockOnly(board, board.default_clock_hz)
    il = board.platform().build(top, do_build=False).files["top.il"]
    assert top.actual == board.default_clock_hz
    for prim in EXPECTED_PRIMITIVES.get(name, {"EHXPLLL"}):
        assert f"cell \\{prim} " in il
    # at the oscillator frequency no PLL at all
    top = _ClockOnly(board, board.oscillator_hz)
    il = board.platform().build(top, do_build=False).files["top.il"]
    assert top.actual == board.oscillator_hz
    assert not re.search(r"cell \\(SB_PLL40_\w+|EHXPLLL) ", il)


def test_clock_domain_rejects_bad_frequency():
    board = get_board("icebreaker")
    for bad in (0, -1e6, float("inf"), "24e6", 400e6):
        with pytest.raises(ParameterError):
            pll.clock_domain(Module(), None, board, bad)
