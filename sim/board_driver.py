# SPDX-License-Identifier: BSD-2-Clause
"""cocotb test module of the simulated board: a local TCP socket bridged to the board's UART pins.

Loaded by the simulator (``lifgen.sim.board`` passes it as the runner's ``test_module``). It listens on
127.0.0.1 (an ephemeral port, written to the file named by ``LIFGEN_BOARD_PORT_FILE``) and serves one host
connection at a time, as a board's UART does: bytes from the host are handed to the wrapper's UART serialiser
(``board_tb``, see ``lifgen.sim.board.wrapper_verilog``), which drives the board's ``rx`` pin bit by bit; bytes
the wrapper's deserialiser reads from the board's ``tx`` pin go back to the host. When the host disconnects the
board keeps running (a RUN goes on to its end); what it sends while no host is connected is lost, as on a
real line, and bytes the host sent before it went away still reach the board. The next connection is served
the same way. Python wakes once per byte time or per received byte, never per bit.

The run ends when the file named by ``LIFGEN_BOARD_STOP_FILE`` appears (``SimulatedBoard`` writes it when it
is done; an open connection is then closed), or when no host has been connected for ``LIFGEN_BOARD_ACCEPT_S``
seconds (so a simulation whose parent went away ends by itself). ``LIFGEN_BOARD_STATS_FILE`` receives one JSON
object at the end: connections served, bytes each way, and board bytes lost while no host was connected.
"""

import json
import os
import queue
import socket
import threading
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer

CLOCK_NS = 10
_POLL_S = 0.05


class _Bridge:
    """The socket side, in threads: host bytes into ``inbox``; ``send`` writes to the connected host (if any)."""

    def __init__(self, port_file, accept_s, stop_file):
        self.inbox = queue.Queue()
        self.closed = threading.Event()          # no more connections will come
        self.stop_file = stop_file
        self.accept_s = accept_s
        self.stats = {"connections": 0, "host_bytes": 0, "board_bytes": 0, "board_bytes_lost": 0}
        self._lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(_POLL_S)
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.server.getsockname()[1]))
        os.replace(tmp, port_file)
        self.conn = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _stopping(self):
        return bool(self.stop_file) and os.path.exists(self.stop_file)

    def _serve(self):
        try:
            idle_since = time.monotonic()
            while not self._stopping() and time.monotonic() - idle_since < self.accept_s:
                try:
                    conn, _ = self.server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.settimeout(_POLL_S)
                with self._lock:
                    self.conn = conn
                    self.stats["connections"] += 1
                self._receive(conn)
                with self._lock:
                    self.conn = None
                conn.close()
                idle_since = time.monotonic()
        finally:
            self.server.close()
            self.closed.set()

    def _receive(self, conn):
        """Host bytes into ``inbox`` until the host disconnects (or the run is told to stop)."""
        while not self._stopping():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.stats["host_bytes"] += len(data)
            for b in data:
                self.inbox.put(b)

    def send(self, data):
        with self._lock:
            conn = self.conn
            self.stats["board_bytes"] += len(data)
            if conn is None:
                self.stats["board_bytes_lost"] += len(data)
                return
            try:
                conn.sendall(bytes(data))
            except OSError:
                self.stats["board_bytes_lost"] += len(data)


@cocotb.test()
async def serve_host(dut):
    bridge = _Bridge(os.environ["LIFGEN_BOARD_PORT_FILE"], float(os.environ.get("LIFGEN_BOARD_ACCEPT_S", "60")),
                     os.environ.get("LIFGEN_BOARD_STOP_FILE", ""))
    byte_cycles = int(os.environ["LIFGEN_BOARD_BYTE_CYCLES"])
    if "verilator" in cocotb.SIM_NAME.lower():         # the wrapper makes its own clock under Icarus
        Clock(dut.clk, CLOCK_NS, unit="ns").start()
    dut.rst.value = 1
    dut.h2b_valid.value = 0
    dut.h2b_data.value = 0
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    while not (bridge.closed.is_set() and bridge.inbox.empty()):
        # hand one host byte to the serialiser when it is free: drive on a falling edge, so the next rising
        # edge samples it, and take it back on the falling edge after
        if dut.h2b_ready.value and not bridge.inbox.empty():
            await FallingEdge(dut.clk)
            dut.h2b_data.value = bridge.inbox.get()
            dut.h2b_valid.value = 1
            await RisingEdge(dut.clk)
            await FallingEdge(dut.clk)
            dut.h2b_valid.value = 0
        edge = RisingEdge(dut.b2h_valid)
        # one timer event, not a Python wake-up per clock edge (ClockCycles would count them in Python)
        waits = [edge, Timer(4 * byte_cycles * CLOCK_NS, unit="ns")]
        if not bridge.inbox.empty() and not dut.h2b_ready.value:
            waits.append(RisingEdge(dut.h2b_ready))
        fired = await First(*waits)
        if fired is edge:
            await FallingEdge(dut.clk)
            bridge.send(bytes([int(dut.b2h_data.value)]))   # at once: a simulated byte takes ~ms of wall time
    stats_file = os.environ.get("LIFGEN_BOARD_STATS_FILE")
    if stats_file:
        with open(stats_file, "w") as f:
            json.dump({**bridge.stats, "framing_errors": int(dut.b2h_framing_errors.value)}, f)
    assert int(dut.b2h_framing_errors.value) == 0, "the board sent a byte with a bad stop bit"
