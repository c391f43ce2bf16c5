# SPDX-License-Identifier: BSD-2-Clause
"""Input currents: loading them, checking them and quantising them. Shared by the golden models, the
simulation harness, the model runner and the CLI, so every model refuses the same inputs with the same words.

Currents are R*I in millivolts: a scalar, ``[N]`` (held constant) or ``[T, N]`` (one row per step).
Quantised inputs are Q-format integers (``lifgen.params.FixedParams``) in ``[vmin, vmax]``.
"""

import os

import numpy as np

from .errors import InputError
from .params import FixedParams, check_neurons, check_steps, round_half_up

__all__ = ["DEFAULT_STEPS", "load_current", "currents_to_q", "input_schedule", "constant_runs"]

DEFAULT_STEPS = 1000


def _read_npy(path):
    if not os.path.exists(path):
        raise InputError(f"current file {path!r} does not exist", field="current_file")
    if not os.path.isfile(path):
        kind = "a directory" if os.path.isdir(path) else "not a regular file"
        raise InputError(f"current file {path!r} is {kind}, not a .npy file", field="current_file")
    try:
        current = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:     # EOFError: an empty file
        raise InputError(f"current file {path!r} is not a readable .npy array ({exc})",
                         field="current_file") from None
    if not isinstance(current, np.ndarray):             # np.load opens a .npz archive as an NpzFile
        current.close()
        raise InputError(f"current file {path!r} is a .npz archive, not a .npy array", field="current_file")
    if current.dtype.kind not in "iuf":
        raise InputError(f"current file {path!r} must hold integers or floats (mV), not dtype {current.dtype}",
                         field="current_file")
    if current.size == 0:
        raise InputError(f"current file {path!r} is empty", field="current_file")
    return current


def load_current(fixed: FixedParams, *, current_mv=None, current_file=None, neurons=None, steps=None):
    """Resolve a run's input into ``(current_mv, neurons, steps)``.

    Either ``current_mv`` (one value for every neuron; ``neurons`` defaults to 1) or ``current_file`` (a .npy
    of shape ``[N]`` or ``[T, N]``, which then fixes ``neurons`` and, for ``[T, N]``, ``steps``).
    ``steps`` defaults to :data:`DEFAULT_STEPS`. The currents are checked against the Q range of ``fixed``,
    so a run is refused before any model starts. Raises :class:`InputError` (``ParameterError`` for a count
    outside ``lifgen.params.check_neurons`` or ``check_steps``).
    """
    if current_file is not None:
        current = _read_npy(current_file)
        if current.ndim == 1:
            shape_neurons, shape_steps = current.shape[0], None
        elif current.ndim == 2:
            shape_steps, shape_neurons = current.shape
        else:
            raise InputError(f"current file must have shape [N] or [T, N], not {list(current.shape)}",
                             field="current_file")
        if neurons is not None and neurons != shape_neurons:
            raise InputError(f"current file has {shape_neurons} neurons but {neurons} neurons were asked for",
                             field="neurons")
        if shape_steps is not None and steps is not None and steps != shape_steps:
            raise InputError(f"current file has {shape_steps} steps but {steps} steps were asked for",
                             field="steps")
        neurons = shape_neurons
        steps = shape_steps if shape_steps is not None else steps
        current = current.astype(np.float64)
        currents_to_q(fixed, current)
    else:
        neurons = check_neurons(1 if neurons is None else neurons)
        current = 0.0 if current_mv is None else current_mv
        currents_to_q(fixed, current)
    steps = check_steps(DEFAULT_STEPS if steps is None else steps)
    if current_file is None:
        current = np.full(neurons, current, dtype=np.float64)     # only once every count has been checked
    return current, neurons, steps


def currents_to_q(fixed: FixedParams, current_mv):
    """Quantise currents in mV (R*I) to Q-format int64, refusing NaN, infinity and values outside the Q range."""
    arr = np.asarray(current_mv, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        k = int(np.argmin(finite))
        what = "NaN" if np.isnan(arr.flat[k]) else "infinity"
        where = f" (first at index {[int(i) for i in np.unravel_index(k, arr.shape)]})" if arr.ndim else ""
        raise InputError(f"input current contains {what}{where}", field="current")
    with np.errstate(over="ignore"):        # a huge finite current becomes inf here and is refused below
        q = round_half_up(arr.reshape(-1) * (1 << fixed.F)).reshape(arr.shape)
    lo, hi = fixed.vmin, fixed.vmax
    if q.size and (q.min() < lo or q.max() > hi):
        bad = arr.flat[int(np.argmax((q < lo) | (q > hi)))]
        raise InputError(
            f"input current {bad:g} mV is outside the Q{fixed.W - fixed.F}.{fixed.F} range "
            f"[{fixed.to_mv(lo):g}, {fixed.to_mv(hi):g}] mV", field="current")
    return q.astype(np.int64)


def input_schedule(fixed: FixedParams, u, steps, neurons):
    """Normalise integer input to shape ``[N]`` (constant) or ``[steps, N]``; validates shape, dtype and range.

    Returns ``(u, per_step)`` where ``per_step`` tells whether ``u`` is ``[T, N]``.
    """
    u = np.asarray(u)
    if u.dtype.kind not in "iu":
        raise InputError(f"integer input expected, not dtype {u.dtype}", field="current")
    u = u.astype(np.int64)
    if u.size and (u.min() < fixed.vmin or u.max() > fixed.vmax):
        raise InputError(f"integer input outside [{fixed.vmin}, {fixed.vmax}]", field="current")
    if u.ndim == 0:
        return np.full(neurons, int(u), dtype=np.int64), False
    if u.ndim == 1:
        if u.shape[0] != neurons:
            raise InputError(f"input of shape {u.shape} does not match {neurons} neurons", field="current")
        return u, False
    if u.ndim == 2:
        if u.shape != (steps, neurons):
            raise InputError(f"input of shape {u.shape} does not match [steps, neurons] = [{steps}, {neurons}]",
                             field="current")
        return u, True
    raise InputError(f"input must have shape [N] or [T, N], not {u.shape}", field="current")


def constant_runs(u, per_step, steps):
    """Split a schedule from :func:`input_schedule` into runs of steps with the same input:
    ``[(row [N], k), ...]`` with the ``k`` adding up to ``steps``."""
    if not per_step:
        return [(u, steps)]
    runs = []
    for t in range(steps):
        if runs and np.array_equal(runs[-1][0], u[t]):
            runs[-1][1] += 1
        else:
            runs.append([u[t], 1])
    return [(row, k) for row, k in runs]
