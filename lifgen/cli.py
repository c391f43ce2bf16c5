# SPDX-License-Identifier: BSD-2-Clause
"""The ``lifgen`` command line: parse, build the parameter objects, call one function per command, print.

Every known error (:class:`~lifgen.errors.LifgenError`, bad options) ends as one line on stderr and the
error's exit code (2 for bad input; 1 when ``verify`` or the demo finds a mismatch). Library errors name the
parameter at fault (``field``); this module adds the option a user typed. Command names and options are
pinned by the issues; add, never rename. Nothing imports this module but the console script and the tests.
"""

import argparse
import json
import subprocess
import sys


from . import models
from .boards.registry import board_config, board_table, get_board   # no Amaranth: amaranth_boards loads only when a platform is made
from .demo import run_demo
from .errors import InputError, LifgenError
from .golden import ficurve
from .params import CoreConfig, LIFParams, RESET_MODES
from .plots import check_plot_path, plot_fi, plot_run     # matplotlib loads only when a figure is asked for
from .protocol import DEFAULT_BAUD
from .sim.runner import SIMULATORS         # cocotb itself loads only when a simulation runs
from .sim.scoreboard import format_report
from .stimulus import load_current

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

# Library error fields whose option is not simply "--" + field with "_" as "-".
# Alternatives ("a/b"): the ones the command has and, of those, the one a user set.
FIELD_OPTIONS = {"current": "--current-mv/--current-file", "clock_hz": "--clock-mhz", "url": "--port",
                 "build_dir": "--out"}


def add_param_options(parser):
    defaults = LIFParams()
    group = parser.add_argument_group("model parameters")
    for option, field, kind, text in PARAM_OPTIONS:
        group.add_argument(option, dest=field, type=kind, default=getattr(defaults, field),
                           metavar="X", help=f"{text} (default {getattr(defaults, field)})")
    group.add_argument("--reset", dest="reset", choices=RESET_MODES, default=defaults.reset,
                       help="what a spike does to v: set it to v_reset, or subtract v_th - v_reset "
                            f"(default {defaults.reset})")


def add_core_options(parser, trace_option=False):
    defaults = CoreConfig()
    group = parser.add_argument_group("core options (hardware only; results never change)")
    if trace_option:
        group.add_argument("--trace", action="store_true", help="add the trace stream (v after every update)")
    group.add_argument("--mul-stages", type=int, default=defaults.mul_stages,
                       help=f"multiply registers, 0..{CoreConfig.MUL_STAGES_MAX}; 4 to 6 also cut x's and the "
                            f"product's adders into pieces (latency L = 2 + the storage's read cycles, 1 for bram, "
                            f"4 for spram, 5 for dp16kd in a power-of-two lane count, + --read-stages + this + "
                            f"--add-stages, plus one with --storage spram when L - 2 would be even; default "
                            f"{defaults.mul_stages})")
    group.add_argument("--add-stages", type=int, default=defaults.add_stages,
                       help=f"update registers, 0..{CoreConfig.ADD_STAGES_MAX}: after v + dv, after clamp, "
                            f"threshold and reset, and between the halves of v + dv (each adds one to L; default "
                            f"{defaults.add_stages})")
    group.add_argument("--read-stages", type=int, default=defaults.read_stages,
                       help=f"registers on the storage's read data, 0..{CoreConfig.READ_STAGES_MAX} (each adds one "
                            f"to L; default {defaults.read_stages})")
    group.add_argument("--lanes", type=int, default=defaults.lanes, metavar="P",
                       help=f"parallel datapaths, 1..{CoreConfig.LANES_MAX}, each with its own memories: a step "
                            f"takes ceil(N/P) + L cycles (default {defaults.lanes})")
    group.add_argument("--storage", choices=CoreConfig.STORAGES, default=None,
                       help="where neuron state lives: inferred block RAM, or the iCE40UP5K's SPRAMs "
                            "(up to 32,768 neurons, width <= 16, one lane; default: the board's, see lifgen "
                            f"boards; {defaults.storage} without a board)")
    group.add_argument("--spike-fifo-depth", type=int, default=defaults.spike_fifo_depth,
                       help=f"entries of the spike FIFO (default {defaults.spike_fifo_depth})")
    group.add_argument("--trace-fifo-depth", type=int, default=None,
                       help=f"entries of the trace FIFO (default {CoreConfig.TRACE_FIFO_DEPTH}, or with one lane "
                            "L + 5 when that is more: enough for tracing at the full rate)")


