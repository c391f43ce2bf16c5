# SPDX-License-Identifier: BSD-2-Clause
"""Run any model of the neuron array behind one function and one result type.

Model kinds (:data:`MODELS`): ``fixed`` (the bit-exact integer golden model), ``float`` (float64, exact
exponential integration), ``rtl`` (the generated Verilog in Icarus Verilog or Verilator), ``board-sim`` (the
board's logic in a simulator, driven through the host driver over a local socket) and ``board`` (a board on a
serial port, through the same driver). ``lifgen simulate``, ``lifgen verify``, ``lifgen run`` and ``lifgen demo``
all go through :func:`run`.

Progress is reported through a callback, never printed: ``progress(message, done=None, total=None)``, where
``done``/``total`` count steps when the model knows them.
"""

import contextlib
import time
from dataclasses import dataclass, field, replace

import numpy as np

from . import host
from .boards.registry import check_fits, get_board
from .errors import InputError
from .golden import fixed, floating
from .golden.stats import mean_rate_hz
from .params import CoreConfig, LIFParams, check_storage
from .sim.runner import check_waves
from .sim.scoreboard import compare
from .stimulus import constant_runs, currents_to_q, input_schedule

__all__ = ["MODELS", "SIMULATED", "VERIFIABLE", "ModelResult", "BoardDetail", "run", "run_on_board", "verify",
           "simulation_json",
           "summary_text", "PROGRESS_UPDATES"]

MODELS = ("fixed", "float", "rtl", "board-sim", "board")
SIMULATED = ("rtl", "board-sim")             # kinds that run a simulator
VERIFIABLE = ("rtl", "board-sim", "board")   # kinds `verify` compares with the fixed golden model

SIM_BOARD_TIMEOUT_S = 300.0               # longest silence from the simulated board (it is slow, not dead)

# Golden runs of at least this many neuron-updates report their progress about every 5 %.
PROGRESS_UPDATES = 50_000_000


@dataclass
class ModelResult:
    """What every model returns.

    ``spikes``: int64 [K, 2] of (step, neuron), in step then neuron order. ``v_final_mv``: [N] mV after the
    last step. ``v_trace_mv``: [T, N] mV after every step, when asked for. ``v_trace``: the same as Q-format
    integers for the fixed-point models (``fixed``, ``rtl``), else None. ``cycles``: clock cycles of the run
    (``rtl``), else None. ``detail``: the model's own result object (``FixedResult``, ``FloatResult``,
    ``RTLResult``, :class:`BoardDetail`) for callers that need more (event cycles, build directory, link
    counters). Board kinds give ``v_trace`` (integers) too.
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


@dataclass
class BoardDetail:
    """What a board run reports besides spikes and voltages: the link's counters as the board counted them
    (``lifgen.protocol.COUNTERS``, read and cleared at the end of the run), the host's own decoder errors,
    the paced deadlines missed, and the URL it ran on."""
    url: str
    counters: dict
    host_errors: dict
    missed_deadlines: int
    paced: bool
    identity: dict = field(default_factory=dict)


def _golden_progress(progress, neurons, steps):
    if progress is None or neurons * steps < PROGRESS_UPDATES:
        return None
    return lambda done, total: progress(f"step {done}/{total} ({100 * done // total} %)", done, total)


def run(model, params: LIFParams, current_mv, neurons, steps, *, trace=False, core=CoreConfig(), sim="icarus",
        waves=None, stall=0, progress=None, port=None, paced=False, baudrate=host.DEFAULT_BAUDRATE) -> ModelResult:
    """Run ``model`` for ``steps`` steps on ``neurons`` neurons with input ``current_mv`` (R*I in mV: scalar,
    [N] or [T, N]). ``trace``: keep every step's voltages. ``core`` and ``sim`` apply to the simulated kinds;
    ``waves`` and ``stall`` (random backpressure 0..255 on the output streams) to ``rtl``; ``port`` (a serial
    device or any pyserial URL), ``baudrate`` and ``paced`` (one step per dt of the board's timer) to the boards."""
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}", field="model")
    _check_hardware(model, params, neurons, core, sim, waves)
    if model in ("board-sim", "board"):
        return _run_board(model, params, current_mv, neurons, steps, trace, core, sim, port, paced, baudrate,
                          progress)
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


