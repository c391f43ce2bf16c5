#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Benchmark the golden integer model: neuron-updates per second, and the ratio to a plain numpy transcription.

Usage: .venv/bin/python scripts/bench_golden.py [--quick]
The machine is noisy: the ratio column (same machine, same moment) is the figure to compare across runs.
"""

import sys
import time

import numpy as np

from lifgen.golden import fixed
from lifgen.params import LIFParams


def plain_numpy(c, u, steps):
    """The update rule written the obvious way (np.where, fresh arrays every step)."""
    v = np.full(u.shape[0], c.VREST, dtype=np.int64)
    r = np.zeros_like(v)
    for _ in range(steps):
        dv = ((c.VREST - v + u) * c.G + (1 << (c.S - 1))) >> c.S
        v1 = np.clip(v + dv, c.vmin, c.vmax)
        ref = r > 0
        spk = ~ref & (v1 >= c.VTH)
        v = np.where(ref, c.VRESET, np.where(spk, c.VRESET, v1))
        r = np.where(ref, r - 1, np.where(spk, c.NREF, 0))
    return v


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    quick = "--quick" in sys.argv
    params = LIFParams()
    c = params.fixed
    rng = np.random.default_rng(0)
    print(f"{'neurons':>9} {'steps':>6} {'golden Mupd/s':>14} {'plain Mupd/s':>13} {'ratio':>6}")
    for n in ([1000, 100_000] if quick else [1000, 10_000, 100_000, 1_000_000]):
        steps = max(20, int(2e7 // n)) if not quick else max(20, int(2e6 // n))
        u = c.q(1.0) * rng.integers(0, 40, size=n)       # 0..39 mV: a realistic spread of rates
        t_gold = best_of(lambda: fixed.run(c, u, steps))
        t_plain = best_of(lambda: plain_numpy(c, u, steps))
        upd = n * steps
        print(f"{n:9d} {steps:6d} {upd / t_gold / 1e6:14.1f} {upd / t_plain / 1e6:13.1f} {t_plain / t_gold:6.2f}")


if __name__ == "__main__":
    main()
