"""Device threads: each is attached to its world, and a device reset can stop it.

A device thread that waits on the world is halted by the world itself (its wait raises
DeviceHalt). One that only computes cannot be reached that way, so as a last resort the
reset raises DeviceHalt inside it asynchronously; that happens only while it runs device
code (inside ``running_device_code``), never in the runtime's own bookkeeping.
"""

import ctypes
import threading

from . import _core
from ._errors import DeviceHalt, use_strict_firmware_errors

__all__ = ["ThreadSet"]

# Two prototypes of one C function: one raises an exception class, one (NULL) clears it.
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))


def _clear_pending(ident):
    _clear_async_exc(ident, None)


class ThreadSet:
    """The threads of one device, and which of them run device code now."""

    def __init__(self, core_world, device_id, strict_firmware=False):
        self._core = core_world
        self._device_id = device_id
        self._strict_firmware = strict_firmware
        self._lock = threading.Lock()
        self._threads = set()
        self._in_device_code = set()  # idents

    def start(self, body, name):
        """Starts ``body()`` on a new device thread.

        The thread runs only once every running device thread waits, in the order threads
        were started (a zero-delay timer scheduled here opens its gate), so that which
        thread goes first never depends on the host's scheduler."""
        gate = _core.Mailbox(self._core, 1)
        self._core.reserve_thread(self._device_id)
        self._core.start_timer(gate, 0, 0, 1)
        thread = threading.Thread(target=self._main, args=(body, gate), name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        try:
            thread.start()
        except BaseException:
            with self._lock:
                self._threads.discard(thread)
            self._core.cancel_reservation(self._device_id)
            raise
        return thread

    def _main(self, body, gate):
        self._core.attach_thread(self._device_id)
        use_strict_firmware_errors(self._strict_firmware)
        try:
            gate.take()
            body()
        except DeviceHalt:
            pass
        finally:
            self.leave()

    def leave(self):
        """The calling thread stops being a device thread."""
        me = threading.current_thread()
        with self._lock:
            self._threads.discard(me)
            self._in_device_code.discard(me.ident)
            _clear_pending(me.ident)
        for _ in range(3):  # a DeviceHalt already on its way may land here once
            try:
                self._core.detach_thread()
                return
            except DeviceHalt:
                continue

    def enter_device_code(self):
        with self._lock:
            self._in_device_code.add(threading.get_ident())

    def leave_device_code(self):
        ident = threading.get_ident()
        with self._lock:
            self._in_device_code.discard(ident)
            _clear_pending(ident)

    def others(self):
        me = threading.current_thread()
        with self._lock:
            return [t for t in self._threads if t is not me]

    def interrupt(self, thread):
        """Raises DeviceHalt in ``thread`` if it is running device code now."""
        with self._lock:
            if thread.ident in self._in_device_code:
                _set_async_exc(thread.ident, DeviceHalt)

    def stop_others(self, grace_s=0.05, give_up_s=5.0):
        """Waits for the device's other threads to end (their waits are already halted),
        interrupting the ones that only compute. Returns the threads that would not stop."""
        waited = 0.0
        pending = self.others()
        while pending and waited < give_up_s:
            for thread in pending:
                thread.join(grace_s)
                waited += grace_s
                if thread.is_alive():
                    self.interrupt(thread)
            pending = [t for t in pending if t.is_alive()]
        return pending
