# test_lora_link.py: raw LoRa between devices (pycom-api.md 3.5, 3.7, 4.5, 4.7; radio.md 4.2-4.3).
"""Two or three devices on the world's shared medium: who hears whom (IQ polarity,
frequency, SF, bandwidth, sync word), sensitivity and range, half duplex, collisions,
listen-before-talk, ischannel_free, power modes, the receiver's stats(), and a ping-pong
between two unchanged device scripts. All in virtual time; positions in metres.

The medium's path loss is radio.md 4.3's log-distance model (100 m: 135.687 dB, so
-121.687 dBm at 14 dBm); sensitivities are radio.md 4.3's table.
"""

from __future__ import annotations

import textwrap

import pytest
from lora_support import of, rssi_dbm, run_devices, toa_us

AT = """
def at(t_s):
    time.sleep(t_s - time.ticks_ms() / 1000)

"""


def node(init, body):
    """A script: ``lora = <init>``, a LoRa socket ``s`` and ``at(t_s)`` (sleep until t_s)."""
    return f"lora = {init}\ns = socket.socket(socket.AF_LORA, socket.SOCK_RAW)\n" + AT + textwrap.dedent(body)


SEND_AT_1 = textwrap.dedent("""
    at(1)
    s.send(b'hello')
""")

LISTEN = textwrap.dedent("""
    s.setblocking(False)
    at(5)
    print(s.recv(64))
""")


def lost(events, device):
    return [(e["from"], e["reason"]) for e in of(events, "lora_lost", device)]


def received(events, device):
    return [e["from"] for e in of(events, "lora_rx", device)]


# --- who hears whom ----------------------------------------------------------------------------

def test_iq_polarity_gateway_hears_nodes_nodes_do_not_hear_each_other_and_the_reply_reaches_both():
    results, events = run_devices({
        "gw": (node("LoRa(mode=LoRa.LORA, rx_iq=True)", """
            print(s.recv(64))           # blocking
            at(2)
            s.send(b'reply')            # tx_iq False: normal polarity
            s.setblocking(False)
            at(4)
            print(s.recv(64))           # not its own frame
        """), {"position_m": (0.0, 0.0)}),
        "n1": (node("LoRa(mode=LoRa.LORA, tx_iq=True)", """
            at(1)
            s.send(b'from n1')
            s.setblocking(False)
            at(3)
            print(s.recv(64))
        """), {"position_m": (50.0, 0.0)}),
        "n2": (node("LoRa(mode=LoRa.LORA, tx_iq=True)", """
            s.setblocking(False)
            at(1.5)
            print(s.recv(64))           # n1's uplink is inverted: not for n2
            at(3)
            print(s.recv(64))
        """), {"position_m": (-50.0, 0.0)}),
    }, until_s=10)
    assert results["gw"].lines == ["b'from n1'", "b''"], results["gw"].output
    assert results["n1"].lines == ["b'reply'"], results["n1"].output
    assert results["n2"].lines == ["b''", "b'reply'"], results["n2"].output
    assert received(events, "gw") == ["n1"]
    assert sorted(received(events, "n1") + received(events, "n2")) == ["gw", "gw"]
    assert lost(events, "n2") == [("n1", "wrong_iq")]
    (up,) = of(events, "lora_tx", "n1")
    (down,) = of(events, "lora_tx", "gw")
    assert (up["iq_inverted"], down["iq_inverted"]) == (True, False)


@pytest.mark.parametrize("b_init,hears", [
    ("LoRa(mode=LoRa.LORA)", True),
    ("LoRa(mode=LoRa.LORA, coding_rate=LoRa.CODING_4_8, preamble=12)", True),  # need not match
    ("LoRa(mode=LoRa.LORA, tx_power=2)", True),
    ("LoRa(mode=LoRa.LORA, frequency=868100000)", False),
    ("LoRa(mode=LoRa.LORA, frequency=869525000)", False),
    ("LoRa(mode=LoRa.LORA, sf=8)", False),
    ("LoRa(mode=LoRa.LORA, sf=12)", False),
    ("LoRa(mode=LoRa.LORA, bandwidth=LoRa.BW_250KHZ)", False),
    ("LoRa(mode=LoRa.LORA, public=False)", False),
    ("LoRa(mode=LoRa.LORA, rx_iq=True)", False),
])
def test_a_receiver_needs_the_same_frequency_sf_bandwidth_sync_word_and_iq(b_init, hears):
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA)", SEND_AT_1), {"position_m": (0.0, 0.0)}),
        "b": (node(b_init, LISTEN), {"position_m": (30.0, 40.0)}),
    }, until_s=6)
    assert results["b"].lines == (["b'hello'"] if hears else ["b''"]), results["b"].output
    assert received(events, "b") == (["a"] if hears else [])


