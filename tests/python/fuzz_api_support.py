"""API fuzzing (issue 7): random call sequences against the device API, run inside devices.

A *program* is a board, a firmware profile, a set-up (which radios to initialise first) and
a sequence of *calls*. Each call is ``(target, method, args, kwargs)``:

* targets: the device's ``usocket`` module, ``network`` (its ``LoRa``/``Sigfox``
  constructors), two INET sockets made at boot (``tcp``, ``udp``), ``made`` (the last socket
  a call returned: ``usocket.socket(...)``, ``accept()``), the ``LoRa`` object, an AF_LORA
  socket (``lsock``), the ``Sigfox`` object and an AF_SIGFOX socket (``fsock``);
* methods: the documented API (pycom-api.md 2-5) with curated, plausible arguments, plus
  every public name ``dir()`` shows on the objects inside a device (found by running one),
  plus names the firmware lacks (AttributeError expected); a few pseudo-methods of the
  interpreter: ``@reopen`` (close the target and make it again), ``@with`` (``with s:
  pass``) and ``@drop`` (forget the object so its finaliser runs);
* arguments: encoded values (see ``decode`` in the interpreter) drawn from a mix of
  plausible values and junk: ints (negative, 2**31, 2**64, ...), floats (nan, inf), None,
  bools, str, bytes (up to 1 MiB), bytearray, memoryview, tuples, lists, plain objects,
  the live targets themselves and callables.

The program runs as the script of one device in a fresh ``World``: ``INTERPRETER`` with
the program embedded as a literal. It executes every call in ``try/except Exception`` and
prints one line per call, ``@@ <i> ok`` or ``@@ <i> E <class> [errno=<n> | msg=<text> |
args=<repr>]``; then it closes every object, checks that a closed socket answers EBADF,
and prints ``@@ done``. :func:`check` asserts on the host side that

* nothing crashed: the device did not die (``exit_exception`` is None), the world ran and
  closed cleanly, no socket of the device's stack stayed open after the clean-up;
* every failure is one the device raises (pycom-api.md 1.1, 1.2, 1.4): ``TypeError``,
  ``ValueError``, ``AttributeError``, ``OverflowError`` (1.4: ``mp_obj_get_int`` on an int
  that does not fit a C int), ``TimeoutError('timed out')`` and ``OSError`` -- the
  device's own class with ``args == (n,)`` and ``n`` in the device's errno table, or one
  of the firmware's message strings. Host errno subclasses (``ConnectionRefusedError``,
  ``BlockingIOError``...), host errnos and anything else fail;
* nothing hung: in virtual time the world reached the end of the script before
  ``until_s`` (a pytest watchdog or the long run's faulthandler catches a wall-clock hang).
  A call still waiting at ``until_s`` is accepted only when the firmware documents that
  it may wait that long: ``LoRa.join()`` without a timeout or with one longer than the
  rest of the budget, ``ischannel_free()`` with a long time.

Blocking calls. Real TCP/UDP sockets have no peer in these worlds (except the ones a
program connects to itself) and their timeouts are wall-clock time in both modes, so the
interpreter caps the timeout of an INET socket at ``INET_CAP_S`` around every call that can
wait (connect, accept, recv..., send..., read..., write) and restores the program's own
setting afterwards. LoRa and Sigfox sockets wait in emulated time: a ``recv``/``recvfrom``
on a socket that would wait longer than ``RADIO_RX_CAP_S`` (blocking: for ever, as no
device sends to it) gets that cap the same way. In real time every wait is capped at
``INET_CAP_S``, radio sends are made non-blocking around the call, and the programs use
only short calls (``join`` with ``timeout <= 0``, ``ischannel_free`` of a few ms).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import socket as host_socket
import textwrap

from hypothesis import strategies as st

from usocket_emu import World

# --- what the device raises (pycom-api.md 1.1, 1.2, 1.4) --------------------------------

#: Firmware 1.20's errno numbers (pycom-api.md 1.1): the newlib numbers the drivers and
#: lwIP raise, and lwIP's getaddrinfo codes.
DEVICE_ERRNOS = frozenset({1, 2, 5, 9, 11, 12, 13, 17, 19, 21, 22, 23, 95, 104, 105, 109, 111, 112,
                           113, 115, 116, 118, 119, 120, 122, 127, 128, 200, 201, 202, 203, 204})

#: OSError messages of the firmware (pycom-api.md 1.2, 1.5, 2.5, 4.4, 5.1, 5.2).
DEVICE_OSERROR_MESSAGES = frozenset({
    "Network card not available", "incorrect socket type", "Connection failed",
    "the requested operation failed", "the requested operation is not possible",
    "resource not available", "configuration not possible for RCZ1",
})

#: The exception classes a device raises from these APIs. MemoryError: MicroPython's failed
#: allocation, e.g. the receive buffer of recv(-1) (vstr_init_len before the socket is asked).
ALLOWED_EXCEPTIONS = frozenset({"TypeError", "ValueError", "AttributeError", "OverflowError",
                                "TimeoutError", "OSError", "MemoryError"})

#: Calls that the firmware documents as possibly waiting longer than a run's budget.
MAY_OUTLAST_BUDGET = frozenset({("lora", "join"), ("lora", "ischannel_free")})

#: Caps of the interpreter on waiting calls (seconds).
INET_CAP_S = 0.05
RADIO_RX_CAP_S = 10.0

#: Emulated seconds a virtual-time program may take (Sigfox sends with a downlink request
#: take about 50 s each, confirmed LoRaWAN uplinks up to about 20 s).
VIRTUAL_UNTIL_S = 4 * 3600.0
#: Wall seconds a real-time program may take.
REAL_UNTIL_S = 3.0

LORA_BOARDS = ("LoPy", "LoPy4", "FiPy")
SIGFOX_BOARDS = ("SiPy", "LoPy4", "FiPy")
BOARDS = ("LoPy4", "LoPy", "SiPy", "FiPy")


def closed_tcp_port():
    """A loopback TCP port nothing listens on (bound, then released, by the host)."""
    with host_socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the interpreter that runs inside the device ----------------------------------------

INTERPRETER = r'''
import usocket, network, gc

CALLBACKS = []

def handler(arg):
    CALLBACKS.append(1)

def bad_handler(arg):
    raise ValueError('fuzz handler')

objs = {'usocket': usocket, 'network': network, 'tcp': None, 'udp': None, 'made': None,
        'lora': None, 'lsock': None, 'sigfox': None, 'fsock': None}
# the last successful settimeout/setblocking of each socket target: (method, value)
modes = {}
SOCKETS = ('tcp', 'udp', 'made', 'lsock', 'fsock')
INET = ('tcp', 'udp', 'made')
INET_WAITS = ('connect', 'accept', 'recv', 'recvfrom', 'read', 'readinto', 'readline', 'readall',
              'send', 'sendall', 'sendto', 'write', 'do_handshake', '@with')
RADIO_RX = ('recv', 'recvfrom')
RADIO_TX = ('send', 'sendall', 'sendto')
BLOCK = -1.0


def P(*a):
    print('@@', *a)


def decode(v):
    tag = v[0]
    if tag == 'v':
        return v[1]
    if tag == 'f':
        return float(v[1])
    if tag == 't':
        return tuple(decode(x) for x in v[1])
    if tag == 'l':
        return [decode(x) for x in v[1]]
    if tag == 'b':
        return bytes([v[2]]) * v[1]
    if tag == 'ba':
        return bytearray(v[1])
    if tag == 'mv':
        return memoryview(bytes(v[1]))
    if tag == 'obj':
        return object()
    if tag == 'ref':
        return objs.get(v[1])
    if tag == 'fn':
        return handler
    if tag == 'badfn':
        return bad_handler
    if tag == 'port':
        return CFG['port']
    if tag == 'c':
        return getattr(usocket, v[1], v[2])
    if tag == 'lc':
        cls = getattr(network, 'LoRa', None)
        return getattr(cls, v[1], v[2]) if cls is not None else v[2]
    if tag == 'sc':
        cls = getattr(network, 'Sigfox', None)
        return getattr(cls, v[1], v[2]) if cls is not None else v[2]
    raise RuntimeError('bad encoding %r' % (v,))


def effective_timeout(target):
    """What the target's last settimeout/setblocking set: BLOCK, or seconds; None: unsure."""
    m = modes.get(target)
    if m is None:
        return BLOCK                      # sockets start blocking
    method, value = m
    if method == 'setblocking':
        if value is True or value == 1:
            return BLOCK
        if value is False or value == 0:
            return 0.0
        return None
    if value is None:
        return BLOCK
    try:
        ms = 1000.0 * value
    except Exception:
        return None
    if ms != ms:
        return 0.0                        # NaN: non-blocking
    if ms > 2147483647.0:
        ms = 2147483647.0
    if ms < -2147483648.0:
        ms = -2147483648.0
    ms = int(ms)                          # truncates toward zero
    if ms < 0:
        return BLOCK
    return ms / 1000.0


