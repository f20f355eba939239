"""What a device keeps across resets, and (with ``--state DIR``) across runs.

Across a reset or deep sleep: NVS, the ``*_on_boot`` settings, the RTC (time and memory)
and the flash. Across runs (a power cycle): NVS, the settings and the flash, saved in the
device's state folder; the RTC starts again at 1970 as after a cold boot.
"""

import json
import os
import threading

__all__ = ["DeviceState"]


class DeviceState:
    def __init__(self, state_dir=None):
        self._dir = state_dir
        self._lock = threading.Lock()
        self.nvs = {}          # key -> int or bytes
        self.settings = {}     # pycom *_on_boot settings
        self.reset_cause = 0   # PWRON_RESET
        self.wake_reason = (0, None)  # (PWRON_WAKE, None)
        self.rtc_offset_us = None  # RTC time = offset + emulated time; None until first boot
        self.rtc_memory = b""
        self.rtc_synced = False
        self.extra = {}        # later subsystems (LoRa NVRAM...) keep their own entries here
        # name -> callable run before each save: a subsystem whose state lives in C++ (the
        # Sigfox sequence number) copies it into `extra` there. Replaced on each boot.
        self.save_hooks = {}
        if state_dir is not None:
            self._load()

    @property
    def path(self):
        return None if self._dir is None else os.path.join(self._dir, "state.json")

    def _load(self):
        path = self.path
        if not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.nvs = {key: bytes.fromhex(value["bytes"]) if isinstance(value, dict) else int(value)
                    for key, value in data.get("nvs", {}).items()}
        self.settings = dict(data.get("settings", {}))
        self.extra = dict(data.get("extra", {}))

    def save(self):
        """Writes the state folder (no-op without one). Atomic: a crash keeps the old file."""
        for hook in list(self.save_hooks.values()):
            hook()
        if self._dir is None:
            return
        with self._lock:
            data = {
                "nvs": {key: {"bytes": value.hex()} if isinstance(value, bytes) else value
                        for key, value in self.nvs.items()},
                "settings": self.settings,
                "extra": self.extra,
            }
            os.makedirs(self._dir, exist_ok=True)
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
