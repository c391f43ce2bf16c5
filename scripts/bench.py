#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""``make bench``: every benchmark in one run, written to ``bench/results.json`` and ``bench/results.md``.

Usage: .venv/bin/python scripts/bench.py [--quick] [--only builds,golden,sim] [--out bench]

- builds: ``lifgen build`` (``lifgen.boards.flow.build_for_board``) of the array alone (``--top array``) and of
  the whole board top (host link included) for each configuration below, after place and route (nextpnr, seed 1,
  or the best of a seed sweep where a row asks for one, every seed's Fmax kept): LUTs, FFs, block RAMs, SPRAMs,
  DSPs, Fmax, neuron updates per second (P x Fmax) and the largest N whose step (ceil(N/P) + L cycles) fits in
  1 ms and in 0.1 ms at that Fmax (capped by what the board's memory holds).
- golden: ``scripts/bench_golden.py`` (lifgen's golden model against Brian2 on the same population, as a ratio).
- sim: the largest SPRAM and ECP5 lane configurations in Verilator over 100 steps, compared bit exact with the
  golden model, timed including the Verilator build (in a fresh build directory); and Icarus against Verilator
  on a 1,024-neuron array (cycles per second, build excluded).

``--only`` runs some parts and keeps the others from the last ``results.json``, each part with the date it was
measured. Every figure is measured when its part runs, on this machine; nothing is asserted about speed. Progress goes to
stderr, one line per item.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (board, neurons, lanes, storage, read_stages, mul_stages, add_stages, clock MHz asked for, top[, options]);
# options: "fifo", the spike FIFO's depth (the dp16kd rows with a 16-entry FIFO, LUT RAM beside the logic, show
# the array without the default FIFO's own block RAM, which lands anywhere on the die: DEVELOPERS.md, "Timing
# closure notes"), and "seeds", a `--seeds` list whose best build is the row (the UP5K array at 100 MHz is met by
# some placements, not all: lifgen build --seeds does the same sweep)
UP5K_SEEDS = "1-8"
BUILDS = [
    ("icebreaker", 32768, 1, "spram", 2, 6, 3, 100, "array", {"seeds": UP5K_SEEDS}),
    ("icebreaker", 32768, 1, "spram", 0, 1, 0, 18, "board"),
    ("icebreaker", 3072, 1, "bram", 2, 3, 2, 100, "array"),
    ("ice40-hx8k-b-evn", 3072, 1, "bram", 2, 3, 2, 150, "array"),
    ("ulx3s-85f", 98304, 6, "bram", 2, 3, 2, 200, "array"),
    ("ulx3s-85f", 98304, 8, "bram", 2, 3, 2, 200, "array"),
    ("ulx3s-85f", 65536, 4, "bram", 2, 3, 2, 200, "array"),
    ("ulx3s-85f", 98304, 6, "bram", 2, 3, 2, 50, "board"),
    ("ulx3s-85f", 98304, 6, "dp16kd", 2, 3, 2, 200, "array"),
    ("ulx3s-85f", 98304, 8, "dp16kd", 2, 3, 2, 200, "array"),
    ("ulx3s-85f", 98304, 6, "dp16kd", 1, 3, 2, 200, "array", {"fifo": 16}),
    ("ulx3s-85f", 98304, 8, "dp16kd", 1, 3, 2, 200, "array", {"fifo": 16}),
    ("ulx3s-85f", 98304, 6, "dp16kd", 2, 3, 2, 50, "board"),
]
QUICK_BUILDS = [("icebreaker", 1024, 1, "spram", 2, 3, 2, 100, "array"),
                ("ulx3s-85f", 4096, 2, "bram", 2, 3, 2, 200, "array")]

PARTS = ("builds", "golden", "sim")
SIM_CASES = [(32768, 1, "spram"), (98304, 6, "bram"), (98304, 8, "dp16kd")]
QUICK_SIM_CASES = [(4096, 1, "spram"), (6000, 6, "bram")]


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def bench_builds(cases, workdir):
    from lifgen.boards.flow import build_for_board, build_with_seeds
    from lifgen.boards.registry import get_board, max_neurons, realtime_neurons
    from lifgen.params import CoreConfig, LIFParams
    params = LIFParams()
    rows = []
    for k, (board, n, lanes, storage, rd, mul, add, mhz, top, *options) in enumerate(cases, 1):
        options = options[0] if options else {}
        fifo = options.get("fifo", CoreConfig.spike_fifo_depth)
        seeds = options.get("seeds")
        config = CoreConfig(lanes=lanes, storage=storage, read_stages=rd, mul_stages=mul, add_stages=add,
                            spike_fifo_depth=fifo)
        log(f"build {k}/{len(cases)}: {board}, {n} neurons, {lanes} lane(s), {storage}, spike FIFO {fifo}, top {top}, "
            f"{mhz} MHz asked" + (f", seeds {seeds}" if seeds else ""))
        out = os.path.join(workdir, f"b{k}")
        if seeds:
            report, reports = build_with_seeds(board, params, n, config, seeds=seeds, clock_mhz=mhz, out=out, top=top,
                                               progress=lambda message, done, total: log(f"  {message}"))
            swept = [{"seed": r.seed, "fmax_mhz": round(r.fmax_mhz, 1), "timing_met": r.timing_met} for r in reports]
            log("  seeds " + ", ".join(f"{r['seed']}: {r['fmax_mhz']} MHz" for r in swept))
        else:
            report, swept = build_for_board(board, params, n, config, clock_mhz=mhz, out=out, top=top), None
        fmax_hz = report.fmax_mhz * 1e6
        limit = max_neurons(get_board(board), params.fixed, config.with_host_link() if top == "board" else config)
        rows.append({
            "board": board, "device": report.device, "top": top, "neurons": n, "lanes": lanes, "storage": storage,
            "spike_fifo_depth": fifo,
            "read_stages": rd, "mul_stages": mul, "add_stages": add, "latency": config.timing(n).latency,
            "luts": report.luts, "ffs": report.ffs, "brams": report.brams, "sprams": report.sprams,
            "dsps": report.dsps, "fmax_mhz": round(report.fmax_mhz, 1), "target_mhz": round(report.target_mhz, 2),
            "updates_per_s": lanes * fmax_hz,
            "step_us": round(config.timing(n).step_cycles / fmax_hz * 1e6, 2),
            "realtime_neurons_1ms": realtime_neurons(config, fmax_hz, 1e-3, limit),
            "realtime_neurons_100us": realtime_neurons(config, fmax_hz, 1e-4, limit),
            "build_s": round(report.seconds, 1), "timing_met": report.timing_met, "seed": report.seed,
            **({"seeds": swept} if swept else {}),
            "critical_path": report.critical_path,
            "command": (f"lifgen build --board {board} --neurons {n} --lanes {lanes} --storage {storage} "
                        f"--read-stages {rd} --mul-stages {mul} --add-stages {add} --clock-mhz {mhz} --top {top} "
                        + (f"--spike-fifo-depth {fifo} " if fifo != CoreConfig.spike_fifo_depth else "")
                        + (f"--seeds {seeds} " if seeds else "") + "--json"),
        })
        log(f"  {report.luts} LUTs, {report.brams} BRAM, {report.sprams} SPRAM, Fmax {report.fmax_mhz:.1f} MHz, "
            f"{report.seconds:.0f} s")
        if report.critical_path:
            log(f"  limit {report.critical_path['from']} -> {report.critical_path['to']}")
    return rows


def bench_golden(quick):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "golden.json")
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "bench_golden.py"), "--json", path]
        if quick:
            cmd.append("--quick")
        log("golden model against Brian2 (scripts/bench_golden.py)")
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        with open(path) as f:
            return json.load(f)