def restore(target, o):
    m = modes.get(target)
    try:
        if m is None:
            o.settimeout(None)
        else:
            getattr(o, m[0])(m[1])
    except Exception:
        pass


def guard_for(target, method):
    """The timeout to set around this call, or None."""
    if target not in SOCKETS:
        return None
    if target in INET:
        if method not in INET_WAITS:
            return None
        cap = CFG['inet_cap']
    elif method in RADIO_RX:
        cap = CFG['radio_rx_cap']
    elif method in RADIO_TX and CFG['real']:
        cap = 0                           # real time: radio sends do not wait
    else:
        return None
    t = effective_timeout(target)
    if t is None or t == BLOCK or t > cap:
        return cap
    return None


def store_socket(r):
    if type(r).__name__ == 'socket':
        s = r
    elif type(r) is tuple and r and type(r[0]).__name__ == 'socket':
        s = r[0]
    else:
        return
    old = objs['made']
    if old is not None and old is not s and old is not objs['tcp'] and old is not objs['udp']:
        try:
            old.close()
        except Exception:
            pass
    objs['made'] = s
    modes.pop('made', None)


def describe(e):
    name = type(e).__name__
    if isinstance(e, OSError) and not isinstance(e, TimeoutError):
        a = e.args
        if len(a) == 1 and type(a[0]) is int:
            return '%s errno=%d' % (name, a[0])
        if len(a) == 1 and type(a[0]) is str:
            return '%s msg=%r' % (name, a[0])
        return '%s args=%r' % (name, a)
    if isinstance(e, TimeoutError):
        return '%s args=%r' % (name, e.args)
    return name


def make(target):
    if target == 'tcp':
        return usocket.socket()
    if target == 'udp':
        return usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    if target == 'lsock':
        return usocket.socket(usocket.AF_LORA, usocket.SOCK_RAW)
    if target == 'fsock':
        return usocket.socket(usocket.AF_SIGFOX, usocket.SOCK_RAW)
    if target == 'lora':
        return network.LoRa()
    if target == 'sigfox':
        return network.Sigfox()
    raise ValueError('no maker')


