# SPDX-License-Identifier: BSD-2-Clause
"""cocotb test module that drives the ``lif_tb`` wrapper through a stimulus file.

Loaded by the simulator (``lifgen.sim.harness`` passes it as the runner's ``test_module``); the
stimulus is a JSON file named by the ``LIFGEN_STIMULUS`` environment variable::

    {"seed": s, "cur_gap": p, "spikes_stall": k, "trace_stall": k, "timeout_cycles": C, "prestep": k0,
     "check_x_cycles": X, "segments": [{"writes": [payload, ...], "steps": k}, ...]}

Each write is a ``cur`` payload already packed by the harness (``lifgen.hw.layouts.cur_layout``).

``check_x_cycles``: for this many cycles after reset release every output of the array is checked
for X/Z (Python wakes every cycle only then). ``prestep`` steps are requested while reset is still
asserted, so the first of them is accepted in the very cycle the post-reset clear ends (they run
with u = 0): this pins the clear's duration.

For each segment the driver writes the inputs through the ``cur`` stream (with probability
``cur_gap`` a cycle with ``valid`` low before each write), raises ``step_target`` by ``steps`` and
waits for ``idle``. Python wakes only for the writes and once per segment: the wrapper runs the
steps and logs the results (see ``lifgen.sim.wrapper``).
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, with_timeout

CLOCK_NS = 10


async def _wait_idle(dut, timeout_cycles):
    async def wait():
        while not dut.idle.value:
            await RisingEdge(dut.idle)
            await FallingEdge(dut.clk)
    await with_timeout(wait(), timeout_cycles * CLOCK_NS, "ns")


def _outputs(dut):
    """Every output port of the array under test (inside the wrapper)."""
    core = dut.dut
    names = ["busy", "cur__ready", "spikes__valid", "spikes__payload"]
    if _has_trace(dut):
        names += ["trace__valid", "trace__payload"]
    return [(name, getattr(core, name)) for name in names]


def _has_trace(dut):
    try:
        dut.dut.trace__valid
    except AttributeError:
        return False
    return True


async def _check_no_x(dut, cycles):
    """Assert that no output of the array is X or Z in the first ``cycles`` cycles after reset."""
    outputs = _outputs(dut)
    for k in range(cycles):
        for name, handle in outputs:
            assert handle.value.is_resolvable, f"{name} = {handle.value} in cycle {k} after reset"
        await FallingEdge(dut.clk)


@cocotb.test()
async def run_stimulus(dut):
    with open(os.environ["LIFGEN_STIMULUS"]) as f:
        stim = json.load(f)
    rng = random.Random(stim["seed"])
    timeout = stim["timeout_cycles"]

    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    dut.rst.value = 1
    target = stim.get("prestep", 0)
    dut.step_target.value = target
    dut.cur__valid.value = 0
    dut.cur__payload.value = 0
    dut.spikes_stall.value = stim["spikes_stall"]
    dut.trace_stall.value = stim["trace_stall"]
    dut.seed.value = stim["seed"] & 0xFFFFFFFF
    dut.flush.value = 0
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await _check_no_x(dut, stim["check_x_cycles"])
    await _wait_idle(dut, timeout)          # post-reset clear (and the prestep steps)

    for seg in stim["segments"]:
        # Drive on falling edges; cur.ready depends only on registers, so the value seen here is the
        # one the next rising edge samples.
        for payload in seg["writes"]:
            while rng.random() < stim["cur_gap"]:
                dut.cur__valid.value = 0
                await FallingEdge(dut.clk)
            dut.cur__payload.value = payload
            dut.cur__valid.value = 1
            while True:
                ready = bool(dut.cur__ready.value)
                await FallingEdge(dut.clk)
                if ready:
                    break
        dut.cur__valid.value = 0
        target += seg["steps"]
        dut.step_target.value = target
        await FallingEdge(dut.clk)
        await _wait_idle(dut, timeout)

    dut.flush.value = 1
    await FallingEdge(dut.clk)
    dut.flush.value = 0
    await ClockCycles(dut.clk, 2)
