# SPDX-License-Identifier: BSD-2-Clause
"""The integer update rule as one fused, compiled kernel (numba): the fast engine of ``lifgen.golden.fixed``.

Same rule as :mod:`lifgen.golden.fixed` (README, "The integer update rule"), same results bit for bit; the numpy
engine there stays the fallback and the readable reference. Where numpy makes ten passes over memory per step,
this kernel makes none: neurons are cut into tiles of 64, and each tile runs a whole block of steps with its state
in a few cache lines, so memory is touched only for the input (per-step schedules), the optional trace, and one
64-bit spike mask per tile per step. Tiles run in parallel (``numba.prange``). Spikes are then read out of the
masks in (step, neuron) order, in parallel over steps.

numba is imported on first use, not with this module, so ``import lifgen.golden`` and ``lifgen --help`` stay
fast; compiled code is cached on disk (numba's ``cache=True``), so only the very first run on a machine pays the
compilation (a few seconds).

All arithmetic is int64, which holds every legal format: |x| = |VREST - v + u| < 3 * 2**(W-1) <= 3 * 2**31
and G <= 2**GAIN_BITS_MAX = 2**28, so |x * G| < 2**61. (int32 tile state, possible for W <= 30 with the product
alone in int64, measured between 0.65x and 1.15x the int64 loop on this AVX-512 machine: not worth a second path.)
Runs without a refractory period (NREF = 0, the default) take a shorter loop that never touches r.
"""

import importlib.util
import os
import sys
import threading
import warnings

import numpy as np

__all__ = ["available", "loaded", "simulate", "block_steps", "TILE"]

TILE = 64                   # neurons per tile: one bit each in a uint64 spike mask
MASK_BYTES = 16 << 20       # spike masks held at once (steps per block = MASK_BYTES // (8 * tiles))

_lock = threading.Lock()    # one kernel call at a time (numba's workqueue threading layer is not thread-safe)
_compiled = None            # (tiles, count, extract) once compiled or loaded from numba's cache
_import_error = None        # set when numba is installed but failed to import (say, a numpy it does not support)


def available():
    """Whether numba is installed and has not failed to import (checked without importing it)."""
    return _import_error is None and ("numba" in sys.modules or importlib.util.find_spec("numba") is not None)


def loaded():
    """Whether the kernels are compiled (or loaded from cache) in this process already: further runs start at once."""
    return _compiled is not None


