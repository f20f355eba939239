# test_cli.py: the usocket-emu command: targets, options, scenario files, exit status, errors.
"""``usocket-emu run`` as a user types it.

Most tests call ``cli.main(argv)`` in-process (output through capsys); the Ctrl-C tests and
the entry-point test run the real command in a subprocess.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from usocket_emu import World, cli
from usocket_emu._scenario import RADIO_SETTINGS, WorldSpec, load_scenario

from runtime_support import NTP_EPOCH_S, write_tree

#: How long a subprocess may take to start its world (import, first print): a bound on
#: waiting for output, not a sleep.
STARTUP_LIMIT_S = 20.0
#: After Ctrl-C the command must be gone within this long.
EXIT_LIMIT_S = 5.0


def script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def run_cli(capsys, *argv):
    """Runs the command in-process; returns (exit status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, out, err):
    assert status == cli.EXIT_USAGE
    assert out == ""
    assert err.startswith("usocket-emu: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


TICKER = """
    import time
    for i in range(3):
        time.sleep(60)
        print('tick', i, time.ticks_ms())
"""


# --- one device, several devices ---------------------------------------------------------

def test_one_device_prints_exactly_what_the_script_prints(tmp_path, capsys):
    main = script(tmp_path, "main.py", TICKER)
    status, out, err = run_cli(capsys, "run", "--time", "virtual", main)
    assert (status, err) == (0, "")
    assert out == "tick 0 60000\ntick 1 120000\ntick 2 180000\n"


def test_several_devices_prefix_their_lines_with_unique_names(tmp_path, capsys):
    a = script(tmp_path, "sensor.py", "import time\ntime.sleep(1)\nprint('s')\n")
    gw = write_tree(str(tmp_path / "gateway"), {"main.py": "print('g')\nprint('g2')\n"})
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", gw, a, a)
    assert status == 0
    # names: folder name, script stem, then -2; padded to the longest name
    assert out.splitlines() == [
        "gateway  | g", "gateway  | g2", "sensor   | s", "sensor-2 | s",
    ]


def test_a_folder_is_the_flash_boot_then_main_and_lib_imports(tmp_path, capsys):
    flash = write_tree(str(tmp_path / "node"), {
        "boot.py": "print('boot')\n",
        "main.py": "import helper\nprint(helper.twice(21))\n",
        "lib/helper.py": "def twice(x):\n    return 2 * x\n",
    })
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", flash)
    assert (status, out) == (0, "boot\n42\n")


def test_options_may_follow_the_targets(tmp_path, capsys):
    main = script(tmp_path, "main.py", TICKER)
    status, out, _ = run_cli(capsys, "run", main, "--time", "virtual", "--until", "90")
    assert (status, out) == (0, "tick 0 60000\n")


# --- exit status and tracebacks ----------------------------------------------------------

def test_a_dying_device_exits_1_with_a_traceback_into_its_own_file(tmp_path, capsys):
    bad = script(tmp_path, "bad.py", """
        import time
        def measure():
            return 1 / 0
        time.sleep(5)
        measure()
    """)
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", bad)
    assert status == cli.EXIT_DEVICE_DIED
    assert out.startswith("Traceback (most recent call last):\n")
    assert f'File "{bad}", line 6, in <module>' in out
    assert f'File "{bad}", line 4, in measure' in out
    assert out.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "usocket_emu" not in out  # no frame of the emulator's own


def test_one_dying_device_does_not_stop_the_others(tmp_path, capsys):
    bad = script(tmp_path, "bad.py", "import time\ntime.sleep(1)\nraise ValueError('boom')\n")
    good = script(tmp_path, "good.py", TICKER)
    status, out, err = run_cli(capsys, "run", "--time", "virtual", bad, good)
    assert status == cli.EXIT_DEVICE_DIED
    assert "good | tick 2 180000" in out.splitlines()
    assert "bad  | ValueError: boom" in out.splitlines()
    assert err == "usocket-emu: device 'bad' died: ValueError: boom\n"


def test_sys_exit_is_a_reset_not_a_death(tmp_path, capsys):
    main = script(tmp_path, "main.py", """
        import sys, machine
        print('cause', machine.reset_cause())
        if machine.reset_cause() == machine.PWRON_RESET:
            sys.exit()
    """)
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", main)
    assert (status, out) == (0, "cause 0\ncause 4\n")


# --- world options -----------------------------------------------------------------------

def test_until_stops_at_that_emulated_time(tmp_path, capsys):
    main = script(tmp_path, "main.py", "import time\nwhile True:\n    time.sleep(60)\n    print(time.time())\n")
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", "--until", "300", main)
    assert status == 0
    assert out.splitlines() == ["60", "120", "180", "240", "300"]


def test_the_same_seed_gives_the_same_output_and_log(tmp_path, capsys):
    main = script(tmp_path, "main.py", """
        import crypto, time
        for _ in range(3):
            time.sleep(crypto.getrandbits(8)[0])
            print(time.ticks_ms(), crypto.getrandbits(32))
    """)
    runs = []
    for i, seed in enumerate((5, 5, 6)):
        log = tmp_path / f"{i}.jsonl"
        status, out, _ = run_cli(capsys, "run", "--time", "virtual", "--seed", seed, "--log", log, main)
        assert status == 0
        runs.append((out, log.read_bytes()))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]


