# SPDX-License-Identifier: BSD-2-Clause
"""The host link's framed binary protocol, defined once, as data: the gateware (``lifgen.boards.link``) and
the host driver (``lifgen.host``) both build on this module. It imports no Amaranth.

Frame (every multi-byte integer little-endian, except the CRC)::

    SOF (0xA5) | VERSION (1) | CMD (1) | LEN (2, payload bytes) | PAYLOAD (LEN bytes) | CRC (2, MSB first)

The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final XOR; ``CRC16_IBM_3740`` in
``amaranth.lib.crc.catalog``) over VERSION, CMD, LEN and PAYLOAD. Sent MSB first, it makes the CRC register
end at 0 when run over VERSION .. CRC: that is how the gateware checks it. LEN is at most ``MAX_PAYLOAD``.

Host -> board commands and their payloads (``COMMANDS``); the board answers each good frame with exactly one
reply whose CMD is ``cmd | REPLY``, or with an ``ERROR`` frame. While a ``RUN`` executes, the board also sends
one ``SPIKE`` frame per spike event (and one ``TRACE`` frame per neuron per step when asked), then the
``RUN`` reply, which counts the SPIKE frames sent, so the host can tell that none was lost on the line. A frame whose CRC fails, whose version or command is unknown, whose length is wrong for its
command, that is longer than ``MAX_PAYLOAD``, or that stops for ``TIMEOUT_BYTE_TIMES`` byte times mid-frame is
dropped, counted, and answered with ``ERROR``; bytes outside a frame are counted as garbage. Neuron state is
only ever changed by a frame whose CRC has been checked in full.

What the board does (``lifgen.boards.link``), where the table alone leaves it open:

- One command at a time: bytes that arrive before the reply to the previous frame has been sent (a frame sent
  during a ``RUN``, say) are counted as garbage, not queued, so a ``RUN`` cannot be aborted: a ``RESET`` sent
  during it is lost like any other frame.
- ``RESET`` returns the array to its post-reset state (every v = VREST, r = 0, u = 0; the step number to 0);
  the link counters are kept (``READ_COUNTERS`` with the clear flag clears them).
- ``WRITE_INPUTS`` takes each value modulo 2**W (the host driver refuses values outside the Q range); a frame
  that names neurons past the array is refused whole (``BAD_NEURON``), as is a ``READ_VOLTAGES`` past it.
- Within a step, SPIKE frames come in increasing neuron order and TRACE frames likewise; the two kinds may
  interleave. Paced runs start their timer at the ``RUN`` frame: each ``RUN`` is paced on its own.
- ``ERROR`` carries the CMD byte as it was received, which for a frame with a bad CRC may itself be corrupted,
  and for a frame truncated before its CMD byte is the previous frame's.
"""

import struct
from dataclasses import dataclass
from enum import IntEnum

from .params import STEP_BITS

__all__ = ["SOF", "VERSION", "MAX_PAYLOAD", "REPLY", "HEADER_BYTES", "CRC_BYTES", "FRAME_OVERHEAD",
           "TIMEOUT_BYTE_TIMES", "DEFAULT_BAUD", "Cmd", "Err", "RunFlags", "COUNTERS", "IDENTITY_FIELDS", "crc16",
           "Frame", "encode_frame", "FrameDecoder", "pack_payload", "unpack_payload", "PAYLOADS",
           "SPIKE_EVENT_BYTES", "event_rate_per_s"]

SOF = 0xA5
VERSION = 1
MAX_PAYLOAD = 1024
REPLY = 0x80
HEADER_BYTES = 5               # SOF, VERSION, CMD, LEN (2)
CRC_BYTES = 2
FRAME_OVERHEAD = HEADER_BYTES + CRC_BYTES
TIMEOUT_BYTE_TIMES = 64        # silence mid-frame for this long drops the frame as truncated
DEFAULT_BAUD = 1_000_000       # every listed board's USB-UART bridge (FT2232H, FT231X, FT232H) runs this reliably


