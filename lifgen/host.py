# SPDX-License-Identifier: BSD-2-Clause
"""The host driver of a lifgen board: :class:`Board` speaks the framed protocol of :mod:`lifgen.protocol` over
any pyserial URL, so the same code drives a board on a UART (``/dev/ttyUSB1``), the simulated board
(``socket://127.0.0.1:PORT``) or a test double; nothing in this module knows which one it talks to.

Contract:

- Numbers are the integers of the bit-exact model (``lifgen.golden.fixed``): inputs and membrane voltages in
  the Q format of the bitstream's :class:`~lifgen.params.FixedParams` (1 LSB = 2**-F mV), neurons indexed
  from 0. Quantise millivolts before calling (``lifgen.stimulus.currents_to_q``).
- Step numbers are absolute: step 0 is the first step after the last :meth:`Board.reset` (which
  :meth:`Board.open` sends by default, after identifying the board). SPIKE and TRACE frames carry the step
  modulo ``2**STEP_BITS``; the driver unwraps them against its own count of the steps run since that reset
  (:attr:`Board.steps_since_reset`).
  A run's spikes are sorted by step, then neuron, exactly as ``lifgen.golden.fixed.run`` returns them.
- One command in flight at a time: each method sends a frame, waits for its reply, checks it and returns.
  Transfers are split into frames of at most ``MAX_PAYLOAD`` payload bytes, runs into RUN frames of at most
  :data:`RUN_CHUNK_STEPS` steps.
- Every failure raises :class:`LinkError` (exit code 2) saying what to do: an ERROR frame names its error code
  and the command it refused, silence names the URL and the likely causes, a bitstream built for other
  parameters raises :class:`IdentityMismatch`. Bad arguments raise :class:`~lifgen.errors.InputError` before
  anything is sent.
- Nothing received is dropped silently: frames that answer nothing in flight are kept in
  :attr:`Board.stray_frames`; what the host's decoder rejected is counted in :attr:`Board.host_errors`.

Imports only the standard library, numpy, pyserial and lifgen's ground floor (no Amaranth, no golden model).
"""

import collections
import struct
import time
from dataclasses import dataclass

import numpy as np
import serial

from .errors import InputError, ToolError
from .params import STEP_BITS, CoreConfig, FixedParams, check_neurons
from .protocol import (COUNTERS, DEFAULT_BAUD, IDENTITY_FIELDS, MAX_PAYLOAD, REPLY, TIMEOUT_BYTE_TIMES, VERSION, Cmd, Err,
                       FrameDecoder, RunFlags, encode_frame, pack_payload, unpack_payload)

__all__ = ["Board", "RunResult", "LinkError", "IdentityMismatch", "DEFAULT_BAUDRATE", "DEFAULT_TIMEOUT_S",
           "RUN_CHUNK_STEPS", "MAX_RUN_STEPS", "INPUTS_PER_FRAME", "VOLTAGES_PER_FRAME",
           "PARTIAL_FRAME_TIMEOUT_S"]

DEFAULT_BAUDRATE = DEFAULT_BAUD     # what lifgen builds bitstreams for (lifgen.protocol)
DEFAULT_TIMEOUT_S = 2.0

# RUN's step count is a u32, so no single RUN frame can ask for more than this.
MAX_RUN_STEPS = 2**32 - 1
# Steps per RUN frame. Within one RUN of C steps from absolute step B, the event of step B + k carries
# (B + k) mod 2**STEP_BITS, and k = (carried - B) mod 2**STEP_BITS is unique while C <= 2**STEP_BITS. One step
# less keeps a value no event of the chunk can carry ((B - 1) mod 2**STEP_BITS, the step just before it), so
# every offset k >= C, such as a late event of the previous chunk, is detected instead of being read as a
# step of this chunk. This limit is far below MAX_RUN_STEPS, so it also splits every run that exceeds the u32.
RUN_CHUNK_STEPS = (1 << STEP_BITS) - 1
_STEP_MASK = (1 << STEP_BITS) - 1

_FIRST_BYTES = struct.calcsize("<I")
_VALUE_BYTES = struct.calcsize("<i")
INPUTS_PER_FRAME = (MAX_PAYLOAD - _FIRST_BYTES) // _VALUE_BYTES       # 255: WRITE_INPUTS is "I*i"
VOLTAGES_PER_FRAME = (MAX_PAYLOAD - _FIRST_BYTES) // _VALUE_BYTES     # 255: the READ_VOLTAGES reply is "I*i"

