"""The device's ``usocket`` module, one instance per device stack.

A module instance is built around one ``_core.Stack`` (a device's network stack) and its
board: the constants it exports, its socket class and its profile (default, or the strict
firmware 1.20.2 profile with the firmware's gaps).
"""

import types

from . import _core

__all__ = ["make_usocket"]


_DEFAULT = object()  # socket()'s type when none is given (None itself is a TypeError)


class _Absent:
    """A member the firmware lacks: looking it up raises AttributeError as on the device."""

    def __init__(self, name):
        self._name = name

    def __get__(self, obj, objtype=None):
        raise AttributeError(f"'socket' object has no attribute '{self._name}'")


#: The core's own methods, which no device socket has (the emulator calls them on
#: _core.Socket; an API fuzz finding: scripts could call open() and adopt()).
_CORE_ONLY = ("open", "adopt", "ready_events", "_pybind11_conduit_v1_")


def _without(cls, names):
    """Makes `names` absent from the socket class: AttributeError, and not in dir(), as every
    member the class body already made an _Absent."""
    for name in names:
        setattr(cls, name, _Absent(name))
    hidden = frozenset(n for n, v in vars(cls).items() if isinstance(v, _Absent))

    def __dir__(self):  # noqa: N807 - the hook's own name
        return [n for n in object.__dir__(self) if n not in hidden]

    cls.__dir__ = __dir__


#: What a raw socket (AF_LORA, AF_SIGFOX) lacks: modusocket.c gives raw sockets their own
#: type with close, bind, send, recv, sendto, recvfrom, setsockopt, settimeout and
#: setblocking only (pycom-api.md 2.3); the rest raises AttributeError.
_RAW_SOCKET_LACKS = ("listen", "accept", "connect", "sendall", "makefile", "fileno", "do_handshake",
                     "read", "readinto", "readline", "write", "readall")


#: What a SiPy's raw socket lacks besides: its only raw family is AF_SIGFOX, whose socket
#: type there has no bind, sendto or recvfrom (pycom-api.md 5.3). On the LoPy4 and FiPy the
#: type, shared with AF_LORA, has them, and a Sigfox socket answers them EOPNOTSUPP.
_SIGFOX_ONLY_SOCKET_LACKS = ("bind", "sendto", "recvfrom")


def _raw_socket_class(stack, strict, lacks=_RAW_SOCKET_LACKS):
    core_new = _core.Socket.__new__
    core_init = _core.Socket.__init__
    core_open = _core.Socket.open

    class socket(_core.Socket):
        """A raw socket (AF_LORA, AF_SIGFOX): send, recv, recvfrom, bind(port), setsockopt."""

        def __new__(cls, *_args):
            self = core_new(cls)
            core_init(self, stack)
            return self

        def __init__(self, family, type, proto, /):  # noqa: A002
            core_open(self, stack, family, type, proto)

        if strict:
            __enter__ = _Absent("__exit__")
            __exit__ = _Absent("__exit__")
        else:

            def __enter__(self):
                return self

            def __exit__(self, *_exc):
                self.close()

    _without(socket, lacks + _CORE_ONLY)
    socket.__module__ = "usocket"
    return socket


