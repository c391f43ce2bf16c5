# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen build``: from parameters to a bitstream for a named board, and the command that flashes it.

:func:`build_for_board` refuses what cannot work before any synthesis (an unknown board, a neuron count the
board cannot hold, a clock its PLL cannot make, a baud rate the clock cannot divide, a seed nextpnr cannot take,
a build directory it cannot write), then builds the
:class:`~lifgen.boards.top.BoardTop` through Yosys and nextpnr (``lifgen.boards.build``) and returns the report.
"""

import os

from lifgen.errors import InputError, check_output_path, refused_quietly
from lifgen.params import CoreConfig, LIFParams
from lifgen.protocol import DEFAULT_BAUD

from .build import build_bitstream, check_seed, program_command
from .registry import check_fits, get_board
from .top import ArrayTop, BoardTop

__all__ = ["TOPS", "build_for_board", "programming_command"]


TOPS = ("board", "array")


def build_for_board(board_name, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_mhz=None,
                    out=None, baud=DEFAULT_BAUD, seed=1, top="board"):
    """Build the bitstream; returns the ``BuildReport`` (unmet timing is in it: ``report.check()`` raises).
    ``top``: ``board`` (the product: host link and array, :class:`~lifgen.boards.top.BoardTop`) or ``array``
    (the array alone, fed on chip, to measure it: :class:`~lifgen.boards.top.ArrayTop`)."""
    board = get_board(board_name)
    if top not in TOPS:
        raise InputError(f"top must be one of {', '.join(TOPS)}, not {top!r}", field="top")
    check_fits(board, params.fixed, neurons, config.with_host_link() if top == "board" else config)
    check_seed(seed)
    if top == "array" and baud != DEFAULT_BAUD:
        raise InputError(f"the array top has no UART: a baud rate ({baud}) applies to the board top only",
                         field="baud")
    clock_hz = board.default_clock_hz if clock_mhz is None else clock_mhz * 1e6
    if top == "board":          # the tops refuse a clock the PLL cannot make and a baud rate it cannot divide
        top = BoardTop(board, params, neurons, config, clock_hz=clock_hz, baud=baud)
    else:
        top = ArrayTop(board, params, neurons, config, clock_hz=clock_hz)
    with refused_quietly(top):  # a top never elaborated would warn when collected, after the refusal
        out = check_output_path(out or os.path.join("build", board.name), "the build directory", "out",
                                directory=True)
    return build_bitstream(board, top, out, clock_hz=top.actual_clock_hz, seed=seed, neurons=neurons)


def programming_command(board_name, bitstream):
    """The exact command that flashes ``bitstream`` onto the board (``ToolError`` when no programmer is found)."""
    return program_command(get_board(board_name), bitstream)
