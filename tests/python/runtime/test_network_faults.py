"""Faults on the network side and what device scripts see: a network server that loses a
fraction of its downlinks (World(network={"downlink_loss": ...})), and a gateway that goes
away (Network.remove_gateway). The device's documented behaviour (pycom-api.md 3.4): a
confirmed uplink never ACKed makes a blocking send() raise OSError(EAGAIN) after
tx_retries + 1 transmissions; an OTAA join whose accept never comes times out."""

import pytest
from runtime_support import NTP_EPOCH_S

from usocket_emu import World

APP_EUI = "70b3d57ed0000001"
APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
MAC = bytes.fromhex("70b3d54990112233")
DEV_ADDR = 0x26011BDA
NWK_S_KEY = "000102030405060708090a0b0c0d0e0f"
APP_S_KEY = "0f0e0d0c0b0a09080706050403020100"
EAGAIN = 11

ABP_PRELUDE = f"""
from network import LoRa
import socket, struct, time, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
addr = struct.unpack('>l', ubinascii.unhexlify('{DEV_ADDR:08x}'))[0]
lora.join(activation=LoRa.ABP, auth=(addr, ubinascii.unhexlify('{NWK_S_KEY}'), ubinascii.unhexlify('{APP_S_KEY}')))
events = []
lora.callback(LoRa.TX_PACKET_EVENT | LoRa.TX_FAILED_EVENT, lambda l: events.append(l.events()))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.bind(3)
"""

CONFIRMED_SENDS = ABP_PRELUDE + """
s.setsockopt(socket.SOL_LORA, socket.SO_CONFIRMED, True)
for i in range(N):
    try:
        print(i, s.send(b'c%d' % i), lora.stats().tx_trials)
    except OSError as e:
        print(i, 'OSError', e.args[0], lora.stats().tx_trials)
    time.sleep(30)
print('events', events)
"""


def world(seed=5, **kwargs):
    return World(time="virtual", seed=seed, ntp_epoch_s=NTP_EPOCH_S, **kwargs)


def test_all_downlinks_lost_a_confirmed_send_fails_with_eagain_after_three_transmissions():
    with world(network={"downlink_loss": 1.0}) as w:
        dev = w.add_device("node", script=CONFIRMED_SENDS.replace("range(N)", "range(1)"))
        w.run(until_s=120)
        net = w.network()
        counters, ups, downs = net.counters(), net.uplinks(), net.downlinks()
        dropped = w.events("lorawan_ns_dropped")
    assert dev.exit_exception is None, dev.output
    assert dev.output.splitlines() == [f"0 OSError {EAGAIN} 3", f"events [{0x04}]"]  # TX_FAILED_EVENT
    # The network heard the frame three times (one record, two retransmissions) and
    # "sent" three ACKs that never reached the gateway.
    assert len(ups) == 1 and counters["retransmissions"] == 2
    assert counters["downlinks_dropped"] == 3 and len(dropped) == 3 and all(e["ack"] for e in dropped)
    assert downs == [] and counters["downlinks_sent"] == 0


def test_half_the_downlinks_lost_some_sends_retry_and_the_run_repeats_with_its_seed():
    def once():
        with world(seed=11, network={"downlink_loss": 0.5}) as w:
            dev = w.add_device("node", script=CONFIRMED_SENDS.replace("range(N)", "range(12)"))
            w.run(until_s=600)
            return dev.output, w.network().counters()
    output, counters = once()
    lines = output.splitlines()
    trials = [int(line.split()[-1]) for line in lines[:-1]]
    failed = [line for line in lines[:-1] if "OSError" in line]
    assert len(trials) == 12 and all(1 <= t <= 3 for t in trials)
    assert any(t > 1 for t in trials)  # some ACKs were lost and the device tried again
    assert all(line.split()[2] == str(EAGAIN) and line.endswith(" 3") for line in failed)
    assert counters["downlinks_dropped"] + counters["downlinks_sent"] == sum(trials)
    assert (output, counters) == once()


def test_all_downlinks_lost_an_otaa_join_times_out_while_the_network_answers_each_request():
    script = f"""
from network import LoRa
import time, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
try:
    lora.join(activation=LoRa.OTAA, auth=(ubinascii.unhexlify('{APP_EUI}'), ubinascii.unhexlify('{APP_KEY}')),
              timeout=35000)
except TimeoutError:
    print('timeout', time.ticks_ms() // 1000, lora.has_joined())
"""
    with world(network={"downlink_loss": 1.0}) as w:
        dev = w.add_device("node", script=script, lpwan_mac=MAC)
        w.run(until_s=60)
        joins = w.network().joins()
        counters = w.network().counters()
    assert dev.output.splitlines() == ["timeout 35 False"]
    # Requests at 0, 10, 20 and 30 s, each accepted and answered, each accept lost.
    assert len(joins) == 4 and counters["downlinks_dropped"] == 4


def test_a_gateway_that_goes_away_stops_the_uplinks_it_alone_heard():
    script = ABP_PRELUDE + """
for i in range(6):
    print(i, s.send(b'u%d' % i))
    time.sleep(60)
s.setsockopt(socket.SOL_LORA, socket.SO_CONFIRMED, True)
try:
    s.send(b'confirmed')
except OSError as e:
    print('confirmed', e.args[0])
"""
    with world() as w:
        net = w.network()
        net.add_gateway("near", (0.0, 0.0))
        net.add_gateway("far", (120.0, 0.0))  # 100 m away: in range at SF7 too
        dev = w.add_device("node", script=script, position_m=(20.0, 0.0))
        w.run(until_s=100)          # uplinks at 0 and 60 s, heard by both
        net.remove_gateway("near")
        w.run(until_s=200)          # at 120 and 180 s: "far" alone
        net.remove_gateway("far")
        w.run(until_s=600)          # at 240 and 300 s and the confirmed one: nobody hears
        ups = net.uplinks()
        gateways = net.gateways
        with pytest.raises(ValueError, match="no gateway named 'near'"):
            net.remove_gateway("near")
    assert dev.exit_exception is None, dev.output
    assert dev.output.splitlines() == [f"{i} 2" for i in range(6)] + [f"confirmed {EAGAIN}"]
    assert [(u.payload, tuple(u.gateways)) for u in ups] == [
        (b"u0", ("near", "far")), (b"u1", ("near", "far")), (b"u2", ("far",)), (b"u3", ("far",))]
    assert gateways == ()
