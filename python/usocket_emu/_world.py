"""usocket_emu.World: devices running unchanged scripts in one world, in real or virtual time.

    world = World(time="virtual", seed=1)
    node = world.add_device("node", "examples/blink/")
    world.run(until_s=3600)
    print(node.output)
"""

import gc
import json
import os
import shutil
import tempfile
import threading
import time as _host_time

from . import _core
from ._console import HostPrinter
from ._device import REBOOT_TIME_US, Device, DeviceConfig
from ._network import Network, check_options, region_code
from ._sigfox_network import SigfoxBackend, check_sigfox_options
from .device._args import MAX_WAIT_US

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
    ``radio``: the LoRa medium's model settings, e.g. ``{"capture": False,
    "shadowing_sigma_db": 3.57}`` (docs/radio.md lists them; ``world.radio_model`` shows
    the values in use). ``duty_cycle=True`` makes every LoRaWAN MAC keep the regional
    duty-cycle limits, which the firmware leaves off. ``keep_events=False`` keeps no event log in memory (events() is
    then empty): for long runs with many radios. ``pcap``: a file that receives every LoRa
    frame on the air as a Wireshark capture (LoRaTap, link type 270, emulated timestamps;
    docs/radio.md), flushed frame by frame and closed with the world.
    ``network``: settings of the embedded LoRaWAN network server, for every region's
    network (``world.network(region)``), e.g. ``{"strict": True, "echo": True,
    "net_id": 0x13}`` (usocket_emu._network.NETWORK_OPTIONS lists them). ``sigfox``:
    settings of the Sigfox backend (``world.sigfox``), e.g. ``{"echo": True,
    "uplinks_per_day": 140}`` (usocket_emu._sigfox_network.SIGFOX_OPTIONS lists them).
    """

    #: The gateway a region's network gets when a device joins and none was added.
    DEFAULT_GATEWAY = ("gateway", (0.0, 0.0))

    def __init__(self, time="virtual", seed=0, *, log=None, state_dir=None, output=None,
                 ntp_epoch_s=None, reboot_time_ms=None, radio=None, keep_events=True, pcap=None,
                 network=None, duty_cycle=False, sigfox=None):
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
            raise ValueError("seed must be an int from 0 to 2**64-1")
        if ntp_epoch_s is not None:
            ntp_epoch_s = _seconds("ntp_epoch_s", ntp_epoch_s)
        if reboot_time_ms is not None:
            reboot_time_ms = _seconds("reboot_time_ms", reboot_time_ms / 1000) * 1000
        self._core = _core.World(time, seed)
        if not isinstance(duty_cycle, bool):
            raise TypeError("duty_cycle is True or False")
        # The firmware turns the MAC's duty-cycle limits off; True enforces the regional
        # sub-bands (EU868 1 %, 0.1 %, 10 %): sends wait, and each wait is logged.
        self.duty_cycle = duty_cycle
        if radio is not None and not isinstance(radio, dict):
            raise TypeError("radio is a dict of radio model settings")
        self._network_options, self._network_echo = check_options(network)
        sigfox_options = check_sigfox_options(sigfox)
        # One medium per world: every device's LoRa radio shares it (docs/radio.md).
        self._lora_medium = _core.LoRaMedium(self._core, dict(radio or {}))
        if pcap is not None:  # before anything that would need cleaning up if it fails
            self._lora_medium.open_pcap(os.fspath(pcap))
        # Sigfox frames share the air with LoRa (the same positions and path loss). Made on
        # first use: the medium draws its random stream from the world's, and worlds without
        # Sigfox keep the streams (hence the outputs) they had.
        self._sigfox_options = sigfox_options
        self._sigfox = None
        self.time = time
        self.seed = seed
        self.devices = {}
        self.ntp_epoch_s = _host_time.time() if ntp_epoch_s is None else float(ntp_epoch_s)
        self.reboot_time_us = REBOOT_TIME_US if reboot_time_ms is None else int(reboot_time_ms * 1000)
        self._printer = HostPrinter(output) if output is not None else None
        self._state_dir = state_dir
        self._scratch = tempfile.TemporaryDirectory(prefix="usocket-emu-")
        self._closed = False
        # One LoRaWAN network per region, made on first use; dropped before the medium.
        self._networks = {}
        self._networks_lock = threading.Lock()
        self._core.keep_log_in_memory(bool(keep_events))
        if log is not None:
            self._core.open_log(os.fspath(log))

    # --- devices ----------------------------------------------------------------------

    def add_device(self, name, target=None, *, script=None, files=None, board="LoPy4",
                   region="EU868", position_m=(0.0, 0.0), strict_firmware=False, keys=None,
                   wifi_mac=None, lpwan_mac=None, sigfox_id=None, sigfox_pac=None):
        """Adds a device running ``target`` (a script file, or a folder standing for its
        /flash) or the source text ``script``; it boots at the next run().

        ``files`` ({flash path: str or bytes}) adds files to its flash, e.g. a config
        module generated by a test."""
        self._check_open()
        if not valid_device_name(name) or name in self.devices:
            raise ValueError(f"bad or duplicate device name {name!r}")
        if (target is None) == (script is None):
            raise ValueError("give a target (file or folder) or a script, not both")
        if len(position_m) != 2:
            raise ValueError("position_m is (x, y) in metres")
        state_dir = None if self._state_dir is None else os.path.join(self._state_dir, name)
        flash_dir = os.path.join(state_dir if state_dir else os.path.join(self._scratch.name, name), "flash")
        source_paths = _upload(target, script, flash_dir)
        for rel, content in (files or {}).items():
            _write_flash_file(flash_dir, rel, content)
        device = Device(
            self, name, flash_dir, source_paths, board=board, region=region, position_m=position_m,
            strict_firmware=strict_firmware, keys=keys,
            config=DeviceConfig(self.seed, name, wifi_mac, lpwan_mac, sigfox_id, sigfox_pac), state_dir=state_dir,
        )
        self.devices[name] = device
        self._core.log("device_added", name, {"board": board, "region": device.region,
                                              "x_m": device.position_m[0], "y_m": device.position_m[1]})
        self._register_keys(device)
        return device

    def _register_keys(self, device):
        """A LoRa device's complete OTAA or ABP ``keys`` are registered with its region's
        network, so that a strict network accepts it."""
        keys = device.keys
        if device.region is None:
            return
        otaa = ("dev_eui", "app_eui", "app_key")
        abp = ("dev_addr", "nwk_s_key", "app_s_key")
        if all(k in keys for k in otaa):
            self.network(device.region).register_otaa(*(keys[k] for k in otaa))
        if all(k in keys for k in abp):
            self.network(device.region).register_abp(*(keys[k] for k in abp))

    # --- the LoRaWAN network ----------------------------------------------------------------

    def network(self, region="EU868"):
        """The embedded LoRaWAN network server of ``region`` (a name such as "EU868" or a
        Pycom code), created on first use: usocket_emu._network.Network."""
        self._check_open()
        code = region_code(region)
        with self._networks_lock:
            network = self._networks.get(code)
            if network is None:
                core = _core.LoRaWANNetwork(self._lora_medium, code, dict(self._network_options))
                network = Network(self, code, core, echo=self._network_echo)
                self._networks[code] = network
            return network

    def add_gateway(self, name, position_m=(0.0, 0.0), region="EU868"):
        """Adds a gateway to ``region``'s network (see Network.add_gateway). Gateways added
        before any device joins replace the default one."""
        network = self.network(region)
        network.add_gateway(name, position_m)
        return network

    @property
    def networks(self):
        """The networks created so far: {region name: Network}."""
        with self._networks_lock:
            return {n.region: n for n in self._networks.values()}

    def _lorawan_network(self, region_code_):
        """For a device's join(): the core network of the region (a Pycom code), with the
        default gateway if the network has none yet."""
        network = self.network(region_code_)
        with self._networks_lock:
            if not network._core.gateway_names():
                name, position = self.DEFAULT_GATEWAY
                network._core.add_gateway(name, position)
        return network._core

    @property
    def sigfox(self):
        """The world's Sigfox base stations and backend (usocket_emu.SigfoxBackend)."""
        self._check_open()
        with self._networks_lock:
            if self._sigfox is None:
                medium = _core.SigfoxMedium(self._lora_medium)
                self._sigfox = SigfoxBackend(self, medium, self._sigfox_options)
            return self._sigfox

    def _sigfox_medium_with_station(self):
        """For a device's Sigfox radio: the medium, once the backend has a station (the
        default one if none was added)."""
        backend = self.sigfox
        with self._networks_lock:
            backend._ensure_station()
        return backend._medium

    # --- running --------------------------------------------------------------------------

    @property
    def now_us(self):
        return self._core.now_us()

    @property
    def now_s(self):
        return self._core.now_us() / 1e6

    def run(self, until_s=None):
        """Runs the world until emulated time ``until_s``, or until nothing can happen any
        more. Returns why it stopped: 'until_reached' or 'idle'. Can be called again.

        An exception raised by a network's on_uplink callback during the run is raised here
        when the run returns (the first one; the run itself goes on)."""
        self._check_open()
        if self._printer is not None and len(self.devices) > 1:
            self._printer.use_prefixes(max(len(n) for n in self.devices))
        for device in self.devices.values():
            if device._main_thread is None:
                device.start()
        until_us = None if until_s is None else round(_seconds("until_s", until_s) * 1e6)
        try:
            status = self._core.run(until_us)
        except BaseException:
            self._take_callback_errors()  # the run's own exception (Ctrl-C) wins
            raise
        errors = self._take_callback_errors()
        if errors:
            raise errors[0]
        return status

    def _take_callback_errors(self):
        """The exceptions on_uplink callbacks raised during the run (the first of each
        network), which the world's events cannot propagate themselves."""
        with self._networks_lock:
            networks = list(self._networks.values())
        errors = [n._core.take_callback_error() for n in networks]
        if self._sigfox is not None:
            errors.append(self._sigfox._core.take_callback_error())
        return [e for e in errors if e is not None]

    @property
    def radio_model(self):
        """The LoRa medium's model settings in use (a copy)."""
        return self._lora_medium.model

    def radio_counters(self):
        """The medium's counts: transmissions, receptions, collisions, below_sensitivity,
        other_losses."""
        return self._lora_medium.counters()

    def close(self):
        """Stops every device and releases what the world holds. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._core.halt()
        self._lora_medium.close_pcap()
        # The networks go before the medium they listen on (their callbacks may hold the
        # world in a cycle).
        with self._networks_lock:
            networks, self._networks = list(self._networks.values()), {}
        for network in networks:
            network._close()
            network._core.take_callback_error()
        del networks
        if self._sigfox is not None:
            self._sigfox._close()
            self._sigfox._core.take_callback_error()
        for device in self.devices.values():
            # Their waits are halted already: most threads unwind by themselves. Only those
            # still computing after a grace period get DeviceHalt raised asynchronously (an
            # asynchronous exception may land anywhere, a gc callback included).
            device.threads.stop_others()
            device.state.save()
            device.discard_namespace()
        gc.collect()  # what device code left in cycles (sockets among it) goes now
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


#: The latest emulated time the world's int64 microsecond clock is asked to reach.
MAX_SECONDS = MAX_WAIT_US / 1e6


def _seconds(what, value):
    """A time in seconds from 0 to MAX_SECONDS, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number of seconds")
    if not 0 <= value <= MAX_SECONDS:  # NaN fails too
        raise ValueError(f"{what} must be between 0 and {MAX_SECONDS:g} seconds, got {value!r}")
    return float(value)


def valid_device_name(name):
    """A device name can be a folder name and a log field: not empty, no path syntax."""
    return (isinstance(name, str) and name not in ("", ".", "..") and not set(name) & set("/\\|\0")
            and name.strip() == name)


def _write_flash_file(flash_dir, rel, content):
    parts = [p for p in str(rel).replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"bad flash file name {rel!r}")
    path = os.path.join(flash_dir, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else bytes(content))


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
