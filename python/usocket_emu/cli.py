"""The usocket-emu command: ``usocket-emu run [options] TARGET [TARGET ...]``.

Every TARGET is a device of one shared world: a script (it becomes the device's main.py), a
folder standing for the device's /flash (boot.py, then main.py), or a scenario file
(``*.toml``, docs/scenario.md) describing several devices and the world itself.

After a run in which a LoRaWAN network heard anything, a short summary of what each
region's network received follows the devices' output on stdout.

Exit status: 0; 1 if a device died of an uncaught exception; 2 for a usage error (one line
on stderr, never a Python traceback); 130 after Ctrl-C (the world is closed first).
"""

import argparse
import math
import os
import sys

from . import _scenario
from ._world import MAX_SECONDS
from ._scenario import (DEFAULT_BOARD, DEFAULT_REGION, LORA_BOARDS, BOARDS, LORA_REGIONS,
                        DeviceSpec, ScenarioError, WorldSpec)

__all__ = ["main"]

PROG = "usocket-emu"
EXIT_OK, EXIT_DEVICE_DIED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_UNSET = object()  # an option not given on the command line

_DESCRIPTION = """\
Run unchanged Pycom MicroPython device scripts (LoPy, LoPy4, FiPy, SiPy, WiPy) on the
desktop, in an emulated world with real or virtual time."""

_EPILOG = f"""\
examples:
  {PROG} run main.py
  {PROG} run --time virtual --until 86400 node/
  {PROG} run farm.toml

exit status: 0 ok, 1 a device died of an uncaught exception, 2 usage error,
130 interrupted (Ctrl-C)."""

_RUN_DESCRIPTION = """\
Run each TARGET as one device of a shared world. A TARGET is:
  - a script file: it becomes the device's main.py;
  - a folder standing for the device's /flash: boot.py then main.py run, and modules
    import from the folder and its lib/ folder, as on the board;
  - a scenario file (*.toml): a world, its LoRa radio model and several devices, each
    with its own name, target, board, region, position and keys (schema: docs/scenario.md).

Devices are named after their script (without .py) or folder, made unique with -2, -3...
With one device the output is exactly what it prints; with several, each line is
prefixed with the device's name ("name | line"). A device that dies of an uncaught
exception prints its traceback, pointing at its own file and lines, and the others go
on. The run ends when nothing can happen any more (every device idle), at --until, or
at Ctrl-C.

LoRaWAN devices join the embedded network server (one per region; a default gateway at
(0, 0) unless a scenario file places [[gateway]]s), which accepts the keys their scripts
use. After the run, if a network heard anything, a summary of what it received follows
the devices' output: one line per region and one per device."""

_RUN_EPILOG = f"""\
examples:
  # one device, in real time
  {PROG} run main.py
  # a day of a /flash folder's life, as fast as it goes
  {PROG} run --time virtual --until 86400 node/
  # a FiPy in the US915 region
  {PROG} run --board FiPy --region US915 main.py
  # three devices (gateway, sensor, sensor-2), reproducible, with an event log
  {PROG} run --time virtual --seed 7 --log events.jsonl gateway/ sensor.py sensor.py
  # raw LoRa ping-pong, every frame captured for Wireshark (tshark -r air.pcap -V)
  {PROG} run --time virtual --pcap air.pcap ping.py pong.py
  # keep NVS and /flash between runs
  {PROG} run --state .emu-state node/
  # a scenario file; options override its [world] table
  {PROG} run farm.toml --until 3600

Options given on the command line override the [world] table of scenario files; --board,
--region and --strict-firmware apply to the scenario devices that do not set them.

exit status: 0 ok, 1 a device died of an uncaught exception, 2 usage error,
130 interrupted (Ctrl-C)."""


class UsageError(Exception):
    """A bad command line or input file: reported as one line, exit status 2."""


