# SPDX-License-Identifier: BSD-2-Clause
"""Fuzzing the host link of the simulated board: random and mutated frames thrown at the board top's real
logic (``lifgen.sim.board.SimulatedBoard``) over its socket, every answer and every counter predicted.

- :class:`ReceiverModel` is the link's receiver and command check (``lifgen.boards.link``, as the protocol
  module describes it) in Python, one byte at a time: hunt for SOF, header, OVERSIZED at the length field,
  payload, CRC; then CRC, version, command, length, neuron range, in that order. It predicts which byte ends
  each frame attempt, what the board answers (the ERROR code and the CMD byte it names), and every counter.
- :func:`plan_stream` draws a stream of fuzz items (mutated frames: bit flips, cuts, length-field lies, wrong
  versions, unknown commands, the board's own reply codes sent back, neurons out of range, oversized; garbage
  with SOF bytes inside) and cuts it into segments that each end where the model says the board answers, or
  where the item stops mid-frame and the host falls silent (a truncation). A drawn frame that the model finds
  legitimate and state-changing (WRITE_INPUTS, RUN, RESET, READ_COUNTERS with clear) has its last CRC byte
  flipped, so no fuzz frame changes neuron state or counters by construction; legitimate IDENTIFY,
  READ_VOLTAGES and READ_COUNTERS frames stay, and their replies are checked (voltages at rest, counters equal
  to the model's).
- :func:`flood_stream` draws frames sent back to back without reading the replies: bytes that arrive while the
  board answers are garbage, so what the board parses depends on timing. The stream never holds the bytes
  ``SOF, VERSION, c`` for a state-changing ``c``, so no way of parsing it can find a legitimate state-changing
  frame; every answer is checked against the counters (each ERROR code against its counter, replies against
  ``frames_ok``).
- :func:`run_fuzz` drives one board through all of it on a raw socket and returns a report (the caller then
  checks a normal run through the host driver, see ``tests/test_board_fuzz.py`` and ``scripts/fuzz.py``).
"""

import socket
import struct
import time
from dataclasses import dataclass, field

import numpy as np

from lifgen import protocol as P

__all__ = ["ReceiverModel", "Outcome", "plan_stream", "flood_stream", "run_fuzz", "FuzzError", "STATE_CHANGING"]

HOST_COMMANDS = (P.Cmd.IDENTIFY, P.Cmd.WRITE_INPUTS, P.Cmd.RUN, P.Cmd.READ_VOLTAGES, P.Cmd.READ_COUNTERS,
                 P.Cmd.RESET)
# Commands whose legitimate frame changes the array or the counters (READ_COUNTERS only with its clear flag).
STATE_CHANGING = (P.Cmd.WRITE_INPUTS, P.Cmd.RUN, P.Cmd.RESET, P.Cmd.READ_COUNTERS)
BOARD_CODES = tuple(c | P.REPLY for c in HOST_COMMANDS) + (P.Cmd.SPIKE, P.Cmd.TRACE, P.Cmd.ERROR)
_ERR_COUNTER = {P.Err.BAD_CRC: "bad_crc", P.Err.BAD_VERSION: "bad_version",
                P.Err.UNKNOWN_COMMAND: "unknown_command", P.Err.TRUNCATED: "truncated",
                P.Err.OVERSIZED: "oversized", P.Err.BAD_LENGTH: "bad_length", P.Err.BAD_NEURON: "bad_neuron"}


class FuzzError(AssertionError):
    """The board did something the model did not predict."""


@dataclass
class Outcome:
    """How a frame attempt ended: ``error`` (an ``Err`` code, the board answers ERROR (error, cmd)) or, for a
    legitimate frame, ``error`` None and ``payload`` its payload."""
    cmd: int
    error: int | None = None
    payload: bytes = b""


