# test_device_semantics.py: spec §2.3 method availability and §2.4 timeout model, cell by cell.
"""Device-only semantics of AF_INET sockets.

One test per row of the spec §2.3 method-availability table (AF_INET column)
and one per cell of the §2.4 timeout table (blocking / timeout expires /
non-blocking × recv, recvfrom, send/sendto, read, readinto, readline, write),
plus the settimeout() conversion rules and accept()'s lack of a timeout
translation.  No sleeps: a call "waits" when it is still running after a
bounded wait, and timeouts are small (support.SHORT_TIMEOUT_S).
"""

from __future__ import annotations

import gc

import pytest

import support
from support import (
    EAGAIN,
    LONG_WAIT_S,
    LOOPBACK,
    SHORT_TIMEOUT_S,
    assert_device_oserror,
    assert_timed_out,
    in_thread,
    still_blocked,
)

#: Bytes no loopback TCP path can absorb while the peer does not read
#: (tcp_wmem max 4 MiB + an unread receive buffer).
UNABSORBABLE = 32 * 1024 * 1024

#: A small receive buffer for the CPython peer, so sends fill the path fast.
SMALL_RCVBUF = 8192


def _set_mode(sock, mode: str) -> None:
    """Put ``sock`` in one of the three §2.4 columns."""
    if mode == "blocking":
        sock.settimeout(None)
    elif mode == "timeout":
        sock.settimeout(SHORT_TIMEOUT_S)
    elif mode == "non-blocking":
        sock.settimeout(0)
    else:  # pragma: no cover - test bug
        raise AssertionError(mode)


def _sync_then(client, peer, payload: bytes, mode: str) -> None:
    """Make ``payload`` observably available to ``client``, then set ``mode``.

    The peer sends a marker byte and the payload in one segment; once a
    blocking recv(1) returned the marker, the payload is there too.
    """
    peer.sendall(b"!" + payload)
    client.settimeout(LONG_WAIT_S)
    assert client.recv(1) == b"!"
    _set_mode(client, mode)


def _full_client(mod, net):
    """A connected client whose send path is full (a send waits 50 ms in vain)."""
    client, peer = net.connected(mod, rcvbuf=SMALL_RCVBUF)
    client.settimeout(SHORT_TIMEOUT_S)
    _sent, exc = support.fill_until_error(client)
    assert_timed_out(exc)
    return client, peer


# ==========================================================================
# §2.3 Method availability, AF_INET column: one test per row
# ==========================================================================


def _assert_callable_attrs(sock, names) -> None:
    for name in names:
        assert callable(getattr(sock, name)), name


@pytest.fixture(params=["default", "strict"])
def any_profile(request, us, strict_us):
    """Both profiles: the §2.3 rows hold in each of them."""
    return us if request.param == "default" else strict_us


def test_row_close_and_finaliser(any_profile, net):
    s = net.tcp(any_profile)
    _assert_callable_attrs(s, ["close"])
    assert s.close() is None
    assert s.fileno() == -1


def test_row_close_finaliser_closes_a_dropped_socket(strict_us, net):
    # Not tracked by net: the garbage collector must close it (§2.5).
    lsock, addr = net.listener()
    client = support.new_socket(strict_us)
    client.connect(addr)
    peer, _ = net.accept(lsock)

    del client
    gc.collect()

    assert peer.recv(64) == b""


def test_row_bind(any_profile, net):
    s = net.tcp(any_profile)
    _assert_callable_attrs(s, ["bind"])
    assert s.bind(net.free_addr()) is None


def test_row_listen_accept_connect(any_profile, net):
    listener = net.tcp(any_profile)
    _assert_callable_attrs(listener, ["listen", "accept", "connect"])
    addr = net.free_addr()
    listener.bind(addr)
    assert listener.listen() is None  # backlog is optional
    client = net.tcp(any_profile)
    assert client.connect(addr) is None

    conn, peer_addr = listener.accept()
    net.track(conn)

    assert isinstance(peer_addr, tuple)
    assert peer_addr[0] == LOOPBACK
    assert isinstance(peer_addr[1], int)
    assert client.send(b"hi") == 2
    assert conn.recv(8) == b"hi"


