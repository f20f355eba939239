"""Scenario files: a world and its devices described in TOML (schema: docs/scenario.md).

    scenario = load_scenario("farm.toml", board="LoPy4", region="EU868")
    scenario.world.seed, [d.name for d in scenario.devices]

The loader only reads and checks: it returns plain dataclasses with every path made
absolute and every value converted (hex keys to bytes, [radio] to the dict World(radio=...)
takes), and builds no World. Each problem raises ScenarioError with one line naming the
file, the table and the key.

Also here, because the command line checks the same things: the boards and LoRa regions
the emulator knows (BOARDS, LORA_BOARDS, LORA_REGIONS) and how devices get their names.
"""

import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from ._world import MAX_SECONDS, valid_device_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10
    import tomli as tomllib

__all__ = [
    "BOARDS", "DEFAULT_BOARD", "DEFAULT_REGION", "KEY_SIZES", "LORA_BOARDS", "LORA_REGIONS",
    "RADIO_SETTINGS", "SIGFOX_BOARDS", "DeviceSpec", "DownlinkSpec", "GatewaySpec", "Scenario", "ScenarioError",
    "WorldSpec", "canonical_board", "check_region", "device_name", "load_scenario", "parse_scenario",
    "target_problem", "unique_name",
]

#: Boards the emulator models (spec §0), in the spelling os.uname() uses.
BOARDS = ("LoPy", "LoPy4", "FiPy", "SiPy", "WiPy")
#: Boards with network.LoRa: only they have a LoRa region.
LORA_BOARDS = ("LoPy", "LoPy4", "FiPy")
#: Boards with network.Sigfox: only their config block has a Sigfox ID and PAC.
SIGFOX_BOARDS = ("LoPy4", "FiPy", "SiPy")
#: LoRa regions of firmware 1.20.2 (modlora.c), mapped to the boards that accept them.
LORA_REGIONS = {
    "EU868": LORA_BOARDS, "US915": LORA_BOARDS, "AU915": LORA_BOARDS,
    "AS923": LORA_BOARDS, "IN865": LORA_BOARDS,
    "EU433": ("LoPy4",), "CN470": ("LoPy4",),
}
DEFAULT_BOARD = "LoPy4"
DEFAULT_REGION = "EU868"
TIME_MODES = ("real", "virtual")

#: LoRaWAN keys a device may carry for the network server, and their sizes in bytes.
KEY_SIZES = {
    "dev_eui": 8, "app_eui": 8, "app_key": 16,          # OTAA
    "dev_addr": 4, "nwk_s_key": 16, "app_s_key": 16,    # ABP
}
#: Sizes of the identities burnt into the device's config block.
MAC_SIZES = {"wifi_mac": 6, "lpwan_mac": 8}
#: The Sigfox identities of the config block (Sigfox.id(), Sigfox.pac()), Sigfox boards only.
SIGFOX_SIZES = {"sigfox_id": 4, "sigfox_pac": 8}

#: The [radio] table: the LoRa medium's model settings World(radio=...) takes, each with
#: what it accepts: ("boolean",), ("integer", low, high), ("number", low) for a finite
#: number from low up, ("positive",) for a finite number above 0. Defaults: docs/scenario.md.
RADIO_SETTINGS = {
    "reference_distance_m": ("positive",),
    "reference_path_loss_db": ("number", -10**9),
    "path_loss_exponent": ("number", 0),
    "shadowing_sigma_db": ("number", 0),
    "minimum_distance_m": ("positive",),
    "capture": ("boolean",),
    "capture_threshold_db": ("number", 0),
    "preamble_lock_grace_symbols": ("integer", 0, 255),
    "inter_sf_interference": ("boolean",),
    "channel_overlap_125khz_hz": ("number", 0),
    "channel_overlap_250khz_hz": ("number", 0),
    "channel_overlap_500khz_hz": ("number", 0),
}
#: Largest magnitude of a [radio] number: beyond it the model's arithmetic means nothing.
_MAX_RADIO_NUMBER = 1e9