def pseudo(target, method, o):
    if method == '@reopen':
        if target in SOCKETS and o is not None:
            o.close()
        objs[target] = None
        modes.pop(target, None)
        objs[target] = make(target)
        return None
    if method == '@with':
        with o:
            pass
        return None
    if method == '@drop':
        objs[target] = None
        modes.pop(target, None)
        o = None
        gc.collect()
        return None
    raise RuntimeError('bad pseudo method ' + method)


def call(i, target, method, args, kwargs):
    o = objs.get(target)
    if o is None:
        P(i, 'skip')
        return
    args = [decode(a) for a in args]
    kwargs = dict((k, decode(v)) for k, v in kwargs)
    cap = guard_for(target, method)
    if cap is not None:
        try:
            o.settimeout(cap)
        except Exception:
            pass
    try:
        if method[0] == '@':
            r = pseudo(target, method, o)
        else:
            r = getattr(o, method)(*args, **kwargs)
    except Exception as e:
        if cap is not None:
            restore(target, o)
        P(i, 'E', describe(e))
        return
    if cap is not None:
        restore(target, o)
    if target in SOCKETS and method in ('settimeout', 'setblocking') and len(args) == 1 and not kwargs:
        modes[target] = (method, args[0])
    if target == 'network' and method in ('LoRa', 'Sigfox'):
        objs[method.lower()] = r
    if target == 'usocket' or method == 'accept':
        store_socket(r)
    P(i, 'ok')


def setup():
    if CFG['lora'] is not None:
        try:
            L = network.LoRa
            objs['lora'] = L(mode=getattr(L, CFG['lora']), region=getattr(L, CFG['region']))
        except Exception as e:
            P('setup', 'lora', describe(e))
    if CFG['sigfox'] is not None:
        try:
            S = network.Sigfox
            objs['sigfox'] = S(mode=S.SIGFOX, rcz=CFG['sigfox'])
        except Exception as e:
            P('setup', 'sigfox', describe(e))
    for t in ('tcp', 'udp', 'lsock', 'fsock'):
        if t in ('lsock', 'fsock') and objs['lora' if t == 'lsock' else 'sigfox'] is None:
            continue
        try:
            objs[t] = make(t)
        except Exception as e:
            P('setup', t, describe(e))


def cleanup():
    # What the interpreter itself still holds (a socket passed as an argument lives on in
    # `modes`): dropped sockets must meet their finaliser before the count of open ones.
    modes.clear()
    gc.collect()
    closed = []
    for t in SOCKETS:
        o = objs[t]
        if o is None or o in closed:
            continue
        closed.append(o)
        for k in (1, 2):                 # close() is idempotent
            try:
                o.close()
            except Exception as e:
                P('close', t, k, 'E', describe(e))
        try:
            o.send(b'x')
            P('after close', t, 'ok')
        except Exception as e:
            P('after close', t, 'E', describe(e))


setup()
for i, c in enumerate(SEQ):
    call(i, *c)