# The host's stand-in for TIMEOUT_BYTE_TIMES: a frame that stops this long mid-way is dropped as truncated.
# Far longer than 64 byte times, because USB serial adapters and sockets deliver bytes in bursts.
PARTIAL_FRAME_TIMEOUT_S = 0.1

_POLL_S = 0.05              # longest single blocking read: how often a wait checks its deadlines
_READ_CHUNK = 1 << 14       # bytes taken per read once data is there
_TAIL_KEEP = 2 * (MAX_PAYLOAD + 16)   # received bytes remembered, enough to hold any partial frame
_STRAY_KEEP = 64            # stray frames remembered
# resync(): after an answer that shows its IDENTIFY was lost, the line quiet this long means the board has
# nothing more to say (an IDENTIFY it did take is answered within a few byte times), so IDENTIFY goes again
_RESYNC_QUIET_S = 0.5
_RESYNC_TRIES = 8

# Commands a board may send: the replies to the host's commands, and its own frames.
_BOARD_CMDS = frozenset({c | REPLY for c in (Cmd.IDENTIFY, Cmd.WRITE_INPUTS, Cmd.RUN, Cmd.READ_VOLTAGES,
                                             Cmd.READ_COUNTERS, Cmd.RESET)} | {Cmd.SPIKE, Cmd.TRACE, Cmd.ERROR})
_LINK_FAULTS = ("garbage_bytes", "bad_crc", "oversized", "truncated", "bad_version", "bad_length")

_ADVICE = {
    Err.BAD_CRC: "the frame was corrupted on the line (noise, a loose cable or a marginal baud rate); retry",
    Err.BAD_VERSION: "the bitstream speaks another protocol version: rebuild it with this lifgen",
    Err.UNKNOWN_COMMAND: "the bitstream does not know this command: rebuild it with this lifgen",
    Err.TRUNCATED: "the frame stopped part-way (the link dropped or delayed bytes); retry",
    Err.OVERSIZED: "the frame was longer than the protocol allows (corrupted on the line); retry",
    Err.BAD_LENGTH: "the payload does not fit the command: driver and bitstream disagree on the protocol",
    Err.BAD_NEURON: "a neuron index lies outside the board's array: check identify()['neurons']",
}


class LinkError(ToolError):
    """The board did not answer, answered with an ERROR frame, or answered something that breaks the protocol.

    ``command`` is the :class:`~lifgen.protocol.Cmd` in flight (None when none was); ``code`` is the
    :class:`~lifgen.protocol.Err` code (an int when the board sent an unknown one) of an ERROR frame, else None.
    """
    exit_code = 2

    def __init__(self, message, *, field=None, command=None, code=None):
        super().__init__(message, field=field)
        self.command = command
        self.code = code


class IdentityMismatch(LinkError):
    """The bitstream was built for other parameters than the ones asked for.
    ``differences`` maps each differing IDENTIFY field to ``(board, expected)``."""

    def __init__(self, message, differences):
        super().__init__(message, field="bitstream", command=Cmd.IDENTIFY)
        self.differences = differences


@dataclass
class RunResult:
    """What one :meth:`Board.run` produced.

    ``spikes``: int64 [K, 2] of (step, neuron), sorted by step then neuron; steps are absolute since the last
    reset (step 0 is the first step after it), so ``spikes[:, 0] - first_step`` counts from this run's start.
    ``v_trace``: int64 [steps, neurons] of v after each step's update (Q format) when traced, else None; row i
    is absolute step ``first_step + i``.
    ``first_step``: absolute number of this run's first step. ``steps``: steps run.
    ``missed_deadlines``: paced steps the board did not finish within dt (0 for an unpaced run).
    """
    spikes: np.ndarray
    v_trace: np.ndarray | None
    steps: int
    first_step: int
    neurons: int
    missed_deadlines: int
    paced: bool

    def spike_counts(self):
        """Spikes per neuron in this run: int64 [neurons]."""
        return np.bincount(self.spikes[:, 1], minlength=self.neurons).astype(np.int64)


