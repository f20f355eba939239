# test_sigfox_traffic.py: Sigfox traffic end to end (pycom-api.md 5.3; radio.md 5).
"""Device scripts that send Sigfox messages and ask for downlinks, on the world's Sigfox
medium and backend: emulated durations of blocking sends (frame time on air from the
payload and the zone's bit rate, the firmware's gaps, the 20 s wait and 25 s window),
errno values, what the backend recorded, its queue, callback, echo and daily limits, FSK
point to point between two SiPys, the sequence number across resets, and the LoPy4's
shared radio.

Expected durations are built from _core.sigfox_uplink_frame_us (checked against radio.md
in tests/cpp/sim/test_sigfox_phy.cpp) and the firmware's constants below.
"""

from __future__ import annotations

import textwrap

import pytest

from usocket_emu import World, _core

#: The Sigfox task's tick before a command starts (modsigfox.c TASK_SIGFOX loop, 2 ms).
TASK_TICK_US = 2_000
#: ETSI gap between the repetitions of an uplink-only message (sigfox_api.h / RF timing).
INTER_FRAME_TX_US = 1_001_000
#: Gap between repetitions in the FCC zones.
INTER_FRAME_FH_US = 500_000
#: The downlink wait after the first frame ends, and the listening window (radio.md 5.4).
DOWNLINK_WAIT_US = 20_000_000
LISTEN_WINDOW_US = 25_000_000
EMSGSIZE, ENETDOWN, EAGAIN, EOPNOTSUPP = 122, 115, 11, 95
ID = "001c2a3b"

PRELUDE = """\
from network import Sigfox
import socket, time

def err(f, *args):
    try:
        return 'ok %r' % (f(*args),)
    except OSError as e:
        return 'OSError %r' % (e.args[0],)
    except Exception as e:
        return '%s %r' % (type(e).__name__, e.args)

def timed(f, *args):
    start = time.ticks_us()
    result = err(f, *args)
    return result, time.ticks_diff(time.ticks_us(), start)

"""


def frame_us(payload_bytes, bit_rate_bps=100):
    return _core.sigfox_uplink_frame_us(payload_bytes, bit_rate_bps)


def uplink_only_us(payload_bytes):
    return TASK_TICK_US + 3 * frame_us(payload_bytes) + 2 * INTER_FRAME_TX_US


def run(body, *, board="SiPy", until_s=None, world=None, sigfox_id=ID, position_m=(100.0, 0.0), **world_kw):
    """One device "d" running PRELUDE + body in a virtual-time world: (device, world)."""
    w = world or World(time="virtual", seed=2, **world_kw)
    dev = w.add_device("d", script=PRELUDE + textwrap.dedent(body), board=board,
                       sigfox_id=bytes.fromhex(sigfox_id), position_m=position_m)
    w.run(until_s=until_s)
    return dev, w


@pytest.fixture
def world():
    w = World(time="virtual", seed=2)
    yield w
    w.close()


def lines(dev):
    assert dev.exit_exception is None, dev.output
    return dev.output.splitlines()


# --- uplinks ---------------------------------------------------------------------------------

def test_blocking_uplink_takes_three_frames_and_the_gaps_and_the_backend_records_it(world):
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(timed(s.send, b'hello world!'))
    """, world=world)
    assert lines(dev) == [f"('ok 12', {uplink_only_us(12)})"]
    assert uplink_only_us(12) == 8_244_000  # three 2.08 s frames, as on the device
    [m] = world.sigfox.messages
    assert (m.device_id, m.seq, m.payload, m.zone, m.frames_received, m.stations) == (
        ID, 0, b"hello world!", "RCZ1", 3, 1)
    assert m.station_names == ("station",)  # the default station at (0, 0)
    assert not (m.bit_frame or m.oob or m.over_limit or m.downlink_requested)
    assert m.t_s == (TASK_TICK_US + frame_us(12)) / 1e6  # when its first frame was heard
    assert world.sigfox.messages_from(dev) == [m]


def test_payload_limit_bit_frames_and_out_of_band_frames(world):
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(err(s.send, bytes(13)))
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_BIT, True)
        print(timed(s.send, b''))
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_OOB, True)
        print(err(s.send, b'ignored'))
    """, world=world)
    out = lines(dev)
    assert out[0] == f"OSError {EMSGSIZE}"
    assert out[1] == f"('ok 0', {uplink_only_us(0)})"
    assert out[2] == "ok 7"
    bit, oob = world.sigfox.messages
    assert (bit.bit_frame, bit.bit_value, bit.payload, bit.seq) == (True, True, b"", 0)
    assert (oob.oob, oob.seq) == (True, 1)
    assert len(world.sigfox.messages) == 2  # the 13-byte payload never went on the air


