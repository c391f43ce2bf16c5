# SPDX-License-Identifier: BSD-2-Clause
"""FPGA board support (iCE40, ECP5 through Yosys and nextpnr).

Empty for now: board tops, the UART host link and bitstream builds arrive with the board issue.
It may import ``lifgen.hw`` and ``lifgen.params``, never ``lifgen.golden``.
"""