def test_private_sync_word_on_both_sides_works_and_a_mismatch_is_logged():
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA, public=False)", SEND_AT_1), {"position_m": (0.0, 0.0)}),
        "private": (node("LoRa(mode=LoRa.LORA, public=False)", LISTEN), {"position_m": (100.0, 0.0)}),
        "public": (node("LoRa(mode=LoRa.LORA)", LISTEN), {"position_m": (-100.0, 0.0)}),
    }, until_s=6)
    assert results["private"].lines == ["b'hello'"]
    assert results["public"].lines == ["b''"]
    assert lost(events, "public") == [("a", "wrong_sync_word")]


# --- range ---------------------------------------------------------------------------------------

def test_rssi_and_snr_of_a_received_frame_at_100_m():
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA)", SEND_AT_1), {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA)", """
            t0 = time.ticks_us()
            print(s.recv(64))
            t1 = time.ticks_us()
            st = lora.stats()
            print(st.rssi, type(st.snr).__name__, st.snr == int(st.snr), st.sfrx, st.sftx, st.tx_counter)
            print(t0 <= st.rx_timestamp <= t1, st.rx_timestamp > 0)
        """), {"position_m": (60.0, 80.0)}),
    }, until_s=5)
    b = results["b"]
    assert b.lines[0] == "b'hello'"
    assert b.lines[1] == "-122 float True 7 0 0", b.output
    assert b.lines[2] == "True True", b.output
    (rx,) = of(events, "lora_rx", "b")
    assert rx["rssi_dbm"] == pytest.approx(-121.687, abs=0.001)
    assert rx["rssi_dbm"] == pytest.approx(rssi_dbm(100.0), abs=1e-6)
    assert float(rx["snr_db"]) == pytest.approx(float(rx["snr_db"]))


@pytest.mark.parametrize("distance_m,tx_power,rssi", [(10.0, 14, -101), (40.0, 14, -113), (200.0, 14, -128),
                                                      (100.0, 20, -116), (60.0, 2, -129)])
def test_stats_rssi_is_the_rounded_received_power(distance_m, tx_power, rssi):
    results, events = run_devices({
        "a": (node(f"LoRa(mode=LoRa.LORA, sf=12, tx_power={tx_power})", SEND_AT_1), {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA, sf=12)", LISTEN + "print(lora.stats().rssi)\n"),
              {"position_m": (distance_m, 0.0)}),
    }, until_s=6)
    assert round(rssi_dbm(distance_m, tx_power)) == rssi
    assert results["b"].lines == ["b'hello'", str(rssi)], results["b"].output
    (rx,) = of(events, "lora_rx", "b")
    assert rx["rssi_dbm"] == pytest.approx(rssi_dbm(distance_m, tx_power), abs=1e-6)


def test_a_far_device_is_below_sensitivity():
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA)", SEND_AT_1), {"position_m": (0.0, 0.0)}),
        "far": (node("LoRa(mode=LoRa.LORA)", LISTEN), {"position_m": (5000.0, 0.0)}),
    }, until_s=6)
    assert results["far"].lines == ["b''"]
    (loss,) = of(events, "lora_lost", "far")
    assert (loss["from"], loss["reason"]) == ("a", "below_sensitivity")
    assert loss["rssi_dbm"] == pytest.approx(rssi_dbm(5000.0), abs=1e-6)  # about -157 dBm


