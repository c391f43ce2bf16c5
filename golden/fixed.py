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

Two engines give the same results bit for bit: ``numpy`` (below: the rule transcribed onto whole arrays, the
readable reference and the fallback) and ``numba`` (``lifgen.golden.kernel``: one fused, compiled pass per block
of steps, several times faster). ``engine="auto"`` takes numba when it is installed, unless the process has so far
run too little to repay numba's start-up (see :func:`choose_engine`).
"""

from dataclasses import dataclass

import numpy as np

from lifgen.errors import InputError
from lifgen.golden import kernel
from lifgen.params import FixedParams, LIFParams
from lifgen.stimulus import currents_to_q, input_schedule

__all__ = ["FixedResult", "ENGINES", "choose_engine", "run", "simulate"]

ENGINES = ("auto", "numba", "numpy")

# numba's start-up in a fresh process (import, loading the cached kernels, starting its threads): about 0.5 s.
# "auto" stays on numpy while numpy's estimated time (per-step and per-update costs), summed over this process's
# runs, stays below that: a short CLI run never pays the start-up, and a process that runs a lot switches early.
NUMBA_STARTUP_S = 0.5
NUMPY_STEP_S = 20e-6
NUMPY_UPDATE_S = 3e-9
_numpy_spent_s = 0.0        # numpy's estimated time in the runs "auto" gave it so far


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


def choose_engine(engine, steps, neurons):
    """The engine ``run`` uses: ``numba`` or ``numpy``. ``auto`` gives numba when it is installed and either
    already loaded in this process, or numpy's estimated time for this run plus the earlier runs it was given
    exceeds numba's start-up (``NUMBA_STARTUP_S``)."""
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}", field="engine")
    if engine == "numba" and not kernel.available():
        raise InputError("engine 'numba' needs the numba package (pip install numba)", field="engine")
    if engine != "auto":
        return engine
    if not kernel.available():
        return "numpy"
    if kernel.loaded() or _numpy_spent_s + _numpy_estimate_s(steps, neurons) > NUMBA_STARTUP_S:
        return "numba"
    return "numpy"


def _numpy_estimate_s(steps, neurons):
    return steps * (NUMPY_STEP_S + neurons * NUMPY_UPDATE_S)


def run(fixed: FixedParams, u, steps: int, neurons: int | None = None, trace: bool = False,
        progress=None, engine: str = "auto") -> FixedResult:
    """Run the integer model from the reset state (v = VREST, r = 0) for ``steps`` steps.

    ``u`` is the integer input in Q format: a scalar, [N] held constant, or [T, N] per step.
    Values must lie in the Q range (``lifgen.stimulus.currents_to_q`` checks this for mV input).
    ``progress(done, steps)``, if given, is called about every 5 % of the run.
    ``engine``: ``numpy``, ``numba`` or ``auto`` (see :func:`choose_engine`); the results are the same.
    """
    global _numpy_spent_s
    if neurons is None:
        shape = np.shape(u)
        neurons = int(shape[-1]) if shape else 1
    if neurons < 1:
        raise InputError(f"neurons must be >= 1, not {neurons}")
    if steps < 0:
        raise InputError(f"steps must be >= 0, not {steps}")
    u, per_step = input_schedule(fixed, u, steps, neurons)
    chosen = choose_engine(engine, steps, neurons)
    if engine == "auto" and chosen == "numpy":
        _numpy_spent_s += _numpy_estimate_s(steps, neurons)
    if chosen == "numba":
        try:
            spikes, v, r, v_trace = kernel.simulate(fixed, u, per_step, steps, neurons, trace, progress)
        except ImportError as exc:      # numba is installed but does not load: "auto" falls back to numpy
            if engine != "auto":
                raise InputError(f"engine 'numba' cannot load numba: {exc}", field="engine") from exc
        else:
            return FixedResult(spikes=spikes, v_final=v, r_final=r, v_trace=v_trace, steps=steps, neurons=neurons)
    return _run_numpy(fixed, u, per_step, steps, neurons, trace, progress)


def _run_numpy(fixed, u, per_step, steps, neurons, trace, progress):
    """The numpy engine: one Python iteration per step, whole arrays in place."""
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
             trace: bool = False, progress=None, engine: str = "auto") -> FixedResult:
    """Quantise ``current_mv`` (R*I in mV: scalar, [N] or [T, N]) and run the integer model."""
    fixed = params.fixed
    return run(fixed, currents_to_q(fixed, current_mv), steps, neurons, trace, progress, engine)
