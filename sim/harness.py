# SPDX-License-Identifier: BSD-2-Clause
"""The neuron array in Icarus Verilog or Verilator (cocotb), with its events read back as numpy arrays.

``run_rtl`` is the one entry point (used by the tests, the model runner ``lifgen.models`` and the benchmarks):
it writes the Verilog exactly as ``lifgen verilog`` would plus the test wrapper (``lifgen.sim.wrapper``),
builds both once per configuration through the generic runner (``lifgen.sim.runner``), runs the stimulus
through the cocotb test ``lifgen.sim.driver`` and parses the wrapper's event log.
"""

import json
import os
import pathlib
from dataclasses import dataclass, field

import numpy as np

from lifgen.errors import InputError, ToolError
from lifgen.hw import export
from lifgen.hw.layouts import cur_layout, decode_array, encode, spike_layout, trace_layout
from lifgen.params import STEP_BITS, CoreConfig, CoreTiming, LIFParams, check_neurons
from lifgen.stimulus import constant_runs, input_schedule

from . import runner
from .primitives import models_for
from .wrapper import wrapper_verilog

__all__ = ["RTLConfig", "RTLResult", "run_rtl", "schedule_from_input", "parse_log"]


@dataclass(frozen=True)
class RTLConfig:
    """What determines one build: the parameters, the array's size and options, the simulator."""
    params: LIFParams
    neurons: int
    core: CoreConfig = field(default_factory=CoreConfig)
    sim: str = "icarus"
    name: str = "lif_array"

    def __post_init__(self):
        check_neurons(self.neurons)
        runner.check_simulator(self.sim)

    @property
    def timing(self) -> CoreTiming:
        return self.core.timing(self.neurons)

    def key(self):
        return {"params": self.params.as_dict(), "neurons": self.neurons, "core": self.core.as_dict(),
                "name": self.name}


@dataclass
class RTLResult:
    """Events read back from the simulation. Cycles count from the first cycle after reset release.

    ``spikes`` [K, 2] (step, neuron) in arrival order; ``spike_cycles`` [K]; ``accept_cycles`` [steps];
    ``v_trace`` [steps, N] (Q-format integers) or None; ``trace_order`` [steps*N, 2] (step, neuron) of
    the trace events in arrival order, or None; ``cycles`` (the cycle at the end of the run);
    ``busy_cycles``; ``wall_s`` (simulation wall time, build excluded); ``build_dir``: the run's directory
    (inside the build directory), with ``stimulus.json``, ``events.log`` and ``sim.log``.
    """
    spikes: np.ndarray
    spike_cycles: np.ndarray
    accept_cycles: np.ndarray
    v_trace: np.ndarray | None
    trace_order: np.ndarray | None
    cycles: int
    busy_cycles: int
    wall_s: float
    build_dir: pathlib.Path


def schedule_from_input(u, steps):
    """Turn integer input ([N] constant or [T, N]) into driver segments ``{"writes": [[n, u], ...], "steps": k}``,
    one per run of constant input (``lifgen.stimulus.constant_runs``), writing only what changed. Every neuron
    starts with u = 0 after reset, so zeros are never written first."""
    u = np.asarray(u, dtype=np.int64)
    segments, prev = [], np.zeros(u.shape[-1], dtype=np.int64)
    for row, k in constant_runs(u, u.ndim == 2, steps):
        segments.append({"writes": [[int(n), int(row[n])] for n in np.flatnonzero(row != prev)], "steps": int(k)})
        prev = row
    return segments


