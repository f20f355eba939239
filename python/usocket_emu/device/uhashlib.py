"""uhashlib / hashlib of Pycom firmware 1.20.2 (esp32/mods/moduhashlib.c).

md5, sha1, sha224, sha256, sha384 and sha512, each ``hasher([data])`` with ``update(data)``
and ``digest()`` only: no ``hexdigest`` (AttributeError; the firmware and the documentation
say to hexlify the digest), no ``copy``, ``name`` or ``digest_size``. Data is anything with
the buffer protocol, str included.

As on the device:

* ``digest()`` is final: it may be called again (same bytes), and later ``update()`` calls
  are silently ignored;
* one hash operation at a time (the ESP32's SHA engine; the documentation says so too):
  making a hasher while another one has not been digested raises
  ``OSError('only one active hash operation is permitted at a time')``. The firmware frees
  the engine on ``digest()`` only, so an abandoned hasher blocks hashing until reset; the
  default profile also frees it when that hasher is garbage-collected, the strict firmware
  profile does not.
"""

import hashlib as _host_hashlib
import types
import weakref

from ._args import read_buffer

__all__ = ["build"]

#: The algorithms and their order in the module's table (moduhashlib.c globals).
ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")


def _hasher_class(name, engine, module_name):
    """One hasher type; ``engine`` is the module's single hash engine."""

    def __new__(cls, *args, **kwargs):
        if kwargs:
            raise TypeError("function doesn't take keyword arguments")
        if len(args) > 1:
            raise TypeError(f"function expected at most 1 arguments, got {len(args)}")
        engine.acquire()
        self = object.__new__(cls)
        self._state = _host_hashlib.new(name)
        self._digest = None
        engine.attach(self)
        if args:
            self._state.update(read_buffer(args[0]))
        return self

    def update(self, data, /):
        """update(data): feeds more data (ignored once digest() was called)."""
        if self._digest is None:
            self._state.update(read_buffer(data))

    def digest(self, /):
        """digest() -> bytes; final: later update() calls are ignored."""
        if self._digest is None:
            self._digest = self._state.digest()
            self._state = None
            engine.release(self)
        return self._digest

    namespace = {
        "__new__": __new__,
        "update": update,
        "digest": digest,
        "__slots__": ("_state", "_digest", "__weakref__"),
        "__module__": module_name,
        "__doc__": f"{name}([data]): a {name} hasher.",
    }
    for function in (__new__, update, digest):
        function.__qualname__ = f"{name}.{function.__name__}"
        function.__module__ = module_name
    return type(name, (), namespace)


class _Engine:
    """moduhashlib.c's hash_busy flag: one undigested hasher at a time, per device."""

    def __init__(self, release_on_collect):
        self._busy = False
        self._release_on_collect = release_on_collect
        self._finalizer = None

    def acquire(self):
        if self._busy:
            raise OSError("only one active hash operation is permitted at a time")
        self._busy = True

    def attach(self, hasher):
        if self._release_on_collect:
            self._finalizer = weakref.finalize(hasher, self._free)

    def release(self, hasher):
        del hasher
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        self._busy = False

    def _free(self):
        self._finalizer = None
        self._busy = False


def build(dev):
    """The uhashlib module of one device boot (the busy flag is reset by a reboot)."""
    engine = _Engine(release_on_collect=not getattr(dev, "strict_firmware", False))
    module = types.ModuleType("uhashlib", "Pycom uhashlib: MD5 and SHA hashing, one at a time.")
    for name in ALGORITHMS:
        setattr(module, name, _hasher_class(name, engine, "uhashlib"))
    return module
