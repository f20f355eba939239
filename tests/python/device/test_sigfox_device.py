# test_sigfox_device.py: network.Sigfox without the radio (pycom-api.md 0, 1.2, 1.5, 5.1, 5.2).
"""The Sigfox object of a device script: which boards have it, its constants per board, the
constructor and init() rules with the firmware's messages (modsigfox_api.c argument table,
modsigfox.c sigfox_init_helper), one object per device, mac()/id()/pac() from the config
block (per device, settable from a scenario file), frequencies(), config() and info() per
zone, public_key(), the NVS calibration offsets, rssi() before any downlink, version(),
reset(), test_mode() and cw().

What the radio produces (RSSI of a downlink, info() counters after traffic, sockets) is
tested in test_sigfox_traffic.py: here, before any traffic, the values are the firmware's
initial ones.
"""

from __future__ import annotations

import textwrap

import pytest
from runtime_support import NTP_EPOCH_S, run_script

from usocket_emu import World
from usocket_emu._scenario import ScenarioError, parse_scenario

SIGFOX_BOARDS = ("SiPy", "LoPy4", "FiPy")
SX1276_BOARDS = ("LoPy4", "FiPy")

PRELUDE = """\
from network import Sigfox

def err(f, *args, **kwargs):
    try:
        return 'ok %r' % (f(*args, **kwargs),)
    except Exception as e:
        return '%s %r' % (type(e).__name__, e.args)

"""


class Result:
    def __init__(self, device):
        self.output = device.output
        self.lines = self.output.splitlines()
        self.exit_exception = device.exit_exception
        self.config = device.config
        self.state = device.state


def run(body, board="LoPy4", until_s=5, seed=1, **device):
    """One device "d" running PRELUDE + body; its Result once the world is closed."""
    with World(time="virtual", seed=seed, ntp_epoch_s=NTP_EPOCH_S) as world:
        dev = world.add_device("d", script=PRELUDE + textwrap.dedent(body), board=board, **device)
        world.run(until_s=until_s)
        return Result(dev)


# --- boards and constants -----------------------------------------------------------------

@pytest.mark.parametrize("board", SIGFOX_BOARDS)
def test_sigfox_boards_have_network_sigfox_and_af_sigfox(board):
    _dev, out, _ = run_script("""
        import network, socket
        print(hasattr(network, 'Sigfox'), hasattr(socket, 'AF_SIGFOX'))
        from network import Sigfox
        print(Sigfox.__name__, repr(Sigfox()), Sigfox() is Sigfox(mode=Sigfox.SIGFOX))
    """, until_s=5, board=board)
    assert out == "True True\nSigfox <Sigfox> True\n"


@pytest.mark.parametrize("board", ["LoPy", "WiPy"])
def test_lopy_and_wipy_have_no_network_sigfox(board):
    dev, out, _ = run_script("""
        import network, socket
        print(hasattr(network, 'Sigfox'), hasattr(socket, 'AF_SIGFOX'))
        network.Sigfox
    """, until_s=5, board=board)
    assert out.splitlines()[0] == "False False"
    assert isinstance(dev.exit_exception, AttributeError)


@pytest.mark.parametrize("board", SIGFOX_BOARDS)
def test_class_constants_per_board(board):
    d = run("""
        print(Sigfox.SIGFOX, Sigfox.RCZ1, Sigfox.RCZ2, Sigfox.RCZ3, Sigfox.RCZ4)
        print(hasattr(Sigfox, 'FSK') and Sigfox.FSK)
    """, board=board)
    assert d.lines == ["0 0 1 2 3", "1" if board == "SiPy" else "False"], d.output


def test_methods_of_the_firmware_table():
    d = run("""
        s = Sigfox()
        print([hasattr(s, n) for n in ('init', 'mac', 'id', 'pac', 'test_mode', 'cw', 'frequencies',
              'config', 'public_key', 'version', 'rssi', 'rssi_offset', 'freq_offset', 'info', 'reset')])
        print([hasattr(s, n) for n in ('deinit', 'frequency', 'stats', 'callback')])
    """)
    assert d.lines == ["[" + ", ".join(["True"] * 15) + "]", "[False, False, False, False]"], d.output


# --- constructor and init() ------------------------------------------------------------------

