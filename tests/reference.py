# SPDX-License-Identifier: BSD-2-Clause
"""A plain scalar transcription of the integer update rule (README), for cross-checking the vectorised model.

Deliberately naive: Python ints, one neuron at a time, the pseudo-code line by line.
"""


def scalar_run(c, u, steps, neurons):
    """``c`` is a FixedParams; ``u[t][n]`` integer input. Returns (spikes list, v_trace list of lists)."""
    lo, hi = -(1 << (c.W - 1)), (1 << (c.W - 1)) - 1
    clamp = lambda x: max(lo, min(hi, x))
    v = [c.VREST] * neurons
    r = [0] * neurons
    spikes, trace = [], []
    for t in range(steps):
        for n in range(neurons):
            if r[n] > 0:
                r[n] -= 1
                v[n] = c.VRESET
                continue
            x = c.VREST - v[n] + u[t][n]
            dv = (x * c.G + (1 << (c.S - 1))) >> c.S
            v1 = clamp(v[n] + dv)
            if v1 >= c.VTH:
                spikes.append((t, n))
                r[n] = c.NREF
                v[n] = clamp(v1 - (c.VTH - c.VRESET)) if c.subtract else c.VRESET
            else:
                v[n] = v1
        trace.append(list(v))
    return spikes, trace