class _Exit(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """Reports errors as one line, ``usocket-emu: error: ...``, and never exits itself."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def exit(self, status=0, message=None):
        if message:
            self._print_message(message, sys.stderr)
        raise _Exit(status)


# --- option types: each raises ArgumentTypeError with the message argparse shows -------

def _board(text):
    try:
        return _scenario.canonical_board(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _region(text):
    try:
        return _scenario.canonical_region(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds_or_none(text):
    if text.strip().lower() == "none":
        return None
    return _seconds(text)


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_SECONDS:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a number of seconds from 0 to {MAX_SECONDS:g}, got {text!r}")
    return value


def _seed(text):
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**64-1, got {text!r}")
    return value


def _parsers():
    from . import __version__

    parser = _Parser(prog=PROG, description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                     required=True, parser_class=_Parser)
    run = commands.add_parser(
        "run", help="run device scripts, /flash folders and scenario files in one world",
        description=_RUN_DESCRIPTION, epilog=_RUN_EPILOG, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("targets", nargs="+", metavar="TARGET",
                     help="a script file, a /flash folder or a scenario file (*.toml)")
    device = run.add_argument_group("devices")
    device.add_argument("--board", type=_board, default=_UNSET, metavar="BOARD",
                        help=f"the board: {', '.join(BOARDS)} (default {DEFAULT_BOARD})")
    device.add_argument("--region", type=_region, default=_UNSET, metavar="REGION",
                        help=f"the LoRa region in the device's config block: "
                             f"{', '.join(LORA_REGIONS)} (EU433 and CN470 on the LoPy4 only; "
                             f"default {DEFAULT_REGION}); LoRa boards only ({', '.join(LORA_BOARDS)})")
    device.add_argument("--strict-firmware", action="store_true", default=_UNSET,
                        help="reproduce firmware 1.20.2 exactly, gaps included (no 'with' on "
                             "sockets, no readall(), no OSError.errno, at most 10 sockets)")
    world = run.add_argument_group("the world")
    world.add_argument("--time", choices=_scenario.TIME_MODES, default=_UNSET,
                       help="real: emulated time follows the wall clock (default); virtual: it "
                            "jumps ahead whenever every device waits, so a day passes in seconds")
    world.add_argument("--until", type=_seconds_or_none, default=_UNSET, metavar="SECONDS",
                       help="stop at this emulated time, in seconds from the start ('none': run "
                            "until every device is idle or Ctrl-C; the default)")
    world.add_argument("--seed", type=_seed, default=_UNSET, metavar="N",
                       help="seed of the world's random generator (default 0); the same seed "
                            "and scripts give the same output and log in virtual time")
    world.add_argument("--ntp-epoch", type=_seconds, default=_UNSET, metavar="SECONDS",
                       help="Unix time that NTP answers at the start of the run (default: the "
                            "host clock); pin it for reproducible runs that sync the RTC")
    world.add_argument("--log", default=_UNSET, metavar="FILE",
                       help="write every emulator event to FILE, one JSON object per line")
    world.add_argument("--pcap", default=_UNSET, metavar="FILE",
                       help="write every LoRa frame on the air to FILE, a pcap capture for "
                            "Wireshark/tshark (LoRaTap, emulated timestamps)")
    world.add_argument("--state", default=_UNSET, metavar="DIR",
                       help="keep each device's NVS, settings, LoRa NVRAM and /flash in DIR/NAME/ "
                            "between runs (default: nothing is kept)")
    return parser, run


def _given(value, fallback):
    return fallback if value is _UNSET else value


# --- from the command line to a plan -----------------------------------------------------

def _plan(args):
    """Checks the command line and the files it names. Returns (World kwargs, until_s,
    [DeviceSpec], [GatewaySpec], [DownlinkSpec]) or raises UsageError."""
    board = _given(args.board, DEFAULT_BOARD)
    region = _given(args.region, None)
    strict = _given(args.strict_firmware, False)
    kinds = []
    for target in args.targets:
        problem = _scenario.target_problem(target)
        if problem:
            raise UsageError(problem)
        if os.path.isdir(target):
            kinds.append("folder")
        elif target.lower().endswith(".toml"):
            kinds.append("scenario")
        else:
            kinds.append("script")

    # Scenario devices first: their names are given, the others' are derived around them.
    world = {}  # [world] key -> (value, file that set it)
    radio = {}  # [radio] key -> (value, file that set it)
    network = {}  # [network] key -> (value, file that set it)
    sigfox = {}  # [sigfox] key -> (value, file that set it)
    gateways, downlinks = [], []
    taken = set()
    per_target = {}
    try:
        for i, (target, kind) in enumerate(zip(args.targets, kinds)):
            if kind != "scenario":
                continue
            scenario = _scenario.load_scenario(target, board=board, region=region,
                                               strict_firmware=strict, taken=taken)
            if not scenario.devices and len(args.targets) == 1:
                raise UsageError(f"{scenario.path}: no [[device]] table: the world would be empty")
            _merge_world(world, scenario)
            _merge_radio(radio, scenario)
            _merge_table(network, scenario, "network")
            _merge_table(sigfox, scenario, "sigfox")
            for gateway in scenario.gateways:
                if any(g.name == gateway.name and g.region == gateway.region for g in gateways):
                    raise UsageError(f"{scenario.path}: [[gateway]] {gateway.name!r}: a gateway of that name "
                                     f"is already in region {gateway.region}")
                gateways.append(gateway)
            for station in scenario.sigfox_stations:
                if any(g.name == station.name and g.region == station.region for g in gateways):
                    raise UsageError(f"{scenario.path}: [[sigfox_station]] {station.name!r}: a station of "
                                     f"that name is already in the world")
                gateways.append(station)
            downlinks.extend(scenario.downlinks)
            downlinks.extend(scenario.sigfox_downlinks)
            taken.update(d.name for d in scenario.devices)
            per_target[i] = list(scenario.devices)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None

    if region is not None and any(kind != "scenario" for kind in kinds):
        try:
            _scenario.check_region(board, region)
        except ValueError as exc:
            raise UsageError(f"argument --region: {exc}") from None
    device_region = region if region is not None and board in LORA_BOARDS else DEFAULT_REGION
    for i, (target, kind) in enumerate(zip(args.targets, kinds)):
        if kind == "scenario":
            continue
        name = _scenario.unique_name(_scenario.device_name(target), taken)
        taken.add(name)
        per_target[i] = [DeviceSpec(name=name, target=os.path.abspath(target), board=board,
                                    region=device_region, strict_firmware=strict)]
    devices = [d for i in range(len(args.targets)) for d in per_target[i]]

    def setting(option, key, default):
        value = getattr(args, option)
        if value is not _UNSET:
            return value
        return world[key][0] if key in world else default

    log = _output_file("--log", setting("log", "log", None))
    pcap = _output_file("--pcap", setting("pcap", "pcap", None))
    if log is not None and log == pcap:
        raise UsageError(f"--log and --pcap name the same file: {log}")
    state = setting("state", "state", None)
    if state is not None:
        state = os.path.abspath(state)
        if os.path.exists(state) and not os.path.isdir(state):
            raise UsageError(f"--state: {state} is not a folder")
    world_kwargs = {
        "time": setting("time", "time", "real"),
        "seed": setting("seed", "seed", 0),
        "log": log,
        "pcap": pcap,
        "state_dir": state,
        "ntp_epoch_s": setting("ntp_epoch", "ntp_epoch_s", None),
        "reboot_time_ms": world["reboot_time_ms"][0] if "reboot_time_ms" in world else None,
        "duty_cycle": world["duty_cycle"][0] if "duty_cycle" in world else False,
        "radio": {key: value for key, (value, _) in radio.items()} or None,
        "network": {key: value for key, (value, _) in network.items()} or None,
        "sigfox": {key: value for key, (value, _) in sigfox.items()} or None,
    }
    return world_kwargs, setting("until", "until_s", None), devices, gateways, downlinks


def _output_file(option, path):
    """An absolute path for a file the run writes, or None; UsageError if it cannot be one."""
    if path is None:
        return None
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise UsageError(f"{option}: {path} is a folder, not a file")
    if not os.path.isdir(os.path.dirname(path)):
        raise UsageError(f"{option}: no such folder: {os.path.dirname(path)}")
    return path


def _merge_world(world, scenario):
    """Adds a scenario's [world] settings; two files may not disagree."""
    for key in WorldSpec.__dataclass_fields__:
        value = getattr(scenario.world, key)
        if value is None:
            continue
        if key in world and world[key][0] != value:
            raise UsageError(f"{scenario.path}: [world] {key}: {value!r} contradicts "
                             f"{world[key][0]!r} from {world[key][1]}")
        world[key] = (value, scenario.path)


def _merge_radio(radio, scenario):
    """Adds a scenario's [radio] settings; two files may not disagree."""
    _merge_table(radio, scenario, "radio")


def _merge_table(merged, scenario, table):
    """Adds a scenario's [radio], [network] or [sigfox] settings; two files may not disagree."""
    for key, value in getattr(scenario, table).items():
        if key in merged and merged[key][0] != value:
            raise UsageError(f"{scenario.path}: [{table}] {key}: {value!r} contradicts "
                             f"{merged[key][0]!r} from {merged[key][1]}")
        merged[key] = (value, scenario.path)


# --- running -----------------------------------------------------------------------------

class _HostStream:
    """The host's stdout as devices print to it: text the terminal cannot encode is
    escaped, and a closed pipe (``| head``) silences the output instead of failing."""

    def __init__(self, stream):
        self._stream = stream
        self._broken = False

    def write(self, text):
        if self._broken:
            return
        try:
            try:
                self._stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self._stream, "encoding", None) or "ascii"
                self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
            self._broken = True

    def flush(self):
        if self._broken:
            return
        try:
            self._stream.flush()
        except (BrokenPipeError, ValueError):
            self._broken = True

    @property
    def broken(self):
        return self._broken


