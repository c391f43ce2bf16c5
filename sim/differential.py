# SPDX-License-Identifier: BSD-2-Clause
"""Constrained-random differential testing: random cases run through the golden model and the RTL, compared
event by event.

A :class:`Case` is everything one comparison needs, as plain data (JSON-ready, so a failure can be replayed
with ``scripts/soak.py --case FILE``): LIF parameters, N, core options (lanes, storage, pipeline depth, FIFO
depths, trace), the number of steps, a seeded input schedule, backpressure on both output streams, gaps between
input writes, and the simulator. :func:`case_strategy` draws cases with hypothesis (so failures shrink);
:func:`run_case` runs one and returns the scoreboard's report, plus the cycle check of every spike event against
``lifgen.golden.timing`` when no stream is throttled.

Used by ``tests/test_differential.py`` (a fixed-seed handful in ``make test``) and ``scripts/soak.py``
(``make soak CASES=K SEED=S``).
"""

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from lifgen.errors import ParameterError
from lifgen.golden import fixed, timing
from lifgen.params import CoreConfig, LIFParams, check_storage

from .harness import RTLConfig, run_rtl
from .scoreboard import compare

__all__ = ["Case", "case_strategy", "run_case", "make_input"]

INPUT_KINDS = ("constant", "random", "rails", "zero", "rewritten")


@dataclass(frozen=True)
class Case:
    params: dict
    neurons: int
    core: dict
    steps: int
    input_kind: str
    input_seed: int
    spikes_stall: int = 0
    trace_stall: int = 0
    cur_gap: float = 0.0
    sim: str = "icarus"
    extra: dict = field(default_factory=dict)

    @property
    def lif(self) -> LIFParams:
        return LIFParams(**self.params)

    @property
    def config(self) -> CoreConfig:
        return CoreConfig(**self.core)

    def to_json(self):
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


def make_input(case: Case):
    """The case's integer input schedule [steps, N] (or [N]), from its kind and seed: constant levels, random
    levels every step, both rails, all zero, or levels rewritten every few steps."""
    c, n, t = case.lif.fixed, case.neurons, case.steps
    rng = np.random.default_rng(case.input_seed)
    lo, hi = c.vmin, c.vmax
    span = max(1, c.VTH - c.VREST)
    if case.input_kind == "constant":
        return rng.integers(max(lo, -span), min(hi, 4 * span) + 1, size=n)
    if case.input_kind == "random":
        return rng.integers(lo, hi + 1, size=(t, n))
    if case.input_kind == "rails":
        return np.where(rng.random((t, n)) < 0.5, lo, hi).astype(np.int64)
    if case.input_kind == "zero":
        return np.zeros(n, dtype=np.int64)
    u = np.empty((t, n), dtype=np.int64)                # rewritten
    level = rng.integers(max(lo, -span), min(hi, 4 * span) + 1, size=n)
    every = int(rng.integers(1, 6))
    for k in range(t):
        if k % every == 0:
            change = rng.random(n) < 0.5
            level = np.where(change, rng.integers(lo, hi + 1, size=n), level)
        u[k] = level
    return u


def valid_case(case: Case) -> bool:
    """Whether the drawn parameters are legal together (quantisation, storage encoding)."""
    try:
        lif, config = case.lif, case.config
        check_storage(lif.fixed, case.neurons, config)
    except ParameterError:
        return False
    return True


