# SPDX-License-Identifier: BSD-2-Clause
"""The host link under abuse, on the simulated board's real logic (lifgen.sim.fuzz, lifgen.sim.board_cases):
thousands of random and mutated frames, a flood, frames during a RUN, a host that disconnects mid-run and
mid-frame and reconnects; then normal runs, and random runs through the driver, bit exact against golden."""

import socket

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from lifgen import protocol as P
from lifgen.golden import fixed
from lifgen.host import Board
from lifgen.params import LIFParams
from lifgen.sim.board import SimulatedBoard
from lifgen.sim.board_cases import board_case_strategy, run_board_case
from lifgen.sim.fuzz import ReceiverModel, plan_stream, run_fuzz, scrub

PARAMS = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=1.0, reset="subtract", v_reset_mv=-72.0)
NEURONS = 4
SIM = "verilator"            # 1.6x Icarus on this design (83 against 51 fuzz frames a second), built once
TIMEOUT = 120.0


def _frame(cmd, *values):
    return P.encode_frame(cmd, P.pack_payload(cmd, *values))


def _normal_run_is_bit_exact(url, seed_, steps=25, **open_args):
    rng = np.random.default_rng(seed_)
    u = PARAMS.fixed.q(rng.uniform(10.0, 90.0, NEURONS)).astype(np.int64)
    with Board.open(url, timeout=TIMEOUT, partial_timeout=open_args.pop("partial_timeout", TIMEOUT),
                    **open_args) as board:
        board.write_inputs(u)
        res = board.run(steps, trace=True)
        ref = fixed.run(PARAMS.fixed, u, steps, trace=True)
        np.testing.assert_array_equal(res.spikes, ref.spikes)
        np.testing.assert_array_equal(res.v_trace, ref.v_trace)
        np.testing.assert_array_equal(board.read_voltages(), ref.v_trace[-1])
        assert len(ref.spikes) > 5
        return board


# ---- the model the fuzz predicts with ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, code, counter", [
    (bytes([0x00, 0x11]) + _frame(P.Cmd.IDENTIFY)[:-1] + b"\x00", P.Err.BAD_CRC, "bad_crc"),
    (P.encode_frame(P.Cmd.RESET, version=3), P.Err.BAD_VERSION, "bad_version"),
    (P.encode_frame(P.Cmd.SPIKE | P.REPLY), P.Err.UNKNOWN_COMMAND, "unknown_command"),
    (P.encode_frame(P.Cmd.RUN, b"\x01"), P.Err.BAD_LENGTH, "bad_length"),
    (_frame(P.Cmd.READ_VOLTAGES, 2, 3), P.Err.BAD_NEURON, "bad_neuron"),
    (bytes([P.SOF, P.VERSION, P.Cmd.RUN, 0x01, 0x04]), P.Err.OVERSIZED, "oversized"),
])
def test_receiver_model_answers_each_bad_frame(data, code, counter):
    model = ReceiverModel(NEURONS)
    outcomes = [o for o in map(model.feed, data) if o is not None]
    assert len(outcomes) == 1 and outcomes[0].error == code
    assert model.counters[counter] == 1 and model.counters["garbage_bytes"] == (2 if code == P.Err.BAD_CRC else 0)


def test_receiver_model_truncation_names_the_last_command_byte():
    model = ReceiverModel(NEURONS)
    assert [model.feed(b) for b in _frame(P.Cmd.READ_COUNTERS, 0)][-1].error is None
    model.feed(P.SOF)
    assert (model.silence().error, model.cmd) == (P.Err.TRUNCATED, P.Cmd.READ_COUNTERS)


def test_fuzz_plans_hold_no_state_changing_frame():
    """Every legitimate frame a plan leaves in is harmless, and a flood cannot be parsed into a harmful one."""
    segments, model, kinds = plan_stream(np.random.default_rng(9), NEURONS, 3000)
    legit = [s.outcome for s in segments if s.outcome is not None and s.outcome.error is None]
    assert legit and {o.cmd for o in legit} <= {P.Cmd.IDENTIFY, P.Cmd.READ_VOLTAGES, P.Cmd.READ_COUNTERS}
    assert all(o.payload[0] & 1 == 0 for o in legit if o.cmd == P.Cmd.READ_COUNTERS)
    assert min(kinds.values()) > 150 and all(model.counters[c] > 50 for c in P.COUNTERS[1:9])
    harmful = bytes([P.SOF, P.VERSION, P.Cmd.RUN])
    assert harmful not in scrub(harmful * 3) and scrub(b"\x00\xa5\x01\x01") == b"\x00\xa5\x01\x01"


