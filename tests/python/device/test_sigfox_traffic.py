# test_sigfox_traffic.py: Sigfox traffic end to end (pycom-api.md 5.3; radio.md 5).
"""Device scripts that send Sigfox messages and ask for downlinks, on the world's Sigfox
medium and backend: emulated durations of blocking sends (frame time on air from the
payload and the zone's bit rate, the firmware's gaps, the 20 s wait and 25 s window),
errno values, what the backend recorded, its queue, callback, echo and daily limits, FSK
point to point between two SiPys, the sequence number across resets, the LoPy4's
shared radio, socket timeouts on the command queue, RCZ3's listen before talk (another
device holding the channel) and RCZ4's micro channels, uselect on a Sigfox socket, and one
short run in real time.

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
#: The backend answers this long after the window opens (World(sigfox={"downlink_delay_us"})
#: default); the downlink frame is 224 bits at 600 bit/s (radio.md 5.2); the OOB ack
#: follows 2.001 s after it (SFX_DLY_OOB_ACK).
DOWNLINK_DELAY_US = 1_500_000
DOWNLINK_FRAME_US = 373_333
OOB_ACK_DELAY_US = 2_001_000
#: LBT (RCZ3): the channel clear (-80 dBm in 200 kHz) for 5 ms before each frame; before
#: the first frame a busy channel is tried again after 501 ms, 3 retries (RC3 config word 0);
#: a later frame, 51 ms after the previous one, listens on in a sliding window (word 1).
LBT_SENSE_US = 5_000
LBT_RETRY_US = 501_000
INTER_FRAME_LBT_US = 51_000
#: RCZ2/RCZ4: after a macro-channel reset, 23 s since the previous message started.
FCC_RESET_SPACING_US = 23_000_000
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


# --- socket timeouts on the command queue (pycom-api.md 2.4, 5.3) ----------------------------

def test_a_timed_send_waits_for_queue_room_up_to_its_timeout_then_raises_socket_timeout(world):
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.settimeout(1)
        print(timed(s.send, b'x' * 12))  # room at once: then the whole transaction, past 1 s
        s.setblocking(False)
        s.send(b'one'), s.send(b'two')
        time.sleep_ms(10)                # the task took 'one' at its 2 ms tick
        s.send(b'three')                 # 'one' on the air, 'two' and 'three' queued: full
        s.settimeout(1.5)
        start = time.ticks_us()
        try:
            s.send(b'four')
        except socket.timeout as e:
            print(type(e).__name__, e.args, isinstance(e, OSError), time.ticks_diff(time.ticks_us(), start))
        s.settimeout(0.0005)             # under 1 ms: non-blocking
        print(timed(s.send, b'four'))
        s.settimeout(10)                 # room when 'one' ends; then it waits for the next end
        print(timed(s.send, b'five'))
        time.sleep(30)
    """, world=world)
    first = uplink_only_us(12)
    one_ends = first + uplink_only_us(3)         # 'one' started at once after the first
    two_ends = one_ends + uplink_only_us(3)      # 'two' taken at the next tick, 'five' queued
    five_called = first + 10_000 + 1_500_000
    assert lines(dev) == [
        f"('ok 12', {first})",
        "TimeoutError ('timed out',) True 1500000",
        f"('OSError {EAGAIN}', 0)",
        f"('ok 4', {two_ends - five_called})",
    ]
    assert two_ends - five_called == 11_138_000  # more than the 10 s timeout: it only bounds queueing
    assert [(m.seq, m.payload) for m in world.sigfox.messages] == [
        (0, b"x" * 12), (1, b"one"), (2, b"two"), (3, b"three"), (4, b"five")]  # 'four' never queued


