"""Resources (issue 7): 10,000 open/use/close cycles over every kind of socket and failure
leave the process's file descriptors, threads and memory where they were, and 500
concurrent TCP connections from Python threads each echo 1 MiB through a local server with
every byte arriving, in order.

The cycles: TCP echo, a refused connect, a receive timeout, a reset by the peer, a close
from another thread while a recv blocks, UDP to a peer and back, a device listener's
accept (real TCP, the host-side usocket module); LoRa raw sends, LoRaWAN sends before a
join and too large ones, Sigfox sends and their EMSGSIZE (in one virtual-time device).
Memory is glibc's heap in use (mallinfo2: small blocks plus mmapped ones) and the
interpreter's allocated blocks, measured after a warm-up.
"""

from __future__ import annotations

import ctypes
import gc
import os
import selectors
import socket
import struct
import sys
import textwrap
import threading

import support
from support import ECONNRESET, LONG_WAIT_S, LOOPBACK
from usocket_emu import World

INET_CYCLES = 7_000
RADIO_CYCLES = 3_000  # 10,000 in all
RADIO_CYCLES_PER_WORLD = 500
WARM_UP = 300
MAX_HEAP_GROWTH_BYTES = 1 << 20
#: Interpreter blocks (objects) that may stay: caches that fill once (e.g. interned strings).
MAX_BLOCK_GROWTH = 2_000