cleanup()
P('done', len(SEQ))
'''


def device_script(program: "Program", port: int) -> str:
    cfg = {"port": port, "real": program.time == "real",
           "inet_cap": INET_CAP_S, "radio_rx_cap": INET_CAP_S if program.time == "real" else RADIO_RX_CAP_S,
           "lora": program.lora, "region": program.region, "sigfox": program.sigfox}
    seq = [list(c) for c in program.calls]
    return f"CFG = {cfg!r}\nSEQ = {seq!r}\n" + INTERPRETER


# --- the program and its result --------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Program:
    time: str               # "virtual" or "real"
    board: str
    strict: bool            # add_device(strict_firmware=...)
    lora: str | None        # set-up: LoRa(mode=LoRa.<lora>, region=LoRa.<region>) or none
    region: str
    sigfox: int | None      # set-up: Sigfox(mode=SIGFOX, rcz=<sigfox>) or none
    seed: int
    calls: tuple            # ((target, method, args, kwargs), ...)

    def describe(self) -> str:
        lines = [f"Program(time={self.time!r}, board={self.board!r}, strict={self.strict}, lora={self.lora!r}, "
                 f"region={self.region!r}, sigfox={self.sigfox!r}, seed={self.seed})"]
        for i, (target, method, args, kwargs) in enumerate(self.calls):
            lines.append(f"  {i}: {target}.{method}(*{args!r}, **{dict(kwargs)!r})")
        return "\n".join(lines)


@dataclasses.dataclass
class Outcome:
    """One call's outcome: 'ok', 'skip', 'pending' (still running at until_s) or 'E'."""
    kind: str
    exception: str = ""     # class name
    detail: str = ""        # errno=<n>, msg=<text>, args=<repr> or ""

    def key(self) -> str:
        if self.kind != "E":
            return self.kind
        if self.detail.startswith("errno="):
            return f"{self.exception} {self.detail}"
        if self.exception == "OSError" and self.detail.startswith("msg="):
            return f"{self.exception} {self.detail}"
        return self.exception


@dataclasses.dataclass
class Result:
    program: Program
    output: str
    exit_exception: BaseException | None
    run_status: str
    outcomes: list
    done: bool
    tail: list              # the clean-up lines
    open_sockets: int
    close_error: BaseException | None


def run_program(program: Program) -> Result:
    """Runs the program in a fresh world and parses what the device printed."""
    port = closed_tcp_port()
    until_s = REAL_UNTIL_S if program.time == "real" else VIRTUAL_UNTIL_S
    world = World(time=program.time, seed=program.seed, ntp_epoch_s=1_700_000_000, keep_events=False)
    close_error = None
    try:
        dev = world.add_device("fuzz", script=device_script(program, port), board=program.board,
                               region=program.region, strict_firmware=program.strict)
        status = world.run(until_s=until_s)
        output = dev.output
        exit_exception = dev.exit_exception
        open_sockets = dev.stack.open_sockets
    finally:
        try:
            world.close()
        except BaseException as exc:  # noqa: BLE001 - reported by check()
            close_error = exc
    outcomes = [None] * len(program.calls)
    tail = []
    done = False
    for line in output.splitlines():
        if not line.startswith("@@ "):
            continue
        words = line[3:].split(" ", 3)
        if words[0].isdigit():
            i = int(words[0])
            if words[1] == "E":
                outcomes[i] = Outcome("E", words[2], words[3] if len(words) > 3 else "")
            else:
                outcomes[i] = Outcome(words[1])
        elif words[0] == "done":
            done = True
        else:
            tail.append(line[3:])
    if not done:
        for i, o in enumerate(outcomes):
            if o is None:
                outcomes[i] = Outcome("pending")
                break
    return Result(program, output, exit_exception, status, outcomes, done, tail, open_sockets, close_error)


def problems(result: Result) -> list:
    """What is wrong with a run: [] when the device behaved."""
    found = []
    if result.exit_exception is not None:
        found.append(f"device died: {type(result.exit_exception).__name__}: {result.exit_exception}")
    if result.close_error is not None:
        found.append(f"world.close() raised {type(result.close_error).__name__}: {result.close_error}")
    for i, o in enumerate(result.outcomes):
        if o is None:
            if result.done:
                found.append(f"call {i}: no result line")
            continue
        target, method = result.program.calls[i][:2]
        if o.kind == "pending":
            if (target, method) not in MAY_OUTLAST_BUDGET:
                found.append(f"call {i} {target}.{method}: still running at until_s (hang)")
            continue
        if o.kind != "E":
            continue
        err = _bad_exception(o)
        if err:
            found.append(f"call {i} {target}.{method}: {err}")
    pending = any(o is not None and o.kind == "pending" for o in result.outcomes)
    if not result.done and not pending and result.exit_exception is None:
        found.append("the script did not finish")
    if result.done:
        for line in result.tail:
            words = line.split()
            if words[0] == "close":
                found.append(f"clean-up: {line}")
            elif words[0] == "after" and "errno=9" not in line:
                found.append(f"clean-up, a closed socket did not answer EBADF: {line}")
            elif words[0] == "setup":  # the set-up uses valid values only
                found.append(f"set-up failed: {line}")
        if result.open_sockets:
            found.append(f"{result.open_sockets} socket(s) of the device's stack still open after the clean-up")
    return found


def _bad_exception(o: Outcome):
    name, detail = o.exception, o.detail
    if name not in ALLOWED_EXCEPTIONS:
        return f"{name} {detail} is not an exception the device raises"
    if name == "TimeoutError" and detail != "args=('timed out',)":
        return f"TimeoutError {detail} (the device raises TimeoutError('timed out'))"
    if name == "OSError":
        if detail.startswith("errno="):
            n = int(detail[len("errno="):])
            if n not in DEVICE_ERRNOS:
                return f"OSError errno {n} is not in the device's errno table"
        elif detail.startswith("msg="):
            msg = detail[len("msg="):].strip("'\"")
            if msg not in DEVICE_OSERROR_MESSAGES:
                return f"OSError message {msg!r} is not one of the firmware's"
        else:
            return f"OSError {detail} (the device's OSError has args == (errno,) or (message,))"
    return None


def check(result: Result) -> None:
    """Raises AssertionError listing every problem of the run, with the program."""
    found = problems(result)
    if found:
        raise AssertionError("\n".join(found) + "\n\n" + result.program.describe()
                             + "\n\ndevice output (last 40 lines):\n" + "\n".join(result.output.splitlines()[-40:]))


def histogram(results) -> collections.Counter:
    """Outcome keys (ok, TypeError, OSError errno=9, ...) counted over results."""
    counts = collections.Counter()
    for r in results:
        for o in r.outcomes:
            if o is not None:
                counts[o.key()] += 1
    return counts


# --- methods ----------------------------------------------------------------------------

#: Which kind of object each target is.
KIND = {"usocket": "usocket", "network": "network", "tcp": "inet", "udp": "inet", "made": "inet",
        "lora": "lora", "lsock": "lsock", "sigfox": "sigfox", "fsock": "fsock"}

#: The documented API per kind (pycom-api.md 2.3, 4.2-4.5, 5.2) and names the firmware
#: lacks, which must raise AttributeError.
CURATED = {
    "usocket": ("socket", "getaddrinfo", "dnsserver", "gethostbyname", "inet_aton", "socketpair",
                "setdefaulttimeout", "getsockopt"),
    "network": ("LoRa", "Sigfox"),
    "inet": ("close", "bind", "listen", "accept", "connect", "send", "sendall", "recv", "sendto", "recvfrom",
             "setsockopt", "settimeout", "setblocking", "makefile", "fileno", "read", "readinto", "readline",
             "write", "readall", "do_handshake", "getsockopt", "shutdown", "getpeername", "getsockname",
             "recv_into", "gettimeout", "@with", "@reopen", "@drop"),
    "lora": ("init", "frequency", "tx_power", "bandwidth", "sf", "preamble", "coding_rate", "power_mode", "join",
             "join_multicast_group", "leave_multicast_group", "compliance_test", "has_joined", "airtime", "stats",
             "callback", "events", "ischannel_free", "add_channel", "remove_channel", "set_battery_level",
             "nvram_save", "nvram_restore", "nvram_erase", "mac", "reset", "deinit", "mesh", "cli", "@reopen"),
    "lsock": ("close", "bind", "send", "recv", "sendto", "recvfrom", "setsockopt", "settimeout", "setblocking",
              "connect", "listen", "accept", "sendall", "makefile", "read", "write", "fileno", "@with", "@reopen",
              "@drop"),
    "sigfox": ("init", "mac", "id", "pac", "frequencies", "config", "public_key", "rssi", "rssi_offset",
               "freq_offset", "version", "info", "reset", "test_mode", "cw", "deinit", "@reopen"),
    "fsock": ("close", "send", "recv", "setsockopt", "settimeout", "setblocking", "bind", "sendto", "recvfrom",
              "connect", "sendall", "@with", "@reopen", "@drop"),
}

_INTROSPECT = r'''
import usocket, network
def names(o):
    return sorted(n for n in dir(o) if not n.startswith('__') and not n[:1].isupper())