def test_log_writes_one_json_object_per_event(tmp_path, capsys):
    main = script(tmp_path, "main.py", "print('hi')\n")
    log = tmp_path / "events.jsonl"
    status, _, _ = run_cli(capsys, "run", "--time", "virtual", "--board", "FiPy", "--region", "US915",
                           "--log", log, main)
    assert status == 0
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events] == ["device_added", "boot", "main_end"]
    assert events[0] == {"t_us": 0, "event": "device_added", "device": "main", "board": "FiPy",
                         "region": "US915", "x_m": 0.0, "y_m": 0.0}


def test_state_keeps_nvs_and_flash_between_runs(tmp_path, capsys):
    main = script(tmp_path, "main.py", """
        import pycom
        n = pycom.nvs_get('runs', 0) + 1
        pycom.nvs_set('runs', n)
        with open('/flash/seen.txt', 'a') as f:
            f.write('run %d\\n' % n)
        print(open('/flash/seen.txt').read(), end='')
    """)
    state = tmp_path / "state"
    outputs = [run_cli(capsys, "run", "--time", "virtual", "--state", state, main)[1] for _ in range(3)]
    assert outputs == ["run 1\n", "run 1\nrun 2\n", "run 1\nrun 2\nrun 3\n"]
    # without --state every run starts from an empty device
    assert run_cli(capsys, "run", "--time", "virtual", main)[1] == "run 1\n"


def test_strict_firmware_reproduces_the_firmware_gaps(tmp_path, capsys):
    main = script(tmp_path, "main.py", """
        import usocket
        s = usocket.socket()
        print(hasattr(s, 'readall'), hasattr(s, '__enter__'))
        s.close()
    """)
    assert run_cli(capsys, "run", "--time", "virtual", main)[1] == "True True\n"
    assert run_cli(capsys, "run", "--time", "virtual", "--strict-firmware", main)[1] == "False False\n"


@pytest.mark.parametrize(("board", "lora", "sigfox"), [
    ("LoPy", True, False), ("LoPy4", True, True), ("SiPy", False, True), ("WiPy", False, False),
])
def test_board_decides_the_socket_constants(tmp_path, capsys, board, lora, sigfox):
    main = script(tmp_path, "main.py", "import usocket\nprint(hasattr(usocket, 'AF_LORA'), hasattr(usocket, 'AF_SIGFOX'))\n")
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", "--board", board.lower(), main)
    assert (status, out) == (0, f"{lora} {sigfox}\n")


