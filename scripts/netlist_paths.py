#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""List the register-to-register paths of a synthesised iCE40 netlist that an estimate puts above a limit.

Reads the Yosys JSON netlist of a build (``top.json`` in a ``lifgen build`` directory) and estimates, for every
input of every flip-flop and RAM, the latest arrival of its signal after the clock edge, from the delays nextpnr
reports for the iCE40UP5K: 1.39 ns clock to out, 1.76 ns a routing hop, 1.0 ns a look-up table, 0.68 ns into a
carry chain and 0.28 ns along it (a look-up table fed by a carry takes it without a hop; a chain whose carry-in
comes from outside a chain takes it through a cell of its own, a hop and an entry). A flip-flop's set/reset pin is
3.6 ns of routing away even from a table in its own tile (3.47-3.69 ns in nextpnr's reports), so a reset that
passes a look-up table costs much more than one from a register. It prints the slow ones,
one line per distinct path, with the cells they pass: a path of three look-up tables is ~9.7 ns even with short
hops, so on the UP5K every such path limits 100 MHz on some placement seed, and it shows here before it shows on
a seed's report. The estimate ranks paths before place and route; nextpnr's report is what counts.

Usage: scripts/netlist_paths.py BUILD/top.json [--limit NS] [--top MODULE]
"""

import argparse
import json
import re
import sys

CLOCK_TO_OUT, HOP, LUT, CARRY_IN, CARRY_BIT = 1.39, 1.76, 1.0, 0.68, 0.28
SET_RESET = 3.6                               # the route into a flip-flop's set/reset pin, setup included
SET_RESET_PINS = {"R", "S"}
RAM_TO_OUT = 2.5
CLOCKS = {"C", "CLK", "CLOCK", "RCLK", "WCLK"}


def _is_register(kind):
    return "DFF" in kind or "RAM" in kind


def slow_paths(module, limit):
    """``[(estimate_ns, "cell type.pin", [cells along the path])]`` for the flip-flop and RAM inputs of
    ``module`` (a module of a Yosys JSON netlist) whose estimate is ``limit`` or more, slowest first, one entry
    per distinct path (the same cells, bit indices aside)."""
    names, driver = {}, {}
    for name, net in module["netnames"].items():
        for bit in net["bits"]:
            if isinstance(bit, int) and (bit not in names or len(name) < len(names[bit])):
                names[bit] = name
    cells = module["cells"]
    for cell_name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell["port_directions"].get(port) == "output":
                for bit in bits:
                    if isinstance(bit, int):
                        driver[bit] = (cell_name, port)
    arrival = {}

    def arrive(bit):
        """(ns, path) of net ``bit`` (constants and undriven nets arrive at 0)."""
        if not isinstance(bit, int) or bit not in driver:
            return 0.0, []
        if bit in arrival:
            return arrival[bit]
        arrival[bit] = (0.0, ["(loop)"])
        cell = cells[driver[bit][0]]
        kind, pins = cell["type"], cell["connections"]
        if kind == "SB_LUT4":
            best = (-1.0, [])
            for i in ("I0", "I1", "I2", "I3"):
                a, p = arrive(pins[i][0])
                a += 0.0 if _from_carry(driver, cells, pins[i][0]) else HOP
                if a > best[0]:
                    best = (a, p)
            result = best[0] + LUT, best[1] + [f"LUT {names.get(bit, '?')}"]
        elif kind == "SB_CARRY":
            along, path = arrive(pins["CI"][0])
            # a carry from the chain's previous cell; anything else enters through a cell of its own
            entry = CARRY_BIT if _from_carry(driver, cells, pins["CI"][0]) or not _driven(driver, pins["CI"][0]) \
                else HOP + CARRY_IN
            best = (along + entry, path)
            for i in ("I0", "I1"):
                a, p = arrive(pins[i][0])
                if a + HOP + CARRY_IN > best[0]:
                    best = (a + HOP + CARRY_IN, p)
            path = best[1] if best[1][-1:] == ["carry"] else best[1] + ["carry"]
            result = best[0], path
        else:
            start = CLOCK_TO_OUT if "DFF" in kind else RAM_TO_OUT
            result = start, [f"{kind} {names.get(bit, '?')}"]
        arrival[bit] = result
        return result

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(cells) + 1000))
    found = []
    for cell in cells.values():
        kind = cell["type"]
        if not _is_register(kind):
            continue
        for port, bits in cell["connections"].items():
            if cell["port_directions"].get(port) != "input" or port in CLOCKS:
                continue
            for bit in bits:
                at, path = arrive(bit)
                # a look-up table packed with its flip-flop feeds it without a hop
                packed = isinstance(bit, int) and bit in driver and cells[driver[bit][0]]["type"] == "SB_LUT4"
                if port in SET_RESET_PINS and "DFF" in kind:
                    estimate = at + SET_RESET
                else:
                    estimate = at + (0.0 if packed and port == "D" else HOP)
                if estimate >= limit:
                    found.append((estimate, f"{kind}.{port}", path))
    found.sort(key=lambda e: -e[0])
    distinct, seen = [], set()
    for estimate, pin, path in found:
        key = tuple(re.sub(r"\$\d+|\[\d+\]|_SB_\w+", "", step) for step in path)
        if key not in seen:
            seen.add(key)
            distinct.append((estimate, pin, path))
    return distinct


def _from_carry(driver, cells, bit):
    return isinstance(bit, int) and bit in driver and cells[driver[bit][0]]["type"] == "SB_CARRY"


def _driven(driver, bit):
    return isinstance(bit, int) and bit in driver


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("netlist", help="Yosys JSON netlist (top.json of a lifgen build directory)")
    parser.add_argument("--limit", type=float, default=8.4, help="list paths estimated at this many ns or more")
    parser.add_argument("--top", default=None, help="module (default: the one marked top)")
    args = parser.parse_args(argv)
    with open(args.netlist) as f:
        modules = json.load(f)["modules"]
    top = args.top or next((k for k, v in modules.items() if v.get("attributes", {}).get("top")), None)
    if top not in modules:
        parser.error(f"no module {top!r} in {args.netlist}")
    for estimate, pin, path in slow_paths(modules[top], args.limit):
        luts = sum(step.startswith("LUT") for step in path)
        print(f"{estimate:5.2f} ns  {luts} LUT  {pin:14}  " + " > ".join(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
