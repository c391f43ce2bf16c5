# SPDX-License-Identifier: BSD-2-Clause
"""Bad input, every command: one line on stderr starting ``lifgen``, exit code 2, no traceback, and nothing run.

``CASES`` is the table (README, "Command line", holds it in short): for every command and every kind of bad input
that applies to it, the command line and words the line must hold, words that name the fault (the value, the
option in brackets), never words any error would contain. The cases run in-process through ``lifgen.cli.main``
(milliseconds each) with every expensive entry point replaced by a tripwire (:class:`ToolStarted`): a golden
model, a subprocess (simulators, Yosys, nextpnr), the Verilog conversion, a bitstream build. Bad input must be
refused before any of them starts; a case that trips one is a bug. Warnings count as lines on stderr (a user would
see them). ``SUBPROCESS`` runs a few of the same cases through the installed console script, to prove that no
traceback escapes it either.

"Unreadable file": these tests run as root, and root reads a file of mode 000, so the unreadable files here are a
directory given as a file, an empty file, a text file, a truncated .npy, a .npz archive and a pickled object array.
"""

import gc
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lifgen.cli import main

HUGE = "100000000000000000000"          # 1e20: more than any count the models hold

CASES = [
    # ---- simulate --------------------------------------------------------------------------------------------
    ("shape [2, 2, 2]", ["simulate", "--current-file", "{d}/3d.npy"],
     ("shape [N] or [T, N], not [2, 2, 2]", "(--current-file)")),
    ("shape []", ["simulate", "--current-file", "{d}/scalar.npy"], ("shape [N] or [T, N], not []",)),
    ("shape vs --neurons", ["simulate", "--current-file", "{d}/tn.npy", "--neurons", "4"],
     ("3 neurons but 4 neurons", "(--neurons)")),
    ("shape vs --steps", ["simulate", "--current-file", "{d}/tn.npy", "--steps", "11"],
     ("10 steps but 11 steps", "(--steps)")),
    ("empty array", ["simulate", "--current-file", "{d}/empty.npy"], ("empty.npy' is empty",)),
    ("dtype str", ["simulate", "--current-file", "{d}/strings.npy"], ("not dtype <U1", "(--current-file)")),
    ("dtype complex", ["simulate", "--current-file", "{d}/complex.npy"], ("not dtype complex128",)),
    ("dtype bool", ["simulate", "--current-file", "{d}/bool.npy"], ("not dtype bool",)),
    ("NaN in file", ["simulate", "--current-file", "{d}/nan.npy"],
     ("contains NaN (first at index [1])", "(--current-file)")),
    ("inf in file", ["simulate", "--current-file", "{d}/inf.npy"],
     ("contains infinity (first at index [1])", "(--current-file)")),
    ("NaN option", ["simulate", "--current-mv", "nan"], ("contains NaN", "(--current-mv)")),
    ("inf option", ["simulate", "--current-mv", "inf"], ("contains infinity", "(--current-mv)")),
    ("NaN parameter", ["simulate", "--tau-ms", "nan"], ("tau_ms must be a finite number, not nan", "(--tau-ms)")),
    ("inf parameter", ["simulate", "--v-th-mv", "inf"], ("v_th_mv must be a finite number, not inf",)),
    ("current out of range", ["simulate", "--current-mv", "500"],
     ("500 mV is outside the Q8.8 range", "(--current-mv)")),
    ("current 1e308", ["simulate", "--current-mv=-1e308"], ("-1e+308 mV is outside",)),
    ("current in file out of range", ["simulate", "--current-file", "{d}/huge.npy"],
     ("1000 mV is outside", "(--current-file)")),
    ("voltage 1e308", ["simulate", "--v-rest-mv", "1e308"], ("v_rest_mv = 1e+308 mV is outside", "(--v-rest-mv)")),
    ("refractory too long", ["simulate", "--t-ref-ms", "1e300"], ("N_REF must be at most", "(--t-ref-ms)")),
    ("missing file", ["simulate", "--current-file", "{d}/missing.npy"], ("missing.npy' does not exist",)),
    ("file under a file", ["simulate", "--current-file", "{d}/afile/x.npy"], ("x.npy' does not exist",)),
    ("directory as file", ["simulate", "--current-file", "{d}/adir.npy"],
     ("adir.npy' is a directory, not a .npy file", "(--current-file)")),
    ("empty file", ["simulate", "--current-file", "{d}/zero.npy"], ("zero.npy' is not a readable .npy array",)),
    ("text file", ["simulate", "--current-file", "{d}/notnpy.npy"], ("notnpy.npy' is not a readable .npy array",)),
    ("truncated .npy", ["simulate", "--current-file", "{d}/trunc.npy"],
     ("trunc.npy' is not a readable .npy array", "not fully written")),
    (".npz archive", ["simulate", "--current-file", "{d}/arch.npz"], ("arch.npz' is a .npz archive",)),
    ("pickled objects", ["simulate", "--current-file", "{d}/obj.npy"], ("obj.npy' is not a readable", "pickle")),
    ("plot dir missing", ["simulate", "--plot", "/proc/x/y.png"],
     ("cannot write the plot '/proc/x/y.png'", "cannot create directory '/proc/x'", "(--plot)")),
    ("plot under a file", ["simulate", "--plot", "{d}/afile/y.png"], ("'{d}/afile' is a file, not a directory",)),
    ("plot is a directory", ["simulate", "--plot", "{d}/plots.png"], ("plots.png': it is a directory", "(--plot)")),
    ("plot format", ["simulate", "--plot", "run.npy"], ("matplotlib has no format 'npy'", "(--plot)")),
    ("waves dir missing", ["simulate", "--model", "rtl", "--waves", "/proc/x/y.vcd"],
     ("cannot write the waveform", "directory '/proc/x' does not exist", "(--waves)")),
    ("--current-mv with --current-file", ["simulate", "--current-mv", "5", "--current-file", "{d}/tn.npy"],
     ("argument --current-file: not allowed with argument --current-mv",)),
    ("--waves with --model fixed", ["simulate", "--model", "fixed", "--waves", "x.vcd"],
     ("--waves needs a simulated model",)),
    ("spram with lanes", ["simulate", "--model", "rtl", "--storage", "spram", "--lanes", "2"],
     ("storage spram has one lane", "(--lanes)")),
    ("spram too narrow", ["simulate", "--model", "rtl", "--storage", "spram", "--width", "20"],
     ("spram holds 16-bit words, not width 20", "(--width)")),
    ("spram too small", ["simulate", "--model", "board-sim", "--storage", "spram", "--neurons", "40000"],
     ("spram holds at most 32768 neurons, not 40000", "(--neurons)")),
    ("lanes 0", ["simulate", "--lanes", "0"], ("lanes must be an integer in 1..16, not 0", "(--lanes)")),
    ("lanes 17", ["simulate", "--lanes", "17"], ("lanes must be an integer in 1..16, not 17",)),
    ("lanes -1", ["simulate", "--model", "rtl", "--lanes", "-1"], ("lanes must be an integer in 1..16, not -1",)),
    ("lanes not a number", ["simulate", "--lanes", "two"], ("argument --lanes: invalid int value: 'two'",)),
    ("neurons 0", ["simulate", "--neurons", "0"], ("neurons must be an integer in 1..4294967295, not 0",)),
    ("neurons -3", ["simulate", "--neurons", "-3"], ("neurons must be an integer", "not -3", "(--neurons)")),
    ("neurons 1e20", ["simulate", "--neurons", HUGE], (f"not {HUGE} (--neurons)",)),
    ("neurons not a number", ["simulate", "--neurons", "many"], ("argument --neurons: invalid int value",)),
    ("steps 0", ["simulate", "--steps", "0"], ("steps must be an integer in 1..", "not 0 (--steps)")),
    ("steps -1", ["simulate", "--steps", "-1"], ("not -1 (--steps)",)),
    ("steps 1e20", ["simulate", "--steps", HUGE], (f"not {HUGE} (--steps)",)),
    ("FIFO depth 1", ["simulate", "--spike-fifo-depth", "1"], ("spike_fifo_depth must be an integer >= 2, not 1",)),
    ("mul stages -1", ["simulate", "--mul-stages", "-1"], ("mul_stages must be an integer in 0..6, not -1",)),
    ("unknown simulator", ["simulate", "--sim", "modelsim"], ("argument --sim: invalid choice: 'modelsim'",)),
    ("unknown model", ["simulate", "--model", "board"], ("argument --model: invalid choice: 'board'",)),
    # ---- verify ----------------------------------------------------------------------------------------------
    ("shape [2, 2, 2]", ["verify", "--current-file", "{d}/3d.npy"], ("not [2, 2, 2]", "(--current-file)")),
    ("shape vs --steps", ["verify", "--current-file", "{d}/tn.npy", "--steps", "11"], ("10 steps but 11",)),
    ("dtype complex", ["verify", "--current-file", "{d}/complex.npy"], ("not dtype complex128",)),
    ("NaN in file", ["verify", "--current-file", "{d}/nan.npy"], ("contains NaN", "(--current-file)")),
    ("inf in file", ["verify", "--current-file", "{d}/inf.npy"], ("contains infinity", "(--current-file)")),
    ("inf option", ["verify", "--current-mv", "inf"], ("contains infinity", "(--current-mv)")),
    ("NaN parameter", ["verify", "--dt-ms", "nan"], ("dt_ms must be a finite number, not nan", "(--dt-ms)")),
    ("current out of range", ["verify", "--current-mv", "500"], ("500 mV is outside", "(--current-mv)")),
    ("missing file", ["verify", "--current-file", "{d}/missing.npy"], ("missing.npy' does not exist",)),
    ("directory as file", ["verify", "--current-file", "{d}/adir.npy"], ("adir.npy' is a directory",)),
    ("empty file", ["verify", "--current-file", "{d}/zero.npy"], ("zero.npy' is not a readable .npy array",)),
    ("waves dir missing", ["verify", "--waves", "/proc/x/y.vcd"], ("directory '/proc/x' does not exist", "(--waves)")),
    ("waves under a file", ["verify", "--waves", "{d}/afile/y.vcd"], ("'{d}/afile' is a file, not a directory",)),
    ("waves is a directory", ["verify", "--waves", "{d}/waves.vcd"], ("waves.vcd': it is a directory", "(--waves)")),
    ("waves format", ["verify", "--sim", "verilator", "--waves", "x.fst"], ("waveform files from verilator are .vcd",)),
    ("--current-mv with --current-file", ["verify", "--current-mv", "5", "--current-file", "{d}/tn.npy"],
     ("not allowed with argument --current-mv",)),
    ("--waves with board-sim", ["verify", "--model", "board-sim", "--waves", "x.vcd"], ("--waves needs --model rtl",)),
    ("--stall with board-sim", ["verify", "--model", "board-sim", "--stall", "5"],
     ("stall (random backpressure on the output streams) applies to the rtl model, not board-sim", "(--stall)")),
    ("stall 256", ["verify", "--stall", "256"], ("stall must be in 0..255, not 256", "(--stall)")),
    ("stall -1", ["verify", "--stall", "-1"], ("stall must be in 0..255, not -1",)),
    ("spram with lanes", ["verify", "--storage", "spram", "--lanes", "3"], ("storage spram has one lane",)),
    ("spram too narrow", ["verify", "--storage", "spram", "--width", "20"], ("spram holds 16-bit words",)),
    ("spram too narrow, board-sim", ["verify", "--model", "board-sim", "--storage", "spram", "--width", "20"],
     ("spram holds 16-bit words", "(--width)")),
    ("spram too small", ["verify", "--storage", "spram", "--neurons", "40000"], ("at most 32768 neurons",)),
    ("lanes 0", ["verify", "--lanes", "0"], ("lanes must be an integer in 1..16, not 0",)),
    ("lanes 17", ["verify", "--model", "board-sim", "--lanes", "17"], ("lanes must be an integer in 1..16, not 17",)),
    ("neurons 0", ["verify", "--neurons", "0"], ("neurons must be an integer in 1..", "not 0 (--neurons)")),
    ("steps 0", ["verify", "--steps", "0"], ("steps must be an integer in 1..", "not 0 (--steps)")),
    ("unknown model", ["verify", "--model", "fixed"], ("argument --model: invalid choice: 'fixed'",)),
    # ---- run -------------------------------------------------------------------------------------------------
    ("unknown board", ["run", "--board", "nosuch", "--sim", "--steps", "5"],
     ("unknown board 'nosuch'; choose one of icebreaker", "(--board)")),
    ("no --board", ["run", "--sim", "--steps", "5"], ("the following arguments are required: --board",)),
    ("board too small", ["run", "--board", "icestick", "--sim", "--steps", "5", "--neurons", "100000"],
     ("100000 neurons do not fit the icestick (iCE40HX1K)", "(--neurons)")),
    ("storage the board lacks", ["run", "--board", "icestick", "--sim", "--steps", "5", "--storage", "spram"],
     ("storage spram needs an iCE40UP5K's SPRAMs", "(--storage)")),
    ("storage of another family", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--storage", "dp16kd"],
     ("storage dp16kd instantiates the ECP5's DP16KD", "(--storage)")),
    ("spram too narrow", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--storage", "spram",
                          "--width", "20"], ("spram holds 16-bit words", "(--width)")),
    ("spram with lanes", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--storage", "spram",
                          "--lanes", "2"], ("storage spram has one lane", "(--lanes)")),
    ("lanes 0", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--lanes", "0"],
     ("lanes must be an integer in 1..16, not 0",)),
    ("lanes 17", ["run", "--board", "ulx3s-85f", "--sim", "--steps", "5", "--lanes", "17"],
     ("lanes must be an integer in 1..16, not 17",)),
    ("neurons 0", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--neurons", "0"],
     ("not 0 (--neurons)",)),
    ("steps 0", ["run", "--board", "icebreaker", "--sim", "--steps", "0"], ("not 0 (--steps)",)),
    ("steps -2", ["run", "--board", "icebreaker", "--sim", "--steps", "-2"], ("not -2 (--steps)",)),
    ("no --steps", ["run", "--board", "icebreaker", "--sim"], ("the following arguments are required: --steps",)),
    ("shape [2, 2, 2]", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file", "{d}/3d.npy"],
     ("not [2, 2, 2]", "(--current-file)")),
    ("shape vs --steps", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file",
                          "{d}/tn.npy"], ("10 steps but 5 steps", "(--steps)")),
    ("dtype str", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file", "{d}/strings.npy"],
     ("not dtype <U1",)),
    ("NaN in file", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file", "{d}/nan.npy"],
     ("contains NaN", "(--current-file)")),
    ("inf option", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-mv", "inf"],
     ("contains infinity", "(--current-mv)")),
    ("NaN parameter", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--tau-ms", "nan"],
     ("tau_ms must be a finite number",)),
    ("current out of range", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-mv", "500"],
     ("500 mV is outside",)),
    ("missing file", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file",
                      "{d}/missing.npy"], ("missing.npy' does not exist",)),
    ("directory as file", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file",
                           "{d}/adir.npy"], ("adir.npy' is a directory",)),
    (".npz archive", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-file", "{d}/arch.npz"],
     ("is a .npz archive",)),
    ("missing port", ["run", "--board", "icebreaker", "--port", "/dev/nonexistent-tty", "--steps", "5"],
     ("cannot open /dev/nonexistent-tty", "(--port)")),
    ("port not a serial port", ["run", "--board", "icebreaker", "--port", "{d}/afile", "--steps", "5"],
     ("cannot open {d}/afile", "(--port)")),
    ("baud 0", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--baud", "0"],
     ("the baud rate must be a positive integer, not 0", "(--baud)")),
    ("baud -9600", ["run", "--board", "icebreaker", "--port", "/dev/nonexistent-tty", "--steps", "5", "--baud",
                    "-9600"], ("positive integer, not -9600", "(--baud)")),
    ("--port with --sim", ["run", "--board", "icebreaker", "--port", "/dev/ttyUSB1", "--sim", "--steps", "5"],
     ("argument --sim: not allowed with argument --port",)),
    ("neither --port nor --sim", ["run", "--board", "icebreaker", "--steps", "5"],
     ("one of the arguments --port --sim is required",)),
    ("--simulator with --port", ["run", "--board", "icebreaker", "--port", "/dev/ttyUSB1", "--steps", "5",
                                 "--simulator", "verilator"], ("--simulator chooses the simulator of --sim",)),
    ("--current-mv with --current-file", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--current-mv",
                                          "1", "--current-file", "{d}/tn.npy"], ("not allowed with argument",)),
    ("unknown simulator", ["run", "--board", "icebreaker", "--sim", "--steps", "5", "--simulator", "xsim"],
     ("argument --simulator: invalid choice: 'xsim'",)),
    # ---- verilog ---------------------------------------------------------------------------------------------
    ("neurons 0", ["verilog", "--neurons", "0", "-o", "x.v"], ("neurons must be an integer in 1..", "not 0")),
    ("neurons -4", ["verilog", "--neurons", "-4", "-o", "x.v"], ("not -4 (--neurons)",)),
    ("neurons 1e20", ["verilog", "--neurons", HUGE, "-o", "x.v"], (f"not {HUGE} (--neurons)",)),
    ("no --neurons", ["verilog", "-o", "x.v"], ("the following arguments are required: --neurons",)),
    ("no --output", ["verilog", "--neurons", "8"], ("the following arguments are required: -o/--output",)),
    ("output dir missing", ["verilog", "--neurons", "8", "-o", "/proc/x/y.v"],
     ("cannot write the Verilog file '/proc/x/y.v'", "does not exist", "(--output)")),
    ("output under a file", ["verilog", "--neurons", "8", "-o", "{d}/afile/y.v"],
     ("'{d}/afile' is a file, not a directory", "(--output)")),
    ("output is a directory", ["verilog", "--neurons", "8", "-o", "{d}/adir.npy"],
     ("adir.npy': it is a directory", "(--output)")),
    ("bad module name", ["verilog", "--neurons", "8", "-o", "x.v", "--name", "1bad"],
     ("must be a Verilog identifier, not '1bad'", "(--name)")),
    ("lanes 0", ["verilog", "--neurons", "8", "-o", "x.v", "--lanes", "0"], ("lanes must be an integer in 1..16",)),
    ("lanes 17", ["verilog", "--neurons", "8", "-o", "x.v", "--lanes", "17"], ("not 17 (--lanes)",)),
    ("lanes not a number", ["verilog", "--neurons", "8", "-o", "x.v", "--lanes", "two"], ("invalid int value: 'two'",)),
    ("spram with lanes", ["verilog", "--neurons", "8", "-o", "x.v", "--storage", "spram", "--lanes", "2"],
     ("storage spram has one lane", "(--lanes)")),
    ("spram too narrow", ["verilog", "--neurons", "8", "-o", "x.v", "--storage", "spram", "--width", "20"],
     ("spram holds 16-bit words, not width 20", "(--width)")),
    ("spram too small", ["verilog", "--neurons", "40000", "-o", "x.v", "--storage", "spram"],
     ("spram holds at most 32768 neurons, not 40000", "(--neurons)")),
    ("unknown storage", ["verilog", "--neurons", "8", "-o", "x.v", "--storage", "sdram"],
     ("argument --storage: invalid choice: 'sdram'",)),
    ("NaN parameter", ["verilog", "--neurons", "8", "-o", "x.v", "--tau-ms", "nan"], ("tau_ms must be a finite",)),
    ("inf parameter", ["verilog", "--neurons", "8", "-o", "x.v", "--v-rest-mv", "inf"],
     ("v_rest_mv must be a finite number, not inf",)),
    ("FIFO depth 0", ["verilog", "--neurons", "8", "-o", "x.v", "--trace-fifo-depth", "0"],
     ("trace_fifo_depth must be an integer >= 2, not 0",)),
    ("read stages 3", ["verilog", "--neurons", "8", "-o", "x.v", "--read-stages", "3"],
     ("read_stages must be an integer in 0..2, not 3",)),
    ("add stages -1", ["verilog", "--neurons", "8", "-o", "x.v", "--add-stages", "-1"],
     ("add_stages must be an integer in 0..3, not -1",)),
    # ---- fi-curve --------------------------------------------------------------------------------------------
    ("NaN option", ["fi-curve", "--from-mv", "nan"], ("from_mv: input current contains NaN", "(--from-mv)")),
    ("inf option", ["fi-curve", "--to-mv", "inf"], ("to_mv: input current contains infinity", "(--to-mv)")),
    ("NaN parameter", ["fi-curve", "--tau-ms", "nan"], ("tau_ms must be a finite number",)),
    ("current out of range", ["fi-curve", "--to-mv", "500"], ("to_mv: input current 500 mV is outside", "(--to-mv)")),
    ("current 1e308", ["fi-curve", "--from-mv=-1e308"], ("from_mv: input current -1e+308 mV is outside",)),
    ("range reversed", ["fi-curve", "--from-mv", "20", "--to-mv", "10"], ("the last input must be above the first",)),
    ("points 0", ["fi-curve", "--points", "0"], ("points must be >= 2, not 0", "(--points)")),
    ("points 1", ["fi-curve", "--points", "1"], ("points must be >= 2, not 1",)),
    ("points -3", ["fi-curve", "--points", "-3"], ("points must be >= 2, not -3",)),
    ("points 1e12", ["fi-curve", "--points", "1000000000000"], ("not enough memory",)),
    ("steps 0", ["fi-curve", "--steps", "0"], ("steps must be an integer in 1..", "not 0 (--steps)")),
    ("steps -5", ["fi-curve", "--steps", "-5"], ("not -5 (--steps)",)),
    ("steps 1e20", ["fi-curve", "--steps", HUGE, "--points", "2"], (f"not {HUGE} (--steps)",)),
    ("width 3", ["fi-curve", "--width", "3"], ("width must be in 4..32 bits, not 3", "(--width)")),
    ("plot dir missing", ["fi-curve", "--plot", "/proc/x/y.png"], ("cannot create directory '/proc/x'", "(--plot)")),
    ("plot under a file", ["fi-curve", "--plot", "{d}/afile/y.png"], ("'{d}/afile' is a file, not a directory",)),
    ("plot format", ["fi-curve", "--plot", "fi.txt"], ("matplotlib has no format 'txt'", "(--plot)")),
    # ---- boards ----------------------------------------------------------------------------------------------
    ("NaN parameter", ["boards", "--tau-ms", "nan"], ("tau_ms must be a finite number, not nan", "(--tau-ms)")),
    ("inf parameter", ["boards", "--t-ref-ms", "inf"], ("t_ref_ms must be a finite number, not inf",)),
    ("width 40", ["boards", "--width", "40"], ("width must be in 4..32 bits, not 40",)),
    ("voltage 1e308", ["boards", "--v-th-mv", "1e308"], ("v_th_mv = 1e+308 mV is outside",)),
    ("lanes 0", ["boards", "--lanes", "0"], ("lanes must be an integer in 1..16, not 0", "(--lanes)")),
    ("lanes 17", ["boards", "--lanes", "17"], ("not 17 (--lanes)",)),
    ("lanes -1", ["boards", "--lanes", "-1"], ("not -1 (--lanes)",)),
    ("spram with lanes", ["boards", "--storage", "spram", "--lanes", "2"], ("storage spram has one lane",)),
    ("spram too narrow", ["boards", "--storage", "spram", "--width", "20"], ("spram holds 16-bit words", "(--width)")),
    ("unknown storage", ["boards", "--storage", "bogus"], ("argument --storage: invalid choice: 'bogus'",)),
    ("FIFO depth 0", ["boards", "--spike-fifo-depth", "0"], ("spike_fifo_depth must be an integer >= 2, not 0",)),
    ("mul stages 9", ["boards", "--mul-stages", "9"], ("mul_stages must be an integer in 0..6, not 9",)),
    ("unknown option", ["boards", "--board", "icebreaker"], ("unrecognized arguments: --board",)),
    # ---- build -----------------------------------------------------------------------------------------------
    ("unknown board", ["build", "--board", "nosuch"], ("unknown board 'nosuch'", "(--board)")),
    ("no --board", ["build"], ("the following arguments are required: --board",)),
    ("neurons 0", ["build", "--board", "icebreaker", "--neurons", "0"], ("not 0 (--neurons)",)),
    ("neurons -5", ["build", "--board", "icebreaker", "--neurons", "-5"], ("not -5 (--neurons)",)),
    ("neurons 1e20", ["build", "--board", "icebreaker", "--neurons", HUGE], (f"not {HUGE} (--neurons)",)),
    ("board too small", ["build", "--board", "icebreaker", "--neurons", "1000000"],
     ("1000000 neurons do not fit the icebreaker (iCE40UP5K): 32768 at most", "(--neurons)")),
    ("board too small, bram", ["build", "--board", "icestick", "--neurons", "100000"],
     ("100000 neurons do not fit the icestick", "(--neurons)")),
    ("board too small, lanes", ["build", "--board", "ulx3s-12f", "--lanes", "16", "--neurons", "100000"],
     ("100000 neurons do not fit the ulx3s-12f",)),
    ("board too small, array top", ["build", "--board", "icestick", "--top", "array", "--neurons", "100000"],
     ("do not fit the icestick",)),
    ("storage the board lacks", ["build", "--board", "icestick", "--storage", "spram"],
     ("storage spram needs an iCE40UP5K's SPRAMs; the icestick (iCE40HX1K) has 0", "(--storage)")),
    ("storage of another family", ["build", "--board", "icebreaker", "--storage", "dp16kd"],
     ("storage dp16kd instantiates the ECP5's DP16KD block RAM; the icebreaker", "(--storage)")),
    ("spram with lanes", ["build", "--board", "icebreaker", "--storage", "spram", "--lanes", "2"],
     ("storage spram has one lane", "(--lanes)")),
    ("spram too narrow", ["build", "--board", "icebreaker", "--storage", "spram", "--width", "20"],
     ("spram holds 16-bit words", "(--width)")),
    ("lanes 0", ["build", "--board", "icebreaker", "--lanes", "0"], ("lanes must be an integer in 1..16, not 0",)),
    ("lanes 17", ["build", "--board", "ulx3s-85f", "--lanes", "17"], ("not 17 (--lanes)",)),
    ("clock 0", ["build", "--board", "icebreaker", "--clock-mhz", "0"], ("PLL output 0 MHz is outside",
                                                                          "(--clock-mhz)")),
    ("clock -5", ["build", "--board", "ulx3s-85f", "--clock-mhz", "-5"], ("PLL output -5 MHz is outside",)),
    ("clock NaN", ["build", "--board", "icebreaker", "--clock-mhz", "nan"],
     ("must be a frequency in Hz, not nan", "(--clock-mhz)")),
    ("clock inf", ["build", "--board", "icebreaker", "--clock-mhz", "inf"], ("must be a frequency in Hz, not inf",)),
    ("clock the PLL cannot make", ["build", "--board", "icebreaker", "--clock-mhz", "1"],
     ("PLL output 1 MHz is outside 16..275 MHz",)),
    ("baud 0", ["build", "--board", "icebreaker", "--baud", "0"], ("baud rate must be a positive integer, not 0",
                                                                    "(--baud)")),
    ("baud -9600", ["build", "--board", "icebreaker", "--baud", "-9600"], ("positive integer, not -9600",)),
    ("baud too fast", ["build", "--board", "icebreaker", "--baud", "7000000"],
     ("7000000 baud needs at least", "(--baud)")),
    ("seed 1e20", ["build", "--board", "icebreaker", "--seed", HUGE],
     ("seed must be an integer in -2147483648..2147483647", "(--seed)")),
    ("seeds backwards", ["build", "--board", "icebreaker", "--seeds", "3-1"],
     ("the seed range 3-1 runs backwards", "(--seeds)")),
    ("seeds not numbers", ["build", "--board", "icebreaker", "--seeds", "a,b"],
     ("seeds must be integers and ranges such as 1-8 or 1,3,5, not 'a,b'", "(--seeds)")),
    ("seeds too many", ["build", "--board", "icebreaker", "--seeds", "1-1000"],
     ("at most 64 seeds at once, not 1000", "(--seeds)")),
    ("seeds 1e20", ["build", "--board", "icebreaker", "--seeds", HUGE],
     ("seed must be an integer in -2147483648..2147483647", "(--seeds)")),
    ("seed and seeds", ["build", "--board", "icebreaker", "--seed", "2", "--seeds", "1-2"],
     ("give --seed or --seeds, not both", "(--seeds)")),
    ("seeds, out dir missing", ["build", "--board", "icebreaker", "--seeds", "1-2", "--out", "/proc/x/y"],
     ("cannot write the build directory '/proc/x/y'", "(--out)")),
    ("jobs 0", ["build", "--board", "icebreaker", "--seeds", "1-2", "--jobs", "0"],
     ("jobs must be a positive integer, not 0", "(--jobs)")),
    ("jobs without seeds", ["build", "--board", "icebreaker", "--jobs", "2"],
     ("--jobs runs several --seeds at once: give --seeds", "(--jobs)")),
    ("jobs, board too small", ["build", "--board", "icebreaker", "--neurons", "1000000", "--seeds", "1-2", "--jobs",
                               "2", "--out", "{d}/b"], ("1000000 neurons", "(--neurons)")),
    ("out dir missing", ["build", "--board", "icebreaker", "--out", "/proc/x/y"],
     ("cannot write the build directory '/proc/x/y'", "directory '/proc/x' does not exist", "(--out)")),
    ("out under a file", ["build", "--board", "icebreaker", "--out", "{d}/afile/y"],
     ("'{d}/afile' is a file, not a directory", "(--out)")),
    ("out is a file", ["build", "--board", "icebreaker", "--out", "{d}/afile"],
     ("afile': it is a file, not a directory", "(--out)")),
    ("--top array with --baud", ["build", "--board", "icebreaker", "--top", "array", "--baud", "9600"],
     ("the array top has no UART", "(--baud)")),
    ("unknown top", ["build", "--board", "icebreaker", "--top", "core"], ("argument --top: invalid choice: 'core'",)),
    ("NaN parameter", ["build", "--board", "icebreaker", "--tau-ms", "nan"], ("tau_ms must be a finite number",)),
    ("inf parameter", ["build", "--board", "icebreaker", "--v-th-mv", "inf"], ("v_th_mv must be a finite number",)),
    ("FIFO depth 1", ["build", "--board", "icebreaker", "--spike-fifo-depth", "1"],
     ("spike_fifo_depth must be an integer >= 2, not 1",)),
    # ---- demo ------------------------------------------------------------------------------------------------
    ("neurons 0", ["demo", "--neurons", "0"], ("neurons must be an integer in 1..", "not 0 (--neurons)")),
    ("neurons -1", ["demo", "--neurons", "-1"], ("not -1 (--neurons)",)),
    ("neurons not a number", ["demo", "--neurons", "two"], ("argument --neurons: invalid int value: 'two'",)),
    ("board too small", ["demo", "--neurons", "100000"],
     ("100000 neurons do not fit the icebreaker", "(--neurons)")),
    ("steps 0", ["demo", "--steps", "0"], ("steps must be an integer in 1..", "not 0 (--steps)")),
    ("steps -10", ["demo", "--steps", "-10"], ("not -10 (--steps)",)),
    ("steps 1e20", ["demo", "--no-rtl", "--steps", HUGE], (f"not {HUGE} (--steps)",)),
    ("out dir cannot be made", ["demo", "--out", "/proc/x/y"],
     ("cannot write the demo's output directory '/proc/x/y'", "cannot create directory", "(--out)")),
    ("out under a file", ["demo", "--out", "{d}/afile/y"], ("'{d}/afile' is a file, not a directory", "(--out)")),
    ("out is a file", ["demo", "--out", "{d}/afile"], ("afile': it is a file, not a directory", "(--out)")),
    # ---- no command ------------------------------------------------------------------------------------------
    ("unknown command", ["frobnicate"], ("argument command: invalid choice: 'frobnicate'",)),
    ("no command", [], ("the following arguments are required: command",)),
]
# No real conflicting pair in demo's options: --no-rtl implies --no-board, and both together mean the same.

