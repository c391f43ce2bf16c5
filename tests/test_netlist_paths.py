# SPDX-License-Identifier: BSD-2-Clause
"""scripts/netlist_paths.py: the path estimate on netlists small enough to work out by hand."""

import importlib.util
import json
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "netlist_paths.py"
spec = importlib.util.spec_from_file_location("netlist_paths", SCRIPT)
netlist_paths = importlib.util.module_from_spec(spec)
spec.loader.exec_module(netlist_paths)


def _cell(kind, **pins):
    """A cell of a Yosys JSON netlist: ``pins`` maps a port to (direction, [bits])."""
    return {"type": kind, "port_directions": {p: d for p, (d, _) in pins.items()},
            "connections": {p: bits for p, (_, bits) in pins.items()}}


def _lut(i0, o, i3="0"):
    return _cell("SB_LUT4", I0=("input", [i0]), I1=("input", ["0"]), I2=("input", ["0"]), I3=("input", [i3]),
                 O=("output", [o]))


def _dff(d, q):
    return _cell("SB_DFF", C=("input", [1]), D=("input", [d]), Q=("output", [q]))


def _module():
    cells = {
        # three look-up tables between two flip-flops
        "a": _dff(99, 2), "lut1": _lut(2, 3), "lut2": _lut(3, 4), "lut3": _lut(4, 5), "b": _dff(5, 98),
        # a flip-flop straight into another
        "c": _dff(97, 6), "d": _dff(6, 96),
        # a flip-flop into a carry chain of three cells, its carry into a look-up table
        "e": _dff(95, 10),
        "k0": _cell("SB_CARRY", I0=("input", [10]), I1=("input", ["0"]), CI=("input", ["0"]), CO=("output", [11])),
        "k1": _cell("SB_CARRY", I0=("input", ["0"]), I1=("input", ["0"]), CI=("input", [11]), CO=("output", [12])),
        "k2": _cell("SB_CARRY", I0=("input", ["0"]), I1=("input", ["0"]), CI=("input", [12]), CO=("output", [13])),
        "sum": _lut(10, 14, i3=13), "f": _dff(14, 94),
    }
    names = {"a": 2, "l1": 3, "l2": 4, "l3": 5, "c": 6, "e": 10, "s": 14}
    return {"cells": cells, "netnames": {n: {"bits": [b]} for n, b in names.items()}}


def test_three_look_up_tables_are_estimated_as_nextpnr_reports_them():
    paths = netlist_paths.slow_paths(_module(), 8.0)
    assert len(paths) == 1
    estimate, pin, path = paths[0]
    # clock to out, then three times a hop and a table (the last packed with its flip-flop)
    assert estimate == pytest.approx(1.39 + 3 * (1.76 + 1.0))
    assert pin == "SB_DFF.D" and [step.split()[0] for step in path] == ["SB_DFF", "LUT", "LUT", "LUT"]


def test_a_carry_chain_costs_its_entry_and_each_bit_and_feeds_its_table_without_a_hop():
    paths = {tuple(path): estimate for estimate, _, path in netlist_paths.slow_paths(_module(), 0.0)}
    chain = [e for path, e in paths.items() if "carry" in path]
    # clock to out, a hop and the entry into the chain, two more carry bits, the table, no hop into f
    assert chain == [pytest.approx(1.39 + 1.76 + 0.68 + 2 * 0.28 + 1.0)]
    # the direct flip-flop to flip-flop path: clock to out and one hop
    assert pytest.approx(1.39 + 1.76) in paths.values()


def _reset_and_carry_in_module():
    cells = {
        # a flip-flop through a look-up table into another flip-flop's reset pin
        "g": _dff(93, 20), "rl": _lut(20, 21),
        "r": _cell("SB_DFFSR", C=("input", [1]), D=("input", [92]), R=("input", [21]), Q=("output", [91])),
        # a flip-flop straight into a carry chain's carry-in (through a cell of its own), its carry into a table
        "h": _dff(90, 22),
        "k": _cell("SB_CARRY", I0=("input", ["0"]), I1=("input", ["0"]), CI=("input", [22]), CO=("output", [23])),
        "top": _lut(0, 24, i3=23), "t": _dff(24, 89),
    }
    names = {"g": 20, "rl": 21, "h": 22, "s": 24}
    return {"cells": cells, "netnames": {n: {"bits": [b]} for n, b in names.items()}}


def test_a_reset_pin_is_a_long_route_away_and_a_carry_in_from_outside_enters_through_a_cell():
    paths = {pin: estimate for estimate, pin, _ in netlist_paths.slow_paths(_reset_and_carry_in_module(), 4.0)}
    # clock to out, a hop and a table, then the route into the reset pin
    assert paths["SB_DFFSR.R"] == pytest.approx(1.39 + 1.76 + 1.0 + 3.6)
    # clock to out, a hop and the entry into the chain, the table the carry feeds (packed with its flip-flop)
    assert paths["SB_DFF.D"] == pytest.approx(1.39 + 1.76 + 0.68 + 1.0)


def test_the_command_line_prints_the_slow_paths(tmp_path, capsys):
    netlist = tmp_path / "top.json"
    netlist.write_text(json.dumps({"modules": {"top": dict(_module(), attributes={"top": 1})}}))
    assert netlist_paths.main([str(netlist), "--limit", "9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(" 9.67 ns  3 LUT")
