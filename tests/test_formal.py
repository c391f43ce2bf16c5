# SPDX-License-Identifier: BSD-2-Clause
"""The SymbiYosys proofs (``make formal``) also run here, with mutants that show the properties can fail.

- ``FORMAL_CASES``: the core, by k-induction with every input free (steps, input writes, backpressure on every
  stream, reset): no event lost, every group committed once per accepted step in order, step counting; every
  cover statement is reached (a spike, a waiting issue stage, a completed step), so the properties are not vacuous.
- ``RULE_CASES``: the update rule's logic equal to the README's rule in exact integers, at full widths.
- ``TIMING_CASES``: ``busy`` falls exactly ``step_cycles`` after an accept when every stream is ready.
- ``PARSER_CASES``: the host link changes neuron state only for a frame whose CRC matched.
- ``WATCH_CASES``: a bounded check (two steps from reset, every input free) that one neuron, any of them, reads
  back what was committed for it and that exactly its events leave the streams, with their step and v; at W = 4
  also that each of its commits is the update rule applied to its state and input.
"""

import pathlib

import pytest
from amaranth.hdl import Cat, Const, Mux, Signal

from lifgen.hw import core, rule
from lifgen.hw.fifo import EventFIFO
from lifgen.params import CoreConfig, LIFParams
from lifgen.sim import formal
from lifgen.boards import link
from lifgen.sim.formal import (FORMAL_CASES, PARSER_CASES, RULE_CASES, TIMING_CASES, WATCH_CASES, check_watched_neuron,
                               prove, prove_parser, prove_rule, prove_step_timing)


def _passed(result, check="prove"):
    assert result[check] == "PASS", result["log"]
    assert result["cover"] == "PASS", result["log"]


@pytest.mark.parametrize("name, params, neurons, core_kw", FORMAL_CASES, ids=[c[0] for c in FORMAL_CASES])
def test_core_properties_are_proved(tmp_path, name, params, neurons, core_kw):
    _passed(prove(name, LIFParams(**params), neurons, CoreConfig(**core_kw), tmp_path))


# (mul_stages, add_stages): adders whole, and every way the core cuts them into pieces (lifgen.hw.rule.pieces_for:
# x and v - VTH; with them the product's last adder in 2 and 3; v + dv and its threshold, with the product's carry
# and without); every case but W = 32, whose product is a multiplication: the solver did not finish that one with
# pieces in 15 minutes
PIPELINES = [(3, 2), (4, 2), (4, 3), (5, 3), (6, 3)]
RULE_PIECES = [(name, params, stages) for name, params in RULE_CASES
               for stages in (PIPELINES[:1] if name == "rule-w32" else PIPELINES)]


@pytest.mark.parametrize("name, params, stages", RULE_PIECES,
                         ids=[f"{c[0]}-mul{c[2][0]}-add{c[2][1]}" for c in RULE_PIECES])
def test_update_rule_is_proved(tmp_path, name, params, stages):
    _passed(prove_rule(name, LIFParams(**params), tmp_path, pieces=rule.pieces_for(*stages)))


@pytest.mark.parametrize("name, params, neurons, core_kw", TIMING_CASES, ids=[c[0] for c in TIMING_CASES])
def test_step_timing_is_proved(tmp_path, name, params, neurons, core_kw):
    _passed(prove_step_timing(name, LIFParams(**params), neurons, CoreConfig(**core_kw), tmp_path))


@pytest.mark.parametrize("name, kwargs", PARSER_CASES, ids=[c[0] for c in PARSER_CASES])
def test_frame_parser_is_proved(tmp_path, name, kwargs):
    _passed(prove_parser(name, tmp_path, **kwargs))


@pytest.mark.parametrize("name, params, neurons, core_kw, depth, rule", WATCH_CASES, ids=[c[0] for c in WATCH_CASES])
def test_watched_neuron_is_checked(tmp_path, name, params, neurons, core_kw, depth, rule):
    _passed(check_watched_neuron(name, LIFParams(**params), neurons, CoreConfig(**core_kw), tmp_path, depth=depth,
                                 rule=rule), "bmc")


def _failed_assertions(result, check="prove", module=None):
    """The source lines of the assertions a counterexample breaks ("top.<id> at <file>:<line> step <k>"), those
    written in ``module``'s file only when it is given."""
    assert result[check] == "FAIL", result["log"]
    lines = []
    for where in result["failed"]:
        path, line = where.split(" at ", 1)[1].rsplit(" step ", 1)[0].rsplit(":", 1)
        if module is None or pathlib.Path(path).resolve() == pathlib.Path(module.__file__).resolve():
            lines.append(pathlib.Path(path).read_text().splitlines()[int(line) - 1])
    return lines


def _watch_fails(tmp_path, case):
    name, params, neurons, core_kw, depth, rule = case
    return _failed_assertions(check_watched_neuron("mutant", LIFParams(**params), neurons, CoreConfig(**core_kw),
                                                   tmp_path, depth=depth, rule=rule), "bmc", core)


def test_watch_catches_events_unpacked_into_the_wrong_lane(tmp_path, monkeypatch):
    real = core._neuron
    monkeypatch.setattr(core, "_neuron", lambda first, lane, lanes, width: real(first, lanes - 1 - lane, lanes, width))
    failed = _watch_fails(tmp_path, WATCH_CASES[2])
    # an event of another neuron leaves under w's index: the solver shows it on the trace or the spike stream
    assert any("tr.payload.v == trace_vs.head" in line or "out.payload.step == spike_steps.head" in line
               for line in failed), failed