@dataclass
class ReceiverModel:
    neurons: int
    counters: dict = field(default_factory=lambda: dict.fromkeys(P.COUNTERS, 0))
    state: str = "HUNT"
    cmd: int = 0                  # the CMD register: the last CMD byte received (the board's ERROR names it)
    version: int = 0
    length: int = 0
    body: bytearray = field(default_factory=bytearray)

    def copy(self):
        return ReceiverModel(self.neurons, dict(self.counters), self.state, self.cmd, self.version, self.length,
                             bytearray(self.body))

    @property
    def in_frame(self):
        return self.state != "HUNT"

    def feed(self, byte):
        """One byte from the host, arriving while the board listens; the :class:`Outcome` when it ends a frame
        attempt (then the board answers it), else None."""
        s = self.state
        if s == "HUNT":
            if byte == P.SOF:
                self.state, self.body = "VERSION", bytearray()
            else:
                self.counters["garbage_bytes"] += 1
            return None
        self.body.append(byte)
        if s == "VERSION":
            self.version, self.state = byte, "CMD"
        elif s == "CMD":
            self.cmd, self.state = byte, "LEN0"
        elif s == "LEN0":
            self.length, self.state = byte, "LEN1"
        elif s == "LEN1":
            self.length |= byte << 8
            if self.length > P.MAX_PAYLOAD:
                return self._reject(P.Err.OVERSIZED)
            self.state = "PAYLOAD" if self.length else "CRC0"
        elif s == "PAYLOAD":
            if len(self.body) == 4 + self.length:
                self.state = "CRC0"
        elif s == "CRC0":
            self.state = "CRC1"
        else:                                               # CRC1: the frame is complete
            if P.crc16(self.body[:-2]) != struct.unpack(">H", self.body[-2:])[0]:
                return self._reject(P.Err.BAD_CRC)
            if self.version != P.VERSION:
                return self._reject(P.Err.BAD_VERSION)
            return self._execute(bytes(self.body[4:-2]))
        return None

    def silence(self):
        """The host falls silent for ``TIMEOUT_BYTE_TIMES`` byte times: a frame under way is TRUNCATED."""
        return self._reject(P.Err.TRUNCATED) if self.in_frame else None

    def _reject(self, code):
        self.state = "HUNT"
        self.counters[_ERR_COUNTER[code]] += 1
        return Outcome(self.cmd, code)

    def _execute(self, payload):
        """The executor's checks of a frame that passed CRC and version (``boards.link``, state IDLE)."""
        self.state = "HUNT"
        cmd, n = self.cmd, len(payload)
        expected = {P.Cmd.IDENTIFY: 0, P.Cmd.RUN: 5, P.Cmd.READ_VOLTAGES: 6, P.Cmd.READ_COUNTERS: 1,
                    P.Cmd.RESET: 0}
        if cmd == P.Cmd.WRITE_INPUTS:
            if n < 4 or n % 4:
                return self._reject(P.Err.BAD_LENGTH)
            first = struct.unpack_from("<I", payload)[0]
            if first + (n - 4) // 4 > self.neurons:
                return self._reject(P.Err.BAD_NEURON)
        elif cmd in expected:
            if n != expected[cmd]:
                return self._reject(P.Err.BAD_LENGTH)
            if cmd == P.Cmd.READ_VOLTAGES:
                first, count = struct.unpack("<IH", payload)
                if first + count > self.neurons or count > (P.MAX_PAYLOAD - 4) // 4:
                    return self._reject(P.Err.BAD_NEURON)
        else:
            return self._reject(P.Err.UNKNOWN_COMMAND)
        return Outcome(cmd, None, payload)

    def answered(self, outcome):
        """Count a legitimate frame once its reply has gone (READ_COUNTERS's reply shows the counts before it)."""
        if outcome.cmd == P.Cmd.READ_COUNTERS and outcome.payload[0] & 1:
            self.counters.update(dict.fromkeys(P.COUNTERS, 0))
        self.counters["frames_ok"] += 1


def changes_state(outcome):
    return outcome.error is None and outcome.cmd in STATE_CHANGING and \
        (outcome.cmd != P.Cmd.READ_COUNTERS or outcome.payload[0] & 1)


# ---- drawing fuzz items ----------------------------------------------------------------------------------------

def _frame(cmd, payload, version=P.VERSION, length=None, crc_ok=True):
    body = bytes([version, cmd]) + struct.pack("<H", len(payload) if length is None else length) + payload
    crc = P.crc16(body) ^ (0 if crc_ok else 1 << (len(body) % 16))
    return bytes([P.SOF]) + body + struct.pack(">H", crc)


