"""uio / io (MicroPython 1.11 py/modio.c): open() is the device's VFS open, on its /flash;
StringIO and BytesIO are in-memory streams."""

import io as _host_io
import types

from .uos import FileIO, TextIOWrapper


def build(dev):
    module = types.ModuleType("uio", "MicroPython uio: files on the device's flash, in-memory streams.")
    module.open = dev.builtins["open"]  # the builtin open() of device code: the VFS open
    module.FileIO = FileIO
    module.TextIOWrapper = TextIOWrapper
    module.StringIO = _host_io.StringIO
    module.BytesIO = _host_io.BytesIO
    return module