# --- usage errors: one line, exit 2 ------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["run"],
    ["run", "--bogus", "{main}"],
    ["run", "--board", "ESP8266", "{main}"],
    ["run", "--region", "XX999", "{main}"],
    ["run", "--board", "SiPy", "--region", "EU868", "{main}"],
    ["run", "--board", "LoPy", "--region", "EU433", "{main}"],
    ["run", "--time", "fast", "{main}"],
    ["run", "--until", "-1", "{main}"],
    ["run", "--until", "soon", "{main}"],
    ["run", "--seed", "-3", "{main}"],
    ["run", "--seed", "1.5", "{main}"],
    ["run", "{tmp}/missing.py"],
    ["run", "{tmp}/empty"],
    ["run", "--log", "{tmp}/no/such/folder/log.jsonl", "{main}"],
    ["run", "--log", "{tmp}", "{main}"],
    ["run", "--state", "{main}", "{main}"],
    ["walk", "{main}"],
    [],
])
def test_bad_command_lines_get_one_line_and_exit_2(tmp_path, capsys, argv):
    main = script(tmp_path, "main.py", "print('never')\n")
    (tmp_path / "empty").mkdir()
    status, out, err = run_cli(capsys, *[a.format(main=main, tmp=tmp_path) for a in argv])
    assert_one_line_error(status, out, err)


def test_help_documents_every_option(capsys):
    status, out, _ = run_cli(capsys, "run", "--help")
    assert status == 0
    for option in ("--board", "--region", "--time", "--until", "--seed", "--strict-firmware",
                   "--log", "--state", "--ntp-epoch", "TARGET", "exit status", "scenario"):
        assert option in out
    status, out, _ = run_cli(capsys, "--help")
    assert status == 0 and "run" in out and "exit status" in out


def test_version(capsys):
    from usocket_emu import __version__

    status, out, _ = run_cli(capsys, "--version")
    assert (status, out) == (0, f"usocket-emu {__version__}\n")


# --- scenario files ----------------------------------------------------------------------

def test_a_scenario_names_its_devices_boards_positions_and_world(tmp_path, capsys):
    script(tmp_path, "ticker.py", TICKER)
    (tmp_path / "farm.toml").write_text(textwrap.dedent(f"""
        [world]
        time = "virtual"
        seed = 3
        until_s = 150
        log = "farm.jsonl"
        ntp_epoch_s = {NTP_EPOCH_S}

        [[device]]
        name = "gw"
        target = "ticker.py"
        board = "FiPy"
        region = "AU915"
        position_m = [10, -2.5]

        [[device]]
        name = "node"
        script = "import os\\nprint(os.uname().sysname)"
        board = "sipy"
        wifi_mac = "30:AE:A4:00:00:01"
        [device.keys]
        dev_eui = "70B3D5499F000001"
        app_key = "2B7E151628AED2A6ABF7158809CF4F3C"
    """), encoding="utf-8")
    status, out, _ = run_cli(capsys, "run", tmp_path / "farm.toml")
    assert status == 0
    assert out.splitlines() == ["node | SiPy", "gw   | tick 0 60000", "gw   | tick 1 120000"]
    added = [json.loads(line) for line in (tmp_path / "farm.jsonl").read_text().splitlines()][:2]
    assert added[0] == {"t_us": 0, "event": "device_added", "device": "gw", "board": "FiPy",
                        "region": "AU915", "x_m": 10.0, "y_m": -2.5}
    assert added[1]["device"] == "node" and added[1]["board"] == "SiPy"


def test_command_line_options_override_the_world_table(tmp_path, capsys):
    script(tmp_path, "ticker.py", TICKER)
    (tmp_path / "w.toml").write_text('[world]\ntime = "virtual"\nuntil_s = 30\n[[device]]\ntarget = "ticker.py"\n')
    assert run_cli(capsys, "run", tmp_path / "w.toml")[1] == ""
    assert run_cli(capsys, "run", tmp_path / "w.toml", "--until", "130")[1] == "tick 0 60000\ntick 1 120000\n"


def test_scenario_devices_and_plain_targets_share_one_world(tmp_path, capsys):
    ticker = script(tmp_path, "ticker.py", TICKER)
    (tmp_path / "w.toml").write_text('[[device]]\ntarget = "ticker.py"\n')
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", "--until", "61", tmp_path / "w.toml", ticker)
    assert status == 0
    assert out.splitlines() == ["ticker   | tick 0 60000", "ticker-2 | tick 0 60000"]


