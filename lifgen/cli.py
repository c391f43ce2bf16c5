# SPDX-License-Identifier: BSD-2-Clause
"""The ``lifgen`` command line: parse, validate through ``lifgen.params``, call one function per command.

Every known error (:class:`~lifgen.errors.LifgenError`, bad options) ends as one line on stderr
and exit code 2. Command names and options are pinned by the issues; add, never rename.
"""

import argparse
import json
import os
import sys

import numpy as np

from .errors import InputError, LifgenError
from .params import LIFParams, RESET_MODES

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2 (no usage dump)."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


# (option, LIFParams field, type, help) -- defaults come from LIFParams itself.
PARAM_OPTIONS = [
    ("--tau-ms", "tau_ms", float, "membrane time constant (ms)"),
    ("--dt-ms", "dt_ms", float, "time step (ms)"),
    ("--v-rest-mv", "v_rest_mv", float, "resting potential (mV)"),
    ("--v-reset-mv", "v_reset_mv", float, "reset potential (mV)"),
    ("--v-th-mv", "v_th_mv", float, "threshold (mV)"),
    ("--t-ref-ms", "t_ref_ms", float, "refractory period (ms)"),
    ("--width", "width", int, "state width W in bits"),
    ("--frac", "frac", int, "fraction bits F of the Q format"),
    ("--gain-bits", "gain_bits", int, "fraction bits S of the leak gain G"),
]


def add_param_options(parser):
    defaults = LIFParams()
    group = parser.add_argument_group("model parameters")
    for option, field, kind, text in PARAM_OPTIONS:
        group.add_argument(option, dest=field, type=kind, default=getattr(defaults, field),
                           metavar="X", help=f"{text} (default {getattr(defaults, field)})")
    group.add_argument("--reset", dest="reset", choices=RESET_MODES, default=defaults.reset,
                       help="what a spike does to v: set it to v_reset, or subtract v_th - v_reset "
                            f"(default {defaults.reset})")


def params_from_args(args) -> LIFParams:
    return LIFParams(**{field: getattr(args, field) for _, field, _, _ in PARAM_OPTIONS},
                     reset=args.reset)


def load_current(args, params):
    """Resolve --current-mv / --current-file / --neurons / --steps into (current_mv, neurons, steps)."""
    neurons, steps = args.neurons, args.steps
    if args.current_file is not None:
        path = args.current_file
        if not os.path.isfile(path):
            raise InputError(f"current file {path!r} does not exist")
        try:
            current = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InputError(f"current file {path!r} is not a readable .npy array ({exc})") from None
        if current.dtype.kind not in "iuf":
            raise InputError(f"current file {path!r} must hold integers or floats (mV), not dtype {current.dtype}")
        if current.ndim == 1:
            if neurons is not None and neurons != current.shape[0]:
                raise InputError(f"current file has {current.shape[0]} neurons but --neurons is {neurons}")
            neurons = current.shape[0]
        elif current.ndim == 2:
            t, n = current.shape
            if neurons is not None and neurons != n:
                raise InputError(f"current file has {n} neurons but --neurons is {neurons}")
            if steps is not None and steps != t:
                raise InputError(f"current file has {t} steps but --steps is {steps}")
            neurons, steps = n, t
        else:
            raise InputError(f"current file must have shape [N] or [T, N], not {list(current.shape)}")
        if current.size == 0:
            raise InputError(f"current file {path!r} is empty")
        current = current.astype(np.float64)
    else:
        neurons = 1 if neurons is None else neurons
        current = np.full(max(neurons, 0), args.current_mv, dtype=np.float64)
    steps = 1000 if steps is None else steps
    if neurons < 1:
        raise InputError(f"--neurons must be >= 1, not {neurons}")
    if steps < 1:
        raise InputError(f"--steps must be >= 1, not {steps}")
    from .golden.fixed import currents_to_q
    currents_to_q(params.fixed, current)          # range check in the Q format, for every model
    return current, neurons, steps


# Golden runs of at least this many neuron-updates report their progress on stderr.
PROGRESS_UPDATES = 50_000_000


def _step_progress(neurons, steps):
    if neurons * steps < PROGRESS_UPDATES:
        return None
    return lambda done, total: _progress(f"step {done}/{total} ({100 * done // total} %)")


def run_model(model, params, current, neurons, steps, trace, sim="icarus", waves=None):
    """Run one model and return (spikes [K,2], v_final_mv [N], v_trace_mv [T,N] or None)."""
    if model == "fixed":
        from .golden import fixed
        res = fixed.simulate(params, current, steps, neurons, trace=trace,
                             progress=_step_progress(neurons, steps))
        to_mv = params.fixed.to_mv
        return (res.spikes, to_mv(res.v_final),
                to_mv(res.v_trace) if trace else None)
    if model == "float":
        from .golden import floating
        res = floating.simulate(params, current, steps, neurons, trace=trace,
                                progress=_step_progress(neurons, steps))
        return res.spikes, res.v_final, res.v_trace
    if model == "rtl":
        res = run_rtl_with_progress(params, current, neurons, steps, sim, waves)
        to_mv = params.fixed.to_mv
        return res.spikes, to_mv(res.v_trace[-1]), to_mv(res.v_trace) if trace else None
    raise InputError(f"unknown model {model!r}")