_MAX_SEED = 2**64 - 1
_HEX_SEPARATORS = re.compile(r"[\s:\-]")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is one line naming file and key."""


# --- boards, regions and names (shared with the command line) ------------------------------

def canonical_board(name):
    """The board's canonical spelling (case-insensitive match); ValueError if unknown."""
    if isinstance(name, str):
        for board in BOARDS:
            if board.lower() == name.lower():
                return board
    raise ValueError(f"unknown board {name!r} (choose from {', '.join(BOARDS)})")


def canonical_region(name):
    """The LoRa region's canonical spelling (case-insensitive); ValueError if unknown."""
    if isinstance(name, str) and name.upper() in LORA_REGIONS:
        return name.upper()
    raise ValueError(f"unknown LoRa region {name!r} (choose from {', '.join(LORA_REGIONS)})")


def check_region(board, region):
    """``region`` in canonical spelling if ``board`` accepts it, else ValueError."""
    region = canonical_region(region)
    if board not in LORA_BOARDS:
        raise ValueError(f"a {board} has no LoRa radio, so no LoRa region "
                         f"(regions apply to {', '.join(LORA_BOARDS)})")
    if board not in LORA_REGIONS[region]:
        raise ValueError(f"region {region} exists only on the {' and '.join(LORA_REGIONS[region])}, "
                         f"not on the {board}")
    return region


def target_problem(target):
    """Why ``target`` cannot be a device (a script file, or a /flash folder with boot.py or
    main.py), or None if it can."""
    if not os.path.exists(target):
        return f"no such file or folder: {target}"
    if os.path.isdir(target) and not any(os.path.isfile(os.path.join(target, s)) for s in ("boot.py", "main.py")):
        return f"folder {target} has neither boot.py nor main.py"
    return None


def device_name(target):
    """The name a target gives its device: a script's stem, or a folder's name."""
    path = os.path.normpath(os.path.abspath(os.fspath(target)))
    base = os.path.basename(path)
    if os.path.isdir(path):
        return base or "device"
    return os.path.splitext(base)[0] or base or "device"


def unique_name(name, taken):
    """``name``, or ``name-2``, ``name-3``... the first one not in ``taken``."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


# --- what a scenario file holds ----------------------------------------------------------

@dataclass(frozen=True)
class WorldSpec:
    """The ``[world]`` table. None: not given (the command line or its default decides)."""

    time: Optional[str] = None            # "real" or "virtual"
    seed: Optional[int] = None
    until_s: Optional[float] = None       # emulated seconds
    log: Optional[str] = None             # absolute path of the JSON-lines event log
    pcap: Optional[str] = None            # absolute path of the LoRa pcap capture
    state: Optional[str] = None           # absolute path of the state folder
    ntp_epoch_s: Optional[float] = None   # what NTP answers at emulated time 0
    reboot_time_ms: Optional[float] = None
    duty_cycle: Optional[bool] = None     # LoRaWAN MACs keep the regional duty-cycle limits


@dataclass(frozen=True)
class DeviceSpec:
    """One ``[[device]]`` table, with defaults applied: ready for World.add_device."""

    name: str
    target: Optional[str]                 # absolute path of a script or /flash folder
    script: Optional[str] = None          # or the source text of main.py
    board: str = DEFAULT_BOARD
    region: str = DEFAULT_REGION          # meaningful on LoRa boards only
    position_m: Tuple[float, float] = (0.0, 0.0)
    strict_firmware: bool = False
    keys: Dict[str, bytes] = field(default_factory=dict)
    wifi_mac: Optional[bytes] = None
    lpwan_mac: Optional[bytes] = None
    sigfox_id: Optional[bytes] = None
    sigfox_pac: Optional[bytes] = None

    def add_to(self, world):
        """Adds this device to ``world``; returns the Device."""
        return world.add_device(
            self.name, self.target, script=self.script, board=self.board, region=self.region,
            position_m=self.position_m, strict_firmware=self.strict_firmware,
            keys=dict(self.keys) or None, wifi_mac=self.wifi_mac, lpwan_mac=self.lpwan_mac,
            sigfox_id=self.sigfox_id, sigfox_pac=self.sigfox_pac,
        )


@dataclass(frozen=True)
class GatewaySpec:
    """One ``[[gateway]]`` table: a gateway of the region's LoRaWAN network."""

    name: str
    position_m: Tuple[float, float] = (0.0, 0.0)
    region: str = DEFAULT_REGION

    def add_to(self, world):
        return world.add_gateway(self.name, self.position_m, region=self.region)


