# test_errors.py: every usocket error path, errno values, printing, constants and profiles.
"""Error paths of the emulated usocket module, as the Pycom firmware has them.

Errno errors are ``OSError(n)`` that print with the device's symbolic name
(``[Errno 9] EBADF``) or as a bare number when the device's uerrno module
has no name for it (``23``); timeouts are ``TimeoutError('timed out')``.
Assertions are on ``args[0]`` (the errno) and the exception type; text is
only checked where the printed form is itself the behaviour under test.
"""

from __future__ import annotations

import gc
import traceback

import pytest

import support
from support import (
    EADDRINUSE,
    EAGAIN,
    EAI_FAIL,
    EAI_SERVICE,
    EBADF,
    ECONNRESET,
    EINPROGRESS,
    EISCONN,
    ENFILE,
    ENOPROTOOPT,
    ENOTCONN,
    LONG_WAIT_S,
    LOOPBACK,
    LWIP_MAX_SOCKETS,
    assert_device_oserror,
    assert_timed_out,
    new_socket,
)

#: A SOL_SOCKET option number neither lwIP nor Linux knows.
UNKNOWN_SOCKOPT = 0x7777

#: A host name that never resolves (RFC 6761 reserves .invalid).
UNRESOLVABLE = "nonexistent.invalid"


def _raised(fn, *args) -> BaseException:
    with pytest.raises(BaseException) as info:
        fn(*args)
    return info.value


# ==========================================================================
# Triggers: one per errno the tests print
# ==========================================================================


def _eagain(us, net, strict_us):
    s, _ = net.udp(us)
    s.setblocking(False)
    return _raised(s.recvfrom, 64)


def _ebadf(us, net, strict_us):
    s = net.tcp(us)
    s.close()
    return _raised(s.recv, 64)


def _econnreset(us, net, strict_us):
    s = net.tcp(us)
    return _raised(s.connect, net.free_addr())


def _enotconn(us, net, strict_us):
    s = net.tcp(us)
    return _raised(s.send, b"x")


def _eaddrinuse(us, net, strict_us):
    _lsock, addr = net.listener()
    s = net.tcp(us)
    return _raised(s.bind, addr)


def _einprogress(us, net, strict_us):
    _lsock, addr = net.listener()
    s = net.tcp(us)
    s.setblocking(False)
    return _raised(s.connect, addr)


def _eai_fail(us, net, strict_us):
    return _raised(us.getaddrinfo, UNRESOLVABLE, 80)


def _eai_service(us, net, strict_us):
    return _raised(us.getaddrinfo, LOOPBACK, 70000)


def _enfile(us, net, strict_us):
    for _ in range(LWIP_MAX_SOCKETS):
        net.track(new_socket(strict_us))
    return _raised(strict_us.socket)


def _enoprotoopt(us, net, strict_us):
    s = net.tcp(us)
    return _raised(s.setsockopt, us.SOL_SOCKET, UNKNOWN_SOCKOPT, 1)


def _eisconn(us, net, strict_us):
    client, _peer = net.connected(us)
    _lsock, addr = net.listener()
    return _raised(client.connect, addr)


NAMED = [
    (_eagain, EAGAIN, "EAGAIN"),
    (_ebadf, EBADF, "EBADF"),
    (_econnreset, ECONNRESET, "ECONNRESET"),
    (_enotconn, ENOTCONN, "ENOTCONN"),
    (_eaddrinuse, EADDRINUSE, "EADDRINUSE"),
    (_einprogress, EINPROGRESS, "EINPROGRESS"),
    (_eai_fail, EAI_FAIL, "EAI_FAIL"),
    (_eai_service, EAI_SERVICE, "EAI_SERVICE"),
]

UNNAMED = [
    (_enfile, ENFILE),
    (_enoprotoopt, ENOPROTOOPT),
    (_eisconn, EISCONN),
]