@pytest.mark.parametrize(("toml", "complaint"), [
    ("[world\n", "not valid TOML"),
    ("[world]\nspeed = 2\n", "[world] speed: unknown key"),
    ("[world]\nseed = 'x'\n", "[world] seed: expected an integer"),
    ("[world]\ntime = 'fast'\n", "[world] time: expected one of"),
    ("[world]\nuntil_s = -5\n", "[world] until_s: must be at least 0"),
    ("[[device]]\nname = 'a'\n", "needs exactly one of 'target'"),
    ("[[device]]\nname = 'a'\nscript = 'x'\ntarget = 'ticker.py'\n", "needs exactly one of 'target'"),
    ("[[device]]\nscript = 'x'\n", "name: is required"),
    ("[[device]]\nname = 'a'\ntarget = 'nope.py'\n", "target: no such file or folder"),
    ("[[device]]\nname = 'a'\nscript = 'x'\n[[device]]\nname = 'a'\nscript = 'y'\n", "defined twice"),
    ("[[device]]\nname = 'a/b'\nscript = 'x'\n", "name: must be non-empty"),
    ("[[device]]\nname = 'a'\nscript = 'x'\nboard = 'Pico'\n", "board: unknown board 'Pico'"),
    ("[[device]]\nname = 'a'\nscript = 'x'\nboard = 'WiPy'\nregion = 'EU868'\n", "region: a WiPy has no LoRa radio"),
    ("[[device]]\nname = 'a'\nscript = 'x'\nposition_m = [1]\n", "position_m: expected a pair"),
    ("[[device]]\nname = 'a'\nscript = 'x'\nwifi_mac = '0011'\n", "wifi_mac: expected 6 bytes"),
    ("[[device]]\nname = 'a'\nscript = 'x'\n[device.keys]\napp_key = 'zz'\n", "[keys] app_key: expected 16 bytes"),
    ("[[device]]\nname = 'a'\nscript = 'x'\n[device.keys]\nnwk_key = '00'\n", "[keys] nwk_key: unknown key"),
    ("device = 3\n", "device: must be an array of tables"),
    ("[[device]]\nname = 'a'\nscript = 'x'\nstrict_firmware = 'yes'\n", "strict_firmware: expected true or false"),
])
def test_bad_scenario_files_get_one_line_naming_file_and_key(tmp_path, capsys, toml, complaint):
    script(tmp_path, "ticker.py", TICKER)
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    status, out, err = run_cli(capsys, "run", path)
    assert_one_line_error(status, out, err)
    assert str(path) in err and complaint in err


def test_an_empty_scenario_is_refused(tmp_path, capsys):
    (tmp_path / "empty.toml").write_text("[world]\nseed = 1\n")
    assert_one_line_error(*run_cli(capsys, "run", tmp_path / "empty.toml"))


def test_two_scenarios_may_not_contradict_each_other(tmp_path, capsys):
    (tmp_path / "a.toml").write_text("[world]\nseed = 1\n[[device]]\nname = 'a'\nscript = 'x = 1'\n")
    (tmp_path / "b.toml").write_text("[world]\nseed = 2\n[[device]]\nname = 'b'\nscript = 'x = 1'\n")
    status, out, err = run_cli(capsys, "run", tmp_path / "a.toml", tmp_path / "b.toml")
    assert_one_line_error(status, out, err)
    assert "seed" in err and "contradicts" in err


# --- the [radio] table ---------------------------------------------------------------------

#: Two LoPy4s 100 m apart: the listener prints the RSSI of the sender's frame.
RSSI_PAIR = """
    [[device]]
    name = "tx"
    script = "from network import LoRa\\nimport socket, time\\nLoRa(mode=LoRa.LORA, region=LoRa.EU868)\\ns = socket.socket(socket.AF_LORA, socket.SOCK_RAW)\\ntime.sleep_ms(10)\\ns.send('hi')"
    position_m = [0, 0]

    [[device]]
    name = "rx"
    script = "from network import LoRa\\nimport socket\\nlora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)\\ns = socket.socket(socket.AF_LORA, socket.SOCK_RAW)\\nprint(s.recv(8), lora.stats().rssi)"
    position_m = [100, 0]
"""


@pytest.fixture
def made_worlds(monkeypatch):
    """Every World the command makes, kept for inspection after the run."""
    from usocket_emu import _world

    made = []

    class Recorded(_world.World):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(_world, "World", Recorded)
    return made