def test_row_send_sendall_sendall_is_an_alias_of_send(any_profile, net):
    client, peer = net.connected(any_profile)
    _assert_callable_attrs(client, ["send", "sendall"])
    # sendall is the same C function as send: it returns the count.
    assert client.send(b"abc") == 3
    assert client.sendall(b"defg") == 4
    assert support.drain(peer, 7) == 7


def test_row_recv(any_profile, net):
    client, peer = net.connected(any_profile)
    _assert_callable_attrs(client, ["recv"])
    peer.sendall(b"data")
    assert client.recv(64) == b"data"


def test_row_sendto(any_profile, net):
    s, _ = net.udp(any_profile, bind=False)
    peer, peer_addr = net.cpython_udp()
    _assert_callable_attrs(s, ["sendto"])
    assert s.sendto(b"dgram", peer_addr) == 5
    assert peer.recvfrom(64)[0] == b"dgram"


def test_row_recvfrom(any_profile, net):
    s, addr = net.udp(any_profile)
    peer, peer_addr = net.cpython_udp()
    _assert_callable_attrs(s, ["recvfrom"])
    peer.sendto(b"dgram", addr)
    assert s.recvfrom(64) == (b"dgram", peer_addr)


def test_row_setsockopt(any_profile, net):
    s = net.tcp(any_profile)
    _assert_callable_attrs(s, ["setsockopt"])
    assert s.setsockopt(any_profile.SOL_SOCKET, any_profile.SO_REUSEADDR, 1) is None


def test_row_settimeout_setblocking(any_profile, net):
    s = net.tcp(any_profile)
    _assert_callable_attrs(s, ["settimeout", "setblocking"])
    assert s.settimeout(1.5) is None
    assert s.settimeout(None) is None
    assert s.setblocking(False) is None
    assert s.setblocking(True) is None


def test_row_makefile_fileno_do_handshake(any_profile, net):
    s = net.tcp(any_profile)
    _assert_callable_attrs(s, ["makefile", "fileno", "do_handshake"])
    assert s.makefile() is s
    assert isinstance(s.fileno(), int)
    assert s.fileno() >= 0


def test_row_stream_methods(any_profile, net):
    client, peer = net.connected(any_profile)
    _assert_callable_attrs(client, ["read", "readinto", "readline", "write"])
    assert client.write(b"abc") == 3
    assert support.drain(peer, 3) == 3
    peer.sendall(b"xyz\n")
    assert client.readline() == b"xyz\n"


@pytest.mark.parametrize(
    "name",
    ["getsockopt", "shutdown", "getpeername", "getsockname", "recv_into", "gettimeout"],
)
def test_row_absent_methods_raise_attributeerror(any_profile, net, name):
    s = net.tcp(any_profile)
    with pytest.raises(AttributeError):
        getattr(s, name)


@pytest.mark.parametrize("name", ["readall", "__enter__", "__exit__"])
def test_row_absent_on_device_is_absent_in_the_strict_profile(strict_us, net, name):
    s = net.tcp(strict_us)
    with pytest.raises(AttributeError):
        getattr(s, name)


@pytest.mark.parametrize("name", ["readall", "__enter__", "__exit__"])
def test_row_desktop_conveniences_exist_in_the_default_profile(us, net, name):
    s = net.tcp(us)
    assert callable(getattr(s, name))


# ==========================================================================
# Module surface (spec §2 preamble)
# ==========================================================================


def test_module_is_named_usocket(us, fresh_us, strict_us):
    assert us.__name__ == "usocket"
    assert fresh_us.__name__ == "usocket"
    assert strict_us.__name__ == "usocket"


def test_make_usocket_returns_a_new_module_each_time(usocket_emu, us):
    a = usocket_emu.make_usocket()
    b = usocket_emu.make_usocket()
    assert a is not b
    assert a is not us


