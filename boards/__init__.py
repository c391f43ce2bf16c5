# SPDX-License-Identifier: BSD-2-Clause
"""FPGA boards (iCE40, ECP5) through Yosys and nextpnr: the board list (``registry``), clocks (``pll``), the UART
and the frame engine of the host link (``uart``, ``link``), board tops (``top``), bitstream builds (``build``,
``flow``).

May import ``lifgen.hw``, ``lifgen.protocol`` and the ground floor, never ``lifgen.golden``. ``registry`` loads no
Amaranth (``amaranth_boards`` only when a platform is made), so the board list stays cheap.
"""
