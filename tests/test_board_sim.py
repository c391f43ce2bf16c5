# SPDX-License-Identifier: BSD-2-Clause
"""End to end through the simulated board: host driver (lifgen.host) -> TCP -> UART bits -> board logic in
Icarus Verilog (lifgen.sim.board) -> frames back, against the golden model, bit for bit."""

import json
import socket

import numpy as np
import pytest

from lifgen import models
from lifgen import protocol as P
from lifgen.cli import main
from lifgen.golden import fixed
from lifgen.errors import InputError
from lifgen.host import Board
from lifgen.params import LIFParams
from lifgen.sim.board import SimulatedBoard

PARAMS = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=1.0, reset="subtract", v_reset_mv=-72.0)


def schedule(neurons, steps, seed):
    """[T, N] currents (mV): rewritten every 13 steps, both rails on neuron 0."""
    rng = np.random.default_rng(seed)
    cur = np.repeat(rng.uniform(-20, 90, size=(steps // 13 + 1, neurons)), 13, axis=0)[:steps]
    cur[: steps // 2, 0] = -128.0
    cur[steps // 2:, 0] = 127.99
    return cur


@pytest.mark.parametrize("paced", [False, True], ids=["fast", "paced"])
def test_simulated_board_matches_golden_with_rewritten_inputs(paced):
    neurons, steps = 7, 60
    cur = schedule(neurons, steps, seed=5)
    report = models.verify(PARAMS, cur, neurons, steps, model="board-sim", paced=paced)
    assert report["match"], report["first_mismatch"]
    assert report["events_golden"] > 30 and report["trace_values_compared"] == neurons * steps
    assert report["link"]["frames_ok"] > 0
    assert {k: v for k, v in report["link"].items() if k not in ("frames_ok", "missed_deadlines")} == \
        dict.fromkeys(set(P.COUNTERS) - {"frames_ok", "missed_deadlines"}, 0)


def raw_call(sock, data, decoder):
    """Send raw bytes, return the frames up to the next reply or ERROR."""
    sock.sendall(data)
    frames = []
    while not frames or frames[-1].cmd in (P.Cmd.SPIKE, P.Cmd.TRACE):
        frames += decoder.feed(sock.recv(4096))
    return frames


def corrupt(data, index):
    data = bytearray(data)
    data[index] ^= 0x10
    return bytes(data)


def frame(cmd, *values):
    return P.encode_frame(cmd, P.pack_payload(cmd, *values))


BAD = [
    ("bad CRC", corrupt(frame(P.Cmd.WRITE_INPUTS, 0, 9000, 9000), 9), P.Err.BAD_CRC, "bad_crc"),
    ("wrong version", P.encode_frame(P.Cmd.WRITE_INPUTS, P.pack_payload(P.Cmd.WRITE_INPUTS, 0, 9000), version=7),
     P.Err.BAD_VERSION, "bad_version"),
    ("unknown command", P.encode_frame(0x55), P.Err.UNKNOWN_COMMAND, "unknown_command"),
    ("bad length", P.encode_frame(P.Cmd.RUN, b"\x01\x00"), P.Err.BAD_LENGTH, "bad_length"),
    ("neuron out of range", frame(P.Cmd.WRITE_INPUTS, 3, 9000, 9000), P.Err.BAD_NEURON, "bad_neuron"),
    ("oversized", bytes([P.SOF, P.VERSION, P.Cmd.WRITE_INPUTS, 0xFF, 0x7F]), P.Err.OVERSIZED, "oversized"),
    ("truncated", frame(P.Cmd.WRITE_INPUTS, 0, 9000, 9000)[:8], P.Err.TRUNCATED, "truncated"),
]


def test_bad_frames_against_the_simulated_board():
    """Each bad frame (after some garbage): rejected with an ERROR reply naming it, counted, no state change,
    and the next good frame works; then a normal run is still bit exact."""
    neurons = 4
    with SimulatedBoard(PARAMS, neurons) as sim:
        port = int(sim.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            decoder = P.FrameDecoder()
            assert raw_call(sock, frame(P.Cmd.RESET), decoder)[-1].cmd == P.Cmd.RESET | P.REPLY
            for name, bad, code, counter in BAD:
                reply = raw_call(sock, b"\x00garbage" + bad, decoder)[-1]
                assert reply.cmd == P.Cmd.ERROR and reply.payload[0] == code, name
                volts = raw_call(sock, frame(P.Cmd.READ_VOLTAGES, 0, neurons), decoder)[-1]
                assert P.unpack_payload(volts.cmd, volts.payload) == (0, *[PARAMS.fixed.VREST] * neurons), name
                # no input was written either: with u = 0 every neuron stays at rest through a step
                frames = raw_call(sock, frame(P.Cmd.RUN, 1, P.RunFlags.TRACE), decoder)
                assert [f.cmd for f in frames] == [P.Cmd.TRACE] * neurons + [P.Cmd.RUN | P.REPLY], name
                assert {P.unpack_payload(f.cmd, f.payload)[2] for f in frames[:-1]} == {PARAMS.fixed.VREST}
                counts = raw_call(sock, frame(P.Cmd.READ_COUNTERS, 1), decoder)[-1]
                counts = dict(zip(P.COUNTERS, P.unpack_payload(counts.cmd, counts.payload)))
                assert counts[counter] == 1 and counts["garbage_bytes"] >= 8, (name, counts)
        # the same board, through the driver: a normal run is bit exact after all that
    with SimulatedBoard(PARAMS, neurons) as sim, Board.open(sim.url, timeout=120, partial_timeout=120) as board:
        u = PARAMS.fixed.q(np.array([90.0, 40.0, 70.0, 10.0]))
        board.write_inputs(u.astype(np.int64))
        res = board.run(25)
        ref = fixed.run(PARAMS.fixed, u.astype(np.int64), 25, trace=True)
        np.testing.assert_array_equal(res.spikes, ref.spikes)
        np.testing.assert_array_equal(board.read_voltages(), ref.v_trace[-1])
        with pytest.raises(InputError, match="do not fit"):       # the driver refuses before sending
            board.write_inputs(np.array([1, 2]), first=3)
        assert board.run(5).steps == 5            # still working after a refused command


def test_cli_run_sim_prints_the_same_json_as_simulate(capsys):
    args = ["--neurons", "5", "--steps", "80", "--current-mv", "45", "--tau-ms", "2", "--json"]
    assert main(["simulate", "--model", "fixed", *args]) == 0
    golden = json.loads(capsys.readouterr().out)
    assert main(["run", "--board", "icebreaker", "--sim", *args]) == 0
    board = json.loads(capsys.readouterr().out)
    assert len(golden["spikes"]) > 10
    for key in ("spikes", "rate_hz", "v_final_mv", "steps", "neurons", "params", "constants"):
        assert board[key] == golden[key], key
    assert board["model"] == "board-sim" and board["link"]["bad_crc"] == 0


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_cli_verify_board_sim(capsys, sim):
    """Also under Verilator, whose C++ for a design this size is split into files built with a precompiled
    header (the runner repairs the wheel's make configuration for that)."""
    assert main(["verify", "--model", "board-sim", "--sim", sim, "--neurons", "3", "--steps", "40",
                 "--current-mv", "50"]) == 0
    out = capsys.readouterr().out
    assert "MATCH: bit-exact" in out and f"simulated board ({sim})" in out
