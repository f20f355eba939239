# test_threads_interrupt.py: blocking calls release the GIL and yield to Ctrl-C.
"""Threads and Ctrl-C.

Every blocking call releases the GIL, so other Python threads keep running,
and a SIGINT delivered to the main thread makes a blocking recv, accept or
connect raise KeyboardInterrupt promptly.  Helper threads wait a short,
fixed time (bounding the helper, not the assertion) before they act; every
wait in an assertion is bounded.
"""

from __future__ import annotations

import _thread
import concurrent.futures
import signal
import threading
import time

import pytest

from support import LONG_WAIT_S, in_thread

#: Threads blocked in recv at the same time.
N_THREADS = 8

#: How long a helper waits for the main thread to be inside the call.
SETTLE_S = 0.2

#: A KeyboardInterrupt must surface within this long after the SIGINT.
MAX_INTERRUPT_LATENCY_S = 0.25

#: If the call is still blocked this long after the SIGINT, the helper
#: unblocks it another way so a broken emulator fails instead of hanging.
RESCUE_AFTER_S = 2.0


class Interrupter:
    """A helper thread that sends the main thread a Ctrl-C after SETTLE_S.

    ``how`` is "pthread_kill" (a real SIGINT to the main thread) or
    "interrupt_main" (``_thread.interrupt_main()``).  If the main thread has
    not called ``returned()`` RESCUE_AFTER_S after the signal, ``rescue()``
    runs to unblock it and ``rescued`` is set.
    """

    def __init__(self, how: str, rescue) -> None:
        self._how = how
        self._rescue = rescue
        self._returned = threading.Event()
        self._main_ident = threading.main_thread().ident
        self.sent_at: float | None = None
        self.returned_at: float | None = None
        self.rescued = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._returned.wait(SETTLE_S):
            return  # the call returned on its own before any signal
        self.sent_at = time.monotonic()
        if self._how == "pthread_kill":
            signal.pthread_kill(self._main_ident, signal.SIGINT)
        else:
            _thread.interrupt_main()
        if not self._returned.wait(RESCUE_AFTER_S):
            self.rescued = True
            self._rescue()

    def returned(self) -> None:
        """Called by the main thread as soon as the blocking call is over."""
        self.returned_at = time.monotonic()
        self._returned.set()

    def join(self) -> None:
        self._thread.join(LONG_WAIT_S)
        assert not self._thread.is_alive()

    def assert_prompt(self) -> None:
        assert not self.rescued, "the call ignored Ctrl-C and had to be unblocked"
        assert self.sent_at is not None, "the call returned before the Ctrl-C"
        assert self.returned_at is not None
        assert self.returned_at - self.sent_at < MAX_INTERRUPT_LATENCY_S


def _interrupt(how: str, call, rescue) -> Interrupter:
    """Run ``call()`` in the main thread; a helper Ctrl-Cs it."""
    irq = Interrupter(how, rescue)
    with pytest.raises(KeyboardInterrupt):
        try:
            call()
        finally:
            irq.returned()
    irq.join()
    irq.assert_prompt()
    return irq


# ==========================================================================
# Threads
# ==========================================================================


def test_eight_threads_blocked_in_recv_all_make_progress(us, net):
    lsock, addr = net.listener(backlog=N_THREADS)
    clients, peers = [], []
    for _ in range(N_THREADS):
        client = net.tcp(us)
        client.connect(addr)
        peer, _ = net.accept(lsock)
        clients.append(client)
        peers.append(peer)

    ready = threading.Barrier(N_THREADS + 1, timeout=LONG_WAIT_S)

    def worker(i: int) -> bytes:
        ready.wait()
        return clients[i].recv(64)

    futs = [in_thread(worker, i) for i in range(N_THREADS)]
    ready.wait()

    # The main thread runs while all eight are blocked, and none has data.
    done, _ = concurrent.futures.wait(futs, timeout=0.1)
    assert not done

    # Feed them one at a time, in reverse: exactly the fed one completes.
    for i in reversed(range(N_THREADS)):
        peers[i].sendall(b"msg-%d" % i)
        assert futs[i].result(timeout=LONG_WAIT_S) == b"msg-%d" % i
        assert not any(f.done() for f in futs[:i])


