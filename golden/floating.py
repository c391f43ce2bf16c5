# SPDX-License-Identifier: BSD-2-Clause
"""The same LIF model in float64 with exact exponential integration: measures the quantisation error.

Per step, with input u = R*I (mV) held over the step and a = exp(-dt/tau)::

    if r > 0: r -= 1; v = v_reset
    else:
        v1 = (v_rest + u) + (v - v_rest - u) * a        exact solution of tau dv/dt = -(v - v_rest) + u
        if v1 >= v_th: spike; r = N_REF; v = v_reset (or v1 - (v_th - v_reset) for reset "subtract")
        else:          v = v1

It shares the discrete step structure of ``lifgen.golden.fixed`` (threshold checked once per step,
refractory counted in steps) but no rounding and no saturation.
"""

import math
from dataclasses import dataclass

import numpy as np

from lifgen.errors import InputError
from lifgen.params import LIFParams

__all__ = ["FloatResult", "simulate"]


@dataclass
class FloatResult:
    """``spikes`` [K, 2] (step, neuron) sorted; ``v_final`` [N] mV; ``v_trace`` [T, N] mV or None."""
    spikes: np.ndarray
    v_final: np.ndarray
    v_trace: np.ndarray | None
    steps: int
    neurons: int


def simulate(params: LIFParams, current_mv, steps: int, neurons: int | None = None,
             trace: bool = False, progress=None) -> FloatResult:
    """Run from v = v_rest with input ``current_mv`` (scalar, [N] or [T, N], in mV).
    ``progress(done, steps)``, if given, is called about every 5 % of the run."""
    u = np.asarray(current_mv, dtype=np.float64)
    if neurons is None:
        neurons = int(u.shape[-1]) if u.ndim else 1
    if neurons < 1:
        raise InputError(f"neurons must be >= 1, not {neurons}")
    if not np.all(np.isfinite(u)):
        raise InputError("input current contains NaN or infinity")
    per_step = u.ndim == 2
    if u.ndim == 0:
        u = np.full(neurons, float(u))
    elif u.shape not in ((neurons,), (steps, neurons)):
        raise InputError(f"input of shape {u.shape} fits neither [N] nor [T, N] = [{steps}, {neurons}]")

    a = math.exp(-params.dt_ms / params.tau_ms)
    nref = params.fixed.NREF
    v = np.full(neurons, params.v_rest_mv)
    r = np.zeros(neurons, dtype=np.int64)
    v_trace = np.empty((steps, neurons)) if trace else None
    out_t, out_n = [], []
    every = max(1, steps // 20)
    for t in range(steps):
        if progress is not None and t and t % every == 0:
            progress(t, steps)
        ut = u[t] if per_step else u
        target = params.v_rest_mv + ut
        v1 = target + (v - target) * a
        refractory = r > 0
        spk = (v1 >= params.v_th_mv) & ~refractory
        if params.reset == "subtract":
            v1 = np.where(spk, v1 - (params.v_th_mv - params.v_reset_mv), v1)
        else:
            v1 = np.where(spk, params.v_reset_mv, v1)
        v = np.where(refractory, params.v_reset_mv, v1)
        r = np.where(refractory, r - 1, np.where(spk, nref, 0))
        if trace:
            v_trace[t] = v
        fired = np.flatnonzero(spk)
        if fired.size:
            out_n.append(fired)
            out_t.append(np.full(fired.size, t))
    spikes = (np.stack([np.concatenate(out_t), np.concatenate(out_n)], axis=1).astype(np.int64)
              if out_t else np.zeros((0, 2), dtype=np.int64))
    return FloatResult(spikes=spikes, v_final=v, v_trace=v_trace, steps=steps, neurons=neurons)
