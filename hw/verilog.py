# SPDX-License-Identifier: BSD-2-Clause
"""Verilog export that simulates correctly from time 0 in Icarus Verilog 11.

Contract
--------
``convert(component, *, name="top", header="") -> str`` returns plain
Verilog-2005 text for an Amaranth ``wiring.Component``, prefixed by ``header``
(which must already be a Verilog comment block; a newline is added after it if
missing). The top module is called ``name``; its ports are named exactly as
``amaranth.back.verilog.convert`` names them (``clk``, ``rst``, then one port
per signature member, with the path joined by ``__``: ``foo__valid``,
``foo__payload`` ...). Memories stay arrays (``reg [W-1:0] mem [D-1:0]`` with
``always @(posedge clk)`` write ports). The text is guaranteed not to contain
combinational ``always @*`` blocks that compute signal values, so it behaves
the same in Icarus Verilog 11 (with or without ``-g2012``) and Verilator 5.

Why not ``amaranth.back.verilog.convert``
-----------------------------------------
Amaranth 0.5 runs Yosys with ``proc -nomux``, so every combinational
assignment becomes an ``always @*`` block that is woken at time 0 by a dummy
``reg ... = 0`` initialiser. Under ``iverilog -g2012`` (what cocotb passes)
that initialiser runs before the blocks start waiting, so a block whose inputs
are registers that keep their init value never runs and its outputs stay X
(e.g. an FSM whose first state drives a memory write enable never writes). Plain
``iverilog`` (Verilog-2005 mode) happens to run the same file correctly, and
so does Verilator.

Candidates measured (Icarus 11 plain / Icarus 11 ``-g2012`` / Verilator 5.48):

* stock ``verilog.convert``: pass / FAIL (X outputs, memory never written) / pass.
* ``proc -nomux -norom`` + ``write_verilog -sv`` (``always_comb``): syntax
  error / pass (with "sorry: constant selects in always_* processes" notes) /
  pass. Rejected: plain ``iverilog`` cannot read it.
* full ``proc -norom`` (mux conversion) + ``write_verilog``: all combinational
  logic becomes continuous ``assign`` statements, which every simulator
  evaluates at time 0. Pass / pass / pass for simple designs, but ``$pmux``
  cells (from ``Switch``/multi-state FSMs) are written as Verilog functions
  with escaped names such as ``\\$procmux$15``, and Icarus treats a call to an
  escaped name beginning with ``$`` as an (unknown) system function: compile
  error in both Icarus modes.
* chosen: full ``proc -norom``, then ``pmuxtree`` (turns each ``$pmux`` into a
  tree of ``$mux`` cells, i.e. ternary ``assign`` expressions; equivalent
  because the select lines ``proc`` generates are one-hot or zero), then
  ``memory_collect`` and ``write_verilog -norename`` as Amaranth does. Pass /
  pass / pass.

``proc_rom`` stays disabled (``-norom``) as in Amaranth, so ``Switch``
statements are not turned into extra ROM memories. No ``opt`` passes are run
beyond the ``opt_expr -keepdc`` that ``proc`` always ends with, so named
internal signals survive for waveform inspection. Yosys warnings are *not*
suppressed (Amaranth suppresses them only because of ``proc -nomux``); they
surface as ``amaranth._toolchain.yosys.YosysWarning``.

As a guard against a future Yosys changing its output, the result is checked
for the time-0 trigger initialiser and for calls to ``\\$``-named functions; a
``RuntimeError`` is raised if either appears.

Known limits (same as stock output): combinational-domain ``Print`` is emitted
as an ``always @*`` containing ``$write`` (it only prints when its inputs
change), and ``Assert``/``Assume``/``Cover`` emit SystemVerilog ``assert``
statements, which need ``-g2012`` in Icarus.
"""

import re

from amaranth.back import rtlil
from amaranth._toolchain.yosys import find_yosys


__all__ = ["convert"]


_YOSYS_PASSES = (
    "proc -norom",        # full proc: combinational processes -> $mux/$pmux cells
    "pmuxtree",           # $pmux -> $mux trees (no `\$...` functions Icarus misreads)
    "memory_collect",     # keep memories as arrays, as Amaranth does
)

# `reg \$auto$verilog_backend.cc:NNNN:dump_module$N = 0;`: the time-0 wake-up
# trigger write_verilog adds to `always @*` blocks: exactly the Icarus pitfall.
_TRIGGER_RE = re.compile(r"\\\$auto\$verilog_backend\S*dump_module")
# A call to an escaped identifier starting with `$` (write_verilog's $pmux functions).
_DOLLAR_FUNC_RE = re.compile(r"\bfunction\b[^;]*\\\$")


def convert(component, *, name="top", header=""):
    """Return Verilog text for ``component`` (a ``wiring.Component``), prefixed by ``header``.

    The top module is ``name``; ports are named as by ``amaranth.back.verilog.convert``.
    The output simulates from time 0 in Icarus Verilog 11 (with and without ``-g2012``)
    and Verilator 5. See the module docstring for how and why.
    """
    rtlil_text = rtlil.convert(component, name=name)

    # Same requirement as amaranth.back.verilog (Amaranth 0.5 needs Yosys >= 0.40).
    yosys = find_yosys(lambda version: version >= (0, 40))
    script = [f"read_rtlil <<rtlil\n{rtlil_text}\nrtlil"]
    script.extend(_YOSYS_PASSES)
    script.append("write_verilog -norename")
    verilog_text = yosys.run(["-q", "-"], "\n".join(script), src_loc_at=1)

    if _TRIGGER_RE.search(verilog_text):
        raise RuntimeError(
            "Yosys emitted an `always @*` block with a time-0 trigger initialiser; "
            "this Verilog would misbehave at time 0 in Icarus Verilog 11")
    if _DOLLAR_FUNC_RE.search(verilog_text):
        raise RuntimeError(
            "Yosys emitted a Verilog function with a `\\$`-prefixed name, "
            "which Icarus Verilog 11 misreads as a system function call")

    if header and not header.endswith("\n"):
        header += "\n"
    return header + verilog_text
