"""pycom (Pycom modpycom.c, firmware 1.20.2): the RGB LED, NVS and the *_on_boot settings.

NVS values live in ``dev.state.nvs`` (key -> int or bytes; str values are kept as their UTF-8
bytes and read back as str, as nvs_set_str/nvs_get_str do) and survive resets and, with a
state folder, runs. The *_on_boot settings live in ``dev.state.settings`` and take effect
at the next boot (the Device reads ``wifi_on_boot``; this module reads
``heartbeat_on_boot``; network reads the wifi_* ones).

Not modelled: ota_* / ota_slot / ota_verify / diff_update_enabled / bootmgr (no firmware
image to update), pulses_get (no RMT pins), sigfox_info (config-block writes) and the
Pybytes-variant functions (pybytes_*).
"""

import types

from .._errors import OSError
from ._args import check_at_most, check_int, get_str

#: The PY_NVM namespace's key limit: NVS_KEY_NAME_MAX_SIZE 16 with the NUL (ESP-IDF nvs.h).
NVS_KEY_MAX = 15
#: modpycom.c nvs_set: "Maximum length (including null character) can be 1984 bytes".
NVS_STR_MAX = 1984
#: Capacity model of the nvs partition (esp32/lib/partitions.csv: nvs 0x7000 = 7 pages of
#: 4096 bytes). ESP-IDF 3.3 NVS: a page holds 126 entries of 32 bytes (32-byte header and
#: 32-byte state bitmap aside) and one page is kept free for garbage collection, so 6 * 126
#: entries, less the PY_NVM namespace entry. A u32 takes 1 entry, a string 1 header entry
#: plus ceil((len + 1) / 32) data entries. Other namespaces (phy calibration, LoRa nvram)
#: and page fragmentation are not counted.
NVS_ENTRIES = 6 * 126 - 1
NVS_ENTRY_BYTES = 32

#: modpycom.c WDT_ON_BOOT_MIN_TIMEOUT_MS.
WDT_ON_BOOT_MIN_TIMEOUT_MS = 5000

#: The factory defaults of the settings (pycom-documentation pycom.md: heartbeat and
#: Wi-Fi on at boot, the AP mode; the WDT off). wdt_on_boot_timeout's default is a model
#: value (the minimum).
SETTING_DEFAULTS = {
    "heartbeat_on_boot": True,
    "wifi_on_boot": True,
    "wifi_mode_on_boot": 2,  # WLAN.AP (modpycom.c wifi_mode_on_boot: 0 none, 1 STA, 2 AP, 3 STA_AP)
    "wifi_ssid_sta": None,
    "wifi_pwd_sta": None,
    "wifi_ssid_ap": None,
    "wifi_pwd_ap": None,
    "wdt_on_boot": False,
    "wdt_on_boot_timeout": WDT_ON_BOOT_MIN_TIMEOUT_MS,
    "lte_modem_en_on_boot": False,
    "smart_config_on_boot": False,
}

#: pycom.get_free_heap() model figures: (internal RAM, PSRAM or 'NO_EXT_RAM'). The boards
#: with 4 MB PSRAM are the second generation ones (LoPy4, FiPy, WiPy 3).
FREE_HEAP_INTERNAL = 113_000
FREE_HEAP_PSRAM = 4_094_000
PSRAM_BOARDS = ("LoPy4", "FiPy", "WiPy")


def setting(dev, name):
    """A *_on_boot setting of ``dev`` (its stored value or the factory default)."""
    return dev.state.settings.get(name, SETTING_DEFAULTS[name])


def _entries(value):
    if isinstance(value, int):
        return 1
    return 1 + (len(value) + 1 + NVS_ENTRY_BYTES - 1) // NVS_ENTRY_BYTES


