# SPDX-License-Identifier: BSD-2-Clause
"""A pure-Python stand-in for the protocol side of a lifgen board, for testing the host driver without any
simulator: :class:`FakeBoard` serves ``socket://127.0.0.1:PORT`` from a thread.

- The neuron array is :class:`IntegerLIF`, the integer update rule of README.md ("The integer update rule")
  written once more, step by step with state kept across runs (``lifgen.golden.fixed.run`` always starts from
  reset); ``tests/test_host.py`` checks it against the golden model.
- The receiver is a byte-at-a-time state machine, as gateware would be (it does not reuse the host's
  ``FrameDecoder``, so a bug there cannot cancel out): hunt for SOF (other bytes count as garbage), read the
  header, refuse LEN > MAX_PAYLOAD (OVERSIZED), read payload and CRC, then check CRC, version, command and
  length in that order. A frame silent for ``truncate_s`` mid-way is TRUNCATED. Every refusal is counted and
  answered with ERROR (code, CMD byte; 0 when the CMD byte never arrived); good frames count as ``frames_ok``
  before they are handled, so a READ_COUNTERS reply includes itself.
- RUN treats ``PACED`` like a fast run (0 missed deadlines). Per step it sends the SPIKE frames (neuron order),
  then the TRACE frames when asked; the step field is the step number since reset modulo 2**STEP_BITS (the
  first step after reset is 0).
- The fake's own choices where the protocol is silent: READ_VOLTAGES of 0 neurons, past the array or longer
  than one reply frame holds is BAD_NEURON; WRITE_INPUTS keeps the low W bits of each input; RESET clears the
  array, the inputs and the step number but not the link counters; READ_COUNTERS with clear=1 clears all.

Knobs for fault tests: :meth:`inject` (bytes sent just before the next reply), :attr:`corrupt_next_reply`,
:attr:`refuse_next` (answer the next good frame with this ERROR code). ``received`` lists every good frame's
(cmd, values); ``exception`` holds an error raised in the server thread (re-raised by :meth:`close`).
"""

import socket
import struct
import threading
import time

import numpy as np

from lifgen.params import STEP_BITS, FixedParams
from lifgen.protocol import (COUNTERS, IDENTITY_FIELDS, MAX_PAYLOAD, REPLY, SOF, VERSION, Cmd, Err,
                             RunFlags, crc16, encode_frame, pack_payload, unpack_payload)

__all__ = ["IntegerLIF", "FakeBoard"]

HOST_COMMANDS = (Cmd.IDENTIFY, Cmd.WRITE_INPUTS, Cmd.RUN, Cmd.READ_VOLTAGES, Cmd.READ_COUNTERS, Cmd.RESET)
_ERROR_COUNTER = {Err.BAD_CRC: "bad_crc", Err.BAD_VERSION: "bad_version", Err.UNKNOWN_COMMAND: "unknown_command",
                  Err.TRUNCATED: "truncated", Err.OVERSIZED: "oversized", Err.BAD_LENGTH: "bad_length",
                  Err.BAD_NEURON: "bad_neuron"}
_U32 = 2**32 - 1
_FLUSH_BYTES = 1 << 15
# a RUN's buffered frames also go out once this long has passed, as a real board streams them: a long run of a
# few spiking neurons, stepped in Python on a loaded machine, was otherwise silent past the host's timeout
_FLUSH_S = 0.1
_POLL_S = 0.02


class IntegerLIF:
    """N neurons stepped one step at a time by the README's integer rule (v, r and the step kept)."""

    def __init__(self, fixed: FixedParams, neurons: int):
        self.fixed = fixed
        self.neurons = neurons
        self.reset()

    def reset(self):
        self.v = np.full(self.neurons, self.fixed.VREST, dtype=np.int64)
        self.r = np.zeros(self.neurons, dtype=np.int64)
        self.step_number = 0

    def step(self, u):
        """One step with input ``u`` (int64 [N]); returns the indices of the neurons that spiked."""
        c = self.fixed
        refractory = self.r > 0
        x = c.VREST - self.v + u
        dv = (x * c.G + (1 << (c.S - 1))) >> c.S
        v1 = np.clip(self.v + dv, c.vmin, c.vmax)
        fired = ~refractory & (v1 >= c.VTH)
        if c.subtract:
            after = np.clip(v1 - (c.VTH - c.VRESET), c.vmin, c.vmax)
        else:
            after = c.VRESET
        self.v = np.where(refractory, c.VRESET, np.where(fired, after, v1))
        self.r = np.where(refractory, self.r - 1, np.where(fired, c.NREF, self.r))
        self.step_number += 1
        return np.flatnonzero(fired)