def test_the_radio_table_reaches_the_world_model(tmp_path, capsys, made_worlds):
    (tmp_path / "radio.toml").write_text(textwrap.dedent("""
        [world]
        time = "virtual"

        [radio]
        reference_distance_m = 1
        reference_path_loss_db = 31.22
        path_loss_exponent = 3
        shadowing_sigma_db = 0.0
        minimum_distance_m = 0.5
        capture = false
        capture_threshold_db = 4.5
        preamble_lock_grace_symbols = 4
        inter_sf_interference = true
        channel_overlap_125khz_hz = 0
        channel_overlap_250khz_hz = 1
        channel_overlap_500khz_hz = 2
    """) + textwrap.dedent(RSSI_PAIR), encoding="utf-8")
    status, out, err = run_cli(capsys, "run", tmp_path / "radio.toml")
    assert (status, err) == (0, "")
    # 14 dBm - (31.22 + 30 log10(100)) dB = -77.22 dBm; the defaults would give -122
    assert out == "rx | b'hi' -77\n"
    (world,) = made_worlds
    assert world.radio_model == {
        "reference_distance_m": 1.0, "reference_path_loss_db": 31.22, "path_loss_exponent": 3.0,
        "shadowing_sigma_db": 0.0, "minimum_distance_m": 0.5, "capture": False,
        "capture_threshold_db": 4.5, "preamble_lock_grace_symbols": 4, "inter_sf_interference": True,
        "channel_overlap_125khz_hz": 0.0, "channel_overlap_250khz_hz": 1.0, "channel_overlap_500khz_hz": 2.0,
    }


def test_without_a_radio_table_the_world_keeps_the_lorasim_defaults(tmp_path, capsys, made_worlds):
    (tmp_path / "plain.toml").write_text('[world]\ntime = "virtual"\n' + textwrap.dedent(RSSI_PAIR))
    (tmp_path / "some.toml").write_text("[radio]\npath_loss_exponent = 2.08\n[[device]]\nname = 'x'\nscript = 'x = 1'\n")
    status, out, _ = run_cli(capsys, "run", tmp_path / "plain.toml")
    assert (status, out) == (0, "rx | b'hi' -122\n")  # 14 dBm - 135.69 dB at 100 m
    # Two files may set the same key to the same value; the rest keep their defaults.
    status, out, _ = run_cli(capsys, "run", tmp_path / "plain.toml", tmp_path / "some.toml")
    assert (status, out) == (0, "rx | b'hi' -122\n")
    with World(time="virtual") as default:
        assert made_worlds[0].radio_model == made_worlds[1].radio_model == default.radio_model