@pytest.mark.parametrize("name", ["socket", "getaddrinfo", "dnsserver", "error", "timeout"])
def test_module_members_exist(us, name):
    assert getattr(us, name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "getsockopt",
        "inet_aton",
        "inet_ntop",
        "inet_pton",
        "gethostbyname",
        "socketpair",
        "setdefaulttimeout",
        "SocketType",
        "SOL_TCP",
        "TCP_NODELAY",
        "SO_BROADCAST",
    ],
)
def test_module_members_the_device_lacks(us, name):
    with pytest.raises(AttributeError):
        getattr(us, name)


# ==========================================================================
# §2.4 Timeout model: one test per cell
# ==========================================================================

# -- recv(n) ----------------------------------------------------------------


def test_recv_blocking_waits(us, net):
    client, peer = net.connected(us)
    fut = in_thread(client.recv, 64)
    assert still_blocked(fut)
    peer.sendall(b"data")
    assert fut.result(timeout=LONG_WAIT_S) == b"data"


def test_recv_timeout_raises_timeouterror(us, net):
    client, _peer = net.connected(us)
    client.settimeout(SHORT_TIMEOUT_S)
    with pytest.raises(us.timeout) as info:
        client.recv(64)
    assert_timed_out(info.value)


def test_recv_non_blocking_returns_empty_bytes(us, net):
    client, _peer = net.connected(us)
    client.settimeout(0)
    assert client.recv(64) == b""


# -- recvfrom(n), lwIP --------------------------------------------------------


def test_recvfrom_blocking_waits(us, net):
    s, addr = net.udp(us)
    peer, peer_addr = net.cpython_udp()
    fut = in_thread(s.recvfrom, 64)
    assert still_blocked(fut)
    peer.sendto(b"dgram", addr)
    assert fut.result(timeout=LONG_WAIT_S) == (b"dgram", peer_addr)


def test_recvfrom_timeout_raises_timeouterror(us, net):
    s, _ = net.udp(us)
    s.settimeout(SHORT_TIMEOUT_S)
    with pytest.raises(us.timeout) as info:
        s.recvfrom(64)
    assert_timed_out(info.value)


def test_recvfrom_non_blocking_raises_eagain(us, net):
    s, _ = net.udp(us)
    s.settimeout(0)
    with pytest.raises(OSError) as info:
        s.recvfrom(64)
    assert_device_oserror(info.value, EAGAIN)


# -- send / sendto ------------------------------------------------------------


def test_send_blocking_waits_and_sends_everything(us, net):
    client, peer = net.connected(us)
    payload = b"s" * UNABSORBABLE
    fut = in_thread(client.send, payload)
    assert still_blocked(fut)

    assert support.drain(peer, len(payload)) == len(payload)
    assert fut.result(timeout=LONG_WAIT_S) == len(payload)


def test_sendto_blocking_returns_the_count(us, net):
    s, _ = net.udp(us, bind=False)
    peer, peer_addr = net.cpython_udp()
    assert s.sendto(b"x" * 1000, peer_addr) == 1000
    assert peer.recvfrom(2000)[0] == b"x" * 1000


def test_send_timeout_raises_timeouterror_when_the_buffer_stays_full(us, net):
    client, _peer = net.connected(us, rcvbuf=SMALL_RCVBUF)
    client.settimeout(SHORT_TIMEOUT_S)
    sent, exc = support.fill_until_error(client)
    assert sent > 0
    assert_timed_out(exc)


def test_send_non_blocking_raises_eagain_when_the_buffer_is_full(us, net):
    client, _peer = net.connected(us, rcvbuf=SMALL_RCVBUF)
    client.settimeout(0)
    sent, exc = support.fill_until_error(client)
    assert sent > 0
    assert_device_oserror(exc, EAGAIN)


# -- read(n) ------------------------------------------------------------------


