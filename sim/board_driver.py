# SPDX-License-Identifier: BSD-2-Clause
"""cocotb test module of the simulated board: a local TCP socket bridged to the board's UART pins.

Loaded by the simulator (``lifgen.sim.board`` passes it as the runner's ``test_module``). It listens on
127.0.0.1 (an ephemeral port, written to the file named by ``LIFGEN_BOARD_PORT_FILE``), accepts ONE host
connection, and then, until the host disconnects: bytes from the host are handed to the wrapper's UART
serialiser (``board_tb``, see ``lifgen.sim.board.wrapper_verilog``), which drives the board's ``rx`` pin bit by
bit; bytes the wrapper's deserialiser reads from the board's ``tx`` pin go back to the host. Python wakes once
per byte time or per received byte, never per bit. The run ends when the host disconnects, or after
``LIFGEN_BOARD_ACCEPT_S`` seconds without a connection.
"""

import os
import queue
import socket
import threading

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, First, RisingEdge

CLOCK_NS = 10


class _Bridge:
    """The socket side, in threads: host bytes into ``inbox``; ``send`` writes to the host."""

    def __init__(self, port_file, accept_s):
        self.inbox = queue.Queue()
        self.closed = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(accept_s)
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.server.getsockname()[1]))
        os.replace(tmp, port_file)
        self.conn = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            self.conn, _ = self.server.accept()
        except OSError:
            self.closed.set()
            return
        finally:
            self.server.close()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                data = self.conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.closed.set()
                return
            for b in data:
                self.inbox.put(b)

    def send(self, data):
        if self.conn is not None and not self.closed.is_set():
            try:
                self.conn.sendall(bytes(data))
            except OSError:
                self.closed.set()


@cocotb.test()
async def serve_host(dut):
    bridge = _Bridge(os.environ["LIFGEN_BOARD_PORT_FILE"], float(os.environ.get("LIFGEN_BOARD_ACCEPT_S", "60")))
    byte_cycles = int(os.environ["LIFGEN_BOARD_BYTE_CYCLES"])
    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    dut.rst.value = 1
    dut.h2b_valid.value = 0
    dut.h2b_data.value = 0
    await ClockCycles(dut.clk, 3)
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
        waits = [edge, ClockCycles(dut.clk, 4 * byte_cycles)]
        if not bridge.inbox.empty() and not dut.h2b_ready.value:
            waits.append(RisingEdge(dut.h2b_ready))
        fired = await First(*waits)
        if fired is edge:
            await FallingEdge(dut.clk)
            bridge.send(bytes([int(dut.b2h_data.value)]))   # at once: a simulated byte takes ~ms of wall time
    assert int(dut.b2h_framing_errors.value) == 0, "the board sent a byte with a bad stop bit"
