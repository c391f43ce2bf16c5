# SPDX-License-Identifier: BSD-2-Clause
"""``make demo``: the default model on a small population, compared with float and analytic, with plots,
then the generated Verilog checked against the golden model in Icarus Verilog."""

import os
import time

import numpy as np

from . import models
from .boards.registry import check_fits, get_board
from .errors import MismatchError, check_output_path
from .golden import analytic
from .golden.ficurve import fi_curves
from .golden.stats import isi_rate_hz
from .params import CoreConfig, LIFParams, check_neurons, check_steps
from .plots import plot_fi, plot_raster, plot_traces

__all__ = ["run_demo"]

DEMO_BOARD = "icebreaker"       # the board the demo builds a bitstream for


def _section(title):
    print(f"\n== {title}")


def run_demo(out_dir="out", neurons=64, steps=3000, rtl=True, board=True, progress=None):
    """Print the demo's report and write its figures (and with ``rtl`` the Verilog) under ``out_dir``; with
    ``board`` also run the population on the simulated board through the host driver and build the iCEBreaker
    bitstream under ``out_dir/icebreaker``. Raises :class:`MismatchError` when a hardware model does not match
    the golden model."""
    check_neurons(neurons)
    check_steps(steps)
    params = LIFParams()
    fx = params.fixed
    if board:       # the bitstream at the end must fit, or nothing starts
        check_fits(get_board(DEMO_BOARD), fx, neurons, CoreConfig().with_host_link())
    check_output_path(out_dir, "the demo's output directory", "out", directory=True, create_parents=True)
    current = np.linspace(0.0, 40.0, neurons)

    _section("parameters")
    print(f"tau {params.tau_ms} ms, dt {params.dt_ms} ms, v_rest {params.v_rest_mv} mV, "
          f"v_th {params.v_th_mv} mV, v_reset {params.v_reset_mv} mV, t_ref {params.t_ref_ms} ms")
    print(f"Q{fx.W - fx.F}.{fx.F} (LSB {2.0 ** -fx.F:g} mV), G = {fx.G} / 2^{fx.S}, N_REF = {fx.NREF}, "
          f"reset {params.reset}; leak dead band {params.dead_band_lsb:.1f} LSB "
          f"= {fx.to_mv(params.dead_band_lsb):.3f} mV")

    _section(f"population: {neurons} neurons, R*I from {current[0]:g} to {current[-1]:g} mV, "
             f"{steps} steps ({steps * params.dt_ms:g} ms)")
    t0 = time.perf_counter()
    res_fx = models.run("fixed", params, current, neurons, steps, trace=True)
    t1 = time.perf_counter()
    res_fl = models.run("float", params, current, neurons, steps, trace=True)
    rate_fx = isi_rate_hz(res_fx.spikes, neurons, steps, params.dt_ms)
    rate_fl = isi_rate_hz(res_fl.spikes, neurons, steps, params.dt_ms)
    rate_an = analytic.rate_hz(params, current)
    print(f"fixed model: {len(res_fx.spikes)} spikes in {1e3 * (t1 - t0):.1f} ms; "
          f"float model: {len(res_fl.spikes)} spikes")
    print(f"{'R*I (mV)':>9} {'analytic':>9} {'float':>9} {'fixed':>9}   (Hz)")
    for k in np.linspace(0, neurons - 1, min(neurons, 9)).round().astype(int):
        print(f"{current[k]:9.2f} {rate_an[k]:9.2f} {rate_fl[k]:9.2f} {rate_fx[k]:9.2f}")

    _section("quantisation error")
    firing = rate_an > 0
    quiet = ~firing      # below the rheobase both models settle without spikes: voltages are comparable
    dv = np.abs(res_fx.v_final_mv - res_fl.v_final_mv)[quiet]
    # bound: the leak dead band plus half an LSB from quantising the input
    bound = fx.to_mv(params.dead_band_lsb + 0.5)
    print(f"settled voltage |fixed - float| below rheobase: max {dv.max():.3f} mV (bound {bound:.3f} mV)")
    print(f"rate |fixed - float|: max {np.max(np.abs(rate_fx - rate_fl)):.2f} Hz; "
          f"|fixed - analytic| max {np.max(np.abs(rate_fx - rate_an)[firing]):.2f} Hz "
          f"(analytic ignores the dt grid)")
    print(f"spike counts fixed/float: {len(res_fx.spikes)}/{len(res_fl.spikes)}")

    _section("plots")
    fig2_current = np.array([12.0, 16.0, 30.0])
    fig2 = models.run("fixed", params, fig2_current, 3, 1000, trace=True)
    paths = {
        "trace": os.path.join(out_dir, "trace.png"),
        "raster": os.path.join(out_dir, "raster.png"),
        "fi": os.path.join(out_dir, "fi.png"),
    }
    plot_traces(paths["trace"], params, fig2.v_trace_mv, [f"R·I = {i:g} mV" for i in fig2_current],
                "fixed-point LIF membrane potential (cf. lecture figure 2)", fig2.spikes, [0, 1, 2])
    plot_raster(paths["raster"], res_fx.spikes, neurons, steps, params.dt_ms,
                "fixed-point LIF population", currents_mv=current)
    fi_current = np.linspace(0.0, 60.0, 61)
    plot_fi(paths["fi"], params, fi_current, fi_curves(params, fi_current, 10000),
            "f-I curve (cf. lecture figure 3)")
    for name, path in paths.items():
        print(f"{name:7s} {path}")

    if rtl:
        _rtl_section(out_dir, params, current, res_fx, steps, progress)
    if board:
        _board_section(out_dir, params, current, min(steps, BOARD_STEPS), progress)
    return {"params": params, "current": current, "fixed": res_fx, "float": res_fl}


