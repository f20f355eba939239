"""usocket_emu.Network: the embedded LoRaWAN network server of one world and region.

    world = World(time="virtual", network={"strict": False})
    net = world.network("EU868")
    net.add_gateway("roof", position_m=(0, 50))
    net.on_uplink(lambda up: net.queue_downlink(up.dev_eui, up.port, b"ok"))
    world.run(until_s=600)
    [(u.dev_eui, u.fcnt, u.payload) for u in net.uplinks()]

A device's LoRaWAN join() finds its region's network (created on first use, with one
default gateway named "gateway" at (0, 0) if none was added before). By default the
network accepts every device with the keys its script uses; ``strict=True`` accepts only
the devices registered with register_otaa()/register_abp() (or the scenario file's keys).

Identities: a DevEUI or AppEUI is a hex string (``"70b3d5499a0b0c0d"``; ``:``, ``-`` and
spaces allowed) or 8 bytes in display order; a DevAddr an int (or a hex string of 8
digits, or 4 bytes); keys 16 bytes or 32 hex digits. Records give EUIs as lower-case hex.
Times are emulated seconds.
"""

import re
from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = ["Downlink", "Join", "Network", "Uplink", "REGION_CODES", "NETWORK_OPTIONS", "region_code"]

#: Pycom region codes (LoRa.AS923 ... LoRa.US915).
REGION_CODES = {"AS923": 0, "AU915": 1, "CN470": 2, "EU433": 4, "EU868": 5, "IN865": 7, "US915": 8}
_REGION_NAMES = {code: name for name, code in REGION_CODES.items()}

#: World(network={...}) settings, each applying to every region's network: what it accepts.
NETWORK_OPTIONS = {
    "strict": "true or false: accept only registered devices (default false)",
    "echo": "true or false: send each uplink back as a downlink on its port (default false)",
    "net_id": "the NetID, 0 to 0xFFFFFF (default 0x000013, The Things Network's)",
    "dedup_window_us": "deduplication window, 0 to 999999 us (default 200000)",
    "downlink_tx_power_dbm": "downlink EIRP in dBm (default per region)",
    "prefer_rx2": "true or false: class A downlinks in RX2 first (default false)",
    "cf_list_hz": "the join accepts' CFList: up to five frequencies in Hz",
    "confirmed_downlink_max_transmissions": "1 to 255 (default 8)",
    "class_c_gap_us": "pause between two class C downlinks, us (default 10000)",
    "adr": "true or false: network-side ADR for devices with the ADR bit (default true)",
    "downlink_loss": "fault injection: fraction 0 to 1 of downlinks lost before the gateway (default 0)",
}

_SEPARATORS = re.compile(r"[\s:\-]")


def region_code(region):
    """The Pycom code of a region name ("EU868") or code (5); ValueError otherwise."""
    if isinstance(region, str) and region.upper() in REGION_CODES:
        return REGION_CODES[region.upper()]
    if isinstance(region, int) and not isinstance(region, bool) and region in _REGION_NAMES:
        return region
    raise ValueError(f"unknown LoRa region {region!r} (choose from {', '.join(REGION_CODES)})")


def check_options(options):
    """World(network=...) checked: a dict of NETWORK_OPTIONS; returns (core options, echo)."""
    if options is None:
        return {}, False
    if not isinstance(options, dict):
        raise TypeError("network is a dict of network settings")
    core = {}
    echo = False
    for key, value in options.items():
        if key not in NETWORK_OPTIONS:
            raise ValueError(f"unknown network setting {key!r} (known: {', '.join(NETWORK_OPTIONS)})")
        if key in ("strict", "echo", "prefer_rx2", "adr"):
            if not isinstance(value, bool):
                raise TypeError(f"network setting {key!r} must be True or False")
        elif key in ("net_id", "dedup_window_us", "confirmed_downlink_max_transmissions", "class_c_gap_us"):
            limits = {"net_id": (0, 0xFFFFFF), "dedup_window_us": (0, 999_999),
                      "confirmed_downlink_max_transmissions": (1, 255), "class_c_gap_us": (0, 2**62)}[key]
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"network setting {key!r} must be an integer")
            if not limits[0] <= value <= limits[1]:
                raise ValueError(f"network setting {key!r} must be from {limits[0]} to {limits[1]}, got {value}")
        elif key == "downlink_loss":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("network setting 'downlink_loss' must be a number")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"network setting 'downlink_loss' is a fraction from 0 to 1, got {value}")
            value = float(value)
        elif key == "downlink_tx_power_dbm":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise TypeError("network setting 'downlink_tx_power_dbm' must be a number")
        elif key == "cf_list_hz":
            if isinstance(value, (str, bytes)) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                          for v in value):
                raise TypeError("network setting 'cf_list_hz' is a list of frequencies in Hz (integers)")
            value = list(value)
            if len(value) > 5:
                raise ValueError("network setting 'cf_list_hz' holds at most five frequencies")
            for v in value:  # the CFList's 24 bits of 100 Hz (radio.md 2.2); the band is the region's
                if v != 0 and not (0 < v <= 0xFFFFFF * 100 and v % 100 == 0):
                    raise ValueError(f"network setting 'cf_list_hz': {v} is not a frequency a CFList can carry")
        if key == "echo":
            echo = value
        else:
            core[key] = value
    return core, echo