def _payload(rng, cmd, neurons, *, in_range=True):
    """A plausible payload for a host command (neurons in range unless ``in_range`` is False)."""
    if cmd == P.Cmd.WRITE_INPUTS:
        k = int(rng.integers(0, neurons + 1)) if rng.random() < 0.9 else int(rng.integers(0, 256))
        first = int(rng.integers(0, neurons - k + 1)) if k <= neurons and in_range else \
            int(rng.integers(neurons - k + 1 if k <= neurons else 0, 2**32 - k))
        return struct.pack(f"<I{k}i", first, *rng.integers(-2**15, 2**15, size=k).tolist())
    if cmd == P.Cmd.RUN:
        return struct.pack("<IB", int(rng.integers(0, 2**32)), int(rng.integers(0, 256)))
    if cmd == P.Cmd.READ_VOLTAGES:
        if in_range:
            count = int(rng.integers(0, neurons + 1))
            return struct.pack("<IH", int(rng.integers(0, neurons - count + 1)), count)
        return struct.pack("<IH", int(rng.integers(neurons + 1, 2**32)), int(rng.integers(0, 2**16))) \
            if rng.random() < 0.5 else struct.pack("<IH", 0, int(rng.integers(neurons + 1, 2**16)))
    if cmd == P.Cmd.READ_COUNTERS:
        return bytes([int(rng.integers(0, 256))])
    return b""                                                  # IDENTIFY, RESET


def _garbage(rng, sof_rate):
    data = rng.integers(0, 256, size=int(rng.integers(1, 41)), dtype=np.uint8)
    data[rng.random(data.size) < sof_rate] = P.SOF
    return bytes(data)


KINDS = ("valid", "bit_flips", "cut", "cut_then_more", "length_lie", "bad_version", "unknown_command",
         "board_code", "bad_neuron", "bad_length", "oversized", "garbage", "garbage_with_sof")


def draw_item(rng, neurons):
    """One fuzz item: (kind, bytes, pause) where ``pause`` asks the host to fall silent after it."""
    kind = KINDS[int(rng.integers(0, len(KINDS)))]
    cmd = HOST_COMMANDS[int(rng.integers(0, len(HOST_COMMANDS)))]
    frame = _frame(cmd, _payload(rng, cmd, neurons))
    pause = False
    if kind == "bit_flips":
        frame = bytearray(frame)
        for _ in range(int(rng.integers(1, 4))):
            frame[int(rng.integers(0, len(frame)))] ^= 1 << int(rng.integers(0, 8))
        frame = bytes(frame)
    elif kind == "cut":                                  # stops part-way, then the host is silent: truncated
        frame, pause = frame[:int(rng.integers(1, len(frame)))], True
    elif kind == "cut_then_more":                        # stops part-way, and the next item's bytes follow
        frame = frame[:int(rng.integers(1, len(frame)))]
    elif kind == "length_lie":                           # a length field that does not match the bytes
        payload = frame[5:-2]
        lie = int(rng.integers(0, len(payload) + 9)) if rng.random() < 0.8 else int(rng.integers(0, 2**16))
        frame = _frame(cmd, payload, length=lie, crc_ok=rng.random() < 0.5)
        pause = rng.random() < 0.3
    elif kind == "bad_version":
        frame = _frame(cmd, frame[5:-2], version=int(rng.choice([v for v in range(256) if v != P.VERSION])))
    elif kind == "unknown_command":
        unknown = [c for c in range(256) if c not in HOST_COMMANDS]
        frame = _frame(int(rng.choice(unknown)), _garbage(rng, 0.05) if rng.random() < 0.5 else b"")
    elif kind == "board_code":                           # out of order: the board's own frames sent to it
        code = BOARD_CODES[int(rng.integers(0, len(BOARD_CODES)))]
        frame = _frame(code, bytes(rng.integers(0, 256, size=int(rng.integers(0, 17)), dtype=np.uint8)))
    elif kind == "bad_neuron":
        cmd = P.Cmd.WRITE_INPUTS if rng.random() < 0.5 else P.Cmd.READ_VOLTAGES
        frame = _frame(cmd, _payload(rng, cmd, neurons, in_range=False))
    elif kind == "bad_length":
        cmd = (P.Cmd.IDENTIFY, P.Cmd.RUN, P.Cmd.READ_VOLTAGES, P.Cmd.READ_COUNTERS, P.Cmd.RESET,
               P.Cmd.WRITE_INPUTS)[int(rng.integers(0, 6))]
        n = int(rng.integers(0, 12))
        if cmd == P.Cmd.WRITE_INPUTS:
            n = int(rng.choice([0, 1, 2, 3, 5, 6, 7, 9, 10, 11]))
        elif n == {P.Cmd.IDENTIFY: 0, P.Cmd.RUN: 5, P.Cmd.READ_VOLTAGES: 6, P.Cmd.READ_COUNTERS: 1,
                   P.Cmd.RESET: 0}[cmd]:
            n += 1
        frame = _frame(cmd, bytes(rng.integers(0, 256, size=n, dtype=np.uint8)))
    elif kind == "oversized":                            # the header alone: the board refuses at the length
        frame = bytes([P.SOF, P.VERSION, int(cmd)]) + struct.pack("<H", int(rng.integers(P.MAX_PAYLOAD + 1,
                                                                                         2**16)))
    elif kind in ("garbage", "garbage_with_sof"):
        frame = _garbage(rng, 0.0 if kind == "garbage" else 0.15)
        if kind == "garbage":
            frame = bytes(b if b != P.SOF else 0 for b in frame)
    return kind, frame, pause


