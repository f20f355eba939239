# test_inet_parity.py: AF_INET behaviour where the device and CPython agree, one body for both.
"""Parity tests, uvloop style: every test body runs once against CPython's
``socket`` module and once against the emulated ``usocket``.

Only behaviour on which the Pycom device and CPython agree lives here; where
they differ (non-blocking recv, accept timeouts, errno numbers, stream
methods ...) see test_device_semantics.py and test_errors.py.  Where both
raise the same kind of error but with their own errno numbering, the number
each implementation must use is looked up in ``ERRNO``.
"""

from __future__ import annotations

import errno
import socket

import pytest

import support
from support import LONG_WAIT_S, LOOPBACK, SHORT_TIMEOUT_S, in_thread, still_blocked

#: Errno numbers per implementation for the errors both raise as OSError(n).
ERRNO = {
    "cpython": {
        "EBADF": errno.EBADF,
        "EADDRINUSE": errno.EADDRINUSE,
        # CPython reports a refused connect as ECONNREFUSED (ConnectionRefusedError).
        "refused": errno.ECONNREFUSED,
    },
    "usocket": {
        "EBADF": support.EBADF,
        "EADDRINUSE": support.EADDRINUSE,
        # lwIP reports a refused connect as ECONNRESET (spec §1.1, §2.5).
        "refused": support.ECONNRESET,
    },
}


@pytest.fixture(params=["cpython", "usocket"])
def impl_name(request):
    return request.param


@pytest.fixture
def impl(impl_name, usocket_emu):
    """The socket module under test: CPython's or the emulated device's."""
    return socket if impl_name == "cpython" else usocket_emu.usocket


@pytest.fixture
def expected_errno(impl_name):
    return ERRNO[impl_name]


# --------------------------------------------------------------------------
# Module surface
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AF_INET", 2),
        ("SOCK_STREAM", 1),
        ("SOCK_DGRAM", 2),
        ("SOCK_RAW", 3),
        ("IPPROTO_IP", 0),
        ("IPPROTO_ICMP", 1),
        ("IPPROTO_TCP", 6),
        ("IPPROTO_UDP", 17),
        ("IPPROTO_IPV6", 41),
        ("IPPROTO_RAW", 255),
    ],
)
def test_shared_constants_have_the_same_values(impl, name, value):
    assert getattr(impl, name) == value


def test_error_is_oserror_and_timeout_is_timeouterror(impl):
    assert impl.error is OSError
    assert impl.timeout is TimeoutError


# --------------------------------------------------------------------------
# TCP
# --------------------------------------------------------------------------


def test_tcp_echo_round_trip(impl, net):
    listener, addr = net.mod_listener(impl)
    client = net.tcp(impl)
    client.connect(addr)
    conn, peer_addr = listener.accept()
    net.track(conn)
    assert peer_addr[0] == LOOPBACK

    assert client.send(b"ping") == 4
    assert conn.recv(64) == b"ping"
    assert conn.send(b"pong") == 4
    assert client.recv(64) == b"pong"


def test_accept_returns_the_clients_address(impl, net):
    listener, addr = net.mod_listener(impl)
    cpython_client = net.cpython_client(addr)

    conn, peer_addr = listener.accept()
    net.track(conn)

    assert tuple(peer_addr) == cpython_client.getsockname()
    cpython_client.sendall(b"hello")
    assert conn.recv(64) == b"hello"


def test_connect_to_a_cpython_listener_and_exchange(impl, net):
    client, peer = net.connected(impl)

    assert client.send(b"to-peer") == 7
    assert peer.recv(64) == b"to-peer"
    peer.sendall(b"to-client")
    assert client.recv(64) == b"to-client"


def test_send_returns_the_byte_count(impl, net):
    client, peer = net.connected(impl)
    assert client.send(b"abc") == 3
    assert peer.recv(64) == b"abc"


def test_blocking_recv_gets_data_already_sent(impl, net):
    client, peer = net.connected(impl)
    peer.sendall(b"ready")
    assert client.recv(64) == b"ready"


def test_blocking_recv_waits_until_data_arrives(impl, net):
    client, peer = net.connected(impl)

    fut = in_thread(client.recv, 64)
    assert still_blocked(fut)
    peer.sendall(b"late")

    assert fut.result(timeout=LONG_WAIT_S) == b"late"


def test_recv_returns_empty_bytes_at_orderly_eof(impl, net):
    client, peer = net.connected(impl)
    peer.close()
    assert client.recv(64) == b""


def test_recv_gets_pending_data_then_eof(impl, net):
    client, peer = net.connected(impl)
    peer.sendall(b"last words")
    peer.close()

    got = b""
    while True:
        chunk = client.recv(64)
        if not chunk:
            break
        got += chunk
    assert got == b"last words"


def test_recv_loop_reassembles_a_large_stream(impl, net):
    client, peer = net.connected(impl)
    payload = bytes(range(256)) * 400  # 100 KiB
    sender = in_thread(peer.sendall, payload)

    got = bytearray()
    while len(got) < len(payload):
        chunk = client.recv(4096)
        assert chunk, "EOF before the whole payload arrived"
        got += chunk

    sender.result(timeout=LONG_WAIT_S)
    assert bytes(got) == payload


def test_sendall_delivers_everything(impl, net):
    client, peer = net.connected(impl)
    payload = bytes(range(256)) * 1024  # 256 KiB
    reader = in_thread(support.drain, peer, len(payload))

    client.sendall(payload)

    assert reader.result(timeout=LONG_WAIT_S) == len(payload)