LOAD_CONNECTIONS = 500
#: Under the sanitizers (tools/test_sanitized_python.sh) the 500 connections run as ever but
#: carry 64 KiB each: the full 1 MiB each runs in the plain run of the same CI.
LOAD_BYTES = 64 * 1024 if os.environ.get("USOCKET_SANITIZED") else 1 << 20
LOAD_CHUNK = 64 * 1024


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def heap_in_use_bytes() -> int:
    """glibc's heap in use: allocated small blocks plus mmapped large ones (mallinfo2)."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _Mallinfo2
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


class Snapshot:
    def __init__(self) -> None:
        gc.collect()
        self.fds = open_fds()
        self.threads = os_threads()
        self.python_threads = threading.active_count()
        self.heap = heap_in_use_bytes()
        self.blocks = sys.getallocatedblocks()

    def assert_unchanged_since(self, before: "Snapshot") -> None:
        assert self.fds == before.fds, "file descriptors leaked"
        assert self.threads == before.threads, "threads leaked"
        assert self.python_threads == before.python_threads
        assert self.heap - before.heap < MAX_HEAP_GROWTH_BYTES, f"heap grew by {self.heap - before.heap} bytes"
        assert self.blocks - before.blocks < MAX_BLOCK_GROWTH, f"{self.blocks - before.blocks} blocks more"


# --- a CPython server for the INET cycles ---------------------------------------------------

class EchoServer:
    """A selectors loop in one thread: one listener echoes, one resets each connection."""

    def __init__(self) -> None:
        self.sel = selectors.DefaultSelector()
        self.echo = self._listener("echo")
        self.resetter = self._listener("reset")
        self.stop_r, self.stop_w = socket.socketpair()
        self.sel.register(self.stop_r, selectors.EVENT_READ, ("stop", None))
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _listener(self, role):
        s = socket.socket()
        s.bind((LOOPBACK, 0))
        s.listen(128)
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ, ("listen", role))
        return s

    def _loop(self) -> None:
        while True:
            for key, _ in self.sel.select():
                what, role = key.data
                if what == "stop":
                    return
                if what == "listen":
                    conn, _ = key.fileobj.accept()
                    if role == "reset":
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        conn.close()
                        continue
                    conn.setblocking(True)
                    conn.settimeout(LONG_WAIT_S)
                    self.sel.register(conn, selectors.EVENT_READ, ("conn", None))
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if data:
                    conn.sendall(data)
                else:
                    self.sel.unregister(conn)
                    conn.close()

    def close(self) -> None:
        self.stop_w.send(b"x")
        self.thread.join(LONG_WAIT_S)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()
        self.stop_w.close()


def inet_cycle(us, server, refused_addr, udp_peer, i):
    kind = i % 7
    if kind == 0:  # TCP echo
        s = us.socket()
        s.settimeout(LONG_WAIT_S)
        s.connect(server.echo.getsockname())
        s.sendall(b"ping %d" % i)
        assert s.recv(64) == b"ping %d" % i
        s.close()
    elif kind == 1:  # refused connect
        s = us.socket()
        support.assert_device_oserror(support.oserror_of(s.connect, refused_addr), ECONNRESET)
        s.close()
    elif kind == 2:  # receive timeout
        s = us.socket(us.AF_INET, us.SOCK_DGRAM)
        s.bind((LOOPBACK, 0))
        s.settimeout(0.001)
        support.assert_timed_out(support.oserror_of(s.recv, 16))
        s.close()
    elif kind == 3:  # reset by the peer
        s = us.socket()
        s.settimeout(LONG_WAIT_S)
        try:
            s.connect(server.resetter.getsockname())
        except OSError as exc:  # the reset came before the connect's check: the connect fails
            support.assert_device_oserror(exc, ECONNRESET)
        else:
            support.assert_device_oserror(support.oserror_of(s.recv, 16), ECONNRESET)
        s.close()
    elif kind == 4:  # close from another thread during a blocking recv
        s = us.socket()
        s.connect(server.echo.getsockname())
        started = threading.Event()

        def blocked():
            started.set()
            try:
                s.recv(16)
            except OSError:
                pass  # EBADF, or closed before it blocked: either way it must return

        t = threading.Thread(target=blocked)
        t.start()
        started.wait(LONG_WAIT_S)
        s.close()
        t.join(LONG_WAIT_S)
        assert not t.is_alive(), "close did not wake the blocked recv"
    elif kind == 5:  # UDP there and back
        s = us.socket(us.AF_INET, us.SOCK_DGRAM)
        s.settimeout(LONG_WAIT_S)
        s.bind((LOOPBACK, 0))
        s.sendto(b"u%d" % i, udp_peer.getsockname())
        data, addr = udp_peer.recvfrom(64)
        udp_peer.sendto(data, addr)
        assert s.recvfrom(64)[0] == b"u%d" % i
        s.close()
    else:  # a device listener accepts a CPython client
        lsock = us.socket()
        addr = (LOOPBACK, support.free_port())  # Pycom sockets have no getsockname()
        lsock.bind(addr)
        lsock.listen(1)
        with socket.create_connection(addr, timeout=LONG_WAIT_S) as client:
            conn, _ = lsock.accept()
            client.sendall(b"hi")
            assert conn.recv(2) == b"hi"
            conn.close()
        lsock.close()


RADIO_SCRIPT = """
import socket, time
from network import LoRa, Sigfox
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
for i in range({cycles}):
    kind = i % 6
    if kind == 0:      # a raw LoRa frame
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.send(b'frame %d' % i)
        s.close()
    elif kind == 1:    # too large
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        try:
            s.send(bytes(256))
        except OSError as e:
            assert e.args[0] == 122, e.args
        s.close()
    elif kind == 2:    # a receive that times out, in virtual time
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.settimeout(0.01)
        try:
            s.recv(64)
        except TimeoutError:
            pass
        s.close()
    elif kind == 3:    # LoRaWAN before a join, then back to raw
        lora.init(mode=LoRa.LORAWAN, region=LoRa.EU868)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        try:
            s.send(b'x')
        except OSError as e:
            assert e.args[0] == 115, e.args
        s.close()
        lora.init(mode=LoRa.LORA, region=LoRa.EU868)
    elif kind == 4:    # a Sigfox message, non-blocking, then closed while it goes
        sfx = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setblocking(False)
        try:
            s.send(b'%d' % i)
        except OSError as e:
            assert e.args[0] == 11, e.args  # the command queue of 2 is full
        s.close()
        lora.init(mode=LoRa.LORA, region=LoRa.EU868)  # LoRa takes the chip back
    else:              # Sigfox EMSGSIZE
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        try:
            s.send(bytes(13))
        except OSError as e:
            assert e.args[0] == 122, e.args
        s.close()
