"""_thread (MicroPython modthread.c): threads that belong to their device; locks whose waits
are emulator waits, so a thread blocked on a lock lets virtual time run."""

import types

from ._args import check_at_most, check_int, int32

_NO_KWARGS = object()


def build(dev):
    module = types.ModuleType("_thread", "MicroPython _thread: device threads and locks.")

    class LockType:
        """A lock: acquire(waitflag=1, timeout=-1), release(), locked(); `with` works."""

        __slots__ = ("_box",)

        def __new__(cls, *args, **kwargs):
            # mp_type_thread_lock has no make_new: only allocate_lock() makes locks
            raise TypeError("cannot create 'lock' instances")

        def acquire(self, waitflag=1, timeout=-1):
            if not check_int(waitflag):
                return self._box.try_take() is not None
            if isinstance(timeout, (int, float)) and timeout >= 0:
                deadline = dev.now_us() + round(timeout * 1_000_000)
                return self._box.take(deadline) is not None
            return self._box.take() is not None

        def release(self):
            if not self._box.post(1):
                # modthread.c: mp_raise_msg(&mp_type_RuntimeError, NULL), no message
                raise RuntimeError

        def locked(self):
            return len(self._box) == 0

        def __enter__(self):
            return self.acquire()

        def __exit__(self, exc_type, exc, tb):
            self.release()

    LockType.__name__ = LockType.__qualname__ = "lock"

    def start_new_thread(function, args, kwargs=_NO_KWARGS):
        """start_new_thread(function, args_tuple[, kwargs_dict]) -> None."""
        if not isinstance(args, (tuple, list)):
            # mp_obj_get_array (py/obj.c)
            raise TypeError(f"object '{type(args).__name__}' isn't a tuple or list")
        if kwargs is not _NO_KWARGS and type(kwargs) is not dict:
            # modthread.c: mp_obj_get_type(args[2]) != &mp_type_dict (None too, subclasses too)
            raise TypeError("expecting a dict for keyword args")
        dev.start_thread(function, tuple(args), dict({} if kwargs is _NO_KWARGS else kwargs))
        # modthread.c mod_thread_start_new_thread returns mp_const_none, not an id

    def allocate_lock():
        lock = object.__new__(LockType)
        lock._box = dev.new_lock()
        return lock

    def get_ident():
        import threading
        return threading.get_ident()

    stack_size_bytes = [0]

    def stack_size(*size):
        """stack_size([n]) -> the previous size (0: the default); stack_size() resets it to 0."""
        check_at_most(size, 1)
        previous = stack_size_bytes[0]
        # modthread.c: no argument sets thread_stack_size = 0; else the size_t of
        # mp_obj_get_int(n), returned next time by mp_obj_new_int_from_uint
        stack_size_bytes[0] = int32(size[0]) % (1 << 32) if size else 0
        return previous

    def exit():  # noqa: A001
        raise SystemExit

    module.LockType = LockType
    for function in (start_new_thread, allocate_lock, get_ident, stack_size, exit):
        function.__module__ = "_thread"
        setattr(module, function.__name__, function)
    return module