@pytest.mark.parametrize(("trigger", "number", "name"), NAMED, ids=[n for _, _, n in NAMED])
def test_named_errno_prints_with_its_symbolic_name(us, net, strict_us, trigger, number, name):
    exc = trigger(us, net, strict_us)

    assert_device_oserror(exc, number)
    assert str(exc) == f"[Errno {number}] {name}"
    assert traceback.format_exception_only(type(exc), exc) == [
        f"OSError: [Errno {number}] {name}\n"
    ]


@pytest.mark.parametrize(
    ("trigger", "number"), UNNAMED, ids=["ENFILE", "ENOPROTOOPT", "EISCONN"]
)
def test_unnamed_errno_prints_as_a_bare_number(us, net, strict_us, trigger, number):
    exc = trigger(us, net, strict_us)

    assert_device_oserror(exc, number)
    assert str(exc) == str(number)
    assert traceback.format_exception_only(type(exc), exc) == [f"OSError: {number}\n"]


def test_ebadf_traceback_line(us, net):
    s = net.tcp(us)
    s.close()
    with pytest.raises(OSError) as info:
        s.recv(1)
    assert traceback.format_exception_only(type(info.value), info.value) == [
        "OSError: [Errno 9] EBADF\n"
    ]


def test_errno_errors_are_not_caught_as_timeouts(us, net):
    listener, _ = net.mod_listener(us)
    listener.settimeout(support.SHORT_TIMEOUT_S)
    caught = None
    try:
        listener.accept()
    except us.timeout:
        caught = "timeout"
    except us.error as exc:
        caught = exc
    assert caught != "timeout"
    assert_device_oserror(caught, EAGAIN)


def test_timeouts_are_the_builtin_timeouterror(us, net):
    client, _peer = net.connected(us)
    client.settimeout(support.SHORT_TIMEOUT_S)
    with pytest.raises(us.timeout) as info:
        client.recv(1)
    assert_timed_out(info.value)
    assert isinstance(info.value, us.error)
    assert traceback.format_exception_only(type(info.value), info.value) == [
        "TimeoutError: timed out\n"
    ]


# ==========================================================================
# Closed sockets
# ==========================================================================


def test_close_is_idempotent_and_fileno_becomes_minus_one(us, net):
    s = net.tcp(us)
    assert s.fileno() >= 0
    assert s.close() is None
    assert s.close() is None
    assert s.fileno() == -1


CLOSED_OPS = {
    "bind": lambda s, us, addr: s.bind(addr),
    "listen": lambda s, us, addr: s.listen(1),
    "accept": lambda s, us, addr: s.accept(),
    "connect": lambda s, us, addr: s.connect(addr),
    "send": lambda s, us, addr: s.send(b"x"),
    "recv": lambda s, us, addr: s.recv(1),
    "recvfrom": lambda s, us, addr: s.recvfrom(1),
    "setsockopt": lambda s, us, addr: s.setsockopt(us.SOL_SOCKET, us.SO_REUSEADDR, 1),
    "settimeout": lambda s, us, addr: s.settimeout(1),
    "read": lambda s, us, addr: s.read(1),
}


@pytest.mark.parametrize("op", list(CLOSED_OPS))
def test_operations_on_a_closed_socket_raise_ebadf(us, net, op):
    _lsock, addr = net.listener()
    s = net.tcp(us)
    s.close()

    with pytest.raises(OSError) as info:
        CLOSED_OPS[op](s, us, addr)

    assert_device_oserror(info.value, EBADF)


def test_closed_connected_socket_raises_ebadf_on_send(us, net):
    client, _peer = net.connected(us)
    client.close()
    with pytest.raises(OSError) as info:
        client.send(b"x")
    assert_device_oserror(info.value, EBADF)


def test_sendto_empty_on_a_closed_socket_returns_zero(us, net):
    s, _ = net.udp(us, bind=False)
    _peer, peer_addr = net.cpython_udp()
    s.close()
    assert s.sendto(b"", peer_addr) == 0


