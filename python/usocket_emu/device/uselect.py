"""uselect / select (Pycom esp32/mods/moduselect.c).

The firmware polls every registered stream, returns if one is ready or the timeout passed,
and otherwise waits 1 ms and polls again. Here a poll set of IP sockets (real host sockets)
waits in the host's poll(2) instead, in short slices so that a device reset still stops it:
a thread waiting on real I/O holds virtual time, like any real TCP/UDP wait.
"""

import select as _host_select
import time as _host_time
import types

from .. import _core
from .._errors import OSError as DeviceOSError
from ._args import check_int

# MP_IOCTL_POLL_* (py/stream.h)
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x0001, 0x0004, 0x0008, 0x0010
EBADF = 9

#: Longest host poll(2) slice, so that a halted device stops waiting promptly.
_SLICE_S = 0.05

_HOST_TO_DEVICE = ((_host_select.POLLIN, POLLIN), (_host_select.POLLOUT, POLLOUT),
                   (_host_select.POLLERR, POLLERR), (_host_select.POLLHUP, POLLHUP))


def _fd_of(obj):
    if not isinstance(obj, _core.Socket):
        raise TypeError("object with stream.ioctl required")
    return obj.fileno()


def _poll_once(entries, wait_s, dev):
    """Polls entries {id: [obj, flags, flags_ret]}; waits up to wait_s for the first event."""
    poller = _host_select.poll()
    by_fd = {}
    for entry in entries.values():
        obj, flags, _ = entry
        entry[2] = 0
        fd = _fd_of(obj)
        if fd < 0:
            raise DeviceOSError(EBADF)  # the firmware's ioctl fails on a closed socket
        mask = (_host_select.POLLIN if flags & POLLIN else 0) | (_host_select.POLLOUT if flags & POLLOUT else 0)
        poller.register(fd, mask)
        by_fd.setdefault(fd, []).append(entry)
    remaining = wait_s
    while True:
        if dev.core.device_halted(dev.device_id):
            dev.sleep_us(0)  # raises DeviceHalt
        timeout_s = _SLICE_S if remaining is None else max(0.0, min(remaining, _SLICE_S))
        started = _host_time.monotonic()
        events = poller.poll(timeout_s * 1000)
        if events or (remaining is not None and remaining <= timeout_s):
            break
        if remaining is not None:
            remaining -= _host_time.monotonic() - started
    ready = 0
    for fd, host_flags in events:
        for entry in by_fd.get(fd, ()):
            device_flags = 0
            for host_bit, device_bit in _HOST_TO_DEVICE:
                if host_flags & host_bit:
                    device_flags |= device_bit
            entry[2] = device_flags & (entry[1] | POLLERR | POLLHUP)
            if entry[2]:
                ready += 1
    return ready


def build(dev):
    module = types.ModuleType("uselect", "Pycom uselect: wait for sockets to be ready.")

    class poll:  # noqa: N801 - the device's name
        """A poll set: register(obj[, eventmask]), unregister(obj), modify(obj, eventmask),
        poll([timeout_ms[, flags]])."""

        def __init__(self):
            self._entries = {}

        def register(self, obj, eventmask=POLLIN | POLLOUT):
            _fd_of(obj)
            entry = self._entries.get(id(obj))
            if entry is None:
                self._entries[id(obj)] = [obj, check_int(eventmask), 0]
            else:
                entry[1] = check_int(eventmask)

        def unregister(self, obj):
            self._entries.pop(id(obj), None)

        def modify(self, obj, eventmask):
            entry = self._entries.get(id(obj))
            if entry is None:
                raise DeviceOSError(2)  # ENOENT
            entry[1] = check_int(eventmask)

        def poll(self, timeout=None, flags=0):
            wait_s = None
            if timeout is not None:
                timeout = check_int(timeout)
                if timeout >= 0:
                    wait_s = timeout / 1000
            flags = check_int(flags)
            _poll_once(self._entries, wait_s, dev)
            result = []
            for entry in self._entries.values():
                if entry[2]:
                    result.append((entry[0], entry[2]))
                    if flags & 1:  # FLAG_ONESHOT
                        entry[1] = 0
            return result

    def select(rlist, wlist, xlist, timeout=None):
        """select(rlist, wlist, xlist[, timeout_s]) -> (readable, writable, errored)."""
        entries = {}
        for objects, mask in ((rlist, POLLIN), (wlist, POLLOUT), (xlist, POLLERR | POLLHUP)):
            for obj in objects:
                entry = entries.setdefault(id(obj), [obj, 0, 0])
                entry[1] |= mask
                _fd_of(obj)
        wait_s = None
        if timeout is not None:
            seconds = float(timeout)
            if seconds >= 0:
                wait_s = seconds
        _poll_once(entries, wait_s, dev)
        readable = [e[0] for e in entries.values() if e[2] & POLLIN]
        writable = [e[0] for e in entries.values() if e[2] & POLLOUT]
        errored = [e[0] for e in entries.values() if e[2] & ~(POLLIN | POLLOUT)]
        return (readable, writable, errored)

    poll.__module__ = select.__module__ = "uselect"
    module.poll = poll
    module.select = select
    module.POLLIN, module.POLLOUT, module.POLLERR, module.POLLHUP = POLLIN, POLLOUT, POLLERR, POLLHUP
    return module