def test_rcz2_uplink_runs_at_600_bps_with_the_fcc_gaps(world):
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ2)
        print(sigfox.frequencies())
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(timed(s.send, b'x' * 12))
    """, world=world)
    expected = TASK_TICK_US + 3 * frame_us(12, 600) + 2 * INTER_FRAME_FH_US
    assert lines(dev) == ["(902200000, 905200000)", f"('ok 12', {expected})"]
    [m] = world.sigfox.messages
    assert m.zone == "RCZ2" and m.payload == b"x" * 12


def test_non_blocking_sends_queue_two_commands_then_eagain(world):
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setblocking(False)
        print(timed(s.send, b'one'), timed(s.send, b'two'))
        print(err(s.send, b'three'))
        time.sleep(60)
    """, world=world)
    assert lines(dev) == ["('ok 3', 0) ('ok 3', 0)", f"OSError {EAGAIN}"]
    assert [(m.seq, m.payload) for m in world.sigfox.messages] == [(0, b"one"), (1, b"two")]


def test_a_socket_needs_the_sigfox_object_first(world):
    dev, _ = run("""
        print(err(socket.socket, socket.AF_SIGFOX, socket.SOCK_RAW))
    """, world=world)
    [line] = lines(dev)
    assert line.startswith("OSError") and "Network card not available" in line


def test_sipy_sockets_lack_bind_sendto_recvfrom_lopy4_sockets_refuse_them(world):
    sipy, _ = run("""
        Sigfox()
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print([hasattr(s, n) for n in ('bind', 'sendto', 'recvfrom', 'send', 'recv', 'setsockopt')])
        print(err(getattr, s, 'bind'))
    """, world=world)
    assert lines(sipy) == ["[False, False, False, True, True, True]",
                           "AttributeError (\"'socket' object has no attribute 'bind'\",)"]
    with World(time="virtual", seed=2) as w:
        lopy4, _ = run("""
            Sigfox()
            s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
            print(err(s.bind, 1), err(s.sendto, b'x', ('1.2.3.4', 1)), err(s.recvfrom, 8))
        """, board="LoPy4", world=w)
    assert lines(lopy4) == [f"OSError {EOPNOTSUPP} OSError {EOPNOTSUPP} OSError {EOPNOTSUPP}"]


# --- downlinks -------------------------------------------------------------------------------

DOWNLINK_SCRIPT = """
    sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
    s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
    s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
    print(timed(s.send, b'cfg?'))
    print(err(s.recv, 3), err(s.recv, 8))
    s.setblocking(False)
    print(err(s.recv, 8), sigfox.rssi() < 0)
"""


def test_a_queued_downlink_arrives_in_the_window_and_reads_in_parts(world):
    world.sigfox.queue_downlink(ID, bytes(range(1, 9)))
    assert world.sigfox.pending_downlinks(ID) == 1
    dev, _ = run(DOWNLINK_SCRIPT, world=world)
    out = lines(dev)
    result, took_us = eval(out[0])  # noqa: S307 - the script's own tuple
    assert result == "ok 4"
    first_end_us = TASK_TICK_US + frame_us(4)
    # The downlink comes after the wait, inside the window; the OOB acknowledgement follows.
    assert first_end_us + DOWNLINK_WAIT_US < took_us < first_end_us + DOWNLINK_WAIT_US + LISTEN_WINDOW_US
    assert out[1:] == ["ok b'\\x01\\x02\\x03' ok b'\\x04\\x05\\x06\\x07\\x08'", "ok b'' True"]
    request, ack = world.sigfox.messages
    assert request.downlink_requested and request.downlink_answered
    assert request.downlink_payload == bytes(range(1, 9))
    assert ack.oob and ack.seq == request.seq + 1
    assert world.sigfox.pending_downlinks(ID) == 0


def test_no_downlink_is_enetdown_after_the_whole_window(world):
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        print(timed(s.send, b'cfg?'))
    """, world=world)
    expected = TASK_TICK_US + frame_us(4) + DOWNLINK_WAIT_US + LISTEN_WINDOW_US
    assert lines(dev) == [f"('OSError {ENETDOWN}', {expected})"]
    [m] = world.sigfox.messages
    assert m.downlink_requested and not m.downlink_answered and m.downlink_payload is None
    assert world.events("sigfox_downlink_timeout")


def test_echo_answers_with_the_first_eight_bytes_zero_padded():
    dev, w = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        s.send(b'abc')
        print(s.recv(8))
    """, sigfox={"echo": True})
    try:
        assert lines(dev) == ["b'abc\\x00\\x00\\x00\\x00\\x00'"]
        assert w.sigfox.echo is True
    finally:
        w.close()