# ---- against the simulated board ------------------------------------------------------------------------------

def test_fuzz_the_simulated_board_then_run_bit_exact():
    """3,000 fuzz items one segment at a time (every answer and every counter as the model predicts), 2,000
    back to back, good frames during a RUN (garbage); no neuron moves; then a normal run is bit exact."""
    with SimulatedBoard(PARAMS, NEURONS, sim=SIM) as sim:
        Board.open(sim.url, timeout=TIMEOUT, partial_timeout=TIMEOUT).close()        # reset
        report = run_fuzz(sim.url, NEURONS, PARAMS.fixed.VREST, items=3000, flood=2000, seed=1, timeout=TIMEOUT)
        seq, flood = report["sequential"], report["flood"]
        assert seq["answers"] > 2000 and all(seq["counters"][c] > 100 for c in
                                             ("bad_crc", "bad_version", "unknown_command", "truncated",
                                              "oversized", "bad_length", "bad_neuron"))
        assert seq["counters"]["garbage_bytes"] > 5000 and seq["counters"]["missed_deadlines"] == 0
        assert flood["answers"] > 300 and flood["counters"]["bad_crc"] > 50
        _normal_run_is_bit_exact(sim.url, seed_=1)
    assert sim.stats["connections"] == 3 and sim.stats["framing_errors"] == 0


class _Drop(Exception):
    pass


def test_host_disconnects_mid_run_and_mid_frame_then_reconnects():
    """A host that goes away mid-run (the board finishes the RUN into the void) and one that goes away
    mid-frame: Board.open resynchronises, the counters say what the board threw away, and runs are bit exact."""
    with SimulatedBoard(PARAMS, NEURONS, sim=SIM) as sim:
        # mid-frame: half of a WRITE_INPUTS of 255 inputs, then the connection drops
        Board.open(sim.url, timeout=TIMEOUT, partial_timeout=TIMEOUT).close()
        host, port = sim.url.removeprefix("socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(_frame(P.Cmd.WRITE_INPUTS, 0, *[9000] * 255)[:300])
        with Board.open(sim.url, timeout=TIMEOUT, partial_timeout=5.0, reset=False) as board:
            assert board.read_counters(clear=True)["truncated"] == 1      # that frame, dropped; nothing written
            assert set(board.read_voltages()) == {PARAMS.fixed.VREST}
        # mid-run: a long traced RUN, the host closes its port once events stream
        def drop(done, total):
            if done >= 3:
                raise _Drop
        with Board.open(sim.url, timeout=TIMEOUT, partial_timeout=5.0) as board:
            board.write_inputs(PARAMS.fixed.q(np.full(NEURONS, 60.0)).astype(np.int64))
            with pytest.raises(_Drop):
                board.run(120, trace=True, progress=drop)
            assert board.steps_since_reset is None
        board = Board.open(sim.url, timeout=TIMEOUT, partial_timeout=5.0)
        with board:
            runs = [P.unpack_payload(f.cmd, f.payload) for f in board.stray_frames if f.cmd == P.Cmd.RUN | P.REPLY]
            assert runs and runs[-1][0] == 120                      # the interrupted RUN ran to its end
            counters = board.read_counters()
            assert counters["garbage_bytes"] >= len(_frame(P.Cmd.IDENTIFY))   # the IDENTIFY it got while busy
            assert all(counters[c] == 0 for c in ("bad_crc", "bad_version", "unknown_command", "truncated",
                                                   "oversized", "bad_length", "bad_neuron"))
            assert board.steps_since_reset == 0 and set(board.read_voltages()) == {PARAMS.fixed.VREST}
        _normal_run_is_bit_exact(sim.url, seed_=2, partial_timeout=5.0)
    assert sim.stats["connections"] == 6


@seed(20261124)
@settings(max_examples=8, deadline=None, database=None, derandomize=False, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(bc=board_case_strategy())
def test_random_runs_through_the_driver(bc):
    """Random parameters, N, lanes, storage, pipeline depth, FIFO depths and input schedules, cut into runs
    (inputs rewritten between them, paced or fast, traced or not), on the simulated board through the host
    driver, bit exact against the golden model (``make board-soak`` draws many more)."""
    report = run_board_case(bc)
    assert report["match"], (report["mismatches"], bc.to_json())
