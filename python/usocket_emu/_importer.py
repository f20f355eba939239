"""A device's own import system.

Device code runs with a builtins dict of its own whose ``__import__`` is a DeviceImporter:
``import network`` in one device never sees another device's ``network``, helper modules load
from the device's /flash and /flash/lib, and the host (pytest, the runner) keeps CPython's
real ``sys.modules`` untouched.

Search order, as MicroPython 1.11's: built-in modules first; weak links (``time``,
``socket``...) look on the path first and fall back to their ``u`` module; then the path.
"""

import importlib
import os
import types

from . import device as device_modules

__all__ = ["DeviceImporter"]

#: MicroPython 1.11 modules whose host counterparts behave alike; device code gets the host's.
HOST_MODULES = {
    "array": "array",
    "cmath": "cmath",
    "collections": "collections",
    "heapq": "heapq",
    "math": "math",
    "re": "re",
    "ucollections": "collections",
    "uheapq": "heapq",
    "ure": "re",
    "uzlib": "zlib",
    "zlib": "zlib",
}


class DeviceImporter:
    """``__import__`` for one boot of one device."""

    def __init__(self, dev):
        self._dev = dev
        self._builtin = {}  # built-in device modules of this boot, by canonical name

    # The signature of builtins.__import__.
    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if level:
            name = self._absolute(name, globals, level)
        module = self.import_module(name)
        if fromlist:
            if hasattr(module, "__path__"):
                for item in fromlist:
                    if item != "*" and not hasattr(module, item):
                        try:
                            self.import_module(f"{module.__name__}.{item}")
                        except ImportError:
                            pass  # `from pkg import name` reports the missing name itself
            return module
        top = name.partition(".")[0]
        return self.import_module(top)

    @staticmethod
    def _absolute(name, globals, level):  # noqa: A002
        package = (globals or {}).get("__package__") or ""
        if not package:
            raise ImportError("attempted relative import with no known parent package")
        parts = package.split(".")
        if level > len(parts):
            raise ImportError("attempted relative import beyond top-level package")
        base = ".".join(parts[: len(parts) - level + 1])
        return f"{base}.{name}" if name else base

    def import_module(self, fullname):
        """The device module ``fullname``, loading it on first use."""
        modules = self._dev.modules
        if fullname in modules:
            return modules[fullname]
        parent, _, child = fullname.rpartition(".")
        if parent:
            package = self.import_module(parent)
            module = self._load_from_path(fullname, child, getattr(package, "__path__", None) or [])
            if module is None:
                raise ImportError(f"no module named '{fullname}'")
            setattr(package, child, module)
            return module
        builtin = self._builtin_name(fullname)
        if builtin is not None and fullname not in device_modules.WEAK_LINKS:
            return self._built(builtin)
        module = self._load_from_path(fullname, fullname, self._dev.sys_path())
        if module is not None:
            return module
        if builtin is not None:
            return self._built(builtin)
        if fullname in HOST_MODULES:
            return importlib.import_module(HOST_MODULES[fullname])
        if fullname == "builtins":
            return self._builtins_module()
        raise ImportError(f"no module named '{fullname}'")

    def built_modules(self):
        """The built-in device modules this boot has built so far."""
        return list(self._builtin.values())

    @staticmethod
    def _builtin_name(name):
        if name in device_modules.BUILTINS:
            return name
        return device_modules.WEAK_LINKS.get(name) or device_modules.ALIASES.get(name)

    def builtin_module(self, canonical):
        """Built-in device module ``canonical`` (e.g. 'network') of this boot, built now if
        no script has imported it yet."""
        return self._built(canonical)

    def _built(self, canonical):
        module = self._builtin.get(canonical)
        if module is None:
            module = device_modules.build(canonical, self._dev)
            self._builtin[canonical] = module
        return module

    def _builtins_module(self):
        module = self._builtin.get("builtins")
        if module is None:
            module = types.ModuleType("builtins")
            module.__dict__.update(self._dev.builtins)
            self._builtin["builtins"] = module
        return module

    def _load_from_path(self, fullname, leaf, directories):
        for directory in directories:
            device_dir = self._dev.resolve_path(directory) if directory else self._dev.cwd
            host_dir = self._dev.host_path(device_dir, must_exist=False)
            if host_dir is None:
                continue
            package_init = os.path.join(host_dir, leaf, "__init__.py")
            if os.path.isfile(package_init):
                return self._exec_file(fullname, f"{device_dir}/{leaf}/__init__.py", package_init,
                                       package_path=f"{device_dir}/{leaf}")
            source_file = os.path.join(host_dir, leaf + ".py")
            if os.path.isfile(source_file):
                return self._exec_file(fullname, f"{device_dir}/{leaf}.py", source_file)
            if os.path.isdir(os.path.join(host_dir, leaf)):  # a folder without __init__.py
                return self._namespace_package(fullname, f"{device_dir}/{leaf}")
        return None

    def _namespace_package(self, fullname, device_dir):
        module = types.ModuleType(fullname)
        module.__path__ = [device_dir]
        module.__dict__["__builtins__"] = self._dev.builtins
        self._dev.modules[fullname] = module
        return module

    def _exec_file(self, fullname, device_file, host_file, package_path=None):
        module = types.ModuleType(fullname)
        module.__file__ = device_file
        module.__dict__["__builtins__"] = self._dev.builtins
        if package_path is not None:
            module.__path__ = [package_path]
            module.__package__ = fullname
        else:
            module.__package__ = fullname.rpartition(".")[0]
        code = self._dev.compile_file(host_file)
        self._dev.modules[fullname] = module
        try:
            exec(code, module.__dict__)  # noqa: S102 - running device code is the point
        except BaseException:
            self._dev.modules.pop(fullname, None)
            raise
        return module
