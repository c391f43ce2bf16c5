# SPDX-License-Identifier: BSD-2-Clause
"""Golden models of the LIF neuron: integer (``fixed``), float64 (``floating``), closed form (``analytic``).

Imports nothing but numpy and ``lifgen.params``: it loads fast and can never peek at the RTL.
"""