def test_singleton_and_reinit_only_with_keywords():
    d = run("""
        a = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        print(a is Sigfox(), Sigfox().frequencies())
        # positional arguments do not re-initialise an initialised object (n_kw == 0)
        print(Sigfox(0, Sigfox.SIGFOX, Sigfox.RCZ2).frequencies())
        # any keyword does, id= included: the rest takes its default (RCZ1)
        print(Sigfox(id=0).frequencies())
        print(Sigfox(rcz=Sigfox.RCZ4) is a, a.frequencies())
        a.init()
        print(a.frequencies())
        a.init(Sigfox.SIGFOX, Sigfox.RCZ2)
        print(a.frequencies())
        a.init(rcz=Sigfox.RCZ3)
        print(a.frequencies())
    """)
    assert d.lines == [
        "True (923200000, 922200000)",
        "(923200000, 922200000)",
        "(868130000, 869525000)",
        "True (920800000, 922300000)",
        "(868130000, 869525000)",
        "(902200000, 905200000)",
        "(923200000, 922200000)",
    ], d.output


def test_first_construction_without_arguments_initialises_rcz1():
    d = run("print(Sigfox().frequencies(), Sigfox().config(), Sigfox().info())")
    assert d.lines == ["(868130000, 869525000) None None"], d.output


def test_id_other_than_zero_is_resource_not_available():
    d = run("""
        print(err(Sigfox, 1))
        print(err(Sigfox, id=2))
        print(err(Sigfox, id='x'))
        print(err(Sigfox, 1, rcz=7))     # id is checked before init's own checks
        print(err(Sigfox, 0) == 'ok <Sigfox>')
    """)
    assert d.lines == [
        "OSError ('resource not available',)",
        "OSError ('resource not available',)",
        "TypeError (\"can't convert str to int\",)",
        "OSError ('resource not available',)",
        "True",
    ], d.output


@pytest.mark.parametrize("board", SX1276_BOARDS)
def test_lopy4_and_fipy_accept_only_sigfox_mode_and_have_no_frequency(board):
    d = run("""
        print(err(Sigfox, mode=1))
        print(err(Sigfox, mode=2))
        print(err(Sigfox, mode=-1))
        print(err(Sigfox, mode=256, rcz=1) == 'ok <Sigfox>', Sigfox().frequencies())  # uint8_t mode
        print(err(Sigfox, mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1, frequency=868000000))
        s = Sigfox()
        print(err(s.init, frequency=868000000))
        print(err(s.init, 0, 0, 0))
        print(err(s.init, mode=1))
    """, board=board)
    assert d.lines == [
        "ValueError ('invalid mode',)",
        "ValueError ('invalid mode',)",
        "ValueError ('invalid mode',)",
        "True (902200000, 905200000)",
        "TypeError ('extra keyword arguments given',)",
        "TypeError ('extra keyword arguments given',)",
        "TypeError ('extra positional arguments given',)",
        "ValueError ('invalid mode',)",
    ], d.output


@pytest.mark.parametrize("board", SIGFOX_BOARDS)
def test_invalid_rcz(board):
    d = run("""
        print(err(Sigfox, rcz=4))
        print(err(Sigfox, mode=Sigfox.SIGFOX, rcz=-1))
        print(err(Sigfox, 0, 0, 9))
        print(err(Sigfox, rcz=256) == 'ok <Sigfox>', Sigfox().frequencies())  # uint8_t rcz
        s = Sigfox(rcz=Sigfox.RCZ2)
        print(err(s.init, rcz=5), s.frequencies())   # a refused init keeps the old state
    """, board=board)
    assert d.lines == [
        "ValueError ('invalid RCZ',)",
        "ValueError ('invalid RCZ',)",
        "ValueError ('invalid RCZ',)",
        "True (868130000, 869525000)",
        "ValueError ('invalid RCZ',) (902200000, 905200000)",
    ], d.output