@dataclass(frozen=True)
class DownlinkSpec:
    """One ``[[downlink]]`` table: an application downlink queued before the run starts,
    for a device of the file (``device``) or a DevEUI or DevAddr."""

    port: int
    payload: bytes
    confirmed: bool = False
    device: Optional[str] = None          # a [[device]] name
    dev_eui: Optional[bytes] = None       # 8 bytes
    dev_addr: Optional[int] = None
    region: str = DEFAULT_REGION          # the network it goes through (a device's own region)

    def queue_in(self, world):
        """Queues the downlink in ``world``'s network; returns its id."""
        if self.device is not None:
            target = world.devices[self.device]
        else:
            target = self.dev_eui if self.dev_eui is not None else self.dev_addr
        return world.network(self.region).queue_downlink(target, self.port, self.payload, self.confirmed)


@dataclass(frozen=True)
class SigfoxStationSpec:
    """One ``[[sigfox_station]]`` table: a base station of the world's Sigfox network."""

    name: str
    position_m: Tuple[float, float] = (0.0, 0.0)
    region: str = "sigfox"                # stations share one namespace, apart from gateways'

    def add_to(self, world):
        return world.sigfox.add_station(self.name, self.position_m)


@dataclass(frozen=True)
class SigfoxDownlinkSpec:
    """One ``[[sigfox_downlink]]`` table: the 8-byte answer to a device's next downlink
    request, queued before the run starts, for a device of the file or a Sigfox ID."""

    payload: bytes
    device: Optional[str] = None          # a [[device]] name
    device_id: Optional[int] = None

    def queue_in(self, world):
        target = world.devices[self.device] if self.device is not None else self.device_id
        world.sigfox.queue_downlink(target, self.payload)


@dataclass(frozen=True)
class Scenario:
    path: str                             # absolute path of the file
    world: WorldSpec
    devices: Tuple[DeviceSpec, ...]
    #: The [radio] table: only the settings given, ready for World(radio=...).
    radio: Dict[str, object] = field(default_factory=dict)
    #: The [network] table: only the settings given, ready for World(network=...).
    network: Dict[str, object] = field(default_factory=dict)
    gateways: Tuple[GatewaySpec, ...] = ()
    downlinks: Tuple[DownlinkSpec, ...] = ()
    #: The [sigfox] table: only the settings given, ready for World(sigfox=...).
    sigfox: Dict[str, object] = field(default_factory=dict)
    sigfox_stations: Tuple[SigfoxStationSpec, ...] = ()
    sigfox_downlinks: Tuple[SigfoxDownlinkSpec, ...] = ()


# --- loading -----------------------------------------------------------------------------