def _run(world_kwargs, until_s, devices, gateways=(), downlinks=()):
    from ._world import World

    stdout = _HostStream(sys.stdout)
    try:
        # The command never reads events back: --log streams them to a file instead of memory.
        world = World(output=stdout, keep_events=False, **world_kwargs)
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        raise UsageError(f"cannot create the world: {exc}") from None
    interrupted = False
    try:
        try:
            for spec in devices:
                spec.add_to(world)
        except (OSError, ValueError) as exc:
            raise UsageError(f"device {spec.name!r}: {exc}") from None
        try:
            for gateway in gateways:
                gateway.add_to(world)
        except ValueError as exc:
            raise UsageError(f"gateway {gateway.name!r}: {exc}") from None
        try:
            for downlink in downlinks:
                downlink.queue_in(world)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"downlink: {exc}") from None
        world.run(until_s)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        summary = []  # read before close() drops the networks
        try:
            try:
                summary = network_summary(world)
            finally:
                world.close()
        except KeyboardInterrupt:  # a second Ctrl-C while closing: leave at once
            interrupted = True
    for line in summary:
        stdout.write(line + "\n")
    stdout.flush()
    if stdout.broken:
        _silence_stdout()
    if interrupted:
        return EXIT_INTERRUPTED
    died = [d for d in world.devices.values() if d.died]
    if len(world.devices) > 1:
        for device in died:
            exc = device.exit_exception
            text = "".join(f"{type(exc).__name__}: {exc}".splitlines()[:1])
            print(f"{PROG}: device {device.name!r} died: {text}", file=sys.stderr)
    return EXIT_DEVICE_DIED if died else EXIT_OK


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _payload_text(payload, limit=24):
    text = repr(bytes(payload[:limit]))
    return text + "..." if len(payload) > limit else text