def test_read_blocking_waits_for_exactly_n_bytes(us, net):
    client, peer = net.connected(us)
    fut = in_thread(client.read, 5)
    peer.sendall(b"ab")
    assert still_blocked(fut)
    peer.sendall(b"cdefg")
    assert fut.result(timeout=LONG_WAIT_S) == b"abcde"
    assert client.recv(64) == b"fg"


def test_read_blocking_without_n_reads_until_eof(us, net):
    client, peer = net.connected(us)
    fut = in_thread(client.read)
    peer.sendall(b"part one, ")
    assert still_blocked(fut)
    peer.sendall(b"part two")
    peer.close()
    assert fut.result(timeout=LONG_WAIT_S) == b"part one, part two"


def test_read_blocking_stops_short_at_eof(us, net):
    client, peer = net.connected(us)
    peer.sendall(b"abc")
    peer.close()
    assert client.read(10) == b"abc"


def test_read_timeout_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.settimeout(SHORT_TIMEOUT_S)
    assert client.read(5) is None


def test_read_timeout_after_some_bytes_returns_them(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"ab", "timeout")
    assert client.read(5) == b"ab"


def test_read_non_blocking_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.setblocking(False)
    assert client.read(5) is None


def test_read_non_blocking_after_some_bytes_returns_them(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"ab", "non-blocking")
    assert client.read(5) == b"ab"


def test_read_all_non_blocking_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.setblocking(False)
    assert client.read() is None


# -- readinto(buf[, nbytes]) ---------------------------------------------------


def test_readinto_blocking_waits_until_the_buffer_is_full(us, net):
    client, peer = net.connected(us)
    buf = bytearray(6)
    fut = in_thread(client.readinto, buf)
    peer.sendall(b"abc")
    assert still_blocked(fut)
    peer.sendall(b"def")
    assert fut.result(timeout=LONG_WAIT_S) == 6
    assert buf == b"abcdef"


def test_readinto_blocking_honours_nbytes(us, net):
    client, peer = net.connected(us)
    buf = bytearray(10)
    peer.sendall(b"hello world")
    assert client.readinto(buf, 5) == 5
    assert buf[:5] == b"hello"
    assert buf[5:] == bytes(5)


def test_readinto_timeout_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.settimeout(SHORT_TIMEOUT_S)
    buf = bytearray(4)
    assert client.readinto(buf) is None
    assert buf == bytes(4)


def test_readinto_timeout_after_some_bytes_returns_the_count(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"ab", "timeout")
    buf = bytearray(4)
    assert client.readinto(buf) == 2
    assert buf[:2] == b"ab"


def test_readinto_non_blocking_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.settimeout(0)
    assert client.readinto(bytearray(4)) is None


def test_readinto_non_blocking_after_some_bytes_returns_the_count(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"abc", "non-blocking")
    buf = bytearray(8)
    assert client.readinto(buf) == 3
    assert buf[:3] == b"abc"


# -- readline() ------------------------------------------------------------------


def test_readline_blocking_waits_for_the_newline(us, net):
    client, peer = net.connected(us)
    fut = in_thread(client.readline)
    peer.sendall(b"hel")
    assert still_blocked(fut)
    peer.sendall(b"lo\nnext line\n")
    assert fut.result(timeout=LONG_WAIT_S) == b"hello\n"
    # Unbuffered: the rest is still in the socket.
    client.settimeout(LONG_WAIT_S)
    assert client.recv(64) == b"next line\n"


def test_readline_blocking_returns_the_tail_at_eof(us, net):
    client, peer = net.connected(us)
    peer.sendall(b"no newline")
    peer.close()
    assert client.readline() == b"no newline"
    assert client.readline() == b""


def test_readline_timeout_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.settimeout(SHORT_TIMEOUT_S)
    assert client.readline() is None


def test_readline_timeout_after_some_bytes_returns_them(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"par", "timeout")
    assert client.readline() == b"par"


def test_readline_non_blocking_with_nothing_returns_none(us, net):
    client, _peer = net.connected(us)
    client.setblocking(False)
    assert client.readline() is None


