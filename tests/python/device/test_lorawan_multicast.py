"""Class C multicast end to end: a script joins a group with LoRa.join_multicast_group(), the
network sends to the group with Network.queue_multicast() (a copy from each gateway, one
FCntDown per frame), and the device follows LoRaMac's counter rules for the copies."""

import pytest
from runtime_support import NTP_EPOCH_S

from usocket_emu import World

APP_EUI = "70b3d57ed0000001"
APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
MAC = bytes.fromhex("70b3d54990112233")
MC_ADDR = 0x01AB0001
MC_NWK_KEY = "000102030405060708090a0b0c0d0e0f"
MC_APP_KEY = "f0e0d0c0b0a090807060504030201000"
#: EU868 RX2 (DR0, SF12/125 kHz, no CRC) carries 13 + 5 bytes in 1,318,912 us (radio.md 1.2);
#: the network leaves 10 ms (class_c_gap_us) between two copies.
AIRTIME_5_BYTES_US = 1_318_912
GAP_US = 10_000

SCRIPT = f"""
from network import LoRa
import socket, time, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868, device_class=LoRa.CLASS_C)
lora.join(activation=LoRa.OTAA, auth=(ubinascii.unhexlify('{APP_EUI}'), ubinascii.unhexlify('{APP_KEY}')))
print('joined', lora.join_multicast_group({MC_ADDR:#x}, ubinascii.unhexlify('{MC_NWK_KEY}'),
                                          ubinascii.unhexlify('{MC_APP_KEY}')))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.settimeout(60)
for i in range(3):
    data, port = s.recvfrom(64)
    print(data, port, time.ticks_us())
time.sleep(3)  # still in the group when the last frame's second copy comes
print('left', lora.leave_multicast_group({MC_ADDR:#x}), lora.leave_multicast_group({MC_ADDR:#x}))
s.settimeout(30)
try:
    print(s.recvfrom(64))
except OSError as e:
    print(type(e).__name__, time.ticks_ms() // 1000)
"""


def test_a_class_c_script_receives_multicast_until_it_leaves_the_group():
    with World(time="virtual", seed=3, ntp_epoch_s=NTP_EPOCH_S) as world:
        net = world.network("EU868")
        net.add_gateway("gw1", (0.0, 0.0))
        net.add_gateway("gw2", (200.0, 0.0))
        net.add_multicast_group(MC_ADDR, MC_NWK_KEY, MC_APP_KEY)
        dev = world.add_device("node", script=SCRIPT, lpwan_mac=MAC, position_m=(100.0, 0.0))
        world.run(until_s=30)
        first = net.queue_multicast(MC_ADDR, 7, b"first")
        net.queue_multicast(MC_ADDR, 8, b"again")
        world.run(until_s=50)
        net.queue_multicast(MC_ADDR, 9, b"after")  # the device left the group at ~37 s
        world.run(until_s=100)
        downlinks = [d for d in net.downlinks() if d.multicast]
        groups = net.multicast_groups()
        events = world.events()
    assert dev.exit_exception is None, dev.output
    copy_us = AIRTIME_5_BYTES_US + GAP_US
    start_us = 30_000_000
    ends = [start_us + n * copy_us + AIRTIME_5_BYTES_US for n in range(4)]
    # FCnt 0 twice: LoRaMac accepts a repeat of a group's counter while it is 0 (both copies
    # reach the script); FCnt 1's second copy is dropped.
    assert dev.output.splitlines() == [
        "joined True",
        f"b'first' 7 {ends[0]}",
        f"b'first' 7 {ends[1]}",
        f"b'again' 8 {ends[2]}",
        "left True False",
        f"TimeoutError {(ends[2] + 3_000_000 + 30_000_000) // 1_000_000}",
    ]
    assert [(d.gateway, d.fcnt, d.port, d.payload, d.t_s) for d in downlinks] == [
        ("gw1", 0, 7, b"first", start_us / 1e6),
        ("gw2", 0, 7, b"first", (start_us + copy_us) / 1e6),
        ("gw1", 1, 8, b"again", (start_us + 2 * copy_us) / 1e6),
        ("gw2", 1, 8, b"again", (start_us + 3 * copy_us) / 1e6),
        ("gw1", 2, 9, b"after", 50.0),
        ("gw2", 2, 9, b"after", 50.0 + copy_us / 1e6),
    ]
    assert all(d.dev_addr == MC_ADDR and d.window == "class_c" and not d.confirmed for d in downlinks)
    assert downlinks[0].queued_id == first and net.downlink_state(first) == "sent"
    assert groups[0]["fcnt_down"] == 3
    device_downlinks = [(e["fcnt"], e["multicast"], e["delivered"]) for e in events
                        if e["event"] == "lorawan_downlink" and e["device"] == "node"]
    assert device_downlinks[-3:] == [(0, True, True), (0, True, True), (1, True, True)]
    ignored = [e for e in events if e["event"] == "lorawan_downlink_ignored" and e["device"] == "node"
               and e["t_us"] > start_us]
    # FCnt 1's second copy, for its counter; then the frames of a group the MAC has left.
    assert [(e["t_us"], e.get("reason"), e.get("fcnt"), e.get("mc_addr")) for e in ignored] == [
        (ends[3], "multicast_fcnt", 1, MC_ADDR),
        (ends[3], None, None, None),
        (50_000_000 + AIRTIME_5_BYTES_US, None, None, None),
        (50_000_000 + copy_us + AIRTIME_5_BYTES_US, None, None, None),
    ]


def test_the_network_checks_its_multicast_groups():
    with World(time="virtual", seed=3) as world:
        net = world.network("EU868")
        net.add_multicast_group("01ab0001", MC_NWK_KEY, MC_APP_KEY, dr=3, frequency_hz=868_300_000)
        assert net.multicast_groups() == [{
            "mc_addr": MC_ADDR, "nwk_s_key": bytes.fromhex(MC_NWK_KEY), "app_s_key": bytes.fromhex(MC_APP_KEY),
            "dr": 3, "frequency_hz": 868_300_000, "fcnt_down": 0}]
        with pytest.raises(ValueError, match="exists already"):
            net.add_multicast_group(MC_ADDR, MC_NWK_KEY, MC_APP_KEY)
        with pytest.raises(ValueError, match="outside EU868's band"):
            net.add_multicast_group(0x01AB0002, MC_NWK_KEY, MC_APP_KEY, frequency_hz=915_000_000)
        with pytest.raises(ValueError, match="no downlinks at DR8"):
            net.add_multicast_group(0x01AB0002, MC_NWK_KEY, MC_APP_KEY, dr=8)
        with pytest.raises(TypeError):
            net.add_multicast_group(0x01AB0002, MC_NWK_KEY, MC_APP_KEY, dr="3")
        with pytest.raises(ValueError, match="16 bytes"):
            net.add_multicast_group(0x01AB0002, MC_NWK_KEY[:-2], MC_APP_KEY)
        with pytest.raises(ValueError, match="FPort is 1..223"):
            net.queue_multicast(MC_ADDR, 224, b"x")
        with pytest.raises(ValueError, match="no multicast group 01AB0002"):
            net.queue_multicast(0x01AB0002, 1, b"x")
        with pytest.raises(ValueError, match="over EU868's limit of 115 at DR3"):
            net.queue_multicast(MC_ADDR, 1, bytes(116))
        with pytest.raises(TypeError):
            net.queue_multicast(MC_ADDR, 1.0, b"x")
        assert net.remove_multicast_group(MC_ADDR) is True
        assert net.remove_multicast_group(MC_ADDR) is False
        assert net.multicast_groups() == []
