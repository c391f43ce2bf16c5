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
"""

import math
from dataclasses import asdict, dataclass, fields

from .errors import ParameterError

__all__ = ["LIFParams", "FixedParams", "CoreTiming", "RESET_MODES", "WIDTH_MIN", "WIDTH_MAX", "GAIN_BITS_MAX",
           "STEP_BITS", "index_bits"]

RESET_MODES = ("value", "subtract")
WIDTH_MIN = 4
WIDTH_MAX = 32
GAIN_BITS_MAX = 28      # keeps x * G inside int64 for every legal width (|x| < 2**(W+1), G <= 2**S)


STEP_BITS = 16          # width of the time-step number carried by every spike event (wraps modulo 2**16)


def index_bits(neurons):
    """Width A of a neuron index on the core's ports: ``max(1, ceil(log2 N))``."""
    return max(1, (neurons - 1).bit_length())


def _round_half_up(x):
    return math.floor(x + 0.5)


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
        """Quantise millivolts to the Q format (round half up), without range checks."""
        return _round_half_up(mv * (1 << self.F))

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
                raise ParameterError(f"{name} must be a finite number, not {value!r}")
        for name in ("width", "frac", "gain_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be an integer, not {value!r}")
        if self.tau_ms <= 0:
            raise ParameterError(f"tau_ms must be > 0, not {self.tau_ms!r}")
        if self.dt_ms <= 0:
            raise ParameterError(f"dt_ms must be > 0, not {self.dt_ms!r}")
        if self.t_ref_ms < 0:
            raise ParameterError(f"t_ref_ms must be >= 0, not {self.t_ref_ms!r}")
        if not WIDTH_MIN <= self.width <= WIDTH_MAX:
            raise ParameterError(f"width must be in {WIDTH_MIN}..{WIDTH_MAX} bits, not {self.width!r}")
        if not 0 <= self.frac < self.width:
            raise ParameterError(f"frac must be in 0..width-1 = 0..{self.width - 1}, not {self.frac!r}")
        if not 1 <= self.gain_bits <= GAIN_BITS_MAX:
            raise ParameterError(f"gain_bits must be in 1..{GAIN_BITS_MAX}, not {self.gain_bits!r}")
        if self.reset not in RESET_MODES:
            raise ParameterError(f"reset must be one of {', '.join(RESET_MODES)}, not {self.reset!r}")
        fixed = self._quantise()
        lo, hi = fixed.to_mv(fixed.vmin), fixed.to_mv(fixed.vmax)
        for name, q in (("v_rest_mv", fixed.VREST), ("v_reset_mv", fixed.VRESET), ("v_th_mv", fixed.VTH)):
            if not fixed.vmin <= q <= fixed.vmax:
                raise ParameterError(
                    f"{name} = {getattr(self, name)!r} mV is outside the Q{self.width - self.frac}.{self.frac} "
                    f"range [{lo:g}, {hi:g}] mV; widen --width or reduce --frac")
        if fixed.VTH <= fixed.VRESET:
            raise ParameterError(
                f"threshold must be above reset after quantisation, not v_th {fixed.VTH} <= v_reset {fixed.VRESET} "
                f"(Q format LSB = {2.0 ** -self.frac:g} mV)")
        if fixed.G == 0:
            raise ParameterError(
                f"leak gain G = round((1 - exp(-dt/tau)) * 2**{self.gain_bits}) rounds to 0 for dt/tau = "
                f"{self.dt_ms / self.tau_ms:g}; raise --gain-bits")
        object.__setattr__(self, "_fixed", fixed)

    def _quantise(self):
        F, S = self.frac, self.gain_bits
        q = lambda mv: _round_half_up(mv * (1 << F))
        return FixedParams(
            W=self.width, F=F, S=S,
            VREST=q(self.v_rest_mv), VRESET=q(self.v_reset_mv), VTH=q(self.v_th_mv),
            G=_round_half_up((1.0 - math.exp(-self.dt_ms / self.tau_ms)) * (1 << S)),
            NREF=_round_half_up(self.t_ref_ms / self.dt_ms),
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


@dataclass(frozen=True)
class CoreTiming:
    """Cycle timing of the RTL neuron array: the one definition that ``lifgen.hw.core`` is built to and
    that ``lifgen.golden.timing`` predicts with. Cycles are clock periods, one neuron enters per cycle.

    The pipeline (README, "The pipeline") is: issue (read address) -> read (synchronous RAM) ->
    ``mul_stages`` multiply registers -> commit (write-back and spike push).

    - ``clear_cycles``: after reset is released the core clears one neuron per cycle; ``busy`` is high
      meanwhile and a step can first be accepted ``clear_cycles`` cycles after release.
    - ``latency`` (L): a step accepted in cycle ``a`` commits neuron ``n`` in cycle ``a + L + n`` and
      ``busy`` falls in cycle ``a + N + L``: with ``step`` held high a step takes ``N + L`` cycles.
    - ``fifo_latency``: an event pushed in cycle ``c`` is offered on ``spikes`` from cycle ``c + 2``
      (``amaranth.lib.fifo.SyncFIFOBuffered``; the same holds for ``trace``).
    """
    neurons: int
    mul_stages: int = 1

    MUL_STAGES_MAX = 3
    FIFO_LATENCY = 2

    def __post_init__(self):
        if isinstance(self.neurons, bool) or not isinstance(self.neurons, int) or self.neurons < 1:
            raise ParameterError(f"neurons must be a positive integer, not {self.neurons!r}")
        if not 0 <= self.mul_stages <= self.MUL_STAGES_MAX:
            raise ParameterError(f"mul_stages must be in 0..{self.MUL_STAGES_MAX}, not {self.mul_stages!r}")

    @property
    def latency(self):
        """L: issue (1) + RAM read (1) + multiply registers."""
        return 2 + self.mul_stages

    @property
    def clear_cycles(self):
        return self.neurons

    @property
    def step_cycles(self):
        return self.neurons + self.latency

    @property
    def fifo_latency(self):
        return self.FIFO_LATENCY