def test_readline_non_blocking_after_some_bytes_returns_them(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"line\nrest", "non-blocking")
    assert client.readline() == b"line\n"
    assert client.readline() == b"rest"


# -- write(buf[, max_len]) / write(buf, off, n) -----------------------------------


def test_write_blocking_waits_and_writes_everything(us, net):
    client, peer = net.connected(us)
    payload = b"w" * UNABSORBABLE
    fut = in_thread(client.write, payload)
    assert still_blocked(fut)

    assert support.drain(peer, len(payload)) == len(payload)
    assert fut.result(timeout=LONG_WAIT_S) == len(payload)


def test_write_blocking_with_max_len(us, net):
    client, peer = net.connected(us)
    assert client.write(b"abcdef", 3) == 3
    assert peer.recv(64) == b"abc"


def test_write_blocking_with_offset_and_count(us, net):
    client, peer = net.connected(us)
    assert client.write(b"abcdef", 2, 3) == 3
    assert peer.recv(64) == b"cde"


def test_write_timeout_when_nothing_can_be_written_returns_none(us, net):
    client, _peer = _full_client(us, net)
    client.settimeout(SHORT_TIMEOUT_S)
    assert client.write(b"x" * 65536) is None


def test_write_non_blocking_when_nothing_can_be_written_returns_none(us, net):
    client, _peer = _full_client(us, net)
    client.setblocking(False)
    assert client.write(b"x" * 65536) is None


# ==========================================================================
# accept(): no timeout translation on the device
# ==========================================================================


def test_accept_blocking_waits_for_a_client(us, net):
    listener, addr = net.mod_listener(us)
    fut = in_thread(listener.accept)
    assert still_blocked(fut)

    client = net.cpython_client(addr)
    conn, peer_addr = fut.result(timeout=LONG_WAIT_S)
    net.track(conn)
    assert tuple(peer_addr) == client.getsockname()


def test_accept_timeout_raises_eagain_not_timeouterror(us, net):
    listener, _addr = net.mod_listener(us)
    listener.settimeout(SHORT_TIMEOUT_S)
    with pytest.raises(OSError) as info:
        listener.accept()
    assert_device_oserror(info.value, EAGAIN)


def test_accept_non_blocking_raises_eagain(us, net):
    listener, _addr = net.mod_listener(us)
    listener.setblocking(False)
    with pytest.raises(OSError) as info:
        listener.accept()
    assert_device_oserror(info.value, EAGAIN)


# ==========================================================================
# settimeout() conversion: None/negative block, < 1 ms is non-blocking
# ==========================================================================


@pytest.mark.parametrize("value", [None, -1, -0.5])
def test_settimeout_none_or_negative_blocks(us, net, value):
    client, peer = net.connected(us)
    client.settimeout(value)
    fut = in_thread(client.recv, 64)
    assert still_blocked(fut)
    peer.sendall(b"data")
    assert fut.result(timeout=LONG_WAIT_S) == b"data"


@pytest.mark.parametrize("value", [0, 0.0, 0.0005, 0.000999])
def test_settimeout_below_one_millisecond_is_non_blocking(us, net, value):
    client, _peer = net.connected(us)
    client.settimeout(value)
    assert client.recv(64) == b""


@pytest.mark.parametrize("value", [0.001, 0.01, SHORT_TIMEOUT_S])
def test_settimeout_positive_milliseconds_time_out(us, net, value):
    client, _peer = net.connected(us)
    client.settimeout(value)
    with pytest.raises(TimeoutError) as info:
        client.recv(64)
    assert_timed_out(info.value)


def test_setblocking_false_is_non_blocking(us, net):
    client, _peer = net.connected(us)
    client.setblocking(False)
    assert client.recv(64) == b""


def test_non_blocking_recv_returns_data_when_present(us, net):
    client, peer = net.connected(us)
    _sync_then(client, peer, b"present", "non-blocking")
    assert client.recv(64) == b"present"
    assert client.recv(64) == b""
