# SPDX-License-Identifier: BSD-2-Clause
"""The harness's own logic, without a simulator: payload encoding, the event-log reader, the input schedule."""

import numpy as np
import pytest

from lifgen.errors import ToolError
from lifgen.hw.layouts import cur_layout, decode_array, encode, spike_layout, trace_layout
from lifgen.params import STEP_BITS, CoreConfig, LIFParams
from lifgen.sim.harness import RTLConfig, parse_log, schedule_from_input


@pytest.mark.parametrize("layout", [cur_layout(37, 16), spike_layout(1000), trace_layout(3, 20), cur_layout(1, 4)],
                         ids=["cur", "spike", "trace", "tiny"])
def test_decode_array_equals_amaranth_from_bits(layout):
    rng = np.random.default_rng(layout.size)
    words = rng.integers(0, 1 << layout.size, size=300)
    decoded = decode_array(layout, words)
    for k, word in enumerate(words):
        ref = layout.from_bits(int(word))
        for name, _ in layout:
            assert decoded[name][k] == getattr(ref, name), (name, int(word))


def test_encode_is_the_inverse_of_decode():
    layout = cur_layout(37, 16)
    words = [encode(layout, neuron=n, u=u) for n, u in [(0, -32768), (36, 32767), (5, -1)]]
    d = decode_array(layout, words)
    assert d["neuron"].tolist() == [0, 36, 5] and d["u"].tolist() == [-32768, 32767, -1]


CFG = RTLConfig(LIFParams(), 3, CoreConfig(trace=True))      # 2-bit indices: neuron 3 can be written
SPK, TRC = spike_layout(3), trace_layout(3, 16)


def log_text(extra=()):
    lines = ["A 4"]
    for n in range(3):
        lines.append(f"T {7 + n} {encode(TRC, neuron=n, v=-100 * n)}")
    lines.append(f"S 9 {encode(SPK, neuron=2, step=0)}")
    lines += list(extra)
    lines.append("E 20 12")
    return "\n".join(lines) + "\n"


def test_parse_log_reads_a_good_log():
    res = parse_log(CFG, log_text(), steps=1)
    assert res.spikes.tolist() == [[0, 2]] and res.spike_cycles.tolist() == [9]
    assert res.v_trace.tolist() == [[0, -100, -200]] and res.accept_cycles.tolist() == [4]
    assert (res.cycles, res.busy_cycles) == (20, 12)


def test_parse_log_unwraps_the_step_field():
    cfg = RTLConfig(LIFParams(), 3)
    top = (1 << STEP_BITS) - 1
    text = f"S 1 {encode(SPK, neuron=1, step=top)}\nS 2 {encode(SPK, neuron=1, step=0)}\nE 3 0\n"
    assert parse_log(cfg, text, steps=1).spikes[:, 0].tolist() == [top, top + 1]


@pytest.mark.parametrize("bad, words", [
    ("S 9", "malformed"),
    ("S 9 x", "malformed"),
    ("Q 1 2", "malformed"),
    ("S -1 5", "malformed"),
    (f"S 9 {encode(SPK, neuron=3, step=0)}", "neuron 3 of a 3-neuron array"),
    (f"T 9 {encode(TRC, neuron=3, v=0)}", "neuron 3 of a 3-neuron array"),
])
def test_parse_log_rejects_what_it_cannot_trust(bad, words):
    with pytest.raises(ToolError, match=words):
        parse_log(CFG, log_text([bad]), steps=1)


def test_parse_log_rejects_a_truncated_log():
    with pytest.raises(ToolError, match="did not finish"):
        parse_log(CFG, log_text().replace("E 20 12\n", ""), steps=1)
    with pytest.raises(ToolError, match="expected 6 trace events"):
        parse_log(CFG, log_text(), steps=2)


def test_schedule_writes_only_changes():
    u = np.array([[0, 5], [0, 5], [3, 5], [3, 5]])
    assert schedule_from_input(u, 4) == [{"writes": [[1, 5]], "steps": 2}, {"writes": [[0, 3]], "steps": 2}]
    assert schedule_from_input(np.array([0, 7]), 9) == [{"writes": [[1, 7]], "steps": 9}]
