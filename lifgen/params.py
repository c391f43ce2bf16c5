# SPDX-License-Identifier: BSD-2-Clause
"""LIF parameters in physical units and their quantised integer form (defined once, used everywhere).

:class:`LIFParams` holds what a user chooses (milliseconds, millivolts, word widths).
:meth:`LIFParams.fixed` turns it into :class:`FixedParams`, the integer constants that the
golden model (``lifgen.golden.fixed``) and the RTL (``lifgen.hw``) both implement.
The update rule itself is documented in README.md, section "The integer update rule".

Quantisation (all "round" below is round half up, ``floor(x + 0.5)``)::

    q(x)  = floor(x * 2**F + 0.5)                 millivolts -> Q(W-F).F integer
    G     = floor((1 - exp(-dt/tau)) * 2**S + 0.5) leak gain, unsigned, S fraction bits
    N_REF = floor(t_ref/dt + 0.5)                 refractory period in time steps

Core options (pipeline depth, FIFO depths, the trace stream) are :class:`CoreConfig`; the cycle timing they
imply is :class:`CoreTiming`. Every number two parts of lifgen must agree on is defined in this module.
"""

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .errors import ParameterError

__all__ = ["LIFParams", "FixedParams", "CoreConfig", "CoreTiming", "RESET_MODES", "WIDTH_MIN", "WIDTH_MAX",
           "GAIN_BITS_MAX", "STEP_BITS", "NEURONS_MAX", "STEPS_MAX", "NREF_MAX", "SPRAM_WORDS", "DP16KD_CONFIGS",
           "DP16KD_DIVIDE_BITS", "index_bits", "round_half_up", "check_neurons", "check_steps", "check_storage",
           "dp16kd_shape"]

RESET_MODES = ("value", "subtract")
WIDTH_MIN = 4
WIDTH_MAX = 32
GAIN_BITS_MAX = 28      # keeps x * G inside int64 for every legal width (|x| < 2**(W+1), G <= 2**S)


STEP_BITS = 16          # width of the time-step number carried by every spike event (wraps modulo 2**16)
# a deep FIFO has room while its credit counter was at least this a cycle before (CoreTiming.room_slack): a power
# of two, so the compare is an OR of the counter's high bits
ROOM_SLACK_CREDITS = 4
NEURONS_MAX = (1 << 32) - 1     # the host link carries neuron counts and indices in 32 bits (lifgen.protocol)
STEPS_MAX = (1 << 63) - 1       # the models count steps in int64
NREF_MAX = (1 << 32) - 1        # the host link's IDENTIFY reply carries N_REF in 32 bits


def index_bits(neurons):
    """Width A of a neuron index on the core's ports: ``max(1, ceil(log2 N))``."""
    return max(1, (neurons - 1).bit_length())


def _check_count(name, value, hi):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= hi:
        raise ParameterError(f"{name} must be an integer in 1..{hi}, not {value!r}", field=name)
    return int(value)


def check_neurons(neurons):
    """Refuse a neuron count that is not an integer in 1..:data:`NEURONS_MAX` (:class:`ParameterError`, field
    ``neurons``); returns it as an ``int``."""
    return _check_count("neurons", neurons, NEURONS_MAX)


def check_steps(steps):
    """Refuse a step count that is not an integer in 1..:data:`STEPS_MAX` (:class:`ParameterError`, field
    ``steps``); returns it as an ``int``."""
    return _check_count("steps", steps, STEPS_MAX)


def round_half_up(x):
    """``floor(x + 0.5)`` in float64: the one rounding rule of every quantisation in lifgen.

    A scalar gives a Python ``int``; an array gives a float64 array of whole numbers (the caller range-checks
    it before casting, so values outside int64 cannot wrap silently).
    """
    r = np.floor(np.asarray(x, dtype=np.float64) + 0.5)
    return int(r) if r.ndim == 0 else r


