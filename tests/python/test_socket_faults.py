"""Faults on real TCP/UDP sockets (issue 7): a peer that resets mid-stream, a peer that
half-closes, a server that vanishes. Each gives what the device's lwIP gives (pycom-api.md
1.1, 2.5): ECONNRESET once for a reset and ENOTCONN after it, b'' for an orderly close, a
refused connect as ECONNRESET, and no error at all for a UDP server that is gone (lwIP
passes no ICMP error to a UDP pcb). The LoRaWAN faults (lost downlinks, a gateway that goes
away) are in tests/python/runtime/test_network_faults.py.

No sleeps: a blocking recv with a bound waits for what the peer did to arrive.
"""

from __future__ import annotations

import socket
import struct

from support import ECONNRESET, ENOTCONN, LONG_WAIT_S, assert_device_oserror, assert_timed_out, in_thread, oserror_of

CHUNK = 65536


def reset(peer) -> None:
    """Close a CPython socket with an RST (SO_LINGER on, 0 s)."""
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()


# --- a peer that resets ------------------------------------------------------------------

def test_a_reset_after_the_data_was_read_is_econnreset_once_then_enotconn(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    peer.sendall(b"hello")
    assert client.recv(5) == b"hello"
    reset(peer)
    assert_device_oserror(oserror_of(client.recv, 5), ECONNRESET)  # waits for the RST
    assert_device_oserror(oserror_of(client.send, b"x"), ENOTCONN)
    client.close()


def test_data_that_arrived_before_a_reset_is_still_read(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    peer.sendall(b"unread")
    reset(peer)
    assert client.recv(16) == b"unread"
    assert_device_oserror(oserror_of(client.recv, 16), ECONNRESET)
    client.close()


def test_a_reset_while_the_device_is_blocked_in_recv_wakes_it_with_econnreset(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    blocked = in_thread(client.recv, 16)
    reset(peer)
    assert_device_oserror(blocked.exception(timeout=LONG_WAIT_S), ECONNRESET)
    client.close()


def test_a_reset_during_a_long_send_is_econnreset_first_then_enotconn(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    data = bytes(CHUNK)
    assert client.send(data) > 0
    assert len(peer.recv(CHUNK)) > 0  # the stream is flowing
    reset(peer)
    # The device goes on sending until its stack hears of the reset: the first error is the
    # reset itself, even when it came in the middle of a send that had queued some bytes.
    for _ in range(10_000):
        try:
            client.send(data)
        except OSError as exc:
            first = exc
            break
    else:
        raise AssertionError("the reset never showed")
    assert_device_oserror(first, ECONNRESET)
    assert_device_oserror(oserror_of(client.send, data), ENOTCONN)
    client.close()


# --- a peer that half-closes ---------------------------------------------------------------

def test_after_the_peer_half_closes_the_device_reads_eof_and_can_still_send(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    peer.sendall(b"request")
    peer.shutdown(socket.SHUT_WR)
    assert client.recv(64) == b"request"
    assert client.recv(64) == b""   # an orderly close reads as 0 bytes, again and again
    assert client.recv(64) == b""
    reply = bytes(range(256)) * 512  # 128 KiB, more than one send may queue
    sent = 0
    while sent < len(reply):
        sent += client.send(reply[sent:])
    client.close()
    got = bytearray()
    while True:
        part = peer.recv(CHUNK)
        if not part:
            break
        got += part
    assert bytes(got) == reply


def test_read_returns_everything_up_to_the_half_close(us, net):
    client, peer = net.connected(us)
    client.settimeout(LONG_WAIT_S)
    body = b"".join(b"line %d\n" % i for i in range(2000))
    peer.sendall(body)
    peer.shutdown(socket.SHUT_WR)
    assert client.read() == body
    client.close()


# --- a server that vanishes ------------------------------------------------------------------

def test_a_tcp_server_that_vanishes_reads_as_eof_and_refuses_the_next_connect(us, net):
    lsock, addr = net.listener()
    client = net.tcp(us)
    client.settimeout(LONG_WAIT_S)
    client.connect(addr)
    peer, _ = net.accept(lsock)
    peer.sendall(b"bye")
    peer.close()
    lsock.close()
    assert client.recv(16) == b"bye"
    assert client.recv(16) == b""
    client.close()
    again = net.tcp(us)
    assert_device_oserror(oserror_of(again.connect, addr), ECONNRESET)  # lwIP's refused connect


def test_a_udp_server_that_vanishes_is_no_error_only_silence(us, net):
    server, addr = net.cpython_udp()
    connected, _ = net.udp(us, bind=False)
    connected.connect(addr)
    connected.settimeout(LONG_WAIT_S)
    assert connected.send(b"ping") == 4
    assert server.recv(16) == b"ping"
    server.close()
    # The host hears ICMP port unreachable and would report ECONNREFUSED on the next call;
    # lwIP never does: sends go on succeeding and a receive only times out.
    assert connected.send(b"ping") == 4
    connected.settimeout(0.05)
    exc = oserror_of(connected.recv, 16)
    assert_timed_out(exc)
    assert connected.send(b"ping") == 4
    unconnected, _ = net.udp(us, bind=False)
    assert unconnected.sendto(b"ping", addr) == 4
    unconnected.settimeout(0.05)
    assert_timed_out(oserror_of(unconnected.recvfrom, 16))