def test_the_radio_table_is_documented_with_its_defaults():
    """docs/scenario.md lists every [radio] key with the default the medium really has."""
    doc = (pathlib.Path(__file__).resolve().parents[3] / "docs" / "scenario.md").read_text(encoding="utf-8")
    section = doc.split("## The [radio] table", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", section, re.MULTILINE)
    documented = {key: default.strip() for key, default in rows}
    with World(time="virtual") as world:
        defaults = world.radio_model
    assert list(documented) == list(RADIO_SETTINGS) == list(defaults)
    for key, value in defaults.items():
        assert documented[key] == (str(value).lower() if isinstance(value, bool) else f"{value:g}"), key


@pytest.mark.parametrize(("toml", "complaint"), [
    ("[radio]\nspeed_of_light = 3e8\n", "[radio] speed_of_light: unknown key (known keys here: capture,"),
    ("radio = 3\n", "radio: expected a table, got an integer 3"),
    ("[radio]\ncapture = 1\n", "[radio] capture: expected true or false, got an integer 1"),
    ("[radio]\ninter_sf_interference = 'yes'\n", "[radio] inter_sf_interference: expected true or false"),
    ("[radio]\npreamble_lock_grace_symbols = 2.5\n", "[radio] preamble_lock_grace_symbols: expected an integer, got a number 2.5"),
    ("[radio]\npreamble_lock_grace_symbols = 3.0\n", "[radio] preamble_lock_grace_symbols: expected an integer"),
    ("[radio]\npreamble_lock_grace_symbols = 256\n", "[radio] preamble_lock_grace_symbols: must be between 0 and 255, got 256"),
    ("[radio]\npreamble_lock_grace_symbols = -1\n", "[radio] preamble_lock_grace_symbols: must be between 0 and 255"),
    ("[radio]\npath_loss_exponent = '2'\n", "[radio] path_loss_exponent: expected a number, got a string '2'"),
    ("[radio]\npath_loss_exponent = true\n", "[radio] path_loss_exponent: expected a number, got true or false True"),
    ("[radio]\npath_loss_exponent = -2\n", "[radio] path_loss_exponent: must be at least 0"),
    ("[radio]\nshadowing_sigma_db = -3.57\n", "[radio] shadowing_sigma_db: must be at least 0"),
    ("[radio]\nreference_distance_m = 0\n", "[radio] reference_distance_m: must be more than 0, got 0"),
    ("[radio]\nminimum_distance_m = 0.0\n", "[radio] minimum_distance_m: must be more than 0"),
    ("[radio]\nreference_path_loss_db = nan\n", "[radio] reference_path_loss_db: must be a finite number"),
    ("[radio]\ncapture_threshold_db = inf\n", "[radio] capture_threshold_db: must be a finite number"),
    ("[radio]\nchannel_overlap_125khz_hz = 1e300\n", "[radio] channel_overlap_125khz_hz: must be at most 1e+09"),
    ("[radio]\nreference_path_loss_db = -1e300\n", "[radio] reference_path_loss_db: must be at least"),
    ("[radio]\n[radio.extra]\ncapture = true\n", "[radio] extra: unknown key"),
])
def test_bad_radio_tables_get_one_line_naming_file_and_key(tmp_path, capsys, toml, complaint):
    path = tmp_path / "bad.toml"
    path.write_text(toml + "[[device]]\nname = 'a'\nscript = 'x = 1'\n", encoding="utf-8")
    status, out, err = run_cli(capsys, "run", "--time", "virtual", path)
    assert_one_line_error(status, out, err)
    assert f"{path}: {complaint}" in err


def test_two_radio_tables_may_not_contradict_each_other(tmp_path, capsys):
    (tmp_path / "a.toml").write_text("[radio]\ncapture = true\n[[device]]\nname = 'a'\nscript = 'x = 1'\n")
    (tmp_path / "b.toml").write_text("[radio]\ncapture = false\n[[device]]\nname = 'b'\nscript = 'x = 1'\n")
    status, out, err = run_cli(capsys, "run", "--time", "virtual", tmp_path / "a.toml", tmp_path / "b.toml")
    assert_one_line_error(status, out, err)
    assert f"{tmp_path / 'b.toml'}: [radio] capture: False contradicts True from {tmp_path / 'a.toml'}" in err


def test_load_scenario_gives_the_radio_table_as_world_radio_settings(tmp_path):
    (tmp_path / "s.toml").write_text("[radio]\ncapture = false\npath_loss_exponent = 3\n")
    scenario = load_scenario(tmp_path / "s.toml")
    assert scenario.radio == {"path_loss_exponent": 3.0, "capture": False}
    assert load_scenario(tmp_path / "s.toml").world == WorldSpec()
    with World(time="virtual", radio=scenario.radio) as world:
        assert world.radio_model["capture"] is False and world.radio_model["path_loss_exponent"] == 3.0


# --- the real command: entry point and Ctrl-C --------------------------------------------

def _spawn(*argv):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "usocket_emu", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_python_dash_m_runs_the_command(tmp_path):
    main = script(tmp_path, "main.py", "import time\ntime.sleep(3600)\nprint('an hour later', time.time())\n")
    done = subprocess.run([sys.executable, "-m", "usocket_emu", "run", "--time", "virtual", main],
                          capture_output=True, text=True, timeout=STARTUP_LIMIT_S, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "an hour later 3600\n", "")


@pytest.mark.parametrize("time_mode", ["real", "virtual"])
@pytest.mark.parametrize("wait", ["sleep", "udp_recv"])
def test_ctrl_c_stops_the_command_cleanly(tmp_path, time_mode, wait):
    body = {
        "sleep": "while True:\n    time.sleep(1)\n",
        "udp_recv": "s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)\ns.bind(('127.0.0.1', 0))\ns.recv(10)\n",
    }[wait]
    main = script(tmp_path, "main.py", "import time, usocket\nprint('ready')\n" + body)
    proc = _spawn("run", "--time", time_mode, main)
    try:
        line = _readline_within(proc, STARTUP_LIMIT_S)
        assert line == "ready\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=EXIT_LIMIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == cli.EXIT_INTERRUPTED
    assert out == "" and "Traceback" not in err


@pytest.mark.parametrize("wait", ["lora_send", "lora_recv_while_other_sends"])
def test_ctrl_c_stops_a_blocking_lora_call_in_real_time(tmp_path, wait):
    # A 255-byte frame at SF12 lasts about 10 s of air time: Ctrl-C arrives while the
    # sender's send() or the receiver's recv() waits for it.
    lora = "from network import LoRa\nimport socket\nlora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, sf=12)\n"
    lora += "s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)\n"
    sender = script(tmp_path, "sender.py", lora + "print('ready')\ns.send(bytes(255))\n")
    targets = [sender]
    if wait == "lora_recv_while_other_sends":
        targets.append(script(tmp_path, "receiver.py", lora + "s.recv(255)\n"))
    proc = _spawn("run", "--time", "real", *targets)
    try:
        line = _readline_within(proc, STARTUP_LIMIT_S)
        assert line.endswith("ready\n")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=EXIT_LIMIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == cli.EXIT_INTERRUPTED
    assert out == "" and "Traceback" not in err


def _readline_within(proc, limit_s):
    """The child's first stdout line, or a failure after limit_s (select, not sleep)."""
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(limit_s):
            pytest.fail(f"no output within {limit_s} s")
    return proc.stdout.readline()


# --- limits: huge numbers, hostile names ---------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["run", "--time", "virtual", "--until", "1e300", "{main}"],
    ["run", "--time", "virtual", "--until", "nan", "{main}"],
    ["run", "--ntp-epoch", "1e300", "{main}"],
])
def test_huge_times_on_the_command_line_are_usage_errors(tmp_path, capsys, argv):
    main = script(tmp_path, "main.py", "print('never')\n")
    assert_one_line_error(*run_cli(capsys, *[a.format(main=main) for a in argv]))