# Cases that also run through the console script: one a command, each a different kind of fault.
SUBPROCESS = ["simulate: NaN in file", "verify: --stall with board-sim", "run: board too small",
              "verilog: output is a directory", "fi-curve: plot format", "boards: lanes 0",
              "build: storage of another family", "demo: out is a file", "simulate: empty file"]


COMMANDS = ("simulate", "verify", "run", "verilog", "fi-curve", "boards", "build", "demo")


def case_id(category, args):
    return f"{args[0] if args and args[0] in COMMANDS else 'lifgen'}: {category}"


IDS = [case_id(category, args) for category, args, _ in CASES]


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    """Files of every wrong kind, and a file and directories where outputs cannot go."""
    d = tmp_path_factory.mktemp("bad")
    np.save(d / "3d.npy", np.zeros((2, 2, 2)))
    np.save(d / "scalar.npy", np.float64(3.0))
    np.save(d / "tn.npy", np.zeros((10, 3)))
    np.save(d / "empty.npy", np.zeros(0))
    np.save(d / "strings.npy", np.array(["a", "b"]))
    np.save(d / "complex.npy", np.zeros(3, dtype=complex))
    np.save(d / "bool.npy", np.zeros(3, dtype=bool))
    np.save(d / "nan.npy", np.array([1.0, np.nan]))
    np.save(d / "inf.npy", np.array([1.0, np.inf]))
    np.save(d / "huge.npy", np.full(3, 1000.0))
    np.save(d / "obj.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.savez(d / "arch.npz", a=np.zeros(3))
    (d / "zero.npy").write_bytes(b"")
    (d / "notnpy.npy").write_text("hello")
    (d / "trunc.npy").write_bytes((d / "tn.npy").read_bytes()[:200])
    (d / "afile").write_text("a regular file where a directory is needed")
    for name in ("adir.npy", "plots.png", "waves.vcd"):
        (d / name).mkdir()
    return d


class ToolStarted(BaseException):
    """Bad input reached a model, a subprocess, the Verilog conversion or a build (a BaseException, so that no
    ``except Exception`` in lifgen can turn it into a message)."""


@pytest.fixture
def tripwires(monkeypatch, tmp_path):
    """Every expensive entry point raises :class:`ToolStarted`; the working directory is a fresh one."""
    import lifgen.boards.flow
    import lifgen.golden.fixed
    import lifgen.golden.floating
    import lifgen.hw.export

    def wire(name):
        def tripped(*args, **kwargs):
            raise ToolStarted(f"{name} started: the bad input was not refused first")
        return tripped

    monkeypatch.setattr(lifgen.golden.fixed, "simulate", wire("the fixed golden model"))
    monkeypatch.setattr(lifgen.golden.floating, "simulate", wire("the float golden model"))
    monkeypatch.setattr(subprocess, "Popen", wire("a subprocess (simulator or synthesis tool)"))
    monkeypatch.setattr(lifgen.hw.export, "convert", wire("the Verilog conversion"))
    monkeypatch.setattr(lifgen.boards.flow, "build_bitstream", wire("a bitstream build"))
    monkeypatch.chdir(tmp_path)
    # Amaranth keeps UnusedElaboratable silent until the process first elaborates something, so whether a
    # refused command's stray top warns would depend on which tests ran before on this worker: make it warn
    from amaranth.hdl._ir import UnusedElaboratable
    monkeypatch.setattr(UnusedElaboratable, "_MustUse__silence", False)


def run_in_process(argv, capsys):
    """``(exit code, stderr)`` of ``lifgen.cli.main(argv)``; warnings are added to stderr, as a user sees them."""
    gc.collect()                        # not this case's: what earlier tests left behind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = main(argv)
        except SystemExit as exc:       # argparse
            code = exc.code
        gc.collect()                    # warnings of objects dropped on the way (Amaranth's UnusedElaboratable)
    err = capsys.readouterr().err
    return code, err + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)


