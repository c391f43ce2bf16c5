# SPDX-License-Identifier: BSD-2-Clause
"""The host-link protocol (lifgen.protocol): payload round trips, framing, resynchronisation, and the CRC of the
gateware (amaranth.lib.crc, as lifgen.boards.link uses it) against the host's on random data."""

import random
import struct

import pytest
from amaranth.lib.crc.catalog import CRC16_CCITT_FALSE
from amaranth.sim import Simulator

from lifgen import protocol as P


def test_crc_check_value():
    assert P.crc16(b"123456789") == 0x29B1           # the catalogue's check value for CRC-16/CCITT-FALSE


def random_values(cmd, rng):
    fmt = P.PAYLOADS[cmd]
    head, _, item = fmt.partition("*")
    codes = head + item * (rng.randrange(0, 40) if item else 0)
    bounds = {"B": (0, 255), "H": (0, 65535), "I": (0, 2**32 - 1), "i": (-2**31, 2**31 - 1)}
    return [rng.randint(*bounds[c]) for c in codes]


@pytest.mark.parametrize("cmd", list(P.PAYLOADS), ids=lambda c: f"{c:#04x}")
def test_payload_and_frame_round_trips(cmd):
    rng = random.Random(cmd)
    for _ in range(50):
        values = random_values(cmd, rng)
        payload = P.pack_payload(cmd, *values)
        assert list(P.unpack_payload(cmd, payload)) == values
        frame = P.encode_frame(cmd, payload)
        assert frame[0] == P.SOF and len(frame) == P.FRAME_OVERHEAD + len(payload)
        assert P.crc16(frame[1:]) == 0                  # the residue the gateware checks
        (decoded,) = P.FrameDecoder().feed(frame)
        assert (decoded.cmd, decoded.payload, decoded.version) == (cmd, payload, P.VERSION)


def test_unpack_refuses_wrong_lengths():
    with pytest.raises(ValueError):
        P.unpack_payload(P.Cmd.RUN, b"\x01\x02")
    with pytest.raises(ValueError):
        P.unpack_payload(P.Cmd.WRITE_INPUTS, b"\x00\x00\x00\x00\x01")
    with pytest.raises(ValueError):
        P.encode_frame(P.Cmd.WRITE_INPUTS, bytes(P.MAX_PAYLOAD + 1))


def test_decoder_resynchronises_and_counts():
    rng = random.Random(7)
    good = [P.encode_frame(P.Cmd.SPIKE, P.pack_payload(P.Cmd.SPIKE, k, 3 * k)) for k in range(20)]
    bad = bytearray(good[5])
    bad[7] ^= 1
    stream = b"\x00\x11" + b"".join(good[:5]) + bytes(bad) + b"".join(good[6:])
    decoder = P.FrameDecoder()
    frames = []
    pos = 0
    while pos < len(stream):                        # arbitrary chunking, as a serial port delivers bytes
        step = rng.randrange(1, 9)
        frames += decoder.feed(stream[pos:pos + step])
        pos += step
    assert [P.unpack_payload(f.cmd, f.payload)[0] for f in frames] == [k for k in range(20) if k != 5]
    assert decoder.errors["bad_crc"] == 1 and decoder.errors["garbage_bytes"] >= 2 and decoder.pending == 0


def test_link_budget_figures():
    assert P.SPIKE_EVENT_BYTES == 13
    assert round(P.event_rate_per_s(1_000_000)) == 7692


def test_gateware_crc_equals_host_crc_on_random_data():
    """amaranth.lib.crc's CRC16_CCITT_FALSE processor, fed byte by byte as the frame engine feeds it, ends with
    the host's CRC, and with match_detected after the CRC bytes; on 40 random messages."""
    rng = random.Random(2026)
    messages = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60))) for _ in range(40)]
    dut = CRC16_CCITT_FALSE(data_width=8).create()
    seen = []

    async def bench(ctx):
        for msg in messages:
            crc = P.crc16(msg)
            for k, byte in enumerate(msg + struct.pack(">H", crc)):
                ctx.set(dut.start, k == 0)
                ctx.set(dut.data, byte)
                ctx.set(dut.valid, 1)
                await ctx.tick()
                if k == len(msg) - 1:
                    ctx.set(dut.valid, 0)
                    ctx.set(dut.start, 0)
                    seen.append((ctx.get(dut.crc), crc))
            ctx.set(dut.valid, 0)
            ctx.set(dut.start, 0)
            await ctx.tick()
            seen.append((ctx.get(dut.match_detected), 1))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert len(seen) == 2 * len(messages)
    assert all(got == want for got, want in seen), [s for s in seen if s[0] != s[1]][:3]
