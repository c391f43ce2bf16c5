# SPDX-License-Identifier: BSD-2-Clause
"""The set-up step behind `make demo`/`make test`: Icarus Verilog is installed or clearly asked for."""

import pathlib
import subprocess

SCRIPT = pathlib.Path(__file__).parent.parent / "scripts" / "ensure-iverilog.sh"


def fake_bin(tmp_path, uid, with_apt=False):
    """A PATH with a fake `id` (and optionally a fake `apt-get` that 'installs' iverilog), no iverilog."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    if with_apt:
        (bin_dir / "apt-get").write_text(
            f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n'
            f'case "$*" in *install*) printf "#!/bin/sh\\n" > {bin_dir}/iverilog; /bin/chmod +x {bin_dir}/iverilog;; esac\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return bin_dir


def run_script(bin_dir):
    return subprocess.run(["/bin/sh", str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True, text=True)


def test_missing_iverilog_without_root_stops_with_one_line(tmp_path):
    res = run_script(fake_bin(tmp_path, 1000))
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0
    assert "apt-get install iverilog" in res.stderr


def test_missing_iverilog_as_root_installs_it(tmp_path):
    bin_dir = fake_bin(tmp_path, 0, with_apt=True)
    res = run_script(bin_dir)
    assert res.returncode == 0, res.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls[0].startswith("update") and "install -y -qq iverilog" in calls[1]
    assert (bin_dir / "iverilog").exists()


def test_present_iverilog_is_left_alone(tmp_path):
    bin_dir = fake_bin(tmp_path, 1000)
    (bin_dir / "iverilog").write_text("#!/bin/sh\n")
    (bin_dir / "iverilog").chmod(0o755)
    assert run_script(bin_dir).returncode == 0
