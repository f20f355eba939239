"""The modules a device script imports, built once per device boot.

Each submodule here builds one device module: ``build(dev) -> types.ModuleType``, where
``dev`` is the booting device's :class:`usocket_emu._device.Device`. Nothing in a built
module is shared with another device, or with the next boot of the same device.

What a factory may use of ``dev`` (and nothing else):

- ``dev.name``, ``dev.board`` (``'LoPy4'``...), ``dev.board_profile`` (``has_lora``,
  ``has_sigfox``), ``dev.strict_firmware``, ``dev.region``
- ``dev.config``: the config block (``wifi_mac`` 6 bytes, ``lpwan_mac`` 8 bytes)
- ``dev.rng``: the device's seeded ``random.Random``
- ``dev.now_us()``: emulated time; ``dev.uptime_us()``: since this boot;
  ``dev.sleep_us(n)``: an emulator wait (raises DeviceHalt when the device resets)
- ``dev.state``: what survives a reboot (``nvs``, ``settings``, ``rtc_offset_us``,
  ``rtc_memory``, ``reset_cause``, ``wake_reason``...), saved with ``--state``
- ``dev.flash_dir``, ``dev.host_path(device_path)``, ``dev.cwd``: the device's /flash
- ``dev.stdout``: the device's console (``write(str)``); ``dev.print_exception(exc)``
- ``dev.irq``: the device's IRQ thread (``schedule(handler, arg)``, ``start_alarm`` ...)
- ``dev.reboot(reset_cause, wake_reason, delay_us)``: never returns
- ``dev.start_thread(function, args, kwargs)``, ``dev.new_lock()``
- ``dev.stack``: the device's ``_core.Stack``; ``dev.modules``: its ``sys.modules``
"""

import importlib

#: Built-in modules of firmware 1.20.2, by the name they are built under.
BUILTINS = (
    "crypto",
    "gc",
    "machine",
    "micropython",
    "network",
    "pycom",
    "sys",
    "ubinascii",
    "uerrno",
    "uhashlib",
    "ujson",
    "uos",
    "uselect",
    "usocket",
    "ustruct",
    "utime",
    "_thread",
)

#: MicroPython's weak links: ``import time`` finds a time.py on the path first, else utime.
WEAK_LINKS = {
    "binascii": "ubinascii",
    "errno": "uerrno",
    "hashlib": "uhashlib",
    "json": "ujson",
    "os": "uos",
    "select": "uselect",
    "socket": "usocket",
    "struct": "ustruct",
    "time": "utime",
}

#: Other names of built-in modules.
ALIASES = {"umachine": "machine"}


def build(name, dev):
    """Builds device module ``name`` (one of BUILTINS) for ``dev``."""
    return importlib.import_module(f"{__name__}.{name}").build(dev)