# ==========================================================================
# send / sendto edge cases
# ==========================================================================


def test_send_empty_on_tcp_raises_oserror_with_an_errno(us, net):
    client, _peer = net.connected(us)
    with pytest.raises(OSError) as info:
        client.send(b"")
    exc = info.value
    assert type(exc).__name__ == "OSError"
    assert len(exc.args) == 1
    assert isinstance(exc.args[0], int)
    assert not isinstance(exc, TimeoutError)


def test_sendto_empty_returns_zero_and_sends_nothing(us, net):
    s, _ = net.udp(us, bind=False)
    peer, peer_addr = net.cpython_udp()

    assert s.sendto(b"", peer_addr) == 0
    assert s.sendto(b"marker", peer_addr) == 6

    # Had the empty datagram been sent, it would arrive first.
    assert peer.recvfrom(64)[0] == b"marker"


def test_send_on_an_unconnected_tcp_socket_raises_enotconn(us, net):
    s = net.tcp(us)
    with pytest.raises(OSError) as info:
        s.send(b"x")
    assert_device_oserror(info.value, ENOTCONN)


def test_recv_returns_at_most_2048_bytes_per_call(us, net):
    client, peer = net.connected(us)
    payload = bytes(range(256)) * 20  # 5120 bytes
    peer.sendall(b"!" + payload)
    assert client.recv(1) == b"!"

    sizes = []
    got = b""
    while len(got) < len(payload):
        chunk = client.recv(4096)
        assert chunk
        sizes.append(len(chunk))
        got += chunk

    assert got == payload
    assert max(sizes) == 2048
    assert sizes[0] == 2048


def test_recv_smaller_than_2048_returns_n(us, net):
    client, peer = net.connected(us)
    peer.sendall(b"!" + b"y" * 3000)
    assert client.recv(1) == b"!"
    assert client.recv(100) == b"y" * 100


def test_recvfrom_returns_at_most_2048_bytes(us, net):
    s, addr = net.udp(us)
    peer, peer_addr = net.cpython_udp()
    peer.sendto(b"z" * 3000, addr)

    data, src = s.recvfrom(4096)

    assert data == b"z" * 2048
    assert src == peer_addr


# ==========================================================================
# connect
# ==========================================================================


def test_connect_refused_raises_econnreset(us, net):
    s = net.tcp(us)
    with pytest.raises(OSError) as info:
        s.connect(net.free_addr())
    assert_device_oserror(info.value, ECONNRESET)


def test_connect_refused_with_a_timeout_raises_econnreset(us, net):
    s = net.tcp(us)
    s.settimeout(LONG_WAIT_S)
    with pytest.raises(OSError) as info:
        s.connect(net.free_addr())
    assert_device_oserror(info.value, ECONNRESET)


def test_connect_refused_with_a_timeout_closes_the_socket(us, net):
    s = net.tcp(us)
    s.settimeout(LONG_WAIT_S)
    with pytest.raises(OSError):
        s.connect(net.free_addr())
    assert s.fileno() == -1


def test_connect_timeout_closes_the_socket_and_raises_timeouterror(us, net):
    _lsock, addr = net.full_backlog_listener()
    s = net.tcp(us)
    s.settimeout(0.2)

    with pytest.raises(us.timeout) as info:
        s.connect(addr)

    assert_timed_out(info.value)
    assert s.fileno() == -1
    with pytest.raises(OSError) as info:
        s.send(b"x")
    assert_device_oserror(info.value, EBADF)


def test_non_blocking_connect_raises_einprogress(us, net):
    _lsock, addr = net.listener()
    s = net.tcp(us)
    s.setblocking(False)
    with pytest.raises(OSError) as info:
        s.connect(addr)
    assert_device_oserror(info.value, EINPROGRESS)


def test_connect_twice_raises_eisconn(us, net):
    client, _peer = net.connected(us)
    _lsock, addr = net.listener()
    with pytest.raises(OSError) as info:
        client.connect(addr)
    assert_device_oserror(info.value, EISCONN)