print('@@ usocket', ' '.join(names(usocket)))
print('@@ network', ' '.join(n for n in dir(network) if n[:1].isupper()))
s = usocket.socket(); print('@@ inet', ' '.join(names(s))); s.close()
if hasattr(network, 'LoRa'):
    l = network.LoRa(mode=network.LoRa.LORA); print('@@ lora', ' '.join(names(l)))
    s = usocket.socket(usocket.AF_LORA, usocket.SOCK_RAW); print('@@ lsock', ' '.join(names(s))); s.close()
if hasattr(network, 'Sigfox'):
    f = network.Sigfox(); print('@@ sigfox', ' '.join(names(f)))
    s = usocket.socket(usocket.AF_SIGFOX, usocket.SOCK_RAW); print('@@ fsock', ' '.join(names(s))); s.close()
'''


@functools.lru_cache(maxsize=None)
def introspected_methods() -> dict:
    """{kind: names} of what dir() shows on the objects inside a LoPy4 and a SiPy (constants
    and dunders left out): the real method lists of the device's objects."""
    found = collections.defaultdict(set)
    for board in ("LoPy4", "SiPy"):
        with World(time="virtual", seed=0) as world:
            dev = world.add_device("probe", script=_INTROSPECT, board=board)
            world.run(until_s=5)
            assert dev.exit_exception is None, dev.output
            for line in dev.output.splitlines():
                if line.startswith("@@ "):
                    kind, *names = line[3:].split()
                    found[kind].update(names)
    return {kind: tuple(sorted(names)) for kind, names in found.items()}


@functools.lru_cache(maxsize=None)
def methods_of(kind: str) -> tuple:
    names = list(CURATED[kind])
    names += [n for n in introspected_methods().get(kind, ()) if n not in names and n not in ("error", "timeout")]
    return tuple(names)


# --- argument strategies (encoded values) -------------------------------------------------

def V(x):  # noqa: N802 - a literal
    return ["v", x]


def T(*items):  # noqa: N802 - a tuple of encoded values
    return ["t", list(items)]


NICE_INTS = (0, 1, -1, 2, 7, 12, 255, 256, 2**15, 2**16, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32,
             2**63, 2**64, -2**64, 10**30)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)

ints = st.one_of(st.sampled_from(NICE_INTS), st.integers(-2**70, 2**70), st.integers(-300, 300)).map(V)
floats = st.one_of(st.sampled_from([0.0, -0.0, 0.0005, 0.001, 0.01, 0.05, 1.5, -1.0, 1e300, 1e-300,
                                    float("nan"), float("inf"), float("-inf")]),
                   st.floats()).map(lambda f: ["f", repr(f)])
scalars = st.one_of(
    ints, floats, st.none().map(V), st.booleans().map(V), _text.map(V), st.binary(max_size=300).map(V),
    st.tuples(st.sampled_from([0, 1, 12, 13, 64, 65, 243, 255, 256, 2048, 4096, 65536, 1 << 20]),
              st.integers(0, 255)).map(lambda t: ["b", t[0], t[1]]),
    st.sampled_from([0, 1, 8, 16, 300]).map(lambda n: ["ba", n]),
    st.sampled_from([0, 4, 16]).map(lambda n: ["mv", n]),
    st.just(["obj"]), st.just(["fn"]), st.just(["badfn"]), st.just(["port"]),
    st.sampled_from(["tcp", "udp", "made", "lora", "lsock", "sigfox", "fsock", "usocket"]).map(lambda t: ["ref", t]),
)
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda xs: ["t", xs]),
    st.lists(inner, max_size=4).map(lambda xs: ["l", xs])), max_leaves=6)


def usock_const(name, fallback=-7):
    """A usocket constant, or ``fallback`` on a board that lacks it."""
    return ["c", name, fallback]


def lora_const(name, fallback=-7):
    return ["lc", name, fallback]


def mix(*plausible, junk_weight=1):
    """One of the plausible encoded values, most of the time; else junk."""
    options = [st.sampled_from(list(plausible))] * 3 if plausible else []
    return st.one_of(*(options + [junk] * junk_weight))


def positional(*arg_strategies, min_args=0):
    """An args list: the first k of the given argument strategies (k >= min_args),
    sometimes with an extra junk argument."""
    n = len(arg_strategies)

    @st.composite
    def build(draw):
        k = draw(st.integers(min_args, n))
        args = [draw(s) for s in arg_strategies[:k]]
        if draw(st.integers(0, 15)) == 0:
            args.append(draw(junk))
        return args

    return build()


def keywords(spec: dict, required=(), unknown=("foo",)):
    """A kwargs list [(name, encoded)]: a random subset of spec (required ones always),
    sometimes an unknown keyword."""
    names = sorted(spec)

    @st.composite
    def build(draw):
        chosen = [n for n in names if n in required or draw(st.booleans())]
        kw = [(n, draw(spec[n])) for n in chosen]
        if unknown and draw(st.integers(0, 15)) == 0:
            kw.append((draw(st.sampled_from(list(unknown))), draw(junk)))
        return kw

    return build()


def no_kwargs():
    return st.just([])


# Plausible values.
ADDR_HOSTS = ["127.0.0.1", "0.0.0.0", "", "localhost", "example.com", "999.1.1.1", "1.2.3.4.5", "::1",
              "127.0.0.1 "]
inet_addr = st.one_of(
    st.tuples(st.sampled_from(ADDR_HOSTS), st.sampled_from([["port"], V(0), V(-1), V(65536), V(2**40), V("80")]))
    .map(lambda t: T(V(t[0]), t[1])),
    st.sampled_from([T(V("127.0.0.1")), T(V("127.0.0.1"), ["port"], V(0)), ["l", [V("127.0.0.1"), ["port"]]],
                     T(V(b"127.0.0.1"), ["port"]), V("127.0.0.1"), V(80), T(V(None), V(80))]),
    junk)
timeout_value = mix(V(None), V(0), ["f", "0.0005"], ["f", "0.01"], ["f", "0.05"], ["f", "0.2"], V(1), V(-1),
                    ["f", "nan"], ["f", "inf"], ["f", "-inf"], V(True), V(False), V(2**64), ["f", "1e9"])
bool_value = mix(V(True), V(False), V(0), V(1), V(None))
size_value = mix(V(0), V(1), V(16), V(255), V(2048), V(4096), V(-1), V(2**31 - 1), V(2**31), V(2**64))
payload = mix(V(b""), V(b"x"), V(b"hello"), V("Ping"), ["b", 12, 0x41], ["b", 13, 0x41], ["b", 51, 1],
              ["b", 64, 2], ["b", 65, 2], ["b", 242, 3], ["b", 255, 4], ["b", 256, 5], ["b", 4096, 6],
              ["b", 1 << 20, 7], ["ba", 8], ["mv", 4])
sockopt_level = mix(usock_const("SOL_SOCKET"), usock_const("SOL_LORA"), usock_const("SOL_SIGFOX"),
                    usock_const("IPPROTO_IP"), usock_const("IPPROTO_TCP"), V(0), V(-1), V(2**32))
sockopt_name = mix(usock_const("SO_REUSEADDR"), usock_const("SO_DR"), usock_const("SO_CONFIRMED"),
                   usock_const("SO_RX"), usock_const("SO_TX_REPEAT"), usock_const("SO_OOB"), usock_const("SO_BIT"),
                   usock_const("IP_ADD_MEMBERSHIP"), V(1), V(0), V(-1), V(2**40))
sockopt_value = mix(V(0), V(1), V(2), V(3), V(5), V(6), V(7), V(8), V(-1), V(256), V(True), V(False),
                    V(b"\x7f\x00\x00\x01\x00\x00\x00\x00"), V(b""), V(2**40))
family = mix(usock_const("AF_INET"), usock_const("AF_LORA"), usock_const("AF_SIGFOX"), V(10), V(0), V(-1),
             V(2**64))
socktype = mix(usock_const("SOCK_STREAM"), usock_const("SOCK_DGRAM"), usock_const("SOCK_RAW"), V(0), V(99))
proto = mix(usock_const("IPPROTO_TCP"), usock_const("IPPROTO_UDP"), usock_const("IPPROTO_ICMP"), V(0), V(255))
getaddrinfo_host = mix(V("127.0.0.1"), V("0.0.0.0"), V(""), V("localhost"), V("1.2.3.4"), V("255.255.255.255"),
                       V(b"127.0.0.1"), V("300.1.1.1"), V("1.2.3.4.5"), V("::1"))
port_value = mix(V(0), V(80), ["port"], V(65535), V(65536), V(-1), V("80"), V(2**64))

region_values = [lora_const(n) for n in ("EU868", "US915", "AS923", "AU915", "IN865", "EU433", "CN470")]
lora_init_spec = {
    "mode": mix(lora_const("LORA"), lora_const("LORAWAN"), V(2), V(-1)),
    "region": mix(*region_values, V(3), V(6), V(9), V(99), V(None)),
    "frequency": mix(V(868_100_000), V(868_000_000), V(915_000_000), V(433_175_000), V(923_200_000),
                     V(470_300_000), V(862_999_999), V(0), V(-1), V(2**32), V(None)),
    "tx_power": mix(V(2), V(14), V(20), V(1), V(21), V(None)),
    "bandwidth": mix(V(0), V(1), V(2), V(3)),
    "sf": mix(V(6), V(7), V(9), V(12), V(5), V(13)),
    "preamble": mix(V(8), V(0), V(255), V(256), V(-1)),
    "coding_rate": mix(V(1), V(2), V(4), V(0), V(5)),
    "power_mode": mix(lora_const("ALWAYS_ON"), lora_const("TX_ONLY"), lora_const("SLEEP"), V(3)),
    "tx_iq": bool_value, "rx_iq": bool_value, "adr": bool_value, "public": bool_value,
    "tx_retries": mix(V(0), V(2), V(7), V(8), V(255), V(-1)),
    "device_class": mix(lora_const("CLASS_A"), lora_const("CLASS_C"), V(1)),
}
eui = mix(["b", 8, 0x11], ["b", 8, 0x22], ["b", 7, 1], ["b", 16, 1], V("0123456789abcdef"), V(b""))
key16 = mix(["b", 16, 0x2b], ["b", 16, 0x7e], ["b", 15, 1], ["b", 17, 1], V(""))
otaa_auth = st.one_of(st.tuples(eui, key16).map(lambda t: T(*t)), st.tuples(eui, eui, key16).map(lambda t: T(*t)))
abp_auth = st.tuples(mix(V(0x26011234), V(-1), V(2**32), V(0)), key16, key16).map(lambda t: T(*t))
join_auth = st.one_of(otaa_auth, abp_auth, junk)
join_dr = mix(V(None), V(0), V(2), V(4), V(5), V(6), V(7), V(-1))


def join_timeout(real):
    if real:  # no waiting beyond a poll
        return mix(V(0), V(-1), V(-1000), V(1), V(True), V(False), ["f", "1.5"], V("10"))
    return mix(V(None), V(0), V(-1), V(1), V(50), V(100), V(6000), V(10_000), V(60_000), V(2**31), ["f", "1.5"])


def channel_ms(real):
    if real:
        return mix(V(0), V(1), V(10), V(-1), V(2**31), ["f", "1.0"])
    return mix(V(0), V(1), V(10), V(1000), V(-1), V(60_000), V(2**31), ["f", "1.0"])


sigfox_mode = mix(["sc", "SIGFOX", 0], ["sc", "FSK", 1], V(2), V(-1))
sigfox_rcz = mix(["sc", "RCZ1", 0], ["sc", "RCZ2", 1], ["sc", "RCZ3", 2], ["sc", "RCZ4", 3], V(4), V(-1))
sigfox_init_spec = {"mode": sigfox_mode, "rcz": sigfox_rcz,
                    "frequency": mix(V(868_000_000), V(863_000_000), V(928_000_001), V(None))}


@functools.lru_cache(maxsize=None)
def args_for(kind: str, method: str, real: bool):
    """Strategy of (args, kwargs) for one method: plausible for the documented API, else
    (and sometimes anyway) junk."""
    P, K = positional, keywords  # noqa: N806
    none = no_kwargs()
    table = {
        ("usocket", "socket"): (P(family, socktype, proto, junk), none),
        ("usocket", "getaddrinfo"): (P(getaddrinfo_host, port_value, junk, junk, min_args=2), none),
        ("usocket", "dnsserver"): (P(mix(V(0), V(1), V(2), V(-1)), mix(V("8.8.8.8"), V("0.0.0.0"), V("x"))), none),
        ("network", "LoRa"): (P(mix(V(0), V(1))), K(lora_init_spec, unknown=("foo", "id", "inv_iq"))),
        ("network", "Sigfox"): (P(mix(V(0), V(1)), sigfox_mode, sigfox_rcz), K(sigfox_init_spec)),
        ("inet", "settimeout"): (P(timeout_value, min_args=1), none),
        ("inet", "setblocking"): (P(bool_value, min_args=1), none),
        ("inet", "bind"): (P(inet_addr, min_args=1), none),
        ("inet", "connect"): (P(inet_addr, min_args=1), none),
        ("inet", "listen"): (P(mix(V(0), V(1), V(5), V(-1), V(300))), none),
        ("inet", "send"): (P(payload, min_args=1), none),
        ("inet", "sendall"): (P(payload, min_args=1), none),
        ("inet", "write"): (P(payload, size_value, size_value, min_args=1), none),
        ("inet", "sendto"): (P(payload, inet_addr, min_args=2), none),
        ("inet", "recv"): (P(size_value, min_args=1), none),
        ("inet", "recvfrom"): (P(size_value, min_args=1), none),
        ("inet", "read"): (P(size_value), none),
        ("inet", "readinto"): (P(mix(["ba", 16], ["ba", 0], V(b"ro")), size_value, min_args=1), none),
        ("inet", "setsockopt"): (P(sockopt_level, sockopt_name, sockopt_value, min_args=3), none),
        ("inet", "makefile"): (P(mix(V("rb"), V("wb"), V("r"), V("w+")), mix(V(0), V(-1)), mix(V(0))), none),
        ("lsock", "settimeout"): (P(timeout_value, min_args=1), none),
        ("lsock", "setblocking"): (P(bool_value, min_args=1), none),
        ("lsock", "setsockopt"): (P(sockopt_level, sockopt_name, sockopt_value, min_args=3), none),
        ("lsock", "bind"): (P(mix(V(0), V(1), V(2), V(224), V(225), V(-1), T(V("127.0.0.1"), V(3))), min_args=1),
                            none),
        ("lsock", "send"): (P(payload, min_args=1), none),
        ("lsock", "sendto"): (P(payload, mix(V(2), T(V("127.0.0.1"), V(3))), min_args=2), none),
        ("lsock", "recv"): (P(size_value, min_args=1), none),
        ("lsock", "recvfrom"): (P(size_value, min_args=1), none),
        ("fsock", "settimeout"): (P(timeout_value, min_args=1), none),
        ("fsock", "setblocking"): (P(bool_value, min_args=1), none),
        ("fsock", "setsockopt"): (P(sockopt_level, sockopt_name, sockopt_value, min_args=3), none),
        ("fsock", "send"): (P(payload, min_args=1), none),
        ("fsock", "recv"): (P(size_value, min_args=1), none),
        ("fsock", "bind"): (P(mix(V(1)), min_args=1), none),
        ("fsock", "sendto"): (P(payload, mix(V(2)), min_args=2), none),
        ("fsock", "recvfrom"): (P(size_value, min_args=1), none),
        ("lora", "init"): (st.just([]), K(lora_init_spec)),
        ("lora", "join"): (P(mix(lora_const("OTAA"), lora_const("ABP"), V(2), V(-1)), min_args=1),
                           K({"auth": join_auth, "dr": join_dr, "timeout": join_timeout(real)},
                             required=("auth", "timeout") if real else ("auth",))),
        ("lora", "add_channel"): (P(mix(V(0), V(3), V(15), V(16), V(71), V(72), V(95), V(-1)), min_args=1),
                                  K({"frequency": mix(V(868_100_000), V(867_100_000), V(903_900_000), V(0)),
                                     "dr_min": mix(V(0), V(5), V(7), V(-1)), "dr_max": mix(V(0), V(5), V(6), V(8))},
                                    required=("frequency", "dr_min", "dr_max"))),
        ("lora", "remove_channel"): (P(mix(V(0), V(2), V(3), V(15), V(16), V(72), V(-1)), min_args=1), none),
        ("lora", "join_multicast_group"): (P(mix(V(0x01020304), V(-1), V(2**32)), key16, key16, min_args=3), none),
        ("lora", "leave_multicast_group"): (P(mix(V(0x01020304), V(-1), V(2**32)), min_args=1), none),
        ("lora", "compliance_test"): (P(bool_value, mix(V(0), V(1), V(6), V(-1)), bool_value), none),
        ("lora", "airtime"): (P(mix(V(0), V(4), V(13), V(255), V(256), V(-1)), min_args=1), none),
        ("lora", "callback"): (P(mix(V(1), V(2), V(4), V(7), V(0), V(None)), mix(["fn"], ["badfn"], V(None)),
                                 mix(V(None), V(1), ["ref", "lora"]), min_args=1), none),
        ("lora", "ischannel_free"): (P(mix(V(-85), V(-150), V(0), V(2**31)), channel_ms(real), min_args=2), none),
        ("lora", "set_battery_level"): (P(mix(V(0), V(1), V(254), V(255), V(256), V(-1)), min_args=1), none),
        ("lora", "frequency"): (P(lora_init_spec["frequency"]), none),
        ("lora", "tx_power"): (P(lora_init_spec["tx_power"]), none),
        ("lora", "bandwidth"): (P(lora_init_spec["bandwidth"]), none),
        ("lora", "sf"): (P(lora_init_spec["sf"]), none),
        ("lora", "preamble"): (P(lora_init_spec["preamble"]), none),
        ("lora", "coding_rate"): (P(lora_init_spec["coding_rate"]), none),
        ("lora", "power_mode"): (P(lora_init_spec["power_mode"]), none),
        ("sigfox", "init"): (P(sigfox_mode, sigfox_rcz), K(sigfox_init_spec)),
        ("sigfox", "config"): (P(mix(T(V(1), V(0), V(0)), T(V(0), V(0x40000000), V(0)), T(V(1), V(2)),
                                     ["l", [V(3), V(5000), V(0)]])), none),
        ("sigfox", "public_key"): (P(bool_value), none),
        ("sigfox", "rssi_offset"): (P(mix(V(0), V(-10), V(10), V(2**16))), none),
        ("sigfox", "freq_offset"): (P(mix(V(0), V(-32768), V(32767), V(32768), V(-32769))), none),
        ("sigfox", "test_mode"): (P(mix(V(0), V(5), V(6), V(8), V(-1)), mix(V(0), V(1), V(2**32)), min_args=2), none),
        ("sigfox", "cw"): (P(mix(V(868_130_000), V(0), V(-1)), bool_value, min_args=2), none),
    }
    junk_call = (P(junk, junk, junk), keywords({}, unknown=("foo", "timeout", "mode")))
    args_s, kwargs_s = table.get((kind, method), junk_call)
    if (kind, method) in table:
        return st.one_of(st.tuples(args_s, kwargs_s), st.tuples(args_s, kwargs_s), st.tuples(args_s, kwargs_s),
                         st.tuples(*junk_call))
    return st.tuples(*junk_call)


#: Targets in the proportions the programs use them.
TARGET_WEIGHTS = {"usocket": 2, "network": 2, "tcp": 3, "udp": 3, "made": 2, "lora": 6, "lsock": 4,
                  "sigfox": 4, "fsock": 3}

#: What a real-time program must not call: what waits on the air or the wall clock.
REAL_TIME_EXCLUDED = {("lsock", "@with"), ("fsock", "@with")}


@st.composite
def calls(draw, real=False):
    targets = [t for t, w in TARGET_WEIGHTS.items() for _ in range(w)]
    target = draw(st.sampled_from(targets))
    kind = KIND[target]
    method = draw(st.sampled_from(methods_of(kind)))
    if real and (target, method) in REAL_TIME_EXCLUDED:
        method = "settimeout"
    args, kwargs = draw(args_for(kind, method, real))
    return (target, method, args, kwargs)


@st.composite
def programs(draw, time="virtual", max_calls=30, boards=BOARDS, min_calls=1):
    board = draw(st.sampled_from(boards))
    lora = draw(st.sampled_from([None, "LORA", "LORAWAN", "LORAWAN"])) if board in LORA_BOARDS else None
    region = draw(st.sampled_from(["EU868", "EU868", "US915", "AS923", "AU915", "IN865"]))
    sigfox = draw(st.sampled_from([None, 0, 0, 1, 2, 3])) if board in SIGFOX_BOARDS else None
    strict = draw(st.booleans())
    seed = draw(st.integers(0, 2**32))
    seq = draw(st.lists(calls(real=time == "real"), min_size=min_calls, max_size=max_calls))
    return Program(time, board, strict, lora, region, sigfox, seed, tuple(seq))


def script_example() -> str:
    """A readable example of the device script (for the README and debugging)."""
    program = Program("virtual", "LoPy4", False, "LORAWAN", "EU868", 0, 1,
                      (("lsock", "send", [V(b"hi")], []), ("lora", "sf", [V(13)], [])))
    return textwrap.dedent(device_script(program, 9))
