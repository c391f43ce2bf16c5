# SPDX-License-Identifier: BSD-2-Clause
"""The bit-exact integer LIF model: the reference the RTL, the boards and the benchmarks are measured against.

Implements README.md, section "The integer update rule", vectorised over neurons with numpy
(one Python iteration per time step, none per neuron). For every neuron, every step::

    if r > 0:  r -= 1; v = VRESET                              (no integration, no spike)
    else:
        x  = VREST - v + u                                     (exact)
        dv = (x * G + 2**(S-1)) >> S                           (arithmetic shift: round half up)
        v1 = clamp(v + dv, -2**(W-1), 2**(W-1) - 1)
        if v1 >= VTH: spike; r = NREF; v = VRESET                  (reset "value")
                                       v = clamp(v1 - (VTH - VRESET)) (reset "subtract")
        else:         v = v1

The RTL in ``lifgen.hw.core`` implements the same rule; the two never import each other.
"""

from dataclasses import dataclass

import numpy as np

from lifgen.errors import InputError
from lifgen.params import FixedParams, LIFParams

__all__ = ["FixedResult", "run", "simulate", "currents_to_q", "input_schedule"]


@dataclass
class FixedResult:
    """Outcome of a run.

    ``spikes``: int64 array [K, 2] of (step, neuron) pairs, sorted by step then neuron.
    ``v_final``: int64 [N], state after the last step. ``r_final``: int64 [N], refractory counters.
    ``v_trace``: int64 [T, N] (v after each step's update) when requested, else None.
    """
    spikes: np.ndarray
    v_final: np.ndarray
    r_final: np.ndarray
    v_trace: np.ndarray | None
    steps: int
    neurons: int

    def spike_counts(self):
        return np.bincount(self.spikes[:, 1], minlength=self.neurons) if len(self.spikes) else \
            np.zeros(self.neurons, dtype=np.int64)


def currents_to_q(fixed: FixedParams, current_mv):
    """Quantise an input array in mV (R*I) to the Q format, refusing values outside the Q range."""
    arr = np.asarray(current_mv, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError("input current contains NaN or infinity")
    q = np.floor(arr * (1 << fixed.F) + 0.5)
    lo, hi = fixed.vmin, fixed.vmax
    if q.size and (q.min() < lo or q.max() > hi):
        bad = arr.flat[int(np.argmax((q < lo) | (q > hi)))]
        raise InputError(
            f"input current {bad:g} mV is outside the Q{fixed.W - fixed.F}.{fixed.F} range "
            f"[{fixed.to_mv(lo):g}, {fixed.to_mv(hi):g}] mV")
    return q.astype(np.int64)


def input_schedule(fixed: FixedParams, u, steps, neurons):
    """Normalise integer input to shape [steps, N] or [N] (constant); validates shape, dtype and range.

    Returns ``(u, per_step)`` where ``per_step`` tells whether ``u`` is [T, N].
    """
    u = np.asarray(u)
    if u.dtype.kind not in "iu":
        raise InputError(f"integer input expected, not dtype {u.dtype}")
    u = u.astype(np.int64)
    if u.size and (u.min() < fixed.vmin or u.max() > fixed.vmax):
        raise InputError(f"integer input outside [{fixed.vmin}, {fixed.vmax}]")
    if u.ndim == 0:
        return np.full(neurons, int(u), dtype=np.int64), False
    if u.ndim == 1:
        if u.shape[0] != neurons:
            raise InputError(f"input of shape {u.shape} does not match {neurons} neurons")
        return u, False
    if u.ndim == 2:
        if u.shape != (steps, neurons):
            raise InputError(f"input of shape {u.shape} does not match [steps, neurons] = [{steps}, {neurons}]")
        return u, True
    raise InputError(f"input must have shape [N] or [T, N], not {u.shape}")


def run(fixed: FixedParams, u, steps: int, neurons: int | None = None, trace: bool = False,
        progress=None) -> FixedResult:
    """Run the integer model from the reset state (v = VREST, r = 0) for ``steps`` steps.

    ``u`` is the integer input in Q format: a scalar, [N] held constant, or [T, N] per step.
    Values must lie in the Q range (``currents_to_q`` checks this for mV input).
    ``progress(done, steps)``, if given, is called about every 5 % of the run.
    """
    if neurons is None:
        shape = np.shape(u)
        neurons = int(shape[-1]) if shape else 1
    if neurons < 1:
        raise InputError(f"neurons must be >= 1, not {neurons}")
    if steps < 0:
        raise InputError(f"steps must be >= 0, not {steps}")
    u, per_step = input_schedule(fixed, u, steps, neurons)

    vmin, vmax = fixed.vmin, fixed.vmax
    G, S, half = fixed.G, fixed.S, 1 << (fixed.S - 1)
    VREST, VRESET, VTH, NREF = fixed.VREST, fixed.VRESET, fixed.VTH, fixed.NREF
    drop = VTH - VRESET

    v = np.full(neurons, VREST, dtype=np.int64)
    r = np.zeros(neurons, dtype=np.int64)
    x = np.empty(neurons, dtype=np.int64)
    spk = np.empty(neurons, dtype=bool)
    v_trace = np.empty((steps, neurons), dtype=np.int64) if trace else None
    spike_steps, spike_neurons = [], []

    every = max(1, steps // 20)
    for t in range(steps):
        if progress is not None and t and t % every == 0:
            progress(t, steps)
        ut = u[t] if per_step else u
        # x = VREST - v + u ; dv = (x*G + half) >> S ; v1 = clamp(v + dv)   -- all in place
        np.subtract(VREST, v, out=x)
        x += ut
        x *= G
        x += half
        x >>= S
        if NREF:
            refractory = r > 0
            x[refractory] = 0          # refractory neurons do not integrate ...
        x += v
        np.clip(x, vmin, vmax, out=x)
        np.greater_equal(x, VTH, out=spk)
        if NREF:
            spk &= ~refractory         # ... and cannot spike
        if fixed.subtract:
            x[spk] -= drop
            np.maximum(x, vmin, out=x)
        else:
            x[spk] = VRESET
        if NREF:
            r[refractory] -= 1
            x[refractory] = VRESET
            r[spk] = NREF
        v, x = x, v
        if trace:
            v_trace[t] = v
        fired = np.flatnonzero(spk)
        if fired.size:
            spike_neurons.append(fired)
            spike_steps.append(np.full(fired.size, t, dtype=np.int64))

    if spike_steps:
        spikes = np.stack([np.concatenate(spike_steps), np.concatenate(spike_neurons)], axis=1)
    else:
        spikes = np.zeros((0, 2), dtype=np.int64)
    return FixedResult(spikes=spikes, v_final=v.copy(), r_final=r.copy(), v_trace=v_trace,
                       steps=steps, neurons=neurons)


def simulate(params: LIFParams, current_mv, steps: int, neurons: int | None = None,
             trace: bool = False, progress=None) -> FixedResult:
    """Quantise ``current_mv`` (R*I in mV: scalar, [N] or [T, N]) and run the integer model."""
    fixed = params.fixed
    return run(fixed, currents_to_q(fixed, current_mv), steps, neurons, trace, progress)
