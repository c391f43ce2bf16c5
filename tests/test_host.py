# SPDX-License-Identifier: BSD-2-Clause
"""The host driver (``lifgen.host``) against the fake board of ``tests/fake_board.py`` over a real local TCP
socket (``socket://``): results bit for bit against the golden model, the 16-bit step unwrap, frame splitting,
and every way the link can fail (ERROR frames, corrupted frames both ways, silence)."""

import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from lifgen.errors import InputError, ToolError
from lifgen.golden import fixed as golden
from lifgen.host import (INPUTS_PER_FRAME, RUN_CHUNK_STEPS, VOLTAGES_PER_FRAME, Board, IdentityMismatch,
                         LinkError)
from lifgen.params import STEP_BITS, LIFParams
from lifgen.protocol import COUNTERS, IDENTITY_FIELDS, SOF, VERSION, Cmd, Err, RunFlags, encode_frame, pack_payload

from fake_board import FakeBoard, IntegerLIF

ROOT = pathlib.Path(__file__).parent.parent
DEFAULTS = LIFParams().fixed
# refractory, reset by subtraction, a fast leak: every branch of the rule in a few steps
BUSY = LIFParams(tau_ms=2.0, t_ref_ms=0.3, reset="subtract").fixed


@pytest.fixture(scope="module")
def links():
    """One fake board and one open port per (constants, neurons), shared by this module's tests (closing a
    pyserial ``socket://`` port sleeps 0.3 s). ``links(fixed, neurons)`` -> (fake, port)."""
    opened = {}

    def link(fixed, neurons):
        if (fixed, neurons) not in opened:
            fake = FakeBoard(fixed, neurons)
            opened[fixed, neurons] = fake, Board.open(fake.url, reset=False).port
        return opened[fixed, neurons]

    yield link
    for fake, port in opened.values():
        port.close()
        fake.close()


@pytest.fixture
def fake(request, links):
    """The shared fake board of the test's (constants, neurons) (default: DEFAULTS, 700), knobs cleared."""
    fake, _ = links(*getattr(request, "param", (DEFAULTS, 700)))
    fake.corrupt_next_reply, fake.refuse_next = False, None
    return fake


@pytest.fixture
def board(fake, links):
    """A fresh Board (fresh host-side counts) on the shared port, the board reset, its counters and the fake's
    record of received frames cleared."""
    board = Board(links(fake.fixed, fake.neurons)[1], url=fake.url, timeout=2.0)
    board.reset()
    board.identify()
    board.read_counters(clear=True)
    fake.received.clear()
    return board


def random_inputs(fixed, neurons, rng, lo_mv=-20.0, hi_mv=60.0):
    return np.asarray(fixed.q(rng.uniform(lo_mv, hi_mv, size=neurons)), dtype=np.int64)


def sent(fake, cmd):
    return [values for c, values in fake.received if c == cmd]


# ---- the fake's neuron array is the golden model ---------------------------------------------------------

@pytest.mark.parametrize("params", [
    LIFParams(),
    LIFParams(tau_ms=2.0, t_ref_ms=0.3, reset="subtract"),
    LIFParams(tau_ms=1.0, width=8, frac=2, gain_bits=10, v_rest_mv=-20, v_reset_mv=-25, v_th_mv=-10, t_ref_ms=0.2),
], ids=["defaults", "refractory-subtract", "narrow-rails"])
def test_fake_array_steps_like_golden(params):
    c = params.fixed
    rng = np.random.default_rng(1)
    steps, neurons = 300, 9
    u = rng.integers(c.vmin, c.vmax + 1, size=(steps, neurons))
    u[:, 0], u[:, 1], u[:, 2] = c.vmax, c.vmin, 0          # both rails and no input
    ref = golden.run(c, u, steps, neurons, trace=True)
    array = IntegerLIF(c, neurons)
    spikes, trace = [], []
    for t in range(steps):
        spikes += [(t, n) for n in array.step(u[t])]
        trace.append(array.v.copy())
    assert len(ref.spikes) > 20
    np.testing.assert_array_equal(np.array(spikes).reshape(-1, 2), ref.spikes)
    np.testing.assert_array_equal(np.array(trace), ref.v_trace)


