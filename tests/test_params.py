# SPDX-License-Identifier: BSD-2-Clause
"""Parameter validation and quantisation (lifgen.params)."""

import math

import pytest

from lifgen.errors import ParameterError
from lifgen.params import CoreTiming, LIFParams


def test_defaults_quantise_to_the_documented_constants():
    c = LIFParams().fixed
    assert (c.W, c.F, c.S) == (16, 8, 16)
    assert c.VREST == -70 * 256 and c.VRESET == -70 * 256 and c.VTH == -55 * 256
    assert c.G == math.floor((1 - math.exp(-0.01)) * 65536 + 0.5) == 652
    assert c.NREF == 0 and not c.subtract


def test_constants_match_every_vector(vector):
    assert LIFParams(**vector["params"]).fixed.as_dict() == vector["constants"]


def test_dead_band_at_defaults_is_about_0p2_mV():
    p = LIFParams()
    assert p.dead_band_lsb == pytest.approx(32768 / 652)
    assert p.fixed.to_mv(p.dead_band_lsb) == pytest.approx(0.196, abs=0.001)


def test_refractory_rounds_to_steps():
    assert LIFParams(t_ref_ms=5.0).fixed.NREF == 50
    assert LIFParams(t_ref_ms=0.26).fixed.NREF == 3
    assert LIFParams(t_ref_ms=5.0).fixed.ref_width == 6


@pytest.mark.parametrize("kwargs, words", [
    (dict(width=3), "width"),
    (dict(width=33), "width"),
    (dict(frac=16), "frac"),
    (dict(frac=-1), "frac"),
    (dict(tau_ms=0.0), "tau_ms"),
    (dict(tau_ms=-1.0), "tau_ms"),
    (dict(dt_ms=0.0), "dt_ms"),
    (dict(t_ref_ms=-1.0), "t_ref_ms"),
    (dict(v_th_mv=-70.0), "threshold"),
    (dict(v_th_mv=-70.001), "threshold"),     # equal to reset after quantisation
    (dict(v_rest_mv=-200.0), "outside"),      # Q8.8 covers [-128, 128) mV
    (dict(v_th_mv=130.0), "outside"),
    (dict(reset="zero"), "reset"),
    (dict(gain_bits=0), "gain_bits"),
    (dict(gain_bits=4, dt_ms=0.01), "G"),     # G rounds to 0
    (dict(tau_ms=float("nan")), "finite"),
])
def test_bad_parameters_raise_a_clear_error(kwargs, words):
    with pytest.raises(ParameterError, match=words):
        LIFParams(**kwargs)


def test_bram_banks_only_where_a_few_banks_do():
    """``CoreTiming.banked``: block RAM in registered banks of 1,024 rows needs a read stage and 2 to 4 banks (a
    16-bank multiplexer cost 11 K LUTs and a 15-minute ECP5 build for nothing); SPRAM and DP16KD never bank."""
    def banked(neurons, **config):
        return CoreTiming(neurons, **config).banked
    assert banked(1025, read_stages=1) and banked(4096, read_stages=2)
    assert not banked(1024, read_stages=1) and not banked(4097, read_stages=1) and not banked(3000)
    assert banked(8192, lanes=2, read_stages=1) and not banked(98304, lanes=6, read_stages=2)
    assert not banked(3000, read_stages=1, storage="dp16kd") and not banked(3000, read_stages=1, storage="spram")
