# SPDX-License-Identifier: BSD-2-Clause
"""Golden models of the LIF neuron: integer (``fixed``), float64 (``floating``), closed form (``analytic``), the
f-I curves (``ficurve``), the RTL's cycle timing (``timing``) and rates (``stats``).

Imports nothing but numpy and the ground floor (``lifgen.params``, ``lifgen.stimulus``, ``lifgen.errors``): it
loads fast and can never peek at the RTL.
"""