def bench_sim(cases, quick):
    from lifgen.golden import fixed
    from lifgen.params import CoreConfig, LIFParams
    from lifgen.sim.harness import RTLConfig, run_rtl
    from lifgen.sim.scoreboard import compare
    params = LIFParams()
    c = params.fixed
    rows = []
    steps = 20 if quick else 100
    for n, lanes, storage in cases:
        u = c.q(1.0) * np.random.default_rng(n).integers(10, 40, size=n)
        ref = fixed.run(c, u, steps)
        with tempfile.TemporaryDirectory() as tmp:                 # a fresh build: the build is part of the time
            os.environ["LIFGEN_BUILD_DIR"] = tmp
            try:
                log(f"verilator: {n} neurons, {lanes} lane(s), {storage}, {steps} steps (build included)")
                started = time.monotonic()
                res = run_rtl(RTLConfig(params, n, CoreConfig(lanes=lanes, storage=storage), sim="verilator"), u,
                              steps)
                total = time.monotonic() - started
            finally:
                del os.environ["LIFGEN_BUILD_DIR"]
        report = compare(ref, res)
        rows.append({"simulator": "verilator", "neurons": n, "lanes": lanes, "storage": storage, "steps": steps,
                     "events": report["events_golden"], "mismatches": report["spike_mismatches"],
                     "seconds_with_build": round(total, 1), "seconds_run": round(res.wall_s, 1),
                     "cycles": res.cycles, "cycles_per_s": round(res.cycles / res.wall_s)})
        log(f"  {total:.1f} s with the build, {res.wall_s:.1f} s run, {report['events_golden']} events, "
            f"mismatches {report['spike_mismatches']}")
    # Icarus against Verilator on one array (builds cached and not timed)
    n, steps = 1024, (10 if quick else 50)
    u = c.q(1.0) * np.random.default_rng(0).integers(10, 40, size=n)
    ref = fixed.run(c, u, steps)
    speeds = {}
    for sim in ("icarus", "verilator"):
        cfg = RTLConfig(params, n, CoreConfig(), sim=sim)
        run_rtl(cfg, u, 1)
        res = run_rtl(cfg, u, steps)
        assert np.array_equal(res.spikes, ref.spikes), f"{sim} disagrees with the golden model"
        speeds[sim] = res.cycles / res.wall_s
        log(f"{sim}: {n} neurons x {steps} steps, {speeds[sim]:.0f} cycles/s")
    return {"big": rows, "speed": {"neurons": n, "steps": steps, **{f"{k}_cycles_per_s": round(v)
                                                                    for k, v in speeds.items()},
                                   "verilator_over_icarus": round(speeds["verilator"] / speeds["icarus"], 1)}}


