"""sys as MicroPython 1.11 on Pycom's esp32 port has it."""

import types



class _Implementation(tuple):
    """sys.implementation: (name, version) with attribute access."""

    __slots__ = ()

    @property
    def name(self):
        return self[0]

    @property
    def version(self):
        return self[1]


def build(dev):
    module = types.ModuleType("sys", "MicroPython sys.")

    def exit(code=None):  # noqa: A001
        """sys.exit([code]): raises SystemExit (a soft reset when main.py does it)."""
        raise SystemExit(code) if code is not None else SystemExit

    def print_exception(exc, file=None):
        """print_exception(exc[, file]): the traceback as the device prints it."""
        dev.print_exception(exc, file)

    def exc_info():
        import sys as host_sys
        return host_sys.exc_info()

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