# ---- identity ---------------------------------------------------------------------------------------------

def test_identify_returns_every_field(board, fake):
    identity = board.identify()
    assert list(identity) == [name for name, _ in IDENTITY_FIELDS]
    assert identity == fake.identity
    assert board.check_identity(DEFAULTS, 700, mul_stages=1) == identity
    assert board.check_identity(DEFAULTS, 700) == identity


def test_identity_mismatch_says_what_differs_and_what_to_do(board):
    other = LIFParams(v_th_mv=-50.0, reset="subtract").fixed
    with pytest.raises(IdentityMismatch) as info:
        board.check_identity(other, 64, mul_stages=2)
    err = info.value
    assert isinstance(err, LinkError) and isinstance(err, ToolError) and err.exit_code == 2
    assert set(err.differences) == {"neurons", "VTH", "subtract", "mul_stages"}
    assert err.differences["neurons"] == (700, 64)
    msg = str(err)
    assert "neurons 700 on the board, 64 expected" in msg and f"VTH {DEFAULTS.VTH} on the board" in msg
    assert f"rebuild the bitstream with these parameters: neurons=64, W=16, F=8, S=16, G={other.G}" in msg
    assert f"VTH={other.VTH}" in msg and "subtract=1, mul_stages=2" in msg
    with pytest.raises(InputError):
        board.check_identity(LIFParams(), 700)           # LIFParams, not its .fixed


# ---- inputs, runs, voltages against the golden model -----------------------------------------------------

def test_write_inputs_splits_into_frames(board, fake):
    rng = np.random.default_rng(2)
    u = random_inputs(DEFAULTS, 700, rng)
    assert board.write_inputs(u) == 700
    np.testing.assert_array_equal(fake.u, u)
    frames = sent(fake, Cmd.WRITE_INPUTS)
    assert INPUTS_PER_FRAME == 255
    assert [(f[0], len(f) - 1) for f in frames] == [(0, 255), (255, 255), (510, 190)]
    part = random_inputs(DEFAULTS, 50, rng)
    board.write_inputs(part, first=650)
    np.testing.assert_array_equal(fake.u, np.concatenate([u[:650], part]))
    board.write_inputs(np.int16(-3), first=690)          # a scalar sets every neuron from first on
    assert (fake.u[690:] == -3).all() and (fake.u[:650] == u[:650]).all()


@pytest.mark.parametrize("u, first, match", [
    (np.array([1.5]), 0, "integers"),
    (np.array([[1, 2]]), 0, "shape"),
    (np.array([DEFAULTS.vmax + 1]), 0, "range"),
    (np.array([DEFAULTS.vmin - 1], dtype=np.int64), 0, "range"),
    (np.zeros(701, dtype=np.int64), 0, "do not fit"),
    (np.zeros(2, dtype=np.int64), 699, "do not fit"),
    (np.zeros(1, dtype=np.int64), -1, "first"),
])
def test_write_inputs_refuses_bad_input_before_sending(board, fake, u, first, match):
    before = len(fake.received)
    with pytest.raises(InputError, match=match):
        board.write_inputs(u, first=first)
    assert len(fake.received) == before


def test_runs_match_golden_with_inputs_rewritten(board, fake):
    """Three runs (fast, paced, fast) with inputs rewritten in between: absolute step numbers, voltages."""
    rng = np.random.default_rng(3)
    lengths = [120, 200, 80]
    rows, results, calls = [], [], []
    for i, steps in enumerate(lengths):
        u = random_inputs(DEFAULTS, 700, rng)
        board.write_inputs(u)
        rows.append(np.broadcast_to(u, (steps, 700)))
        result = board.run(steps, paced=(i == 1), progress=lambda done, total: calls.append((done, total)))
        assert fake.run_flags == (RunFlags.PACED if i == 1 else 0)
        assert result.steps == steps and result.first_step == sum(lengths[:i]) and result.v_trace is None
        assert result.missed_deadlines == 0 and result.paced == (i == 1)
        results.append(result)
    assert board.steps_since_reset == sum(lengths)
    ref = golden.run(DEFAULTS, np.concatenate(rows), sum(lengths), 700)
    spikes = np.concatenate([r.spikes for r in results])
    assert len(spikes) > 1000
    assert spikes.dtype == np.int64 and spikes.shape[1] == 2
    np.testing.assert_array_equal(spikes, ref.spikes)
    assert sum(r.spike_counts().sum() for r in results) == len(ref.spikes)
    np.testing.assert_array_equal(board.read_voltages(), ref.v_final)
    assert len(sent(fake, Cmd.READ_VOLTAGES)) == 3                 # 255 + 255 + 190
    # progress: never decreasing within a run, each run ends with (total, total)
    ends = [i for i, (done, total) in enumerate(calls) if done == total]
    assert [calls[i] for i in ends] == [(n, n) for n in lengths]
    for (d0, t0), (d1, t1) in zip(calls, calls[1:]):
        assert t0 != t1 or d1 > d0