def test_watch_with_the_rule_catches_a_pipeline_that_drops_the_input(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "leak_input", lambda c, v, u: c.VREST - v)   # the core's copy only, not the rule's
    failed = _watch_fails(tmp_path, WATCH_CASES[3])
    assert any('lanes[j]["v_new"] == want_v' in line for line in failed), failed


class _NeighbourWrites:
    """A storage whose input writes land on the neighbouring neuron (neuron ^ 1)."""

    def __init__(self, storage):
        self._storage = storage
        self.in_neuron = Signal.like(storage.in_neuron)

    def __getattr__(self, name):
        return getattr(self._storage, name)

    def elaborate(self, m):
        self._storage.elaborate(m)
        m.d.comb += self._storage.in_neuron.eq(self.in_neuron ^ 1)


def test_watch_catches_an_input_write_to_the_wrong_neuron(tmp_path, monkeypatch):
    real = core.make_storage
    monkeypatch.setattr(core, "make_storage", lambda *args, **kwargs: _NeighbourWrites(real(*args, **kwargs)))
    failed = _watch_fails(tmp_path, WATCH_CASES[0])
    assert any('read_lanes[j]["u"] == u' in line for line in failed), failed


def test_rule_proof_catches_truncation_instead_of_rounding(tmp_path, monkeypatch):
    def truncating_leak_sum(c, v, a):                 # v + ((x * G) >> S): the rounding constant left out
        hi, carry = a
        return (Cat(carry, Const(0, 1), v).as_signed() + Cat(Const(1, 1), hi).as_signed()) >> 2
    monkeypatch.setattr(rule, "leak_sum", truncating_leak_sum)
    assert _failed_assertions(prove_rule("mutant", LIFParams(), tmp_path))


class _FIFOWithAnEntryLess(EventFIFO):
    """A FIFO one entry smaller than the ``depth`` it reports when the core counts its credits."""

    def __init__(self, *, width, depth):
        super().__init__(width=width, depth=depth - 1)
        self._built, self.depth = self.depth, depth

    def elaborate(self, platform):
        self.depth = self._built
        return super().elaborate(platform)


def test_core_proof_catches_a_credit_too_many(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "EventFIFO", _FIFOWithAnEntryLess)
    name, params, neurons, core_kw = FORMAL_CASES[0]
    result = prove(name, LIFParams(**params), neurons, CoreConfig(**core_kw), tmp_path)
    # the first assertion to fail is the one that says no event is pushed into a full FIFO
    lines = _failed_assertions(result, module=core)
    assert lines and all("fifo.w_rdy" in line for line in lines), result["failed"]


def test_core_proof_catches_a_stale_before_last_flag(tmp_path, monkeypatch):
    """The issue stage's before-last flag is computed a cycle ahead from registered compares; picking the compare
    for a counter that did not move when it did (and the other way round) breaks the flag's invariant."""
    monkeypatch.setattr(core, "_before_last",
                        lambda cleared, went, was, groups: Mux(cleared, groups == 2, Mux(went, was[2], was[3])))
    name, params, neurons, core_kw = FORMAL_CASES[0]
    lines = _failed_assertions(prove(name, LIFParams(**params), neurons, CoreConfig(**core_kw), tmp_path),
                               module=core)
    assert any("before_last" in line for line in lines), lines


def test_step_timing_needs_the_fifo_round_trip(tmp_path):
    """With 12 groups and L = 4, 9-entry FIFOs give full rate (proved above); with 8 entries (depth - 1 <
    credit_cycles = L + 4) a bounded search finds a step that takes longer while every stream is ready."""
    name, params, neurons, core_kw = TIMING_CASES[1]
    assert core_kw["spike_fifo_depth"] - 1 == CoreConfig().timing(neurons).full_rate_credits == 8
    array = core.LIFArray(LIFParams(**params).fixed, neurons,
                          CoreConfig(**dict(core_kw, spike_fifo_depth=8, trace_fifo_depth=8)), behavioural=True)
    array.formal_covers = False
    result = formal._run_sby("short", formal.StepTimingProof(array), tmp_path, tasks=("bmc",), depth=45,
                             timeout=900)
    assert result["bmc"] == "FAIL", result["log"]


def test_parser_proof_catches_a_receiver_checking_another_crc(tmp_path, monkeypatch):
    """A receiver that checks CRC-16/XMODEM (the same polynomial, initial value 0) accepts frames whose
    CRC-16/CCITT-FALSE fails: the proof fails, and a bounded search of the property alone (no invariants)
    finds a frame with a bad CRC that writes neuron state."""
    from amaranth.lib.crc.catalog import CRC16_XMODEM
    monkeypatch.setattr(link, "CRC16_CCITT_FALSE", CRC16_XMODEM)
    assert _failed_assertions(prove_parser("mutant", tmp_path / "prove"))
    result = prove_parser("mutant", tmp_path / "bmc", tasks=("bmc",), invariants=False, depth=20)
    lines = _failed_assertions(result, "bmc")
    assert lines and all("Assert(~writes | checked)" in line for line in lines), result["failed"]