class Cmd(IntEnum):
    """Command codes. Replies carry ``cmd | REPLY``; ``ERROR``, ``SPIKE``, ``TRACE`` come from the board only."""
    IDENTIFY = 0x01
    WRITE_INPUTS = 0x02
    RUN = 0x03
    READ_VOLTAGES = 0x04
    READ_COUNTERS = 0x05
    RESET = 0x06
    SPIKE = 0x10
    TRACE = 0x11
    ERROR = 0x7F


class Err(IntEnum):
    """Error codes carried by an ``ERROR`` frame (payload: code, then the CMD byte of the frame at fault)."""
    BAD_CRC = 1
    BAD_VERSION = 2
    UNKNOWN_COMMAND = 3
    TRUNCATED = 4
    OVERSIZED = 5
    BAD_LENGTH = 6
    BAD_NEURON = 7


class RunFlags(IntEnum):
    """Bits of the ``RUN`` flags byte."""
    PACED = 1        # one step per dt of the on-chip timer; a step not done by its deadline is counted as missed
    TRACE = 2        # send a TRACE frame (neuron, v) for every neuron after every step


# Link counters, in the order ``READ_COUNTERS`` returns them (u32 each, saturating). Each counter is read (and with
# the clear flag restarted from 0) in one cycle, just before its bytes are sent; the READ_COUNTERS frame itself
# counts in ``frames_ok`` once its reply has left.
COUNTERS = ("frames_ok", "bad_crc", "bad_version", "unknown_command", "truncated", "oversized", "bad_length",
            "bad_neuron", "garbage_bytes", "missed_deadlines")

# The IDENTIFY reply, in order: (name, struct code). Everything the host needs to refuse a mismatched bitstream.
IDENTITY_FIELDS = (
    ("version", "B"), ("neurons", "I"), ("W", "B"), ("F", "B"), ("S", "B"), ("G", "I"),
    ("VREST", "i"), ("VRESET", "i"), ("VTH", "i"), ("NREF", "I"), ("subtract", "B"),
    ("mul_stages", "B"), ("spike_fifo_depth", "H"), ("step_bits", "B"), ("clock_hz", "I"), ("dt_cycles", "I"),
)

# The step field of SPIKE and TRACE frames: the core's step number, modulo 2**STEP_BITS.
_STEP = {16: "H", 32: "I"}[STEP_BITS]

# Fixed-size payloads as struct formats (little-endian); "*" marks a repeated tail of the given item.
PAYLOADS = {
    Cmd.IDENTIFY: "",
    Cmd.IDENTIFY | REPLY: "".join(code for _, code in IDENTITY_FIELDS),
    Cmd.WRITE_INPUTS: "I*i",             # first neuron, then one signed input (Q format) per neuron
    Cmd.WRITE_INPUTS | REPLY: "I",       # inputs written
    Cmd.RUN: "IB",                       # steps, RunFlags
    Cmd.RUN | REPLY: "III",              # steps run, deadlines missed, SPIKE frames sent in this run
    Cmd.READ_VOLTAGES: "IH",             # first neuron, count
    Cmd.READ_VOLTAGES | REPLY: "I*i",    # first neuron, then one v per neuron (Q format)
    Cmd.READ_COUNTERS: "B",              # 1: clear after reading
    Cmd.READ_COUNTERS | REPLY: "I" * len(COUNTERS),
    Cmd.RESET: "",
    Cmd.RESET | REPLY: "",
    Cmd.SPIKE: _STEP + "I",              # step mod 2**STEP_BITS, neuron
    Cmd.TRACE: _STEP + "Ii",             # step mod 2**STEP_BITS, neuron, v
    Cmd.ERROR: "BB",                     # Err code, CMD byte of the frame at fault (0 when unknown)
}

SPIKE_EVENT_BYTES = FRAME_OVERHEAD + struct.calcsize("<" + PAYLOADS[Cmd.SPIKE])


