"""pytest plugin of usocket-emu, registered by the ``pytest11`` entry point (docs/pytest.md).

Fixtures:

``emu_world``
    A virtual-time ``usocket_emu.World`` seeded from the test's node id, with NTP pinned
    to NTP_EPOCH_S, so every run of a test repeats exactly. Closed after the test, which
    then fails if a device thread is still alive or a device socket still open.

``make_emu_world``
    A factory for more worlds (or other settings): ``make_emu_world(time="real", ...)``
    takes World's arguments, with the same defaults; every world it made is closed and
    checked after the test.

The plugin imports usocket_emu only when a fixture is used, so projects that have it
installed pay nothing in test sessions that do not use it.
"""

import threading
import time
import zlib

import pytest

__all__ = ["NTP_EPOCH_S", "emu_world", "make_emu_world", "seed_for"]

#: What NTP answers at emulated time 0 in the plugin's worlds: 2024-01-01T00:00:00Z.
NTP_EPOCH_S = 1_704_067_200

#: How long a device thread may take to finish after its world closed.
THREAD_EXIT_GRACE_S = 2.0



def seed_for(nodeid):
    """The seed of a test's worlds: a stable hash of its node id (the same in every run,
    unlike Python's randomised hash())."""
    return zlib.crc32(nodeid.encode("utf-8"))


@pytest.fixture
def make_emu_world(request):
    """Makes usocket_emu.World objects (virtual time, the test's seed, NTP pinned by
    default); closes them after the test and fails it if a device thread outlives them."""
    from usocket_emu import World

    threads_before = set(threading.enumerate())
    worlds = []

    def make(time="virtual", seed=None, **kwargs):
        kwargs.setdefault("ntp_epoch_s", NTP_EPOCH_S)
        world = World(time=time, seed=seed_for(request.node.nodeid) if seed is None else seed,
                      **kwargs)
        worlds.append(world)
        return world

    yield make

    for world in worlds:
        world.close()
    open_sockets = {f"{world_index}/{name}": dev.stack.open_sockets
                    for world_index, world in enumerate(worlds) for name, dev in world.devices.items()
                    if dev.stack.open_sockets}
    if open_sockets:
        pytest.fail(f"usocket-emu: sockets still open after the world closed: {open_sockets} "
                    f"(the test keeps a reference to a device socket?)", pytrace=False)
    leftover = _device_threads_alive(worlds, threads_before)
    if leftover:
        names = ", ".join(sorted(t.name for t in leftover))
        pytest.fail(
            f"usocket-emu: {len(leftover)} device thread(s) still alive "
            f"{THREAD_EXIT_GRACE_S:g} s after the world closed: {names} "
            f"(a device thread that neither waits on the emulator nor runs device code "
            f"cannot be stopped)",
            pytrace=False,
        )


@pytest.fixture
def emu_world(make_emu_world):
    """A virtual-time usocket_emu.World seeded from the test's node id (NTP pinned to
    NTP_EPOCH_S); closed after the test, which fails if a device thread is left alive."""
    return make_emu_world()


def _device_threads_alive(worlds, threads_before):
    """The threads the worlds' devices started that are still alive after a grace period."""
    # The runtime names every device thread "<device>:<role>" (main, IRQs, thread, WDT...).
    prefixes = tuple(f"{name}:" for world in worlds for name in world.devices)
    candidates = [t for t in threading.enumerate()
                  if t not in threads_before and prefixes and t.name.startswith(prefixes)]
    deadline = time.monotonic() + THREAD_EXIT_GRACE_S
    for thread in candidates:
        thread.join(max(deadline - time.monotonic(), 0.0))
    return [t for t in candidates if t.is_alive()]
