# SPDX-License-Identifier: BSD-2-Clause
"""Simulation: a generic cocotb runner (``runner``), the neuron array's harness (``harness``, ``driver``,
``wrapper``, ``scoreboard``) and the simulated board behind a local socket (``board``, ``board_driver``).

The only package besides the tests where the RTL (``lifgen.hw``) and the golden model meet. Importing it loads
no cocotb: that happens when a simulation runs.
"""