# --- identities ----------------------------------------------------------------------------

def _hex(value, size, what):
    if isinstance(value, str):
        digits = _SEPARATORS.sub("", value)
        try:
            data = bytes.fromhex(digits)
        except ValueError:
            raise ValueError(f"{what} must be {size} bytes as hex digits, got {value!r}") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be a hex string or bytes, not {type(value).__name__}")
    if len(data) != size:
        raise ValueError(f"{what} must be {size} bytes ({2 * size} hex digits), got {len(data)}")
    return data


def eui_bytes(value, what="a DevEUI"):
    """8 bytes of an EUI given as hex text or bytes."""
    return _hex(value, 8, what)


def key_bytes(value, what="a key"):
    """16 bytes of an AES key given as hex text or bytes."""
    return _hex(value, 16, what)


def dev_addr_int(value):
    """A DevAddr as an int, from an int, 8 hex digits or 4 bytes (display order)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"a DevAddr is 0 to 0xFFFFFFFF, got {value:#x}")
        return value
    return int.from_bytes(_hex(value, 4, "a DevAddr"), "big")


def device_ref(device):
    """What the core takes for a device: 8 EUI bytes, or a DevAddr int.

    ``device``: a DevEUI (16 hex digits or 8 bytes), a DevAddr (int, 8 hex digits or 4
    bytes), or a World Device: its ``keys`` dev_eui, else its ABP dev_addr, else its LoRa MAC
    (the DevEUI a Pycom board joins with by default)."""
    from ._device import Device  # late: _device imports much of the package

    if isinstance(device, Device):
        keys = device.keys
        if "dev_eui" in keys:
            return bytes(keys["dev_eui"])
        if "dev_addr" in keys:
            return int.from_bytes(bytes(keys["dev_addr"]), "big")
        return bytes(device.config.lpwan_mac)
    if isinstance(device, int) and not isinstance(device, bool):
        return dev_addr_int(device)
    if isinstance(device, str):
        digits = _SEPARATORS.sub("", device)
        if len(digits) == 8:
            return dev_addr_int(device)
        return eui_bytes(device)
    if isinstance(device, (bytes, bytearray, memoryview)):
        if len(device) == 4:
            return dev_addr_int(device)
        return eui_bytes(device)
    raise TypeError(f"a device is a DevEUI, a DevAddr or a Device, not {type(device).__name__}")


def _port_and_payload(port, payload):
    """A downlink's FPort (an int; its range is the core's to check) and payload (str as
    UTF-8)."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError("port must be an int")
    return port, payload.encode() if isinstance(payload, str) else payload


def _eui_text(eui):
    return None if eui is None else bytes(eui).hex()


def _gateways(copies):
    return tuple(name for name, _rssi, _snr in copies)


