# SPDX-License-Identifier: BSD-2-Clause
"""Lanes (P datapaths side by side) and the SPRAM and DP16KD storages in Icarus Verilog and Verilator, against the
golden model and the cycle-timing model. The SPRAM arrays instantiate SB_SPRAM256KA, simulated with the behavioural
model ``lifgen/sim/models/SB_SPRAM256KA.v`` (X on the data output after a write, so a read the core wrongly used
would show); the DP16KD arrays DP16KD and FD1S3AX (``DP16KD.v``: X when a block reads the word written at the same
edge)."""

import numpy as np
import pytest

from lifgen.golden import timing
from lifgen.params import CoreConfig, CoreTiming, LIFParams, index_bits
from lifgen.sim.harness import RTLConfig, run_rtl
from lifgen.sim.scoreboard import assert_match

from test_rtl_cocotb import golden_for, random_input

# (neurons, lanes, storage, read_stages, mul_stages, add_stages, sim): partial last groups, P a power of two or
# not, every storage, every pipeline depth; dp16kd also a cascade three blocks deep (2,100 rows of 16-bit u in
# 1024 x 18 blocks, behind the read multiplexer); bram in banks with a register each before the bank multiplexer
LAYOUTS = [
    (37, 2, "bram", 0, 1, 0, "icarus"),
    (37, 3, "bram", 1, 0, 2, "icarus"),
    (50, 6, "bram", 2, 2, 2, "verilator"),
    (16, 8, "bram", 0, 3, 1, "icarus"),
    (5, 8, "bram", 0, 1, 0, "icarus"),
    (37, 1, "spram", 0, 1, 0, "icarus"),
    (64, 1, "spram", 0, 2, 2, "verilator"),
    (20, 1, "spram", 1, 3, 1, "icarus"),
    (20, 1, "bram", 2, 2, 1, "icarus"),
    (37, 1, "dp16kd", 0, 1, 0, "icarus"),
    (37, 3, "dp16kd", 1, 0, 2, "icarus"),
    (50, 6, "dp16kd", 2, 2, 2, "verilator"),
    (61, 6, "dp16kd", 0, 3, 1, "icarus"),
    (30, 4, "dp16kd", 1, 1, 1, "verilator"),
    (2100, 1, "dp16kd", 1, 2, 1, "verilator"),
    (2100, 1, "bram", 1, 2, 1, "verilator"),          # banks of 1024 rows (CoreTiming.banked): 1024, 1024, 52
    (3100, 1, "bram", 2, 1, 1, "verilator"),          # four banks, the last of 28 rows
    (40, 1, "spram", 2, 6, 3, "verilator"),           # every adder cut into pieces (the UP5K's deepest pipeline)
    (29, 2, "bram", 0, 5, 3, "icarus"),
    (37, 3, "dp16kd", 1, 4, 3, "icarus"),
]
IDS = [f"N{n}-P{p}-{s}-rd{r}-mul{m}-add{a}-{sim}" for n, p, s, r, m, a, sim in LAYOUTS]