# ==========================================================================
# bind / setsockopt
# ==========================================================================


def test_bind_to_a_port_with_a_listener_raises_eaddrinuse(us, net):
    _lsock, addr = net.listener()
    s = net.tcp(us)
    with pytest.raises(OSError) as info:
        s.bind(addr)
    assert_device_oserror(info.value, EADDRINUSE)


def test_bind_to_a_port_with_an_emulated_listener_raises_eaddrinuse(us, net):
    _listener, addr = net.mod_listener(us)
    s = net.tcp(us)
    with pytest.raises(OSError) as info:
        s.bind(addr)
    assert_device_oserror(info.value, EADDRINUSE)


def test_setsockopt_unknown_option_raises_enoprotoopt(us, net):
    s = net.tcp(us)
    with pytest.raises(OSError) as info:
        s.setsockopt(us.SOL_SOCKET, UNKNOWN_SOCKOPT, 1)
    assert_device_oserror(info.value, ENOPROTOOPT)


# ==========================================================================
# Addresses
# ==========================================================================

BAD_ADDRESSES = [
    pytest.param(("localhost", 80), (ValueError,), id="hostname-localhost"),
    pytest.param(("example.com", 80), (ValueError,), id="hostname-example.com"),
    pytest.param("127.0.0.1", (TypeError,), id="str-not-a-tuple"),
    pytest.param(80, (TypeError,), id="int-not-a-tuple"),
    pytest.param(None, (TypeError,), id="none-not-a-tuple"),
    pytest.param(("127.0.0.1",), (ValueError, TypeError), id="too-short"),
    pytest.param(("127.0.0.1", 80, 0), (ValueError, TypeError), id="too-long"),
]


@pytest.mark.parametrize(("addr", "errors"), BAD_ADDRESSES)
def test_connect_rejects_bad_addresses(us, net, addr, errors):
    s = net.tcp(us)
    with pytest.raises(errors):
        s.connect(addr)


@pytest.mark.parametrize(("addr", "errors"), BAD_ADDRESSES)
def test_bind_rejects_bad_addresses(us, net, addr, errors):
    s = net.tcp(us)
    with pytest.raises(errors):
        s.bind(addr)


@pytest.mark.parametrize(("addr", "errors"), BAD_ADDRESSES)
def test_sendto_rejects_bad_addresses(us, net, addr, errors):
    s, _ = net.udp(us, bind=False)
    with pytest.raises(errors):
        s.sendto(b"x", addr)


def test_connect_accepts_a_list_address(us, net):
    lsock, (host, port) = net.listener()
    s = net.tcp(us)
    s.connect([host, port])
    peer, _ = net.accept(lsock)
    assert s.send(b"ok") == 2
    assert peer.recv(8) == b"ok"


def test_empty_host_binds_to_all_interfaces(us, net):
    port = support.free_port()
    listener = net.tcp(us)
    listener.bind(("", port))
    listener.listen(1)

    client = net.cpython_client((LOOPBACK, port))
    conn, peer_addr = listener.accept()
    net.track(conn)

    assert tuple(peer_addr) == client.getsockname()


# ==========================================================================
# makefile
# ==========================================================================


@pytest.mark.parametrize("args", [(), ("rb",), ("wb",), ("rb", 0)])
def test_makefile_returns_the_socket_itself(us, net, args):
    s = net.tcp(us)
    assert s.makefile(*args) is s


@pytest.mark.parametrize("mode", ["r", "w", "rw", "b"])
def test_makefile_text_or_unknown_mode_raises_valueerror(us, net, mode):
    s = net.tcp(us)
    with pytest.raises(ValueError):
        s.makefile(mode)


def test_closing_the_file_closes_the_socket(us, net):
    client, peer = net.connected(us)
    f = client.makefile("rb")
    f.close()
    assert client.fileno() == -1
    assert peer.recv(8) == b""


