# SPDX-License-Identifier: BSD-2-Clause
"""The figures people look at: membrane traces, spike rasters, f-I curves (matplotlib, Agg backend)."""

import os

import numpy as np

from .errors import InputError, check_output_path

__all__ = ["plot_traces", "plot_raster", "plot_fi", "plot_run", "check_plot_path"]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def check_plot_path(path, field="plot"):
    """Refuse (``InputError``) a figure path matplotlib cannot write: an unknown format (the file's suffix; none
    means PNG) or a place no file can go (:func:`lifgen.errors.check_output_path`, which creates missing
    directories). Call it before the run whose figure it is."""
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if suffix:
        _pyplot()
        from matplotlib.backend_bases import FigureCanvasBase
        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix not in formats:
            raise InputError(f"cannot write the plot {path!r}: matplotlib has no format {suffix!r} (choose "
                             f"one of {', '.join(sorted(formats))})", field=field)
    return check_output_path(path, "the plot", field, create_parents=True)


def _save(fig, path):
    path = check_plot_path(path)
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise InputError(f"cannot write the plot {path!r}: {exc.strerror or exc}", field="plot") from None
    finally:
        _pyplot().close(fig)


def _draw_traces(ax, params, v_mv, labels, dt_ms, spikes=None, columns=None):
    t_ms = (np.arange(v_mv.shape[0]) + 1) * dt_ms
    for k, label in enumerate(labels):
        ax.plot(t_ms, v_mv[:, k], lw=1.2, label=label)
        if spikes is not None and columns is not None:
            ts = spikes[spikes[:, 1] == columns[k], 0]
            # draw each spike as a stroke above threshold, as the lecture figures do
            ax.vlines((ts + 1) * dt_ms, params.v_th_mv, params.v_th_mv + 4, lw=1.2,
                      color=ax.lines[-1].get_color())
    ax.axhline(params.v_th_mv, color="k", ls="--", lw=1, label=f"threshold {params.v_th_mv:g} mV")
    ax.axhline(params.v_rest_mv, color="grey", ls=":", lw=1, label=f"rest {params.v_rest_mv:g} mV")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)


def plot_traces(path, params, v_mv, labels, title, spikes=None, columns=None):
    """Membrane potential of a few neurons over time. ``v_mv`` is [T, k] (after each step)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    _draw_traces(ax, params, np.asarray(v_mv), labels, params.dt_ms, spikes, columns)
    ax.set_title(title)
    _save(fig, path)


def _draw_raster(ax, spikes, neurons, steps, dt_ms):
    spikes = np.asarray(spikes).reshape(-1, 2)
    size = max(4, min(60, 3000 / neurons))           # ticks shrink as rows get dense
    ax.scatter(spikes[:, 0] * dt_ms, spikes[:, 1], s=size, marker="|", color="k", linewidths=1)
    ax.set_xlim(0, steps * dt_ms)
    ax.set_ylim(-0.5, neurons - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")


def plot_raster(path, spikes, neurons, steps, dt_ms, title, currents_mv=None):
    """Spike raster; with ``currents_mv`` a second axis labels each row by its input."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _draw_raster(ax, spikes, neurons, steps, dt_ms)
    if currents_mv is not None and len(currents_mv) == neurons:
        ticks = np.linspace(0, neurons - 1, min(neurons, 6)).round().astype(int)
        sec = ax.secondary_yaxis("right")
        sec.set_yticks(ticks, [f"{currents_mv[i]:.1f}" for i in ticks])
        sec.set_ylabel("R·I (mV)")
    ax.set_title(f"{title}: {len(spikes)} spikes")
    _save(fig, path)


def plot_fi(path, params, current_mv, curves, title="f-I curve"):
    """Rate against input for several models. ``curves`` maps a label to rates (Hz)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"analytic": dict(color="k", lw=2), "float": dict(ls="--", marker="o", ms=3),
              "fixed": dict(ls=":", marker="x", ms=4), "rtl": dict(ls="", marker="+", ms=7)}
    for label, rates in curves.items():
        ax.plot(current_mv, rates, label=label, **styles.get(label, {}))
    rheo = params.v_th_mv - params.v_rest_mv
    ax.axvline(rheo, color="grey", ls=":", lw=1, label=f"rheobase {rheo:g} mV")
    ax.set_xlabel("input R·I (mV)")
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title(f"{title} (tau {params.tau_ms:g} ms, t_ref {params.t_ref_ms:g} ms, dt {params.dt_ms:g} ms)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_run(path, params, spikes, v_mv, neurons, steps, title, max_traces=6):
    """One figure for ``lifgen simulate --plot``: traces of the first neurons above a raster of all."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True,
                                   gridspec_kw=dict(height_ratios=[3, 2]))
    k = min(max_traces, neurons)
    spikes = np.asarray(spikes).reshape(-1, 2)
    _draw_traces(ax1, params, np.asarray(v_mv)[:, :k], [f"neuron {i}" for i in range(k)],
                 params.dt_ms, spikes, list(range(k)))
    ax1.set_title(title)
    ax1.set_xlabel("")
    _draw_raster(ax2, spikes, neurons, steps, params.dt_ms)
    _save(fig, path)