@pytest.mark.parametrize("fake", [(BUSY, 6)], indirect=True)
def test_trace_matches_golden(board):
    rng = np.random.default_rng(4)
    u1, u2 = random_inputs(BUSY, 6, rng, 0, 80), random_inputs(BUSY, 6, rng, 0, 80)
    board.write_inputs(u1)
    a = board.run(150, trace=True)
    board.write_inputs(u2[3:], first=3)
    b = board.run(170, trace=True)
    u = np.concatenate([np.broadcast_to(u1, (150, 6)),
                        np.broadcast_to(np.concatenate([u1[:3], u2[3:]]), (170, 6))])
    ref = golden.run(BUSY, u, 320, 6, trace=True)
    assert a.v_trace.shape == (150, 6) and b.v_trace.shape == (170, 6)
    np.testing.assert_array_equal(np.concatenate([a.v_trace, b.v_trace]), ref.v_trace)
    np.testing.assert_array_equal(np.concatenate([a.spikes, b.spikes]), ref.spikes)
    assert b.first_step == 150 and (b.spikes[:, 0] >= 150).all()


@pytest.mark.parametrize("fake", [(DEFAULTS, 1)], indirect=True)
def test_step_numbers_unwrap_past_2_16(board, fake):
    """67,500 steps on one neuron: a short run, then one split into two RUN frames that crosses step 65,536."""
    u = np.array([DEFAULTS.q(100.0)])
    board.write_inputs(u)
    first = board.run(1500)
    calls = []
    second = board.run(66_000, progress=lambda done, total: calls.append(done))
    assert [f[0] for f in sent(fake, Cmd.RUN)] == [1500, RUN_CHUNK_STEPS, 66_000 - RUN_CHUNK_STEPS]
    ref = golden.run(DEFAULTS, u, 67_500, 1)
    spikes = np.concatenate([first.spikes, second.spikes])
    assert spikes[-1, 0] > 1 << STEP_BITS
    np.testing.assert_array_equal(spikes, ref.spikes)
    assert board.steps_since_reset == 67_500
    assert calls[-1] == 66_000 and calls == sorted(set(calls))


@pytest.mark.parametrize("fake", [(DEFAULTS, 600)], indirect=True)
def test_read_voltages_windows(board, fake):
    board.write_inputs(random_inputs(DEFAULTS, 600, np.random.default_rng(5)))
    board.run(50)
    v = fake.array.v.copy()
    np.testing.assert_array_equal(board.read_voltages(), v)
    np.testing.assert_array_equal(board.read_voltages(first=300, count=10), v[300:310])
    np.testing.assert_array_equal(board.read_voltages(first=100), v[100:])
    assert board.read_voltages(first=5, count=0).shape == (0,)
    assert VOLTAGES_PER_FRAME == 255
    assert [tuple(f) for f in sent(fake, Cmd.READ_VOLTAGES)[:3]] == [(0, 255), (255, 255), (510, 90)]
    for first, count in ((600, None), (590, 11), (-1, 1)):
        with pytest.raises(InputError):
            board.read_voltages(first=first, count=count)