def _count(value, name, *, upper=None):
    """Refuse anything but a non-negative integer (InputError naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0 or \
            (upper is not None and value > upper):
        bound = f"in 0..{upper}" if upper is not None else ">= 0"
        raise InputError(f"{name} must be an integer {bound}, not {value!r}", field=name)
    return int(value)


def _name(cmd):
    """``Cmd`` name of a command byte, or its hex value when unknown."""
    try:
        return Cmd(cmd & ~REPLY).name + (" reply" if cmd & REPLY else "")
    except ValueError:
        return f"command {cmd:#04x}"


class Board:
    """A lifgen board behind a pyserial port. Use as a context manager::

        with Board.open("/dev/ttyUSB1") as board:             # or "socket://127.0.0.1:PORT"
            board.check_identity(params.fixed, neurons=64)    # refuse a bitstream built for other parameters
            board.write_inputs(u_q)                           # Q-format int array, one input per neuron
            result = board.run(1000)                          # result.spikes: (absolute step, neuron)
            v = board.read_voltages()

    ``Board(port, url=..., timeout=...)`` wraps a port that is already open (any object with pyserial's
    ``read``, ``write``, ``timeout`` and ``close``) without sending anything; its step count is then unknown
    (``steps_since_reset`` is None) and :meth:`run` refuses to start until :meth:`reset`.

    ``timeout`` (seconds) is the longest silence tolerated while a reply is due; a run's wait adds the time
    its steps should take according to the board's identity.
    """

    def __init__(self, port, *, url=None, timeout=DEFAULT_TIMEOUT_S, baudrate=None, partial_timeout=None):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise InputError(f"timeout must be a positive number of seconds, not {timeout!r}", field="timeout")
        self.port = port
        self.url = url if url is not None else str(getattr(port, "port", None) or port)
        self.timeout = float(timeout)
        self.baudrate = baudrate if baudrate is not None else getattr(port, "baudrate", None)
        #: Steps run since the last reset (None when unknown: not reset by this driver, or a run failed).
        self.steps_since_reset = None
        #: The last frames that answered nothing in flight (late replies, ERRORs about other frames, events
        #: outside a run), oldest first; each counted in ``host_errors["stray_frames"]``.
        self.stray_frames = collections.deque(maxlen=_STRAY_KEEP)
        self._decoder = FrameDecoder()
        self._stray_count = 0
        self._frames = collections.deque()
        self._tail = bytearray()
        self._last_byte = time.monotonic()
        self._identity = None
        byte_time = 10 / self.baudrate if self.baudrate else 0.0        # 8N1
        self._partial_s = partial_timeout if partial_timeout is not None else \
            max(PARTIAL_FRAME_TIMEOUT_S, TIMEOUT_BYTE_TIMES * byte_time)

    @classmethod
    def open(cls, url, *, baudrate=DEFAULT_BAUDRATE, timeout=DEFAULT_TIMEOUT_S, reset=True, partial_timeout=None):
        """Open the port at ``url`` (anything ``serial.serial_for_url`` takes), identify the board (a wrong port
        fails here; :meth:`resync`, so a board that a previous host left mid-run or mid-frame is waited for
        and caught up with) and, unless ``reset`` is False, reset it: every neuron to v = VREST, r = 0, u = 0,
        and the step count to 0. Without the reset the step count is unknown and :meth:`run` waits for
        :meth:`reset`.
        ``partial_timeout`` (seconds): how long a frame may stop mid-way before the host drops it as truncated
        (default: :data:`PARTIAL_FRAME_TIMEOUT_S`, or 64 byte times at slow baud rates); a simulated board,
        whose bytes come milliseconds apart in wall time, needs far more. Raises :class:`LinkError`."""
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=_POLL_S)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"cannot open {url}: {exc}; check the port name (a device such as /dev/ttyUSB1, "
                            f"or socket://HOST:PORT for the simulated board)", field="url") from None
        try:
            board = cls(port, url=url, timeout=timeout, baudrate=baudrate, partial_timeout=partial_timeout)
            board.resync()
            if reset:
                board.reset()
        except BaseException:
            port.close()
            raise
        return board

    def close(self):
        """Close the port (idempotent)."""
        self.port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Board({self.url!r})"

    # ---- commands -----------------------------------------------------------------------------------------

    def identify(self):
        """Ask the board what it is: a dict of the ``protocol.IDENTITY_FIELDS`` in order, integers as sent
        (``subtract`` is 0 or 1; ``clock_hz`` and ``dt_cycles`` give dt = dt_cycles / clock_hz). Cached for the
        checks of later commands (:attr:`identity`)."""
        return self._take_identity(self._transact(Cmd.IDENTIFY))

    def _take_identity(self, values):
        identity = dict(zip((name for name, _ in IDENTITY_FIELDS), values))
        if identity["neurons"] < 1:
            raise LinkError(f"the board at {self.url} reports {identity['neurons']} neurons: not a working "
                            f"lifgen bitstream", field="url", command=Cmd.IDENTIFY)
        self._identity = identity
        return dict(identity)

    def resync(self):
        """Bring the link back in step with the board, whatever it is doing, and identify it (returns
        :meth:`identify`'s dict). For a board that a previous host left behind (it disconnected, crashed or
        was killed mid-run or mid-frame) or after a :class:`LinkError`; :meth:`open` calls it.

        Sends IDENTIFY and waits for its reply. Everything that comes first goes to :attr:`stray_frames`: the
        SPIKE and TRACE frames and the RUN reply of a run still going (a RUN cannot be interrupted: this waits
        for its end while its frames keep coming), the reply to a command nobody waited for, the ERROR about a
        frame left unfinished. Such an answer shows that the IDENTIFY was lost (the board takes one command at
        a time, and counts bytes that arrive while it is busy as ``garbage_bytes``) or swallowed by the
        unfinished frame, so it is sent again once the line has been quiet for a moment. Afterwards the step
        count is unknown: call :meth:`reset` (and write the inputs again) before :meth:`run`."""
        self.steps_since_reset = None
        while self._frames:
            self._stray(self._frames.popleft())
        frame = encode_frame(Cmd.IDENTIFY)
        self._write(frame, Cmd.IDENTIFY)
        sent, lost, last = 1, False, time.monotonic()
        while True:
            got = self._poll()
            now = time.monotonic()
            if got is None:
                if lost and now - self._last_byte >= _RESYNC_QUIET_S:
                    if sent == _RESYNC_TRIES:
                        raise LinkError(f"the board at {self.url} answered {sent} IDENTIFY frames with other "
                                        f"frames (see stray_frames): it is not in step with this driver; "
                                        f"reprogram or power-cycle it", field="url", command=Cmd.IDENTIFY)
                    self._write(frame, Cmd.IDENTIFY)
                    sent, lost, last = sent + 1, False, now
                elif now - last >= self.timeout:
                    raise self._silent(Cmd.IDENTIFY, self.timeout, 0)
                continue
            last = now
            self._check_version(got, Cmd.IDENTIFY)
            if got.cmd == Cmd.IDENTIFY | REPLY:
                return self._take_identity(self._unpack(Cmd.IDENTIFY, got))
            if got.cmd == Cmd.ERROR and len(got.payload) == 2 and got.payload[1] == Cmd.IDENTIFY and \
                    got.payload[0] not in (Err.BAD_CRC, Err.TRUNCATED):
                raise self._refused(Cmd.IDENTIFY, *got.payload)      # refused for what it is, not corrupted
            self._stray(got)
            lost = lost or got.cmd not in (Cmd.SPIKE, Cmd.TRACE)

    @property
    def identity(self):
        """The last :meth:`identify` answer (asked for on first use)."""
        return dict(self._identity) if self._identity is not None else self.identify()

    def check_identity(self, fixed: FixedParams, neurons: int, *, mul_stages=None):
        """Identify the board and raise :class:`IdentityMismatch` unless it was built for exactly these
        constants and ``neurons`` (and ``mul_stages`` when given), speaking this protocol version and step width.
        Returns the identity dict."""
        if not isinstance(fixed, FixedParams):
            raise InputError(f"fixed must be a FixedParams (LIFParams(...).fixed), not {type(fixed).__name__}",
                             field="fixed")
        neurons = check_neurons(neurons)
        identity = self.identify()
        design = {"neurons": neurons, "W": fixed.W, "F": fixed.F, "S": fixed.S, "G": fixed.G,
                  "VREST": fixed.VREST, "VRESET": fixed.VRESET, "VTH": fixed.VTH, "NREF": fixed.NREF,
                  "subtract": int(fixed.subtract)}
        if mul_stages is not None:
            design["mul_stages"] = _count(mul_stages, "mul_stages", upper=CoreConfig.MUL_STAGES_MAX)
        expected = {"version": VERSION, "step_bits": STEP_BITS, **design}
        differences = {k: (identity[k], v) for k, v in expected.items() if identity[k] != v}
        if differences:
            found = ", ".join(f"{k} {board} on the board, {want} expected" for k, (board, want) in
                              differences.items())
            rebuild = ", ".join(f"{k}={v}" for k, v in design.items())
            raise IdentityMismatch(
                f"the bitstream on {self.url} was built for other parameters ({found}): rebuild the bitstream "
                f"with these parameters: {rebuild} (with this lifgen), or open the port of the board built "
                f"with them", differences)
        return identity

    def write_inputs(self, u, first=0):
        """Set the input of neurons ``first .. first + len(u) - 1`` to ``u``: integers in the Q format, within
        the state range ``[-2**(W-1), 2**(W-1) - 1]``. A scalar sets every neuron from ``first`` on. The inputs
        hold from the next step until rewritten or reset. Sends frames of :data:`INPUTS_PER_FRAME` inputs, each
        after the previous one's reply. Returns the number of inputs written."""
        identity = self.identity
        neurons, width = identity["neurons"], identity["W"]
        first = _count(first, "first")
        u = np.asarray(u)
        if u.dtype.kind not in "iu":
            raise InputError(f"inputs must be Q-format integers (quantise mV first), not dtype {u.dtype}",
                             field="u")
        if u.ndim == 0:
            u = np.full(max(0, neurons - first), int(u), dtype=np.int64)
        elif u.ndim != 1:
            raise InputError(f"inputs must have shape [n], not {list(u.shape)}", field="u")
        if first >= neurons:
            raise InputError(f"first neuron {first} is outside the board's {neurons} neurons", field="first")
        if first + u.size > neurons:
            raise InputError(f"{u.size} inputs from neuron {first} do not fit the board's {neurons} neurons",
                             field="u")
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        if u.size and (int(u.min()) < lo or int(u.max()) > hi):
            raise InputError(f"inputs must lie in the W = {width} bit range [{lo}, {hi}], not "
                             f"[{int(u.min())}, {int(u.max())}]", field="u")
        values = u.astype(np.int64).tolist()
        for start in range(0, len(values), INPUTS_PER_FRAME):
            part = values[start:start + INPUTS_PER_FRAME]
            (written,) = self._transact(Cmd.WRITE_INPUTS, first + start, *part)
            if written != len(part):
                raise self._violation(Cmd.WRITE_INPUTS, f"wrote {written} of {len(part)} inputs")
        return len(values)

    def run(self, steps, *, paced=False, trace=False, progress=None) -> RunResult:
        """Run ``steps`` time steps with the inputs written so far and collect what the board sends.

        ``paced``: one step per dt of the board's timer (steps that overrun are counted in
        ``missed_deadlines``); otherwise as fast as the array and the link allow. ``trace``: also collect v of
        every neuron after every step (``v_trace``). ``progress(done, total)``: called with the steps of this
        run known to be done whenever a new step number is first seen and after each RUN frame's reply;
        ``done`` never decreases and the last call is ``(steps, steps)``.

        Sent as RUN frames of at most :data:`RUN_CHUNK_STEPS` steps (see its comment: that bound makes the
        16-bit step numbers unambiguous). Step numbers in the result are absolute since the last reset; needs
        a known step count (:attr:`steps_since_reset`), so a failed run leaves it unknown until :meth:`reset`.
        Raises :class:`LinkError` when the link corrupted any frame during the run (events may be missing).
        """
        steps = _count(steps, "steps")
        if self.steps_since_reset is None:
            raise LinkError(f"the step count of the board at {self.url} is unknown (not reset by this driver, "
                            f"or a run failed): call reset() before run()", command=Cmd.RUN)
        if progress is not None and not callable(progress):
            raise InputError(f"progress must be callable, not {progress!r}", field="progress")
        identity = self.identity
        if identity["step_bits"] != STEP_BITS:
            raise LinkError(f"the board counts steps in {identity['step_bits']} bits, this driver in "
                            f"{STEP_BITS}: rebuild the bitstream with this lifgen", command=Cmd.RUN)
        neurons = identity["neurons"]
        flags = (RunFlags.PACED if paced else 0) | (RunFlags.TRACE if trace else 0)
        first_step = self.steps_since_reset
        v_trace = np.zeros((steps, neurons), dtype=np.int64) if trace else None
        spike_steps, spike_neurons = [], []
        reported = 0

        def report(done):
            nonlocal reported
            if progress is not None and done > reported:
                reported = done
                progress(done, steps)

        missed = done = 0
        while done < steps:
            chunk = min(RUN_CHUNK_STEPS, steps - done)
            rows = v_trace[done:done + chunk] if trace else None
            missed += self._run_chunk(chunk, flags, neurons, spike_steps, spike_neurons, rows,
                                      lambda offset, done=done: report(done + offset + 1))
            done += chunk
            report(done)
        if progress is not None and steps == 0:
            progress(0, 0)
        if spike_steps:
            spikes = np.stack([np.asarray(spike_steps, dtype=np.int64),
                               np.asarray(spike_neurons, dtype=np.int64)], axis=1)
            spikes = spikes[np.lexsort((spikes[:, 1], spikes[:, 0]))]
        else:
            spikes = np.zeros((0, 2), dtype=np.int64)
        return RunResult(spikes=spikes, v_trace=v_trace, steps=steps, first_step=first_step, neurons=neurons,
                         missed_deadlines=missed, paced=bool(paced))

    def _run_chunk(self, chunk, flags, neurons, spike_steps, spike_neurons, rows, seen):
        """One RUN frame of ``chunk`` steps: append each spike's absolute step and neuron to ``spike_steps`` and
        ``spike_neurons``, write traced voltages into ``rows`` ([chunk, neurons], or None when not traced), call
        ``seen(offset)`` with the offset in the chunk of each event. Returns the deadlines missed."""
        base = self.steps_since_reset
        faults = self._fault_count()
        traced = 0

        def on_event(frame):
            nonlocal traced
            if frame.cmd == Cmd.SPIKE:
                step, neuron = self._event(frame, neurons)
            elif frame.cmd == Cmd.TRACE and rows is not None:
                step, neuron, v = self._event(frame, neurons)
            else:
                return False
            offset = (step - base) & _STEP_MASK
            if offset >= chunk:
                raise self._violation(
                    Cmd.RUN, f"sent a {_name(frame.cmd)} of step {step} (mod 2**{STEP_BITS}), outside this RUN of "
                    f"{chunk} steps from step {base}: the board's step count is not the driver's (was it reset "
                    f"or run by someone else?); call reset()")
            if frame.cmd == Cmd.SPIKE:
                spike_steps.append(base + offset)
                spike_neurons.append(neuron)
            else:
                rows[offset, neuron] = v
                traced += 1
            seen(offset)
            return True

        self.steps_since_reset = None              # unknown until the RUN reply says how many steps ran
        try:
            spikes_before = len(spike_steps)
            ran, missed, sent = self._transact(Cmd.RUN, chunk, flags, on_event=on_event,
                                               silence=self.timeout + 2 * self._run_seconds(chunk, flags))
        except LinkError as exc:
            if exc.code is not None and exc.command == Cmd.RUN:
                self.steps_since_reset = base      # the board refused the RUN frame: nothing ran
            raise
        if ran != chunk:
            raise self._violation(Cmd.RUN, f"ran {ran} of {chunk} steps")
        if sent != len(spike_steps) - spikes_before:
            self.steps_since_reset = base + chunk
            arrived = len(spike_steps) - spikes_before
            raise LinkError(f"the board at {self.url} sent {sent} spike events in a RUN but {arrived} arrived "
                            f"intact: events were lost on the line; check the cable and the baud rate, then run "
                            f"again", field="url", command=Cmd.RUN)
        self.steps_since_reset = base + chunk
        if self._fault_count() != faults:
            raise LinkError(f"the link to {self.url} corrupted data during a RUN (host errors so far: "
                            f"{self._fault_text()}): spikes may be missing, so the run is not trusted; check the "
                            f"cable and the baud rate, then reset() and run again", field="url", command=Cmd.RUN)
        if rows is not None and traced != chunk * neurons:
            raise self._violation(Cmd.RUN, f"sent {traced} TRACE frames for {chunk} steps of {neurons} neurons "
                                           f"({chunk * neurons} expected)")
        return missed

    def read_voltages(self, first=0, count=None):
        """v of neurons ``first .. first + count - 1`` (all from ``first`` when ``count`` is None): int64 [count]
        in Q format. Asks in frames of :data:`VOLTAGES_PER_FRAME` neurons."""
        neurons = self.identity["neurons"]
        first = _count(first, "first")
        count = neurons - first if count is None else _count(count, "count")
        if first >= neurons or first + count > neurons:
            raise InputError(f"neurons {first}..{first + count - 1} are outside the board's {neurons} neurons",
                             field="first")
        out = np.empty(count, dtype=np.int64)
        for start in range(0, count, VOLTAGES_PER_FRAME):
            k = min(VOLTAGES_PER_FRAME, count - start)
            at, *values = self._transact(Cmd.READ_VOLTAGES, first + start, k)
            if at != first + start or len(values) != k:
                raise self._violation(Cmd.READ_VOLTAGES, f"answered {len(values)} voltages from neuron {at} "
                                                         f"for {k} from neuron {first + start}")
            out[start:start + k] = values
        return out

    def read_counters(self, clear=False):
        """The board's link counters: a dict keyed by ``protocol.COUNTERS`` (u32, saturating), then cleared on
        the board when ``clear``."""
        return dict(zip(COUNTERS, self._transact(Cmd.READ_COUNTERS, 1 if clear else 0)))

    def reset(self):
        """Reset the neuron array (v = VREST, r = 0, u = 0 for every neuron) and the step count to 0. Stray
        frames still arriving from an interrupted run are kept in :attr:`stray_frames` and not raised."""
        self.steps_since_reset = None
        self._transact(Cmd.RESET, absorb=True)
        self.steps_since_reset = 0

    @property
    def host_errors(self):
        """What the host's side of the link rejected: the decoder's counts (``garbage_bytes``, ``bad_crc``,
        ``oversized``; ``truncated`` for partial frames dropped after :data:`PARTIAL_FRAME_TIMEOUT_S`;
        ``bad_version``, ``bad_length``, ``unknown_command``, ``bad_neuron`` for good frames that break the
        protocol) plus ``stray_frames``. A copy; counts since this Board was made."""
        return {**self._decoder.errors, "stray_frames": self._stray_count}

    # ---- the link -----------------------------------------------------------------------------------------

    def _transact(self, cmd, *values, on_event=None, silence=None, absorb=False):
        """Send one command and return its reply's values (see :meth:`_await`)."""
        self._write(encode_frame(cmd, pack_payload(cmd, *values)), cmd)
        return self._await(Cmd(cmd), self.timeout if silence is None else silence, on_event, absorb)

    def _write(self, frame, cmd):
        try:
            self.port.write(frame)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"cannot send to {self.url}: {exc}", field="url", command=Cmd(cmd)) from None

    def _poll(self):
        """The next frame received, waiting at most one poll interval (None when none came). A frame that
        stopped part-way for the partial-frame timeout is dropped here."""
        if not self._frames:
            data = self._receive()
            now = time.monotonic()
            if data:
                self._last_byte = now
                self._feed(data)
            elif self._decoder.pending and now - self._last_byte >= self._partial_s:
                self._expire_partial()
        return self._frames.popleft() if self._frames else None

    def _check_version(self, frame, cmd):
        if frame.version != VERSION:
            self._decoder.errors["bad_version"] += 1
            raise LinkError(f"the board at {self.url} speaks protocol version {frame.version}, this driver "
                            f"{VERSION}: rebuild the bitstream with this lifgen", field="url", command=cmd)

    def _await(self, cmd, silence, on_event, absorb):
        """Read frames until the reply to ``cmd``; return its unpacked values.

        An ERROR frame about ``cmd`` (or about an unknown command) raises; other frames go to ``on_event``
        (True: consumed), else they are stray. SPIKE or TRACE frames that nobody consumed raise once the reply is
        in (unless ``absorb``), so the stream stays in step for the next command. ``silence`` seconds without a
        good frame raise."""
        out_of_band = []
        garbage = self._decoder.errors["garbage_bytes"]
        last = time.monotonic()
        while True:
            frame = self._poll()
            if frame is None:
                if time.monotonic() - last >= silence:
                    raise self._silent(cmd, silence, self._decoder.errors["garbage_bytes"] - garbage)
                continue
            last = time.monotonic()
            self._check_version(frame, cmd)
            if frame.cmd == cmd | REPLY:
                values = self._unpack(cmd, frame)
                if out_of_band and not absorb:
                    kinds = ", ".join(sorted({_name(f.cmd) for f in out_of_band}))
                    raise LinkError(f"the board at {self.url} sent {len(out_of_band)} {kinds} frames outside a "
                                    f"run before answering {cmd.name} (kept in stray_frames; was a run "
                                    f"interrupted?): call reset()", command=cmd)
                return values
            if frame.cmd == Cmd.ERROR:
                code, about = self._unpack(cmd, frame)
                if about in (cmd, 0):
                    raise self._refused(cmd, code, about)
                self._stray(frame)                 # about an earlier frame (e.g. one corrupted on the line)
                continue
            if on_event is not None and on_event(frame):
                continue
            if frame.cmd in (Cmd.SPIKE, Cmd.TRACE):
                out_of_band.append(frame)
            elif frame.cmd not in _BOARD_CMDS:
                self._decoder.errors["unknown_command"] += 1
            self._stray(frame)

    def _unpack(self, cmd, frame):
        try:
            return unpack_payload(frame.cmd, frame.payload)
        except ValueError as exc:
            self._decoder.errors["bad_length"] += 1
            raise self._violation(cmd, f"sent a malformed {_name(frame.cmd)} ({exc})") from None

    def _receive(self):
        """Wait up to one poll interval for a byte, then take whatever else has arrived (without blocking)."""
        port = self.port
        try:
            port.timeout = _POLL_S
            data = port.read(1)
            if data:
                port.timeout = 0
                data += port.read(_READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"the link to {self.url} failed: {exc}", field="url") from None
        return data

    def _feed(self, data):
        self._tail += data
        del self._tail[:-_TAIL_KEEP]
        self._frames.extend(self._decoder.feed(data))

    def _expire_partial(self):
        """Drop a frame that stopped part-way (its length field may have been corrupted, making the decoder
        wait for bytes that never come) and rescan what followed its start byte. The decoder holds a suffix of
        the byte stream, so its pending bytes are the tail of what was fed."""
        pending = bytes(self._tail[len(self._tail) - self._decoder.pending:])
        errors = self._decoder.errors
        errors["truncated"] += 1
        self._decoder = FrameDecoder()
        self._decoder.errors = errors
        self._tail = bytearray()
        self._feed(pending[1:])

    def _stray(self, frame):
        self._stray_count += 1
        self.stray_frames.append(frame)

    def _event(self, frame, neurons):
        """Unpack a SPIKE or TRACE frame and check its neuron index."""
        values = self._unpack(Cmd.RUN, frame)
        if values[1] >= neurons:
            self._decoder.errors["bad_neuron"] += 1
            raise self._violation(Cmd.RUN, f"sent a {_name(frame.cmd)} for neuron {values[1]} of {neurons}")
        return values

    def _run_seconds(self, steps, flags):
        """Upper estimate of the time ``steps`` steps take on the board (0 when it does not say its clock)."""
        identity = self._identity or {}
        clock = identity.get("clock_hz") or 0
        if not clock:
            return 0.0
        cycles = identity["neurons"] + 2 + CoreConfig.MUL_STAGES_MAX
        if flags & RunFlags.PACED:
            cycles = max(cycles, identity["dt_cycles"])
        return steps * cycles / clock

    def _fault_count(self):
        errors = self._decoder.errors
        return sum(errors[k] for k in _LINK_FAULTS)

    def _fault_text(self):
        errors = self._decoder.errors
        return ", ".join(f"{k} {errors[k]}" for k in _LINK_FAULTS if errors[k]) or "none"

    def _silent(self, cmd, silence, garbage):
        where = f" ({self.baudrate} baud)" if self.baudrate else ""
        message = (f"no answer to {cmd.name} from {self.url} within {silence:g} s: wrong port, board not "
                   f"programmed with a lifgen bitstream, or wrong baud rate{where}")
        if garbage:
            message += f"; {garbage} bytes arrived that were not frames (a wrong baud rate looks like this)"
        return LinkError(message, field="url", command=cmd)

    def _refused(self, cmd, code, about):
        try:
            code = Err(code)
            text = f"ERROR {code.name}: {_ADVICE[code]}"
        except ValueError:
            text = f"ERROR code {code} (unknown to this driver: rebuild the bitstream with this lifgen)"
        return LinkError(f"the board at {self.url} refused {cmd.name} with {text}", command=cmd, code=code)

    def _violation(self, cmd, what):
        return LinkError(f"the board at {self.url} broke the protocol answering {cmd.name}: it {what}",
                         command=cmd)
