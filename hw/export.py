# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen verilog``: the neuron array as a Verilog file with its parameters in a comment header."""

from lifgen.params import LIFParams, index_bits

from .core import LIFArray
from .verilog import convert

__all__ = ["verilog_text", "header_text"]


def header_text(params: LIFParams, array: LIFArray, name: str):
    c = params.fixed
    a, w = index_bits(array.neurons), c.W
    lines = [
        f"lifgen {name}: {array.neurons} time-multiplexed LIF neurons (generated, do not edit)",
        f"N = {array.neurons}  W = {c.W}  F = {c.F}  S = {c.S}  G = {c.G}  N_REF = {c.NREF}  "
        f"reset = {params.reset}",
        f"VREST = {c.VREST}  VRESET = {c.VRESET}  VTH = {c.VTH}  (Q{c.W - c.F}.{c.F}, 1 LSB = 2^-{c.F} mV)",
        f"tau = {params.tau_ms:g} ms  dt = {params.dt_ms:g} ms  v_rest = {params.v_rest_mv:g} mV  "
        f"v_reset = {params.v_reset_mv:g} mV  v_th = {params.v_th_mv:g} mV  t_ref = {params.t_ref_ms:g} ms",
        f"latency L = {array.latency}: a step takes N + L = {array.neurons + array.latency} cycles; "
        f"post-reset clear {array.timing.clear_cycles} cycles",
        f"spike FIFO depth {array.spike_fifo_depth}" +
        (f", trace FIFO depth {array.trace_fifo_depth}" if array.has_trace else ""),
        "ports: clk, rst (synchronous, active high); step (in); busy (out)",
        f"  cur__valid/ready/payload    [{a - 1}:0] neuron, [{a + w - 1}:{a}] signed u",
        f"  spikes__valid/ready/payload [{a - 1}:0] neuron, [{a + 15}:{a}] step mod 2^16",
    ]
    if array.has_trace:
        lines.append(f"  trace__valid/ready/payload  [{a - 1}:0] neuron, [{a + w - 1}:{a}] signed v")
    lines.append("Plain Verilog-2005; simulates from time 0 in Icarus Verilog 11 and Verilator 5.")
    return "".join(f"// {line}\n" for line in lines)


def verilog_text(params: LIFParams, neurons: int, *, name="lif_array", trace=False, **core_options):
    """Verilog text of a ``LIFArray`` for ``params``, module ``name``, with the parameter header."""
    array = LIFArray(params.fixed, neurons, trace=trace, **core_options)
    return convert(array, name=name, header=header_text(params, array, name), emit_src=False)