def params_from_args(args) -> LIFParams:
    return LIFParams(**{field: getattr(args, field) for _, field, _, _ in PARAM_OPTIONS}, reset=args.reset)


def core_from_args(args) -> CoreConfig:
    """The core options; without ``--storage``, a command with ``--board`` uses that board's storage when the
    parameters allow it (``lifgen.boards.registry.board_config``)."""
    storage = args.storage
    if storage is None and getattr(args, "board", None) is not None:
        board = get_board(args.board)
        storage = board_config(board, params_from_args(args).fixed, CoreConfig(), None).storage
    return CoreConfig(trace=getattr(args, "trace", False), mul_stages=args.mul_stages,
                      spike_fifo_depth=args.spike_fifo_depth, trace_fifo_depth=args.trace_fifo_depth,
                      lanes=args.lanes, storage=storage or CoreConfig.storage, add_stages=args.add_stages,
                      read_stages=args.read_stages)


def current_from_args(args, params):
    return load_current(params.fixed, current_mv=args.current_mv, current_file=args.current_file,
                        neurons=args.neurons, steps=args.steps)


def _progress(message, done=None, total=None):
    sys.stderr.write(f"lifgen: {message}\n")
    sys.stderr.flush()


def _print_json(obj):
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")


def cmd_simulate(args):
    params = params_from_args(args)
    if args.waves and args.model not in models.SIMULATED:
        raise LifgenError(f"--waves needs a simulated model (--model {' or '.join(models.SIMULATED)})")
    current, neurons, steps = current_from_args(args, params)
    if args.plot:
        check_plot_path(args.plot)
    result = models.run(args.model, params, current, neurons, steps, trace=bool(args.plot),
                        core=core_from_args(args), sim=args.sim, waves=args.waves, progress=_progress)
    if args.plot:
        plot_run(args.plot, params, result.spikes, result.v_trace_mv, neurons, steps,
                 f"lifgen simulate --model {args.model}: {neurons} neurons, {steps} steps")
    if args.json:
        _print_json(models.simulation_json(result, params))
    else:
        print(models.summary_text(result, params))
        if args.plot:
            print(f"plot written to {args.plot}")


def cmd_verify(args):
    params = params_from_args(args)
    current, neurons, steps = current_from_args(args, params)
    if args.waves and args.model != "rtl":
        raise LifgenError("--waves needs --model rtl")
    report = models.verify(params, current, neurons, steps, model=args.model, core=core_from_args(args),
                           sim=args.sim, waves=args.waves, stall=args.stall, progress=_progress)
    if args.json:
        _print_json(report)
    else:
        print(format_report(report, params, args.sim))
    return 0 if report["match"] else 1


class _ProgressBar:
    """Step progress on stderr: a bar redrawn in place when stdout is a terminal, plain lines otherwise."""

    def __init__(self):
        self.tty = sys.stdout.isatty()
        self.last = -1

    def __call__(self, message, done=None, total=None):
        if done is None or total is None or not self.tty:
            if done is None or done == total or not self.tty and done * 20 // total != self.last:
                _progress(message)
                if done is not None:
                    self.last = done * 20 // total
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {message}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_run(args):
    if args.simulator is not None and not args.sim:
        raise LifgenError("--simulator chooses the simulator of --sim (the simulated board), not of a board on --port")
    params = params_from_args(args)
    current, neurons, steps = current_from_args(args, params)
    result = models.run_on_board(args.board, params, current, neurons, steps, port=args.port,
                                 simulator=(args.simulator or "icarus") if args.sim else None, paced=args.paced,
                                 trace=args.trace, core=core_from_args(args), baudrate=args.baud,
                                 progress=_ProgressBar())
    if args.json:
        _print_json(models.simulation_json(result, params))
    else:
        print(models.summary_text(result, params))


