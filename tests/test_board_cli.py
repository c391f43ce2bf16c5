# SPDX-License-Identifier: BSD-2-Clause
"""The pinned board commands: ``lifgen boards``, ``lifgen build`` (real YoWASP builds of the real board top for
iCEBreaker and ULX3S-85F), and the board top elaborating for every listed board."""

import json
import os
import subprocess
import sys

import pytest

from lifgen.boards.registry import BOARDS
from lifgen.boards.top import BoardTop
from lifgen.cli import main
from lifgen.params import LIFParams


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lifgen", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=1200)


def test_boards_json_lists_every_board(capsys):
    assert main(["boards", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(BOARDS)
    for r in rows:
        for key in ("name", "device", "package", "oscillator_mhz", "default_clock_mhz", "programmer",
                    "max_neurons"):
            assert key in r, key
        assert r["max_neurons"] > 0
    # computed from memory: a wider state word holds fewer neurons
    assert main(["boards", "--json", "--width", "32", "--frac", "16"]) == 0
    wide = {r["name"]: r["max_neurons"] for r in json.loads(capsys.readouterr().out)}
    assert all(wide[r["name"]] < r["max_neurons"] for r in rows)
    assert main(["boards"]) == 0
    assert "icebreaker" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(BOARDS))
def test_board_top_elaborates_for_every_board(name):
    board = BOARDS[name]
    top = BoardTop(board, LIFParams(), 64)
    plan = board.platform().build(top, do_build=False)
    files = plan.files
    assert any(f.endswith(".il") or f.endswith(".v") for f in files)
    assert top.actual_clock_hz <= board.default_clock_hz


@pytest.mark.parametrize("args, words", [
    (["build", "--board", "nosuchboard"], "nosuchboard"),
    (["build", "--board", "icestick", "--neurons", "100000"], "do not fit"),
    (["build", "--board", "icebreaker", "--clock-mhz", "1"], "PLL"),
    (["build", "--board", "icebreaker", "--baud", "7000000"], "baud"),
    (["build", "--board", "icebreaker", "--out", "/nonexistent/dir/x"], "does not exist"),
    (["run", "--board", "icebreaker", "--port", "/dev/nonexistent-tty", "--steps", "5"], "nonexistent"),
    (["run", "--board", "icebreaker", "--sim", "--neurons", "100000", "--steps", "5"], "do not fit"),
])
def test_board_commands_refuse_bad_input_with_one_line(args, words):
    res = run_cli(*args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert words in lines[0]


# the iCEBreaker keeps its neurons in the SPRAMs (its default storage); the ULX3S build has two lanes
@pytest.mark.parametrize("board, neurons, extra, sprams", [("icebreaker", 64, [], 4),
                                                           ("ulx3s-85f", 1024, ["--lanes", "2"], 0)])
def test_real_build_reports_and_dry_run_programs(tmp_path, board, neurons, extra, sprams):
    res = run_cli("build", "--board", board, "--neurons", str(neurons), "--out", str(tmp_path / "b"), "--json",
                  "--dry-run", *extra)
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout)
    for key in ("board", "device", "neurons", "fmax_mhz", "target_mhz", "luts", "ffs", "brams", "dsps",
                "bitstream"):
        assert key in report, key
    assert report["board"] == board and report["neurons"] == neurons
    assert report["fmax_mhz"] >= report["target_mhz"] > 0 and report["timing_met"]
    assert report["brams"] >= 2 and report["luts"] > 500 and report["sprams"] == sprams
    with open(report["bitstream"], "rb") as f:
        assert len(f.read()) > 10000
    command = res.stderr.strip().splitlines()[-1]          # --dry-run with --json: the command on stderr
    assert report["bitstream"] in command and ("iceprog" in command or "openFPGALoader" in command)


@pytest.mark.parametrize("jobs", [1, 2])
def test_build_with_several_seeds_keeps_the_best(tmp_path, jobs):
    """--seeds: one real build per seed, each in its own directory, one after the other or two at once (--jobs);
    the report is the fastest one's, with every seed's figures beside it."""
    res = run_cli("build", "--board", "icebreaker", "--top", "array", "--neurons", "64", "--seeds", "2,1",
                  "--out", str(tmp_path / "b"), "--json", "--jobs", str(jobs))
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout)
    seeds = report["seeds"]
    assert [s["seed"] for s in seeds] == [2, 1]
    best = max(seeds, key=lambda s: (s["fmax_mhz"], s["seed"] == 2))
    assert (report["seed"], report["fmax_mhz"]) == (best["seed"], best["fmax_mhz"])
    for s in seeds:
        assert s["build_dir"] == str(tmp_path / "b" / f"seed-{s['seed']}")
        assert os.path.getsize(os.path.join(s["build_dir"], "top.bin")) > 10000
        assert s["critical_path"]["ns"] == pytest.approx(1000 / s["fmax_mhz"], abs=0.01)
    assert report["bitstream"] == os.path.join(best["build_dir"], "top.bin")
    assert "Warning" not in res.stderr, res.stderr
    progress = [line for line in res.stderr.splitlines() if "seed" in line]
    if jobs == 1:
        assert progress == ["lifgen: build 1/2, seed 2", "lifgen: build 2/2, seed 1"]
    else:                                                   # as each build finishes, in any order
        assert sorted(line.split(": seed ")[1].split(",")[0] for line in progress) == ["1", "2"]


def test_run_on_a_port_where_no_board_answers_is_one_line_exit_2():
    import socket
    with socket.create_server(("127.0.0.1", 0)) as server:      # accepts, never answers
        port = server.getsockname()[1]
        res = run_cli("run", "--board", "icebreaker", "--port", f"socket://127.0.0.1:{port}", "--steps", "5")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert "no answer" in lines[0] and "wrong port" in lines[0]


def test_progress_bar_redraws_on_a_terminal_and_prints_lines_otherwise(monkeypatch, capsys):
    from lifgen import cli
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    bar = cli._ProgressBar()
    for done in range(0, 101, 10):
        bar(f"step {done}/100", done, 100)
    err = capsys.readouterr().err
    assert err.count("\r[") == 11 and err.endswith("\n") and "[" + "#" * 30 + "]" in err
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    bar = cli._ProgressBar()
    for done in range(0, 101):
        bar(f"step {done}/100", done, 100)
    lines = capsys.readouterr().err.splitlines()
    assert 15 <= len(lines) <= 22 and lines[-1] == "lifgen: step 100/100"


def test_build_that_misses_timing_exits_1_with_one_line(tmp_path):
    """A 64-neuron core cannot run at 60 MHz on the iCE40UP5K (it reaches about 24): exit 1, the report
    still printed, then one line saying what happened."""
    res = run_cli("build", "--board", "icebreaker", "--neurons", "64", "--clock-mhz", "60",
                  "--out", str(tmp_path / "b"))
    assert res.returncode == 1, res.stderr[-2000:]
    assert "NOT MET" in res.stdout
    limit = [line for line in res.stdout.splitlines() if line.lstrip().startswith("limit ")]
    assert len(limit) == 1 and " ns (logic " in limit[0] and " -> " in limit[0], res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "below the 60" in lines[0] and "Traceback" not in res.stderr
