"""uselect / select (Pycom esp32/mods/moduselect.c).

The firmware polls every registered stream, returns if one is ready or the timeout passed,
and otherwise waits 1 ms (mp_hal_delay_ms(1)) and polls again. Here each round polls the
host sockets (IP sockets are real host sockets) without waiting; between rounds the thread
first waits up to 1 ms of wall time in the host's poll(2) (what it waits for is real I/O, so
virtual time runs no faster than the wall clock, as in the stack's own blocking calls), then
1 ms of the device's clock, which lets the other threads and devices of the world run.
"""

import select as _host_select
import struct
import types

from .. import _core
from .._errors import OSError as DeviceOSError
from ._args import int32

# MP_IOCTL_POLL_* (py/stream.h)
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x0001, 0x0004, 0x0008, 0x0010
EBADF = 9
FLAG_ONESHOT = 1

#: The firmware's pause between two polling rounds (mp_hal_delay_ms(1)).
_ROUND_US = 1000


def _fd_of(obj):
    if not isinstance(obj, _core.Socket):
        raise TypeError("object with stream.ioctl required")
    return _core.Socket.fileno(obj)  # raw sockets have no fileno() method, but a descriptor slot


def _float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


class _Round:
    """One host poll(2) set for entries {id: [obj, flags, flags_ret]}."""

    def __init__(self, entries):
        self.entries = entries
        self.poller = _host_select.poll()
        self.by_fd = {}
        self.radio = []  # AF_LORA sockets: no descriptor; their queues say what is ready
        for entry in entries.values():
            obj, flags, _ = entry
            fd = _fd_of(obj)
            if fd < 0 and _core.Socket.ready_events(obj, flags) is not None:  # EBADF if closed
                self.radio.append(entry)
                continue
            if fd < 0:
                # lwip_select on a closed descriptor fails with EBADF, which poll_map_poll
                # raises as OSError(errcode)
                raise DeviceOSError(EBADF)
            mask = (_host_select.POLLIN if flags & POLLIN else 0) | (_host_select.POLLOUT if flags & POLLOUT else 0)
            self.poller.register(fd, mask)
            self.by_fd.setdefault(fd, []).append(entry)

    def poll(self, wait_ms):
        """Sets every entry's flags_ret as lwipsocket_socket_ioctl(MP_STREAM_POLL) does: RD and
        WR when asked for and ready, HUP only when asked for (lwIP's exceptfds), never ERR.
        Returns how many entries are ready."""
        for entry in self.entries.values():
            entry[2] = 0
        ready = 0
        for entry in self.radio:
            entry[2] = _core.Socket.ready_events(entry[0], entry[1])
            ready += 1 if entry[2] else 0
        if ready or not self.by_fd:
            wait_ms = 0  # no host descriptor to wait on: device time does the waiting
        for fd, host_flags in self.poller.poll(wait_ms):
            for entry in self.by_fd.get(fd, ()):
                flags = entry[1]
                ret = 0
                if flags & POLLIN and host_flags & _host_select.POLLIN:
                    ret |= POLLIN
                if flags & POLLOUT and host_flags & _host_select.POLLOUT:
                    ret |= POLLOUT
                if flags & POLLHUP and host_flags & (_host_select.POLLHUP | _host_select.POLLERR):
                    ret |= POLLHUP
                entry[2] = ret
                if ret:
                    ready += 1
        return ready


def _poll_until(entries, timeout_us, dev):
    """Polls until an entry is ready or ``timeout_us`` (None: never) of device time passed."""
    round_ = _Round(entries)
    deadline = None if timeout_us is None else dev.now_us() + timeout_us
    while True:
        if dev.core.device_halted(dev.device_id):
            dev.sleep_us(0)  # raises DeviceHalt
        if round_.poll(0):
            return
        now = dev.now_us()
        if deadline is not None and now >= deadline:
            return
        step_us = _ROUND_US if deadline is None else min(_ROUND_US, deadline - now)
        if round_.poll(step_us / 1000):  # real I/O: up to the same span of wall time
            return
        dev.sleep_us(step_us)


def build(dev):
    module = types.ModuleType("uselect", "Pycom uselect: wait for sockets to be ready.")

    class poll:  # noqa: N801 - the device's name
        """A poll set: register(obj[, eventmask]), unregister(obj), modify(obj, eventmask),
        poll([timeout_ms[, flags]])."""

        def __init__(self):
            self._entries = {}

        def register(self, obj, eventmask=POLLIN | POLLOUT):
            eventmask = int32(eventmask)
            _fd_of(obj)
            entry = self._entries.get(id(obj))
            if entry is None:
                self._entries[id(obj)] = [obj, eventmask, 0]
            else:
                entry[1] = eventmask  # poll_map_add(..., or_flags=false) replaces the mask

        def unregister(self, obj):
            self._entries.pop(id(obj), None)  # moduselect.c ignores an unknown object

        def modify(self, obj, eventmask):
            entry = self._entries.get(id(obj))
            if entry is None:
                raise DeviceOSError(2)  # ENOENT
            entry[1] = int32(eventmask)

        def poll(self, timeout=None, flags=0):
            timeout_us = None
            if timeout is not None:
                timeout = int32(timeout)  # mp_obj_get_int: milliseconds, negative: for ever
                if timeout >= 0:
                    timeout_us = timeout * 1000
            flags = int32(flags)
            _poll_until(self._entries, timeout_us, dev)
            result = []
            for entry in self._entries.values():
                if entry[2]:
                    result.append((entry[0], entry[2]))
                    if flags & FLAG_ONESHOT:
                        entry[1] = 0
            return result

    def select(rlist, wlist, xlist, timeout=None):
        """select(rlist, wlist, xlist[, timeout_s]) -> (readable, writable, errored)."""
        entries = {}
        for objects in (rlist, wlist, xlist):
            if not isinstance(objects, (tuple, list)):
                raise TypeError(f"object '{type(objects).__name__}' isn't a tuple or list")
        for objects, mask in ((rlist, POLLIN), (wlist, POLLOUT), (xlist, POLLERR | POLLHUP)):
            for obj in objects:
                _fd_of(obj)
                entry = entries.setdefault(id(obj), [obj, 0, 0])
                entry[1] |= mask
        timeout_us = None
        if timeout is not None:
            if not isinstance(timeout, (int, float)):
                raise TypeError(f"can't convert {type(timeout).__name__} to float")
            # moduselect.c: float timeout_f = mp_obj_get_float(); if >= 0, whole milliseconds
            # (mp_uint_t)(timeout_f * 1000); a negative timeout waits for ever
            seconds = _float32(float(timeout))
            if seconds >= 0:
                timeout_us = int(_float32(seconds * 1000)) * 1000
        _poll_until(entries, timeout_us, dev)
        readable = [e[0] for e in entries.values() if e[2] & POLLIN]
        writable = [e[0] for e in entries.values() if e[2] & POLLOUT]
        errored = [e[0] for e in entries.values() if e[2] & ~(POLLIN | POLLOUT)]
        return (readable, writable, errored)

    poll.__module__ = select.__module__ = "uselect"
    module.poll = poll
    module.select = select
    module.POLLIN, module.POLLOUT, module.POLLERR, module.POLLHUP = POLLIN, POLLOUT, POLLERR, POLLHUP
    return module
