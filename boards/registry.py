# SPDX-License-Identifier: BSD-2-Clause
"""The boards lifgen builds for, and how many neurons of today's core fit each.

:data:`BOARDS` maps a board's CLI name to a frozen :class:`Board`: its amaranth-boards platform (a zero-argument
callable that imports ``amaranth_boards`` only when called, so importing this module stays cheap), FPGA family,
device, package, oscillator, default core clock, the UART and LED resources a board top requests, the programming
commands, the PLL wiring and the block RAM (:class:`BlockRAM`). :func:`get_board` looks one up (``InputError``,
field ``board``, for an unknown name); :func:`board_table` gives the rows ``lifgen boards`` prints.

UART on every board is ``platform.request("uart", 0, dir="-")`` (``Board.request_uart``), the LED ``Board.request_led``
(a plain LED, or one colour of an RGB LED). The UPduino v3 has no UART resource (its FT232H is wired for SPI flash
programming only): lifgen adds ``uart`` 0 on header pins **3 (rx, FPGA input) and 4 (tx, FPGA output)**, both
on the right-hand header (JP6/``j`` 1, positions 15 and 14), 3.3 V LVCMOS with a pull-up on rx; connect a 3.3 V
USB-UART adapter there (its TX to pin 3, its RX to pin 4, and GND). Its clock is the internal 48 MHz SB_HFOSC
(the 12 MHz oscillator needs a solder jumper), which the iCE40UP datasheet specifies only to within +-10 %: the
UART baud rate is as accurate as that oscillator.

Default core clocks are frequencies the board PLL makes exactly from its oscillator and that a small core (the
64-neuron top of ``tests/test_board_build.py``) meets after place and route with every seed tried (1..5), by
15 % or more: 18 MHz on the iCE40UP5K (measured 23.5-25.0 MHz), 48 MHz on the iCE40HX (56-63 MHz), 50 MHz on ECP5 (ULX3S
74-80 MHz, ECPIX-5 116-123 MHz). Large arrays are slower where their memories span many blocks (read multiplexers):
iCEBreaker at 3328 neurons 24.1-24.9 MHz, iCEstick at 1536 56-57 MHz, HX8K at 3584 54 MHz, but ULX3S-12F at 14336
neurons 45-47 MHz, below the ECP5 default: the build report says so (``timing_met``) and a lower clock fixes it.

Neuron capacity: :func:`max_neurons` (the model)
------------------------------------------------
Today's core (``lifgen.hw.core.LIFArray``) keeps all per-neuron storage in inferred memories (one write and one
synchronous read port each):

- state RAM: depth N, ``W + ref_width`` bits (v and the refractory counter);
- input RAM: depth N, ``W`` bits (with P lanes both per lane, ceil(N / P) rows; with ``bram`` storage in registered
  banks, ``CoreTiming.banked``, one memory per bank of ``BRAM_BANK_ROWS`` rows);
- spike FIFO: ``lifgen.hw.fifo.EventFIFO(depth=spike_fifo_depth)``, whose RAM is ``spike_fifo_depth`` deep and
  as wide as an entry (:func:`core_memories`);
- trace FIFO (with ``trace``): ``CoreConfig.trace_depth`` deep.

Yosys (``memory_libmap``) maps each memory onto one block configuration, iCE40 ``SB_RAM40_4K`` 256x16, 512x8,
1024x4, 2048x2 or ECP5 ``DP16KD`` 512x36 (as PDPW16KD), 1024x18, 2048x9, 4096x4, 8192x2, 16384x1, choosing the
least *cost*: ``block_cost`` (64 iCE40, 128 ECP5) per block plus 1/2 per bit of read multiplexer
(``(rows - 1) * B``) and of write decoder (``rows``), where ``rows = ceil(D / depth)``. So a deep memory may take
a few more blocks than the fewest possible, to save multiplexers (ULX3S-85F, 104448 x 16: 104 DP16KD, not 102,
found when a build at that size did not fit). The model counts, for a memory of depth D and width B,

    min over configurations of  ceil(D / depth) * ceil(B / width) + floor(mux cost / block_cost)

an upper bound of what Yosys can choose (its choice costs no more than any configuration's blocks plus
multiplexers); a memory of depth 1 becomes flip-flops. :data:`LINK_RESERVED_BLOCKS` blocks stay free for the
board top (the UART link's buffers). ``max_neurons`` is the largest N whose memories fit what is left (the count
grows with N, so a binary search finds it). Logic never limits N on these devices: the core's LUTs grow only
with ``log2 N``.

Checked against real Yosys 0.70 (``tests/test_board_registry.py``): 228 single memories of the core's widths,
never fewer blocks than Yosys used and the same count in 194 (the others are non-power-of-two depths or odd widths,
which Yosys packs tighter, up to 4 blocks fewer); the core itself at N = 256 and 1024 on both families, equal; the
core at ``max_neurons`` (default and 1 ms refractory parameters) on every iCE40 device and the ULX3S-12F/25F,
within the budget, mostly exactly as modelled; and the deepest memories ``max_neurons`` allows on the larger ECP5
parts, within one block (figures in the test). Small memories that Yosys puts elsewhere (iCE40: depth <= 4 into
flip-flops; ECP5: up to about 1,300 bits into LUT RAM, e.g. the 15-deep trace FIFO) are still counted as blocks:
on the safe side. SPRAM (UP5K: 4 x 256 kbit) is listed but unused: today's core cannot use it.

Storage ``dp16kd`` (the ECP5 default) instantiates its blocks itself in the shape ``lifgen.params.dp16kd_shape``
picks, so :func:`storage_blocks` counts them exactly; only the FIFOs go through the model above.

The iCE40 counts are the devices' (UP5K 30, HX1K 16, HX8K 32 EBR) and equal nextpnr's ``available``. For the
ECP5 ones the datasheet is used (12F 32, 25F 56, 45F 108, 85F 208 DP16KD): nextpnr models the LFE5U-12F as the
25F die it is cut from and reports 56, more than Lattice specifies for that part.
"""

