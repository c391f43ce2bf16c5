# SPDX-License-Identifier: BSD-2-Clause
"""Rates from spike lists: shared by the CLI, the demo, the tests and the RTL comparison."""

import numpy as np

__all__ = ["mean_rate_hz", "isi_rate_hz"]


def mean_rate_hz(spikes, neurons, steps, dt_ms):
    """Spike count per neuron divided by the simulated time (Hz). ``spikes`` is [K, 2] (step, neuron)."""
    spikes = np.asarray(spikes, dtype=np.int64).reshape(-1, 2)
    counts = np.bincount(spikes[:, 1], minlength=neurons)[:neurons]
    duration_s = steps * dt_ms / 1000.0
    return counts / duration_s if duration_s > 0 else np.zeros(neurons)


def isi_rate_hz(spikes, neurons, steps, dt_ms):
    """Steady-state rate: 1 / mean interspike interval, for neurons with at least two spikes.

    A neuron with one spike gets count / duration, with none 0. This is the estimate to compare
    with the analytic f-I curve, which describes periodic firing, not the first charge from rest.
    """
    spikes = np.asarray(spikes, dtype=np.int64).reshape(-1, 2)
    rates = mean_rate_hz(spikes, neurons, steps, dt_ms)
    order = np.lexsort((spikes[:, 0], spikes[:, 1]))
    by_neuron = spikes[order]
    bounds = np.searchsorted(by_neuron[:, 1], np.arange(neurons + 1))
    for n in range(neurons):
        ts = by_neuron[bounds[n]:bounds[n + 1], 0]
        if ts.size >= 2:
            rates[n] = 1000.0 / (np.diff(ts).mean() * dt_ms)
    return rates
