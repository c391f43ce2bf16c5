#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Benchmark RTL simulation speed: clock cycles per second in Icarus Verilog and Verilator.

Usage: .venv/bin/python scripts/bench_sim.py [--quick]
Runs the generated array through the same harness the tests use (builds are cached and not timed;
the wall time includes simulator start-up and cocotb, which dominate short runs). Every run is also
checked against the golden model, so a fast wrong simulation cannot pass for a fast one.
"""

import sys

import numpy as np

from lifgen.golden import fixed
from lifgen.params import CoreConfig, LIFParams
from lifgen.sim.harness import RTLConfig, run_rtl
from lifgen.sim.scoreboard import assert_match


def main():
    quick = "--quick" in sys.argv
    params = LIFParams()
    cases = [(256, 100 if quick else 400), (1024, 25 if quick else 100)]
    print(f"{'sim':>9} {'neurons':>7} {'steps':>5} {'trace':>5} {'cycles':>8} {'wall s':>7} {'cycles/s':>10} {'spikes':>7}")
    rates = {}
    for neurons, steps in cases:
        u = params.fixed.q(1.0) * np.linspace(0, 60, neurons).round().astype(np.int64)
        ref = fixed.run(params.fixed, u, steps, trace=True)
        for trace in (False, True):
            for sim in ("icarus", "verilator"):
                cfg = RTLConfig(params, neurons, CoreConfig(trace=trace), sim=sim)
                run_rtl(cfg, u, 1)                        # build (cached), not timed
                res = run_rtl(cfg, u, steps)
                if trace:
                    assert_match(ref, res)
                else:
                    np.testing.assert_array_equal(res.spikes, ref.spikes)
                rate = res.cycles / res.wall_s
                rates[sim, neurons, trace] = rate
                print(f"{sim:>9} {neurons:7d} {steps:5d} {str(trace):>5} {res.cycles:8d} {res.wall_s:7.2f} "
                      f"{rate:10.0f} {len(res.spikes):7d}")
    for neurons, _ in cases:
        for trace in (False, True):
            print(f"verilator/icarus speed ratio, {neurons} neurons, trace {trace}: "
                  f"{rates['verilator', neurons, trace] / rates['icarus', neurons, trace]:.1f}")


if __name__ == "__main__":
    main()