# --- records ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Uplink:
    """A data uplink the network accepted (confirmed retransmissions are not repeated)."""

    t_s: float                    # emulated time the frame ended (the gateways got it)
    dev_eui: Optional[str]        # hex; None for ABP devices
    dev_addr: int
    fcnt: int                     # the full 32-bit FCntUp
    port: Optional[int]           # None for an empty frame without FPort
    payload: bytes                # decrypted (MAC commands for port 0)
    confirmed: bool
    dr: int
    frequency_hz: int
    rssi_dbm: float               # best copy
    snr_db: float
    gateways: Tuple[str, ...]     # that heard it, best RSSI first
    adr: bool = False
    ack: bool = False             # acknowledges a confirmed downlink
    mac_commands: Tuple[Tuple[int, bytes], ...] = ()

    @classmethod
    def _from(cls, r):
        return cls(
            t_s=r["t_us"] / 1e6, dev_eui=_eui_text(r["dev_eui"]), dev_addr=r["dev_addr"], fcnt=r["fcnt"],
            port=r["port"], payload=r["payload"], confirmed=r["confirmed"], dr=r["dr"],
            frequency_hz=r["frequency_hz"], rssi_dbm=r["rssi_dbm"], snr_db=r["snr_db"],
            gateways=_gateways(r["gateways"]), adr=r["adr"], ack=r["ack"],
            mac_commands=tuple(tuple(c) for c in r["mac_commands"]),
        )


@dataclass(frozen=True)
class Join:
    """A join request the network accepted, and its answer."""

    t_s: float
    dev_eui: str
    app_eui: str
    dev_nonce: int
    dev_addr: int                 # assigned
    app_nonce: int
    net_id: int
    dr: int
    frequency_hz: int
    rssi_dbm: float
    snr_db: float
    gateways: Tuple[str, ...]
    window: str                   # "rx1" or "rx2": where the join accept goes
    accept_t_s: float             # when the join accept starts
    nwk_s_key: bytes
    app_s_key: bytes

    @classmethod
    def _from(cls, r):
        return cls(
            t_s=r["t_us"] / 1e6, dev_eui=_eui_text(r["dev_eui"]), app_eui=_eui_text(r["app_eui"]),
            dev_nonce=r["dev_nonce"], dev_addr=r["dev_addr"], app_nonce=r["app_nonce"], net_id=r["net_id"],
            dr=r["dr"], frequency_hz=r["frequency_hz"], rssi_dbm=r["rssi_dbm"], snr_db=r["snr_db"],
            gateways=_gateways(r["gateways"]), window=r["window"], accept_t_s=r["accept_at_us"] / 1e6,
            nwk_s_key=r["nwk_s_key"], app_s_key=r["app_s_key"],
        )


@dataclass(frozen=True)
class Downlink:
    """A downlink the network put on the air (join accepts included)."""

    t_s: float                    # start of transmission
    dev_eui: Optional[str]
    dev_addr: int
    join_accept: bool
    fcnt: int                     # FCntDown (data downlinks)
    port: Optional[int]
    payload: bytes                # FRMPayload in clear
    confirmed: bool
    ack: bool
    window: str                   # "rx1", "rx2" or "class_c"
    frequency_hz: int
    dr: int
    gateway: str
    queued_id: Optional[int]      # the queue_downlink() or queue_multicast() id it carries
    f_pending: bool = False
    multicast: bool = False       # a multicast group's frame (dev_addr is the group's)
    mac_commands: Tuple[Tuple[int, bytes], ...] = ()
    phy: bytes = b""              # the PHYPayload as sent

    @classmethod
    def _from(cls, r):
        return cls(
            t_s=r["t_us"] / 1e6, dev_eui=_eui_text(r["dev_eui"]), dev_addr=r["dev_addr"],
            join_accept=r["join_accept"], fcnt=r["fcnt"], port=r["port"], payload=r["payload"],
            confirmed=r["confirmed"], ack=r["ack"], window=r["window"], frequency_hz=r["frequency_hz"],
            dr=r["dr"], gateway=r["gateway"], queued_id=r["queued_id"], f_pending=r["f_pending"],
            multicast=r["multicast"],
            mac_commands=tuple(tuple(c) for c in r["mac_commands"]), phy=r["phy"],
        )


def _matches(record, ref):
    if isinstance(ref, int):
        return record.dev_addr == ref
    return record.dev_eui == ref.hex()


# --- the network -----------------------------------------------------------------------------