# ==========================================================================
# getaddrinfo / dnsserver
# ==========================================================================


def test_getaddrinfo_numeric_host_exact_result(us):
    assert us.getaddrinfo("127.0.0.1", 80) == [(2, 1, 0, "", ("127.0.0.1", 80))]


def test_getaddrinfo_ignores_extra_arguments(us):
    assert us.getaddrinfo("127.0.0.1", 8080, 0, 2, 17, 0) == [
        (2, 1, 0, "", ("127.0.0.1", 8080))
    ]


def test_getaddrinfo_str_port_raises_typeerror(us):
    with pytest.raises(TypeError):
        us.getaddrinfo("127.0.0.1", "80")


def test_getaddrinfo_resolves_localhost_with_the_host_resolver(us):
    result = us.getaddrinfo("localhost", 80)
    assert len(result) == 1
    family, socktype, proto, canonname, (host, port) = result[0]
    assert (family, socktype, proto, canonname, port) == (2, 1, 0, "", 80)
    assert host.startswith("127.")


def test_getaddrinfo_unresolvable_name_raises_eai_fail(us):
    with pytest.raises(OSError) as info:
        us.getaddrinfo(UNRESOLVABLE, 80)
    assert_device_oserror(info.value, EAI_FAIL)


def test_getaddrinfo_port_out_of_range_raises_eai_service(us):
    with pytest.raises(OSError) as info:
        us.getaddrinfo("127.0.0.1", 70000)
    assert_device_oserror(info.value, EAI_SERVICE)


def _is_dotted_quad(text) -> bool:
    parts = text.split(".")
    return isinstance(text, str) and len(parts) == 4 and all(p.isdigit() for p in parts)


def test_dnsserver_without_arguments_returns_two_addresses(us):
    servers = us.dnsserver()
    assert isinstance(servers, tuple)
    assert len(servers) == 2
    assert all(_is_dotted_quad(s) for s in servers)


def test_dnsserver_index_returns_index_and_address(us):
    index, address = us.dnsserver(0)
    assert index == 0
    assert _is_dotted_quad(address)


def test_dnsserver_set_then_get(fresh_us):
    assert fresh_us.dnsserver(1, "127.0.0.2") is None
    assert fresh_us.dnsserver(1) == (1, "127.0.0.2")
    assert fresh_us.dnsserver()[1] == "127.0.0.2"


def test_dnsserver_set_does_not_leak_into_other_modules(usocket_emu, fresh_us):
    other = usocket_emu.make_usocket()
    before = other.dnsserver(1)
    fresh_us.dnsserver(1, "127.0.0.3")
    assert other.dnsserver(1) == before


@pytest.mark.parametrize("index", [2, 3, 100])
def test_dnsserver_index_out_of_range_raises_valueerror(us, index):
    with pytest.raises(ValueError):
        us.dnsserver(index)


@pytest.mark.parametrize("index", ["a", 1.5, None])
def test_dnsserver_non_int_index_raises_valueerror(us, index):
    with pytest.raises(ValueError):
        us.dnsserver(index)


# ==========================================================================
# Constructor
# ==========================================================================


def test_constructor_defaults_make_a_tcp_socket(us, net):
    lsock, addr = net.listener()
    s = net.track(us.socket())
    s.connect(addr)
    peer, _ = net.accept(lsock)
    assert s.send(b"tcp") == 3
    assert peer.recv(8) == b"tcp"


def test_constructor_takes_positional_arguments(us, net):
    s = net.track(us.socket(us.AF_INET, us.SOCK_STREAM, us.IPPROTO_TCP))
    assert s.fileno() >= 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"family": 2},
        {"type": 1},
        {"proto": 6},
        {"fileno": None},
    ],
    ids=["family", "type", "proto", "fileno"],
)
def test_constructor_rejects_keyword_arguments(us, kwargs):
    with pytest.raises(TypeError):
        us.socket(**kwargs)