def run_rtl(cfg: RTLConfig, u, steps, *, spikes_stall=0, trace_stall=0, cur_gap=0.0, seed=1,
            prestep=0, waves=None) -> RTLResult:
    """Simulate ``steps`` steps with integer input ``u`` ([N] constant, or [T, N]).

    ``prestep``: steps with u = 0 requested before reset is released (they count in the results:
    the input schedule ``u`` then starts at step ``prestep``).

    ``spikes_stall``/``trace_stall`` (0..255): the consumer is not ready with probability stall/256
    in each cycle. ``cur_gap`` (0..1): probability of an idle cycle before each input write.
    ``waves``: a path ending in .vcd or .fst to write the waveform to. Without it, the environment
    variable ``LIFGEN_WAVES`` (a directory) makes every run write a numbered .vcd there.
    """
    if steps < 1 or prestep < 0:
        raise InputError(f"steps must be >= 1 and prestep >= 0, not {steps} and {prestep}", field="steps")
    for name, stall in (("spikes_stall", spikes_stall), ("trace_stall", trace_stall)):
        if not 0 <= stall <= 255:
            raise InputError(f"{name} must be in 0..255, not {stall}", field="stall")
    c, n = cfg.params.fixed, cfg.neurons
    u, _ = input_schedule(c, u, steps, n)
    if waves is None and os.environ.get("LIFGEN_WAVES"):
        # waves for every run, e.g. of one test: LIFGEN_WAVES=out/waves make test PYTEST_ARGS=...
        directory = pathlib.Path(os.environ["LIFGEN_WAVES"]).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        waves = directory / f"{cfg.sim}-{cfg.name}-N{n}-{len(list(directory.glob('*.vcd')))}.vcd"
    waves = runner.check_waves(waves, cfg.sim)

    trace_bits = trace_layout(n, c.W).size if cfg.core.trace else None
    design = export.verilog_text(cfg.params, n, cfg.core, name=cfg.name)
    sources = {f"{cfg.name}.v": design, **models_for(design),
               # the wrapper opens its log relative to the simulator's working directory, the build directory
               "lif_tb.v": wrapper_verilog(cfg.name, cur_layout(n, c.W).size, spike_layout(n).size, trace_bits,
                                           "events.log")}
    build = runner.prepare(cfg.sim, f"{cfg.name}-N{n}", sources, "lif_tb", key=cfg.key(), waves=waves,
                            public=("lif_tb", cfg.name))

    layout = cur_layout(n, c.W)
    segments = schedule_from_input(u, steps)
    for seg in segments:
        seg["writes"] = [encode(layout, neuron=k, u=x) for k, x in seg["writes"]]
    steps += prestep
    writes = sum(len(s["writes"]) for s in segments)
    stall = max(spikes_stall, trace_stall if cfg.core.trace else 0)
    slow = 256 / max(1, 256 - stall)
    timeout = int((steps * (n + 8) * slow * (1 + cfg.core.trace) + writes * 2 / max(0.05, 1 - cur_gap))
                  * 4 + 10 * n + 10000)
    stim = {"seed": int(seed), "cur_gap": float(cur_gap),
            "spikes_stall": int(spikes_stall), "trace_stall": int(trace_stall), "timeout_cycles": timeout,
            "prestep": int(prestep), "segments": segments,
            "check_x_cycles": min(n, 64) + 16}
    run_dir = build.new_run()
    stim_path = run_dir / "stimulus.json"
    stim_path.write_text(json.dumps(stim))
    log = run_dir / "events.log"
    wall = build.run("lifgen.sim.driver", run_dir, env={"LIFGEN_STIMULUS": str(stim_path)})
    if not log.exists():
        raise ToolError(f"the simulation wrote no event log ({log})")
    return parse_log(cfg, log.read_text(), steps, wall, run_dir, source=str(log))


def _log_error(source, number, line, why):
    return ToolError(f"{source}, line {number}: {why}: {line[:80]!r}")


def parse_log(cfg: RTLConfig, text, steps, wall=0.0, build_dir=None, source="event log") -> RTLResult:
    """Read the wrapper's event log (format in ``lifgen.sim.wrapper``). Malformed lines, unknown kinds,
    neuron indices >= N and a missing end line are errors (``ToolError``), never folded into range."""
    n, c = cfg.neurons, cfg.params.fixed
    arity = {"A": 1, "S": 2, "T": 2, "E": 2}
    accepts, spike_words, spike_cycles, trace_words = [], [], [], []
    end = None
    for number, line in enumerate(text.splitlines(), 1):
        kind, *fields = line.split()
        if kind not in arity or len(fields) != arity[kind] or not all(f.isdigit() for f in fields):
            raise _log_error(source, number, line, "malformed line")
        if end is not None:
            raise _log_error(source, number, line, "line after the end of the run")
        values = [int(f) for f in fields]
        if kind == "A":
            accepts.append(values[0])
        elif kind == "S":
            spike_cycles.append(values[0])
            spike_words.append(values[1])
        elif kind == "T":
            trace_words.append(values[1])
        else:
            end = values
    if end is None:
        raise ToolError(f"{source}: the simulation did not finish its event log")
    spk = decode_array(spike_layout(n), spike_words)
    trc = decode_array(trace_layout(n, c.W), trace_words)
    for what, neurons in (("spike", spk["neuron"]), ("trace", trc["neuron"])):
        if neurons.size and neurons.max() >= n:
            raise ToolError(f"{source}: a {what} event names neuron {int(neurons.max())} of a {n}-neuron array")
    spikes = np.stack([spk["step"], spk["neuron"]], axis=1).reshape(-1, 2)
    # the step field wraps modulo 2**STEP_BITS: unwrap it (events arrive in step order)
    if len(spikes):
        wraps = np.concatenate([[0], np.cumsum(np.diff(spikes[:, 0]) < 0)])
        spikes[:, 0] += wraps << STEP_BITS
    v_trace = order = None
    if cfg.core.trace:
        if len(trace_words) != steps * n:
            raise ToolError(f"{source}: expected {steps * n} trace events, got {len(trace_words)}")
        step_of = np.arange(len(trace_words)) // n
        order = np.stack([step_of, trc["neuron"]], axis=1)
        v_trace = np.full((steps, n), np.iinfo(np.int64).min, dtype=np.int64)
        v_trace[step_of, trc["neuron"]] = trc["v"]
    return RTLResult(spikes=spikes, spike_cycles=np.array(spike_cycles, dtype=np.int64),
                     accept_cycles=np.array(accepts, dtype=np.int64), v_trace=v_trace, trace_order=order,
                     cycles=end[0], busy_cycles=end[1], wall_s=wall, build_dir=build_dir)
