# SPDX-License-Identifier: BSD-2-Clause
"""The pinned command line: JSON output, plots, and one-line errors with exit code 2."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lifgen.cli import main
from lifgen.golden import fixed
from lifgen.params import LIFParams


def run_cli(*args, cwd=None):
    """Run ``python -m lifgen`` as a user would; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "lifgen", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def run_json(capsys, *args):
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_json_fixed_matches_golden(capsys):
    out = run_json(capsys, "simulate", "--model", "fixed", "--neurons", "3", "--steps", "500",
                   "--current-mv", "20", "--json")
    assert out["neurons"] == 3 and out["steps"] == 500
    ref = fixed.simulate(LIFParams(), np.full(3, 20.0), 500)
    assert out["spikes"] == ref.spikes.tolist()
    assert len(out["rate_hz"]) == 3 and out["rate_hz"][0] == len(ref.spikes) / 3 / 0.05
    assert out["v_final_mv"] == (ref.v_final / 256).tolist()


def test_simulate_float_and_parameter_options(capsys):
    out = run_json(capsys, "simulate", "--model", "float", "--steps", "2000", "--current-mv", "12",
                   "--tau-ms", "10", "--dt-ms", "0.1", "--v-rest-mv", "-70", "--v-reset-mv", "-70",
                   "--v-th-mv", "-55", "--t-ref-ms", "0", "--width", "16", "--frac", "8",
                   "--gain-bits", "16", "--reset", "subtract", "--json")
    assert out["spikes"] == []
    assert out["v_final_mv"][0] == pytest.approx(-58.0, abs=0.01)


def test_simulate_current_file_T_by_N(tmp_path, capsys):
    cur = np.zeros((300, 4))
    cur[150:, 2] = 40.0                       # neuron 2 switched on half way
    path = tmp_path / "cur.npy"
    np.save(path, cur)
    out = run_json(capsys, "simulate", "--current-file", str(path), "--json")
    assert out["steps"] == 300 and out["neurons"] == 4
    assert {n for _, n in out["spikes"]} == {2}
    assert min(t for t, _ in out["spikes"]) >= 150


def test_simulate_plot_and_fi_curve_plot(tmp_path, capsys):
    png = tmp_path / "run.png"
    assert main(["simulate", "--neurons", "4", "--steps", "300", "--current-mv", "30",
                 "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written" in capsys.readouterr().out
    fi_png = tmp_path / "fi.png"
    out = run_json(capsys, "fi-curve", "--from-mv", "10", "--to-mv", "40", "--points", "7",
                   "--steps", "3000", "--plot", str(fi_png), "--json")
    assert fi_png.stat().st_size > 10000
    assert out["current_mv"] == [10, 15, 20, 25, 30, 35, 40]
    assert out["analytic_hz"][:2] == [0, 0] and out["fixed_hz"][:2] == [0, 0]
    for key in ("analytic_hz", "float_hz", "fixed_hz"):
        assert all(b > a for a, b in zip(out[key][2:], out[key][3:])), key


def test_console_script_human_output():
    exe = os.path.join(os.path.dirname(sys.executable), "lifgen")
    res = subprocess.run([exe, "simulate", "--neurons", "2", "--steps", "500"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "2 neurons, 500 steps" in res.stdout


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    np.save(d / "3d.npy", np.zeros((2, 2, 2)))
    np.save(d / "strings.npy", np.array(["a", "b"]))
    np.save(d / "complex.npy", np.zeros(3, dtype=complex))
    np.save(d / "huge.npy", np.full(3, 1000.0))
    np.save(d / "tn.npy", np.zeros((10, 3)))
    (d / "notnpy.npy").write_text("hello")
    return d


BAD = [
    (["simulate", "--neurons", "0"], "neurons"),
    (["simulate", "--steps", "0"], "steps"),
    (["simulate", "--width", "3"], "width"),
    (["simulate", "--frac", "16"], "frac"),
    (["simulate", "--v-th-mv", "-75"], "threshold"),
    (["simulate", "--tau-ms", "0"], "tau_ms"),
    (["simulate", "--dt-ms", "-0.1"], "dt_ms"),
    (["simulate", "--current-mv", "500"], "outside"),
    (["simulate", "--v-rest-mv", "-300"], "outside"),
    (["simulate", "--model", "spice"], "invalid choice"),
    (["simulate", "--reset", "zero"], "invalid choice"),
    (["simulate", "--frobnicate"], "unrecognized"),
    (["simulate", "--neurons", "many"], "invalid int"),
    (["simulate", "--current-file", "{d}/missing.npy"], "does not exist"),
    (["simulate", "--current-file", "{d}/3d.npy"], "shape"),
    (["simulate", "--current-file", "{d}/strings.npy"], "dtype"),
    (["simulate", "--current-file", "{d}/complex.npy"], "dtype"),
    (["simulate", "--current-file", "{d}/notnpy.npy"], "not a readable"),
    (["simulate", "--current-file", "{d}/huge.npy"], "outside"),
    (["simulate", "--current-file", "{d}/tn.npy", "--neurons", "4"], "neurons"),
    (["simulate", "--current-file", "{d}/tn.npy", "--steps", "11"], "steps"),
    (["fi-curve", "--points", "1"], "points"),
    (["fi-curve", "--from-mv", "20", "--to-mv", "10"], "to-mv"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("args, words", BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(bad_files, args, words):
    res = run_cli(*[a.format(d=bad_files) for a in args])
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert words in lines[0] and lines[0].startswith("lifgen")


def test_long_golden_runs_report_progress_on_stderr():
    res = run_cli("simulate", "--neurons", "50000", "--steps", "1000", "--current-mv", "20", "--json")
    assert res.returncode == 0, res.stderr
    progress = [line for line in res.stderr.splitlines() if "step" in line and "%" in line]
    assert len(progress) >= 10 and progress[0].startswith("lifgen: step 50/1000")
    assert json.loads(res.stdout)["neurons"] == 50000          # stdout stays pure JSON
