# SPDX-License-Identifier: BSD-2-Clause
"""The RTL: the neuron-array Component (``core``), its payload layouts, and Verilog export.

Imports the ground floor (``lifgen.params``, ``lifgen.errors``) only; never the golden model.
"""