def _finite(value):
    """math.isfinite() for TOML numbers: an integer too large for a float is not finite
    here (math.isfinite raises OverflowError for it: a fuzz_scenario finding)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def load_scenario(path, *, board=DEFAULT_BOARD, region=None, strict_firmware=False, taken=()):
    """Reads and checks a scenario file.

    ``board``, ``region`` and ``strict_firmware`` are the defaults for devices that do not
    set them (the command line's options); ``region=None`` means DEFAULT_REGION, and an
    explicit region is not applied to boards without LoRa. ``taken``: device names already
    used elsewhere in the world (derived names avoid them, explicit ones must).
    """
    path = os.path.abspath(os.fspath(path))
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not valid TOML: the file is not UTF-8") from None
    except RecursionError:  # tomllib recurses per nesting level (fuzz_scenario finding)
        raise ScenarioError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    return parse_scenario(data, path, board=board, region=region,
                          strict_firmware=strict_firmware, taken=taken)


def parse_scenario(data, path, *, board=DEFAULT_BOARD, region=None, strict_firmware=False,
                   taken=()):
    """Checks a scenario already parsed from TOML (``data``); ``path`` is the file it came
    from (relative paths in it are relative to its folder). See load_scenario."""
    path = os.path.abspath(os.fspath(path))
    top = _Table(data, path, "")
    world_table = top.table("world")
    radio_table = top.table("radio")
    network_table = top.table("network")
    device_tables = top.array_of_tables("device")
    gateway_tables = top.array_of_tables("gateway")
    downlink_tables = top.array_of_tables("downlink")
    sigfox_table = top.table("sigfox")
    station_tables = top.array_of_tables("sigfox_station")
    sigfox_downlink_tables = top.array_of_tables("sigfox_downlink")
    top.finish()
    world = _parse_world(world_table) if world_table is not None else WorldSpec()
    radio = _parse_radio(radio_table) if radio_table is not None else {}
    network = _parse_network(network_table) if network_table is not None else {}
    defaults = (canonical_board(board), region, bool(strict_firmware))
    device_tables = device_tables or ()
    # Names given explicitly anywhere in the file are not available to derived names.
    reserved = {t.data["name"] for t in device_tables if isinstance(t.data.get("name"), str)}
    devices = []
    names = set(taken)
    for index, table in enumerate(device_tables, start=1):
        device = _parse_device(table, index, defaults, names, reserved)
        names.add(device.name)
        devices.append(device)
    gateways = []
    for index, table in enumerate(gateway_tables or (), start=1):
        gateways.append(_parse_gateway(table, index, region, gateways))
    by_name = {d.name: d for d in devices}
    downlinks = tuple(_parse_downlink(table, index, region, by_name)
                      for index, table in enumerate(downlink_tables or (), start=1))
    sigfox = _parse_sigfox(sigfox_table) if sigfox_table is not None else {}
    stations = []
    for index, table in enumerate(station_tables or (), start=1):
        stations.append(_parse_sigfox_station(table, index, stations))
    sigfox_downlinks = tuple(_parse_sigfox_downlink(table, index, by_name)
                             for index, table in enumerate(sigfox_downlink_tables or (), start=1))
    return Scenario(path, world, tuple(devices), radio, network, tuple(gateways), downlinks,
                    sigfox, tuple(stations), sigfox_downlinks)


def _parse_world(t):
    spec = WorldSpec(
        time=t.choice("time", TIME_MODES),
        seed=t.integer("seed", 0, _MAX_SEED),
        until_s=t.number("until_s", minimum=0, maximum=MAX_SECONDS),
        log=t.path("log"),
        pcap=t.path("pcap"),
        state=t.path("state"),
        ntp_epoch_s=t.number("ntp_epoch_s", minimum=0, maximum=MAX_SECONDS),
        reboot_time_ms=t.number("reboot_time_ms", minimum=0, maximum=MAX_SECONDS * 1000),
        duty_cycle=t.boolean("duty_cycle"),
    )
    t.finish()
    return spec


def _parse_radio(t):
    radio = {}
    for key, (kind, *bounds) in RADIO_SETTINGS.items():
        if kind == "boolean":
            value = t.boolean(key)
        elif kind == "integer":
            value = t.integer(key, *bounds)
        elif kind == "positive":
            value = t.number(key, above=0, maximum=_MAX_RADIO_NUMBER)
        else:
            value = t.number(key, minimum=bounds[0], maximum=_MAX_RADIO_NUMBER)
        if value is not None:
            radio[key] = value
    t.finish()
    return radio


def _parse_network(t):
    network = {}
    for key in ("strict", "echo", "adr"):
        value = t.boolean(key)
        if value is not None:
            network[key] = value
    net_id = t.integer("net_id", 0, 0xFFFFFF)
    if net_id is not None:
        network["net_id"] = net_id
    loss = t.number("downlink_loss", minimum=0.0, maximum=1.0)
    if loss is not None:
        network["downlink_loss"] = loss
    t.finish()
    return network


def _parse_sigfox(t):
    sigfox = {}
    echo = t.boolean("echo")
    if echo is not None:
        sigfox["echo"] = echo
    for key in ("uplinks_per_day", "downlinks_per_day"):
        value = t.integer(key, 0, 1_000_000)
        if value is not None:
            sigfox[key] = value
    t.finish()
    return sigfox


def _parse_sigfox_station(t, index, earlier):
    t.where = f"[[sigfox_station]] #{index}"
    name = t.string("name")
    if name is None:
        t.fail("name", "is required")
    t.where = f"[[sigfox_station]] #{index} ({name!r})"
    if not name or name.strip() != name:
        t.fail("name", "must be non-empty, without surrounding spaces")
    if any(s.name == name for s in earlier):
        t.fail("name", f"station {name!r} is defined twice")
    spec = SigfoxStationSpec(name=name, position_m=t.position("position_m") or (0.0, 0.0))
    t.finish()
    return spec


def _parse_sigfox_downlink(t, index, devices):
    t.where = f"[[sigfox_downlink]] #{index}"
    device = t.string("device")
    device_id = t.hex_bytes("device_id", 4)
    if (device is None) == (device_id is None):
        t.fail(None, "needs exactly one of 'device' (a [[device]] name of this file) or 'device_id'")
    if device is not None:
        spec = devices.get(device)
        if spec is None:
            t.fail("device", f"no [[device]] named {device!r} in this file")
        if spec.board not in SIGFOX_BOARDS:
            t.fail("device", f"device {device!r} is a {spec.board}, which has no Sigfox radio")
    payload = t.hex_bytes("payload_hex", 8)
    if payload is None:
        t.fail("payload_hex", "is required: the 8 bytes of the downlink, in hex")
    spec = SigfoxDownlinkSpec(payload=payload, device=device,
                              device_id=None if device_id is None else int.from_bytes(device_id, "big"))
    t.finish()
    return spec


def _table_region(t, default_region):
    """The ``region`` key of a [[gateway]] or [[downlink]]: default --region, then EU868."""
    region = t.get("region", str)
    if region is None:
        return default_region or DEFAULT_REGION
    try:
        return canonical_region(region)
    except ValueError as exc:
        t.fail("region", str(exc))


def _parse_gateway(t, index, default_region, earlier):
    t.where = f"[[gateway]] #{index}"
    name = t.string("name")
    if name is None:
        t.fail("name", "is required")
    t.where = f"[[gateway]] #{index} ({name!r})"
    if not name or name.strip() != name:
        t.fail("name", "must be non-empty, without surrounding spaces")
    region = _table_region(t, default_region)
    if any(g.name == name and g.region == region for g in earlier):
        t.fail("name", f"gateway {name!r} is defined twice in region {region}")
    spec = GatewaySpec(name=name, position_m=t.position("position_m") or (0.0, 0.0), region=region)
    t.finish()
    return spec


def _parse_downlink(t, index, default_region, devices):
    t.where = f"[[downlink]] #{index}"
    device = t.string("device")
    dev_eui = t.hex_bytes("dev_eui", 8)
    dev_addr = t.hex_bytes("dev_addr", 4)
    given = [k for k, v in (("device", device), ("dev_eui", dev_eui), ("dev_addr", dev_addr)) if v is not None]
    if len(given) != 1:
        t.fail(None, "needs exactly one of 'device' (a [[device]] name of this file), 'dev_eui' or 'dev_addr'")
    region = _table_region(t, default_region)
    if device is not None:
        spec = devices.get(device)
        if spec is None:
            t.fail("device", f"no [[device]] named {device!r} in this file")
        if spec.board not in LORA_BOARDS:
            t.fail("device", f"device {device!r} is a {spec.board}, which has no LoRa radio")
        if "region" in t.data:
            t.fail("region", "applies to 'dev_eui' and 'dev_addr' only: a device's downlink uses its region")
        region = spec.region
    port = t.integer("port", 1, 223)
    if port is None:
        t.fail("port", "is required (1 to 223)")
    text = t.string("payload")
    raw = t.get("payload_hex", str, described="a hex string")
    if (text is None) == (raw is None):
        t.fail(None, "needs exactly one of 'payload' (text) or 'payload_hex'")
    if raw is not None:
        try:
            payload = bytes.fromhex(_HEX_SEPARATORS.sub("", raw))
        except ValueError:
            t.fail("payload_hex", f"expected hex digits, got {raw!r}")
    else:
        payload = text.encode("utf-8")
    if len(payload) > 242:
        t.fail("payload_hex" if raw is not None else "payload", f"a downlink carries at most 242 bytes, got {len(payload)}")
    confirmed = t.boolean("confirmed")
    spec = DownlinkSpec(
        port=port, payload=payload, confirmed=bool(confirmed), device=device, dev_eui=dev_eui,
        dev_addr=None if dev_addr is None else int.from_bytes(dev_addr, "big"), region=region,
    )
    t.finish()
    return spec


def _parse_device(t, index, defaults, names, reserved):
    default_board, default_region, default_strict = defaults
    t.where = f"[[device]] #{index}"
    name = t.string("name")
    if name is not None:
        t.where = f"[[device]] #{index} ({name!r})"
        if not valid_device_name(name):
            t.fail("name", "must be non-empty, not '.' or '..', without '/', '\\', '|' or surrounding spaces")
        if name in names:
            t.fail("name", f"device {name!r} is defined twice")
    target = t.path("target")
    script = t.string("script")
    if (target is None) == (script is None):
        t.fail(None, "needs exactly one of 'target' (a script file or a /flash folder) or 'script' (source text)")
    problem = None if target is None else target_problem(target)
    if problem:
        t.fail("target", problem)
    if name is None:
        if target is None:
            t.fail("name", "is required for a device given as 'script'")
        name = unique_name(device_name(target), names | reserved)

    board = t.get("board", str)
    if board is not None:
        try:
            board = canonical_board(board)
        except ValueError as exc:
            t.fail("board", str(exc))
    else:
        board = default_board
    region = t.get("region", str)
    if region is not None:
        try:
            region = check_region(board, region)
        except ValueError as exc:
            t.fail("region", str(exc))
    elif board in LORA_BOARDS and default_region is not None:
        try:
            region = check_region(board, default_region)
        except ValueError as exc:
            t.fail(None, f"--region: {exc}")
    else:
        region = DEFAULT_REGION
    strict = t.boolean("strict_firmware")
    sigfox = {key: t.hex_bytes(key, size) for key, size in SIGFOX_SIZES.items()}
    for key, value in sigfox.items():
        if value is not None and board not in SIGFOX_BOARDS:
            t.fail(key, f"a {board} has no Sigfox radio, so no Sigfox identity "
                        f"(Sigfox boards: {', '.join(SIGFOX_BOARDS)})")

    spec = DeviceSpec(
        name=name,
        target=target,
        script=script,
        board=board,
        region=region,
        position_m=t.position("position_m") or (0.0, 0.0),
        strict_firmware=default_strict if strict is None else strict,
        keys=_parse_keys(t.table("keys")),
        wifi_mac=t.hex_bytes("wifi_mac", MAC_SIZES["wifi_mac"]),
        lpwan_mac=t.hex_bytes("lpwan_mac", MAC_SIZES["lpwan_mac"]),
        sigfox_id=sigfox["sigfox_id"],
        sigfox_pac=sigfox["sigfox_pac"],
    )
    t.finish()
    return spec


def _parse_keys(t):
    if t is None:
        return {}
    keys = {}
    for key, size in KEY_SIZES.items():
        value = t.hex_bytes(key, size)
        if value is not None:
            keys[key] = value
    t.finish()
    return keys


_TOML_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer",
                    float: "a number", dict: "a table", list: "an array"}


def _toml_type(value):
    for kind, name in _TOML_TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


class _Table:
    """A TOML table being checked: each getter consumes a key, finish() rejects the rest."""

    def __init__(self, data, path, where):
        self.data = data
        self.file = path
        self.where = where
        self.used = set()

    # --- reporting ---

    def fail(self, key, message):
        place = " ".join(p for p in (self.where, key) if p)
        raise ScenarioError(f"{self.file}: {place}: {message}" if place else f"{self.file}: {message}")

    def finish(self):
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            known = ", ".join(sorted(self.used)) if self.used else "none"
            key = unknown[0]
            self.fail(key, f"unknown key (known keys here: {known})")

    # --- getters (None when the key is absent) ---

    def get(self, key, kind, *, described=None):
        self.used.add(key)
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            want = described or _TOML_TYPE_NAMES.get(kind, kind.__name__)
            self.fail(key, f"expected {want}, got {_toml_type(value)} {value!r}"
                      if not isinstance(value, (dict, list)) else f"expected {want}, got {_toml_type(value)}")
        return value

    def string(self, key):
        return self.get(key, str)

    def boolean(self, key):
        return self.get(key, bool)

    def choice(self, key, choices):
        value = self.get(key, str)
        if value is not None and value not in choices:
            self.fail(key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
        return value

    def integer(self, key, minimum, maximum):
        value = self.get(key, int)
        if value is not None and not minimum <= value <= maximum:
            self.fail(key, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def number(self, key, minimum=None, maximum=None, above=None):
        value = self.get(key, (int, float), described="a number")
        if value is None:
            return None
        if not _finite(value):
            self.fail(key, f"must be a finite number, got {value}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, got {value}")
        if above is not None and value <= above:
            self.fail(key, f"must be more than {above}, got {value}")
        if maximum is not None and value > maximum:
            self.fail(key, f"must be at most {maximum:g}, got {value}")
        return float(value)

    def path(self, key):
        """A path relative to the scenario file's folder, made absolute."""
        value = self.get(key, str)
        if value is None:
            return None
        if not value:
            self.fail(key, "must not be empty")
        return os.path.normpath(os.path.join(os.path.dirname(self.file), os.path.expanduser(value)))

    def position(self, key):
        value = self.get(key, list, described="a pair of numbers [x, y] in metres")
        if value is None:
            return None
        if (len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                       and _finite(v) for v in value)):
            self.fail(key, f"expected a pair of numbers [x, y] in metres, got {value!r}")
        return (float(value[0]), float(value[1]))

    def hex_bytes(self, key, size):
        value = self.get(key, str, described=f"a hex string of {size} bytes")
        if value is None:
            return None
        digits = _HEX_SEPARATORS.sub("", value)
        try:
            data = bytes.fromhex(digits)
        except ValueError:
            self.fail(key, f"expected {size} bytes as hex digits, got {value!r}")
        if len(data) != size:
            self.fail(key, f"expected {size} bytes ({2 * size} hex digits), got {len(data)} in {value!r}")
        return data

    def table(self, key):
        value = self.get(key, dict)
        if value is None:
            return None
        where = f"{self.where} [{key}]" if self.where else f"[{key}]"
        return _Table(value, self.file, where)

    def array_of_tables(self, key):
        self.used.add(key)
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"must be an array of tables: write [[{key}]] before each one")
        return [_Table(v, self.file, f"[[{key}]]") for v in value]
