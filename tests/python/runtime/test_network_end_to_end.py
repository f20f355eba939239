# test_network_end_to_end.py: real LoRaWAN device scripts (network.LoRa, join(), sockets)
# against the embedded network: default and strict modes, gateways, callbacks, echo, the
# scenario file and the command's summary.
"""The device side is network.LoRa in LoRaWAN mode; here the network side is under test:
what it accepts (default mode: the script's keys; strict mode: only registered keys),
where its gateways stand, and what reaches the scripts from on_uplink, echo and the
scenario's [[downlink]]s.
"""

import textwrap

from runtime_support import NTP_EPOCH_S

from usocket_emu import World, cli

APP_EUI = "70b3d57ed0000001"
APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
MAC = bytes.fromhex("70b3d54990112233")
MAC2 = bytes.fromhex("70b3d54990112244")
DEV_ADDR = 0x26011BDA
NWK_S_KEY = "000102030405060708090a0b0c0d0e0f"
APP_S_KEY = "0f0e0d0c0b0a09080706050403020100"

PRELUDE = f"""
from network import LoRa
import socket, time, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
app_eui = ubinascii.unhexlify('{APP_EUI}')
app_key = ubinascii.unhexlify('{APP_KEY}')
"""

#: Joins (at most 20 s), then sends three uplinks on port 2 and prints what comes back.
SENSOR = PRELUDE + """
try:
    lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), timeout=20000)
except TimeoutError:
    print('no join')
else:
    s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
    s.bind(2)
    s.setblocking(False)
    for i in range(3):
        s.send(b'r%d' % i)
        time.sleep(3)
        data = s.recv(64)
        if data:
            print('got', data)
    print('done')
"""


def world(seed=5, **kwargs):
    return World(time="virtual", seed=seed, ntp_epoch_s=NTP_EPOCH_S, **kwargs)


def test_default_network_accepts_the_script_keys_with_the_default_gateway():
    with world() as w:
        dev = w.add_device("node", script=SENSOR, lpwan_mac=MAC)
        w.run(until_s=120)
        net = w.network("EU868")
        joins, ups = net.joins(), net.uplinks()
    assert dev.output.splitlines() == ["done"], dev.output
    assert net.gateways == ("gateway",)
    assert [(j.dev_eui, j.app_eui) for j in joins] == [(MAC.hex(), APP_EUI)]
    assert [(u.dev_eui, u.dev_addr, u.port, u.payload, u.fcnt) for u in ups] == [
        (MAC.hex(), joins[0].dev_addr, 2, b"r%d" % i, i) for i in range(3)]
    assert all(u.gateways == ("gateway",) for u in ups)


def test_strict_network_refuses_unregistered_and_wrong_keys_and_accepts_registered_ones():
    with world(network={"strict": True}) as w:
        w.network().register_otaa(MAC2, APP_EUI, APP_KEY)  # the right keys
        w.network().register_otaa(MAC, APP_EUI, "00" * 16)  # another AppKey than the script's
        stranger = w.add_device("stranger", script=SENSOR, lpwan_mac=bytes.fromhex("70b3d549900000ff"))
        wrong = w.add_device("wrong", script=SENSOR, lpwan_mac=MAC)
        right = w.add_device("right", script=SENSOR, lpwan_mac=MAC2, position_m=(30, 0))
        w.run(until_s=150)
        net = w.network()
        counters = net.counters()
        joins = net.joins()
    assert stranger.output.splitlines() == ["no join"]
    assert wrong.output.splitlines() == ["no join"]
    assert right.output.splitlines() == ["done"]
    assert [j.dev_eui for j in joins] == [MAC2.hex()]
    assert counters["unknown_devices"] > 0 and counters["bad_mic"] > 0


def test_strict_network_accepts_devices_by_their_scenario_keys():
    with world(network={"strict": True}) as w:
        dev = w.add_device("node", script=SENSOR, lpwan_mac=MAC,
                           keys={"dev_eui": MAC, "app_eui": bytes.fromhex(APP_EUI), "app_key": bytes.fromhex(APP_KEY)})
        w.run(until_s=120)
        assert len(w.network().uplinks()) == 3
    assert dev.output.splitlines() == ["done"]