def cmd_verilog(args):
    params = params_from_args(args)
    # Amaranth takes about a second to import: only the commands that build hardware load it.
    from .hw.export import write_verilog
    text = write_verilog(args.output, params, args.neurons, core_from_args(args), name=args.name)
    print(f"wrote {args.output}: module {args.name}, {args.neurons} neurons, {text.count(chr(10))} lines")


def cmd_fi_curve(args):
    params = params_from_args(args)
    current = ficurve.fi_inputs(params, args.from_mv, args.to_mv, args.points)
    if args.plot:
        check_plot_path(args.plot)
    curves = ficurve.fi_curves(params, current, args.steps)
    if args.plot:
        plot_fi(args.plot, params, current, curves)
    if args.json:
        _print_json({"current_mv": current.tolist(), "steps": args.steps, "params": params.as_dict(),
                     **{f"{k}_hz": [float(x) for x in v] for k, v in curves.items()}})
    else:
        print(f"{'R*I (mV)':>9} {'analytic':>10} {'float':>10} {'fixed':>10}   (Hz)")
        for k, i in enumerate(current):
            print(f"{i:9.2f} {curves['analytic'][k]:10.2f} {curves['float'][k]:10.2f} {curves['fixed'][k]:10.2f}")
        if args.plot:
            print(f"plot written to {args.plot}")


def cmd_boards(args):
    rows = board_table(params_from_args(args).fixed, core_from_args(args).with_host_link(), args.storage)
    if args.json:
        _print_json(rows)
        return
    print(f"{'board':<18} {'device':<13} {'package':<8} {'osc MHz':>7} {'core MHz':>8} {'storage':>7} {'max N':>7} "
          f"{'RT 1ms':>7} {'RT 0.1ms':>8}  programmer")
    for r in rows:
        print(f"{r['name']:<18} {r['device']:<13} {r['package']:<8} {r['oscillator_mhz']:7g} "
              f"{r['default_clock_mhz']:8g} {r['storage']:>7} {r['max_neurons']:7d} {r['realtime_neurons_1ms']:7d} "
              f"{r['realtime_neurons_100us']:8d}  {r['programmer']}")
    print("max N: the largest neuron count the core fits in the board's memories with these parameters and options;"
          "\nRT 1ms / RT 0.1ms: the largest of those whose step, ceil(N/P) + L cycles, takes at most 1 ms / 0.1 ms "
          "at the core clock")


def _print_report(report):
    print(f"{report.board} ({report.device}): {report.neurons} neurons, built in {report.seconds:.1f} s")
    print(f"  logic  {report.luts}/{report.luts_available} LUT cells, {report.ffs} flip-flops")
    print(f"  memory {report.brams}/{report.brams_available} block RAMs, {report.sprams} SPRAMs; "
          f"{report.dsps} DSPs")
    print(f"  clock  Fmax {report.fmax_mhz:.1f} MHz for a target of {report.target_mhz:g} MHz: "
          + ("met" if report.timing_met else "NOT MET"))
    path = report.critical_path
    if path:
        print(f"  limit  {path['from']} -> {path['to']}: {path['ns']:.2f} ns (logic {path['logic_ns']:.2f}, "
              f"routing {path['routing_ns']:.2f}, the longest route {path['longest_route_ns']:.2f})")
    print(f"  bitstream {report.bitstream}")


