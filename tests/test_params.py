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


def test_the_default_trace_fifo_keeps_a_traced_step_at_the_full_rate():
    """trace_fifo_depth None: 16 entries, or with one lane L + 5 when that is more, which covers the credits a step
    at the full rate keeps out (CoreTiming.full_rate_credits, what lifgen.sim.formal.TIMING_CASES proves enough) for
    every N; an explicit depth is kept, and the hardware and as_dict see the depth used."""
    from dataclasses import replace

    from lifgen.params import CoreConfig
    assert CoreConfig().trace_depth == CoreConfig.TRACE_FIFO_DEPTH == 16
    deep = [dict(storage="spram", read_stages=2, mul_stages=6, add_stages=3),
            dict(storage="dp16kd", read_stages=2, mul_stages=3, add_stages=2),
            dict(storage="bram", read_stages=2, mul_stages=6, add_stages=3), dict(mul_stages=0)]
    for options in deep:
        config = CoreConfig(**options)
        latency = config.timing(1).latency
        assert config.trace_depth == max(16, latency + 5)
        for neurons in (1, 3, latency, 1000, 1025, 4096, 32768):
            timing = config.timing(neurons)
            assert timing.latency == latency                       # one lane: L does not depend on N
            assert config.trace_depth - 1 >= timing.full_rate_credits
        assert config.as_dict()["trace_fifo_depth"] == config.trace_depth
    assert CoreConfig(storage="spram", read_stages=2, mul_stages=6, add_stages=3).trace_depth == 22
    assert CoreConfig(mul_stages=6, trace_fifo_depth=5).trace_depth == 5                   # asked for: kept
    assert CoreConfig(lanes=6, storage="dp16kd", mul_stages=6, add_stages=3).trace_depth == 16   # lanes: 16
    # the depth follows the options it depends on, also through dataclasses.replace
    bram = CoreConfig(read_stages=2, mul_stages=6, add_stages=3)
    assert (bram.trace_depth, replace(bram, storage="spram").trace_depth) == (19, 22)