def build(dev):
    module = types.ModuleType("pycom", "Pycom pycom: RGB LED, NVS, boot settings.")
    led = {"heartbeat": bool(setting(dev, "heartbeat_on_boot")), "color": 0}
    nvs = dev.state.nvs
    settings = dev.state.settings

    def heartbeat(*args):
        """heartbeat([on]): the heartbeat LED's state, or sets it."""
        check_at_most(args, 1)
        if not args:
            return led["heartbeat"]
        led["heartbeat"] = bool(args[0])
        dev.log("heartbeat", on=led["heartbeat"])
        return None

    def rgbled(*args):
        """rgbled([0xRRGGBB]): the LED colour, or sets it; not while the heartbeat runs."""
        check_at_most(args, 1)
        if led["heartbeat"]:
            raise OSError("the requested operation is not possible")
        if not args:
            return led["color"]
        led["color"] = check_int(args[0]) & 0xFFFFFFFF  # led_info.color.value is a uint32
        dev.log("rgbled", color=led["color"])
        return None

    def nvs_set(key, value):
        """nvs_set(key, value): value an int (kept as unsigned 32-bit) or str/bytes."""
        name = get_str(key)
        if isinstance(value, (str, bytes)):
            data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            data = data.split(b"\0", 1)[0]  # nvs_set_str takes a C string
            if len(data) >= NVS_STR_MAX:
                raise ValueError(f"value too long (max: {NVS_STR_MAX})")
            stored = data
        elif isinstance(value, int):
            stored = int(value) & 0xFFFFFFFF  # mp_obj_get_int_truncated into a uint32_t
        else:
            raise ValueError("Value must be string, bytes or integer")
        if len(name.encode("utf-8")) > NVS_KEY_MAX:
            raise ValueError("Key is too long")
        used = sum(_entries(v) for k, v in nvs.items() if k != name)
        if used + _entries(stored) > NVS_ENTRIES:
            raise OSError("No free space available")
        nvs[name] = stored
        dev.state.save()

    def nvs_get(key, *default):
        """nvs_get(key[, default]): the int or str stored, else default or ValueError."""
        if len(default) > 1:
            raise TypeError(f"function expected at most 2 arguments, got {1 + len(default)}")
        name = get_str(key)
        if name in nvs:
            value = nvs[name]
            return value if isinstance(value, int) else value.decode("utf-8", "replace")
        if default:
            return default[0]
        raise ValueError("No matching object for the provided key")

    def nvs_erase(key):
        name = get_str(key)
        if name not in nvs:
            raise KeyError("key not found")
        del nvs[name]
        dev.state.save()

    def nvs_erase_all():
        nvs.clear()
        dev.state.save()

    def _bool_setting(name):
        def accessor(*args):
            check_at_most(args, 1)
            if not args:
                return bool(setting(dev, name))
            settings[name] = bool(args[0])
            dev.state.save()
            return None
        accessor.__name__ = accessor.__qualname__ = name
        accessor.__doc__ = f"{name}([on]): read at the next boot."
        return accessor

    def _str_setting(name):
        def accessor(*args):
            check_at_most(args, 1)
            if not args:
                return setting(dev, name)
            if args[0] is None:
                settings[name] = None
            elif isinstance(args[0], str):
                settings[name] = args[0]
            else:
                return None  # modpycom.c ignores anything but None or a str
            dev.state.save()
            return None
        accessor.__name__ = accessor.__qualname__ = name
        accessor.__doc__ = f"{name}([str or None]): read at the next boot."
        return accessor

    def wifi_on_boot(*args):
        """wifi_on_boot([on[, reconfig]]): Wi-Fi at the next boot; reconfig=True applies it now."""
        check_at_most(args, 2)
        if not args:
            return bool(setting(dev, "wifi_on_boot"))
        on = bool(args[0])
        if on != bool(setting(dev, "wifi_on_boot")):
            settings["wifi_on_boot"] = on
            dev.state.save()
            if len(args) > 1 and args[1]:
                wlan = dev.importer.builtin_module("network")._wlan
                if on:
                    wlan.boot_setup()
                else:
                    wlan.deinit()
        return None

    def wifi_mode_on_boot(*args):
        """wifi_mode_on_boot([mode]): 0 none, 1 STA, 2 AP, 3 STA_AP at the next boot."""
        check_at_most(args, 1)
        if not args:
            return setting(dev, "wifi_mode_on_boot")
        mode = check_int(args[0])
        if 0 <= mode <= 3:  # others are ignored, as modpycom.c does
            settings["wifi_mode_on_boot"] = mode
            dev.state.save()
        return None

    def wdt_on_boot_timeout(*args):
        check_at_most(args, 1)
        if not args:
            return setting(dev, "wdt_on_boot_timeout")
        timeout_ms = check_int(args[0]) & 0xFFFFFFFF  # a uint32_t in modpycom.c
        if timeout_ms < WDT_ON_BOOT_MIN_TIMEOUT_MS:
            raise ValueError(f"WDT on boot timeout must be >= {WDT_ON_BOOT_MIN_TIMEOUT_MS} ms")
        settings["wdt_on_boot_timeout"] = timeout_ms
        dev.state.save()
        return None

    def get_free_heap():
        """(free internal RAM, free PSRAM or 'NO_EXT_RAM'): model figures."""
        return (FREE_HEAP_INTERNAL, FREE_HEAP_PSRAM if dev.board in PSRAM_BOARDS else "NO_EXT_RAM")

    functions = [heartbeat, rgbled, nvs_set, nvs_get, nvs_erase, nvs_erase_all, wifi_on_boot,
                 wifi_mode_on_boot, wdt_on_boot_timeout, get_free_heap]
    functions += [_bool_setting(n) for n in ("heartbeat_on_boot", "wdt_on_boot", "lte_modem_en_on_boot",
                                             "smart_config_on_boot")]
    functions += [_str_setting(n) for n in ("wifi_ssid_sta", "wifi_pwd_sta", "wifi_ssid_ap", "wifi_pwd_ap")]
    for function in functions:
        function.__module__ = "pycom"
        setattr(module, function.__name__, function)
    # modpycom.c class constants
    module.FACTORY = 0
    module.OTA_0 = 1
    module.FAT = 0
    module.LittleFS = 1
    return module
