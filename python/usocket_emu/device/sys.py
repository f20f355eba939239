"""sys as MicroPython 1.11 on Pycom's esp32 port has it."""

import types

_NO_CODE = object()


class _Implementation(tuple):
    """sys.implementation: (name, version) with attribute access."""

    __slots__ = ()

    @property
    def name(self):
        return self[0]

    @property
    def version(self):
        return self[1]

    def __repr__(self):
        # an attrtuple (py/objattrtuple.c) prints its field names
        return f"(name={self[0]!r}, version={self[1]!r})"

    __str__ = __repr__


def build(dev):
    module = types.ModuleType("sys", "MicroPython sys.")

    def exit(code=_NO_CODE):  # noqa: A001
        """sys.exit([code]): raises SystemExit (a soft reset when main.py does it)."""
        # modsys.c: mp_obj_new_exception_args(&mp_type_SystemExit, n_args, args), so
        # exit(None) carries None as its argument and exit() none at all
        raise SystemExit if code is _NO_CODE else SystemExit(code)

    def print_exception(exc, file=None):
        """print_exception(exc[, file]): the traceback as the device prints it."""
        if not isinstance(exc, BaseException):
            # mp_obj_print_exception (py/obj.c) prints any other object as it is
            (dev.console if file is None else file).write(f"{exc!r}\n")
            return
        dev.print_exception(exc, file)

    def exc_info():
        import sys as host_sys
        exc_type, exc, _tb = host_sys.exc_info()
        # modsys.c: "we don't support traceback objects": the third item is None
        return (exc_type, exc, None)

    module.argv = []
    module.byteorder = "little"
    module.exit = exit
    module.exc_info = exc_info
    module.implementation = _Implementation(("micropython", (1, 11, 0)))
    module.maxsize = (1 << 31) - 1
    module.modules = dev.modules
    module.path = dev.sys_path()
    module.platform = dev.board
    module.print_exception = print_exception
    module.stdin = None
    module.stdout = dev.stdout
    module.stderr = dev.stdout
    module.version = "3.4.0"
    module.version_info = (3, 4, 0)
    return module
