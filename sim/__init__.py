# SPDX-License-Identifier: BSD-2-Clause
"""The cocotb harness: Verilog wrapper, stimulus driver and runner (``harness.run_rtl``).

The only package besides the tests where the RTL (``lifgen.hw``) and the golden model meet.
"""