def cmd_build(args):
    params = params_from_args(args)
    # Amaranth loads only for a build (and the YoWASP tools run only then)
    from .boards.flow import build_for_board, build_with_seeds, programming_command
    if args.seeds is not None:
        if args.seed is not None:
            raise InputError("give --seed or --seeds, not both", field="seeds")
        report, reports = build_with_seeds(args.board, params, args.neurons, core_from_args(args), seeds=args.seeds,
                                           clock_mhz=args.clock_mhz, out=args.out, baud=args.baud, top=args.top,
                                           progress=_progress, jobs=args.jobs)
        seeds = [{"seed": r.seed, "fmax_mhz": r.fmax_mhz, "timing_met": r.timing_met, "build_dir": r.build_dir,
                  "critical_path": r.critical_path} for r in reports]
    else:
        if args.jobs != 1:
            raise InputError("--jobs runs several --seeds at once: give --seeds", field="jobs")
        report = build_for_board(args.board, params, args.neurons, core_from_args(args), clock_mhz=args.clock_mhz,
                                 out=args.out, baud=args.baud, seed=1 if args.seed is None else args.seed,
                                 top=args.top)
        seeds = None
    if args.json:
        _print_json({**report.as_dict(), "utilization": report.utilization, **({"seeds": seeds} if seeds else {})})
    else:
        if seeds:
            print("seeds  " + ", ".join(f"{s['seed']}: {s['fmax_mhz']:.1f} MHz" for s in seeds)
                  + f"; the best, seed {report.seed}:")
        _print_report(report)
    report.check()                       # unmet timing: one line, exit 1
    if args.program or args.dry_run:
        cmd = programming_command(args.board, report.bitstream)
        if args.dry_run:
            print(" ".join(cmd), file=sys.stderr if args.json else sys.stdout)
        else:
            _progress(f"programming: {' '.join(cmd)}")
            if subprocess.run(cmd).returncode != 0:
                raise LifgenError(f"programming failed: {' '.join(cmd)}")


def cmd_demo(args):
    run_demo(args.out, neurons=args.neurons, steps=args.steps, rtl=not args.no_rtl,
             board=not (args.no_rtl or args.no_board), progress=_progress)


