"""usocket_emu.World: devices running unchanged scripts in one world, in real or virtual time.

    world = World(time="virtual", seed=1)
    node = world.add_device("node", "examples/blink/")
    world.run(until_s=3600)
    print(node.output)
"""

import json
import os
import shutil
import tempfile
import time as _host_time

from . import _core
from ._console import HostPrinter
from ._device import REBOOT_TIME_US, Device, DeviceConfig

__all__ = ["World"]

#: Files and folders never uploaded to a device's flash.
_NOT_UPLOADED = shutil.ignore_patterns("__pycache__", ".*", "*.pyc")


class World:
    """An emulated world: a clock (``time="virtual"`` or ``"real"``), a seeded random
    generator, and devices running scripts.

    ``log``: a file that receives one JSON object per emulator event. ``state_dir``: keeps
    each device's NVS, settings and flash between runs. ``output``: a stream that echoes
    what devices print (prefixed with their names when there are several).
    ``ntp_epoch_s``: what NTP answers at emulated time 0 (default: the host clock now).
    """

    def __init__(self, time="virtual", seed=0, *, log=None, state_dir=None, output=None,
                 ntp_epoch_s=None, reboot_time_ms=None):
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError("seed must be a non-negative int")
        self._core = _core.World(time, seed)
        self.time = time
        self.seed = seed
        self.devices = {}
        self.ntp_epoch_s = _host_time.time() if ntp_epoch_s is None else float(ntp_epoch_s)
        self.reboot_time_us = REBOOT_TIME_US if reboot_time_ms is None else int(reboot_time_ms * 1000)
        self._printer = HostPrinter(output) if output is not None else None
        self._state_dir = state_dir
        self._scratch = tempfile.TemporaryDirectory(prefix="usocket-emu-")
        self._closed = False
        self._core.keep_log_in_memory(True)
        if log is not None:
            self._core.open_log(os.fspath(log))

    # --- devices ----------------------------------------------------------------------

    def add_device(self, name, target=None, *, script=None, board="LoPy4", region="EU868",
                   position_m=(0.0, 0.0), strict_firmware=False, keys=None, wifi_mac=None,
                   lpwan_mac=None):
        """Adds a device running ``target`` (a script file, or a folder standing for its
        /flash) or the source text ``script``; it boots at the next run()."""
        self._check_open()
        if not isinstance(name, str) or not name or "/" in name or name in self.devices:
            raise ValueError(f"bad or duplicate device name {name!r}")
        if (target is None) == (script is None):
            raise ValueError("give a target (file or folder) or a script, not both")
        if len(position_m) != 2:
            raise ValueError("position_m is (x, y) in metres")
        state_dir = None if self._state_dir is None else os.path.join(self._state_dir, name)
        flash_dir = os.path.join(state_dir if state_dir else os.path.join(self._scratch.name, name), "flash")
        source_paths = _upload(target, script, flash_dir)
        device = Device(
            self, name, flash_dir, source_paths, board=board, region=region, position_m=position_m,
            strict_firmware=strict_firmware, keys=keys,
            config=DeviceConfig(self.seed, name, wifi_mac, lpwan_mac), state_dir=state_dir,
        )
        self.devices[name] = device
        self._core.log("device_added", name, {"board": board, "region": region,
                                              "x_m": device.position_m[0], "y_m": device.position_m[1]})
        return device

    # --- running --------------------------------------------------------------------------

    @property
    def now_us(self):
        return self._core.now_us()

    @property
    def now_s(self):
        return self._core.now_us() / 1e6

    def run(self, until_s=None):
        """Runs the world until emulated time ``until_s``, or until nothing can happen any
        more. Returns why it stopped: 'until_reached' or 'idle'. Can be called again."""
        self._check_open()
        if self._printer is not None and len(self.devices) > 1:
            self._printer.use_prefixes(max(len(n) for n in self.devices))
        for device in self.devices.values():
            if device._main_thread is None:
                device.start()
        until_us = None if until_s is None else round(float(until_s) * 1e6)
        return self._core.run(until_us)

    def close(self):
        """Stops every device and releases what the world holds. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._core.halt()
        for device in self.devices.values():
            threads = device.threads.others()
            for thread in threads:
                device.threads.interrupt(thread)
            for thread in threads:
                thread.join(5.0)
            device.state.save()
        if self._printer is not None:
            self._printer.flush()
        self._scratch.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed:
            raise RuntimeError("this world is closed")

    # --- the event log --------------------------------------------------------------------

    def events(self, event=None):
        """The logged events (dicts), optionally only those named ``event``."""
        records = [json.loads(line) for line in self._core.logged_lines()]
        return records if event is None else [r for r in records if r["event"] == event]


def _upload(target, script, flash_dir):
    """Copies the device's files into its flash, as an upload tool would: files of the same
    name are replaced, others (written by earlier runs) stay. Returns flash file -> origin."""
    os.makedirs(flash_dir, exist_ok=True)
    if script is not None:
        with open(os.path.join(flash_dir, "main.py"), "w", encoding="utf-8") as f:
            f.write(script)
        return {}
    target = os.path.abspath(os.fspath(target))
    if os.path.isdir(target):
        shutil.copytree(target, flash_dir, ignore=_NOT_UPLOADED, dirs_exist_ok=True)
        origins = {}
        for root, _dirs, files in os.walk(target):
            rel = os.path.relpath(root, target)
            for name in files:
                if name.endswith(".py"):
                    origins[os.path.normpath(os.path.join(flash_dir, rel, name))] = os.path.join(root, name)
        return origins
    if os.path.isfile(target):
        destination = os.path.join(flash_dir, "main.py")
        shutil.copyfile(target, destination)
        return {destination: target}
    raise FileNotFoundError(f"no such script or folder: {target}")