def test_reset_restarts_steps_and_state(board, fake):
    u = random_inputs(DEFAULTS, 700, np.random.default_rng(6))
    board.write_inputs(u)
    board.run(100)
    board.reset()
    assert board.steps_since_reset == 0
    assert (board.read_voltages() == DEFAULTS.VREST).all()
    assert len(board.run(50).spikes) == 0                  # inputs were reset to 0 too
    board.reset()
    board.write_inputs(u)
    result = board.run(100)
    assert result.first_step == 0
    np.testing.assert_array_equal(result.spikes, golden.run(DEFAULTS, u, 100, 700).spikes)
    calls = []
    empty = board.run(0, progress=lambda *a: calls.append(a))
    assert empty.spikes.shape == (0, 2) and calls == [(0, 0)] and board.steps_since_reset == 100


# ---- faults -----------------------------------------------------------------------------------------------

def test_board_counts_bad_frames_and_the_link_recovers(board, fake):
    """Raw bad frames of every kind: each counted by the board, none changes state, the next command works."""
    board.read_counters(clear=True)
    good = encode_frame(Cmd.WRITE_INPUTS, pack_payload(Cmd.WRITE_INPUTS, 0, 1234))
    bad_crc = good[:-1] + bytes([good[-1] ^ 0xFF])
    oversized = bytes([SOF, VERSION, Cmd.WRITE_INPUTS, 0x01, 0x04])          # LEN 1025, then nothing
    unknown = encode_frame(0x42, b"")
    bad_length = encode_frame(Cmd.RUN, b"\x01\x00")
    bad_version = encode_frame(Cmd.IDENTIFY, b"", version=VERSION + 1)
    for raw in (b"\x00\x11\x22", bad_crc, oversized, unknown, bad_length, bad_version):
        board.port.write(raw)
    counters = board.read_counters()
    assert list(counters) == list(COUNTERS)
    assert counters == dict(counters, frames_ok=1, bad_crc=1, oversized=1, unknown_command=1, bad_length=1,
                            bad_version=1, garbage_bytes=3, truncated=0, bad_neuron=0, missed_deadlines=0)
    assert (fake.u == 0).all()                             # the corrupted WRITE_INPUTS changed nothing
    # the ERROR frames about those frames were kept, not raised
    errors = [pack for pack in board.stray_frames if pack.cmd == Cmd.ERROR]
    assert [e.payload[0] for e in errors] == [Err.BAD_CRC, Err.OVERSIZED, Err.UNKNOWN_COMMAND, Err.BAD_LENGTH,
                                              Err.BAD_VERSION]
    assert board.host_errors["stray_frames"] == 5
    assert board.identify()["neurons"] == 700
    assert board.read_counters(clear=True)["frames_ok"] == 3
    assert board.read_counters() == dict.fromkeys(COUNTERS, 0) | {"frames_ok": 1}


def test_error_frame_raises_naming_code_and_command(board, fake):
    fake.refuse_next = Err.BAD_NEURON
    with pytest.raises(LinkError, match="refused READ_VOLTAGES with ERROR BAD_NEURON") as info:
        board.read_voltages()
    assert info.value.code == Err.BAD_NEURON and info.value.command == Cmd.READ_VOLTAGES
    assert len(board.read_voltages()) == 700


def test_refused_run_keeps_the_step_count(board, fake):
    board.run(10)
    fake.refuse_next = Err.BAD_LENGTH
    with pytest.raises(LinkError, match="refused RUN with ERROR BAD_LENGTH"):
        board.run(10)
    assert board.steps_since_reset == 10
    assert board.run(5).first_step == 10


def test_host_counts_a_corrupted_reply_then_recovers(board, fake):
    board.timeout = 0.3
    fake.corrupt_next_reply = True
    with pytest.raises(LinkError, match="no answer to IDENTIFY"):
        board.identify()
    assert board.host_errors["bad_crc"] == 1
    assert board.identify()["neurons"] == 700


def test_host_drops_a_frame_start_that_never_completes(board, fake):
    """A false SOF whose LEN (512) would swallow the real reply: dropped after a pause, the reply is found."""
    fake.inject(bytes([SOF, VERSION, Cmd.IDENTIFY | 0x80, 0x00, 0x02]))
    assert board.identify()["neurons"] == 700
    assert board.host_errors["truncated"] == 1