def check_one_line(code, err, words):
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert code == 2, err
    assert lines[0].startswith("lifgen"), lines[0]
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


@pytest.mark.parametrize("category, args, words", CASES, ids=IDS)
def test_bad_input_is_one_line_and_exit_2(bad_dir, tripwires, capsys, category, args, words):
    code, err = run_in_process([a.format(d=bad_dir) for a in args], capsys)
    check_one_line(code, err, [w.format(d=bad_dir) for w in words])


def test_the_table_covers_every_command_and_its_ids_are_unique():
    from lifgen.cli import build_parser
    assert set(build_parser()._subparsers._group_actions[0].choices) == set(COMMANDS)
    assert set(COMMANDS) <= {args[0] for _, args, _ in CASES if args}
    assert len(set(IDS)) == len(IDS)
    assert set(SUBPROCESS) <= set(IDS)


@pytest.mark.parametrize("category, args, words", [CASES[IDS.index(i)] for i in SUBPROCESS], ids=SUBPROCESS)
def test_console_script_prints_no_traceback(bad_dir, tmp_path, category, args, words):
    exe = os.path.join(os.path.dirname(sys.executable), "lifgen")
    res = subprocess.run([exe, *[a.format(d=bad_dir) for a in args]], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    check_one_line(res.returncode, res.stderr, [w.format(d=bad_dir) for w in words])