def test_explicit_gateway_replaces_the_default_and_range_matters():
    with world() as w:
        w.add_gateway("far-away", position_m=(0, 20_000))
        dev = w.add_device("node", script=SENSOR, lpwan_mac=MAC)
        w.run(until_s=120)
        assert w.network().gateways == ("far-away",)
        assert w.network().joins() == []
    assert dev.output.splitlines() == ["no join"]


def test_on_uplink_answer_reaches_the_script_in_that_uplinks_window():
    with world() as w:
        net = w.network()

        @net.on_uplink
        def answer(uplink):
            if uplink.payload == b"r1":
                net.queue_downlink(uplink.dev_eui, 5, b"slow down")

        dev = w.add_device("node", script=SENSOR, lpwan_mac=MAC)
        w.run(until_s=120)
        downs = net.downlinks(join_accepts=False)
        ups = net.uplinks()
    assert dev.output.splitlines() == ["got b'slow down'", "done"]
    assert [(d.port, d.payload, d.window) for d in downs] == [(5, b"slow down", "rx1")]
    assert downs[0].t_s == ups[1].t_s + 1.0


def test_echo_sends_every_uplink_back_to_the_script():
    with world(network={"echo": True}) as w:
        dev = w.add_device("node", script=SENSOR, lpwan_mac=MAC)
        w.run(until_s=120)
    assert dev.output.splitlines() == ["got b'r0'", "got b'r1'", "got b'r2'", "done"]


def test_abp_script_uplinks_are_decrypted_with_its_keys():
    script = PRELUDE + f"""
import struct
addr = struct.unpack('>l', ubinascii.unhexlify('{DEV_ADDR:08x}'))[0]
lora.join(activation=LoRa.ABP, auth=(addr, ubinascii.unhexlify('{NWK_S_KEY}'), ubinascii.unhexlify('{APP_S_KEY}')))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.bind(9)
for i in range(2):
    s.send(b'abp%d' % i)
    time.sleep(5)
"""
    with world() as w:
        w.add_device("node", script=script)
        w.run(until_s=60)
        ups = w.network().uplinks()
    assert [(u.dev_eui, u.dev_addr, u.port, u.payload) for u in ups] == [
        (None, DEV_ADDR, 9, b"abp0"), (None, DEV_ADDR, 9, b"abp1")]


