"""The OSError that device code sees for an errno.

Firmware 1.20 raises ``OSError(n)`` with the device's (newlib) numbers and prints it as
``OSError: [Errno 11] EAGAIN``. On CPython, ``OSError(n, msg)`` would pick a subclass from
the *host's* errno table (device ENETDOWN 115 is Linux's EINPROGRESS, so it would become
BlockingIOError), so errno errors are raised as this subclass instead: it prints like the
device, keeps ``e.args == (n,)``, is caught by ``except OSError`` and never by
``except socket.timeout``.
"""

import builtins
import threading

from . import _core

__all__ = ["DeviceHalt", "OSError", "use_strict_firmware_errors"]

_thread_profile = threading.local()  # what the calling device thread's firmware has


def use_strict_firmware_errors(strict):
    """Tells the errors seen on the calling thread which firmware the device runs: with the
    strict profile (1.20.2 exactly) they have no ``errno`` attribute."""
    _thread_profile.strict = bool(strict)


class OSError(builtins.OSError):  # noqa: A001 - the device's name for it
    """OSError(errno) with the device's numbering and printing."""

    __module__ = "builtins"  # tracebacks print "OSError: ...", as on the device

    @property
    def errno(self):
        """The device errno: firmware 1.18's attribute, which the official documentation
        shows. Firmware 1.20 has only ``args``, so device code of the strict profile gets
        AttributeError, as on the board (host code, a test, always sees it)."""
        if getattr(_thread_profile, "strict", False):
            raise AttributeError("'OSError' object has no attribute 'errno'")
        return self.args[0] if self.args else None

    def __str__(self):
        if len(self.args) == 1 and isinstance(self.args[0], int):
            number = self.args[0]
            name = _core.errno_name(number)
            return f"[Errno {number}] {name}" if name else str(number)
        return super().__str__()


OSError.__qualname__ = "OSError"


class DeviceHalt(BaseException):
    """Unwinds a device's thread when the device resets, sleeps deeply or its world stops.

    A BaseException, so a script's ``except Exception`` does not swallow it.
    """