def build_parser():
    parser = _Parser(prog="lifgen", description="LIF neuron array generator, golden model and verification.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add_input_options(p, steps_required=False):
        p.add_argument("--neurons", type=int, default=None, help="number of neurons (default 1, or the file's)")
        p.add_argument("--steps", type=int, default=None, required=steps_required,
                       help="time steps" + ("" if steps_required else " (default 1000, or the file's)"))
        src = p.add_mutually_exclusive_group()
        src.add_argument("--current-mv", type=float, default=16.0, metavar="X",
                         help="constant input R*I in mV for every neuron (default 16)")
        src.add_argument("--current-file", metavar="F.npy", help=".npy of shape [N] or [T, N], in mV")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    def add_run_options(p):
        add_input_options(p)
        p.add_argument("--sim", choices=SIMULATORS, default="icarus",
                       help="simulator for the RTL and the simulated board (default icarus)")
        p.add_argument("--waves", metavar="OUT.vcd|OUT.fst", help="write the RTL waveform (for GTKWave)")
        add_param_options(p)
        add_core_options(p)

    p = sub.add_parser("simulate", help="run a model and report spikes, rates and final voltages")
    p.add_argument("--model", choices=[k for k in models.MODELS if k != "board"], default="fixed",
                   help="which model runs (a board on a serial port: lifgen run)")
    p.add_argument("--plot", metavar="OUT.png", help="write membrane traces and a raster")
    add_run_options(p)
    p.set_defaults(_parser=p, func=cmd_simulate)

    p = sub.add_parser("verify", help="run the golden model and the RTL (or the simulated board) and compare "
                                      "every event")
    p.add_argument("--model", choices=[k for k in models.VERIFIABLE if k != "board"], default="rtl",
                   help="the model under test (default rtl)")
    p.add_argument("--stall", type=int, default=0, metavar="0..255",
                   help="random backpressure on spikes and trace: not ready with probability stall/256 (rtl)")
    add_run_options(p)
    p.set_defaults(_parser=p, func=cmd_verify)

    p = sub.add_parser("run", help="run on a board (or the simulated board) through the host link")
    p.add_argument("--board", required=True, metavar="NAME", help="board name (see lifgen boards)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", metavar="PORT", help="the board's serial port (or any pyserial URL)")
    where.add_argument("--sim", action="store_true", help="run on the simulated board instead")
    p.add_argument("--simulator", choices=SIMULATORS, default=None,
                   help="simulator for --sim (default icarus)")
    p.add_argument("--paced", action="store_true", help="one step per dt of the board's timer (real time); "
                                                        "missed deadlines are counted")
    p.add_argument("--trace", action="store_true", help="also read back every voltage after every step")
    p.add_argument("--baud", type=int, default=DEFAULT_BAUD,
                   help=f"UART baud rate the bitstream was built for (default {DEFAULT_BAUD})")
    add_input_options(p, steps_required=True)
    add_param_options(p)
    add_core_options(p)
    p.set_defaults(_parser=p, func=cmd_run)

    p = sub.add_parser("verilog", help="write the neuron array as a Verilog file")
    p.add_argument("--neurons", type=int, required=True)
    p.add_argument("--name", default="lif_array", help="Verilog module name (default lif_array)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.v")
    add_core_options(p, trace_option=True)
    add_param_options(p)
    p.set_defaults(_parser=p, func=cmd_verilog)

    p = sub.add_parser("fi-curve", help="firing rate against input: analytic, float and fixed")
    p.add_argument("--from-mv", type=float, default=0.0)
    p.add_argument("--to-mv", type=float, default=60.0)
    p.add_argument("--points", type=int, default=61)
    p.add_argument("--steps", type=int, default=10000, help="simulated steps per point (default 10000)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FI.png")
    add_param_options(p)
    p.set_defaults(_parser=p, func=cmd_fi_curve)

    p = sub.add_parser("boards", help="list the boards lifgen builds for")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    add_param_options(p)
    add_core_options(p)
    p.set_defaults(_parser=p, func=cmd_boards)

    p = sub.add_parser("build", help="build a bitstream for a board (Yosys and nextpnr from YoWASP)")
    p.add_argument("--board", required=True, metavar="NAME", help="board name (see lifgen boards)")
    p.add_argument("--neurons", type=int, default=256, help="number of neurons (default 256)")
    p.add_argument("--clock-mhz", type=float, default=None, metavar="F",
                   help="core clock in MHz (default: the board's; the PLL gives the nearest frequency not above)")
    p.add_argument("--baud", type=int, default=DEFAULT_BAUD, help=f"UART baud rate (default {DEFAULT_BAUD})")
    p.add_argument("--seed", type=int, default=None, help="nextpnr placement seed (default 1)")
    p.add_argument("--seeds", metavar="LIST", default=None,
                   help="build with each of several placement seeds, e.g. 1-8 or 1,3,5 (in DIR/seed-K), print "
                        "every seed's Fmax and keep the best build")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="with --seeds: run J builds at once (default 1; each takes one core)")
    p.add_argument("--out", metavar="DIR", default=None, help="build directory (default build/<board>)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--program", action="store_true", help="flash the bitstream after a good build")
    p.add_argument("--dry-run", action="store_true", help="print the programming command instead of running it")
    p.add_argument("--top", choices=("board", "array"), default="board",
                   help="board: the host link and the array (default); array: the array alone, fed on chip, "
                        "to measure its size and clock (not for a host to talk to)")
    add_param_options(p)
    add_core_options(p)
    p.set_defaults(_parser=p, func=cmd_build)

    p = sub.add_parser("demo", help="the main job: models, comparison and plots under --out")
    p.add_argument("--out", default="out")
    p.add_argument("--neurons", type=int, default=64)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--no-rtl", action="store_true", help="golden models only (no Verilog, no simulator, no board)")
    p.add_argument("--no-board", action="store_true", help="skip the simulated board and the bitstream")
    p.set_defaults(_parser=p, func=cmd_demo)
    return parser


def _option_for(parser, args, field):
    """The option a user typed for a library error's ``field``, if the command has one; of alternatives
    (``--current-mv/--current-file``) the ones the command has, narrowed to the one set when one was."""
    if field is None:
        return None
    sub = getattr(args, "_parser", None)
    actions = sub._option_string_actions if sub is not None else {}
    options = [o for o in FIELD_OPTIONS.get(field, "--" + field.replace("_", "-")).split("/") if o in actions]
    given = [o for o in options if getattr(args, actions[o].dest) != actions[o].default]
    return "/".join(given if len(given) == 1 else options) or None


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except LifgenError as exc:
        option = _option_for(parser, args, exc.field)
        sys.stderr.write(f"lifgen: error: {exc}{f' ({option})' if option else ''}\n")
        return exc.exit_code
    except MemoryError as exc:          # a count too large for this machine (numpy says how much it wanted)
        sys.stderr.write(f"lifgen: error: not enough memory ({exc or 'MemoryError'}); ask for fewer neurons, "
                         "steps or points\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