def _rtl_section(out_dir, params, current, golden, steps, progress):
    """Generate the Verilog for the demo population and check it against the golden model in Icarus."""
    # Amaranth and cocotb take about a second to import; only this section needs them.
    from .hw.export import write_verilog
    from .sim.scoreboard import compare, format_report

    neurons = len(current)
    _section(f"RTL: {neurons}-neuron array in Icarus Verilog")
    path = os.path.join(out_dir, "lif_array.v")
    write_verilog(path, params, neurons, CoreConfig(trace=True))
    print(f"verilog {path} (the same file `lifgen verilog --neurons {neurons} --trace -o {path}` writes)")
    res = models.run("rtl", params, current, neurons, steps, trace=True, sim="icarus", progress=progress)
    print(f"simulation speed {res.cycles / res.detail.wall_s:.0f} cycles/s")
    report = compare(golden, res)
    print(format_report(report, params, "icarus"))
    if not report["match"]:
        raise MismatchError("the RTL does not match the golden model")


BOARD_STEPS = 1000      # the simulated UART moves a byte per 40 clock cycles: keep the board part short


def _board_section(out_dir, params, current, steps, progress):
    """The same population on the simulated board (host driver -> socket -> UART bits -> Icarus), then a real
    iCEBreaker bitstream of it."""
    from .boards.flow import build_for_board
    from .sim.scoreboard import compare, format_report

    neurons = len(current)
    _section(f"simulated board: {neurons} neurons x {steps} steps through the host driver and the UART")
    golden = models.run("fixed", params, current, neurons, steps)
    t0 = time.perf_counter()
    res = models.run("board-sim", params, current, neurons, steps, progress=progress)
    detail = res.detail
    print(f"{len(res.spikes)} spike frames over the simulated UART in {time.perf_counter() - t0:.1f} s; "
          f"link counters: {detail.counters['frames_ok']} frames, "
          f"{sum(v for k, v in detail.counters.items() if k != 'frames_ok')} faults")
    report = {**compare(golden, res), "model": "board-sim"}
    print(format_report(report, params, "icarus") + " (spikes; final voltages read back: "
          + ("equal" if (res.v_final_mv == golden.v_final_mv).all() else "DIFFERENT") + ")")
    if not report["match"] or not (res.v_final_mv == golden.v_final_mv).all():
        raise MismatchError("the simulated board does not match the golden model")

    _section(f"bitstream: iCEBreaker (iCE40UP5K), {neurons} neurons, Yosys and nextpnr from YoWASP")
    build = build_for_board(DEMO_BOARD, params, neurons, out=os.path.join(out_dir, DEMO_BOARD))
    print(f"{build.luts}/{build.luts_available} logic cells, {build.ffs} flip-flops, "
          f"{build.brams}/{build.brams_available} block RAMs, {build.dsps} DSPs; Fmax {build.fmax_mhz:.1f} MHz "
          f"for {build.target_mhz:g} MHz ({'met' if build.timing_met else 'NOT met'}); {build.seconds:.0f} s")
    print(f"bitstream {build.bitstream} (flash it: lifgen build --board icebreaker --neurons {neurons} --program)")