def test_sipy_fsk_mode_and_its_frequency_rules():
    d = run("""
        print(err(Sigfox, mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1, frequency=868000000))
        print(err(Sigfox, mode=2))
        print(err(Sigfox, mode=Sigfox.FSK))                        # frequency None: mp_obj_get_int
        print(err(Sigfox, mode=Sigfox.FSK, frequency=862999999))
        print(err(Sigfox, mode=Sigfox.FSK, frequency=928000001))
        print(err(Sigfox, mode=Sigfox.FSK, frequency=-5))
        print(err(Sigfox, mode=Sigfox.FSK, frequency=868.0))
        print(err(Sigfox, mode=Sigfox.FSK, frequency=2**40))
        print(err(Sigfox, mode=Sigfox.FSK, rcz=9, frequency=863000000) == 'ok <Sigfox>')  # rcz unchecked in FSK
        print(err(Sigfox, mode=Sigfox.FSK, frequency=928000000) == 'ok <Sigfox>')
        print(err(Sigfox, 0, Sigfox.FSK, 0, 868000000))            # frequency is keyword-only
        s = Sigfox()
        print(err(s.init, Sigfox.FSK, 0, 868000000))
        print(err(s.init, Sigfox.FSK, frequency=868000000))
    """, board="SiPy")
    assert d.lines == [
        "ValueError ('frequency is only valid in FSK mode',)",
        "ValueError ('invalid mode',)",
        "TypeError (\"can't convert NoneType to int\",)",
        "ValueError ('frequency 862999999 out of range',)",
        "ValueError ('frequency 928000001 out of range',)",
        "ValueError ('frequency -5 out of range',)",
        "TypeError (\"can't convert float to int\",)",
        "OverflowError ('overflow converting long int to machine word',)",
        "True",
        "True",
        "TypeError ('extra positional arguments given',)",
        "TypeError ('extra positional arguments given',)",
        "ok None",
    ], d.output


def test_fsk_init_keeps_the_last_sigfox_zone():
    """FSK init leaves sfx_rcz_id alone: frequencies(), config() and info() stay those of
    the zone the library was last opened in."""
    d = run("""
        s = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        s.init(Sigfox.FSK, frequency=868000000)
        print(s.frequencies(), s.config(), s.info())
    """, board="SiPy")
    assert d.lines == ["(923200000, 922200000) (3, 5000, 0) (0, 0)"], d.output


def test_argument_parsing_errors():
    d = run("""
        print(err(Sigfox, 0, 0, 0, 0))
        print(err(Sigfox, foo=1))
        print(err(Sigfox, 0, 0, mode=0))         # mode both positional and keyword
        print(err(Sigfox, mode='SIGFOX'))
        print(err(Sigfox, rcz=None))
        print(err(Sigfox, rcz=2**31))
        print(err(Sigfox, mode=True) == err(Sigfox, mode=Sigfox.SIGFOX))   # bool is an int: invalid mode on LoPy4
        s = Sigfox()
        print(err(s.init, 0, 0, 0))
        print(err(s.init, mode=0, region=5))
    """)
    assert d.lines == [
        "TypeError ('extra positional arguments given',)",
        "TypeError ('extra keyword arguments given',)",
        "TypeError ('extra keyword arguments given',)",
        "TypeError (\"can't convert str to int\",)",
        "TypeError (\"can't convert NoneType to int\",)",
        "OverflowError ('overflow converting long int to machine word',)",
        "False",
        "TypeError ('extra positional arguments given',)",
        "TypeError ('extra keyword arguments given',)",
    ], d.output


def test_each_boot_has_a_fresh_object_and_init_is_logged():
    with World(time="virtual", seed=1, keep_events=True) as world:
        dev = world.add_device("d", board="LoPy4", script=textwrap.dedent("""
            import machine, pycom
            from network import Sigfox
            if pycom.nvs_get('boots', 0) == 0:
                pycom.nvs_set('boots', 1)
                Sigfox(rcz=Sigfox.RCZ4)
                machine.reset()
            print(Sigfox().frequencies())
        """))
        world.run(until_s=5)
        events = [e for e in world.events() if e["event"] == "sigfox_init"]
    assert dev.output == "(868130000, 869525000)\n"
    assert [(e["mode"], e["rcz"], e["frequency_hz"]) for e in events] == [("SIGFOX", "RCZ4", 0), ("SIGFOX", "RCZ1", 0)]


# --- identities of the config block ----------------------------------------------------------

