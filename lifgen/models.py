# SPDX-License-Identifier: BSD-2-Clause
"""Run any model of the neuron array behind one function and one result type.

Model kinds (:data:`MODELS`): ``fixed`` (the bit-exact integer golden model), ``float`` (float64, exact
exponential integration), ``rtl`` (the generated Verilog in Icarus Verilog or Verilator). ``lifgen simulate``,
``lifgen verify`` and ``lifgen demo`` all go through :func:`run`; later kinds (the simulated board, the board
itself) plug in here.

Progress is reported through a callback, never printed: ``progress(message, done=None, total=None)``, where
``done``/``total`` count steps when the model knows them.
"""

import time
from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError
from .golden import fixed, floating
from .golden.stats import mean_rate_hz
from .params import CoreConfig, LIFParams
from .stimulus import currents_to_q

__all__ = ["MODELS", "SIMULATED", "ModelResult", "run", "verify", "simulation_json", "summary_text",
           "PROGRESS_UPDATES"]

MODELS = ("fixed", "float", "rtl")
SIMULATED = ("rtl",)                    # kinds that run a simulator (and can write waves)

# Golden runs of at least this many neuron-updates report their progress about every 5 %.
PROGRESS_UPDATES = 50_000_000


@dataclass
class ModelResult:
    """What every model returns.

    ``spikes``: int64 [K, 2] of (step, neuron), in step then neuron order. ``v_final_mv``: [N] mV after the
    last step. ``v_trace_mv``: [T, N] mV after every step, when asked for. ``v_trace``: the same as Q-format
    integers for the fixed-point models (``fixed``, ``rtl``), else None. ``cycles``: clock cycles of the run
    (``rtl``), else None. ``detail``: the model's own result object (``FixedResult``, ``FloatResult``,
    ``RTLResult``) for callers that need more (event cycles, build directory).
    """
    model: str
    neurons: int
    steps: int
    spikes: np.ndarray
    v_final_mv: np.ndarray
    v_trace_mv: np.ndarray | None
    v_trace: np.ndarray | None
    cycles: int | None
    detail: object

    @property
    def trace_order(self):
        return getattr(self.detail, "trace_order", None)


def _golden_progress(progress, neurons, steps):
    if progress is None or neurons * steps < PROGRESS_UPDATES:
        return None
    return lambda done, total: progress(f"step {done}/{total} ({100 * done // total} %)", done, total)


def run(model, params: LIFParams, current_mv, neurons, steps, *, trace=False, core=CoreConfig(), sim="icarus",
        waves=None, stall=0, progress=None) -> ModelResult:
    """Run ``model`` for ``steps`` steps on ``neurons`` neurons with input ``current_mv`` (R*I in mV: scalar,
    [N] or [T, N]). ``trace``: keep every step's voltages. ``core``, ``sim``, ``waves``, ``stall`` (random
    backpressure 0..255 on the output streams) apply to the simulated kinds only."""
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}", field="model")
    if model == "fixed":
        res = fixed.simulate(params, current_mv, steps, neurons, trace=trace,
                             progress=_golden_progress(progress, neurons, steps))
        to_mv = params.fixed.to_mv
        return ModelResult(model, neurons, steps, res.spikes, to_mv(res.v_final),
                           to_mv(res.v_trace) if trace else None, res.v_trace, None, res)
    if model == "float":
        res = floating.simulate(params, current_mv, steps, neurons, trace=trace,
                                progress=_golden_progress(progress, neurons, steps))
        return ModelResult(model, neurons, steps, res.spikes, res.v_final, res.v_trace, None, None, res)
    return _run_rtl(params, current_mv, neurons, steps, trace, core, sim, waves, stall, progress)


def _run_rtl(params, current_mv, neurons, steps, trace, core, sim, waves, stall, progress):
    # Amaranth and cocotb take about a second to import; the golden models need neither.
    from .sim import harness, runner
    u = currents_to_q(params.fixed, current_mv)
    cfg = harness.RTLConfig(params, neurons, replace(core, trace=True), sim)   # the trace gives the voltages
    waves = runner.check_waves(waves, sim)
    if progress is not None:
        cycles = steps * cfg.timing.step_cycles + cfg.timing.clear_cycles
        progress(f"simulating the RTL with {sim}: {neurons} neurons x {steps} steps (~{cycles} cycles)"
                 + (f", waves to {waves}" if waves else ""))
    t0 = time.perf_counter()
    res = harness.run_rtl(cfg, u, steps, spikes_stall=stall, trace_stall=stall, waves=waves)
    if progress is not None:
        progress(f"done: {res.cycles} cycles, {res.wall_s:.1f} s simulation, "
                 f"{time.perf_counter() - t0:.1f} s in all (build in {res.build_dir})", steps, steps)
    to_mv = params.fixed.to_mv
    return ModelResult("rtl", neurons, steps, res.spikes, to_mv(res.v_trace[-1]),
                       to_mv(res.v_trace) if trace else None, res.v_trace, res.cycles, res)


def verify(params: LIFParams, current_mv, neurons, steps, *, model="rtl", core=CoreConfig(), sim="icarus",
           waves=None, stall=0, progress=None):
    """Run the fixed golden model and ``model`` on the same input and compare every spike event and every
    voltage. Returns the scoreboard's report (``report["match"]`` tells the outcome)."""
    if model not in SIMULATED:
        raise InputError(f"only a simulated model can be verified ({', '.join(SIMULATED)}), not {model!r}",
                         field="model")
    if not 0 <= stall <= 255:
        raise InputError(f"stall must be in 0..255, not {stall}", field="stall")
    from .sim.scoreboard import compare       # numpy only, but it belongs to the simulation side
    golden = run("fixed", params, current_mv, neurons, steps, trace=True, progress=progress)
    dut = run(model, params, current_mv, neurons, steps, trace=True, core=core, sim=sim, waves=waves,
              stall=stall, progress=progress)
    return compare(golden, dut)


def simulation_json(result: ModelResult, params: LIFParams):
    """The JSON object of ``lifgen simulate --json`` (pinned keys)."""
    rates = mean_rate_hz(result.spikes, result.neurons, result.steps, params.dt_ms)
    return {
        "model": result.model, "neurons": result.neurons, "steps": result.steps, "dt_ms": params.dt_ms,
        "spikes": np.asarray(result.spikes).tolist(),
        "rate_hz": [float(r) for r in rates],
        "v_final_mv": [float(v) for v in result.v_final_mv],
        "params": params.as_dict(), "constants": params.fixed.as_dict(),
    }


def summary_text(result: ModelResult, params: LIFParams, shown=10):
    """A few lines for a person: spike count, mean rate, and the first ``shown`` neurons."""
    rates = mean_rate_hz(result.spikes, result.neurons, result.steps, params.dt_ms)
    lines = [f"model {result.model}: {result.neurons} neurons, {result.steps} steps of {params.dt_ms:g} ms, "
             f"{len(result.spikes)} spikes, mean rate {rates.mean():.2f} Hz"]
    for n in range(min(result.neurons, shown)):
        lines.append(f"  neuron {n:4d}: {rates[n]:8.2f} Hz, v_final {result.v_final_mv[n]:8.3f} mV")
    if result.neurons > shown:
        lines.append(f"  ... {result.neurons - shown} more (the JSON output lists every neuron)")
    return "\n".join(lines)