def network_summary(world):
    """What each LoRaWAN network that heard anything received: one line per region, then
    one per device (by name when the world knows its DevEUI or DevAddr), sorted."""
    names = {}  # DevEUI hex or DevAddr int -> device name
    for device in world.devices.values():
        if device.region is None:
            continue
        keys = device.keys
        names[bytes(keys.get("dev_eui", device.config.lpwan_mac)).hex()] = device.name
        if "dev_addr" in keys:
            names[int.from_bytes(bytes(keys["dev_addr"]), "big")] = device.name
    lines = []
    for region, network in sorted(world.networks.items()):
        if network.counters()["received_frames"] == 0:
            continue
        joins, uplinks = network.joins(), network.uplinks()
        downlinks = network.downlinks(join_accepts=False)
        for join in joins:
            names.setdefault(join.dev_addr, names.get(join.dev_eui, join.dev_eui))

        def who(record):
            if record.dev_eui is not None:
                return names.get(record.dev_eui, record.dev_eui)
            return names.get(record.dev_addr, f"{record.dev_addr:08x}")

        per_device = {}
        for join in joins:
            per_device.setdefault(who(join), [])
        for uplink in uplinks:
            per_device.setdefault(who(uplink), []).append(uplink)
        lines.append(f"network {region}: {_plural(len(joins), 'join')}, {_plural(len(uplinks), 'uplink')} "
                     f"from {_plural(len({who(u) for u in uplinks}), 'device')}, "
                     f"{_plural(len(downlinks), 'downlink')}")
        for name in sorted(per_device):
            ups = per_device[name]
            line = f"  {name}: {_plural(len(ups), 'uplink')}"
            if ups:
                last = ups[-1]
                line += f", last fcnt {last.fcnt} port {last.port}: {_payload_text(last.payload)}"
            lines.append(line)
    return lines + sigfox_summary(world)


def sigfox_summary(world):
    """What the Sigfox backend received, if anything: one line, then one per device."""
    if world._sigfox is None:
        return []
    messages = world.sigfox.messages
    if not messages:
        return []
    names = {device.config.sigfox_id.hex(): device.name for device in world.devices.values()}
    per_device = {}
    for message in messages:
        per_device.setdefault(names.get(message.device_id, message.device_id), []).append(message)
    over = sum(m.over_limit for m in messages)
    downlinks = sum(m.downlink_answered for m in messages)
    lines = [f"sigfox: {_plural(len(messages), 'message')} from {_plural(len(per_device), 'device')}, "
             f"{_plural(downlinks, 'downlink')}" + (f", {over} over the daily limit" if over else "")]
    for name in sorted(per_device):
        last = per_device[name][-1]
        lines.append(f"  {name}: {_plural(len(per_device[name]), 'message')}, last seq {last.seq}: "
                     f"{_payload_text(last.payload)}")
    return lines


def _silence_stdout():
    """After a broken pipe: stop Python's final flush of stdout from complaining."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None):
    """The usocket-emu command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else [os.fspath(a) for a in argv]
    parser, run_parser = _parsers()
    try:
        try:
            if argv[:1] == ["run"]:
                # Options may come after targets too: `usocket-emu run a.py --time virtual b.py`.
                args = run_parser.parse_intermixed_args(argv[1:])
            else:
                parser.parse_args(argv)  # --help, --version, or an error
                return EXIT_USAGE  # not reached: "run" is the only command
        except _Exit as exc:
            return exc.status
        return _run(*_plan(args))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before the world existed
        return EXIT_INTERRUPTED
