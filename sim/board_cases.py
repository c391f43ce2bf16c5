# SPDX-License-Identifier: BSD-2-Clause
"""Constrained-random differential testing of the simulated board through the host driver: what
``lifgen.sim.differential`` does for the bare array, done end to end (``lifgen.host.Board`` -> socket -> UART
bits -> board top in a simulator) with runs, inputs rewritten between them, paced and fast, traced or not.

:func:`board_case_strategy` draws a :class:`BoardCase`: a ``differential.Case`` (parameters, N, lanes, storage,
pipeline depth, FIFO depths, input schedule; drawn by ``differential.case_strategy``) plus the runs its steps
are cut into, each paced or fast, traced or not. The inputs hold within a run (the board's inputs change only
between commands), taken from the case's schedule at each run's first step. :func:`run_board_case` runs it on
a fresh :class:`~lifgen.sim.board.SimulatedBoard` and compares every spike (absolute step and neuron), every
traced voltage and the final voltages with ``lifgen.golden.fixed``.
"""

import json
from dataclasses import asdict, dataclass

import numpy as np

from lifgen.golden import fixed

from .board import SimulatedBoard
from .differential import Case, case_strategy, make_input

__all__ = ["BoardCase", "board_case_strategy", "run_board_case", "schedule"]

SIM_TIMEOUT_S = 300.0          # the simulated board is slow, not dead


@dataclass(frozen=True)
class BoardCase:
    case: Case
    runs: tuple            # ((steps, paced, trace), ...), summing to case.steps

    def to_json(self):
        return json.dumps({"case": asdict(self.case), "runs": self.runs}, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(Case(**data["case"]), tuple(tuple(r) for r in data["runs"]))


def board_case_strategy(sims=("icarus",), max_neurons=8, max_steps=30, max_runs=4):
    """A hypothesis strategy of :class:`BoardCase`. Imports hypothesis when called."""
    from hypothesis import strategies as st

    @st.composite
    def cases(draw):
        case = draw(case_strategy(sims=sims, max_neurons=max_neurons, max_steps=max_steps))
        case = Case(**{**asdict(case), "spikes_stall": 0, "trace_stall": 0, "cur_gap": 0.0,
                       "core": {**case.core, "trace": False}})     # the board adds the trace stream itself
        cuts = sorted(set(draw(st.lists(st.integers(1, max(1, case.steps - 1)), max_size=max_runs - 1))))
        edges = [0, *[c for c in cuts if c < case.steps], case.steps]
        runs = tuple((b - a, draw(st.booleans()), draw(st.booleans())) for a, b in zip(edges, edges[1:]))
        return BoardCase(case, runs)

    return cases()


def schedule(bc: BoardCase):
    """The [steps, N] integer inputs the board sees: the case's schedule held within each run."""
    case = bc.case
    u = np.asarray(make_input(case), dtype=np.int64)
    u = np.broadcast_to(u, (case.steps, case.neurons)) if u.ndim == 1 else u
    held = np.empty_like(u)
    start = 0
    for steps, _, _ in bc.runs:
        held[start:start + steps] = u[start]
        start += steps
    return held


def run_board_case(bc: BoardCase):
    """Run ``bc`` on a simulated board through the host driver and against the golden model; a report dict
    with ``match`` and the counts compared."""
    from lifgen.host import Board     # the driver, as a user's script would

    case = bc.case
    lif, n = case.lif, case.neurons
    u = schedule(bc)
    ref = fixed.run(lif.fixed, u, case.steps, n, trace=True)
    spikes, mismatches, voltages = [], [], 0
    with SimulatedBoard(lif, n, case.config, sim=case.sim) as sim, \
            Board.open(sim.url, timeout=SIM_TIMEOUT_S, partial_timeout=SIM_TIMEOUT_S) as board:
        board.check_identity(lif.fixed, n, mul_stages=case.config.mul_stages)
        start = 0
        for steps, paced, trace in bc.runs:
            board.write_inputs(u[start])
            res = board.run(steps, paced=paced, trace=trace)
            if res.first_step != start:
                mismatches.append(f"run from step {start} reports first step {res.first_step}")
            spikes.append(res.spikes)
            if trace:
                voltages += res.v_trace.size
                bad = np.argwhere(res.v_trace != ref.v_trace[start:start + steps])
                if len(bad):
                    t, k = bad[0]
                    mismatches.append(f"v of neuron {k} after step {start + t}: board {res.v_trace[t, k]}, "
                                      f"golden {ref.v_trace[start + t, k]}")
            start += steps
        final = board.read_voltages()
        counters = board.read_counters()
    got = np.concatenate(spikes) if spikes else np.zeros((0, 2), dtype=np.int64)
    if not np.array_equal(got, ref.spikes):
        mismatches.append(f"spikes: board {len(got)}, golden {len(ref.spikes)}; first difference "
                          f"{_first_difference(got, ref.spikes)}")
    if not np.array_equal(final, ref.v_trace[-1]):
        mismatches.append(f"final voltages: board {final.tolist()}, golden {ref.v_trace[-1].tolist()}")
    link_faults = {k: v for k, v in counters.items() if k not in ("frames_ok", "missed_deadlines") and v}
    if link_faults:
        mismatches.append(f"the link counted faults: {link_faults}")
    return {"match": not mismatches, "mismatches": mismatches, "steps": case.steps, "runs": len(bc.runs),
            "spikes": int(len(ref.spikes)), "voltages": voltages + n,
            "missed_deadlines": counters["missed_deadlines"]}


def _first_difference(a, b):
    for k in range(max(len(a), len(b))):
        x = tuple(a[k]) if k < len(a) else None
        y = tuple(b[k]) if k < len(b) else None
        if x != y:
            return f"event {k}: board {x}, golden {y}"
    return "none"
