"""_thread (MicroPython modthread.c): threads that belong to their device; locks whose waits
are emulator waits, so a thread blocked on a lock lets virtual time run."""

import types

from ._args import check_int


def build(dev):
    module = types.ModuleType("_thread", "MicroPython _thread: device threads and locks.")

    class LockType:
        """A lock: acquire(waitflag=1, timeout=-1), release(), locked(); `with` works."""

        __slots__ = ("_box",)

        def __init__(self):
            self._box = dev.new_lock()

        def acquire(self, waitflag=1, timeout=-1):
            if not check_int(waitflag):
                return self._box.try_take() is not None
            if isinstance(timeout, (int, float)) and timeout >= 0:
                deadline = dev.now_us() + round(timeout * 1_000_000)
                return self._box.take(deadline) is not None
            return self._box.take() is not None

        def release(self):
            if not self._box.post(1):
                raise RuntimeError("lock not acquired")

        def locked(self):
            return len(self._box) == 0

        def __enter__(self):
            return self.acquire()

        def __exit__(self, *exc):
            self.release()

    LockType.__name__ = LockType.__qualname__ = "lock"

    def start_new_thread(function, args, kwargs=None):
        """start_new_thread(function, args_tuple[, kwargs_dict]) -> thread id."""
        if not isinstance(args, (tuple, list)):
            raise TypeError("expecting a tuple or list for args")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError("expecting a dict for keyword args")
        return dev.start_thread(function, tuple(args), dict(kwargs or {}))

    def allocate_lock():
        return LockType()

    def get_ident():
        import threading
        return threading.get_ident()

    stack_size_bytes = [0]

    def stack_size(size=None):
        """stack_size([n]) -> the previous size (0: the default)."""
        previous = stack_size_bytes[0]
        if size is not None:
            stack_size_bytes[0] = check_int(size)
        return previous

    def exit():  # noqa: A001
        raise SystemExit

    module.LockType = LockType
    for function in (start_new_thread, allocate_lock, get_ident, stack_size, exit):
        function.__module__ = "_thread"
        setattr(module, function.__name__, function)
    return module
