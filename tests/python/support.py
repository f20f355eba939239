# support.py: loopback topologies, thread helpers and constants for the pytest suite.
"""Helpers shared by the test modules (imported as ``support``).

Peers and listeners on the other side of the emulated sockets are CPython
sockets, because the emulated module has no ``getsockname`` to learn a port
from.  Every CPython peer gets a bounded timeout so a misbehaving emulator
fails a test instead of hanging the run.
"""

from __future__ import annotations

import concurrent.futures
import faulthandler
import socket
import sys
import threading
from concurrent.futures import Future

LOOPBACK = "127.0.0.1"

#: Upper bound for any wait that is expected to succeed.
LONG_WAIT_S = 5.0

#: A timeout that is expected to expire (short, but long enough for loopback).
SHORT_TIMEOUT_S = 0.05

#: How long a call must stay blocked before a test believes it waits.
BLOCKED_FOR_S = 0.1

#: The strict profile's lwIP socket limit (CONFIG_LWIP_MAX_SOCKETS).
LWIP_MAX_SOCKETS = 10

#: Boards make_usocket() accepts.
BOARDS = ("LoPy", "LoPy4", "FiPy", "SiPy", "WiPy")

#: Device errno values (newlib numbering, firmware 1.20.x; spec §1.1).
EBADF = 9
EAGAIN = 11
ENFILE = 23
ECONNRESET = 104
ENOPROTOOPT = 109
EADDRINUSE = 112
EINPROGRESS = 119
EISCONN = 127
ENOTCONN = 128
EAI_SERVICE = 201
EAI_FAIL = 202


#: Per-test watchdog: a test (or one example of a hypothesis test) that takes longer than
#: this is hung.
WATCHDOG_S = 30.0