def test_sf12_reaches_where_sf7_does_not():
    # 300 m: -131.6 dBm, below SF7/125's -126.5 dBm but above SF12/125's -133.25 dBm
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA)", """
            at(1)
            s.send(b'sf7')
            lora.sf(12)
            at(2)
            s.send(b'sf12')
        """), {"position_m": (0.0, 0.0)}),
        "b7": (node("LoRa(mode=LoRa.LORA)", LISTEN), {"position_m": (300.0, 0.0)}),
        "b12": (node("LoRa(mode=LoRa.LORA, sf=12)", LISTEN), {"position_m": (0.0, 300.0)}),
    }, until_s=6)
    assert results["b7"].lines == ["b''"] and results["b12"].lines == ["b'sf12'"]
    assert lost(events, "b7") == [("a", "below_sensitivity")]


# --- half duplex, collisions, listen before talk ---------------------------------------------------

def test_half_duplex_a_transmitting_radio_hears_nothing_and_listens_again_after():
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA)", """
            at(1)
            s.send(bytes(200))          # about 330 ms on air
            at(3)
            s.send(b'second')
        """), {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA)", """
            at(1.1)
            s.send(b'b talks')          # while a's frame is in the air
            s.setblocking(False)
            at(5)
            print(s.recv(255))
            print(s.recv(255))
        """), {"position_m": (100.0, 0.0)}),
    }, until_s=6)
    assert results["b"].lines == ["b'second'", "b''"], results["b"].output
    assert lost(events, "b") == [("a", "deaf_while_transmitting")]
    assert lost(events, "a") == [("b", "deaf_while_transmitting")]


def test_two_nodes_sending_at_once_collide_at_the_receiver():
    results, events = run_devices({
        "n1": (node("LoRa(mode=LoRa.LORA)", "at(1)\ns.send(b'n1 frame')\n"), {"position_m": (100.0, 0.0)}),
        "n2": (node("LoRa(mode=LoRa.LORA)", "at(1)\ns.send(b'n2 frame')\n"), {"position_m": (-100.0, 0.0)}),
        "gw": (node("LoRa(mode=LoRa.LORA)", LISTEN), {"position_m": (0.0, 0.0)}),
    }, until_s=6)
    assert results["gw"].lines == ["b''"], results["gw"].output
    assert sorted(lost(events, "gw")) == [("n1", "collision"), ("n2", "collision")]


def test_different_sf_or_frequency_do_not_collide():
    results, events = run_devices({
        "n1": (node("LoRa(mode=LoRa.LORA)", "at(1)\ns.send(b'n1 frame')\n"), {"position_m": (100.0, 0.0)}),
        "n2": (node("LoRa(mode=LoRa.LORA, sf=9)", "at(1)\ns.send(b'n2 frame')\n"), {"position_m": (-100.0, 0.0)}),
        "n3": (node("LoRa(mode=LoRa.LORA, frequency=868500000)", "at(1)\ns.send(b'n3 frame')\n"),
               {"position_m": (0.0, 100.0)}),
        "gw": (node("LoRa(mode=LoRa.LORA)", LISTEN), {"position_m": (0.0, 0.0)}),
    }, until_s=6)
    assert results["gw"].lines == ["b'n1 frame'"], results["gw"].output
    assert received(events, "gw") == ["n1"]
    assert all(reason != "collision" for _, reason in lost(events, "gw"))


def test_listen_before_talk_defers_a_send_while_a_strong_signal_is_on_the_channel():
    # 1 m apart: about -80 dBm, above the -85 dBm LBT threshold (pycom-api.md 3.5)
    long_us = toa_us(100, 12)
    results, events = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA, sf=12)", "at(1)\ns.send(bytes(100))\n"), {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA, sf=12)", """
            at(1.5)
            t0 = time.ticks_us()
            s.send(b'waited')
            print(time.ticks_diff(time.ticks_us(), t0))
        """), {"position_m": (1.0, 0.0)}),
    }, until_s=20)
    (ta,) = of(events, "lora_tx", "a")
    (tb,) = of(events, "lora_tx", "b")
    assert ta["t_us"] == 1_001_000  # lora_tx is logged when the frame starts, after 1 ms of LBT
    a_end = ta["t_us"] + long_us
    assert a_end <= tb["t_us"] <= a_end + 10_000, (ta, tb)
    # b's blocking send returned once its own frame was sent
    assert int(results["b"].lines[0]) == tb["t_us"] + toa_us(6, 12) - 1_500_000


def test_ischannel_free_sees_another_device_transmitting_nearby():
    results, _ = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA, sf=12)", "at(1)\ns.send(bytes(100))\n"), {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA, sf=12)", """
            print(lora.ischannel_free(-90, 100))     # quiet
            at(1.5)
            t0 = time.ticks_ms()
            print(lora.ischannel_free(-90, 100), time.ticks_diff(time.ticks_ms(), t0))   # a is on air
            print(lora.ischannel_free(-60, 100))     # a is weaker than that
            at(10)
            print(lora.ischannel_free(-90, 100))     # quiet again
        """), {"position_m": (1.0, 0.0)}),
        "c": (node("LoRa(mode=LoRa.LORA, sf=12, frequency=869525000)", """
            at(1.5)
            print(lora.ischannel_free(-90, 100))     # another frequency
        """), {"position_m": (0.0, 1.0)}),
    }, until_s=12)
    assert results["b"].lines == ["True", "False 100", "True", "True"], results["b"].output
    assert results["c"].lines == ["True"], results["c"].output


# --- power modes -------------------------------------------------------------------------------

def test_sleep_and_tx_only_do_not_receive_until_woken_or_after_a_send():
    sender = node("LoRa(mode=LoRa.LORA)", """
        at(1)
        s.send(b'one')
        at(3)
        s.send(b'two')
    """)
    results, events = run_devices({
        "a": (sender, {"position_m": (0.0, 0.0)}),
        "sleeper": (node("LoRa(mode=LoRa.LORA, power_mode=LoRa.SLEEP)", """
            s.setblocking(False)
            at(2)
            lora.power_mode(LoRa.ALWAYS_ON)
            at(5)
            print(s.recv(64), s.recv(64))
        """), {"position_m": (100.0, 0.0)}),
        "txonly": (node("LoRa(mode=LoRa.LORA, power_mode=LoRa.TX_ONLY)", """
            s.setblocking(False)
            at(2)
            s.send(b'x')                 # after a TX the radio listens again (pycom-api.md 3.5)
            at(5)
            print(s.recv(64), s.recv(64), lora.power_mode())
        """), {"position_m": (-100.0, 0.0)}),
    }, until_s=6)
    assert results["sleeper"].lines == ["b'two' b''"], results["sleeper"].output
    assert results["txonly"].lines == ["b'two' b'' 1"], results["txonly"].output
    # A radio that was not listening when a frame began logs no loss for it (docs/radio.md).
    assert [loss for loss in lost(events, "sleeper") if loss[0] == "a"] == []
    assert [loss for loss in lost(events, "txonly") if loss[0] == "a"] == []


def test_stats_count_only_received_frames_of_the_receiver():
    results, _ = run_devices({
        "a": (node("LoRa(mode=LoRa.LORA, sf=9)", SEND_AT_1 + "print(lora.stats().rx_timestamp, lora.stats().sfrx)\n"),
              {"position_m": (0.0, 0.0)}),
        "b": (node("LoRa(mode=LoRa.LORA, sf=9)", LISTEN + "st = lora.stats()\nprint(st.sfrx, st.tx_counter, st.sftx)\n"),
              {"position_m": (100.0, 0.0)}),
    }, until_s=6)
    assert results["a"].lines == ["0 0"], results["a"].output
    assert results["b"].lines == ["b'hello'", "9 0 0"], results["b"].output


# --- ping-pong ---------------------------------------------------------------------------------

PINGER = """\
from network import LoRa
import socket
import time

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.settimeout(3)
for i in range(5):
    s.send('Ping %d' % i)
    try:
        print(s.recv(64), time.ticks_us())
    except socket.timeout:
        print('no answer')