def case_strategy(sims=("icarus",), max_neurons=40, max_steps=40):
    """A hypothesis strategy of :class:`Case` (filtered to legal ones). Imports hypothesis when called."""
    from hypothesis import strategies as st

    @st.composite
    def cases(draw):
        width = draw(st.integers(8, 20))
        frac = draw(st.integers(2, width - 4))
        top = 2.0 ** (width - 1 - frac)                 # the Q range is [-top, top) mV
        scale = min(1.0, top / 100.0)
        v_rest = draw(st.floats(-75.0, -60.0)) * scale
        v_reset = v_rest + draw(st.floats(-5.0, 5.0)) * scale
        v_th = v_rest + draw(st.floats(2.0, 30.0)) * scale
        dt = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0]))
        params = dict(tau_ms=draw(st.floats(1.0, 30.0)), dt_ms=dt, v_rest_mv=v_rest, v_reset_mv=v_reset,
                      v_th_mv=v_th, t_ref_ms=dt * draw(st.integers(0, 4)), width=width, frac=frac,
                      gain_bits=draw(st.integers(8, 20)), reset=draw(st.sampled_from(["value", "subtract"])))
        storage = draw(st.sampled_from(["bram", "bram", "spram", "dp16kd"]))
        core = dict(lanes=1 if storage == "spram" else draw(st.sampled_from([1, 2, 3, 4, 6, 8])),
                    storage=storage, read_stages=draw(st.integers(0, 2)), mul_stages=draw(st.integers(0, 3)),
                    add_stages=draw(st.integers(0, 2)), trace=draw(st.booleans()),
                    spike_fifo_depth=draw(st.sampled_from([2, 3, 16, 256])),
                    trace_fifo_depth=draw(st.sampled_from([2, 5, 16, None])))
        throttled = draw(st.booleans())
        case = Case(params=params, neurons=draw(st.integers(1, max_neurons)), core=core,
                    steps=draw(st.integers(1, max_steps)), input_kind=draw(st.sampled_from(INPUT_KINDS)),
                    input_seed=draw(st.integers(0, 2 ** 31)),
                    spikes_stall=draw(st.integers(0, 220)) if throttled else 0,
                    trace_stall=draw(st.integers(0, 220)) if throttled else 0,
                    cur_gap=draw(st.sampled_from([0.0, 0.3, 0.8])) if throttled else 0.0,
                    sim=draw(st.sampled_from(list(sims))))
        try:
            LIFParams(**params)
        except ParameterError:
            return None
        return case if valid_case(case) else None

    return cases().filter(lambda c: c is not None)


def run_case(case: Case):
    """Run ``case`` through the golden model and the RTL; the scoreboard's report with ``cycles_checked`` (the
    number of spike events whose cycle was compared with the timing model: all of them when nothing throttles the
    array, else 0) and ``cycle_mismatches``."""
    lif, config = case.lif, case.config
    u = make_input(case)
    ref = fixed.run(lif.fixed, u, case.steps, case.neurons, trace=config.trace)
    rtl = run_rtl(RTLConfig(lif, case.neurons, config, sim=case.sim), u, case.steps,
                  spikes_stall=case.spikes_stall, trace_stall=case.trace_stall, cur_gap=case.cur_gap,
                  seed=case.input_seed % 1000 + 1)
    report = compare(ref, rtl)
    report["cycles_checked"], report["cycle_mismatches"] = 0, 0
    # the timing model applies while no stream holds the array back: spikes always taken, and the trace (one event a
    # cycle) either off or keeping up (one lane, always taken, and a FIFO deep enough for a credit's round trip:
    # depth - 1 >= CoreTiming.full_rate_credits, the condition lifgen.sim.formal.TIMING_CASES proves)
    tm = config.timing(case.neurons)
    trace_keeps_up = not config.trace or (config.lanes == 1 and case.trace_stall == 0
                                          and config.trace_depth - 1 >= tm.full_rate_credits)
    unthrottled = (case.spikes_stall == 0 and trace_keeps_up and report["match"] and config.spike_fifo_depth >= 16)
    if unthrottled and len(rtl.accept_cycles) == case.steps:
        predicted = timing.event_cycles_after(tm, ref.spikes, rtl.accept_cycles)
        if len(predicted) == len(rtl.spike_cycles) and _unthrottled_in_model(tm, ref.spikes, predicted, config,
                                                                              rtl.accept_cycles):
            report["cycles_checked"] = int(len(predicted))
            report["cycle_mismatches"] = int(np.sum(predicted != rtl.spike_cycles))
            report["match"] = report["match"] and report["cycle_mismatches"] == 0
    return report


def _unthrottled_in_model(tm, spikes, predicted, config, accepts):
    """Whether the FIFO stays far enough from full that the credits never hold the issue stage back (the timing
    model's premise): at most depth - 1 - L groups waiting at any push."""
    if not len(spikes):
        return True
    commits = np.asarray(accepts)[spikes[:, 0]] + tm.latency + spikes[:, 1] // tm.lanes
    groups = spikes[:, 0] * tm.groups + spikes[:, 1] // tm.lanes
    first_of_group = np.r_[True, groups[1:] != groups[:-1]]
    push = commits[first_of_group]
    leave = predicted[np.r_[first_of_group[1:], True]]      # last event of each group
    waiting = np.searchsorted(push, push, side="right") - np.searchsorted(leave, push, side="right")
    return int(waiting.max()) <= config.spike_fifo_depth - 1 - tm.latency - 2