@dataclass(frozen=True)
class FixedParams:
    """The integer constants of the update rule.

    Field names match the ``constants`` object of the conformance vectors.
    ``W`` state width (two's complement), ``F`` fraction bits of the Q format (1 LSB = 2**-F mV),
    ``S`` fraction bits of the leak gain ``G``, ``VREST``/``VRESET``/``VTH`` voltages in Q format,
    ``NREF`` refractory steps, ``subtract`` selects reset by subtraction.
    """
    W: int
    F: int
    S: int
    VREST: int
    VRESET: int
    VTH: int
    G: int
    NREF: int
    subtract: bool

    @property
    def vmin(self):
        """Lowest representable state value, ``-2**(W-1)``."""
        return -(1 << (self.W - 1))

    @property
    def vmax(self):
        """Highest representable state value, ``2**(W-1) - 1``."""
        return (1 << (self.W - 1)) - 1

    @property
    def ref_width(self):
        """Bits of the refractory counter (0 when ``NREF == 0``: no counter is stored)."""
        return self.NREF.bit_length()

    @property
    def gain_width(self):
        """Bits of the unsigned gain ``G`` (``G`` may equal ``2**S``)."""
        return max(1, self.G.bit_length())

    def q(self, mv):
        """Quantise millivolts to the Q format (round half up), without range checks.
        A scalar gives an int, an array a float64 array of whole numbers (see :func:`round_half_up`)."""
        return round_half_up(np.asarray(mv, dtype=np.float64) * (1 << self.F))

    def to_mv(self, value):
        """Q-format integer(s) to millivolts (works on numpy arrays)."""
        return value / (1 << self.F)

    def as_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class LIFParams:
    """Physical LIF parameters plus the fixed-point format. Defaults reproduce the seed figures.

    Raises :class:`~lifgen.errors.ParameterError` when a value is out of range, when a voltage
    does not fit the Q format, when the threshold is not above the reset value after
    quantisation, or when ``G`` rounds to 0 (the neuron could never integrate).
    """
    tau_ms: float = 10.0
    dt_ms: float = 0.1
    v_rest_mv: float = -70.0
    v_reset_mv: float = -70.0
    v_th_mv: float = -55.0
    t_ref_ms: float = 0.0
    width: int = 16
    frac: int = 8
    gain_bits: int = 16
    reset: str = "value"

    def __post_init__(self):
        for name in ("tau_ms", "dt_ms", "v_rest_mv", "v_reset_mv", "v_th_mv", "t_ref_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{name} must be a finite number, not {value!r}", field=name)
        for name in ("width", "frac", "gain_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be an integer, not {value!r}", field=name)
        if self.tau_ms <= 0:
            raise ParameterError(f"tau_ms must be > 0, not {self.tau_ms!r}", field="tau_ms")
        if self.dt_ms <= 0:
            raise ParameterError(f"dt_ms must be > 0, not {self.dt_ms!r}", field="dt_ms")
        if self.t_ref_ms < 0:
            raise ParameterError(f"t_ref_ms must be >= 0, not {self.t_ref_ms!r}", field="t_ref_ms")
        if not WIDTH_MIN <= self.width <= WIDTH_MAX:
            raise ParameterError(f"width must be in {WIDTH_MIN}..{WIDTH_MAX} bits, not {self.width!r}", field="width")
        if not 0 <= self.frac < self.width:
            raise ParameterError(f"frac must be in 0..width-1 = 0..{self.width - 1}, not {self.frac!r}", field="frac")
        if not 1 <= self.gain_bits <= GAIN_BITS_MAX:
            raise ParameterError(f"gain_bits must be in 1..{GAIN_BITS_MAX}, not {self.gain_bits!r}", field="gain_bits")
        if self.reset not in RESET_MODES:
            raise ParameterError(f"reset must be one of {', '.join(RESET_MODES)}, not {self.reset!r}", field="reset")
        vmin, vmax = -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        for name in ("v_rest_mv", "v_reset_mv", "v_th_mv"):
            # checked as a float, so that a huge value is refused before it becomes an integer
            if not vmin <= round_half_up([getattr(self, name) * (1 << self.frac)])[0] <= vmax:
                lo, hi = vmin / (1 << self.frac), vmax / (1 << self.frac)
                raise ParameterError(
                    f"{name} = {getattr(self, name)!r} mV is outside the Q{self.width - self.frac}.{self.frac} "
                    f"range [{lo:g}, {hi:g}] mV; widen width or reduce frac", field=name)
        if not round_half_up([self.t_ref_ms / self.dt_ms])[0] <= NREF_MAX:
            raise ParameterError(f"t_ref_ms = {self.t_ref_ms!r} is {self.t_ref_ms / self.dt_ms:g} steps of dt_ms; "
                                 f"the refractory period N_REF must be at most {NREF_MAX} steps", field="t_ref_ms")
        fixed = self._quantise()
        if fixed.VTH <= fixed.VRESET:
            raise ParameterError(
                f"threshold must be above reset after quantisation, not v_th {fixed.VTH} <= v_reset {fixed.VRESET} "
                f"(Q format LSB = {2.0 ** -self.frac:g} mV)", field="v_th_mv")
        if fixed.G == 0:
            raise ParameterError(
                f"leak gain G = round((1 - exp(-dt/tau)) * 2**{self.gain_bits}) rounds to 0 for dt/tau = "
                f"{self.dt_ms / self.tau_ms:g}; raise gain_bits", field="gain_bits")
        object.__setattr__(self, "_fixed", fixed)

    def _quantise(self):
        F, S = self.frac, self.gain_bits
        q = lambda mv: round_half_up(mv * (1 << F))
        return FixedParams(
            W=self.width, F=F, S=S,
            VREST=q(self.v_rest_mv), VRESET=q(self.v_reset_mv), VTH=q(self.v_th_mv),
            G=round_half_up((1.0 - math.exp(-self.dt_ms / self.tau_ms)) * (1 << S)),
            NREF=round_half_up(self.t_ref_ms / self.dt_ms),
            subtract=self.reset == "subtract",
        )

    @property
    def fixed(self) -> FixedParams:
        """The quantised integer constants (computed once, at construction)."""
        return self._fixed

    @property
    def dead_band_lsb(self):
        """Largest ``|x|`` (LSB) for which the leak rounds to 0: the fixed model may settle this far
        from the float equilibrium. Equal to ``2**(S-1) / G``; 50.3 LSB = 0.196 mV at the defaults."""
        return (1 << (self.gain_bits - 1)) / self.fixed.G

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check_int(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bounds = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise ParameterError(f"{name} must be an integer {bounds}, not {value!r}", field=name)


@dataclass(frozen=True)
class CoreConfig:
    """Options of the RTL neuron array that change its hardware but never its results.

    One definition used by ``lifgen.hw.core.LIFArray``, the Verilog header (``lifgen.hw.export``), the
    simulation harness (``lifgen.sim.harness``) and the CLI, whose option defaults come from here.

    - ``trace``: add the ``trace`` stream (v of every neuron after every update).
    - ``mul_stages``: registers around the multiplier (0..6); with two or more, the first holds its input x; with
      four or more, a register before that one holds the first pieces of x and v - VTH (their adders cut in two);
      with five or six, the product's last adder is cut into two or three pieces as well (``lifgen.hw.rule``,
      ``add_pieces``).
    - ``add_stages``: registers inside the rest of the update (0..3): after v + dv, and after clamp, threshold
      and reset; with three, one more between two pieces of v + dv and of its threshold adder. Together with
      ``mul_stages`` they set how much logic sits between two registers (the clock a device reaches) and the
      latency L; results never change.
    - ``read_stages``: registers on the storage's read data (0..2), for memories far from the logic (a large ECP5
      array spreads its block RAM over the whole die). With ``bram`` storage of 2 to ``BRAM_BANKS_MAX`` banks of
      ``BRAM_BANK_ROWS`` rows the first one sits on each bank's read data, before the multiplexer that picks the
      bank (``lifgen.hw.storage.BlockRAMStorage``).
    - ``spike_fifo_depth``, ``trace_fifo_depth``: entries of the output FIFOs (>= 2). With lanes, an entry holds
      one group of P neurons (all of a group's spike events, or all of its trace events). ``trace_fifo_depth``
      None (the default) means ``trace_depth``: TRACE_FIFO_DEPTH, or with one lane L + 5 when that is more, the
      most credits a step at the full rate keeps out (``CoreTiming.full_rate_credits`` <= L + 4) plus one, so that
      tracing never slows a step. The hardware and ``as_dict`` use ``trace_depth``.
    - ``peek``: add the ``peek_addr``/``peek_v`` ports that read a neuron's v while the array is idle (the
      board's host link uses them; the plain ``lif_array`` of ``lifgen verilog`` has none).
    - ``lanes`` (P): datapaths working side by side, each with its own memories; lane j updates neurons
      j, j + P, j + 2P, ... so a step takes ceil(N / P) + L cycles. Any N works (the last group may be partial).
    - ``storage``: where neuron state lives. ``bram``: inferred block RAM (every FPGA; v and the refractory counter
      in one word, u in another). ``spram``: the iCE40UP5K's four SB_SPRAM256KA (16K x 16 each): v of even and odd
      neurons in two of them, u in the other two, the refractory counter encoded in the unused v codes >= VTH
      (see :func:`check_storage`); up to 32,768 neurons, W <= 16, one lane.
      ``dp16kd``: the ECP5's DP16KD block RAM instantiated directly with its output register on (REGMODE OUTREG),
      every input registered in copies per group of blocks (``lifgen.hw.storage.DP16KDStorage``); ECP5 only, any
      lanes; the block shape per memory is :func:`dp16kd_shape`.
    """
    trace: bool = False
    mul_stages: int = 1
    spike_fifo_depth: int = 256
    trace_fifo_depth: int | None = None
    peek: bool = False
    lanes: int = 1
    storage: str = "bram"
    add_stages: int = 0
    read_stages: int = 0

    MUL_STAGES_MAX = 6
    ADD_STAGES_MAX = 3
    READ_STAGES_MAX = 2
    FIFO_DEPTH_MIN = 2
    TRACE_FIFO_DEPTH = 16
    LANES_MAX = 16
    STORAGES = ("bram", "spram", "dp16kd")

    def __post_init__(self):
        for name in ("trace", "peek"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name} must be True or False, not {getattr(self, name)!r}", field=name)
        _check_int("mul_stages", self.mul_stages, 0, self.MUL_STAGES_MAX)
        _check_int("add_stages", self.add_stages, 0, self.ADD_STAGES_MAX)
        _check_int("read_stages", self.read_stages, 0, self.READ_STAGES_MAX)
        _check_int("spike_fifo_depth", self.spike_fifo_depth, self.FIFO_DEPTH_MIN)
        if self.trace_fifo_depth is not None:
            _check_int("trace_fifo_depth", self.trace_fifo_depth, self.FIFO_DEPTH_MIN)
        _check_int("lanes", self.lanes, 1, self.LANES_MAX)
        if self.storage not in self.STORAGES:
            raise ParameterError(f"storage must be one of {', '.join(self.STORAGES)}, not {self.storage!r}",
                                 field="storage")
        if self.storage == "spram" and self.lanes != 1:
            raise ParameterError(f"storage spram has one lane (the UP5K has four SPRAMs), not lanes = {self.lanes}",
                                 field="lanes")

    @property
    def trace_depth(self):
        """The trace FIFO's entries: ``trace_fifo_depth``, or when that is None TRACE_FIFO_DEPTH, or with one lane
        L + 5 when that is more (with one lane L does not depend on N; with lanes the trace stream's one event per
        cycle bounds a step anyway)."""
        if self.trace_fifo_depth is not None:
            return self.trace_fifo_depth
        if self.lanes != 1:
            return self.TRACE_FIFO_DEPTH
        return max(self.TRACE_FIFO_DEPTH, self.timing(1).latency + 5)

    def with_host_link(self) -> "CoreConfig":
        """These options as a board builds them: plus the trace stream and the peek port its host link uses."""
        return replace(self, trace=True, peek=True)

    def timing(self, neurons) -> "CoreTiming":
        """The cycle timing of an array of ``neurons`` built with these options."""
        return CoreTiming(neurons, self.mul_stages, self.lanes, self.storage, self.add_stages, self.read_stages)

    def as_dict(self):
        return dict(asdict(self), trace_fifo_depth=self.trace_depth)


SPRAM_WORDS = 16384     # one SB_SPRAM256KA: 16K x 16 bits
# storage bram with a read stage: rows per bank, each bank with a register on its read data (CoreTiming.banked).
# 1024 rows of up to 18 bits are one ECP5 DP16KD (1024 x 18) and a row of iCE40 EBRs without a multiplexer
# (1024 x 4 each), so the multiplexer that picks the bank sits after registers. Only up to BRAM_BANKS_MAX banks: the
# multiplexer grows with them (98,304 neurons in 6 lanes, 16 banks a memory: 11 K LUTs, no faster, a 15-minute
# ECP5 board build), and deep memories on the ECP5 have their own storage, dp16kd.
BRAM_BANK_ROWS = 1024
BRAM_BANKS_MAX = 4
SPRAM_BITS = 16

# (depth, width) of one ECP5 DP16KD with one read and one write port of the same width (TN-02204: 16K x 1 ..
# 1K x 18; 512 x 36 needs the pseudo-dual-port PDPW16KD and is not used)
DP16KD_CONFIGS = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18))
DP16KD_DIVIDE_BITS = 3  # storage dp16kd divides neuron indices by P in fabric, this many bits per cycle


