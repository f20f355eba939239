"""usocket_emu.SigfoxBackend: the world's Sigfox base stations and backend.

    world = World(time="virtual", sigfox={"echo": False})
    world.sigfox.add_station("mast", position_m=(0, 500))
    world.sigfox.queue_downlink(device, b"\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08")
    world.run()
    [(m.device_id, m.seq, m.payload) for m in world.sigfox.messages]

Every Sigfox device of the world (SiPy, LoPy4, FiPy) talks to this one backend through its
base stations (one default station named "station" at (0, 0) unless some were added before
the first device opened its radio). A device ID is what ``Sigfox.id()`` returns, given as
its hex text (``"001c2a3b"``, as the Sigfox backend shows it), 4 bytes, an int, or the
World Device itself. The backend applies the daily limits of a subscription (140 uplinks,
4 downlinks a day by default): what is over them is recorded, logged, and not delivered.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from . import _core

__all__ = ["SIGFOX_OPTIONS", "SigfoxBackend", "SigfoxMessage", "check_sigfox_options", "sigfox_device_id"]

#: World(sigfox={...}) settings.
SIGFOX_OPTIONS = {
    "echo": "true or false: answer each downlink request with the uplink's first 8 bytes (default false)",
    "uplinks_per_day": "uplinks a device may send per emulated day (default 140)",
    "downlinks_per_day": "downlinks a device may get per emulated day (default 4)",
    "downlink_delay_us": "from the device's receive window opening to the downlink (default 1500000)",
}

#: The Sigfox downlink payload is always 8 bytes (radio.md 5.4).
DOWNLINK_BYTES = 8


def check_sigfox_options(options):
    """World(sigfox=...) checked: a dict of SIGFOX_OPTIONS with their types."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError("sigfox is a dict of Sigfox backend settings")
    for key, value in options.items():
        if key not in SIGFOX_OPTIONS:
            raise ValueError(f"unknown Sigfox setting {key!r} (known: {', '.join(SIGFOX_OPTIONS)})")
        if key == "echo":
            if not isinstance(value, bool):
                raise TypeError("Sigfox setting 'echo' must be True or False")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"Sigfox setting {key!r} must be a non-negative integer, got {value!r}")
    return dict(options)


def sigfox_device_id(device):
    """A Sigfox device ID as an int, from its hex text, 4 bytes, an int or a World Device."""
    from ._device import Device  # late: _device imports much of the package

    if isinstance(device, Device):
        return int.from_bytes(device.config.sigfox_id, "big")
    if isinstance(device, int) and not isinstance(device, bool):
        if not 0 <= device <= 0xFFFFFFFF:
            raise ValueError(f"a Sigfox ID is 0 to 0xFFFFFFFF, got {device:#x}")
        return device
    if isinstance(device, str):
        try:
            data = bytes.fromhex(device.replace(":", "").replace(" ", ""))
        except ValueError:
            raise ValueError(f"a Sigfox ID is 8 hex digits, got {device!r}") from None
    elif isinstance(device, (bytes, bytearray, memoryview)):
        data = bytes(device)
    else:
        raise TypeError(f"a Sigfox device is an ID or a Device, not {type(device).__name__}")
    if len(data) != 4:
        raise ValueError(f"a Sigfox ID is 4 bytes (8 hex digits), got {len(data)}")
    return int.from_bytes(data, "big")


@dataclass(frozen=True)
class SigfoxMessage:
    """One uplink message as the backend recorded it (its repetitions counted once)."""

    t_s: float                     # emulated time its first frame was heard
    device_id: str                 # hex, as Sigfox.id() hexlified
    seq: int                       # the 12-bit sequence number
    payload: bytes                 # b"" for a bit frame or an out-of-band frame
    bit_frame: bool
    bit_value: bool
    oob: bool
    zone: str                      # "RCZ1" ... "RCZ4"
    rssi_dbm: float                # best frame at the best station
    stations: int                  # that heard it
    station_names: Tuple[str, ...]
    frames_received: int           # of its repetitions
    downlink_requested: bool
    downlink_answered: bool
    downlink_payload: Optional[bytes]
    over_limit: bool               # over the daily uplink limit: not delivered
    downlink_over_limit: bool      # a downlink was due but the daily downlink limit was reached

    @classmethod
    def _from(cls, r):
        return cls(
            t_s=r.received_us / 1e6, device_id=f"{r.device_id:08x}", seq=r.sequence_number,
            payload=bytes(r.payload), bit_frame=r.bit_frame, bit_value=r.bit_value, oob=r.oob,
            zone=f"RCZ{r.zone + 1}", rssi_dbm=r.rssi_dbm, stations=r.stations,
            station_names=tuple(r.station_names), frames_received=r.frames_received,
            downlink_requested=r.downlink_requested, downlink_answered=r.downlink_answered,
            downlink_payload=bytes(r.downlink_payload) if r.downlink_answered else None,
            over_limit=r.over_limit, downlink_over_limit=r.downlink_over_limit,
        )