def test_constructor_rejects_keywords_after_positionals(us):
    with pytest.raises(TypeError):
        us.socket(2, type=1)


def test_dgram_socket_keeps_proto_6_but_works_as_udp(us, net):
    # socket(AF_INET, SOCK_DGRAM) keeps the default proto IPPROTO_TCP on the
    # device; lwIP ignores it and makes a UDP socket.
    s = net.track(us.socket(us.AF_INET, us.SOCK_DGRAM))
    addr = net.free_addr()
    s.bind(addr)
    peer, peer_addr = net.cpython_udp()

    assert s.sendto(b"udp", peer_addr) == 3
    data, src = peer.recvfrom(8)
    assert (data, src) == (b"udp", addr)

    peer.sendto(b"back", addr)
    assert s.recvfrom(8) == (b"back", peer_addr)


def _card_error(fn, *args) -> OSError:
    with pytest.raises(OSError) as info:
        fn(*args)
    exc = info.value
    assert type(exc).__name__ == "OSError"
    assert not isinstance(exc, TimeoutError)
    return exc


@pytest.mark.parametrize("family_name", ["AF_LORA", "AF_SIGFOX"])
def test_radio_socket_without_a_radio_object_has_no_network_card(us, family_name):
    exc = _card_error(us.socket, getattr(us, family_name))
    assert exc.args[0] == "Network card not available"


@pytest.mark.parametrize("family_name", ["AF_LORA", "AF_SIGFOX"])
def test_radio_socket_with_sock_raw_has_no_network_card(us, family_name):
    exc = _card_error(us.socket, getattr(us, family_name), us.SOCK_RAW)
    assert exc.args[0] == "Network card not available"


@pytest.mark.parametrize("type_name", ["SOCK_STREAM", "SOCK_DGRAM"])
def test_radio_socket_with_a_non_raw_type_is_incorrect(us, type_name):
    exc = _card_error(us.socket, us.AF_LORA, getattr(us, type_name))
    assert exc.args[0] == "incorrect socket type"


@pytest.mark.parametrize("family", [10, 1, 0])
def test_unknown_family_has_no_network_card(us, family):
    exc = _card_error(us.socket, family)
    assert exc.args[0] == "Network card not available"


@pytest.mark.parametrize(
    ("board", "family_name"),
    [("LoPy", "AF_LORA"), ("SiPy", "AF_SIGFOX"), ("FiPy", "AF_LORA"), ("FiPy", "AF_SIGFOX")],
)
def test_radio_sockets_on_other_boards_have_no_network_card(usocket_emu, board, family_name):
    mod = usocket_emu.make_usocket(board=board)
    exc = _card_error(mod.socket, getattr(mod, family_name))
    assert exc.args[0] == "Network card not available"


# ==========================================================================
# Constants per board (spec §2.1)
# ==========================================================================

COMMON_CONSTANTS = {
    "AF_INET": 2,
    "SOCK_STREAM": 1,
    "SOCK_DGRAM": 2,
    "IPPROTO_IP": 0,
    "IPPROTO_ICMP": 1,
    "IPPROTO_TCP": 6,
    "IPPROTO_UDP": 17,
    "IPPROTO_IPV6": 41,
    "IPPROTO_RAW": 255,
    "IP_ADD_MEMBERSHIP": 3,
    "SOL_SOCKET": 0xFFF,
    "SO_REUSEADDR": 4,
}
RAW_CONSTANTS = {"SOCK_RAW": 3}
LORA_CONSTANTS = {
    "AF_LORA": 0xA0,
    "SOL_LORA": 0xFFF05,
    "SO_CONFIRMED": 0xF0002,
    "SO_DR": 0xF0003,
}
SIGFOX_CONSTANTS = {
    "AF_SIGFOX": 0xA1,
    "SOL_SIGFOX": 0xFFF06,
    "SO_RX": 0xF0004,
    "SO_TX_REPEAT": 0xF0005,
    "SO_OOB": 0xF0006,
    "SO_BIT": 0xF0007,
}