def dp16kd_shape(rows, width):
    """``(depth, data_width, cascade, columns)``: how storage ``dp16kd`` builds a memory of ``rows`` words of
    ``width`` bits from DP16KD blocks: ``cascade`` blocks deep (a read multiplexer picks one) by ``columns`` blocks
    wide (each holds ``data_width`` bits of the word), ``cascade * columns`` blocks in all. The fewest blocks; among
    equally few, the deepest configuration (the fewest blocks in cascade, the smallest read multiplexer)."""
    rows, width = max(1, rows), max(1, width)
    best = min(DP16KD_CONFIGS, key=lambda dw: (-(-rows // dw[0]) * -(-width // dw[1]), -(-rows // dw[0])))
    depth, data_width = best
    return depth, data_width, -(-rows // depth), -(-width // data_width)


def check_storage(fixed: "FixedParams", neurons, config: CoreConfig):
    """Refuse a storage option these constants or this neuron count cannot use (:class:`ParameterError`).

    ``spram`` keeps one 16-bit code per neuron: v itself, or, while the neuron is refractory with r steps left,
    the code ``VTH + r - 1``. That is unambiguous because a stored v is always below VTH: an update that reaches
    VTH resets v to VRESET < VTH, and the post-reset clear writes VREST. It needs ``W <= 16``, at most 32,768
    neurons, ``VREST < VTH``, ``VTH + NREF - 1 <= vmax`` when ``NREF > 0``, and reset ``value`` when ``NREF > 0``
    (with reset ``subtract`` v after a spike may stay at or above VTH while the counter runs).

    ``bram`` and ``dp16kd`` hold any constants and any neuron count (``dp16kd`` picks its block shape per memory,
    :func:`dp16kd_shape`); ``dp16kd`` instantiates ECP5 primitives, so it builds for ECP5 devices only:
    ``lifgen.boards.registry.check_fits`` refuses it for other boards (a Verilog export simulates anywhere, with
    the models in ``lifgen/sim/models``).
    """
    check_neurons(neurons)
    if config.storage != "spram":
        return
    if fixed.W > SPRAM_BITS:
        raise ParameterError(f"storage spram holds {SPRAM_BITS}-bit words, not width {fixed.W}", field="width")
    if neurons > 2 * SPRAM_WORDS:
        raise ParameterError(f"storage spram holds at most {2 * SPRAM_WORDS} neurons, not {neurons}",
                             field="neurons")
    if fixed.VREST >= fixed.VTH:
        raise ParameterError("storage spram needs v_rest below v_th (codes >= VTH mean 'refractory')",
                             field="v_rest_mv")
    if fixed.NREF:
        if fixed.subtract:
            raise ParameterError("storage spram with a refractory period needs reset 'value' (after a subtract "
                                 "reset v may stay >= v_th, where the refractory codes live)", field="reset")
        if fixed.VTH + fixed.NREF - 1 > fixed.vmax:
            raise ParameterError(f"storage spram encodes the refractory counter as v codes VTH..VTH+NREF-1; "
                                 f"{fixed.VTH}+{fixed.NREF}-1 exceeds vmax {fixed.vmax}: shorten t_ref or raise "
                                 "width", field="t_ref_ms")


@dataclass(frozen=True)
class CoreTiming:
    """Cycle timing of the RTL neuron array: the one definition that ``lifgen.hw.core`` is built to and
    that ``lifgen.golden.timing`` predicts with. Cycles are clock periods; one group of P neurons (P = lanes)
    enters per cycle: group g holds neurons g*P .. g*P + P - 1.

    The pipeline (README, "The pipeline") is: issue (read address) -> read (``storage_cycles``) ->
    ``ram_regs`` registers on the RAM output -> ``mul_stages`` multiply registers -> ``add_stages`` update
    registers -> commit (write-back and event push).

    - ``groups``: ceil(N / P), the cycles a step spends issuing.
    - ``ram_regs``: ``read_stages`` for ``bram`` (one less when ``banked``: that register is the storage's) and
      ``dp16kd``; for ``spram`` that or one more, whichever makes ``latency - ISSUE_CYCLES`` (the cycles from a
      neuron's read to its write-back) odd, so that the single-ported bank of the neuron being written is never the
      bank of the neuron being read.
    - ``clear_cycles``: after reset is released the core clears one memory row per cycle (``groups`` rows; for
      ``spram`` ceil(N / 2), even and odd neurons in parallel); ``busy`` is high meanwhile and a step can first
      be accepted ``clear_cycles`` cycles after release.
    - ``latency`` (L): a step accepted in cycle ``a`` commits group ``g`` in cycle ``a + L + g`` and ``busy``
      falls in cycle ``a + groups + L``: with ``step`` held high a step takes ``groups + L`` cycles.
    - ``fifo_latency``: an event pushed in cycle ``c`` is offered on ``spikes`` from cycle ``c + 3``: two
      cycles through ``lifgen.hw.fifo.EventFIFO`` and one into the register that sends a group's events
      (the same holds for ``trace``). A group's events leave one per
      cycle in increasing neuron order, so with lanes a group with several spikes queues behind the previous
      one (``lifgen.golden.timing.event_cycles`` models the queue).

    These hold while no output stream is throttled (the consumer ready, the FIFOs never within reach of full).
    A FIFO entry's credit comes back ``credit_cycles`` (L + 4) cycles after the group that took it was issued, so
    with one lane and every stream ready a step takes ``groups + L`` cycles when each FIFO's ``depth - 1`` is at
    least ``full_rate_credits`` (``lifgen.sim.formal.TIMING_CASES`` proves it; with one entry less a bounded search
    found a longer step); with lanes, a group with several spikes also holds its FIFO entry for a cycle per spike.
    Under backpressure the issue stage waits until every event in flight is sure of a FIFO entry, so the pipeline
    never freezes with data in it and nothing is lost, but the cycles then depend on the consumer.
    """
    neurons: int
    mul_stages: int = CoreConfig.mul_stages
    lanes: int = CoreConfig.lanes
    storage: str = CoreConfig.storage
    add_stages: int = CoreConfig.add_stages
    read_stages: int = CoreConfig.read_stages

    FIFO_LATENCY = 3
    ISSUE_CYCLES = 2

    def __post_init__(self):
        check_neurons(self.neurons)
        CoreConfig(mul_stages=self.mul_stages, lanes=self.lanes, storage=self.storage,   # validates them
                   add_stages=self.add_stages, read_stages=self.read_stages)

    @property
    def groups(self):
        return -(-self.neurons // self.lanes)

    @property
    def banked(self):
        """``bram`` storage in banks of ``BRAM_BANK_ROWS`` rows, each with a register on its read data, which is the
        first of the ``read_stages`` (so the latency is unchanged): 2 to ``BRAM_BANKS_MAX`` banks and a read stage."""
        return (self.storage == "bram" and BRAM_BANK_ROWS < self.groups <= BRAM_BANK_ROWS * BRAM_BANKS_MAX
                and self.read_stages >= 1)

    @property
    def ram_regs(self):
        if self.storage != "spram":
            return self.read_stages - self.banked
        # read_stages, plus one if that is needed to make the read-to-write distance odd
        return self.read_stages + (self.storage_cycles + self.read_stages + self.mul_stages + self.add_stages + 1) % 2

    @property
    def storage_cycles(self):
        """Cycles from a row address to its data: 1; 4 for ``spram`` (its inputs pass two registers, its outputs
        one); 3 for ``bram`` with a number of lanes that is not a power of two (inputs registered, divided by P,
        registered again; ``lifgen.hw.storage``), one more for each when ``banked``. ``dp16kd``: 5 (a copy of the
        inputs per memory, a copy per group of blocks, the DP16KD's read, its output register, a register per block
        output); when P is not a power of two 6 + ceil(A / DP16KD_DIVIDE_BITS) (A = ``index_bits(N)``: every input
        registered, then neuron indices divided by P in a pipeline of that many stages, the other inputs delayed
        alike). The ``peek`` port has the same delay."""
        pow2 = self.lanes & (self.lanes - 1) == 0
        if self.storage == "spram":
            return 4
        if self.storage == "dp16kd":
            return 5 if pow2 else 6 + -(-index_bits(self.neurons) // DP16KD_DIVIDE_BITS)
        return (1 if pow2 else 3) + self.banked

    @property
    def latency(self):
        """L: issue (2: the decision, then the group presented to the storage) + storage read + RAM output
        registers + multiply registers + update registers."""
        return self.ISSUE_CYCLES + self.storage_cycles + self.ram_regs + self.mul_stages + self.add_stages

    @property
    def clear_cycles(self):
        return -(-self.neurons // 2) if self.storage == "spram" else self.groups

    @property
    def step_cycles(self):
        return self.groups + self.latency

    @property
    def credit_cycles(self):
        """Cycles from a group's issue to the return of the FIFO credit it took, when its entry leaves at once:
        L to its commit, 2 through the FIFO and 1 into the unpacker's register (``fifo_latency``), 1 to the credit
        counter's ``took`` register (``lifgen.hw.core``)."""
        return self.latency + self.FIFO_LATENCY + 1

    @property
    def full_rate_credits(self):
        """The most credits ever out at once while steps run back to back at the full rate (``groups`` issues, then
        L idle cycles, and so on): the most issues in any ``credit_cycles`` consecutive cycles. That is
        ``credit_cycles`` when it does not exceed ``groups``; else a whole step's ``groups`` plus the first issues of
        the next step that fall within the window, ``credit_cycles - latency - groups`` of them (4 - groups)."""
        return min(self.credit_cycles, max(self.groups, self.credit_cycles - self.latency))

    def room_slack(self, depth):
        """Whether the issue stage may decide a FIFO of ``depth`` entries has room from the last cycle's credit
        counter alone (``credits >= ROOM_SLACK_CREDITS``, no exact count, ``lifgen.hw.core``): when the FIFO is so
        deep that a step at the full rate never leaves fewer credits than that, so the timing stays exact."""
        return depth - 1 >= self.full_rate_credits + ROOM_SLACK_CREDITS + 4

    @property
    def fifo_latency(self):
        return self.FIFO_LATENCY