print('done')
"""


def radio_cycles(cycles: int, seed: int) -> None:
    with World(time="virtual", seed=seed, keep_events=False) as world:
        dev = world.add_device("d", board="LoPy4", script=textwrap.dedent(RADIO_SCRIPT.format(cycles=cycles)))
        world.run()
        assert dev.exit_exception is None, dev.output
        assert dev.output.splitlines()[-1] == "done"


def test_ten_thousand_open_use_close_cycles_leave_fds_threads_and_memory_where_they_were(us):
    server = EchoServer()
    refused = socket.socket()
    refused.bind((LOOPBACK, 0))  # bound, never listening: a connect is refused
    udp_peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_peer.bind((LOOPBACK, 0))
    udp_peer.settimeout(LONG_WAIT_S)
    try:
        for i in range(WARM_UP):
            inet_cycle(us, server, refused.getsockname(), udp_peer, i)
        radio_cycles(WARM_UP, seed=1)
        before = Snapshot()
        for i in range(INET_CYCLES):
            if i % 500 == 0:
                support.arm_watchdog()
            inet_cycle(us, server, refused.getsockname(), udp_peer, i)
        for part in range(RADIO_CYCLES // RADIO_CYCLES_PER_WORLD):  # a new world each time
            support.arm_watchdog()
            radio_cycles(RADIO_CYCLES_PER_WORLD, seed=2 + part)
        after = Snapshot()
        after.assert_unchanged_since(before)
        assert us._stack.open_sockets == 0
    finally:
        server.close()
        refused.close()
        udp_peer.close()


# --- load ----------------------------------------------------------------------------------

def pattern(connection: int, size: int) -> bytes:
    """Bytes no other connection sends, in an order a reordering would break."""
    unit = struct.pack(">I", connection) + bytes(range(252))
    return (unit * (size // len(unit) + 1))[:size]


def test_five_hundred_threads_each_echo_one_mebibyte_through_a_local_server(usocket_emu):
    us = usocket_emu.make_usocket()
    server = EchoServer()
    errors = []
    ok = []
    received = [0]  # bytes echoed so far, all connections: the watchdog's sign of progress
    lock = threading.Lock()
    ready = threading.Barrier(LOAD_CONNECTIONS + 1, timeout=LONG_WAIT_S * 6)

    def client(n):
        try:
            s = us.socket()
            s.settimeout(LONG_WAIT_S * 6)
            s.connect(server.echo.getsockname())
            ready.wait()  # all 500 connected at once before any byte goes
            data = pattern(n, LOAD_BYTES)
            got = bytearray()
            for start in range(0, LOAD_BYTES, LOAD_CHUNK):
                chunk = data[start:start + LOAD_CHUNK]
                sent = 0
                while sent < len(chunk):
                    sent += s.send(chunk[sent:])
                while len(got) < start + len(chunk):
                    part = s.recv(LOAD_CHUNK)
                    if not part:
                        raise AssertionError(f"connection {n}: EOF after {len(got)} bytes")
                    got += part
                    with lock:
                        received[0] += len(part)
            s.close()
            if bytes(got) != data:
                raise AssertionError(f"connection {n}: bytes differ")
            with lock:
                ok.append(n)
        except BaseException as exc:  # reported below
            with lock:
                errors.append((n, repr(exc)))
            try:
                ready.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(LOAD_CONNECTIONS)]
    try:
        for t in threads:
            t.start()
        ready.wait()
        seen = -1
        while True:
            alive = [t for t in threads if t.is_alive()]
            if not alive:
                break
            with lock:
                now = received[0]
            if now != seen:  # bytes still flow: not hung, whatever the machine's speed
                support.arm_watchdog()
                seen = now
            alive[0].join(0.5)
        assert errors == []
        assert sorted(ok) == list(range(LOAD_CONNECTIONS))
        assert us._stack.open_sockets == 0
    finally:
        server.close()