"""

PONGER = """\
from network import LoRa
import socket
import time

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
while True:
    data = s.recv(64)
    if data.startswith(b'Ping'):
        s.send(b'Pong' + data[4:])
"""


def test_ping_pong_between_two_unchanged_scripts():
    from usocket_emu import World

    with World(time="virtual", seed=1) as world:
        a = world.add_device("a", script=PINGER, board="LoPy4", region="EU868", position_m=(0.0, 0.0))
        b = world.add_device("b", script=PONGER, board="LoPy", region="EU868", position_m=(100.0, 0.0))
        world.run(until_s=10)
        lines = a.output.splitlines()
        events = world.events()
        assert a.exit_exception is None and b.exit_exception is None
    assert [line.split()[0] + " " + line.split()[1] for line in lines] == [f"b'Pong {i}'" for i in range(5)], lines
    times = [int(line.split()[2]) for line in lines]
    # one round: each side 1 ms listen-before-talk + 6 bytes on air (36.096 ms at SF7/125)
    round_us = 2 * (1000 + toa_us(6))
    assert [t2 - t1 for t1, t2 in zip(times, times[1:])] == [round_us] * 4
    assert [e["payload"] for e in of(events, "lora_tx", "a")] == [(b"Ping %d" % i).hex() for i in range(5)]
    assert [e["payload"] for e in of(events, "lora_tx", "b")] == [(b"Pong %d" % i).hex() for i in range(5)]
    assert len(of(events, "lora_rx", "a")) == len(of(events, "lora_rx", "b")) == 5
    assert of(events, "lora_lost") == []


def test_ping_pong_with_callbacks_and_non_blocking_sockets():
    gateway = node("LoRa(mode=LoRa.LORA, rx_iq=True)", """
        s.setblocking(False)
        def on_rx(lo):
            if lo.events() & LoRa.RX_PACKET_EVENT:
                data = s.recv(64)
                s.send(b'ack ' + data)
        lora.callback(LoRa.RX_PACKET_EVENT, on_rx)
        time.sleep(20)
    """)
    sensor = node("LoRa(mode=LoRa.LORA, tx_iq=True)", """
        s.settimeout(2)
        for i in range(3):
            at(1 + 5 * i)
            s.send('reading %d' % i)
            print(s.recv(64))
    """)
    results, events = run_devices({
        "gw": (gateway, {"position_m": (0.0, 0.0)}),
        "s1": (sensor, {"position_m": (100.0, 0.0)}),
    }, until_s=20)
    assert results["s1"].lines == [f"b'ack reading {i}'" for i in range(3)], results["s1"].output
    assert results["gw"].exit_exception is None
