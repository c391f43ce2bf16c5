# SPDX-License-Identifier: BSD-2-Clause
"""``lifgen build``: from parameters to a bitstream for a named board, and the command that flashes it.

:func:`build_for_board` refuses what cannot work before any synthesis (an unknown board, a neuron count the
board cannot hold, a clock its PLL cannot make, a baud rate the clock cannot divide, a seed nextpnr cannot take,
a build directory it cannot write), then builds the
:class:`~lifgen.boards.top.BoardTop` through Yosys and nextpnr (``lifgen.boards.build``) and returns the report.
:func:`build_with_seeds` does the same for several placement seeds (:func:`parse_seeds`), one build directory
each, and keeps the best: nextpnr's Fmax moves by several per cent from one seed to the next.
"""

import concurrent.futures
import functools
import os
import re

from lifgen.errors import InputError, check_output_path, refused_quietly, set_aside
from lifgen.params import CoreConfig, LIFParams
from lifgen.protocol import DEFAULT_BAUD

from .build import build_bitstream, check_seed, program_command
from .registry import check_fits, get_board
from .top import ArrayTop, BoardTop

__all__ = ["TOPS", "SEEDS_MAX", "build_for_board", "build_with_seeds", "parse_seeds", "programming_command"]


TOPS = ("board", "array")
SEEDS_MAX = 64                      # seeds in one `--seeds` list (a typo such as 1-1000 would build for hours)


def build_for_board(board_name, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, clock_mhz=None,
                    out=None, baud=DEFAULT_BAUD, seed=1, top="board"):
    """Build the bitstream; returns the ``BuildReport`` (unmet timing is in it: ``report.check()`` raises).
    ``top``: ``board`` (the product: host link and array, :class:`~lifgen.boards.top.BoardTop`) or ``array``
    (the array alone, fed on chip, to measure it: :class:`~lifgen.boards.top.ArrayTop`)."""
    board, top, out = _prepare(board_name, params, neurons, config, clock_mhz=clock_mhz, out=out, baud=baud,
                               seed=seed, top=top)
    return build_bitstream(board, top, out, clock_hz=top.actual_clock_hz, seed=seed, neurons=neurons)


def _prepare(board_name, params, neurons, config, *, clock_mhz, out, baud, seed, top):
    """Everything :func:`build_for_board` checks and makes before synthesis: ``(board, top, build directory)``."""
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
    return board, top, out


def programming_command(board_name, bitstream):
    """The exact command that flashes ``bitstream`` onto the board (``ToolError`` when no programmer is found)."""
    return program_command(get_board(board_name), bitstream)


def parse_seeds(text):
    """The placement seeds of a ``--seeds`` list: comma-separated integers and ranges, e.g. ``"1-8"`` or
    ``"1,3,5-7"``, in the order given, without repeats. ``InputError`` (field ``seeds``) for anything else, a
    range that runs backwards, a seed nextpnr cannot take or more than SEEDS_MAX seeds."""
    seeds = []
    for part in str(text).split(","):
        match = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", part)
        if not match:
            raise InputError(f"seeds must be integers and ranges such as 1-8 or 1,3,5, not {text!r}", field="seeds")
        lo = int(match[1])
        hi = lo if match[2] is None else int(match[2])
        if hi < lo:
            raise InputError(f"the seed range {part.strip()} runs backwards", field="seeds")
        if hi - lo + 1 > SEEDS_MAX:
            raise InputError(f"at most {SEEDS_MAX} seeds at once, not {hi - lo + 1}", field="seeds")
        for seed in range(lo, hi + 1):
            try:
                check_seed(seed)
            except InputError as exc:
                raise InputError(str(exc), field="seeds") from None
            if seed not in seeds:
                seeds.append(seed)
    if len(seeds) > SEEDS_MAX:
        raise InputError(f"at most {SEEDS_MAX} seeds at once, not {len(seeds)}", field="seeds")
    return seeds


def build_with_seeds(board_name, params: LIFParams, neurons, config: CoreConfig = CoreConfig(), *, seeds,
                     clock_mhz=None, out=None, baud=DEFAULT_BAUD, top="board", progress=None, jobs=1):
    """:func:`build_for_board` once per seed of ``seeds`` (a list, or a ``--seeds`` text for :func:`parse_seeds`),
    each in ``<out>/seed-<seed>``, ``jobs`` of them at once (separate processes); returns ``(best, reports)``: the
    report with the highest Fmax (the first in ``seeds`` among equals) and every report in the order of ``seeds``.
    ``progress(message, done, total)`` is called as each build starts (with ``jobs`` > 1: as each finishes). What
    :func:`build_for_board` refuses is refused before any build."""
    seeds = parse_seeds(seeds) if isinstance(seeds, str) else [check_seed(seed) for seed in seeds]
    if not seeds:
        raise InputError("no seeds given", field="seeds")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be a positive integer, not {jobs!r}", field="jobs")
    out = check_output_path(out or os.path.join("build", get_board(board_name).name), "the build directory", "out",
                            directory=True)
    build = functools.partial(_build_seed, board_name, params, neurons, config, clock_mhz, out, baud, top)
    if jobs == 1 or len(seeds) == 1:
        reports = []
        for k, seed in enumerate(seeds):
            if progress:
                progress(f"build {k + 1}/{len(seeds)}, seed {seed}", k, len(seeds))
            reports.append(build(seed))
    else:
        # refuse what cannot work (a board too small, a clock the PLL cannot make, ...) here, before any build
        _, probe, _ = _prepare(board_name, params, neurons, config, clock_mhz=clock_mhz, baud=baud, seed=seeds[0],
                               top=top, out=os.path.join(out, f"seed-{seeds[0]}"))
        set_aside(probe)
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(seeds))) as pool:
            futures = {pool.submit(build, seed): seed for seed in seeds}
            done = {}
            for future in concurrent.futures.as_completed(futures):
                done[futures[future]] = future.result()
                if progress:
                    progress(f"built {len(done)}/{len(seeds)}: seed {futures[future]}, "
                             f"{done[futures[future]].fmax_mhz:.1f} MHz", len(done), len(seeds))
        reports = [done[seed] for seed in seeds]
    best = max(reports, key=lambda report: (report.fmax_mhz, -seeds.index(report.seed)))
    return best, reports


def _build_seed(board_name, params, neurons, config, clock_mhz, out, baud, top, seed):
    return build_for_board(board_name, params, neurons, config, clock_mhz=clock_mhz,
                           out=os.path.join(out, f"seed-{seed}"), baud=baud, seed=seed, top=top)