def block_steps(neurons):
    """Steps one kernel call may run: as many as keep its spike masks within ``MASK_BYTES``."""
    return max(1, MASK_BYTES // (8 * ((neurons + TILE - 1) // TILE)))


# ---------------------------------------------------------------------------------------------------------------
# Kernel bodies, written as plain Python over scalars and compiled by numba on first use (see _load), which
# rebinds the module globals they call (prange and the bit intrinsics) to numba's before compiling them.

def _tiles(v, r, u, per_step, t0, nsteps, VREST, VRESET, VTH, G, S, vmin, vmax, NREF, subtract, masks,
           trace, trace_on):
    """Advance every neuron ``nsteps`` steps from step ``t0``; spike bits into ``masks[s, tile]``.

    ``v``, ``r``: int64 state [N], updated in place. ``u``: int64 [T, N] per step, or [1, N] held constant.
    ``trace``: int64 [T, N], written at rows t0 .. t0 + nsteps - 1 when ``trace_on``.
    The inner loops always run over a whole tile (a constant trip count the compiler unrolls and vectorises);
    a last, partial tile pads its missing neurons with input 0 and drops their spikes, trace and state.
    """
    n = v.shape[0]
    ntiles = (n + TILE - 1) // TILE
    half = np.int64(1) << (S - 1)
    drop = VTH - VRESET
    for k in prange(ntiles):
        base = k * TILE
        nb = min(TILE, n - base)
        vt = np.full(TILE, VREST, dtype=np.int64)      # padding neurons rest at VREST with input 0
        rt = np.zeros(TILE, dtype=np.int64)
        ut = np.zeros(TILE, dtype=np.int64)
        fl = np.empty(TILE, dtype=np.uint64)
        for j in range(nb):
            vt[j] = v[base + j]
            rt[j] = r[base + j]
        valid = np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(TILE - nb)
        if not per_step:
            for j in range(nb):
                ut[j] = u[0, base + j]
        for s in range(nsteps):
            if per_step:
                for j in range(nb):
                    ut[j] = u[t0 + s, base + j]
            if NREF == 0:
                # no refractory period: r stays 0, and the loop is a third shorter
                for j in range(TILE):
                    vj = vt[j]
                    x = VREST - vj + ut[j]
                    dv = (x * G + half) >> S
                    v1 = min(max(vj + dv, vmin), vmax)
                    spk = v1 >= VTH
                    vs = max(v1 - drop, vmin) if subtract else VRESET
                    vt[j] = vs if spk else v1
                    fl[j] = np.uint64(spk) << np.uint64(j)
            else:
                for j in range(TILE):
                    vj = vt[j]
                    rj = rt[j]
                    x = VREST - vj + ut[j]
                    dv = (x * G + half) >> S
                    v1 = min(max(vj + dv, vmin), vmax)
                    refr = rj > 0
                    spk = (v1 >= VTH) & (rj <= 0)
                    vs = max(v1 - drop, vmin) if subtract else VRESET
                    vn = vs if spk else v1
                    vt[j] = VRESET if refr else vn
                    rt[j] = rj - 1 if refr else (NREF if spk else 0)
                    fl[j] = np.uint64(spk) << np.uint64(j)
            m = np.uint64(0)
            for j in range(TILE):
                m |= fl[j]
            masks[s, k] = m & valid
            if trace_on:
                for j in range(nb):
                    trace[t0 + s, base + j] = vt[j]
        for j in range(nb):
            v[base + j] = vt[j]
            r[base + j] = rt[j]


def _count(masks, nsteps, counts):
    """``counts[s]`` = spikes of step s (popcount of its row of masks)."""
    ntiles = masks.shape[1]
    for s in prange(nsteps):
        c = 0
        for k in range(ntiles):
            c += _popcount(masks[s, k])
        counts[s] = c


def _extract(masks, nsteps, t0, offsets, out):
    """Write the (step, neuron) pairs of the spikes in ``masks`` into ``out`` from ``offsets[s]``, sorted."""
    ntiles = masks.shape[1]
    for s in prange(nsteps):
        i = offsets[s]
        for k in range(ntiles):
            m = masks[s, k]
            while m:
                j = _ctz(m)
                out[i, 0] = t0 + s
                out[i, 1] = k * TILE + j
                i += 1
                m &= m - np.uint64(1)


def _popcount(x):   # replaced by an LLVM intrinsic in _load
    raise NotImplementedError


def _ctz(x):        # replaced by an LLVM intrinsic in _load
    raise NotImplementedError


def prange(*args):  # replaced by numba.prange in _load
    return range(*args)


def _compile():
    """Import numba and compile (or load from its cache) the kernels, once per process, on first use."""
    global _import_error
    if _compiled is None:
        with _lock:
            if _compiled is None:
                try:
                    _load()
                except ImportError as exc:
                    _import_error = exc
                    raise
    return _compiled


def _load():
    global _compiled, _popcount, _ctz, prange
    import numba
    if "NUMBA_THREADING_LAYER" not in os.environ:
        # numba's default prefers GNU OpenMP, which kills a forked child that runs a kernel ("fork() called from
        # a process already using GNU OpenMP"); multiprocessing forks on Linux. "forksafe" takes TBB when
        # installed, else numba's own workqueue, as fast here (kernel calls are serialised by _lock anyway).
        numba.config.THREADING_LAYER = "forksafe"
    from llvmlite import ir
    from numba.extending import intrinsic

    @intrinsic
    def popcount(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.zext(builder.ctpop(args[0]), ir.IntType(64))
        return numba.types.int64(x), codegen

    @intrinsic
    def ctz(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.zext(builder.cttz(args[0], ir.Constant(ir.IntType(1), 1)), ir.IntType(64))
        return numba.types.int64(x), codegen

    _popcount, _ctz, prange = popcount, ctz, numba.prange
    bodies = (_tiles, _count, _extract)
    try:
        # numba caches next to this file, or in the user's cache directory (~/.cache/numba) when this
        # directory is read-only (a system-wide install); NUMBA_CACHE_DIR overrides both
        compiled = tuple(numba.njit(parallel=True, nogil=True, cache=True)(f) for f in bodies)
    except RuntimeError as exc:     # neither is writable: compile in every process
        warnings.warn(f"lifgen: numba cannot cache the golden-model kernels ({exc}); they are compiled in every "
                      "process (a few seconds). Set NUMBA_CACHE_DIR to a writable directory.", RuntimeWarning)
        compiled = tuple(numba.njit(parallel=True, nogil=True)(f) for f in bodies)
    _compiled = compiled


def simulate(fixed, u, per_step, steps, neurons, trace=False, progress=None):
    """Run the integer model from the reset state: the numba twin of ``lifgen.golden.fixed``'s numpy loop.

    ``u``: int64 [N] (held) or [steps, N] (``per_step``), already checked by ``lifgen.stimulus.input_schedule``.
    Returns ``(spikes [K, 2], v [N], r [N], v_trace [steps, N] or None)``, all int64, spikes sorted by step then
    neuron. Steps run in blocks of at most :func:`block_steps`; with ``progress``, blocks also end where the numpy
    loop reports, and ``progress(done, steps)`` is called at the same steps.
    """
    kernels = _compile()
    v = np.full(neurons, fixed.VREST, dtype=np.int64)
    r = np.zeros(neurons, dtype=np.int64)
    v_trace = np.empty((steps, neurons), dtype=np.int64) if trace else None
    u = np.ascontiguousarray(u if per_step else np.reshape(u, (1, neurons)), dtype=np.int64)
    block = min(block_steps(neurons), max(1, steps))
    masks = np.empty((block, (neurons + TILE - 1) // TILE), dtype=np.uint64)
    every = max(1, steps // 20)
    parts = []
    t = 0
    while t < steps:
        end = min(steps, t + block)
        if progress is not None:
            end = min(end, (t // every + 1) * every)
        parts.append(_block(kernels, fixed, v, r, u, per_step, t, end - t, masks, v_trace))
        t = end
        if progress is not None and t < steps and t % every == 0:
            progress(t, steps)
    parts = [p for p in parts if len(p)]
    spikes = np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros((0, 2), dtype=np.int64)
    return spikes, v, r, v_trace


def _block(kernels, fixed, v, r, u, per_step, t0, nsteps, masks, v_trace):
    """Steps ``t0 .. t0 + nsteps - 1`` on ``v``, ``r`` in place; their spikes as [K, 2] int64, sorted."""
    tiles, count, extract = kernels
    trace_on = v_trace is not None
    trace = v_trace if trace_on else np.empty((0, 0), dtype=np.int64)
    counts = np.empty(nsteps, dtype=np.int64)
    with _lock:
        tiles(v, r, u, per_step, t0, nsteps, fixed.VREST, fixed.VRESET, fixed.VTH, fixed.G, fixed.S,
              fixed.vmin, fixed.vmax, fixed.NREF, fixed.subtract, masks, trace, trace_on)
        count(masks, nsteps, counts)
        offsets = np.zeros(nsteps, dtype=np.int64)
        np.cumsum(counts[:-1], out=offsets[1:])
        out = np.empty((int(offsets[-1] + counts[-1]), 2), dtype=np.int64)
        if len(out):
            extract(masks, nsteps, t0, offsets, out)
    return out