@pytest.mark.parametrize("neurons, lanes, storage, read_stages, mul_stages, add_stages, sim", LAYOUTS, ids=IDS)
def test_lanes_exact_event_cycles(neurons, lanes, storage, read_stages, mul_stages, add_stages, sim):
    """Consumer always ready: results bit exact, and every accept and spike event in the cycle the timing model
    predicts, including the queue that forms when a group's lanes spike together."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, t_ref_ms=0.0 if storage == "bram" else 1.0)
    c = params.fixed
    u = c.q(1.0) * np.linspace(90, 10, neurons).round().astype(np.int64)
    steps = 80
    cfg = RTLConfig(params, neurons, CoreConfig(lanes=lanes, storage=storage, mul_stages=mul_stages,
                                                add_stages=add_stages, read_stages=read_stages), sim=sim)
    # L: issue (CoreTiming.ISSUE_CYCLES: the decision, then the row presented), the read (SPRAM 4 cycles: its inputs pass two registers, its outputs one; P not a power of two
    # 3: registered, divided, registered; else 1; DP16KD 5: two hops of copies, the block, its output register, a
    # register beside it, and with P not a power of two 1 + ceil(A / 3) more: registered, then divided three bits
    # per cycle), the pipeline registers, and with SPRAM one more register when needed to make the read-to-write
    # distance L - ISSUE_CYCLES odd
    pow2 = lanes not in (3, 6)
    read = {"spram": 4, "bram": 1 if pow2 else 3, "dp16kd": 5 if pow2 else 6 + -(-index_bits(neurons) // 3)}[storage]
    spram_extra = (read + read_stages + mul_stages + add_stages + 1) % 2 if storage == "spram" else 0
    issue = CoreTiming.ISSUE_CYCLES
    assert issue == 2
    assert cfg.timing.latency == issue + read + read_stages + mul_stages + add_stages + spram_extra
    assert storage != "spram" or (cfg.timing.latency - issue) % 2 == 1
    rtl = run_rtl(cfg, u, steps, prestep=1)
    ref = golden_for(params, u, steps, prestep=1)
    assert_match(ref, rtl)
    tm = cfg.timing
    assert tm.groups == -(-neurons // lanes) and len(ref.spikes) > 50
    assert rtl.accept_cycles[0] == tm.clear_cycles
    first = int(rtl.accept_cycles[1])
    np.testing.assert_array_equal(rtl.accept_cycles[1:], timing.accept_cycles(tm, steps, first))
    spikes = ref.spikes.copy()
    spikes[:, 0] -= 1
    predicted = timing.event_cycles(tm, spikes, first)
    np.testing.assert_array_equal(rtl.spike_cycles, predicted)
    if lanes > 1:       # the model's queue was exercised: some events left later than commit + FIFO latency
        assert (predicted > timing.commit_cycles(tm, spikes, first) + tm.fifo_latency).any()
    assert rtl.busy_cycles == tm.clear_cycles + (steps + 1) * (tm.step_cycles - 1)


@pytest.mark.parametrize("neurons, lanes, storage, reset, t_ref_ms, sim", [
    (29, 4, "bram", "subtract", 0.5, "icarus"),
    (31, 6, "bram", "value", 1.0, "verilator"),
    (33, 1, "spram", "value", 2.0, "icarus"),
    (33, 1, "spram", "subtract", 0.0, "verilator"),
    (29, 4, "dp16kd", "subtract", 0.5, "icarus"),
    (31, 6, "dp16kd", "value", 1.0, "verilator"),
])
def test_lanes_trace_and_backpressure(neurons, lanes, storage, reset, t_ref_ms, sim):
    """Random inputs over the whole Q range (both rails), random ready on both streams, random gaps between input
    writes, 2-entry FIFOs: every spike and every voltage as the golden model says, in order."""
    params = LIFParams(tau_ms=2.0, dt_ms=0.5, reset=reset, v_reset_mv=-68.0, t_ref_ms=t_ref_ms)
    steps = 60
    u = random_input(params, steps, neurons, seed=neurons + lanes, rewrite_every=5)
    u[:, 2:12] = params.fixed.q(100.0)
    cfg = RTLConfig(params, neurons, CoreConfig(trace=True, lanes=lanes, storage=storage, spike_fifo_depth=2,
                                                trace_fifo_depth=2), sim=sim)
    rtl = run_rtl(cfg, u, steps, spikes_stall=150, trace_stall=90, cur_gap=0.3, seed=neurons)
    ref = golden_for(params, u, steps)
    report = assert_match(ref, rtl)
    assert report["events_golden"] > 100 and report["trace_values_compared"] == steps * neurons
    tm = cfg.timing
    assert rtl.busy_cycles > tm.clear_cycles + steps * (tm.step_cycles - 1) * 1.5     # the stalls happened