from dataclasses import dataclass, field, replace
from typing import Callable

from lifgen.errors import InputError, ParameterError
from lifgen.params import BRAM_BANK_ROWS, STEP_BITS, CoreConfig, FixedParams, check_neurons, check_storage, dp16kd_shape, index_bits

__all__ = ["Board", "BlockRAM", "BOARDS", "LINK_RESERVED_BLOCKS", "ICE40_EBR_CONFIGS", "ECP5_EBR_CONFIGS",
           "get_board", "board_names", "core_memories", "blocks_needed", "max_neurons", "check_fits", "board_table",
           "board_config", "realtime_neurons", "storage_blocks"]

ICE40_EBR_CONFIGS = ((256, 16), (512, 8), (1024, 4), (2048, 2))                       # SB_RAM40_4K
ECP5_EBR_CONFIGS = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))  # DP16KD / PDPW16KD

MUX_FACTOR = 0.5                # Yosys memory_libmap: cost of one bit of read multiplexer / write decoder
LINK_RESERVED_BLOCKS = 2        # kept free for the board top: the UART link's receive and transmit buffers

MAX_SEARCH = 1 << 24            # max_neurons never reports more neurons than this
SPRAMS_USED = 4                 # storage "spram": v and u of even and odd neurons (lifgen.hw.storage)