class _Disconnected(Exception):
    pass


class FakeBoard:
    """The protocol side of a board with ``neurons`` neurons built for ``fixed``, on a local TCP socket.

    Use as a context manager (``with FakeBoard(fixed, 8) as fake: Board.open(fake.url)``); the server thread
    serves one connection at a time and stops at :meth:`close`.
    """

    def __init__(self, fixed: FixedParams, neurons: int, *, mul_stages=1, spike_fifo_depth=256,
                 clock_hz=12_000_000, dt_cycles=1200, truncate_s=0.05):
        self.fixed = fixed
        self.neurons = neurons
        self.identity = dict(
            version=VERSION, neurons=neurons, W=fixed.W, F=fixed.F, S=fixed.S, G=fixed.G, VREST=fixed.VREST,
            VRESET=fixed.VRESET, VTH=fixed.VTH, NREF=fixed.NREF, subtract=int(fixed.subtract),
            mul_stages=mul_stages, spike_fifo_depth=spike_fifo_depth, step_bits=STEP_BITS, clock_hz=clock_hz,
            dt_cycles=dt_cycles)
        assert list(self.identity) == [name for name, _ in IDENTITY_FIELDS]
        self.truncate_s = truncate_s
        self.array = IntegerLIF(fixed, neurons)
        self.u = np.zeros(neurons, dtype=np.int64)
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.received = []
        self.exception = None
        self.corrupt_next_reply = False
        self.drop_spike_frames = 0          # SPIKE frames to leave out (still counted in the RUN reply)
        self.refuse_next = None
        self.run_flags = None
        self._inject = b""
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL_S)
        self.port = self._listener.getsockname()[1]
        self._conn = None
        self._thread = threading.Thread(target=self._serve, name=f"fake-board-{self.port}", daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"socket://127.0.0.1:{self.port}"

    def inject(self, data):
        """Send ``data`` just before the next reply (or ERROR)."""
        self._inject += bytes(data)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        assert not self._thread.is_alive(), "fake board thread did not stop"
        if self.exception is not None:
            raise self.exception

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the server ---------------------------------------------------------------------------------------

    def _serve(self):
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(_POLL_S)
                    self._conn = conn
                    try:
                        self._session(conn)
                    except _Disconnected:
                        pass
                    finally:
                        self._conn = None
        except BaseException as exc:       # surfaced by close(), so a fake bug fails the test
            self.exception = exc

    def _session(self, conn):
        self._out = bytearray()
        state, frame, last = "hunt", bytearray(), time.monotonic()
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                if state != "hunt" and time.monotonic() - last >= self.truncate_s:
                    self._refuse(Err.TRUNCATED, frame[2] if len(frame) > 2 else 0)
                    state, frame = "hunt", bytearray()
                continue
            except OSError:
                raise _Disconnected from None
            if not data:
                raise _Disconnected
            last = time.monotonic()
            for byte in data:
                if state == "hunt":
                    if byte == SOF:
                        state, frame = "header", bytearray([byte])
                    else:
                        self._count("garbage_bytes")
                    continue
                frame.append(byte)
                if state == "header" and len(frame) == 5:
                    length = struct.unpack_from("<H", frame, 3)[0]
                    if length > MAX_PAYLOAD:
                        self._refuse(Err.OVERSIZED, frame[2])
                        state = "hunt"
                    else:
                        state, need = "body", 5 + length + 2
                elif state == "body" and len(frame) == need:
                    self._frame(bytes(frame))
                    state = "hunt"
            self._flush()

    def _frame(self, raw):
        version, cmd = raw[1], raw[2]
        payload = raw[5:-2]
        if crc16(raw[1:-2]) != int.from_bytes(raw[-2:], "big"):
            return self._refuse(Err.BAD_CRC, cmd)
        if version != VERSION:
            return self._refuse(Err.BAD_VERSION, cmd)
        if cmd not in HOST_COMMANDS:
            return self._refuse(Err.UNKNOWN_COMMAND, cmd)
        try:
            values = unpack_payload(cmd, payload)
        except ValueError:
            return self._refuse(Err.BAD_LENGTH, cmd)
        if cmd != Cmd.READ_COUNTERS:            # as the gateware: READ_COUNTERS counts once its reply has left
            self._count("frames_ok")
        self.received.append((Cmd(cmd), values))
        if self.refuse_next is not None:
            code, self.refuse_next = self.refuse_next, None
            return self._refuse(code, cmd)
        getattr(self, "_do_" + Cmd(cmd).name.lower())(*values)

    # ---- commands -----------------------------------------------------------------------------------------

    def _do_identify(self):
        self._reply(Cmd.IDENTIFY, *self.identity.values())

    def _do_write_inputs(self, first, *values):
        if first >= self.neurons or first + len(values) > self.neurons:
            return self._refuse(Err.BAD_NEURON, Cmd.WRITE_INPUTS)
        w = self.fixed.W
        low = (np.asarray(values, dtype=np.int64) + (1 << (w - 1))) % (1 << w) - (1 << (w - 1))
        self.u[first:first + len(values)] = low
        self._reply(Cmd.WRITE_INPUTS, len(values))

    def _do_run(self, steps, flags):
        self.run_flags = flags
        self.run_spikes = 0
        trace = bool(flags & RunFlags.TRACE)
        mask = (1 << STEP_BITS) - 1
        spike, trace_cmd = Cmd.SPIKE, Cmd.TRACE
        flushed = time.monotonic()
        for _ in range(steps):
            step = self.array.step_number & mask
            fired = self.array.step(self.u)
            self.run_spikes += len(fired)
            for n in fired.tolist():
                if self.drop_spike_frames:
                    self.drop_spike_frames -= 1
                    continue
                self._out += encode_frame(spike, pack_payload(spike, step, n))
            if trace:
                for n, v in enumerate(self.array.v.tolist()):
                    self._out += encode_frame(trace_cmd, pack_payload(trace_cmd, step, n, v))
            if len(self._out) >= _FLUSH_BYTES or (self._out and time.monotonic() - flushed >= _FLUSH_S):
                self._flush()
                flushed = time.monotonic()
        self._reply(Cmd.RUN, steps, 0, self.run_spikes)

    def _do_read_voltages(self, first, count):
        if count == 0 or first + count > self.neurons or struct.calcsize("<I" + "i" * count) > MAX_PAYLOAD:
            return self._refuse(Err.BAD_NEURON, Cmd.READ_VOLTAGES)
        self._reply(Cmd.READ_VOLTAGES, first, *self.array.v[first:first + count].tolist())

    def _do_read_counters(self, clear):
        self._reply(Cmd.READ_COUNTERS, *self.counters.values())
        if clear & 1:
            self.counters = dict.fromkeys(COUNTERS, 0)
        self._count("frames_ok")

    def _do_reset(self):
        self.array.reset()
        self.u[:] = 0
        self._reply(Cmd.RESET)

    # ---- output -------------------------------------------------------------------------------------------

    def _count(self, name):
        self.counters[name] = min(_U32, self.counters[name] + 1)

    def _refuse(self, code, cmd):
        self._count(_ERROR_COUNTER[code])
        self._send_reply(encode_frame(Cmd.ERROR, pack_payload(Cmd.ERROR, code, cmd)))

    def _reply(self, cmd, *values):
        self._send_reply(encode_frame(cmd | REPLY, pack_payload(cmd | REPLY, *values)))

    def _send_reply(self, frame):
        if self._inject:
            self._out += self._inject
            self._inject = b""
        if self.corrupt_next_reply:
            self.corrupt_next_reply = False
            frame = frame[:-1] + bytes([frame[-1] ^ 0x01])
        self._out += frame
        self._flush()

    def _flush(self):
        view = memoryview(bytes(self._out))
        self._out.clear()
        while view:
            if self._stop.is_set():
                raise _Disconnected
            try:
                sent = self._conn.send(view)
            except TimeoutError:
                continue
            except OSError:
                raise _Disconnected from None
            view = view[sent:]