@dataclass
class Segment:
    """Bytes to send; then the board answers ``outcome`` (None: no answer is due, send the next segment)."""
    data: bytes
    outcome: Outcome | None
    silence: bool = False          # the outcome comes after the host's silence (a truncation)
    counters: dict | None = None   # for a legitimate READ_COUNTERS: what its reply shows


def plan_stream(rng, neurons, items, model=None):
    """Draw ``items`` fuzz items and cut them into :class:`Segment` s, feeding ``model`` (a
    :class:`ReceiverModel`, made when None). Returns (segments, model, kinds: item count per kind)."""
    model = model or ReceiverModel(neurons)
    segments, pending, kinds = [], bytearray(), dict.fromkeys(KINDS, 0)
    for _ in range(items):
        kind, data, pause = draw_item(rng, neurons)
        kinds[kind] += 1
        for byte in data:
            before = model.copy() if model.state == "CRC1" else None
            outcome = model.feed(byte)
            if outcome is not None and changes_state(outcome):
                model = before                           # by construction: no state-changing fuzz frame
                byte ^= 0x01
                outcome = model.feed(byte)
                assert outcome.error == P.Err.BAD_CRC
            pending.append(byte)
            if outcome is not None:
                segments.append(Segment(bytes(pending), outcome, counters=dict(model.counters)))
                pending = bytearray()
                if outcome.error is None:
                    model.answered(outcome)
        if pause:
            outcome = model.silence()
            if outcome is not None or pending:
                segments.append(Segment(bytes(pending), outcome, silence=outcome is not None))
                pending = bytearray()
    outcome = model.silence()
    if outcome is not None or pending:
        segments.append(Segment(bytes(pending), outcome, silence=outcome is not None))
    return segments, model, kinds


def flood_stream(rng, neurons, frames):
    """``frames`` fuzz items back to back, as bytes, scrubbed so that no ``SOF, VERSION, c`` with a
    state-changing ``c`` occurs anywhere (its VERSION byte becomes 0): parsed from any byte on, it holds no
    legitimate state-changing frame. Returns (bytes, item count per kind)."""
    kinds = dict.fromkeys(KINDS, 0)
    parts = []
    for _ in range(frames):
        kind, data, _ = draw_item(rng, neurons)
        kinds[kind] += 1
        parts.append(data)
    return scrub(b"".join(parts)), kinds


def scrub(data):
    data = bytearray(data)
    for i in range(len(data) - 2):
        if data[i] == P.SOF and data[i + 1] == P.VERSION and data[i + 2] in STATE_CHANGING:
            data[i + 1] = 0
    return bytes(data)


# ---- driving a board -----------------------------------------------------------------------------------------

