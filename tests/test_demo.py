# SPDX-License-Identifier: BSD-2-Clause
"""`make demo` (lifgen demo) on a small population: every output written, the RTL matches."""

from lifgen.cli import main


def test_demo_small(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--neurons", "12", "--steps", "400"]) == 0
    out = capsys.readouterr().out
    for name in ("trace.png", "raster.png", "fi.png", "lif_array.v"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "MATCH: bit-exact" in out
    assert "settled voltage |fixed - float|" in out
