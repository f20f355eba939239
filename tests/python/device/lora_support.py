"""Helpers for the raw-LoRa device tests: one or more devices running scripts in virtual time.

Every script gets PRELUDE first: the usual imports and ``err(f, *args)``, which returns
``'ok <repr of the result>'`` or ``'<exception class name> <repr of its args>'``.
"""

import math
import textwrap

from runtime_support import NTP_EPOCH_S

from usocket_emu import World, _core

PRELUDE = """\
from network import LoRa
import socket
import time

def err(f, *args):
    try:
        return 'ok %r' % (f(*args),)
    except Exception as e:
        return '%s %r' % (type(e).__name__, e.args)

"""

# firmware 1.20 (newlib) errno numbers, pycom-api.md 1.1
EBADF, EAGAIN, EOPNOTSUPP, ENETDOWN, EMSGSIZE = 9, 11, 95, 115, 122

BW_HZ = {0: 125_000, 1: 250_000, 2: 500_000}


def script(body):
    return PRELUDE + textwrap.dedent(body)


class Result:
    """What a device left behind, captured before its world closed."""

    def __init__(self, device):
        self.name = device.name
        self.output = device.output
        self.lines = self.output.splitlines()
        self.exit_exception = device.exit_exception


def run_devices(devices, until_s, seed=1):
    """devices: {name: (script body, add_device keywords)}; every body gets PRELUDE.
    Returns ({name: Result}, events)."""
    with World(time="virtual", seed=seed, ntp_epoch_s=NTP_EPOCH_S) as world:
        added = {}
        for name, (body, keywords) in devices.items():
            added[name] = world.add_device(name, script=script(body), **keywords)
        world.run(until_s=until_s)
        return {name: Result(d) for name, d in added.items()}, world.events()


def run_one(body, until_s=60, seed=1, **keywords):
    """One device "d"; returns its Result and the events."""
    results, events = run_devices({"d": (body, keywords)}, until_s, seed)
    return results["d"], events


def of(events, event, device=None):
    return [e for e in events if e["event"] == event and (device is None or e.get("device") == device)]


def toa_us(size, sf=7, bw_hz=125_000, cr=1, preamble=8):
    return _core.lora_time_on_air_us(size, sf, bw_hz, cr, preamble, False, True)


def toa_ms(size, sf=7, bw_hz=125_000, cr=1, preamble=8):
    return _core.lora_firmware_airtime_ms(size, sf, bw_hz, cr, preamble, False, True)


def path_loss_db(distance_m):
    """radio.md 4.3: the log-distance model, no shadowing."""
    return 127.41 + 10 * 2.08 * math.log10(distance_m / 40)


def rssi_dbm(distance_m, tx_power_dbm=14):
    return tx_power_dbm - path_loss_db(distance_m)