def _progress(message):
    sys.stderr.write(f"lifgen: {message}\n")
    sys.stderr.flush()


def run_rtl_with_progress(params, current, neurons, steps, sim="icarus", waves=None, **options):
    """The generated Verilog in a simulator (always with the trace stream, for the voltages),
    announcing the run and its outcome on stderr. ``current`` is in mV."""
    import time
    from .golden.fixed import currents_to_q
    from .sim.harness import RTLConfig, check_waves, run_rtl
    from .params import CoreTiming
    cfg = RTLConfig(params, neurons, trace=True, sim=sim)
    waves = check_waves(waves, sim)
    cycles = steps * CoreTiming(neurons, cfg.mul_stages).step_cycles + neurons
    _progress(f"simulating the RTL with {sim}: {neurons} neurons x {steps} steps (~{cycles} cycles)"
              + (f", waves to {waves}" if waves else ""))
    t0 = time.perf_counter()
    res = run_rtl(cfg, currents_to_q(params.fixed, current), steps, waves=waves, **options)
    _progress(f"done: {res.cycles} cycles, {res.wall_s:.1f} s simulation, "
              f"{time.perf_counter() - t0:.1f} s in all (build in {res.build_dir})")
    return res


def cmd_simulate(args):
    params = params_from_args(args)
    if args.waves and args.model != "rtl":
        raise InputError("--waves needs --model rtl")
    current, neurons, steps = load_current(args, params)
    spikes, v_final, v_trace = run_model(args.model, params, current, neurons, steps,
                                         trace=bool(args.plot), sim=args.sim, waves=args.waves)
    from .golden.stats import mean_rate_hz
    rates = mean_rate_hz(spikes, neurons, steps, params.dt_ms)
    if args.plot:
        from .plots import plot_run
        plot_run(args.plot, params, spikes, v_trace, neurons, steps,
                 f"lifgen simulate --model {args.model}: {neurons} neurons, {steps} steps")
    if args.json:
        out = {
            "model": args.model, "neurons": neurons, "steps": steps, "dt_ms": params.dt_ms,
            "spikes": np.asarray(spikes).tolist(),
            "rate_hz": [float(r) for r in rates],
            "v_final_mv": [float(v) for v in v_final],
            "params": params.as_dict(), "constants": params.fixed.as_dict(),
        }
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"model {args.model}: {neurons} neurons, {steps} steps of {params.dt_ms:g} ms, "
              f"{len(spikes)} spikes, mean rate {rates.mean():.2f} Hz")
        for n in range(min(neurons, 10)):
            print(f"  neuron {n:4d}: {rates[n]:8.2f} Hz, v_final {v_final[n]:8.3f} mV")
        if neurons > 10:
            print(f"  ... {neurons - 10} more (use --json)")
        if args.plot:
            print(f"plot written to {args.plot}")


def fi_curves(params, current_mv, steps):
    """Analytic, float and fixed f-I curves (Hz) for the given inputs; simulated ones use ISI rates."""
    from .golden import analytic, fixed, floating
    from .golden.stats import isi_rate_hz
    n = len(current_mv)
    fx = fixed.simulate(params, current_mv, steps)
    fl = floating.simulate(params, current_mv, steps)
    return {
        "analytic": analytic.rate_hz(params, current_mv),
        "float": isi_rate_hz(fl.spikes, n, steps, params.dt_ms),
        "fixed": isi_rate_hz(fx.spikes, n, steps, params.dt_ms),
    }


def cmd_fi_curve(args):
    params = params_from_args(args)
    if args.points < 2:
        raise InputError(f"--points must be >= 2, not {args.points}")
    if args.steps < 1:
        raise InputError(f"--steps must be >= 1, not {args.steps}")
    if not args.to_mv > args.from_mv:
        raise InputError(f"--to-mv must be above --from-mv, not {args.to_mv} <= {args.from_mv}")
    current = np.linspace(args.from_mv, args.to_mv, args.points)
    from .golden.fixed import currents_to_q
    currents_to_q(params.fixed, current)
    curves = fi_curves(params, current, args.steps)
    if args.plot:
        from .plots import plot_fi
        plot_fi(args.plot, params, current, curves)
    if args.json:
        json.dump({"current_mv": current.tolist(), "steps": args.steps, "params": params.as_dict(),
                   **{f"{k}_hz": [float(x) for x in v] for k, v in curves.items()}}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"{'R*I (mV)':>9} {'analytic':>10} {'float':>10} {'fixed':>10}   (Hz)")
        for k, i in enumerate(current):
            print(f"{i:9.2f} {curves['analytic'][k]:10.2f} {curves['float'][k]:10.2f} {curves['fixed'][k]:10.2f}")
        if args.plot:
            print(f"plot written to {args.plot}")