#: board -> (has LoRa, has Sigfox, has SOCK_RAW), spec §0 and §2.1.
BOARD_FEATURES = {
    "LoPy": (True, False, True),
    "LoPy4": (True, True, True),
    "FiPy": (True, True, True),
    "SiPy": (False, True, True),
    "WiPy": (False, False, False),
}


def _expected_constants(board):
    has_lora, has_sigfox, has_raw = BOARD_FEATURES[board]
    present = dict(COMMON_CONSTANTS)
    absent = {}
    for flag, group in (
        (has_raw, RAW_CONSTANTS),
        (has_lora, LORA_CONSTANTS),
        (has_sigfox, SIGFOX_CONSTANTS),
    ):
        (present if flag else absent).update(group)
    return present, absent


@pytest.mark.parametrize("board", support.BOARDS)
def test_board_constants_have_the_device_values(usocket_emu, board):
    mod = usocket_emu.make_usocket(board=board)
    present, _absent = _expected_constants(board)
    assert {name: getattr(mod, name) for name in present} == present
    for name in present:
        assert type(getattr(mod, name)) is int, name


@pytest.mark.parametrize("board", support.BOARDS)
def test_board_lacks_the_constants_of_missing_radios(usocket_emu, board):
    mod = usocket_emu.make_usocket(board=board)
    _present, absent = _expected_constants(board)
    for name in absent:
        with pytest.raises(AttributeError):
            getattr(mod, name)


def test_default_module_is_a_lopy4(us):
    present, _ = _expected_constants("LoPy4")
    assert {name: getattr(us, name) for name in present} == present


@pytest.mark.parametrize("board", support.BOARDS)
def test_strict_profile_has_the_same_constants(make_strict, board):
    mod = make_strict(board)
    present, absent = _expected_constants(board)
    assert {name: getattr(mod, name) for name in present} == present
    for name in absent:
        with pytest.raises(AttributeError):
            getattr(mod, name)


# ==========================================================================
# str (and other buffers) accepted wherever bytes is
# ==========================================================================


@pytest.mark.parametrize(
    ("data", "wire"),
    [
        ("abc", b"abc"),
        ("héllo", "héllo".encode()),
        (bytearray(b"abc"), b"abc"),
        (memoryview(b"abc"), b"abc"),
    ],
    ids=["str", "utf8-str", "bytearray", "memoryview"],
)
@pytest.mark.parametrize("method", ["send", "sendall", "write"])
def test_tcp_send_methods_accept_str_and_buffers(us, net, method, data, wire):
    client, peer = net.connected(us)
    assert getattr(client, method)(data) == len(wire)
    assert support.drain(peer, len(wire)) == len(wire)


def test_str_is_sent_as_utf8(us, net):
    client, peer = net.connected(us)
    client.send("Ping é")
    assert peer.recv(64) == "Ping é".encode()


@pytest.mark.parametrize(
    ("data", "wire"),
    [("abc", b"abc"), ("héllo", "héllo".encode()), (bytearray(b"xy"), b"xy")],
    ids=["str", "utf8-str", "bytearray"],
)
def test_sendto_accepts_str_and_buffers(us, net, data, wire):
    s, _ = net.udp(us, bind=False)
    peer, peer_addr = net.cpython_udp()
    assert s.sendto(data, peer_addr) == len(wire)
    assert peer.recvfrom(64)[0] == wire


# ==========================================================================
# Strict profile: 10 lwIP sockets (ENFILE)
# ==========================================================================


def test_strict_eleventh_socket_raises_enfile(strict_us, net):
    for _ in range(LWIP_MAX_SOCKETS):
        net.track(new_socket(strict_us))
    with pytest.raises(OSError) as info:
        strict_us.socket()
    assert_device_oserror(info.value, ENFILE)