class SigfoxBackend:
    """The Sigfox base stations and backend of a world: ``world.sigfox``. Its methods may be
    called while the world runs (from an on_message callback too)."""

    #: The station the backend gets when a device opens its radio and none was added.
    DEFAULT_STATION = ("station", (0.0, 0.0))

    def __init__(self, world, medium, options):
        self._world = world
        self._medium = medium
        self._core = _core.SigfoxNetwork(medium, dict(options))
        self._callback = None

    def __repr__(self):
        return f"<SigfoxBackend: {len(self.stations)} stations, {len(self._core.messages())} messages>"

    # --- stations ---

    def add_station(self, name, position_m=(0.0, 0.0)):
        """A base station at ``position_m`` ((x, y) or (x, y, z) in metres) from now on."""
        if not isinstance(name, str) or not name or name.strip() != name:
            raise ValueError(f"bad station name {name!r}")
        if name in self.stations:
            raise ValueError(f"the Sigfox network already has a station named {name!r}")
        position = tuple(float(v) for v in position_m)
        if len(position) not in (2, 3):
            raise ValueError("position_m is (x, y) or (x, y, z) in metres")
        self._world._check_open()
        self._core.add_station(name, position)

    @property
    def stations(self):
        """The stations' names, in the order they were added."""
        return tuple(self._core.station_names())

    def _ensure_station(self):
        if not self._core.station_names():
            name, position = self.DEFAULT_STATION
            self._core.add_station(name, position)

    # --- what it received, what it answers ---

    @property
    def messages(self):
        """Every uplink message received so far, in order (SigfoxMessage)."""
        return [SigfoxMessage._from(r) for r in self._core.messages()]

    def messages_from(self, device):
        """The messages of one device."""
        text = f"{sigfox_device_id(device):08x}"
        return [m for m in self.messages if m.device_id == text]

    def queue_downlink(self, device, payload):
        """Queues the 8-byte answer to the device's next downlink request."""
        data = bytes(payload)
        if len(data) != DOWNLINK_BYTES:
            raise ValueError(f"a Sigfox downlink is {DOWNLINK_BYTES} bytes, got {len(data)}")
        self._core.queue_downlink(sigfox_device_id(device), data)

    def pending_downlinks(self, device):
        return self._core.pending_downlinks(sigfox_device_id(device))

    def on_message(self, callback):
        """Calls ``callback(message)`` for each delivered message (not over the daily limit)
        once it is complete. For a downlink request with nothing queued, 8 bytes returned
        answer it (None: no answer, or echo's if on). ``on_message(None)`` removes it."""
        if callback is None:
            self._callback = None
            self._core.set_callback(None)
            return
        if not callable(callback):
            raise TypeError("on_message takes a callable or None")
        self._callback = callback
        self._core.set_callback(lambda record: callback(SigfoxMessage._from(record)))

    @property
    def echo(self):
        """True: a downlink request with nothing queued gets the uplink's first 8 bytes."""
        return self._core.echo

    @echo.setter
    def echo(self, on):
        if not isinstance(on, bool):
            raise TypeError("echo is True or False")
        self._core.echo = on

    @property
    def uplinks_per_day(self):
        return self._core.uplinks_per_day

    @uplinks_per_day.setter
    def uplinks_per_day(self, n):
        self._core.uplinks_per_day = n

    @property
    def downlinks_per_day(self):
        return self._core.downlinks_per_day

    @downlinks_per_day.setter
    def downlinks_per_day(self, n):
        self._core.downlinks_per_day = n

    def counters(self):
        """The backend's counts (messages, over_limit, downlinks, ...)."""
        return self._core.counters()

    def _close(self):
        self._core.set_callback(None)
        self._callback = None