def markdown(results):
    measured = results.get("measured", {})
    when = ", ".join(f"{part} {measured[part]}" for part in PARTS if part in measured) or results["date"]
    lines = ["# lifgen benchmark results", "",
             f"Measured on {results['machine']} with `{results['command']}` ({when}). "
             "Builds: estimates after place and route, nextpnr seed 1 unless the seed column says otherwise (the "
             "best of the sweep listed under the table).", ""]
    if "builds" in results:
        lines += ["| board | top | neurons | lanes | storage | L | LUTs | FFs | BRAM | SPRAM | DSP | seed | Fmax MHz | "
                  "updates/s | step | RT N 1 ms | RT N 0.1 ms | build s |",
                  "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
                  "---: | ---: | ---: | ---: |"]
        sweeps = []
        for r in results["builds"]:
            fifo = r.get("spike_fifo_depth", 256)
            storage = r["storage"] + (f" (FIFO {fifo})" if fifo != 256 else "")
            lines.append(f"| {r['board']} | {r['top']} | {r['neurons']:,} | {r['lanes']} | {storage} | "
                         f"{r['latency']} | {r['luts']:,} | {r['ffs'] or 0:,} | {r['brams']} | {r['sprams']} | "
                         f"{r['dsps']} | {r.get('seed', 1)} | {r['fmax_mhz']} | {r['updates_per_s'] / 1e6:,.0f} M | "
                         f"{r['step_us']} us | "
                         f"{r['realtime_neurons_1ms']:,} | {r['realtime_neurons_100us']:,} | {r['build_s']} |")
            if r.get("seeds"):
                met = [str(x["seed"]) for x in r["seeds"] if x["timing_met"]]
                sweeps.append(f"{r['board']} {r['top']}, {r['neurons']:,} neurons, {r['target_mhz']} MHz asked: "
                              + ", ".join(f"seed {x['seed']} {x['fmax_mhz']}" for x in r["seeds"])
                              + f" MHz (the clock asked met by seed{'s' if len(met) != 1 else ''} "
                              + f"{', '.join(met) if met else 'none'}; build s is the best seed's)")
        lines += [""] + [f"Seed sweep: {text}." for text in sweeps] + ([""] if sweeps else [])
    if "golden" in results:
        g = results["golden"]
        brian = g.get("brian2_updates_per_s")
        lines += ["| model | neuron updates/s |", "| --- | ---: |",
                  f"| lifgen golden (fixed point) | {g['golden_updates_per_s'] / 1e6:,.1f} M |",
                  f"| Brian2 (cython) | {brian / 1e6:,.1f} M |" if brian else "| Brian2 | not installed |",
                  "", f"Ratio golden / Brian2: **{g['ratio']:.2f}** "
                  f"({g['neurons']:,} neurons x {g['steps']:,} steps)." if brian else "", ""]
    if "sim" in results:
        lines += ["| simulator | neurons | lanes | storage | steps | events | mismatches | s (with build) | "
                  "s (run) |", "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in results["sim"]["big"]:
            lines.append(f"| {r['simulator']} | {r['neurons']:,} | {r['lanes']} | {r['storage']} | {r['steps']} | "
                         f"{r['events']:,} | {r['mismatches']} | {r['seconds_with_build']} | {r['seconds_run']} |")
        s = results["sim"]["speed"]
        lines += ["", f"Icarus {s['icarus_cycles_per_s']:,} cycles/s, Verilator {s['verilator_cycles_per_s']:,} "
                  f"cycles/s ({s['neurons']:,} neurons, build excluded): Verilator is {s['verilator_over_icarus']}x "
                  "faster.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small configurations (a smoke run of the script)")
    parser.add_argument("--only", default="builds,golden,sim", help="comma-separated: builds, golden, sim")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench"), help="directory for results.json/.md")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = {"date": now,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "command": "make bench" + (" (--quick)" if args.quick else "")}
    path = os.path.join(args.out, "results.json")
    measured = results["measured"] = dict.fromkeys(parts, now)
    if parts != set(PARTS) and os.path.exists(path):
        # a partial run keeps the other parts of the last results, each with the date it was measured
        with open(path) as f:
            previous = json.load(f)
        for part in set(PARTS) - parts:
            if part in previous:
                results[part] = previous[part]
                measured[part] = previous.get("measured", {}).get(part, previous["date"])
    os.makedirs(args.out, exist_ok=True)
    if "builds" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            results["builds"] = bench_builds(QUICK_BUILDS if args.quick else BUILDS, tmp)
    if "golden" in parts:
        results["golden"] = bench_golden(args.quick)
    if "sim" in parts:
        results["sim"] = bench_sim(QUICK_SIM_CASES if args.quick else SIM_CASES, args.quick)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    text = markdown(results)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