def test_strict_udp_sockets_count_too(strict_us, net):
    for _ in range(LWIP_MAX_SOCKETS // 2):
        net.track(new_socket(strict_us, strict_us.AF_INET, strict_us.SOCK_STREAM))
        net.track(new_socket(strict_us, strict_us.AF_INET, strict_us.SOCK_DGRAM))
    with pytest.raises(OSError) as info:
        strict_us.socket(strict_us.AF_INET, strict_us.SOCK_DGRAM)
    assert_device_oserror(info.value, ENFILE)


def test_strict_closing_a_socket_frees_its_slot(strict_us, net):
    sockets = [net.track(new_socket(strict_us)) for _ in range(LWIP_MAX_SOCKETS)]
    sockets[3].close()
    net.track(new_socket(strict_us))
    with pytest.raises(OSError) as info:
        strict_us.socket()
    assert_device_oserror(info.value, ENFILE)


def test_strict_closing_twice_frees_only_one_slot(strict_us, net):
    sockets = [net.track(new_socket(strict_us)) for _ in range(LWIP_MAX_SOCKETS)]
    sockets[0].close()
    sockets[0].close()
    net.track(new_socket(strict_us))
    with pytest.raises(OSError) as info:
        strict_us.socket()
    assert_device_oserror(info.value, ENFILE)


def test_strict_garbage_collected_socket_frees_its_slot(strict_us, net):
    for _ in range(LWIP_MAX_SOCKETS - 1):
        net.track(new_socket(strict_us))
    dropped = new_socket(strict_us)  # the tenth, not tracked
    with pytest.raises(OSError):
        strict_us.socket()

    del dropped
    gc.collect()

    net.track(new_socket(strict_us))


def test_strict_accepted_sockets_count(strict_us, net):
    listener, addr = net.mod_listener(strict_us)
    for _ in range(LWIP_MAX_SOCKETS - 2):
        net.track(new_socket(strict_us))
    net.cpython_client(addr)
    conn, _ = listener.accept()  # the tenth lwIP socket
    net.track(conn)
    with pytest.raises(OSError) as info:
        strict_us.socket()
    assert_device_oserror(info.value, ENFILE)


def test_strict_modules_have_independent_limits(make_strict, us, net):
    full = make_strict()
    other = make_strict()
    for _ in range(LWIP_MAX_SOCKETS):
        net.track(new_socket(full))
    with pytest.raises(OSError):
        full.socket()

    assert net.track(new_socket(other)).fileno() >= 0
    assert net.track(us.socket()).fileno() >= 0


# ==========================================================================
# Profiles: `with` and readall()
# ==========================================================================


def test_default_with_statement_closes_the_socket(us, net):
    with net.track(us.socket()) as s:
        assert s.fileno() >= 0
        inside = s
    assert inside.fileno() == -1


def test_default_with_statement_closes_on_exception(us, net):
    s = net.track(us.socket())
    with pytest.raises(RuntimeError):
        with s:
            raise RuntimeError("boom")
    assert s.fileno() == -1


def test_default_enter_returns_the_socket(us, net):
    s = net.track(us.socket())
    with s as entered:
        assert entered is s


def test_default_readall_reads_until_eof(us, net):
    client, peer = net.connected(us)
    peer.sendall(b"everything ")
    peer.sendall(b"until eof")
    peer.close()
    assert client.readall() == b"everything until eof"


def test_strict_with_statement_raises_attributeerror(strict_us, net):
    s = net.track(new_socket(strict_us))
    with pytest.raises(AttributeError):
        with s:
            pass  # pragma: no cover - never reached
    # The failed `with` leaves the socket open, as on the device.
    assert s.fileno() >= 0


def test_strict_readall_raises_attributeerror(strict_us, net):
    client, _peer = net.connected(strict_us)
    with pytest.raises(AttributeError):
        client.readall()


def test_strict_read_without_n_reads_until_eof(strict_us, net):
    client, peer = net.connected(strict_us)
    peer.sendall(b"all of it")
    peer.close()
    assert client.read() == b"all of it"
