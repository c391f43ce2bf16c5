#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""``make fuzz FRAMES=N SEED=S BOARD_CASES=K``: the host link fuzz and random board runs, for as long as asked.

Usage: .venv/bin/python scripts/fuzz.py [--frames N] [--seed S] [--cases K] [--sim verilator|icarus]
       .venv/bin/python scripts/fuzz.py --case '<JSON of one board case>'      (replay one)

Throws N fuzz items at the simulated board top (``lifgen.sim.fuzz.run_fuzz``: three fifths one segment at a
time, every answer and counter predicted, two fifths as a back-to-back flood, then good frames during a RUN),
checks that no neuron moved and that a normal run through the host driver is bit exact against the golden
model; then draws K random board cases (``lifgen.sim.board_cases``: parameters, N, core options, inputs
rewritten between runs, paced and fast, traced or not) and runs each through the driver against the golden
model. Prints one summary line per part; exits 1 on any difference.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np


def fuzz(frames, seed, sim):
    from lifgen.golden import fixed
    from lifgen.host import Board
    from lifgen.params import LIFParams
    from lifgen.sim.board import SimulatedBoard
    from lifgen.sim.fuzz import run_fuzz

    params, neurons = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=1.0, reset="subtract", v_reset_mv=-72.0), 4
    items = frames * 3 // 5
    started = time.monotonic()
    with SimulatedBoard(params, neurons, sim=sim) as board_sim:
        Board.open(board_sim.url, timeout=300, partial_timeout=300).close()
        report = run_fuzz(board_sim.url, neurons, params.fixed.VREST, items=items, flood=frames - items,
                          seed=seed, timeout=300, log=lambda text: print(text, file=sys.stderr, flush=True))
        u = params.fixed.q(np.random.default_rng(seed).uniform(10.0, 90.0, neurons)).astype(np.int64)
        with Board.open(board_sim.url, timeout=300, partial_timeout=300) as board:
            board.write_inputs(u)
            res = board.run(200, trace=True)
        ref = fixed.run(params.fixed, u, 200, trace=True)
        exact = np.array_equal(res.spikes, ref.spikes) and np.array_equal(res.v_trace, ref.v_trace)
    seq, flood = report["sequential"], report["flood"]
    print(f"fuzz: {seq['items']} items one at a time ({seq['bytes']} bytes, {seq['answers']} answers as "
          f"predicted, {seq['seconds']} s), {flood['items']} in a flood ({flood['bytes']} bytes, "
          f"{flood['answers']} answers, {flood['seconds']} s), {report['during_run']['bytes']} bytes of frames "
          f"during a RUN; counters {report['counters']}; then 200 steps {'bit exact' if exact else 'MISMATCH'} "
          f"({len(ref.spikes)} spikes); {time.monotonic() - started:.0f} s in all (seed {seed}, {sim})")
    return exact


def board_cases(cases, seed_value):
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from lifgen.sim.board_cases import board_case_strategy, run_board_case

    totals = {"cases": 0, "runs": 0, "steps": 0, "spikes": 0, "voltages": 0}
    started = time.monotonic()

    @seed(seed_value)
    @settings(max_examples=cases, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(bc=board_case_strategy())
    def one(bc):
        report = run_board_case(bc)
        if not report["match"]:
            print(f"board case: MISMATCH {report['mismatches']}", file=sys.stderr, flush=True)
            raise AssertionError(f"replay: scripts/fuzz.py --case '{bc.to_json()}'")
        totals["cases"] += 1
        for key in ("runs", "steps", "spikes", "voltages"):
            totals[key] += report[key]
        print(f"board case {totals['cases']}/{cases}: N {bc.case.neurons}, {len(bc.runs)} runs, {bc.case.steps} "
              f"steps: ok", file=sys.stderr, flush=True)

    ok = True
    try:
        one()
    except AssertionError as exc:
        ok = False
        print(f"board cases: {exc}", file=sys.stderr)
    print(f"board cases: {totals['cases']} cases, {totals['runs']} runs, {totals['steps']} steps, "
          f"{totals['spikes']} spikes and {totals['voltages']} voltages compared in "
          f"{(time.monotonic() - started) / 60:.1f} min (seed {seed_value}): {'bit exact' if ok else 'MISMATCH'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    ap.add_argument("--case", default=None, help="replay one board case (its JSON)")
    args = ap.parse_args()
    os.environ.setdefault("LIFGEN_BUILD_DIR", tempfile.mkdtemp(prefix="lifgen-fuzz-"))
    if args.case:
        from lifgen.sim.board_cases import BoardCase, run_board_case
        report = run_board_case(BoardCase.from_json(args.case))
        print(report)
        return 0 if report["match"] else 1
    ok = True
    if args.frames > 0:
        ok = fuzz(args.frames, args.seed, args.sim) and ok
    if args.cases > 0:
        ok = board_cases(args.cases, args.seed) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
