# SPDX-License-Identifier: BSD-2-Clause
"""The host-link gateware (``lifgen.boards.link.LinkedArray``) in Amaranth's simulator, at the byte level:
frames in, frames out, decoded with the host's ``lifgen.protocol.FrameDecoder``, against the golden model."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from lifgen import protocol as P
from lifgen.boards.link import LinkedArray
from lifgen.golden import fixed
from lifgen.params import CoreConfig, LIFParams


def exchange(params, neurons, frames, *, dt_cycles=60, byte_gap=3, tx_ready_every=1, config=CoreConfig()):
    """Send each frame (bytes) to a LinkedArray, byte by byte, waiting for the answer to go quiet before the
    next one; returns every frame the link sent and the host decoder (its error counts)."""
    dut = LinkedArray(params, neurons, config, clock_hz=1e6, dt_cycles=dt_cycles, byte_cycles=byte_gap + 1)
    out = bytearray()

    async def host(ctx):
        for frame in frames:
            for b in frame:
                ctx.set(dut.rx.payload, b)
                ctx.set(dut.rx.valid, 1)
                await ctx.tick()
                ctx.set(dut.rx.valid, 0)
                await ctx.tick().repeat(byte_gap)
            quiet, seen = 0, len(out)
            while quiet < 300:
                await ctx.tick()
                quiet, seen = (0, len(out)) if len(out) != seen else (quiet + 1, seen)

    async def sink(ctx):
        cycle = 0
        async for _, _, valid, payload in ctx.tick().sample(dut.tx.valid, dut.tx.payload):
            ready = cycle % tx_ready_every == 0
            if valid and ctx.get(dut.tx.ready):
                out.append(payload)
            ctx.set(dut.tx.ready, ready)
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(host)
    sim.add_testbench(sink, background=True)
    sim.run()
    decoder = P.FrameDecoder()
    return decoder.feed(bytes(out)), decoder


def frame(cmd, *values):
    return P.encode_frame(cmd, P.pack_payload(cmd, *values))


def split(frames):
    """(replies [(cmd, values)], spikes [(step, neuron)], trace [(step, neuron, v)])"""
    replies, spikes, trace = [], [], []
    for f in frames:
        values = P.unpack_payload(f.cmd, f.payload)
        {P.Cmd.SPIKE: spikes, P.Cmd.TRACE: trace}.get(f.cmd, replies).append(
            values if f.cmd in (P.Cmd.SPIKE, P.Cmd.TRACE) else (f.cmd, values))
    return replies, spikes, trace


PARAMS = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=1.0)


def test_run_with_trace_and_rewritten_inputs_matches_golden():
    c, n = PARAMS.fixed, 5
    u1 = np.array([c.q(x) for x in (80, 60, 40, 20, 0)])
    u2 = np.array([c.q(x) for x in (0, -30, 90, 45, 70)])
    frames, decoder = exchange(PARAMS, n, [
        frame(P.Cmd.WRITE_INPUTS, 0, *u1.tolist()), frame(P.Cmd.RUN, 12, P.RunFlags.TRACE),
        frame(P.Cmd.WRITE_INPUTS, 1, *u2[1:].tolist()), frame(P.Cmd.WRITE_INPUTS, 0, int(u2[0])),
        frame(P.Cmd.RUN, 10, P.RunFlags.TRACE | P.RunFlags.PACED), frame(P.Cmd.READ_VOLTAGES, 1, 4)],
        dt_cycles=400)             # a step's 5 trace frames take ~90 cycles: no deadline is missed
    replies, spikes, trace = split(frames)
    u = np.vstack([np.tile(u1, (12, 1)), np.tile(u2, (10, 1))])
    ref = fixed.run(c, u, 22, n, trace=True)
    assert len(ref.spikes) > 20
    assert [list(s) for s in spikes] == ref.spikes.tolist()
    assert np.array_equal(np.array([t[2] for t in trace]).reshape(22, n), ref.v_trace)
    assert [(t[0], t[1]) for t in trace] == [(s, k) for s in range(22) for k in range(n)]
    first_run = int((ref.spikes[:, 0] < 12).sum())           # the RUN reply counts the SPIKE frames sent
    assert replies == [(P.Cmd.WRITE_INPUTS | P.REPLY, (5,)), (P.Cmd.RUN | P.REPLY, (12, 0, first_run)),
                       (P.Cmd.WRITE_INPUTS | P.REPLY, (4,)), (P.Cmd.WRITE_INPUTS | P.REPLY, (1,)),
                       (P.Cmd.RUN | P.REPLY, (10, 0, len(ref.spikes) - first_run)),
                       (P.Cmd.READ_VOLTAGES | P.REPLY, (1, *ref.v_trace[-1, 1:].tolist()))]
    assert decoder.errors["garbage_bytes"] == 0 and decoder.errors["bad_crc"] == 0


def test_paced_run_counts_missed_deadlines_when_the_host_reads_slowly():
    """Every neuron spikes every step, the spike FIFO holds 2 events and the host takes a byte only every 40
    cycles: the core stalls, steps (a dt of 20 cycles) fall behind, late steps are counted, no event is lost."""
    n = 3
    fast = LIFParams(tau_ms=1.0, dt_ms=1.0)
    u = np.full(n, fast.fixed.vmax)
    frames, _ = exchange(fast, n, [frame(P.Cmd.WRITE_INPUTS, 0, *u.tolist()),
                                   frame(P.Cmd.RUN, 8, P.RunFlags.PACED)], dt_cycles=20, tx_ready_every=40,
                            config=CoreConfig(spike_fifo_depth=2))
    replies, spikes, _ = split(frames)
    ref = fixed.run(fast.fixed, u, 8, n)
    assert [list(s) for s in spikes] == ref.spikes.tolist()
    steps_run, missed, sent = replies[-1][1]
    assert steps_run == 8 and missed >= 5 and sent == len(ref.spikes)


def test_identify_reports_the_constants():
    frames, _ = exchange(PARAMS, 7, [frame(P.Cmd.IDENTIFY)])
    (cmd, values), = split(frames)[0]
    ident = dict(zip([name for name, _ in P.IDENTITY_FIELDS], values))
    c = PARAMS.fixed
    assert cmd == P.Cmd.IDENTIFY | P.REPLY
    assert (ident["neurons"], ident["W"], ident["G"], ident["VTH"], ident["NREF"]) == (7, c.W, c.G, c.VTH, c.NREF)


def corrupt(data, index):
    data = bytearray(data)
    data[index] ^= 0x10
    return bytes(data)


BAD = [   # (frame bytes, error code, counter)
    (corrupt(frame(P.Cmd.WRITE_INPUTS, 0, 100, 200), 8), P.Err.BAD_CRC, "bad_crc"),
    (corrupt(frame(P.Cmd.WRITE_INPUTS, 0, 100, 200), -1), P.Err.BAD_CRC, "bad_crc"),
    (P.encode_frame(P.Cmd.WRITE_INPUTS, P.pack_payload(P.Cmd.WRITE_INPUTS, 0, 100), version=2), P.Err.BAD_VERSION,
     "bad_version"),
    (P.encode_frame(0x42, b"\x01"), P.Err.UNKNOWN_COMMAND, "unknown_command"),
    (P.encode_frame(P.Cmd.WRITE_INPUTS, b"\x00\x00\x00\x00\x01\x02"), P.Err.BAD_LENGTH, "bad_length"),
    (frame(P.Cmd.WRITE_INPUTS, 2, 100, 200), P.Err.BAD_NEURON, "bad_neuron"),
    (bytes([P.SOF, 1, P.Cmd.WRITE_INPUTS, 0x01, 0x08]), P.Err.OVERSIZED, "oversized"),
    (frame(P.Cmd.WRITE_INPUTS, 0, 100, 200)[:9], P.Err.TRUNCATED, "truncated"),
]


@pytest.mark.parametrize("bad, code, counter", BAD, ids=[f"{c}-{k}" for k, (_, c, _) in enumerate(BAD)])
def test_bad_frame_is_rejected_counted_answered_and_changes_nothing(bad, code, counter):
    n = 3
    frames, _ = exchange(PARAMS, n, [b"\x00\x17" + bad, frame(P.Cmd.READ_VOLTAGES, 0, n),
                                     frame(P.Cmd.RUN, 3, P.RunFlags.TRACE), frame(P.Cmd.READ_COUNTERS, 1),
                                     frame(P.Cmd.READ_COUNTERS, 0)], byte_gap=1)
    replies, spikes, trace = split(frames)
    assert replies[0][0] == P.Cmd.ERROR and replies[0][1][0] == code
    # no state change: the inputs are still 0, so the run is the golden run with zero input
    ref = fixed.run(PARAMS.fixed, np.zeros(n, dtype=np.int64), 3, n, trace=True)
    assert replies[1] == (P.Cmd.READ_VOLTAGES | P.REPLY, (0, *[PARAMS.fixed.VREST] * n))
    assert [t[2] for t in trace] == ref.v_trace.reshape(-1).tolist() and spikes == []
    counts = dict(zip(P.COUNTERS, replies[3][1]))
    assert counts[counter] == 1 and counts["garbage_bytes"] >= 2 and counts["frames_ok"] == 2
    # READ_COUNTERS counts itself once its reply has left: the clearing one is the only frame since the clear
    after = dict(zip(P.COUNTERS, replies[4][1]))
    assert after["frames_ok"] == 1 and after[counter] == 0 and after["garbage_bytes"] == 0
