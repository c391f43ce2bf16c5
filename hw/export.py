# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen verilog``: the neuron array as a Verilog file with its parameters in a comment header."""

import re

from lifgen.errors import InputError, check_output_path
from lifgen.params import STEP_BITS, CoreConfig, LIFParams, check_neurons

from .core import LIFArray
from .layouts import cur_layout, field_range, spike_layout, trace_layout
from .verilog import convert

__all__ = ["verilog_text", "write_verilog", "header_text"]


def _bits(layout, name):
    msb, lsb = field_range(layout, name)
    return f"[{msb}:{lsb}]"


def header_text(params: LIFParams, array: LIFArray, name: str):
    """The comment block at the top of the file: every number a user of the module needs, from the one
    definitions (``LIFParams``, ``CoreConfig``, ``CoreTiming``, the payload layouts)."""
    c, cfg, n = params.fixed, array.config, array.neurons
    cur, spk, trc = cur_layout(n, c.W), spike_layout(n), trace_layout(n, c.W)
    lines = [
        f"lifgen {name}: {n} time-multiplexed LIF neurons (generated, do not edit)",
        f"N = {n}  W = {c.W}  F = {c.F}  S = {c.S}  G = {c.G}  N_REF = {c.NREF}  "
        f"reset = {params.reset}",
        f"VREST = {c.VREST}  VRESET = {c.VRESET}  VTH = {c.VTH}  (Q{c.W - c.F}.{c.F}, 1 LSB = 2^-{c.F} mV)",
        f"tau = {params.tau_ms:g} ms  dt = {params.dt_ms:g} ms  v_rest = {params.v_rest_mv:g} mV  "
        f"v_reset = {params.v_reset_mv:g} mV  v_th = {params.v_th_mv:g} mV  t_ref = {params.t_ref_ms:g} ms",
        f"latency L = {array.timing.latency}: a step takes ceil(N/P) + L = {array.timing.step_cycles} cycles; "
        f"post-reset clear {array.timing.clear_cycles} cycles; events leave {array.timing.fifo_latency} cycles "
        "after their commit",
        f"core options: lanes P = {cfg.lanes}, storage {cfg.storage}, read_stages = {cfg.read_stages}, "
        f"mul_stages = {cfg.mul_stages}, add_stages = {cfg.add_stages}",
        f"  spike FIFO depth {cfg.spike_fifo_depth}" +
        (f", trace FIFO depth {cfg.trace_depth}" if cfg.trace else ", no trace") +
        {"spram": " (instantiates SB_SPRAM256KA: synthesise for an iCE40UP, simulate with a model of it)",
         "dp16kd": " (instantiates DP16KD and FD1S3AX: synthesise for an ECP5, simulate with models of them)"}
        .get(cfg.storage, ""),
        "ports: clk, rst (synchronous, active high); step (in); busy (out)",
        f"  cur__valid/ready/payload    {_bits(cur, 'neuron')} neuron, {_bits(cur, 'u')} signed u",
        f"  spikes__valid/ready/payload {_bits(spk, 'neuron')} neuron, {_bits(spk, 'step')} "
        f"step mod 2^{STEP_BITS}",
    ]
    if cfg.trace:
        lines.append(f"  trace__valid/ready/payload  {_bits(trc, 'neuron')} neuron, {_bits(trc, 'v')} signed v")
    lines.append("Plain Verilog-2005; simulates from time 0 in Icarus Verilog 11 and Verilator 5.")
    return "".join(f"// {line}\n" for line in lines)


def verilog_text(params: LIFParams, neurons: int, config: CoreConfig = CoreConfig(), *, name="lif_array"):
    """Verilog text of a ``LIFArray`` for ``params`` and ``config``, module ``name``, with the parameter header.
    Raises ``lifgen.errors.ParameterError`` for a bad neuron count and ``InputError`` for a module name that is
    not a Verilog identifier, before any Amaranth object exists."""
    check_neurons(neurons)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
        raise InputError(f"the module name must be a Verilog identifier, not {name!r}", field="name")
    array = LIFArray(params.fixed, neurons, config)
    return convert(array, name=name, header=header_text(params, array, name), emit_src=False)


def write_verilog(path, params: LIFParams, neurons: int, config: CoreConfig = CoreConfig(), *, name="lif_array"):
    """Write :func:`verilog_text` to ``path``; returns the text. ``InputError`` when the file cannot be written."""
    check_output_path(path, "the Verilog file", "output")
    text = verilog_text(params, neurons, config, name=name)
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        raise InputError(f"cannot write {path!r}: {exc.strerror}", field="output") from None
    return text
