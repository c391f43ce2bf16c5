#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""``make soak CASES=K SEED=S``: constrained-random differential testing for as long as asked.

Usage: .venv/bin/python scripts/soak.py [--cases K] [--seed S] [--minutes M] [--sims icarus,verilator]
       .venv/bin/python scripts/soak.py --case '<JSON of one case>'      (replay one case)

Draws K cases with hypothesis (``lifgen.sim.differential.case_strategy``: parameters, N, lanes, storage,
pipeline depth, FIFO depths, trace, input schedules, backpressure), runs each through the golden model and the
RTL, and compares every spike event, every traced voltage and, where nothing throttles the array, every event's
cycle. Prints one line per case, then one summary line; exits 1 on any mismatch, after hypothesis has shrunk the
failing case, printing the command that replays it. ``--minutes`` stops drawing new cases after that long.
"""

import argparse
import os
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--sims", default="icarus", help="comma-separated simulators to draw from")
    ap.add_argument("--case", default=None, help="replay one case (its JSON)")
    args = ap.parse_args()
    if args.cases < 1:
        ap.error("--cases must be at least 1")

    from hypothesis import HealthCheck, Phase, given, seed, settings

    from lifgen.sim.differential import Case, case_strategy, run_case

    build_root = tempfile.mkdtemp(prefix="lifgen-soak-")       # one build per case: keep them out of build/
    os.environ.setdefault("LIFGEN_BUILD_DIR", build_root)

    if args.case:
        case = Case.from_json(args.case)
        report = run_case(case)
        print(f"soak: replayed 1 case: events {report['events_compared']}, mismatches "
              f"{report['spike_mismatches'] + report.get('trace_mismatches', 0) + report['cycle_mismatches']}")
        print(report)
        return 0 if report["match"] else 1

    totals = {"cases": 0, "steps": 0, "events": 0, "voltages": 0, "cycles": 0, "mismatches": 0}
    started = time.monotonic()
    failing = []

    @seed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=case_strategy(sims=tuple(args.sims.split(","))))
    def one(case):
        if args.minutes is not None and time.monotonic() - started > 60 * args.minutes and not failing:
            return                                            # time budget spent: draw no more work
        report = run_case(case)
        bad = report["spike_mismatches"] + report.get("trace_mismatches", 0) + report["cycle_mismatches"]
        if not report["match"]:
            failing.append(case)
            print(f"soak: MISMATCH in {case.to_json()}", file=sys.stderr, flush=True)
            raise AssertionError(f"mismatch ({bad}); replay: scripts/soak.py --case '{case.to_json()}'")
        totals["cases"] += 1
        totals["steps"] += case.steps
        totals["events"] += report["events_compared"]
        totals["voltages"] += report.get("trace_values_compared", 0)
        totals["cycles"] += report["cycles_checked"]
        cfg = case.core
        print(f"soak: case {totals['cases']}/{args.cases}: N {case.neurons}, P {cfg.get('lanes', 1)}, "
              f"{cfg.get('storage', 'bram')}, {case.steps} steps, {case.input_kind}, {case.sim}: "
              f"{report['events_compared']} events ok", file=sys.stderr, flush=True)

    status = 0
    try:
        one()
    except AssertionError as exc:
        status = 1
        totals["mismatches"] += 1
        print(f"soak: {exc}", file=sys.stderr)
        if failing:
            print(f"soak: the shrunk failing case: scripts/soak.py --case '{failing[-1].to_json()}'",
                  file=sys.stderr)
        print(f"soak: the whole run again: make soak CASES={args.cases} SEED={args.seed}", file=sys.stderr)
    minutes = (time.monotonic() - started) / 60
    print(f"soak: cases {totals['cases']}, steps {totals['steps']}, events {totals['events']}, voltages "
          f"{totals['voltages']}, event cycles {totals['cycles']} compared in {minutes:.1f} min (seed "
          f"{args.seed}): mismatches {totals['mismatches']}")
    return status


if __name__ == "__main__":
    sys.exit(main())