def arm_watchdog() -> None:
    """Dump every thread's stack and exit if nothing re-arms this within WATCHDOG_S."""
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=sys.__stderr__)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 nobody uses (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def assert_device_oserror(exc: BaseException, errno_value: int) -> None:
    """``exc`` is the device's errno OSError: prints as OSError, args == (n,)."""
    assert isinstance(exc, OSError)
    assert type(exc).__name__ == "OSError"
    assert type(exc).__module__ == "builtins"
    assert exc.args == (errno_value,), exc.args
    # An errno error is never one of CPython's errno-derived subclasses.
    assert not isinstance(exc, TimeoutError)
    assert not isinstance(exc, BlockingIOError)
    assert not isinstance(exc, ConnectionError)
    assert not isinstance(exc, InterruptedError)


def oserror_of(call, *args) -> OSError:
    """The OSError ``call(*args)`` raises (an AssertionError if it returns)."""
    try:
        call(*args)
    except OSError as exc:
        return exc
    raise AssertionError(f"{call} returned")


def assert_timed_out(exc: BaseException) -> None:
    """``exc`` is the device's timeout: builtin TimeoutError('timed out')."""
    assert type(exc) is TimeoutError
    assert exc.args == ("timed out",)


class Net:
    """Builds loopback topologies and closes every socket at teardown."""

    def __init__(self) -> None:
        self._sockets: list = []

    # -- bookkeeping -------------------------------------------------------

    def track(self, s):
        """Remember ``s`` (CPython or emulated) so teardown closes it."""
        self._sockets.append(s)
        return s

    def close_all(self) -> None:
        for s in reversed(self._sockets):
            s.close()
        self._sockets.clear()

    # -- CPython sides -----------------------------------------------------

    def free_addr(self, kind: int = socket.SOCK_STREAM) -> tuple[str, int]:
        return (LOOPBACK, free_port(kind))

    def listener(self, backlog: int = 16, rcvbuf: int | None = None):
        """A CPython TCP listener on 127.0.0.1: returns (socket, (ip, port))."""
        lsock = self.track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        if rcvbuf is not None:
            # Inherited by accepted sockets: fills the path with little data.
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        lsock.bind((LOOPBACK, 0))
        lsock.listen(backlog)
        lsock.settimeout(LONG_WAIT_S)
        return lsock, lsock.getsockname()

    def accept(self, lsock):
        """Accept on a CPython listener; the peer gets a bounded timeout."""
        peer, addr = lsock.accept()
        self.track(peer)
        peer.settimeout(LONG_WAIT_S)
        return peer, addr

    def cpython_udp(self):
        """A CPython UDP socket bound to 127.0.0.1: returns (socket, addr)."""
        s = self.track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        s.bind((LOOPBACK, 0))
        s.settimeout(LONG_WAIT_S)
        return s, s.getsockname()

    def cpython_client(self, addr):
        """A CPython TCP client connected to ``addr``."""
        c = self.track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        c.settimeout(LONG_WAIT_S)
        c.connect(addr)
        return c

    def full_backlog_listener(self):
        """A CPython listener whose accept queue is full, so connects hang.

        listen(0) lets one connection queue; the kernel then drops further
        SYNs, so three non-blocking CPython clients that are never accepted
        keep it full.  Returns (listener, addr).
        """
        lsock = self.track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        lsock.bind((LOOPBACK, 0))
        lsock.listen(0)
        addr = lsock.getsockname()
        for _ in range(3):
            c = self.track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            c.setblocking(False)
            c.connect_ex(addr)
        return lsock, addr

    # -- sockets of the module under test (emulated or CPython) ------------

    def tcp(self, mod):
        """An unconnected TCP socket of ``mod``."""
        return self.track(new_socket(mod, mod.AF_INET, mod.SOCK_STREAM))

    def udp(self, mod, bind: bool = True):
        """A UDP socket of ``mod``, bound to a free loopback port when asked.

        Returns (socket, addr); addr is None when not bound.
        """
        s = self.track(new_socket(mod, mod.AF_INET, mod.SOCK_DGRAM))
        if not bind:
            return s, None
        addr = self.free_addr(socket.SOCK_DGRAM)
        s.bind(addr)
        return s, addr

    def connected(self, mod, rcvbuf: int | None = None):
        """A ``mod`` TCP client connected to a CPython peer: (client, peer)."""
        lsock, addr = self.listener(rcvbuf=rcvbuf)
        client = self.tcp(mod)
        client.connect(addr)
        peer, _ = self.accept(lsock)
        return client, peer

    def mod_listener(self, mod, backlog: int = 4):
        """A ``mod`` TCP listener on a free loopback port: (listener, addr)."""
        lsock = self.tcp(mod)
        addr = self.free_addr()
        lsock.bind(addr)
        lsock.listen(backlog)
        return lsock, addr


def in_thread(fn, *args) -> Future:
    """Run ``fn(*args)`` in a daemon thread; the Future holds its outcome."""
    fut: Future = Future()

    def run() -> None:
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # handed to the test through the Future
            fut.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return fut


def still_blocked(fut: Future, wait_s: float = BLOCKED_FOR_S) -> bool:
    """True when ``fut`` has not completed after a bounded wait."""
    try:
        fut.exception(timeout=wait_s)
    except concurrent.futures.TimeoutError:
        return True
    return False


def drain(peer, total: int) -> int:
    """Read exactly ``total`` bytes from a CPython socket; returns the count."""
    got = 0
    while got < total:
        chunk = peer.recv(min(1 << 20, total - got))
        if not chunk:
            break
        got += len(chunk)
    return got


def fill_until_error(sock, chunk: int = 65536, max_rounds: int = 4096):
    """send() until the socket refuses; returns (bytes_sent, exception)."""
    data = b"x" * chunk
    sent = 0
    for _ in range(max_rounds):
        try:
            n = sock.send(data)
        except OSError as exc:
            return sent, exc
        assert isinstance(n, int) and 0 < n <= chunk
        sent += n
    raise AssertionError(f"send never blocked after {sent} bytes")


def new_socket(mod, *args):
    """``mod.socket(*args)``, failing the test cleanly if it raises OSError.

    A socket whose constructor raised (e.g. ENFILE) stays referenced by the
    traceback's ``__init__`` frame; pytest's --showlocals would repr it.  The
    failure is re-raised here with no traceback chain to avoid that.
    """
    try:
        return mod.socket(*args)
    except OSError as exc:
        args_of_error = exc.args
    raise AssertionError(f"socket{args!r} raised OSError{args_of_error!r}")