class Network:
    """The LoRaWAN network server of one region of a world, and its gateways. Get it with
    ``world.network(region)``; all its methods may be called while the world runs (from an
    on_uplink callback too)."""

    def __init__(self, world, region, core, echo=False):
        self._world = world
        self.region = _REGION_NAMES[region]
        self.region_code = region
        self._core = core
        self._echo = False
        self._callback = None
        self.echo = echo

    def __repr__(self):
        return f"<Network {self.region}: {len(self.gateways)} gateways>"

    @property
    def strict(self):
        """True: only registered devices are accepted (set with World(network={...}))."""
        return self._core.strict

    @property
    def net_id(self):
        return self._core.net_id

    # --- gateways ---

    def add_gateway(self, name, position_m=(0.0, 0.0)):
        """A gateway hearing every uplink channel of the region at ``position_m`` ((x, y) or
        (x, y, z) in metres), from now on. Names are unique per network."""
        if not isinstance(name, str) or not name or name.strip() != name:
            raise ValueError(f"bad gateway name {name!r}")
        if name in self.gateways:
            raise ValueError(f"network {self.region} already has a gateway named {name!r}")
        position = tuple(float(v) for v in position_m)
        if len(position) not in (2, 3):
            raise ValueError("position_m is (x, y) or (x, y, z) in metres")
        self._world._check_open()
        self._core.add_gateway(name, position)

    def remove_gateway(self, name):
        """Takes a gateway out of service now (a gateway that goes away): it hears nothing
        more, and downlinks already scheduled through it are missed. ValueError if there is
        no such gateway."""
        self._world._check_open()
        if not self._core.remove_gateway(name):
            raise ValueError(f"network {self.region} has no gateway named {name!r}")

    @property
    def gateways(self):
        """The names of the gateways in service, in the order they were added."""
        return tuple(self._core.gateway_names())

    # --- devices ---

    def register_otaa(self, dev_eui, app_eui, app_key):
        """Registers (or re-keys) an OTAA device: the only way in for strict networks."""
        self._core.register_otaa(eui_bytes(dev_eui), eui_bytes(app_eui, "an AppEUI"), key_bytes(app_key, "an AppKey"))

    def register_abp(self, dev_addr, nwk_s_key, app_s_key, reset_counters=False):
        """Registers an ABP session; the same keys again keep its frame counters unless
        ``reset_counters``."""
        self._core.register_abp(dev_addr_int(dev_addr), key_bytes(nwk_s_key, "an NwkSKey"),
                                key_bytes(app_s_key, "an AppSKey"), bool(reset_counters))

    def session(self, device):
        """The device's current session (dict: dev_addr, keys, fcnt_up, fcnt_down, rx
        settings, class_c), or None before it joined."""
        session = self._core.session(device_ref(device))
        if session is not None:
            session["dev_eui"] = _eui_text(session["dev_eui"])
        return session

    def set_class_c(self, device, on=True):
        """Class C: queued downlinks go at once (RX2 frequency and DR)."""
        self._core.set_class_c(device_ref(device), bool(on))

    # --- downlinks and MAC commands ---

    def queue_downlink(self, device, port, payload, confirmed=False):
        """Queues an application downlink (port 1..223, or 224 for the certification test;
        payload bytes or str) for the device's next receive window; returns its id for
        downlink_state()."""
        port, payload = _port_and_payload(port, payload)
        return self._core.queue_downlink(device_ref(device), port, payload, bool(confirmed))

    def downlink_state(self, downlink_id):
        """'queued', 'sent', 'acknowledged', 'failed' or 'unknown'."""
        return self._core.downlink_state(downlink_id)

    def pending_downlinks(self, device):
        return self._core.pending_downlinks(device_ref(device))

    @property
    def echo(self):
        """True: each uplink on a port 1..223 is queued back to its device on that port."""
        return self._echo

    @echo.setter
    def echo(self, on):
        if not isinstance(on, bool):
            raise TypeError("echo must be True or False")
        self._core.set_echo(on)
        self._echo = on

    def queue_mac_command(self, device, cid, payload=b""):
        self._core.queue_mac_command(device_ref(device), cid, payload)

    def link_adr_req(self, device, dr, tx_power_index, ch_mask, ch_mask_cntl=0, nb_trans=0):
        self._core.link_adr_req(device_ref(device), dr, tx_power_index, ch_mask, ch_mask_cntl, nb_trans)

    def duty_cycle_req(self, device, max_duty_cycle):
        self._core.duty_cycle_req(device_ref(device), max_duty_cycle)

    def rx_param_setup_req(self, device, rx1_dr_offset, rx2_dr, rx2_frequency_hz):
        self._core.rx_param_setup_req(device_ref(device), rx1_dr_offset, rx2_dr, rx2_frequency_hz)

    def dev_status_req(self, device):
        """Asks for a DevStatusAns; device_status() shows the answer."""
        self._core.dev_status_req(device_ref(device))

    def new_channel_req(self, device, index, frequency_hz, min_dr, max_dr):
        self._core.new_channel_req(device_ref(device), index, frequency_hz, min_dr, max_dr)

    def rx_timing_setup_req(self, device, delay_s):
        self._core.rx_timing_setup_req(device_ref(device), delay_s)

    def device_status(self, device):
        """The last DevStatusAns: {"t_s", "battery", "margin_db"}, or None."""
        status = self._core.device_status(device_ref(device))
        if status is None:
            return None
        t_us, battery, margin = status
        return {"t_s": t_us / 1e6, "battery": battery, "margin_db": margin}

    # --- multicast ---

    def add_multicast_group(self, mc_addr, nwk_s_key, app_s_key, *, dr=None, frequency_hz=None):
        """A class C multicast group: the address and keys a script gives
        ``LoRa.join_multicast_group()``. ``dr`` and ``frequency_hz`` default to the region's
        RX2, where class C devices listen. ValueError for an address in use."""
        for name, value in (("dr", dr), ("frequency_hz", frequency_hz)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"{name} must be an int or None")
        self._core.add_multicast_group(dev_addr_int(mc_addr), key_bytes(nwk_s_key, "an NwkSKey"),
                                       key_bytes(app_s_key, "an AppSKey"), dr, frequency_hz)

    def remove_multicast_group(self, mc_addr):
        """False if there was no such group."""
        return self._core.remove_multicast_group(dev_addr_int(mc_addr))

    def multicast_groups(self):
        """The groups: dicts of mc_addr, nwk_s_key, app_s_key, dr, frequency_hz and
        fcnt_down (the next frame's)."""
        return self._core.multicast_groups()

    def queue_multicast(self, mc_addr, port, payload):
        """Sends an unconfirmed downlink to the group now, a copy from each gateway in turn
        with the same FCntDown (port 1..223; payload bytes or str); returns its id."""
        port, payload = _port_and_payload(port, payload)
        return self._core.queue_multicast(dev_addr_int(mc_addr), port, payload)

    # --- what happened ---

    def on_uplink(self, callback):
        """Calls ``callback(uplink)`` for each accepted uplink, in the world's event (a
        downlink it queues goes in that uplink's RX1/RX2); None removes it. Returns the
        callback (usable as a decorator). The first exception it raises is re-raised by
        World.run() when the run returns (later ones are dropped meanwhile)."""
        if callback is None:
            self._callback = None
            self._core.set_uplink_callback(None)
            return None
        if not callable(callback):
            raise TypeError("the uplink callback must be callable or None")
        self._callback = callback
        self._core.set_uplink_callback(lambda record: callback(Uplink._from(record)))
        return callback

    def uplinks(self, device=None):
        """The accepted uplinks, oldest first; ``device`` (DevEUI, DevAddr or Device) keeps
        only its own."""
        records = [Uplink._from(r) for r in self._core.uplinks()]
        if device is None:
            return records
        ref = device_ref(device)
        return [u for u in records if _matches(u, ref)]

    def joins(self, device=None):
        records = [Join._from(r) for r in self._core.joins()]
        if device is None:
            return records
        ref = device_ref(device)
        return [j for j in records if _matches(j, ref)]

    def downlinks(self, device=None, *, join_accepts=True):
        """The downlinks on the air, oldest first (``join_accepts=False``: data only)."""
        records = [Downlink._from(r) for r in self._core.downlinks()]
        if not join_accepts:
            records = [d for d in records if not d.join_accept]
        if device is None:
            return records
        ref = device_ref(device)
        return [d for d in records if _matches(d, ref)]

    def counters(self):
        """The server's counts: received_frames, unique_frames, duplicates,
        uplinks_accepted, joins_accepted, downlinks_sent, bad_mic, replays, ..."""
        return self._core.counters()

    def _close(self):
        self._callback = None
        self._core.set_uplink_callback(None)