def test_mac_id_and_pac_come_from_the_config_block():
    mac = bytes.fromhex("70b3d54991223344")
    d = run("""
        import ubinascii
        s = Sigfox()
        for v in (s.mac(), s.id(), s.pac()):
            print(type(v).__name__, len(v), ubinascii.hexlify(v))
        print(s.id() == s.id(), s.pac() == Sigfox().pac())
    """, lpwan_mac=mac, sigfox_id=bytes.fromhex("004d1a2b"), sigfox_pac=bytes.fromhex("8a3b5c7d9e1f2a4b"))
    assert d.lines == [
        "bytes 8 b'70b3d54991223344'",
        "bytes 4 b'004d1a2b'",
        "bytes 8 b'8a3b5c7d9e1f2a4b'",
        "True True",
    ], d.output


def test_sigfox_mac_is_lora_mac_on_lopy4():
    d = run("""
        from network import LoRa
        print(Sigfox().mac() == LoRa(mode=LoRa.LORA).mac())
    """, board="LoPy4")
    assert d.lines == ["True"], d.output


def test_default_identities_are_per_device_and_deterministic():
    body = textwrap.dedent("""
        import ubinascii
        from network import Sigfox
        s = Sigfox()
        print(ubinascii.hexlify(s.id()), ubinascii.hexlify(s.pac()))
    """)

    def identities(seed):
        with World(time="virtual", seed=seed) as world:
            devices = [world.add_device(n, script=body, board="SiPy") for n in ("a", "b", "c")]
            world.run(until_s=5)
            return [d.output for d in devices], [(d.config.sigfox_id, d.config.sigfox_pac) for d in devices]

    outputs, configs = identities(1)
    assert len(set(outputs)) == 3
    assert all(len(c[0]) == 4 and len(c[1]) == 8 for c in configs)
    assert [f"b'{i.hex()}' b'{p.hex()}'\n" for i, p in configs] == outputs
    assert identities(1) == (outputs, configs)     # same seed and names: same identities
    assert identities(2)[1] != configs             # another seed: others


def test_bad_identity_sizes_are_refused_by_add_device():
    with World(time="virtual") as world:
        with pytest.raises(ValueError, match="sigfox_id must be 4 bytes"):
            world.add_device("d", script="", sigfox_id=b"\x01\x02")


def test_scenario_sets_sigfox_id_and_pac(tmp_path):
    scenario = parse_scenario({"device": [
        {"name": "s", "script": "x", "board": "SiPy", "sigfox_id": "00:4D:1A:2B", "sigfox_pac": "8A3B5C7D9E1F2A4B"},
        {"name": "t", "script": "x", "board": "FiPy"},
    ]}, tmp_path / "w.toml")
    s, t = scenario.devices
    assert (s.sigfox_id, s.sigfox_pac) == (bytes.fromhex("004d1a2b"), bytes.fromhex("8a3b5c7d9e1f2a4b"))
    assert (t.sigfox_id, t.sigfox_pac) == (None, None)
    with World(time="virtual") as world:
        dev = s.add_to(world)
        assert (dev.config.sigfox_id, dev.config.sigfox_pac) == (s.sigfox_id, s.sigfox_pac)


@pytest.mark.parametrize(("device", "complaint"), [
    ({"sigfox_id": "0011"}, "sigfox_id: expected 4 bytes (8 hex digits), got 2"),
    ({"sigfox_pac": "zz"}, "sigfox_pac: expected 8 bytes as hex digits"),
    ({"sigfox_id": 5}, "sigfox_id: expected a hex string of 4 bytes"),
    ({"board": "LoPy", "sigfox_id": "004D1A2B"}, "sigfox_id: a LoPy has no Sigfox radio"),
    ({"board": "WiPy", "sigfox_pac": "8A3B5C7D9E1F2A4B"}, "sigfox_pac: a WiPy has no Sigfox radio"),
])
def test_bad_scenario_identities_name_file_and_key(tmp_path, device, complaint):
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"device": [dict(name="a", script="x", **device)]}, tmp_path / "w.toml")
    assert complaint in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "w.toml") + ": [[device]] #1 ('a')")


# --- zones: frequencies(), config(), info(), reset() ---------------------------------------------