@dataclass(frozen=True)
class BlockRAM:
    """The block RAM of a device: ``blocks`` of ``primitive`` (each ``bits`` bits, in the ``configs`` (depth,
    width) shapes, each block costing ``block_cost`` in Yosys's memory library) and ``sprams`` single-port RAMs of
    ``spram_bits`` (iCE40UP only)."""
    primitive: str
    blocks: int
    bits: int
    configs: tuple
    block_cost: int
    sprams: int = 0
    spram_bits: int = 0

    def blocks_for(self, depth, width):
        """Blocks one memory of ``depth`` words of ``width`` bits may take (see the module docstring): for each
        configuration its blocks plus its multiplexer cost in blocks, rounded down; the least of these."""
        if depth <= 1 or width <= 0:
            return 0
        best = None
        for d, w in self.configs:
            rows = -(-depth // d)
            mux = MUX_FACTOR * ((rows - 1) * width + rows) if rows > 1 else 0
            bound = rows * -(-width // w) + int(mux // self.block_cost)
            best = bound if best is None else min(best, bound)
        return best

    def describe(self):
        kbit = self.bits // 1024
        text = f"{self.blocks} x {kbit} kbit {self.primitive}"
        if self.sprams:
            text += f", {self.sprams} x {self.spram_bits // 1024} kbit SPRAM"
        return text


def _ice40_ram(blocks, sprams=0):
    return BlockRAM("SB_RAM40_4K", blocks, 4096, ICE40_EBR_CONFIGS, 64, sprams, 256 * 1024 if sprams else 0)


def _ecp5_ram(blocks):
    return BlockRAM("DP16KD", blocks, 18432, ECP5_EBR_CONFIGS, 128)


@dataclass(frozen=True)
class Board:
    """One supported board.

    ``platform()`` returns a fresh amaranth-boards platform. ``uart`` is ``(resource, number)``; ``led`` is
    ``(resource, number, subsignal)`` with ``subsignal`` None for a plain LED or ``"r"``/``"g"``/``"b"`` for one
    colour of an RGB LED. ``programmers`` are argument lists in order of preference, ``"{bitstream}"`` standing
    for the file (``lifgen.boards.build.program_command`` picks the first whose tool is installed);
    ``programmer`` is the first as one line. ``pll_pad``: the iCE40 clock pin feeds the PLL's own pad
    (``SB_PLL40_PAD``, iCEBreaker) rather than ``SB_PLL40_CORE``. ``synth_opts`` are the board's default Yosys
    ``synth_*`` options: ``-dsp`` on the iCE40UP5K (multipliers into its SB_MAC16 DSPs; the HX parts have none,
    and nextpnr refuses a design with SB_MAC16 there). ``bitstream`` is the file the build writes. ``storage`` is
    the core storage the board uses unless asked otherwise (``spram`` on the iCE40UP5K, whose four SPRAMs hold ten
    times what its block RAM does; ``dp16kd`` on ECP5, whose DP16KD with the output register on and registered
    copies of every block input clock large arrays 1.1-1.7 times faster than inferred block RAM, README
    "Benchmarks").
    """
    name: str
    platform: Callable = field(repr=False, compare=False)
    family: str
    device: str
    package: str
    oscillator_hz: float
    default_clock_hz: float
    uart: tuple | None
    led: tuple
    programmers: tuple
    memory: BlockRAM
    pll_pad: bool = False
    synth_opts: str = ""
    notes: str = ""
    storage: str = "bram"

    @property
    def programmer(self):
        return " ".join(self.programmers[0])

    @property
    def bitstream(self):
        return "top.bin" if self.family == "ice40" else "top.bit"

    def request_uart(self, platform):
        """``platform.request(uart, dir="-")``: a port group with ``rx`` (input) and ``tx`` (output) ports."""
        if self.uart is None:
            raise InputError(f"board {self.name} has no UART", field="board")
        name, number = self.uart
        return platform.request(name, number, dir="-")

    def request_led(self, platform):
        """The LED as an output port (``platform.request(..., dir="-")``; wrap it in ``io.Buffer("o", ...)``, which
        applies the board's inversion, so the logic is active high)."""
        name, number, sub = self.led
        port = platform.request(name, number, dir="-")
        return getattr(port, sub) if sub else port


# ---- platforms (amaranth_boards imported only when a platform is made) --------------------------------------

def _icebreaker():
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    return ICEBreakerPlatform()


def _icestick():
    from amaranth_boards.icestick import ICEStickPlatform
    return ICEStickPlatform()


def _hx8k_b_evn():
    from amaranth_boards.ice40_hx8k_b_evn import ICE40HX8KBEVNPlatform
    return ICE40HX8KBEVNPlatform()


UPDUINO_UART_RX = "3"           # header JP6 position 15: FPGA input, from the adapter's TX
UPDUINO_UART_TX = "4"           # header JP6 position 14: FPGA output, to the adapter's RX


def _upduino_v3():
    from amaranth.build import Attrs
    from amaranth_boards.resources import UARTResource
    from amaranth_boards.upduino_v3 import UpduinoV3Platform
    platform = UpduinoV3Platform()
    platform.add_resources([UARTResource(0, rx=UPDUINO_UART_RX, tx=UPDUINO_UART_TX,
                                         attrs=Attrs(IO_STANDARD="SB_LVCMOS", PULLUP=1))])
    return platform


def _ulx3s(size):
    def make():
        from amaranth_boards import ulx3s
        return getattr(ulx3s, f"ULX3S_{size}F_Platform")()
    make.__name__ = f"_ulx3s_{size}f"
    return make


def _ecpix5_85():
    from amaranth_boards.ecpix5 import ECPIX585Platform
    return ECPIX585Platform()


_ICEPROG = ("iceprog", "{bitstream}")
_OFL_ICE40 = ("openFPGALoader", "-b", "ice40_generic", "{bitstream}")     # FT2232H boards, SPI flash
_ULX3S_NOTES = "openFPGALoader loads SRAM (-m); UART through the FT231X on US1"


def _ulx3s_board(size, blocks):
    return Board(
        name=f"ulx3s-{size}f", platform=_ulx3s(size), family="ecp5", device=f"LFE5U-{size}F", package="BG381",
        oscillator_hz=25e6, default_clock_hz=50e6, uart=("uart", 0), led=("led", 0, None),
        programmers=(("openFPGALoader", "-b", "ulx3s", "-m", "{bitstream}"),),
        memory=_ecp5_ram(blocks), storage="dp16kd", notes=_ULX3S_NOTES)


# iCE40UP5K: multiplications in the SB_MAC16s (-dsp), and no flip-flops with a clock enable (-nodffe): an iCE40
# flip-flop's synchronous reset acts only when it is enabled, so a register with both needs a look-up table in
# front of its enable, and the UP5K's look-up tables and routing hops (~1.8 ns) are slow. The 32,768-neuron SPRAM
# array went from 69.4 to 72.0 MHz with it (seed 1).
_UP5K_SYNTH = "-dsp -nodffe -device u"

_BOARD_LIST = (
    Board(name="icebreaker", platform=_icebreaker, family="ice40", device="iCE40UP5K", package="SG48",
          oscillator_hz=12e6, default_clock_hz=18e6, uart=("uart", 0), led=("led", 0, None),
          programmers=(_ICEPROG, _OFL_ICE40), memory=_ice40_ram(30, sprams=4), pll_pad=True, synth_opts=_UP5K_SYNTH,
          storage="spram", notes="UART through the FT2232H channel B; iceprog writes the SPI flash"),
    Board(name="icestick", platform=_icestick, family="ice40", device="iCE40HX1K", package="TQ144",
          oscillator_hz=12e6, default_clock_hz=48e6, uart=("uart", 0), led=("led", 0, None),
          programmers=(_ICEPROG, _OFL_ICE40), memory=_ice40_ram(16),
          notes="UART through the FT2232H channel B; iceprog writes the SPI flash"),
    Board(name="ice40-hx8k-b-evn", platform=_hx8k_b_evn, family="ice40", device="iCE40HX8K", package="CT256",
          oscillator_hz=12e6, default_clock_hz=48e6, uart=("uart", 0), led=("led", 0, None),
          programmers=(_ICEPROG, _OFL_ICE40), memory=_ice40_ram(32),
          notes="UART through the FT2232H channel B; iceprog writes the SPI flash (jumpers as shipped; "
                "iceprog -S loads SRAM with the SRAM jumper setting)"),
    Board(name="upduino-v3", platform=_upduino_v3, family="ice40", device="iCE40UP5K", package="SG48",
          oscillator_hz=48e6, default_clock_hz=18e6, uart=("uart", 0), led=("rgb_led", 0, "g"),
          programmers=(_ICEPROG,), memory=_ice40_ram(30, sprams=4), synth_opts=_UP5K_SYNTH, storage="spram",
          notes=f"no on-board UART: a 3.3 V USB-UART adapter on pins {UPDUINO_UART_RX} (rx) and "
                f"{UPDUINO_UART_TX} (tx); clock from the internal 48 MHz oscillator (+-10 %)"),
    _ulx3s_board(12, 32),
    _ulx3s_board(25, 56),
    _ulx3s_board(45, 108),
    _ulx3s_board(85, 208),
    Board(name="ecpix5-85", platform=_ecpix5_85, family="ecp5", device="LFE5UM5G-85F", package="BG554",
          oscillator_hz=100e6, default_clock_hz=50e6, uart=("uart", 0), led=("rgb_led", 0, "g"),
          programmers=(("openFPGALoader", "-b", "ecpix5", "-m", "{bitstream}"),),
          memory=_ecp5_ram(208), storage="dp16kd",
          notes="openFPGALoader loads SRAM (-m); UART through the FT2232 channel B; the reset button resets the core"),
)

BOARDS = {board.name: board for board in _BOARD_LIST}


def board_names():
    return tuple(BOARDS)


def get_board(name) -> Board:
    """The :class:`Board` called ``name``; :class:`InputError` (field ``board``) naming the choices otherwise."""
    try:
        return BOARDS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown board {name!r}; choose one of {', '.join(BOARDS)}", field="board") from None


# ---- capacity ------------------------------------------------------------------------------------------------

def core_memories(fixed: FixedParams, neurons: int, config: CoreConfig = CoreConfig()):
    """``{name: (depth, width)}`` of the block memories ``LIFArray`` infers (see the module docstring). With P lanes
    every lane has its own state and input memory of ``ceil(N / P)`` rows; a FIFO entry holds one group (its
    index, a P-bit lane mask, its first lane, and the step or P voltages). ``storage="spram"`` keeps state and
    input in the SPRAMs, so only the FIFOs take block RAM; ``storage="dp16kd"`` has the same memories as ``bram``
    (their blocks are counted exactly, :func:`storage_blocks`)."""
    P = config.lanes
    rows = -(-neurons // P)
    # an entry names its group by its index, or by its first neuron when P is not a power of two; then the lane
    # mask, a bit that says the mask has one lane, the mask's first lane (with lanes), and the step or P voltages
    first_bits = index_bits(rows) if P & (P - 1) == 0 else index_bits(rows * P)
    lane_bits = (P - 1).bit_length()
    mems = {}
    if config.storage in ("bram", "dp16kd"):
        # bram with registered banks (CoreTiming.banked): one memory per bank of BRAM_BANK_ROWS rows
        bank = BRAM_BANK_ROWS if config.storage == "bram" and config.timing(neurons).banked else rows
        for j in range(P):
            for b, first in enumerate(range(0, rows, bank)):
                name = "" if bank == rows else f"_b{b}"
                mems[f"state{j}{name}"] = (min(bank, rows - first), fixed.W + fixed.ref_width)
                mems[f"input{j}{name}"] = (min(bank, rows - first), fixed.W)
    mems["spike_fifo"] = (config.spike_fifo_depth, first_bits + P + 1 + lane_bits + STEP_BITS)
    if config.trace:
        mems["trace_fifo"] = (config.trace_depth, first_bits + P + 1 + lane_bits + P * fixed.W)
    return mems


def storage_blocks(fixed: FixedParams, neurons, config: CoreConfig):
    """DP16KD blocks storage ``dp16kd`` instantiates for ``neurons`` (``lifgen.params.dp16kd_shape`` of every
    lane's state and input memory): exact, not a model."""
    rows = -(-neurons // config.lanes)
    shapes = (dp16kd_shape(rows, fixed.W + fixed.ref_width), dp16kd_shape(rows, fixed.W))
    return config.lanes * sum(cascade * columns for _, _, cascade, columns in shapes)


def _storage_fits(board: Board, fixed: FixedParams, neurons, config):
    """Whether ``config.storage`` can hold ``neurons`` on ``board`` (block RAM is counted separately)."""
    if config.storage == "dp16kd":
        return board.family == "ecp5"
    if config.storage != "spram":
        return True
    if board.memory.sprams < SPRAMS_USED:
        return False
    try:
        check_storage(fixed, neurons, config)
    except ParameterError as exc:
        if exc.field == "neurons":
            return False
        raise
    return True


def blocks_needed(board: Board, fixed: FixedParams, neurons: int, config: CoreConfig = CoreConfig()):
    """Block RAMs the model says the core of ``neurons`` takes on ``board`` (board-top reserve not included)."""
    check_neurons(neurons)
    mems = core_memories(fixed, neurons, config)
    total = 0
    if config.storage == "dp16kd":
        total = storage_blocks(fixed, neurons, config)
        mems = {name: shape for name, shape in mems.items() if name.endswith("fifo")}
    return total + sum(board.memory.blocks_for(d, w) for d, w in mems.values())


def max_neurons(board: Board, fixed: FixedParams, config: CoreConfig = CoreConfig(), *,
                reserved=LINK_RESERVED_BLOCKS) -> int:
    """The largest neuron count whose core fits ``board``'s block RAM after ``reserved`` blocks; 0 if even one
    neuron does not fit. A lower bound on what Yosys and nextpnr can place (module docstring)."""
    if not isinstance(fixed, FixedParams):
        raise TypeError(f"fixed must be a FixedParams, not {fixed!r}")
    budget = board.memory.blocks - reserved
    fits = lambda n: _storage_fits(board, fixed, n, config) and blocks_needed(board, fixed, n, config) <= budget
    if not fits(1):
        return 0
    lo, hi = 1, 2                       # fits(lo), and hi is the first power of two found not to fit
    while hi <= MAX_SEARCH and fits(hi):
        lo, hi = hi, hi * 2
    if hi > MAX_SEARCH:
        return MAX_SEARCH
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def check_fits(board: Board, fixed: FixedParams, neurons: int, config: CoreConfig = CoreConfig()):
    """Refuse (``InputError``, field ``neurons``) a neuron count that :func:`max_neurons` says ``board`` cannot
    hold with these parameters and core options; before any synthesis or run starts."""
    check_neurons(neurons)
    check_storage(fixed, 1, config)                 # parameters the storage cannot encode: their own message
    if config.storage == "spram" and board.memory.sprams < SPRAMS_USED:
        raise InputError(f"storage spram needs an iCE40UP5K's SPRAMs; the {board.name} ({board.device}) has "
                         f"{board.memory.sprams}", field="storage")
    if config.storage == "dp16kd" and board.family != "ecp5":
        raise InputError(f"storage dp16kd instantiates the ECP5's DP16KD block RAM; the {board.name} "
                         f"({board.device}) is an {board.family} device", field="storage")
    limit = max_neurons(board, fixed, config)
    if neurons > limit:
        raise InputError(f"{neurons} neurons do not fit the {board.name} ({board.device}): {limit} at most with "
                         f"these parameters", field="neurons")


def realtime_neurons(config: CoreConfig, clock_hz, dt_s, limit=MAX_SEARCH):
    """The largest N (at most ``limit``) whose step, ``ceil(N / P) + L`` cycles (``lifgen.params.CoreTiming``),
    completes within ``dt_s`` seconds of wall-clock time at ``clock_hz``: ``P * (floor(clock * dt) - L)``."""
    cycles = int(clock_hz * dt_s + 1e-9)
    latency = config.timing(1).latency
    return max(0, min(limit, config.lanes * (cycles - latency)))


def board_config(board: Board, fixed: FixedParams, config: CoreConfig, storage=None) -> CoreConfig:
    """``config`` with ``storage``; when that is None, with the board's own (``Board.storage``) if these constants
    can use it (``lifgen.params.check_storage``), else block RAM."""
    if storage is not None:
        return replace(config, storage=storage)
    chosen = replace(config, storage=board.storage)
    try:
        check_storage(fixed, 1, chosen)
    except ParameterError:
        return replace(config, storage="bram")
    return chosen


def board_table(fixed: FixedParams, config: CoreConfig = CoreConfig(), storage=None):
    """Rows for ``lifgen boards``: one dict per board with ``name``, ``device``, ``package``, ``oscillator_mhz``,
    ``default_clock_mhz``, ``programmer``, ``storage`` (``storage``, or the board's own when None), ``max_neurons``,
    ``realtime_neurons_1ms`` and ``realtime_neurons_100us`` (the largest N that fits and whose step takes at most
    1 ms / 0.1 ms at the default clock, :func:`realtime_neurons`), and ``family``, ``memory``, ``notes``. Boards the
    storage cannot use (``spram`` without SPRAMs) hold 0 neurons."""
    rows = []
    for b in BOARDS.values():
        cfg = board_config(b, fixed, config, storage)
        limit = max_neurons(b, fixed, cfg)
        rows.append({
            "name": b.name,
            "family": b.family,
            "device": b.device,
            "package": b.package,
            "oscillator_mhz": b.oscillator_hz / 1e6,
            "default_clock_mhz": b.default_clock_hz / 1e6,
            "programmer": b.programmer,
            "storage": cfg.storage,
            "max_neurons": limit,
            "realtime_neurons_1ms": realtime_neurons(cfg, b.default_clock_hz, 1e-3, limit),
            "realtime_neurons_100us": realtime_neurons(cfg, b.default_clock_hz, 1e-4, limit),
            "memory": b.memory.describe(),
            "notes": b.notes,
        })
    return rows
