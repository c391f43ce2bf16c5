#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Benchmark the golden integer model against Brian2 (cython target) on the same LIF population, in one run.

Usage: .venv/bin/python scripts/bench_golden.py [--quick] [--json PATH] [--repeat K] [--no-brian2]
                                                 [--brian2-python PATH] [--setup-brian2]

The population: 100,000 neurons (``--quick``: 10,000), 1,000 steps (200), default ``LIFParams`` (tau 10 ms,
dt 0.1 ms), inputs R*I uniform in 10..40 mV, seeded. Rates are neuron-updates per second, best of K runs (the
median is printed too); the machine is noisy, so the ratio (same machine, same minute) is the figure to compare.

- golden: ``lifgen.golden.fixed.simulate`` as a user calls it (quantisation, the run, the spike list), timed after
  a warm-up run that compiles or loads the numba kernel. Also shown: the same on one thread, and the numpy engine.
- Brian2 2.9, cython code generation, the equivalent LIF (``method='exact'``, same tau, dt, v_rest, v_reset, v_th;
  with t_ref > 0 Brian2 gets t_ref + dt, since it counts the spike's own step as refractory), with a
  SpikeMonitor (the golden model returns every spike too). Timed over ``Network.run()`` after a short warm-up run
  has compiled the code; each run starts from v = v_rest. Also shown: the loop alone (Brian2's own profile).
  Brian2 2.9.0 does not import with numpy >= 2.3, so it runs in its own interpreter: ``--brian2-python``, else
  ``$LIFGEN_BRIAN2_PYTHON``, else ``.venv-brian2/bin/python`` (``--setup-brian2`` creates it), else this one.
"""

import argparse
import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
BRIAN2_VENV = ROOT / ".venv-brian2"
# Brian2 2.9.0 needs numpy < 2.3 (it wraps ndarray.ptp, removed in 2.3); Cython for its cython target
BRIAN2_PACKAGES = ["brian2==2.9.0", "numpy==2.2.6", "cython==3.3.1"]
SEED = 0
CURRENT_MV = (10.0, 40.0)


def population(neurons):
    return np.random.default_rng(SEED).uniform(*CURRENT_MV, size=neurons)


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "python": platform.python_version()}


# --- golden ---------------------------------------------------------------------------------------------------

def bench_golden(neurons, steps, repeat):
    from lifgen.golden import fixed, kernel
    from lifgen.params import LIFParams

    params = LIFParams()
    current = population(neurons)
    out = {"engine": "numpy", "threads": 1}
    # the warm-up compiles or loads the numba kernel; after it, "auto" (timed below) takes numba
    warm = "numba" if kernel.available() else "numpy"
    warm_s, _ = timed(lambda: fixed.simulate(params, current, steps, engine=warm), 1)
    if kernel.loaded():
        import numba
        out.update(engine="numba", threads=numba.get_num_threads(), numba=numba.__version__,
                   threading_layer=numba.threading_layer())
    out["warmup_s"] = warm_s[0]
    times, res = timed(lambda: fixed.simulate(params, current, steps), repeat)
    out.update(times_s=times, spikes=int(len(res.spikes)))
    if out["engine"] == "numba":
        import numba
        numba.set_num_threads(1)
        out["times_1thread_s"], _ = timed(lambda: fixed.simulate(params, current, steps), repeat)
        numba.set_num_threads(out["threads"])
    out["times_numpy_s"], ref = timed(lambda: fixed.simulate(params, current, steps, engine="numpy"),
                                      max(1, min(repeat, 3)))
    if ref.spikes.tolist() != res.spikes.tolist():
        raise SystemExit("golden engines disagree: numba and numpy spikes differ")
    return out


# --- Brian2, in its own interpreter -------------------------------------------------------------------------

def brian2_python(arg):
    if arg:
        return arg
    if os.environ.get("LIFGEN_BRIAN2_PYTHON"):
        return os.environ["LIFGEN_BRIAN2_PYTHON"]
    venv = BRIAN2_VENV / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def bench_brian2(python, neurons, steps, repeat):
    """Run this script's --brian2-worker in ``python``; returns its JSON, or {"error": ...}."""
    from lifgen.params import LIFParams

    p = LIFParams()
    spec = {"tau_ms": p.tau_ms, "dt_ms": p.dt_ms, "v_rest_mv": p.v_rest_mv, "v_reset_mv": p.v_reset_mv,
            "v_th_mv": p.v_th_mv, "t_ref_ms": p.t_ref_ms, "reset": p.reset, "steps": steps, "repeat": repeat}
    with tempfile.TemporaryDirectory() as tmp:
        current = pathlib.Path(tmp) / "current_mv.npy"
        np.save(current, population(neurons))
        cmd = [python, str(pathlib.Path(__file__).resolve()), "--brian2-worker", str(current), json.dumps(spec)]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
    lines = res.stdout.strip().splitlines()
    if res.returncode or not lines:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail}
    return json.loads(lines[-1])


def brian2_worker(current_path, spec_json):
    """Runs inside the Brian2 interpreter: no lifgen here (it may not be installed there)."""
    try:
        import brian2 as b2
    except Exception as exc:            # noqa: BLE001 (ImportError, or AttributeError from numpy >= 2.3)
        print(json.dumps({"error": f"cannot import brian2: {type(exc).__name__}: {exc}"}))
        return
    import logging
    b2.prefs.codegen.target = "cython"
    b2.BrianLogger.log_level_error()
    logging.getLogger("py.warnings").setLevel(logging.ERROR)
    spec = json.loads(spec_json)
    current = np.load(current_path)
    ms, mV = b2.ms, b2.mV
    dt = spec["dt_ms"] * ms
    refractory = spec["t_ref_ms"] > 0
    eqs = "dv/dt = (v_rest - v + I) / tau : volt" + (" (unless refractory)" if refractory else "") + \
          "\nI : volt (constant)"
    reset = "v = v - (v_th - v_reset)" if spec["reset"] == "subtract" else "v = v_reset"
    ns = {"v_rest": spec["v_rest_mv"] * mV, "v_reset": spec["v_reset_mv"] * mV, "v_th": spec["v_th_mv"] * mV,
          "tau": spec["tau_ms"] * ms}
    group = b2.NeuronGroup(len(current), eqs, threshold="v >= v_th", reset=reset, method="exact", dt=dt,
                           refractory=(spec["t_ref_ms"] * ms + dt) if refractory else False, namespace=ns)
    group.I = current * mV
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(group, monitor)
    steps = spec["steps"]
    t0 = time.perf_counter()
    net.run(10 * dt)                   # compiles (cython extensions are cached on disk across processes)
    warmup_s = time.perf_counter() - t0
    times, spikes = [], []
    for _ in range(spec["repeat"]):
        group.v = spec["v_rest_mv"] * mV
        before = monitor.num_spikes
        t0 = time.perf_counter()
        net.run(steps * dt)
        times.append(time.perf_counter() - t0)
        spikes.append(int(monitor.num_spikes - before))
    loop = []
    for _ in range(min(3, spec["repeat"])):
        group.v = spec["v_rest_mv"] * mV
        net.run(steps * dt, profile=True)
        loop.append(sum(float(t) for _, t in net.profiling_info))
    print(json.dumps({"version": b2.__version__, "numpy": np.__version__, "target": b2.prefs.codegen.target,
                      "warmup_s": warmup_s, "times_s": times, "loop_times_s": loop, "spikes": spikes}))


def setup_brian2():
    """Create .venv-brian2 with the pinned Brian2 and a numpy it can import."""
    if not (BRIAN2_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(BRIAN2_VENV)], check=True)
    subprocess.run([str(BRIAN2_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *BRIAN2_PACKAGES],
                   check=True)
    print(f"Brian2 environment ready: {BRIAN2_VENV / 'bin' / 'python'}")


# --- report ---------------------------------------------------------------------------------------------------

def rate(updates, times):
    return updates / min(times) if times else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 neurons, 200 steps (a smoke test)")
    ap.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5); the best is reported")
    ap.add_argument("--no-brian2", action="store_true", help="skip Brian2")
    ap.add_argument("--brian2-python", metavar="PATH", help="interpreter that has Brian2 2.9")
    ap.add_argument("--setup-brian2", action="store_true", help="create .venv-brian2 for Brian2, then exit")
    ap.add_argument("--brian2-worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.brian2_worker:
        return brian2_worker(*args.brian2_worker)
    if args.setup_brian2:
        return setup_brian2()
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    neurons, steps = (10_000, 200) if args.quick else (100_000, 1000)
    updates = neurons * steps
    print(f"population: {neurons:,} neurons x {steps:,} steps, default LIFParams, R*I uniform "
          f"{CURRENT_MV[0]:g}..{CURRENT_MV[1]:g} mV (seed {SEED}); best of {args.repeat} runs")

    golden = bench_golden(neurons, steps, args.repeat)
    brian2 = None
    if not args.no_brian2:
        python = brian2_python(args.brian2_python)
        brian2 = bench_brian2(python, neurons, steps, args.repeat)
        brian2["python"] = python
        if "error" in brian2:
            print(f"Brian2 not measured ({python}): {brian2['error']}")
            print("  Brian2 2.9.0 does not import with numpy >= 2.3: give it its own environment with "
                  "--setup-brian2 (once), or name one with --brian2-python")

    def row(name, times, spikes=None, note=""):
        r = rate(updates, times)
        print(f"  {name:<32} {r / 1e6:9.1f} M updates/s   best {min(times) * 1e3:8.1f} ms   "
              f"median {float(np.median(times)) * 1e3:8.1f} ms" + (f"   {spikes:,} spikes" if spikes else "") + note)
        return r

    print("neuron-updates per second:")
    g_rate = row(f"golden ({golden['engine']}, {golden['threads']} thread{'s' * (golden['threads'] > 1)})",
                 golden["times_s"], golden["spikes"], f"   (warm-up {golden['warmup_s']:.2f} s)")
    g1_rate = row("golden (numba, 1 thread)", golden["times_1thread_s"]) if "times_1thread_s" in golden else None
    gnp_rate = row("golden (numpy engine)", golden["times_numpy_s"])
    b_rate = b_loop_rate = None
    if brian2 and "error" not in brian2:
        b_rate = row(f"Brian2 {brian2['version']} ({brian2['target']}) run()", brian2["times_s"],
                     brian2["spikes"][0], f"   (warm-up {brian2['warmup_s']:.1f} s)")
        if brian2["loop_times_s"]:
            b_loop_rate = row("Brian2 loop alone (profile)", brian2["loop_times_s"])
    ratio = g_rate / b_rate if b_rate else None
    if ratio:
        print(f"ratio golden / Brian2 run(): {ratio:.2f}" +
              (f"   (1 thread: {g1_rate / b_rate:.2f}; against Brian2's loop alone: {g_rate / b_loop_rate:.2f})"
               if g1_rate and b_loop_rate else ""))
    else:
        print("ratio golden / Brian2: not measured")

    if args.json:
        report = {
            "golden_updates_per_s": g_rate, "brian2_updates_per_s": b_rate, "ratio": ratio,
            "neurons": neurons, "steps": steps, "repeat": args.repeat,
            "machine": machine(), "command": shlex.join([sys.executable, *sys.argv]),
            "golden_1thread_updates_per_s": g1_rate, "golden_numpy_updates_per_s": gnp_rate,
            "brian2_loop_updates_per_s": b_loop_rate,
            "ratio_1thread": g1_rate / b_rate if g1_rate and b_rate else None,
            "golden": golden, "brian2": brian2,
        }
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