@pytest.mark.parametrize("board", SIGFOX_BOARDS)
def test_frequencies_config_and_info_per_zone(board):
    d = run("""
        s = Sigfox()
        for rcz in (Sigfox.RCZ1, Sigfox.RCZ2, Sigfox.RCZ3, Sigfox.RCZ4):
            s.init(rcz=rcz)
            print(rcz, s.frequencies(), s.config(), s.info(), s.reset())
    """, board=board)
    assert d.lines == [
        "0 (868130000, 869525000) None None None",
        "1 (902200000, 905200000) (1, 0, 0) (0, 96) None",
        "2 (923200000, 922200000) (3, 5000, 0) (0, 0) None",
        "3 (920800000, 922300000) (0, 1073741824, 0) (0, 96) None",
    ], d.output


def test_config_setter_rules():
    d = run("""
        s = Sigfox(rcz=Sigfox.RCZ1)
        print(err(s.config, (1, 2, 3)))
        print(err(s.config, 'not even checked'))
        s.init(rcz=Sigfox.RCZ2)
        print(err(s.config, [0x1FF, 0, 0]), s.config())
        print(err(s.config, (-1, 2**40 + 5, True)), s.config())   # mp_obj_get_int_truncated, as uint32
        print(err(s.config, 5))
        print(err(s.config, (1, 2)))
        print(err(s.config, (1, 2, 'x')))
        print(err(s.config, (1, 2, 3.0)))
        print(err(s.config, (1, 2, 3), 4))
        print(s.config())                                  # a refused call changes nothing
        s.init(rcz=Sigfox.RCZ2)
        print(s.config())                                  # init goes back to the defaults
        s.init(rcz=Sigfox.RCZ1)
        print(s.config())
    """)
    assert d.lines == [
        "OSError ('configuration not possible for RCZ1',)",
        "OSError ('configuration not possible for RCZ1',)",
        "ok None (511, 0, 0)",
        "ok None (4294967295, 5, 1)",
        "TypeError (\"object 'int' is not a tuple or list\",)",
        "ValueError ('tuple/list has wrong length',)",
        "TypeError (\"can't convert str to int\",)",
        "TypeError (\"can't convert float to int\",)",
        "TypeError ('function expected at most 2 arguments, got 3',)",
        "(4294967295, 5, 1)",
        "(1, 0, 0)",
        "None",
    ], d.output


# --- public_key(), version(), rssi() and the NVS offsets ------------------------------------------