def event_rate_per_s(baud, bits_per_byte=10):
    """Spike events per second the link carries at ``baud`` (8N1: 10 bits a byte), one SPIKE frame each."""
    return baud / bits_per_byte / SPIKE_EVENT_BYTES


def crc16(data, crc=0xFFFF):
    """CRC-16/CCITT-FALSE of ``data`` (bytes), continuing from ``crc``."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _split(fmt):
    """``"I*i"`` -> ``("I", "i")`` (fixed head, repeated item); ``"IB"`` -> ``("IB", None)``."""
    head, star, item = fmt.partition("*")
    return head, (item if star else None)


def pack_payload(cmd, *values):
    """Pack ``values`` for ``cmd`` following ``PAYLOADS``; a repeated tail takes the values after the head."""
    head, item = _split(PAYLOADS[cmd])
    tail = len(values) - len(head)
    if tail < 0 or (item is None and tail):
        raise ValueError(f"{cmd:#04x}: {len(values)} values for the fields {PAYLOADS[cmd]!r}")
    return struct.pack("<" + head + (item or "") * tail, *values)


def unpack_payload(cmd, payload):
    """The inverse of :func:`pack_payload`; ``ValueError`` when the length does not fit ``cmd``."""
    head, item = _split(PAYLOADS[cmd])
    fixed = struct.calcsize("<" + head)
    if item is None:
        if len(payload) != fixed:
            raise ValueError(f"{cmd:#04x}: payload of {len(payload)} bytes, {fixed} expected")
        return struct.unpack("<" + head, payload)
    size = struct.calcsize("<" + item)
    if len(payload) < fixed or (len(payload) - fixed) % size:
        raise ValueError(f"{cmd:#04x}: payload of {len(payload)} bytes is not {fixed} + k * {size}")
    return struct.unpack("<" + head + item * ((len(payload) - fixed) // size), payload)


@dataclass(frozen=True)
class Frame:
    cmd: int
    payload: bytes = b""
    version: int = VERSION


def encode_frame(cmd, payload=b"", version=VERSION):
    """The bytes of one frame."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes([version, cmd]) + struct.pack("<H", len(payload)) + bytes(payload)
    return bytes([SOF]) + body + struct.pack(">H", crc16(body))


class FrameDecoder:
    """Turns a byte stream into frames, resynchronising after garbage or a bad frame (the host's side of the
    link; the gateware implements the same states). ``feed(data)`` returns the good frames completed by
    ``data``; rejected frames are counted in ``errors`` (keys as ``Err`` names, plus ``garbage_bytes``)."""

    def __init__(self):
        self._buf = bytearray()
        self.errors = {"garbage_bytes": 0, **{e.name.lower(): 0 for e in Err}}

    def feed(self, data):
        self._buf += data
        frames = []
        while True:
            start = self._buf.find(SOF)
            if start < 0:
                self.errors["garbage_bytes"] += len(self._buf)
                self._buf.clear()
                return frames
            if start:
                self.errors["garbage_bytes"] += start
                del self._buf[:start]
            if len(self._buf) < HEADER_BYTES:
                return frames
            length = struct.unpack_from("<H", self._buf, 3)[0]
            if length > MAX_PAYLOAD:
                self.errors["oversized"] += 1
                del self._buf[:1]                   # look for the next SOF after this one
                continue
            total = HEADER_BYTES + length + CRC_BYTES
            if len(self._buf) < total:
                return frames
            body = bytes(self._buf[1:HEADER_BYTES + length])
            (crc,) = struct.unpack_from(">H", self._buf, HEADER_BYTES + length)
            if crc16(body) != crc:
                self.errors["bad_crc"] += 1
                del self._buf[:1]
                continue
            del self._buf[:total]
            frames.append(Frame(cmd=body[1], payload=body[4:], version=body[0]))

    @property
    def pending(self):
        """Bytes held while a frame is incomplete."""
        return len(self._buf)
