# SPDX-License-Identifier: BSD-2-Clause
"""lifgen: pipelined fixed-point LIF neuron arrays for FPGAs, with a bit-exact golden model.

Subpackages: ``lifgen.golden`` (reference models), ``lifgen.hw`` (Amaranth RTL), ``lifgen.sim`` (cocotb harness
and the simulated board), ``lifgen.boards`` (FPGA boards). Parameters live in ``lifgen.params``, the host link's
protocol in ``lifgen.protocol``, its driver in ``lifgen.host``; ``lifgen.models`` runs any model; the command
line is ``lifgen.cli``.
"""
from .errors import LifgenError, ParameterError, InputError, ToolError
from .params import LIFParams, FixedParams

__all__ = ["LIFParams", "FixedParams", "LifgenError", "ParameterError", "InputError", "ToolError"]
__version__ = "0.1.0"