def test_events_outside_a_run_raise_once_the_reply_is_in(board, fake):
    spike = encode_frame(Cmd.SPIKE, pack_payload(Cmd.SPIKE, 3, 1))
    fake.inject(spike)
    with pytest.raises(LinkError, match="1 SPIKE frames outside a run before answering IDENTIFY"):
        board.identify()
    assert board.stray_frames[-1].cmd == Cmd.SPIKE
    assert board.identify()["neurons"] == 700              # the stream is still in step
    fake.inject(spike)
    board.reset()                                          # reset is the way out: kept, not raised
    assert board.host_errors["stray_frames"] == 2


def test_corruption_during_a_run_is_not_trusted(board, fake):
    fake.inject(b"\x00\x01\x02")                           # garbage just before the RUN reply
    with pytest.raises(LinkError, match="corrupted data during a RUN"):
        board.run(20)
    assert board.steps_since_reset == 20                   # the steps ran, and the count says so


def test_a_spike_frame_lost_whole_on_the_line_is_detected(board, fake):
    """The RUN reply counts the SPIKE frames sent: one that vanished (no garbage, no bad CRC left behind)
    still makes the run untrusted."""
    fake.u[:] = DEFAULTS.q(100.0)
    fake.drop_spike_frames = 1
    with pytest.raises(LinkError, match="arrived intact: events were lost"):
        board.run(50)
    assert board.steps_since_reset == 50
    assert len(board.run(50).spikes) > 0                   # the next run is complete again


def test_event_for_a_neuron_the_board_lacks_is_refused(board, fake):
    fake.inject(encode_frame(Cmd.SPIKE, pack_payload(Cmd.SPIKE, 0, 700)))
    with pytest.raises(LinkError, match="sent a SPIKE for neuron 700 of 700"):
        board.run(10)
    assert board.host_errors["bad_neuron"] == 1 and board.steps_since_reset is None
    board.reset()                                          # absorbs the RUN reply still on its way
    assert board.stray_frames[-1].cmd == Cmd.RUN | 0x80


def test_step_count_out_of_step_is_detected(board, fake):
    fake.u[:] = DEFAULTS.q(100.0)
    fake.array.step_number = 30_000                        # someone else ran the board
    with pytest.raises(LinkError, match="outside this RUN of 50 steps from step 0"):
        board.run(50)
    assert board.steps_since_reset is None
    with pytest.raises(LinkError, match="call reset"):
        board.run(5)
    board.reset()
    assert board.run(5).steps == 5


def test_open_without_reset_needs_a_reset_before_run():
    with FakeBoard(DEFAULTS, 3) as fake:
        fake.array.step_number = 7
        with Board.open(fake.url, reset=False) as board:
            assert board.steps_since_reset is None and fake.received == [(Cmd.IDENTIFY, ())]
            assert len(board.read_voltages()) == 3          # other commands work
            with pytest.raises(LinkError, match=r"unknown .* call reset\(\) before run\(\)"):
                board.run(1)
            board.reset()
            assert board.run(1).first_step == 0
        assert fake.array.step_number == 1


def test_silence_names_the_url_and_the_causes():
    with socket.create_server(("127.0.0.1", 0)) as server:   # accepts connections, never answers
        url = f"socket://127.0.0.1:{server.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(LinkError) as info:
            Board.open(url, timeout=0.3)
        assert time.monotonic() - start < 2
    msg = str(info.value)
    assert msg.startswith(f"no answer to IDENTIFY from {url} within 0.3 s: wrong port, board not programmed with a "
                          f"lifgen bitstream, or wrong baud rate")
    assert info.value.field == "url" and info.value.exit_code == 2


def test_open_failures_name_the_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    with pytest.raises(LinkError, match=f"cannot open socket://127.0.0.1:{port}"):
        Board.open(f"socket://127.0.0.1:{port}")
    with pytest.raises(LinkError, match="cannot open nope://x"):
        Board.open("nope://x")
    with pytest.raises(InputError, match="timeout"):
        Board(None, timeout=0)


def test_host_module_loads_no_hardware_and_no_golden_model():
    probe = "import lifgen.host, sys; print('\\n'.join(sys.modules))"
    mods = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.split()
    assert "lifgen.host" in mods and "serial" in mods
    bad = [m for m in mods for f in ("amaranth", "cocotb", "lifgen.hw", "lifgen.sim", "lifgen.golden",
                                     "lifgen.boards", "lifgen.stimulus") if m == f or m.startswith(f + ".")]
    assert not bad
