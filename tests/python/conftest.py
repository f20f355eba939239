# conftest.py: fixtures for the usocket-emu pytest suite (loopback only).
"""Fixtures shared by the usocket-emu tests.

Every socket a test opens goes through the ``net`` fixture (see
``support.Net``), which closes it at teardown: the suite runs with
``filterwarnings = error``, so an unclosed CPython socket would fail the test
with a ResourceWarning.  Modules under test are checked for leaked sockets
at teardown, and a per-test watchdog dumps the stacks and exits if a
test hangs.
"""

from __future__ import annotations

import faulthandler
import gc
import signal
import threading

import pytest

import support

@pytest.fixture(autouse=True)
def _watchdog():
    """Dump every thread's stack and exit if one test hangs."""
    support.arm_watchdog()
    yield
    faulthandler.cancel_dump_traceback_later()


# --------------------------------------------------------------------------
# The modules under test
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def usocket_emu():
    """The package itself."""
    import usocket_emu as pkg

    return pkg


def _open_sockets(mod) -> int:
    # The module's device stack counts its open sockets (internal attribute;
    # the public API has no such count).
    return mod._stack.open_sockets


@pytest.fixture
def us(usocket_emu, net):
    """The default device's usocket module (LoPy4, default profile).

    Teardown closes what the test made through ``net`` and then checks that
    the test left no socket of this module open.
    """
    mod = usocket_emu.usocket
    before = _open_sockets(mod)
    yield mod
    net.close_all()
    gc.collect()
    assert _open_sockets(mod) == before, "the test leaked sockets"


@pytest.fixture
def fresh_us(usocket_emu, net):
    """A fresh, independent default-profile usocket module (LoPy4)."""
    mod = usocket_emu.make_usocket()
    yield mod
    net.close_all()
    gc.collect()
    assert _open_sockets(mod) == 0, "the test leaked sockets"


def _assert_no_leaked_slots(mod) -> None:
    # A leaked socket holds one of the strict profile's 10 lwIP slots: all of
    # them must be free again once the test is over.
    gc.collect()
    opened = []
    refused = None
    try:
        for _ in range(support.LWIP_MAX_SOCKETS):
            try:
                opened.append(mod.socket())
            except OSError as exc:
                # Keep only the args: the traceback's frames hold the
                # half-built socket, which must not be shown by --showlocals.
                refused = exc.args
                break
    finally:
        for s in opened:
            s.close()
    leaked = support.LWIP_MAX_SOCKETS - len(opened)
    assert not leaked, f"the test leaked {leaked} socket(s) (socket() raised {refused})"


@pytest.fixture
def make_strict(usocket_emu, net):
    """Factory for fresh strict-firmware modules; checks them for leaks.

    Teardown first closes what the test made through ``net``; any socket
    still holding a slot after that was leaked.
    """
    made = []

    def make(board: str = "LoPy4"):
        mod = usocket_emu.make_usocket(board=board, strict_firmware=True)
        made.append(mod)
        return mod

    yield make
    net.close_all()
    for mod in made:
        _assert_no_leaked_slots(mod)


@pytest.fixture
def strict_us(make_strict):
    """A fresh, independent strict-firmware usocket module (LoPy4)."""
    return make_strict()


# --------------------------------------------------------------------------
# Loopback plumbing
# --------------------------------------------------------------------------


@pytest.fixture
def net():
    """Loopback topologies; every socket made through it is closed after."""
    n = support.Net()
    yield n
    n.close_all()


@pytest.fixture
def free_port():
    """A function returning a loopback port nobody listens on."""
    return support.free_port


@pytest.fixture
def cpython_listener(net):
    """A CPython TCP listener on 127.0.0.1: (socket, (ip, port))."""
    return net.listener()


# --------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------


@pytest.fixture
def sigint_default():
    """SIGINT raises KeyboardInterrupt in the main thread during this test."""
    assert threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)

