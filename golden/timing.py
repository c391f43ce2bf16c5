# SPDX-License-Identifier: BSD-2-Clause
"""Cycle-timing model of the RTL neuron array: predicts the cycle of every step and spike event.

Uses only :class:`lifgen.params.CoreTiming` (the RTL is built to the same definition). Cycle 0 is
the first clock cycle with reset released. For a run of back-to-back steps (``step`` held high)
whose first step is accepted in cycle ``first`` and whose consumers are always ready (no stall):

- step k of the run is accepted in cycle ``a_k = first + k * (N + L)``;
- neuron n of step k commits (state written, event pushed) in cycle ``a_k + L + n``;
- its spike event is transferred on ``spikes`` in cycle ``a_k + L + n + fifo_latency``.

With ``step`` already high when reset is released, ``first = clear_cycles`` (= N).
"""

import numpy as np

from lifgen.params import CoreTiming

__all__ = ["accept_cycles", "commit_cycles", "event_cycles"]


def _accept(timing, step, first):
    first = timing.clear_cycles if first is None else first
    return first + np.asarray(step, dtype=np.int64) * timing.step_cycles


def accept_cycles(timing: CoreTiming, steps: int, first: int | None = None):
    """Cycle in which each step 0..steps-1 of a back-to-back run is accepted."""
    return _accept(timing, np.arange(steps), first)


def commit_cycles(timing: CoreTiming, spikes, first: int | None = None):
    """Commit cycle of each (step, neuron) pair in ``spikes`` ([K, 2]); steps count from the run's first."""
    spikes = np.asarray(spikes, dtype=np.int64).reshape(-1, 2)
    return _accept(timing, spikes[:, 0], first) + timing.latency + spikes[:, 1]


def event_cycles(timing: CoreTiming, spikes, first: int | None = None):
    """Cycle in which each spike event is transferred on ``spikes`` (consumer always ready)."""
    return commit_cycles(timing, spikes, first) + timing.fifo_latency