def test_a_timed_send_that_fails_is_enetdown_not_a_timeout(world):
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        s.settimeout(5)
        print(timed(s.send, b'cfg?'))
    """, world=world)
    expected = TASK_TICK_US + frame_us(4) + DOWNLINK_WAIT_US + LISTEN_WINDOW_US
    assert lines(dev) == [f"('OSError {ENETDOWN}', {expected})"]


# --- RCZ3 (listen before talk) and RCZ4 (frequency hopping) ----------------------------------

def lbt_uplink_us(payload_bytes):
    return TASK_TICK_US + 3 * (LBT_SENSE_US + frame_us(payload_bytes)) + 2 * INTER_FRAME_LBT_US


def uplink_frequencies(world, device="d"):
    return [e["frequency_hz"] for e in world.events("sigfox_tx")
            if e["device"] == device and e["kind"] == "uplink"]


def test_rcz3_blocking_uplinks_sense_the_channel_before_each_frame(world):
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        print(sigfox.frequencies(), sigfox.config(), sigfox.info())
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(timed(s.send, b'x' * 12), sigfox.info())
        print(timed(s.send, b''), sigfox.info())
    """, world=world)
    assert lbt_uplink_us(12) == 6_359_000 and lbt_uplink_us(0) == 3_479_000
    assert lines(dev) == [
        "(923200000, 922200000) (3, 5000, 0) (0, 0)",
        # info(): 3 frames sent, 3 carrier-sense attempts (bits 3-7, as the firmware masks them)
        f"('ok 12', {lbt_uplink_us(12)}) (3, {3 << 3})",
        f"('ok 0', {lbt_uplink_us(0)}) (3, {3 << 3})",
    ]
    first, bit = world.sigfox.messages
    assert (first.zone, first.frames_received, first.payload) == ("RCZ3", 3, b"x" * 12)
    assert first.t_s == (TASK_TICK_US + LBT_SENSE_US + frame_us(12)) / 1e6
    assert bit.bit_frame and bit.frames_received == 3
    frequencies = uplink_frequencies(world)
    assert len(frequencies) == 6
    assert all(abs(f - 923_200_000) <= 18_000 for f in frequencies)  # the 36 kHz macro channel


JAMMER_ID = "00000001"


def add_rcz3_jammer(world, body):
    """A SiPy 1 m from "d" (at the model's 1 m minimum distance its 16 dBm reach "d" at
    -78.1 dBm, over the -80 dBm LBT threshold; 10 m away it would not be heard as busy)."""
    return world.add_device("j", board="SiPy", sigfox_id=bytes.fromhex(JAMMER_ID), position_m=(101.0, 0.0),
                            script=PRELUDE + textwrap.dedent("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
    """) + textwrap.dedent(body))


def test_rcz3_waits_while_another_device_transmits_on_the_channel(world):
    # One 2.08 s frame (a downlink request with no repetition), from 7 ms to 2.087 s; then the
    # jammer only listens (and gets no downlink).
    jammer = add_rcz3_jammer(world, """
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_TX_REPEAT, 0)
        print(timed(s.send, b'j' * 12))
    """)
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        time.sleep(1)
        print(timed(s.send, b'x' * 12), sigfox.info())
    """, world=world)
    # Busy at 1.002, 1.508 and 2.014 s; clear at 2.520 s: three retries of 501 ms + 5 ms.
    delay = 3 * (LBT_SENSE_US + LBT_RETRY_US)
    assert lines(dev) == [f"('ok 12', {lbt_uplink_us(12) + delay}) (3, {6 << 3})"]
    assert lbt_uplink_us(12) + delay == 7_877_000
    jammer_us = TASK_TICK_US + LBT_SENSE_US + frame_us(12) + DOWNLINK_WAIT_US + LISTEN_WINDOW_US
    assert lines(jammer) == [f"('OSError {ENETDOWN}', {jammer_us})"]
    jam, mine = world.sigfox.messages
    assert (jam.device_id, jam.frames_received) == (JAMMER_ID, 1)
    assert (mine.device_id, mine.frames_received) == (ID, 3)
    assert mine.t_s == (1_000_000 + TASK_TICK_US + delay + LBT_SENSE_US + frame_us(12)) / 1e6
    assert not world.events("sigfox_lbt_failed")