def test_scenario_run_prints_the_devices_then_the_network_summary(tmp_path, capsys):
    (tmp_path / "sensor.py").write_text(SENSOR, encoding="utf-8")
    (tmp_path / "farm.toml").write_text(textwrap.dedent(f"""
        [world]
        time = "virtual"
        seed = 5
        ntp_epoch_s = {NTP_EPOCH_S}

        [network]
        strict = true

        [[gateway]]
        name = "roof"
        position_m = [0, 20]

        [[device]]
        name = "a"
        target = "sensor.py"
        lpwan_mac = "{MAC.hex()}"
        [device.keys]
        app_eui = "{APP_EUI}"
        app_key = "{APP_KEY}"
        dev_eui = "{MAC.hex()}"

        [[device]]
        name = "b"
        target = "sensor.py"
        lpwan_mac = "{MAC2.hex()}"
        position_m = [40, 0]

        [[downlink]]
        device = "a"
        port = 4
        payload = "hi"
    """), encoding="utf-8")
    status = cli.main(["run", str(tmp_path / "farm.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert sorted(lines[:-2]) == ["a | done", "a | got b'hi'", "b | no join"]
    assert lines[-2:] == [
        "network EU868: 1 join, 3 uplinks from 1 device, 1 downlink",
        "  a: 3 uplinks, last fcnt 2 port 2: b'r2'",
    ]


#: OTAA at DR0 with the device's ADR on, then 44 uplinks 10 s apart at SO_DR 0.
ADR_SENSOR = PRELUDE.replace("region=LoRa.EU868", "region=LoRa.EU868, adr=True") + """
lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), dr=0)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 0)
for i in range(44):
    s.send(b'x')
    time.sleep(10)
st = lora.stats()
print(st.sftx, st.tx_power)
"""


def test_network_adr_raises_the_dr_then_lowers_the_power_by_the_best_snr_of_20_uplinks():
    with world() as w:
        dev = w.add_device("node", script=ADR_SENSOR, lpwan_mac=MAC, position_m=(20, 0))
        w.run(until_s=1000)
        ups = w.network("EU868").uplinks()
        adr = w.events("lorawan_ns_adr")
    # 20 m from the gateway at 14 dBm the SNR is 8.9 dB. At DR0 (SF12, floor -20 dB) the
    # margin is 8.9 + 20 - 10 = 18.9 dB: six 3-dB steps, five DRs up to DR5 and one 2-dB
    # power step (TXPower 1). At DR5 (SF7, -7.5 dB) 6.9 dB leaves 4.4 dB: one more power
    # step. 4.9 dB then leaves 2.4 dB, less than a step: no third request.
    assert [(u.fcnt, u.dr, round(u.snr_db, 1)) for u in ups] == (
        [(i, 0, 8.9) for i in range(20)] + [(i, 5, 6.9) for i in range(20, 40)]
        + [(i, 5, 4.9) for i in range(40, 44)])
    assert [(e["dr"], e["new_dr"], e["new_tx_power_index"]) for e in adr] == [(0, 5, 1), (5, 5, 2)]
    assert dev.output.split() == ["5", "2"]


def test_network_adr_off_leaves_the_device_at_its_data_rate():
    with world(network={"adr": False}) as w:
        w.add_device("node", script=ADR_SENSOR, lpwan_mac=MAC, position_m=(20, 0))
        w.run(until_s=1000)
        ups = w.network("EU868").uplinks()
        assert w.events("lorawan_ns_adr") == []
    assert len(ups) == 44 and {u.dr for u in ups} == {0}


def test_network_adr_ignores_devices_without_the_adr_bit():
    with world() as w:
        w.add_device("node", script=ADR_SENSOR.replace(", adr=True", ""), lpwan_mac=MAC, position_m=(20, 0))
        w.run(until_s=1000)
        assert w.events("lorawan_ns_adr") == []
        assert {u.dr for u in w.network("EU868").uplinks()} == {0}


#: Joins at DR0 as soon as it boots and prints when it joined.
JOIN_AT_ONCE = PRELUDE + """
lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), dr=0)
print('joined', time.ticks_ms())
"""


def test_two_scripts_joining_at_once_collide_until_their_channels_differ():
    # Seed 2: both devices, 50 m either side of the gateway (the same RSSI: no capture),
    # pick 868.5 MHz at 0 s and again at 10 s; at 20 s they pick different channels.
    with world(seed=2) as w:
        a = w.add_device("a", script=JOIN_AT_ONCE, position_m=(50, 0), lpwan_mac=MAC)
        b = w.add_device("b", script=JOIN_AT_ONCE, position_m=(-50, 0), lpwan_mac=MAC2)
        w.run(until_s=60)
        requests = [(e["t_us"], e["device"], e["frequency_hz"]) for e in w.events("lorawan_join_request")]
        lost = [(e["t_us"], e["from"], e["reason"]) for e in w.events("lora_lost") if e["from"] in ("a", "b")]
        rejected = [(e["t_us"], e["dev_eui"], e["reason"]) for e in w.events("lorawan_ns_rejected")]
        joins = w.network().joins()
    assert requests == [(0, "a", 868_500_000), (0, "b", 868_500_000),
                        (10_000_000, "a", 868_500_000), (10_000_000, "b", 868_500_000),
                        (20_000_000, "a", 868_100_000), (20_000_000, "b", 868_500_000),
                        (30_000_000, "b", 868_500_000)]
    # A DR0 join request is 1,482,752 us on the air; both copies are lost at its end.
    assert lost == [(1_482_752, "a", "collision"), (1_482_752, "b", "collision"),
                    (11_482_752, "a", "collision"), (11_482_752, "b", "collision")]
    # At 20 s the gateway hears both, but its one transmitter can answer only a in RX1 and
    # is still sending that accept at b's RX2: b joins with its next request.
    assert rejected == [(21_682_752, MAC2.hex().upper(), "no_window")]
    assert [(j.dev_eui, j.t_s) for j in joins] == [(MAC.hex(), 21.482752), (MAC2.hex(), 31.482752)]
    assert joins[0].dev_addr != joins[1].dev_addr
    assert a.output.split() == ["joined", "28300"] and b.output.split() == ["joined", "38300"]