def test_a_callback_sees_each_message_and_answers_downlink_requests(world):
    seen = []

    def on_message(message):
        seen.append((message.device_id, message.seq, message.payload, message.downlink_requested))
        return b"\xaa" * 8 if message.downlink_requested else None

    world.sigfox.on_message(on_message)
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.send(b'plain')
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        s.send(b'ask')
        print(s.recv(8))
    """, world=world)
    assert lines(dev) == ["b'\\xaa\\xaa\\xaa\\xaa\\xaa\\xaa\\xaa\\xaa'"]
    assert seen[:2] == [(ID, 0, b"plain", False), (ID, 1, b"ask", True)]


def test_a_callback_error_is_raised_by_run(world):
    def broken(_message):
        raise RuntimeError("backend bug")

    world.sigfox.on_message(broken)
    with pytest.raises(RuntimeError, match="backend bug"):
        run("""
            Sigfox()
            socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW).send(b'x')
        """, world=world)


def test_queue_downlink_checks_its_arguments(world):
    with pytest.raises(ValueError, match="8 bytes"):
        world.sigfox.queue_downlink(ID, b"short")
    with pytest.raises(ValueError, match="4 bytes"):
        world.sigfox.queue_downlink("00", bytes(8))
    with pytest.raises(TypeError):
        world.sigfox.queue_downlink(1.5, bytes(8))
    with pytest.raises(ValueError, match="unknown Sigfox setting"):
        World(time="virtual", sigfox={"nope": 1})


# --- daily limits ----------------------------------------------------------------------------

def test_uplinks_over_the_daily_limit_are_recorded_logged_and_not_delivered():
    seen = []
    with World(time="virtual", seed=2, sigfox={"uplinks_per_day": 2}) as w:
        w.sigfox.on_message(lambda m: seen.append(m.seq))
        dev, _ = run("""
            Sigfox()
            s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
            for n in range(3):
                print(err(s.send, bytes([n])))
        """, world=w)
        # The device cannot tell: every send succeeds.
        assert lines(dev) == ["ok 1", "ok 1", "ok 1"]
        assert [m.over_limit for m in w.sigfox.messages] == [False, False, True]
        assert seen == [0, 1]  # only delivered messages reach the application
        assert len(w.events("sigfox_over_limit")) == 1
        assert w.sigfox.counters()["over_limit"] == 1


def test_downlinks_over_the_daily_limit_are_not_sent():
    with World(time="virtual", seed=2, sigfox={"echo": True, "downlinks_per_day": 1}) as w:
        dev, _ = run("""
            Sigfox()
            s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
            s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
            print(err(s.send, b'a'), err(s.send, b'b'))
        """, world=w)
        assert lines(dev) == [f"ok 1 OSError {ENETDOWN}"]
        requests = [m for m in w.sigfox.messages if m.downlink_requested]
        assert [(m.downlink_answered, m.downlink_over_limit) for m in requests] == [(True, False), (False, True)]
        assert w.events("sigfox_downlink_over_limit")


def test_the_default_limits_are_140_uplinks_and_4_downlinks(world):
    assert (world.sigfox.uplinks_per_day, world.sigfox.downlinks_per_day) == (140, 4)


# --- sequence numbers, FSK, the shared radio ------------------------------------------------

def test_the_sequence_number_goes_on_across_resets(world):
    dev, _ = run("""
        import machine, pycom
        Sigfox()
        socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW).send(b'boot')
        if pycom.nvs_get('boots', 0) < 2:
            pycom.nvs_set('boots', pycom.nvs_get('boots', 0) + 1)
            machine.deepsleep(1000)
    """, world=world)
    assert dev.exit_exception is None, dev.output
    assert [m.seq for m in world.sigfox.messages] == [0, 1, 2]


def test_fsk_frames_go_point_to_point_between_two_sipys(world):
    receiver = world.add_device("rx", board="SiPy", position_m=(10.0, 0.0), script=PRELUDE + textwrap.dedent("""
        Sigfox(mode=Sigfox.FSK, frequency=868000000)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(s.recv(64))
    """))
    sender, _ = run("""
        Sigfox(mode=Sigfox.FSK, frequency=868000000)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        time.sleep(1)
        print(err(s.send, bytes(65)), timed(s.send, b'point to point'))
    """, world=world)
    took = _core.sigfox_fsk_frame_us(14)
    out = lines(sender)[0]
    assert out.startswith(f"OSError {EMSGSIZE} ('ok 14', ")
    assert int(out.rsplit(", ", 1)[1].rstrip(")")) >= took
    assert lines(receiver) == ["b'point to point'"]
    assert world.sigfox.messages == []  # FSK frames are not Sigfox network messages


def test_lopy4_sigfox_takes_the_radio_until_lora_is_initialised_again(world):
    listener = world.add_device("listener", board="LoPy4", position_m=(0.0, 0.0), script=textwrap.dedent("""
        from network import LoRa
        import socket
        LoRa(mode=LoRa.LORA, region=LoRa.EU868)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.settimeout(120)
        try:
            while True:
                print('heard', s.recv(64))
        except OSError:
            print('quiet')
    """))
    node, _ = run("""
        from network import LoRa
        lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
        ls = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        time.sleep(1)
        print(err(ls.send, 'before'))
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        print(err(socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW).send, b'sfx'))
        print(lora.power_mode() == LoRa.ALWAYS_ON, err(ls.send, 'while sigfox owns it'))
        lora.init(mode=LoRa.LORA, region=LoRa.EU868)
        print(err(ls.send, 'after'))
    """, board="LoPy4", world=world, position_m=(20.0, 0.0))
    out = lines(node)
    assert out[0] == "ok 6" and out[1] == "ok 3" and out[3] == "ok 5"
    # No LoRa frame while Sigfox has the chip: the send fails as on a radio asleep.
    assert out[2] == f"True OSError {ENETDOWN}"
    assert lines(listener) == ["heard b'before'", "heard b'after'", "quiet"]
    assert [m.payload for m in world.sigfox.messages] == [b"sfx"]
    assert world.events("lora_radio_taken")


# --- scenario files ---------------------------------------------------------------------------

def test_scenario_tables_for_the_sigfox_backend(tmp_path):
    from usocket_emu._scenario import ScenarioError, parse_scenario

    data = {
        "sigfox": {"echo": True, "uplinks_per_day": 10},
        "sigfox_station": [{"name": "mast", "position_m": [0, 200]}],
        "device": [{"name": "s", "board": "SiPy", "script": "pass", "sigfox_id": "001C2A3B"}],
        "sigfox_downlink": [{"device": "s", "payload_hex": "0102030405060708"},
                            {"device_id": "00ABCDEF", "payload_hex": "ffffffffffffffff"}],
    }
    scenario = parse_scenario(data, tmp_path / "s.toml")
    assert scenario.sigfox == {"echo": True, "uplinks_per_day": 10}
    assert [(st.name, st.position_m) for st in scenario.sigfox_stations] == [("mast", (0.0, 200.0))]
    with World(time="virtual", sigfox=scenario.sigfox) as w:
        for device in scenario.devices:
            device.add_to(w)
        for station in scenario.sigfox_stations:
            station.add_to(w)
        for downlink in scenario.sigfox_downlinks:
            downlink.queue_in(w)
        assert w.sigfox.stations == ("mast",)
        assert w.sigfox.pending_downlinks(ID) == 1 and w.sigfox.pending_downlinks(0xABCDEF) == 1
        assert w.sigfox.echo and w.sigfox.uplinks_per_day == 10
    bad = [
        ({"sigfox_downlink": [{"device_id": "00ABCDEF", "payload_hex": "01"}]}, "8 bytes"),
        ({"device": [{"name": "l", "board": "LoPy", "script": "pass"}],
          "sigfox_downlink": [{"device": "l", "payload_hex": "0102030405060708"}]}, "no Sigfox radio"),
        ({"sigfox_station": [{"name": "a"}, {"name": "a"}]}, "defined twice"),
        ({"sigfox": {"nope": 1}}, "nope"),
    ]
    for table, message in bad:
        with pytest.raises(ScenarioError, match=message):
            parse_scenario(table, tmp_path / "bad.toml")


def test_tx_repeat_sets_the_repetitions_of_a_downlink_request_only():
    with World(time="virtual", seed=2, sigfox={"echo": True}) as w:
        dev, _ = run("""
            Sigfox()
            s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
            print(err(s.setsockopt, socket.SOL_SIGFOX, socket.SO_TX_REPEAT, 3))
            s.setsockopt(socket.SOL_SIGFOX, socket.SO_TX_REPEAT, 0)
            s.send(b'u')  # no downlink request: always three frames
            s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
            s.send(b'd')
            print(s.recv(8))
        """, world=w)
        assert lines(dev) == [f"OSError {EOPNOTSUPP}", "b'd\\x00\\x00\\x00\\x00\\x00\\x00\\x00'"]
        uplink, request, ack = w.sigfox.messages
        assert (uplink.frames_received, request.frames_received) == (3, 1)
        assert request.downlink_answered and ack.oob