def test_settimeout_then_recv_times_out(impl, net):
    client, _peer = net.connected(impl)
    client.settimeout(SHORT_TIMEOUT_S)

    with pytest.raises(impl.timeout) as info:
        client.recv(64)

    support.assert_timed_out(info.value)


def test_recv_after_a_timeout_still_gets_data(impl, net):
    client, peer = net.connected(impl)
    client.settimeout(SHORT_TIMEOUT_S)
    with pytest.raises(TimeoutError):
        client.recv(64)

    peer.sendall(b"later")
    client.settimeout(LONG_WAIT_S)
    assert client.recv(64) == b"later"


def test_settimeout_none_makes_recv_block_again(impl, net):
    client, peer = net.connected(impl)
    client.settimeout(SHORT_TIMEOUT_S)
    client.settimeout(None)

    fut = in_thread(client.recv, 64)
    assert still_blocked(fut)
    peer.sendall(b"data")
    assert fut.result(timeout=LONG_WAIT_S) == b"data"


def test_setblocking_true_makes_recv_block(impl, net):
    client, peer = net.connected(impl)
    client.setblocking(False)
    client.setblocking(True)

    fut = in_thread(client.recv, 64)
    assert still_blocked(fut)
    peer.sendall(b"data")
    assert fut.result(timeout=LONG_WAIT_S) == b"data"


def test_setsockopt_reuseaddr_returns_none(impl, net):
    s = net.tcp(impl)
    assert s.setsockopt(impl.SOL_SOCKET, impl.SO_REUSEADDR, 1) is None


def test_fileno_is_a_non_negative_int_while_open(impl, net):
    s = net.tcp(impl)
    fd = s.fileno()
    assert isinstance(fd, int)
    assert fd >= 0


def test_close_is_idempotent(impl, net):
    s = net.tcp(impl)
    s.close()
    s.close()
    assert s.fileno() == -1


def test_connected_socket_close_is_idempotent_and_peer_sees_eof(impl, net):
    client, peer = net.connected(impl)
    client.close()
    client.close()
    assert client.fileno() == -1
    assert peer.recv(64) == b""


@pytest.mark.parametrize("op", ["recv", "send"])
def test_operations_on_a_closed_socket_raise_ebadf(impl, net, expected_errno, op):
    client, _peer = net.connected(impl)
    client.close()

    with pytest.raises(OSError) as info:
        if op == "recv":
            client.recv(64)
        else:
            client.send(b"x")

    assert info.value.args[0] == expected_errno["EBADF"]
    assert not isinstance(info.value, TimeoutError)


def test_bind_to_a_port_with_a_listener_raises_eaddrinuse(impl, net, expected_errno):
    _lsock, addr = net.listener()
    s = net.tcp(impl)

    with pytest.raises(OSError) as info:
        s.bind(addr)

    assert info.value.args[0] == expected_errno["EADDRINUSE"]


def test_connect_to_a_closed_port_is_refused_with_an_oserror(impl, net, expected_errno):
    s = net.tcp(impl)

    with pytest.raises(OSError) as info:
        s.connect(net.free_addr())

    assert info.value.args[0] == expected_errno["refused"]
    assert not isinstance(info.value, TimeoutError)


# --------------------------------------------------------------------------
# UDP
# --------------------------------------------------------------------------


def test_udp_sendto_recvfrom_round_trip(impl, net):
    a, addr_a = net.udp(impl)
    b, addr_b = net.udp(impl)

    assert a.sendto(b"hello", addr_b) == 5
    data, src = b.recvfrom(64)
    assert data == b"hello"
    assert tuple(src) == addr_a

    assert b.sendto(b"world", src) == 5
    data, src = a.recvfrom(64)
    assert data == b"world"
    assert tuple(src) == addr_b


def test_udp_to_a_cpython_peer(impl, net):
    s, addr = net.udp(impl)
    peer, peer_addr = net.cpython_udp()

    assert s.sendto(b"datagram", peer_addr) == 8
    data, src = peer.recvfrom(64)
    assert data == b"datagram"
    assert src == addr

    peer.sendto(b"reply", addr)
    data, src = s.recvfrom(64)
    assert data == b"reply"
    assert tuple(src) == peer_addr


def test_udp_datagram_boundaries_are_kept(impl, net):
    s, addr = net.udp(impl)
    peer, _ = net.cpython_udp()
    for payload in (b"one", b"two-two", b"three"):
        peer.sendto(payload, addr)

    assert [s.recvfrom(64)[0] for _ in range(3)] == [b"one", b"two-two", b"three"]


def test_udp_recvfrom_times_out(impl, net):
    s, _ = net.udp(impl)
    s.settimeout(SHORT_TIMEOUT_S)

    with pytest.raises(impl.timeout) as info:
        s.recvfrom(64)

    support.assert_timed_out(info.value)


# --------------------------------------------------------------------------
# getaddrinfo
# --------------------------------------------------------------------------


def test_getaddrinfo_numeric_host_common_part(impl):
    infos = impl.getaddrinfo(LOOPBACK, 80)

    assert isinstance(infos, list)
    assert infos
    # CPython returns one entry per socket type, the device only the stream
    # one (with proto 0 instead of 6): compare the first SOCK_STREAM entry.
    stream = [info for info in infos if info[1] == 1]
    assert stream
    family, socktype, _proto, canonname, sockaddr = stream[0]
    assert family == 2
    assert socktype == 1
    assert canonname == ""
    assert tuple(sockaddr) == (LOOPBACK, 80)


def test_getaddrinfo_result_connects(impl, net):
    _lsock, (host, port) = net.listener()
    sockaddr = impl.getaddrinfo(host, port)[0][-1]

    s = net.tcp(impl)
    s.connect(sockaddr)
    assert s.send(b"x") == 1
