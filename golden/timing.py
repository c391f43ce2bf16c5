# SPDX-License-Identifier: BSD-2-Clause
"""Cycle-timing model of the RTL neuron array: predicts the cycle of every step and spike event.

Uses only :class:`lifgen.params.CoreTiming` (the RTL is built to the same definition). Cycle 0 is
the first clock cycle with reset released. With P lanes, group g holds neurons g*P .. g*P + P - 1 and
G = ceil(N / P) groups make a step. For a run of back-to-back steps (``step`` held high) whose first step
is accepted in cycle ``first`` and whose consumers are always ready (no output stream throttled):

- step k of the run is accepted in cycle ``a_k = first + k * (G + L)``;
- neuron n of step k commits (state written, event pushed) in cycle ``a_k + L + n // P``;
- spike events leave one per cycle, in (step, neuron) order: event i (in that order) is transferred in cycle
  ``e_i = max(commit_i + fifo_latency, e_(i-1) + 1)``. With one lane commits are at least a cycle apart, so
  ``e_i = commit_i + fifo_latency``; with lanes, the spikes of one group (committed together) and of groups that
  follow closely queue behind each other.

With ``step`` already high when reset is released, ``first = clear_cycles``.
"""

import numpy as np

from lifgen.params import CoreTiming

__all__ = ["accept_cycles", "commit_cycles", "event_cycles", "event_cycles_after"]


def _accept(timing, step, first):
    first = timing.clear_cycles if first is None else first
    return first + np.asarray(step, dtype=np.int64) * timing.step_cycles


def accept_cycles(timing: CoreTiming, steps: int, first: int | None = None):
    """Cycle in which each step 0..steps-1 of a back-to-back run is accepted."""
    return _accept(timing, np.arange(steps), first)


def commit_cycles(timing: CoreTiming, spikes, first: int | None = None):
    """Commit cycle of each (step, neuron) pair in ``spikes`` ([K, 2]); steps count from the run's first."""
    spikes = np.asarray(spikes, dtype=np.int64).reshape(-1, 2)
    return _accept(timing, spikes[:, 0], first) + timing.latency + spikes[:, 1] // timing.lanes


def event_cycles(timing: CoreTiming, spikes, first: int | None = None):
    """Cycle in which each spike event is transferred on ``spikes`` (consumer always ready); ``spikes`` in
    (step, neuron) order, as the golden model gives them."""
    ready = commit_cycles(timing, spikes, first) + timing.fifo_latency
    # e_i = max(ready_i, e_(i-1) + 1)  <=>  e_i - i = running maximum of (ready_j - j)
    i = np.arange(len(ready), dtype=np.int64)
    return i + np.maximum.accumulate(ready - i) if len(ready) else ready


def event_cycles_after(timing: CoreTiming, spikes, accepts):
    """Like :func:`event_cycles`, for steps accepted in the given cycles (``accepts[k]``: step k), e.g. with input
    writes between steps: neuron n of step k commits in ``accepts[k] + L + n // P``, and events queue as above."""
    spikes = np.asarray(spikes, dtype=np.int64).reshape(-1, 2)
    ready = np.asarray(accepts, dtype=np.int64)[spikes[:, 0]] + timing.latency + spikes[:, 1] // timing.lanes \
        + timing.fifo_latency
    i = np.arange(len(ready), dtype=np.int64)
    return i + np.maximum.accumulate(ready - i) if len(ready) else ready
