# SPDX-License-Identifier: BSD-2-Clause
"""The import rules of DEVELOPERS.md, each checked in a fresh interpreter (an import cached by another test
cannot hide a violation)."""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
PACKAGE_DIRS = ["lifgen", "golden", "hw", "sim", "boards"]


def loaded_after(code):
    """The set of top-level and lifgen module names loaded after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(res.stdout.split())


def assert_none_loaded(modules, forbidden):
    bad = sorted(m for m in modules for f in forbidden if m == f or m.startswith(f + "."))
    assert not bad, f"loaded: {bad}"


def test_golden_loads_no_amaranth_and_no_rtl():
    mods = loaded_after("import lifgen.golden.fixed, lifgen.golden.floating, lifgen.golden.analytic, "
                        "lifgen.golden.timing, lifgen.golden.ficurve, lifgen.golden.stats")
    assert "lifgen.golden.fixed" in mods
    # numba (the fast engine, lifgen.golden.kernel) loads on the first run that uses it, not on import
    assert_none_loaded(mods, ["amaranth", "cocotb", "cocotb_tools", "lifgen.hw", "lifgen.sim", "numba", "llvmlite"])


def test_hw_loads_no_golden_model():
    mods = loaded_after("import lifgen.hw.core, lifgen.hw.export, lifgen.hw.layouts, lifgen.hw.verilog")
    assert "amaranth" in mods and "lifgen.hw.core" in mods
    assert_none_loaded(mods, ["lifgen.golden", "lifgen.sim", "cocotb"])


def test_cli_help_loads_neither_amaranth_nor_cocotb():
    mods = loaded_after("import lifgen.cli\ntry:\n    lifgen.cli.main(['--help'])\nexcept SystemExit:\n    pass")
    assert "lifgen.cli" in mods
    assert_none_loaded(mods, ["amaranth", "cocotb", "cocotb_tools", "matplotlib", "numba", "llvmlite"])


def test_host_driver_and_protocol_load_no_amaranth():
    mods = loaded_after("import lifgen.host, lifgen.protocol")
    assert "serial" in mods and "lifgen.host" in mods
    assert_none_loaded(mods, ["amaranth", "amaranth_boards", "cocotb", "cocotb_tools", "lifgen.hw", "lifgen.sim",
                              "lifgen.boards", "lifgen.golden"])


def test_board_list_loads_no_amaranth():
    mods = loaded_after("from lifgen.boards.registry import board_table\nfrom lifgen.params import LIFParams\n"
                        "board_table(LIFParams().fixed)")
    assert_none_loaded(mods, ["amaranth", "amaranth_boards", "cocotb"])


def test_golden_simulate_through_the_model_runner_loads_no_hardware():
    mods = loaded_after("from lifgen import models\nfrom lifgen.params import LIFParams\n"
                        "models.run('fixed', LIFParams(), 20.0, 3, 10)")
    # a run this short stays on the numpy engine: numba's start-up would cost more than the run
    assert_none_loaded(mods, ["amaranth", "cocotb", "cocotb_tools", "lifgen.hw", "numba"])


def test_a_long_golden_run_loads_numba_when_installed():
    pytest.importorskip("numba")
    mods = loaded_after("from lifgen.golden import fixed\nfrom lifgen.params import LIFParams\n"
                        "res = fixed.simulate(LIFParams(), 20.0, 30_000, 1)\nassert res.spike_counts()[0] > 0")
    assert "numba" in mods and "lifgen.golden.kernel" in mods


def imports_of(path):
    """Every module a source file imports (absolute names; relative ones resolved against its package)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add(f"<relative {node.level}>{node.module or ''}")
            else:
                names.add(node.module)
    return names


@pytest.mark.parametrize("module, allowed", [
    ("protocol", {"struct", "dataclasses", "enum", "<relative 1>params"}),
    ("host", {"collections", "struct", "time", "dataclasses", "numpy", "serial", "<relative 1>errors",
              "<relative 1>params", "<relative 1>protocol"}),
])
def test_protocol_and_host_import_only_the_ground_floor(module, allowed):
    assert imports_of(ROOT / "lifgen" / f"{module}.py") <= allowed


@pytest.mark.parametrize("folder", PACKAGE_DIRS)
def test_nothing_imports_the_cli(folder):
    for path in (ROOT / folder).glob("*.py"):
        if path.name in ("cli.py", "__main__.py") and folder == "lifgen":
            continue
        names = imports_of(path)
        assert not any(n.endswith("cli") for n in names if n), f"{path} imports the CLI"


@pytest.mark.parametrize("folder, forbidden", [
    ("golden", ["lifgen.hw", "lifgen.sim", "lifgen.boards", "amaranth", "lifgen.models", "lifgen.cli"]),
    ("hw", ["lifgen.golden", "lifgen.sim", "lifgen.boards", "lifgen.models", "lifgen.cli"]),
    ("sim", ["lifgen.models", "lifgen.cli", "lifgen.demo"]),
    ("boards", ["lifgen.golden", "lifgen.sim", "lifgen.models", "lifgen.cli", "lifgen.host"]),
])
def test_part_imports_only_what_it_may(folder, forbidden):
    for path in (ROOT / folder).glob("*.py"):
        for name in imports_of(path):
            assert not any(name == f or name.startswith(f + ".") for f in forbidden), f"{path} imports {name}"


def test_no_import_cycle_between_cli_demo_and_models():
    mods = loaded_after("import lifgen.demo, lifgen.models")
    assert "lifgen.cli" not in mods
