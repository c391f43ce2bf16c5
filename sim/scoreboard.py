# SPDX-License-Identifier: BSD-2-Clause
"""Scoreboard: compare an RTL run with the golden model, event by event, and describe the first mismatch."""

import numpy as np

__all__ = ["compare", "format_report", "assert_match"]


def _first_difference(a, b):
    n = min(len(a), len(b))
    diff = np.flatnonzero(np.any(a[:n] != b[:n], axis=1)) if n else np.array([], dtype=np.int64)
    if diff.size:
        return int(diff[0])
    return n if len(a) != len(b) else None


def compare(golden, rtl, params=None):
    """Compare two runs of the same input. ``golden``: the fixed model's result (``lifgen.models.ModelResult``
    or ``lifgen.golden.fixed.FixedResult``; with its integer trace for voltage checks); ``rtl``: the model under
    test (``ModelResult`` or ``lifgen.sim.harness.RTLResult``). Returns a JSON-ready report dict."""
    g, r = np.asarray(golden.spikes).reshape(-1, 2), np.asarray(rtl.spikes).reshape(-1, 2)
    report = {
        "events_golden": int(len(g)), "events_rtl": int(len(r)),
        "events_compared": int(min(len(g), len(r))),
        "spike_mismatches": int(np.sum(np.any(g[:min(len(g), len(r))] != r[:min(len(g), len(r))], axis=1)))
        + abs(len(g) - len(r)),
        "cycles": int(rtl.cycles or 0), "steps": int(golden.steps), "neurons": int(golden.neurons),
        "first_mismatch": None,
    }
    i = _first_difference(g, r)
    if i is not None:
        lo = max(0, i - 3)
        report["first_mismatch"] = {
            "kind": "spike", "index": i,
            "golden": g[i].tolist() if i < len(g) else None,
            "rtl": r[i].tolist() if i < len(r) else None,
            "golden_context": g[lo:i + 4].tolist(), "rtl_context": r[lo:i + 4].tolist(),
        }
    if golden.v_trace is not None and rtl.v_trace is not None:
        gv, rv = golden.v_trace, rtl.v_trace
        bad = np.argwhere(gv != rv)
        report["trace_values_compared"] = int(gv.size)
        report["trace_mismatches"] = int(len(bad))
        trace_order = getattr(rtl, "trace_order", None)
        order_ok = trace_order is None or np.array_equal(
            trace_order, np.stack(np.meshgrid(np.arange(golden.steps), np.arange(golden.neurons),
                                                  indexing="ij"), axis=-1).reshape(-1, 2))
        report["trace_order_ok"] = bool(order_ok)
        if len(bad) and report["first_mismatch"] is None:
            t, n = (int(x) for x in bad[0])
            report["first_mismatch"] = {
                "kind": "voltage", "step": t, "neuron": n, "golden": int(gv[t, n]), "rtl": int(rv[t, n]),
                "golden_context": gv[max(0, t - 2):t + 3, n].tolist(),
                "rtl_context": rv[max(0, t - 2):t + 3, n].tolist(),
            }
    report["match"] = (report["spike_mismatches"] == 0 and report.get("trace_mismatches", 0) == 0
                       and report.get("trace_order_ok", True))
    return report


def format_report(report, params=None, sim="rtl"):
    """One screen of text for ``lifgen verify``. ``sim`` names what ran (e.g. ``icarus``); the model under test
    comes from ``report["model"]`` when the model runner set it (else the RTL)."""
    model = {"rtl": "RTL", "board-sim": "simulated board", "board": "board"}.get(report.get("model", "rtl"))
    lines = [
        f"lifgen verify: golden (fixed) vs {model} ({sim}), {report['neurons']} neurons x {report['steps']} steps"
        + (f", {report['cycles']} cycles" if report["cycles"] else ""),
        f"  spike events   golden {report['events_golden']}, rtl {report['events_rtl']}, "
        f"compared {report['events_compared']}, mismatches {report['spike_mismatches']}",
    ]
    if "trace_values_compared" in report:
        lines.append(f"  voltages       compared {report['trace_values_compared']}, "
                     f"mismatches {report['trace_mismatches']}, order {'ok' if report['trace_order_ok'] else 'WRONG'}")
    fm = report["first_mismatch"]
    if fm is not None:
        if fm["kind"] == "spike":
            lines.append(f"  first mismatch: spike event #{fm['index']}: golden {fm['golden']} (step, neuron), "
                         f"rtl {fm['rtl']}")
        else:
            lines.append(f"  first mismatch: v of neuron {fm['neuron']} after step {fm['step']}: "
                         f"golden {fm['golden']}, rtl {fm['rtl']} (Q-format integers)")
        lines.append(f"    golden context {fm['golden_context']}")
        lines.append(f"    rtl context    {fm['rtl_context']}")
    lines.append("  MATCH: bit-exact" if report["match"] else "  MISMATCH")
    return "\n".join(lines)


def assert_match(golden, rtl, params=None):
    """For tests: raise AssertionError with the formatted report unless everything matches."""
    report = compare(golden, rtl, params)
    assert report["match"], format_report(report, params)
    return report
