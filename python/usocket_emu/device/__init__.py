"""The modules a device script imports, built once per device boot.

Each submodule here builds one device module: ``build(dev) -> types.ModuleType``, where
``dev`` is the booting device's :class:`usocket_emu._device.Device`. Nothing in a built
module is shared with another device, or with the next boot of the same device.

What a factory may use of ``dev`` (a ``usocket_emu._device.Device``):

- ``dev.name``, ``dev.board`` (``'LoPy4'``...), ``dev.board_profile`` (the usocket constants
  of the board: ``'AF_LORA' in dev.board_profile`` tells a LoRa board),
  ``dev.strict_firmware``, ``dev.region``, ``dev.world`` (``ntp_epoch_s``, ``seed``)
- ``dev.config``: the config block (``wifi_mac`` 6 bytes, ``lpwan_mac`` 8 bytes,
  ``sigfox_id`` 4 bytes, ``sigfox_pac`` 8 bytes)
- ``dev.rng``: the device's seeded ``random.Random`` (same seed, same numbers)
- ``dev.now_us()``: emulated time; ``dev.uptime_us()``: since this boot;
  ``dev.sleep_us(n)``: an emulator wait of the calling device thread;
  ``dev.rtc_us()`` / ``dev.set_rtc_us(epoch_us)``: the RTC (1970 epoch; survives deep sleep
  and soft resets, restarts at 1970 after other resets)
- ``dev.state`` (``_state.DeviceState``): what survives a reset: ``nvs`` (key -> int or
  bytes), ``settings`` (the ``*_on_boot`` values), ``reset_cause``, ``wake_reason``,
  ``rtc_memory``, ``rtc_synced``; call ``dev.state.save()`` after changing nvs/settings
- ``dev.flash_dir``, ``dev.cwd`` (device path, settable), ``dev.resolve_path(p)``,
  ``dev.host_path(device_path)`` (None outside /flash)
- ``dev.console``: the device's stdout (``write(str)``); ``dev.print_exception(exc)``
- ``dev.irq``: the IRQ thread: ``schedule(handler, arg)`` queues ``handler(arg)``;
  ``start_alarm(callback, delay_us, period_us)`` -> handle runs ``callback()`` there;
  ``stop_alarm(handle)``; ``dead`` is True once a handler raised
- ``dev.threads.start(body, name)``: a device thread running ``body()`` (waits on the world
  let virtual time run; DeviceHalt ends it); ``dev.run_device_code(fn)`` runs device code on
  the calling device thread, printing what it raises as the firmware does
- ``dev.reboot(reset_cause, wake_reason=(0, None), delay_us=0, wake_check=None)``: never
  returns; ``delay_us=None`` sleeps until ``wake_check()`` names waking pins (or for ever)
- ``dev.reset_hooks``: callables run when this boot ends in a reset; ``dev.pin_listener``:
  machine's callback for ``dev.drive_pin()``; ``dev.pin_levels``, ``dev.rtc_slow``
- ``dev.start_thread(function, args, kwargs)``, ``dev.new_lock()``
- ``dev.stack``: the device's ``_core.Stack`` (``ip_interface_up`` settable)
- ``dev.modules``: its ``sys.modules``; ``dev.importer.import_module(name)``
- ``dev.log(event, **fields)``: one event in the world's JSON log
"""

import importlib
import types

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
    "uio",
    "ujson",
    "uos",
    "uselect",
    "usocket",
    "ustruct",
    "utime",
    "_thread",
)

#: MicroPython's weak links (esp32/mpconfigport.h MICROPY_PORT_BUILTIN_MODULE_WEAK_LINKS): ``import time`` finds a time.py on the path first, else utime.
WEAK_LINKS = {
    "binascii": "ubinascii",
    "crypto": "crypto",
    "errno": "uerrno",
    "hashlib": "uhashlib",
    "io": "uio",
    "json": "ujson",
    "machine": "machine",
    "os": "uos",
    "select": "uselect",
    "socket": "usocket",
    "struct": "ustruct",
    "time": "utime",
}

#: Other names of built-in modules.
ALIASES = {"ucrypto": "crypto", "umachine": "machine"}


def build(name, dev):
    """Builds device module ``name`` (one of BUILTINS) for ``dev``."""
    module = importlib.import_module(f"{__name__}.{name}").build(dev)
    _device_qualnames(module)
    return module


def _device_qualnames(module):
    """Functions and classes made inside a factory are named ``build.<locals>.freq``; CPython
    puts that name in argument errors. Device code sees ``freq()`` / ``Pin.value()``."""
    for value in list(vars(module).values()):
        _rename(value, getattr(value, "__name__", ""), set())


def _rename(value, qualname, seen):
    function = getattr(value, "__func__", value)  # staticmethod, classmethod
    if isinstance(function, types.FunctionType):
        if "<locals>" in function.__qualname__:
            function.__qualname__ = qualname
    elif isinstance(value, type) and value.__module__ != "builtins" and id(value) not in seen:
        seen.add(id(value))
        if "<locals>" in value.__qualname__:
            value.__qualname__ = qualname
        for attr, member in vars(value).items():
            _rename(member, f"{value.__qualname__}.{attr}", seen)
