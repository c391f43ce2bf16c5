# SPDX-License-Identifier: BSD-2-Clause
"""Payload layouts of the neuron array's streams: defined once, used by the RTL, the harness and the tests.

First field in the low bits (Amaranth's struct packing), so on the Verilog ports, with ``A = index_bits(N)``:

- ``cur``:    ``[A-1:0]`` neuron index, ``[A+W-1:A]`` signed input u (Q format)
- ``spikes``: ``[A-1:0]`` neuron index, ``[A+15:A]`` time-step number modulo 2**16
- ``trace``:  ``[A-1:0]`` neuron index, ``[A+W-1:A]`` signed v after the update
"""

from amaranth.hdl import Shape, signed, unsigned
from amaranth.lib import data

from lifgen.params import STEP_BITS, index_bits

__all__ = ["cur_layout", "spike_layout", "trace_layout", "state_layout", "pack", "unpack"]


def cur_layout(neurons, width):
    return data.StructLayout({"neuron": unsigned(index_bits(neurons)), "u": signed(width)})


def spike_layout(neurons):
    return data.StructLayout({"neuron": unsigned(index_bits(neurons)), "step": unsigned(STEP_BITS)})


def trace_layout(neurons, width):
    return data.StructLayout({"neuron": unsigned(index_bits(neurons)), "v": signed(width)})


def state_layout(width, ref_width):
    """Per-neuron state word in the state RAM: v, and the refractory counter when N_REF > 0."""
    fields = {"v": signed(width)}
    if ref_width:
        fields["r"] = unsigned(ref_width)
    return data.StructLayout(fields)


def unpack(layout, word):
    """Split an integer payload into a dict of Python ints following ``layout`` (signed fields sign-extended)."""
    out = {}
    for name, field in layout:
        shape = Shape.cast(field.shape)
        value = (word >> field.offset) & ((1 << shape.width) - 1)
        if shape.signed and value >> (shape.width - 1):
            value -= 1 << shape.width
        out[name] = value
    return out


def pack(layout, **values):
    """The inverse of :func:`unpack`: a dict of ints to an integer payload."""
    word = 0
    for name, field in layout:
        width = field.width
        word |= (values[name] & ((1 << width) - 1)) << field.offset
    return word