def _socket_class(stack, constants, strict):
    af_inet = constants["AF_INET"]
    raw_families = {constants[name] for name in ("AF_LORA", "AF_SIGFOX") if name in constants}
    lacks = _RAW_SOCKET_LACKS
    if "AF_LORA" not in constants:
        lacks += _SIGFOX_ONLY_SOCKET_LACKS
    raw_socket = _raw_socket_class(stack, strict, lacks)
    ipproto_tcp = constants["IPPROTO_TCP"]
    default_type = _core.default_socket_type
    core_new = _core.Socket.__new__
    core_init = _core.Socket.__init__
    core_open = _core.Socket.open
    core_adopt = _core.Socket.adopt
    core_accept = _core.Socket.accept

    class socket(_core.Socket):
        """usocket.socket(family=AF_INET, type=SOCK_STREAM, proto=IPPROTO_TCP, fileno=None)"""

        def __new__(cls, *args):
            if args and args[0] in raw_families and cls is socket:
                # The firmware's raw socket type; not an instance of this class, so the
                # constructor finishes it here (Python then skips __init__).
                family, type_ = args[0], args[1] if len(args) > 1 else default_type(args[0])
                raw = raw_socket.__new__(raw_socket)
                raw.__init__(family, type_, args[2] if len(args) > 2 else ipproto_tcp)
                return raw
            # Every instance starts as a valid closed socket, however it was made, so one
            # whose opening failed (or that skipped __init__) only ever raises EBADF.
            self = core_new(cls)
            core_init(self, stack)
            return self

        def __init__(self, family=af_inet, type=_DEFAULT, proto=ipproto_tcp, fileno=None, /):  # noqa: A002
            core_open(self, stack, family, default_type(family) if type is _DEFAULT else type, proto)

        def accept(self):
            """accept() -> (socket, (ip, port)); the new socket blocks."""
            raw, address = core_accept(self)
            client = socket.__new__(socket)
            core_adopt(client, raw)
            return client, address

        def makefile(self, mode="rb", *_ignored):
            """makefile(mode='rb') -> the socket itself, as on the device."""
            if len(_ignored) > 4:
                raise TypeError("function expected at most 6 arguments")
            if not isinstance(mode, str):
                raise TypeError(f"can't convert '{mode.__class__.__name__}' object to str implicitly")
            if mode not in ("rb", "wb"):
                raise ValueError("invalid argument(s) value")
            return self

        if strict:
            # MicroPython looks up __exit__ first, so `with` fails naming it.
            __enter__ = _Absent("__exit__")
            __exit__ = _Absent("__exit__")
            readall = _Absent("readall")
        else:

            def readall(self):
                """readall() -> bytes until the peer closes (usocket documentation)."""
                return self.read()

            def __enter__(self):
                return self

            def __exit__(self, *_exc):
                self.close()

    _without(socket, _CORE_ONLY)
    socket.__module__ = "usocket"
    return socket


def make_usocket(board="LoPy4", strict_firmware=False, *, stack=None):
    """Build a ``usocket`` module for one device.

    ``board`` picks the constants (``AF_LORA`` only on LoRa boards, ...);
    ``strict_firmware`` reproduces firmware 1.20.2 exactly (no ``with``, no ``readall``,
    at most 10 sockets). Pass ``stack`` to share an existing device stack.
    """
    if stack is None:
        stack = _core.Stack(board, strict_firmware)
    constants = stack.constants()
    module = types.ModuleType("usocket", "Pycom usocket: BSD-style sockets of one emulated device.")

    def getaddrinfo(host, port, *_ignored):
        """getaddrinfo(host, port) -> [(AF_INET, SOCK_STREAM, 0, '', (ip, port))]"""
        if len(_ignored) > 4:
            raise TypeError("function expected at most 6 arguments, got %d" % (2 + len(_ignored)))
        return stack.getaddrinfo(host, port)

    def dnsserver(*args):
        """dnsserver() -> (ip, ip); dnsserver(i) -> (i, ip); dnsserver(i, ip) sets it."""
        if len(args) == 0:
            return stack.dns_servers()
        if len(args) == 1:
            return stack.dns_server(args[0])
        if len(args) == 2:
            stack.set_dns_server(args[0], args[1])
            return None
        raise TypeError("function expected at most 2 arguments, got %d" % len(args))

    getaddrinfo.__module__ = dnsserver.__module__ = "usocket"
    module.socket = _socket_class(stack, constants, stack.strict_firmware)
    module.getaddrinfo = getaddrinfo
    module.dnsserver = dnsserver
    module.error = OSError
    module.timeout = TimeoutError
    for name, value in constants.items():
        setattr(module, name, value)
    module._stack = stack
    return module