class _Line:
    """A raw socket to the board, decoding what it sends (the host's FrameDecoder)."""

    def __init__(self, url, timeout):
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.timeout = timeout
        self.decoder = P.FrameDecoder()
        self.frames = []

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def next_frame(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.frames:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FuzzError(f"no frame from the board within {timeout or self.timeout:g} s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise FuzzError("the board closed the connection")
            self.frames += self.decoder.feed(data)
        return self.frames.pop(0)

    def call(self, cmd, *values):
        """A good frame; returns (frames before the reply, the reply)."""
        self.send(P.encode_frame(cmd, P.pack_payload(cmd, *values)))
        before = []
        while True:
            frame = self.next_frame()
            if frame.cmd in (cmd | P.REPLY, P.Cmd.ERROR):
                return before, frame
            before.append(frame)

    def counters(self):
        _, reply = self.call(P.Cmd.READ_COUNTERS, 0)
        return dict(zip(P.COUNTERS, P.unpack_payload(reply.cmd, reply.payload)))


def _check_reply(frame, seg, identity, vrest):
    """The board's answer to one segment against the model's outcome."""
    outcome = seg.outcome
    if outcome.error is not None:
        if frame.cmd != P.Cmd.ERROR or tuple(frame.payload) != (outcome.error, outcome.cmd):
            raise FuzzError(f"expected ERROR {P.Err(outcome.error).name} about {outcome.cmd:#04x}, got "
                            f"{frame.cmd:#04x} {frame.payload.hex()}")
        return
    if frame.cmd != outcome.cmd | P.REPLY:
        raise FuzzError(f"expected the reply to {outcome.cmd:#04x}, got {frame.cmd:#04x} {frame.payload.hex()}")
    values = P.unpack_payload(frame.cmd, frame.payload)
    if outcome.cmd == P.Cmd.IDENTIFY and frame.payload != identity:
        raise FuzzError("IDENTIFY answered differently")
    if outcome.cmd == P.Cmd.READ_VOLTAGES:
        first, count = struct.unpack("<IH", outcome.payload)
        if values != (first, *[vrest] * count):
            raise FuzzError(f"READ_VOLTAGES({first}, {count}) answered {values}: not every neuron at rest")
    if outcome.cmd == P.Cmd.READ_COUNTERS:
        got = dict(zip(P.COUNTERS, values))
        if got != seg.counters:
            raise FuzzError(f"counters {got}, the model predicts {seg.counters}")


def _at_rest(line, neurons, vrest):
    """Every v at VREST, and no input written: a traced step leaves every neuron at rest."""
    _, volts = line.call(P.Cmd.READ_VOLTAGES, 0, neurons)
    if P.unpack_payload(volts.cmd, volts.payload) != (0, *[vrest] * neurons):
        raise FuzzError(f"voltages changed: {volts.payload.hex()}")
    before, reply = line.call(P.Cmd.RUN, 1, P.RunFlags.TRACE)
    if reply.cmd != P.Cmd.RUN | P.REPLY or [f.cmd for f in before] != [P.Cmd.TRACE] * neurons or \
            {P.unpack_payload(f.cmd, f.payload)[2] for f in before} != {vrest}:
        raise FuzzError(f"a traced step did not stay at rest: {[(f.cmd, f.payload.hex()) for f in before]}")


def run_fuzz(url, neurons, vrest, *, items=2000, flood=1000, seed=1, timeout=60.0, log=None):
    """Throw ``items`` fuzz items one segment at a time (every answer and, at the end, every counter predicted
    exactly), ``flood`` items back to back, and good frames during a RUN (garbage: one command at a time) at
    the board on ``url``; check after each phase that no neuron moved. Returns a report dict; raises
    :class:`FuzzError` on any difference. The board must have been reset (every neuron at rest, inputs 0)."""
    rng = np.random.default_rng(seed)
    say = log or (lambda text: None)
    line = _Line(url, timeout)
    report = {"seed": seed}
    try:
        _, ident = line.call(P.Cmd.IDENTIFY)
        identity = ident.payload
        # ---- phase 1: one segment at a time, every answer predicted --------------------------------------
        started = time.monotonic()
        model = ReceiverModel(neurons, line.counters())
        model.counters["frames_ok"] += 1                      # the READ_COUNTERS that read them
        start_counts = dict(model.counters)
        segments, model, kinds = plan_stream(rng, neurons, items, model)
        sent = answers = 0
        for k, seg in enumerate(segments):
            line.send(seg.data)
            sent += len(seg.data)
            if seg.outcome is None:
                continue
            frame = line.next_frame()
            answers += 1
            _check_reply(frame, seg, identity, vrest)
            if k % 500 == 0:
                say(f"fuzz: segment {k}/{len(segments)}")
        got = line.counters()
        if got != model.counters:
            raise FuzzError(f"counters after the fuzz {got}, the model predicts {model.counters}")
        _at_rest(line, neurons, vrest)
        report["sequential"] = {
            "items": items, "kinds": kinds, "bytes": sent, "answers": answers,
            "seconds": round(time.monotonic() - started, 1),
            "counters": {k: got[k] - start_counts[k] for k in P.COUNTERS}}
        say(f"fuzz: {items} items, {answers} answers as predicted, counters {report['sequential']['counters']}")
        # ---- phase 2: a flood, back to back -------------------------------------------------------------
        started = time.monotonic()
        before = line.counters()
        data, kinds = flood_stream(rng, neurons, flood)
        # then a fence of zeros long enough to end any frame the flood left open (a frame is at most
        # MAX_PAYLOAD + 7 bytes, an answer about 10 byte times), and a READ_COUNTERS, which the flood cannot
        # hold (scrubbed), so its reply marks the end
        fence = bytes(P.MAX_PAYLOAD + P.FRAME_OVERHEAD + 64)
        line.send(scrub(data + fence) + P.encode_frame(P.Cmd.READ_COUNTERS, b"\x00"))
        frames = []
        while not frames or frames[-1].cmd != P.Cmd.READ_COUNTERS | P.REPLY:
            frames.append(line.next_frame())
        after = dict(zip(P.COUNTERS, P.unpack_payload(frames[-1].cmd, frames[-1].payload)))
        frames.pop()
        delta = {k: after[k] - before[k] for k in P.COUNTERS}
        delta["frames_ok"] -= 1                             # the READ_COUNTERS that read `before`
        errors = [f for f in frames if f.cmd == P.Cmd.ERROR]
        by_code = {name: sum(1 for f in errors if f.payload[0] == code) for code, name in _ERR_COUNTER.items()}
        replies = [f for f in frames if f.cmd != P.Cmd.ERROR]
        if any(f.cmd not in (P.Cmd.IDENTIFY | P.REPLY, P.Cmd.READ_VOLTAGES | P.REPLY) for f in replies):
            raise FuzzError(f"the flood got answers no frame of it asks for: {[hex(f.cmd) for f in replies]}")
        for name, count in by_code.items():
            if delta[name] != count:
                raise FuzzError(f"flood: {count} ERROR {name} answers, counter moved by {delta[name]}")
        if delta["frames_ok"] != len(replies):
            raise FuzzError(f"flood: {len(replies)} replies, frames_ok moved by {delta['frames_ok']}")
        if delta["garbage_bytes"] < 64 or delta["missed_deadlines"]:
            raise FuzzError(f"flood: counters {delta}")
        for f in replies:
            if f.cmd == P.Cmd.READ_VOLTAGES | P.REPLY:
                first, *values = P.unpack_payload(f.cmd, f.payload)
                if set(values) - {vrest}:
                    raise FuzzError(f"flood: voltages changed: {values}")
        _at_rest(line, neurons, vrest)
        report["flood"] = {"items": flood, "kinds": kinds, "bytes": len(data) + len(fence),
                           "answers": len(frames), "seconds": round(time.monotonic() - started, 1),
                           "counters": delta}
        say(f"fuzz: flood of {flood} items ({len(data)} bytes): {len(frames)} answers, counters {delta}")
        # ---- phase 3: good, state-changing frames while a RUN streams: one command at a time, so garbage ----
        started = time.monotonic()
        before = line.counters()
        burst = b"".join(_frame(c, _payload(rng, c, neurons)) for c in
                         (P.Cmd.WRITE_INPUTS, P.Cmd.RESET, P.Cmd.RUN, P.Cmd.WRITE_INPUTS, P.Cmd.READ_COUNTERS))
        steps = -(-len(burst) * 2 // (P.FRAME_OVERHEAD + 10) // neurons) + 1   # the RUN outlasts the burst
        line.send(P.encode_frame(P.Cmd.RUN, P.pack_payload(P.Cmd.RUN, steps, P.RunFlags.TRACE)) + burst)
        frames = []
        while not frames or frames[-1].cmd != P.Cmd.RUN | P.REPLY:
            frames.append(line.next_frame())
        if P.unpack_payload(frames[-1].cmd, frames[-1].payload) != (steps, 0, 0) or \
                len(frames) != steps * neurons + 1 or \
                {P.unpack_payload(f.cmd, f.payload)[2] for f in frames[:-1]} != {vrest}:
            raise FuzzError("a RUN with frames sent during it did not run as if they were not there")
        after = line.counters()
        delta = {k: after[k] - before[k] for k in P.COUNTERS}
        if delta != {**dict.fromkeys(P.COUNTERS, 0), "frames_ok": 2, "garbage_bytes": len(burst)}:
            raise FuzzError(f"frames during a RUN: counters moved by {delta}, {len(burst)} garbage bytes expected")
        _at_rest(line, neurons, vrest)
        report["during_run"] = {"bytes": len(burst), "steps": steps, "seconds": round(time.monotonic() - started, 1)}
        say(f"fuzz: {len(burst)} bytes of good frames during a {steps}-step RUN: all garbage, nothing changed")
        report["items"] = items + flood + 5
        report["counters"] = line.counters()
    finally:
        line.close()
    return report
