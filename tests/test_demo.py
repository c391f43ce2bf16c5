# SPDX-License-Identifier: BSD-2-Clause
"""`make demo` (lifgen demo) on a small population: every output written, the RTL and the simulated board
match, the iCEBreaker bitstream is built."""

from lifgen.cli import main


def test_demo_small(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--neurons", "12", "--steps", "400"]) == 0
    out = capsys.readouterr().out
    for name in ("trace.png", "raster.png", "fi.png", "lif_array.v"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert out.count("MATCH: bit-exact") == 2                      # the RTL, then the simulated board
    assert "golden (fixed) vs simulated board" in out and "final voltages read back: equal" in out
    assert (tmp_path / "icebreaker" / "top.bin").stat().st_size > 10000
    assert "settled voltage |fixed - float|" in out