def test_public_key_defaults_off_and_is_not_kept_over_a_reset():
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", board="FiPy", script=PRELUDE + textwrap.dedent("""
            import machine, pycom
            s = Sigfox()
            print(s.public_key())
            if pycom.nvs_get('boots', 0) == 0:
                pycom.nvs_set('boots', 1)
                print(s.public_key(True), s.public_key(), s.public_key(0), s.public_key(), s.public_key('yes'), s.public_key())
                print(err(s.public_key, 1, 2))
                machine.reset()
        """))
        world.run(until_s=5)
    assert dev.output.splitlines() == [
        "False",
        "None True None False None True",
        "TypeError ('function expected at most 2 arguments, got 3',)",
        "False",
    ]


@pytest.mark.parametrize("board", SIGFOX_BOARDS)
def test_version_is_the_sigfox_library_version(board):
    d = run("""
        import os
        v = Sigfox().version()
        print(type(v).__name__, v, v == os.uname().sigfox)
    """, board=board)
    assert d.lines == ["str 1.0.1 True"], d.output


@pytest.mark.parametrize(("board", "rssi"), [("SiPy", -102), ("LoPy4", 0), ("FiPy", 0)])
def test_rssi_before_any_downlink(board, rssi):
    """MANUF_API_get_rssi on its initial RSSI of 0: the SX1276 boards report 0, the SiPy's
    CC1125 conversion (-102 dB) makes -102; rssi_offset adds to it, wrapped as an int8."""
    d = run("""
        s = Sigfox()
        print(s.rssi())
        s.rssi_offset(5)
        print(s.rssi())
        s.rssi_offset(120)
        print(s.rssi())
    """, board=board)
    base = rssi
    wrapped = ((base + 100 + 120 + 128) % 256) - 128 - 100
    assert d.lines == [str(base), str(base + 5), str(wrapped)], d.output


def test_offsets_defaults_ranges_and_errors():
    d = run("""
        s = Sigfox()
        print(s.rssi_offset(), s.freq_offset())
        print(s.freq_offset(32767), s.freq_offset())
        print(s.freq_offset(-32768), s.freq_offset())
        print(err(s.freq_offset, 32768))
        print(err(s.freq_offset, -32769))
        print(err(s.freq_offset, 'x'))
        print(err(s.freq_offset, 2**40))
        print(s.freq_offset())
        print(s.rssi_offset(-7), s.rssi_offset())
        print(s.rssi_offset(70000), s.rssi_offset())      # a uint16 in NVS, read as int16
        print(s.rssi_offset(40000), s.rssi_offset())
        print(err(s.rssi_offset, 1.5))
        print(err(s.rssi_offset, 1, 2))
    """)
    assert d.lines == [
        "0 0",
        "None 32767",
        "None -32768",
        "ValueError ('the freq offset is out of range (-32768 < freq_offset < 32767)',)",
        "ValueError ('the freq offset is out of range (-32768 < freq_offset < 32767)',)",
        "TypeError (\"can't convert str to int\",)",
        "OverflowError ('overflow converting long int to machine word',)",
        "-32768",
        "None -7",
        "None 4464",
        "None -25536",
        "TypeError (\"can't convert float to int\",)",
        "TypeError ('function expected at most 2 arguments, got 3',)",
    ], d.output


def test_offsets_live_in_nvs_over_resets_and_runs(tmp_path):
    body = PRELUDE + textwrap.dedent("""
        import machine, pycom
        s = Sigfox()
        print(s.rssi_offset(), s.freq_offset())
        if pycom.nvs_get('boots', 0) == 0:
            pycom.nvs_set('boots', 1)
            s.rssi_offset(-3)
            s.freq_offset(1200)
            machine.reset()
    """)
    with World(time="virtual", seed=1, state_dir=tmp_path) as world:
        first = world.add_device("d", board="SiPy", script=body)
        world.run(until_s=5)
    assert first.output.splitlines() == ["0 0", "-3 1200"]
    # The library's sequence number lives in the same NVM (no message sent: 0).
    assert first.state.extra["sigfox_nvm"] == {"rssi_offset": -3, "freq_offset": 1200, "sequence_number": 0}
    with World(time="virtual", seed=1, state_dir=tmp_path) as world:
        second = world.add_device("d", board="SiPy", script=body)
        world.run(until_s=5)
    assert second.output.splitlines() == ["-3 1200"]


# --- RF test functions ------------------------------------------------------------------------------

def test_test_mode_and_cw_check_their_arguments_and_emit_nothing():
    with World(time="virtual", seed=1, keep_events=True) as world:
        dev = world.add_device("d", board="LoPy4", script=PRELUDE + textwrap.dedent("""
            s = Sigfox()
            print([err(s.test_mode, m, 0) for m in (0, 5, 8)])
            print(err(s.test_mode, 6, 0))
            print(err(s.test_mode, 7, 0))
            print(err(s.test_mode, -1, 0))
            print(err(s.test_mode, 0))
            print(err(s.test_mode, 'a', 0))
            print(err(s.cw, 868130000, True), err(s.cw, 868130000, 0))
            print(err(s.cw, None, True))
            print(err(s.cw, 868130000))
        """))
        world.run(until_s=5)
        events = [e for e in world.events() if e["event"] in ("sigfox_test_mode", "sigfox_cw")]
    assert dev.output.splitlines() == [
        "['ok None', 'ok None', 'ok None']",
        "ValueError ('invalid test mode',)",
        "ValueError ('invalid test mode',)",
        "ValueError ('invalid test mode',)",
        "TypeError ('function takes 3 positional arguments but 2 were given',)",
        "TypeError (\"can't convert str to int\",)",
        "ok None ok None",
        "TypeError (\"can't convert NoneType to int\",)",
        "TypeError ('function takes 3 positional arguments but 2 were given',)",
    ]
    assert [(e["event"], e.get("mode"), e.get("start")) for e in events] == [
        ("sigfox_test_mode", 0, None), ("sigfox_test_mode", 5, None), ("sigfox_test_mode", 8, None),
        ("sigfox_cw", None, True), ("sigfox_cw", None, False)]