def cmd_verilog(args):
    import re
    params = params_from_args(args)
    if args.neurons < 1:
        raise InputError(f"--neurons must be >= 1, not {args.neurons}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", args.name):
        raise InputError(f"--name must be a Verilog identifier, not {args.name!r}")
    from .hw.export import verilog_text
    try:
        text = verilog_text(params, args.neurons, name=args.name, trace=args.trace, mul_stages=args.mul_stages,
                            spike_fifo_depth=args.spike_fifo_depth, trace_fifo_depth=args.trace_fifo_depth)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    directory = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(directory):
        raise InputError(f"output directory {directory!r} does not exist")
    with open(args.output, "w") as f:
        f.write(text)
    print(f"wrote {args.output}: module {args.name}, {args.neurons} neurons, "
          f"{text.count(chr(10))} lines")


def cmd_verify(args):
    params = params_from_args(args)
    if not 0 <= args.stall <= 255:
        raise InputError(f"--stall must be in 0..255, not {args.stall}")
    current, neurons, steps = load_current(args, params)
    from .golden import fixed
    from .sim.scoreboard import compare, format_report
    ref = fixed.simulate(params, current, steps, neurons, trace=True)
    rtl = run_rtl_with_progress(params, current, neurons, steps, args.sim, args.waves,
                                spikes_stall=args.stall, trace_stall=args.stall)
    report = compare(ref, rtl, params)
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(format_report(report, params, args.sim))
    return 0 if report["match"] else 1


def cmd_demo(args):
    from .demo import run_demo
    if args.neurons < 1 or args.steps < 1:
        raise InputError(f"--neurons and --steps must be >= 1, not {args.neurons} and {args.steps}")
    run_demo(args.out, neurons=args.neurons, steps=args.steps, rtl=not args.no_rtl)


def build_parser():
    parser = _Parser(prog="lifgen", description="LIF neuron array generator, golden model and verification.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add_run_options(p):
        p.add_argument("--neurons", type=int, default=None, help="number of neurons (default 1, or the file's)")
        p.add_argument("--steps", type=int, default=None, help="time steps (default 1000, or the file's)")
        src = p.add_mutually_exclusive_group()
        src.add_argument("--current-mv", type=float, default=16.0, metavar="X",
                         help="constant input R*I in mV for every neuron (default 16)")
        src.add_argument("--current-file", metavar="F.npy", help=".npy of shape [N] or [T, N], in mV")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--sim", choices=("icarus", "verilator"), default="icarus",
                       help="simulator for the RTL (default icarus)")
        p.add_argument("--waves", metavar="OUT.vcd|OUT.fst", help="write the RTL waveform (for GTKWave)")
        add_param_options(p)

    p = sub.add_parser("simulate", help="run a model and report spikes, rates and final voltages")
    p.add_argument("--model", choices=("fixed", "float", "rtl"), default="fixed")
    p.add_argument("--plot", metavar="OUT.png", help="write membrane traces and a raster")
    add_run_options(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("verify", help="run the golden model and the RTL and compare every event")
    p.add_argument("--stall", type=int, default=0, metavar="0..255",
                   help="random backpressure on spikes and trace: not ready with probability stall/256")
    add_run_options(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("verilog", help="write the neuron array as a Verilog file")
    p.add_argument("--neurons", type=int, required=True)
    p.add_argument("--trace", action="store_true", help="add the trace stream (v after every update)")
    p.add_argument("--name", default="lif_array", help="Verilog module name (default lif_array)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.v")
    p.add_argument("--mul-stages", type=int, default=1, help="multiply registers, 0..3 (latency L = 2 + this)")
    p.add_argument("--spike-fifo-depth", type=int, default=256)
    p.add_argument("--trace-fifo-depth", type=int, default=16)
    add_param_options(p)
    p.set_defaults(func=cmd_verilog)

    p = sub.add_parser("fi-curve", help="firing rate against input: analytic, float and fixed")
    p.add_argument("--from-mv", type=float, default=0.0)
    p.add_argument("--to-mv", type=float, default=60.0)
    p.add_argument("--points", type=int, default=61)
    p.add_argument("--steps", type=int, default=10000, help="simulated steps per point (default 10000)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FI.png")
    add_param_options(p)
    p.set_defaults(func=cmd_fi_curve)

    p = sub.add_parser("demo", help="the main job: models, comparison and plots under --out")
    p.add_argument("--out", default="out")
    p.add_argument("--neurons", type=int, default=64)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--no-rtl", action="store_true", help="golden models only (no Verilog, no simulator)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except LifgenError as exc:
        sys.stderr.write(f"lifgen: error: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