@pytest.mark.parametrize("toml", [
    "[world]\nuntil_s = 1e300\n[[device]]\nname = 'a'\nscript = 'x = 1'\n",
    "[world]\nreboot_time_ms = 1e300\n[[device]]\nname = 'a'\nscript = 'x = 1'\n",
    "[world]\nntp_epoch_s = 1e300\n[[device]]\nname = 'a'\nscript = 'x = 1'\n",
    "[[device]]\nname = '..'\nscript = 'x = 1'\n",
    "[[device]]\nname = '.'\nscript = 'x = 1'\n",
    "[[device]]\nname = 'a\\\\b'\nscript = 'x = 1'\n",
])
def test_huge_times_and_path_like_names_in_scenarios_are_refused(tmp_path, capsys, toml):
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    assert_one_line_error(*run_cli(capsys, "run", "--state", tmp_path / "state", path))
    assert not (tmp_path / "flash").exists() and not (tmp_path / "state.json").exists()


def test_a_non_lora_board_has_no_region_in_the_log(tmp_path, capsys):
    main = script(tmp_path, "main.py", "x = 1\n")
    log = tmp_path / "log.jsonl"
    assert run_cli(capsys, "run", "--time", "virtual", "--board", "SiPy", "--log", log, main)[0] == 0
    assert json.loads(log.read_text().splitlines()[0])["region"] is None


def test_a_real_indentation_error_in_a_tabbed_file_is_one_traceback(tmp_path, capsys):
    main = script(tmp_path, "main.py", "if 1:\n\tprint('a')\n  print('b')\n")
    status, out, _ = run_cli(capsys, "run", "--time", "virtual", main)
    assert status == cli.EXIT_DEVICE_DIED
    assert out.count("Error") == 1 and out.rstrip().endswith(
        "IndentationError: unindent does not match any outer indentation level")
    assert "During handling" not in out