def test_rcz3_gives_up_with_enetdown_when_the_channel_stays_busy(world):
    # The jammer's three frames (56 ms apart) cover all four carrier senses of "d".
    jammer = add_rcz3_jammer(world, "print(timed(s.send, b'j' * 12))\n")
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        time.sleep(1)
        print(timed(s.send, b'x' * 12), sigfox.info())
    """, world=world)
    took = TASK_TICK_US + 3 * (LBT_SENSE_US + LBT_RETRY_US) + LBT_SENSE_US
    assert lines(dev) == [f"('OSError {ENETDOWN}', {took}) (0, {4 << 3})"]
    assert took == 1_525_000
    assert lines(jammer) == [f"('ok 12', {lbt_uplink_us(12)})"]
    [failed] = world.events("sigfox_lbt_failed")
    assert failed["device"] == "d" and failed["t_us"] == 1_000_000 + took and failed["rssi_dbm"] > -80
    assert [m.device_id for m in world.sigfox.messages] == [JAMMER_ID]  # "d" never transmitted


def test_rcz3_a_later_frame_waits_in_a_sliding_window_until_the_channel_is_clear(world):
    # FSK frames of 500 ms on the RCZ3 uplink frequency, each 2 ms (a task tick) after the
    # previous one ends: from 2.102 s to 3.606 s. The second frame of "d" listens from 2.138 s
    # on, without the first frame's 501 ms sleeps; the 2 ms gaps are shorter than the 5 ms
    # it needs, so it goes 5 ms after the last FSK frame ends.
    jam_sleep_us = 2_100_000
    jam_frames = 3
    world.add_device("j", board="SiPy", sigfox_id=bytes.fromhex(JAMMER_ID), position_m=(101.0, 0.0),
                     script=PRELUDE + textwrap.dedent(f"""
        Sigfox(mode=Sigfox.FSK, frequency=923200000)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        time.sleep_ms({jam_sleep_us // 1000})
        for i in range({jam_frames}):
            s.send(bytes(64))
    """))
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ3)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        print(timed(s.send, b'x' * 12), sigfox.info())
    """, world=world)
    jam_end = jam_sleep_us + jam_frames * (TASK_TICK_US + _core.sigfox_fsk_frame_us(64))
    assert jam_end == 3_606_000
    first = TASK_TICK_US + LBT_SENSE_US
    listen = first + frame_us(12) + INTER_FRAME_LBT_US
    assert listen == 2_138_000
    second = jam_end + LBT_SENSE_US
    third = second + frame_us(12) + INTER_FRAME_LBT_US + LBT_SENSE_US
    assert second == 3_611_000
    delay = second - (listen + LBT_SENSE_US)
    # info(): 3 frames sent, 3 attempts (one sense before the first frame, one window each after).
    assert lines(dev) == [f"('ok 12', {lbt_uplink_us(12) + delay}) (3, {3 << 3})"]
    assert lbt_uplink_us(12) + delay == third + frame_us(12)
    assert [e["t_us"] for e in world.events("sigfox_tx") if e["device"] == "d"] == [first, second, third]
    assert not world.events("sigfox_lbt_failed")
    [mine] = world.sigfox.messages
    assert (mine.device_id, mine.frames_received) == (ID, 3)


def test_rcz4_uplinks_run_at_600_bps_on_six_micro_channels_then_keep_23_s(world):
    dev, _ = run("""
        sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ4)
        print(sigfox.frequencies(), sigfox.config(), sigfox.info())
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        for n in range(3):
            print(timed(s.send, b'x' * 12), sigfox.info())
        sigfox.reset()
        print(sigfox.info(), timed(s.send, b'x' * 12), sigfox.info())
    """, world=world)
    message_us = 3 * frame_us(12, 600) + 2 * INTER_FRAME_FH_US
    one = TASK_TICK_US + message_us
    assert frame_us(12, 600) == 346_667 and one == 2_042_001
    # The third message finds no free micro channel: reset, and 23 s since the second started.
    second_start = one + TASK_TICK_US
    third_called = 2 * one
    third = second_start + FCC_RESET_SPACING_US + message_us - third_called
    assert third == 23_000_000
    assert lines(dev) == [
        "(920800000, 922300000) (0, 1073741824, 0) (0, 96)",  # info(): 6 free micro channels << 4
        f"('ok 12', {one}) (0, 48)",
        f"('ok 12', {one}) (0, 0)",
        f"('ok 12', {third}) (0, 48)",
        f"(0, 96) ('ok 12', {one}) (0, 48)",  # reset(): all free again, no wait
    ]
    [wait] = world.events("sigfox_fcc_wait")
    assert (wait["t_us"], wait["wait_us"]) == (third_called + TASK_TICK_US,
                                               FCC_RESET_SPACING_US - (third_called + TASK_TICK_US - second_start))
    messages = world.sigfox.messages
    assert [m.zone for m in messages] == ["RCZ4"] * 4
    assert [m.t_s for m in messages[:2]] == [(TASK_TICK_US + frame_us(12, 600)) / 1e6,
                                             (second_start + frame_us(12, 600)) / 1e6]
    # Frames in the 192 kHz macro channel around 920.8 MHz, 32 kHz micro channels: the first
    # two messages use each of the six once.
    frequencies = uplink_frequencies(world)
    low = 920_800_000 - 96_000
    assert len(frequencies) == 12 and all(low < f < low + 192_000 for f in frequencies)
    assert sorted((f - low) // 32_000 for f in frequencies[:6]) == [0, 1, 2, 3, 4, 5]


# --- uselect on a Sigfox socket --------------------------------------------------------------

def test_poll_reports_pollout_while_the_command_queue_has_room(world):
    dev, _ = run("""
        import uselect, select
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setblocking(False)
        p = uselect.poll()
        p.register(s, uselect.POLLIN | uselect.POLLOUT)
        start = time.ticks_us()
        def at():
            return time.ticks_diff(time.ticks_us(), start)
        print(p.poll(0) == [(s, uselect.POLLOUT)], select.select([s], [s], [], 0) == ([], [s], []))
        s.send(b'one'), s.send(b'two')
        print(p.poll(0), select.select([s], [s], [], 0), at())
        print(p.poll(10) == [(s, uselect.POLLOUT)], at())  # the task takes 'one' at its tick
        s.send(b'three')
        print(p.poll(1000), at())
        print(select.select([], [s], []) == ([], [s], []), at())  # 'one' ends, the task takes 'two'
    """, world=world)
    assert lines(dev) == [
        "True True",
        "[] ([], [], []) 0",
        f"True {TASK_TICK_US}",
        f"[] {TASK_TICK_US + 1_000_000}",
        f"True {uplink_only_us(3) + TASK_TICK_US}",
    ]


def test_poll_reports_pollin_once_the_downlink_is_in_the_receive_queue(world):
    world.sigfox.queue_downlink(ID, bytes(range(1, 9)))
    dev, _ = run("""
        import uselect, select
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
        s.setblocking(False)
        p = uselect.poll()
        p.register(s, uselect.POLLIN)
        start = time.ticks_us()
        print(timed(s.send, b'cfg?'), p.poll(0))
        print(p.poll(60000) == [(s, uselect.POLLIN)], time.ticks_diff(time.ticks_us(), start))
        print(s.recv(3), p.poll(0) == [(s, uselect.POLLIN)], select.select([s], [], [], 0)[0] == [s])
        print(s.recv(8), p.poll(0), select.select([s], [], [], 0))
    """, world=world)
    first_end = TASK_TICK_US + frame_us(4)
    downlink_end = first_end + DOWNLINK_WAIT_US + DOWNLINK_DELAY_US + DOWNLINK_FRAME_US
    # The task queues the downlink when the library returns: after the OOB ack's three frames.
    ack_end = downlink_end + OOB_ACK_DELAY_US + 3 * frame_us(8) + 2 * INTER_FRAME_TX_US
    assert ack_end == 32_598_333
    seen = -(-ack_end // 1000) * 1000  # at the next of poll's 1 ms rounds
    assert lines(dev) == [
        "('ok 4', 0) []",
        f"True {seen}",
        "b'\\x01\\x02\\x03' True True",
        "b'\\x04\\x05\\x06\\x07\\x08' [] ([], [], [])",
    ]
    request, ack = world.sigfox.messages
    assert request.downlink_answered and ack.oob
    assert ack.t_s == (downlink_end + OOB_ACK_DELAY_US + frame_us(8)) / 1e6
    [heard] = [e for e in world.events("sigfox_rx") if e["device"] == "d"]
    assert heard["t_us"] == downlink_end  # heard 9.28 s before the socket was readable


# --- real time -------------------------------------------------------------------------------

def test_sigfox_in_real_time_a_non_blocking_send_returns_at_once_and_goes_on_the_air():
    """RCZ4 (600 bit/s), a bit frame, a downlink request with no repetition: one 186.7 ms
    frame, the shortest Sigfox message there is, so the run lasts 0.4 s of wall time; the
    device then waits for a downlink that the world's close() ends."""
    import time as host_time

    with World(time="real", seed=2) as w:
        started = host_time.monotonic()
        dev, _ = run("""
            Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ4)
            s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
            print(err(s.send, bytes(13)), err(s.setsockopt, socket.SOL_SIGFOX, socket.SO_TX_REPEAT, 3))
            s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
            s.setsockopt(socket.SOL_SIGFOX, socket.SO_TX_REPEAT, 0)
            s.setblocking(False)
            result, took = timed(s.send, b'')
            print(result, took < 50000, err(s.recv, 8))
            s.settimeout(0.05)
            result, took = timed(s.recv, 8)
            print(result, took >= 50000)
        """, world=w, until_s=0.4)
        wall_s = host_time.monotonic() - started
        out = lines(dev)
        [m] = w.sigfox.messages
    assert out == [f"OSError {EMSGSIZE} OSError {EOPNOTSUPP}", "ok 0 True ok b''", "OSError 'timed out' True"]
    assert (m.device_id, m.zone, m.bit_frame, m.frames_received, m.downlink_requested) == (ID, "RCZ4", True, 1, True)
    # Real time: the frame ended no earlier than its emulated end, and within the run.
    assert (TASK_TICK_US + frame_us(0, 600)) / 1e6 <= m.t_s < 0.4
    assert 0.4 <= wall_s < 5


def test_a_re_init_during_a_frame_lets_that_frame_end_before_the_next_one(world):
    # Found by tests/python/test_resources.py: the next message's first frame went on the air
    # while the ended message's frame still was, the medium refused it and the world stopped.
    dev, _ = run("""
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        s.setblocking(False)
        s.send(b'1')
        time.sleep_ms(50)                           # its first frame is on the air
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)  # SIGFOX_API_close ends that message
        s.setblocking(True)
        print(timed(s.send, b'2'))
    """, world=world)
    first_end_us = TASK_TICK_US + frame_us(1)
    [wait] = [e for e in world.events("sigfox_tx_wait") if e["device"] == "d"]
    assert (wait["t_us"], wait["wait_us"]) == (50_000 + TASK_TICK_US, first_end_us - 50_000 - TASK_TICK_US)
    starts = [e["t_us"] for e in world.events("sigfox_tx") if e["device"] == "d"]
    assert starts[:2] == [TASK_TICK_US, first_end_us]
    assert lines(dev) == [f"('ok 1', {first_end_us + 3 * frame_us(1) + 2 * INTER_FRAME_TX_US - 50_000})"]
    assert [m.payload for m in world.sigfox.messages][-1] == b"2"