def _check_hardware(model, params, neurons, core, sim, waves):
    """Refuse a core the simulated kinds cannot build (the storage and these constants or this neuron count) and
    a waveform path that cannot be written, before any model, simulator, build or progress message starts."""
    if model in SIMULATED:
        check_storage(params.fixed, neurons, core)
    if model == "rtl":
        check_waves(waves, sim)


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
                 f"{time.perf_counter() - t0:.1f} s in all (logs in {res.build_dir})", steps, steps)
    to_mv = params.fixed.to_mv
    return ModelResult("rtl", neurons, steps, res.spikes, to_mv(res.v_trace[-1]),
                       to_mv(res.v_trace) if trace else None, res.v_trace, res.cycles, res)


def _every_5_percent(progress, base, steps):
    """A driver progress callback (steps of this run) that reports the whole run's steps every 5 %."""
    last = [(100 * base) // (5 * steps)]

    def report(done, _total):
        bucket = (100 * (base + done)) // (5 * steps)
        if bucket != last[0]:
            last[0] = bucket
            progress(f"step {base + done}/{steps} ({100 * (base + done) // steps} %)", base + done, steps)
    return report


def _run_board(model, params, current_mv, neurons, steps, trace, core, sim, port, paced, baudrate, progress):
    u, per_step = input_schedule(params.fixed, currents_to_q(params.fixed, current_mv), steps, neurons)
    if model == "board":
        if port is None:
            raise InputError("a board run needs the serial port the board is on", field="port")
        place = contextlib.nullcontext(port)
    else:
        # Amaranth and cocotb take about a second to import; only the simulated board needs them.
        from .sim.board import SimulatedBoard
        if progress is not None:
            progress(f"starting the simulated board in {sim}: {neurons} neurons")
        place = SimulatedBoard(params, neurons, core, sim=sim)
    spikes, rows, missed, done = [], [], 0, 0
    with place as where:
        url = where if model == "board" else where.url
        # a simulated board runs ~10^4 times slower than its clock says: allow long silences
        timeout = SIM_BOARD_TIMEOUT_S if model == "board-sim" else host.DEFAULT_TIMEOUT_S
        partial = SIM_BOARD_TIMEOUT_S if model == "board-sim" else None
        with host.Board.open(url, baudrate=baudrate, timeout=timeout, partial_timeout=partial) as board:
            board.check_identity(params.fixed, neurons, mul_stages=core.mul_stages)
            identity = board.identity
            prev = np.zeros(neurons, dtype=np.int64)
            for row, k in constant_runs(u, per_step, steps):
                if not np.array_equal(row, prev):
                    board.write_inputs(row)
                    prev = row
                report = None if progress is None else _every_5_percent(progress, done, steps)
                res = board.run(k, paced=paced, trace=trace, progress=report)
                spikes.append(res.spikes)
                if trace:
                    rows.append(res.v_trace)
                missed += res.missed_deadlines
                done += k
            v_final = board.read_voltages()
            counters = board.read_counters(clear=True)
            host_errors = dict(board.host_errors)
        if model == "board-sim" and progress is not None:
            progress(f"simulated board done (logs in {where.build_dir})", steps, steps)
    spikes = np.concatenate(spikes).reshape(-1, 2).astype(np.int64)
    v_trace = np.concatenate(rows).astype(np.int64) if trace else None
    to_mv = params.fixed.to_mv
    detail = BoardDetail(url=url, counters=counters, host_errors=host_errors, missed_deadlines=missed,
                         paced=paced, identity=identity)
    return ModelResult(model, neurons, steps, spikes, to_mv(np.asarray(v_final, dtype=np.int64)),
                       to_mv(v_trace) if trace else None, v_trace, None, detail)


def verify(params: LIFParams, current_mv, neurons, steps, *, model="rtl", core=CoreConfig(), sim="icarus",
           waves=None, stall=0, progress=None, port=None, paced=False, baudrate=host.DEFAULT_BAUDRATE):
    """Run the fixed golden model and ``model`` on the same input and compare every spike event and every
    voltage. Returns the scoreboard's report (``report["match"]`` tells the outcome)."""
    if model not in VERIFIABLE:
        raise InputError(f"only the hardware models can be verified ({', '.join(VERIFIABLE)}), not {model!r}",
                         field="model")
    if not 0 <= stall <= 255:
        raise InputError(f"stall must be in 0..255, not {stall}", field="stall")
    if stall and model != "rtl":
        raise InputError(f"stall (random backpressure on the output streams) applies to the rtl model, "
                         f"not {model}", field="stall")
    _check_hardware(model, params, neurons, core, sim, waves)
    golden = run("fixed", params, current_mv, neurons, steps, trace=True, progress=progress)
    dut = run(model, params, current_mv, neurons, steps, trace=True, core=core, sim=sim, waves=waves,
              stall=stall, progress=progress, port=port, paced=paced, baudrate=baudrate)
    report = compare(golden, dut)
    report["model"] = model
    if isinstance(dut.detail, BoardDetail):
        report["link"] = dut.detail.counters
        report["missed_deadlines"] = dut.detail.missed_deadlines
    return report


def simulation_json(result: ModelResult, params: LIFParams):
    """The JSON object of ``lifgen simulate --json`` and ``lifgen run --json`` (pinned keys). Board runs add
    ``link`` (the board's counters), ``host_errors`` and, when paced, ``missed_deadlines``."""
    rates = mean_rate_hz(result.spikes, result.neurons, result.steps, params.dt_ms)
    out = {
        "model": result.model, "neurons": result.neurons, "steps": result.steps, "dt_ms": params.dt_ms,
        "spikes": np.asarray(result.spikes).tolist(),
        "rate_hz": [float(r) for r in rates],
        "v_final_mv": [float(v) for v in result.v_final_mv],
        "params": params.as_dict(), "constants": params.fixed.as_dict(),
    }
    if isinstance(result.detail, BoardDetail):
        out["link"] = dict(result.detail.counters)
        out["host_errors"] = dict(result.detail.host_errors)
        if result.detail.paced:
            out["missed_deadlines"] = result.detail.missed_deadlines
    return out


def summary_text(result: ModelResult, params: LIFParams, shown=10):
    """A few lines for a person: spike count, mean rate, and the first ``shown`` neurons."""
    rates = mean_rate_hz(result.spikes, result.neurons, result.steps, params.dt_ms)
    lines = [f"model {result.model}: {result.neurons} neurons, {result.steps} steps of {params.dt_ms:g} ms, "
             f"{len(result.spikes)} spikes, mean rate {rates.mean():.2f} Hz"]
    for n in range(min(result.neurons, shown)):
        lines.append(f"  neuron {n:4d}: {rates[n]:8.2f} Hz, v_final {result.v_final_mv[n]:8.3f} mV")
    if result.neurons > shown:
        lines.append(f"  ... {result.neurons - shown} more (the JSON output lists every neuron)")
    if isinstance(result.detail, BoardDetail):
        faults = {k: v for k, v in result.detail.counters.items() if k != "frames_ok" and v}
        lines.append(f"link {result.detail.url}: {result.detail.counters.get('frames_ok', 0)} frames, "
                     + (", ".join(f"{k} {v}" for k, v in faults.items()) if faults else "no errors")
                     + (f"; {result.detail.missed_deadlines} deadlines missed" if result.detail.paced else ""))
    return "\n".join(lines)



def run_on_board(board_name, params: LIFParams, current_mv, neurons, steps, *, port=None, simulator=None,
                 paced=False, trace=False, core=CoreConfig(), baudrate=host.DEFAULT_BAUDRATE,
                 progress=None) -> ModelResult:
    """``lifgen run``: run on the board ``board_name`` at ``port``, or on the simulated board when ``simulator``
    names one. A neuron count the board cannot hold is refused before anything starts (``InputError``)."""
    check_fits(get_board(board_name), params.fixed, neurons, core.with_host_link())
    if isinstance(baudrate, bool) or not isinstance(baudrate, int) or baudrate <= 0:   # even where unused (--sim)
        raise InputError(f"the baud rate must be a positive integer, not {baudrate!r}", field="baud")
    model = "board-sim" if simulator else "board"
    return run(model, params, current_mv, neurons, steps, trace=trace, core=core, sim=simulator or "icarus",
               port=port, paced=paced, baudrate=baudrate, progress=progress)