def test_recv_with_timeout_lets_another_thread_supply_the_data(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)

    def later() -> None:
        threading.Event().wait(0.1)
        peer.sendall(b"from a thread")

    helper = in_thread(later)
    # Were the GIL held during recv, the helper could not send: TimeoutError.
    assert client.recv(64) == b"from a thread"
    helper.result(timeout=LONG_WAIT_S)


def test_accept_with_timeout_lets_another_thread_connect(us, net):
    listener, addr = net.mod_listener(us)
    listener.settimeout(LONG_WAIT_S)

    def later():
        threading.Event().wait(0.1)
        return net.cpython_client(addr).getsockname()

    helper = in_thread(later)
    conn, peer_addr = listener.accept()
    net.track(conn)
    assert tuple(peer_addr) == helper.result(timeout=LONG_WAIT_S)


def test_other_threads_run_during_a_blocking_connect(us, net):
    _lsock, addr = net.full_backlog_listener()
    s = net.tcp(us)
    s.settimeout(0.3)

    stop = threading.Event()
    ticks = []

    def ticker() -> None:
        while not stop.wait(0.01):
            ticks.append(time.monotonic())

    helper = in_thread(ticker)
    try:
        with pytest.raises(TimeoutError):
            s.connect(addr)
    finally:
        stop.set()
    helper.result(timeout=LONG_WAIT_S)

    # ~30 ticks in 0.3 s if the GIL was free; a held GIL allows at most one.
    assert len(ticks) >= 5


def test_blocking_send_in_a_thread_while_the_main_thread_drains(us, net):
    client, peer = net.connected(us)
    payload = bytes(range(256)) * 32768  # 8 MiB
    sender = in_thread(client.send, payload)

    got = bytearray()
    while len(got) < len(payload):
        chunk = peer.recv(1 << 20)
        assert chunk
        got += chunk

    assert sender.result(timeout=LONG_WAIT_S) == len(payload)
    assert bytes(got) == payload


# ==========================================================================
# Ctrl-C
# ==========================================================================


@pytest.mark.parametrize("how", ["pthread_kill", "interrupt_main"])
def test_ctrl_c_interrupts_a_blocking_recv(us, net, sigint_default, how):
    client, peer = net.connected(us)

    _interrupt(how, lambda: client.recv(64), rescue=lambda: peer.sendall(b"rescue"))

    # Still usable: the data sent afterwards arrives, then it closes.
    peer.sendall(b"after")
    client.settimeout(LONG_WAIT_S)
    assert client.recv(64) == b"after"
    client.close()
    assert client.fileno() == -1


def test_ctrl_c_interrupts_a_recv_with_a_long_timeout(us, net, sigint_default):
    client, peer = net.connected(us)
    client.settimeout(30)

    _interrupt("pthread_kill", lambda: client.recv(64), rescue=lambda: peer.sendall(b"x"))

    peer.sendall(b"after")
    assert client.recv(64) == b"after"


@pytest.mark.parametrize("how", ["pthread_kill", "interrupt_main"])
def test_ctrl_c_interrupts_a_blocking_accept(us, net, sigint_default, how):
    listener, addr = net.mod_listener(us)

    _interrupt(how, listener.accept, rescue=lambda: net.cpython_client(addr))

    # Still usable: a client that connects afterwards is accepted.
    client = net.cpython_client(addr)
    conn, peer_addr = listener.accept()
    net.track(conn)
    assert tuple(peer_addr) == client.getsockname()
    listener.close()
    assert listener.fileno() == -1


@pytest.mark.parametrize("how", ["pthread_kill", "interrupt_main"])
def test_ctrl_c_interrupts_a_blocking_connect(us, net, sigint_default, how):
    lsock, addr = net.full_backlog_listener()
    s = net.tcp(us)

    # The rescue closes the listener: the next SYN retry is refused.
    _interrupt(how, lambda: s.connect(addr), rescue=lsock.close)

    s.close()
    assert s.fileno() == -1


def test_socket_is_usable_for_a_new_recv_after_ctrl_c_in_another_call(us, net, sigint_default):
    client, peer = net.connected(us)
    _interrupt("pthread_kill", lambda: client.recv(64), rescue=lambda: peer.sendall(b"x"))
    _interrupt("pthread_kill", lambda: client.recv(64), rescue=lambda: peer.sendall(b"y"))

    peer.sendall(b"third time")
    client.settimeout(LONG_WAIT_S)
    assert client.recv(64) == b"third time"
