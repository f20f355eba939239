# test_network_api.py: the embedded LoRaWAN network server from Python (usocket_emu.Network,
# World.network(), _core.LoRaWANNetwork), driven by genuine LoRaWAN frames on the air.
"""Raw-mode device scripts send LoRaWAN 1.0.2 frames built here with the C++ codec
(``_core.lorawan_encode_*``, checked against ``cryptography`` by test_lorawan_crypto.py) at
868.1 MHz, SF7, uplink polarity, public sync word: what a LoRaWAN device puts on the air.
The gateways must hear them through the medium, the server must record them (decrypted,
with counters, radio metadata and emulated times), and its downlinks must go on the air in
the receive windows (gateway lora_tx events; a raw-mode listener with inverted IQ gets
them byte for byte).
"""

from __future__ import annotations

import pytest

from usocket_emu import Downlink, Join, Network, Uplink, World, _core

NWK_S_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
APP_S_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
DEV_ADDR = 0x26011BDA
DEV_EUI = bytes.fromhex("70b3d5499a0b0c0d")
APP_EUI = bytes.fromhex("70b3d57ed0000001")
APP_KEY = bytes.fromhex("8d7f3e1a2b4c5d6e7f8091a2b3c4d5e6")

UNCONFIRMED_UP, CONFIRMED_UP = 2, 4
RX1_DELAY_S = 1.0
JOIN_ACCEPT_DELAY1_S = 5.0


def data_up(fcnt, payload, port=1, *, mtype=UNCONFIRMED_UP, dev_addr=DEV_ADDR, nwk=NWK_S_KEY, app=APP_S_KEY,
            **flags):
    return _core.lorawan_encode_data(mtype, dev_addr, fcnt, port, payload, nwk, app, **flags)


def join_request(dev_nonce, *, dev_eui=DEV_EUI, app_eui=APP_EUI, app_key=APP_KEY):
    return _core.lorawan_encode_join_request(int.from_bytes(app_eui, "big"), int.from_bytes(dev_eui, "big"),
                                             dev_nonce, app_key)


def sender(frames, gap_s=5.0):
    """A raw-mode script sending ``frames`` at 868.1 MHz SF7 125 kHz, one every ``gap_s``."""
    return f"""
import socket
import time
from network import LoRa

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, frequency=868100000, sf=7)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
for frame in {list(frames)!r}:
    s.send(frame)
    time.sleep({gap_s!r})
"""


#: Listens for downlinks (inverted IQ) at 868.1 MHz SF7 and prints each one's hex.
LISTENER = """
import socket
import ubinascii
from network import LoRa

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, frequency=868100000, sf=7, rx_iq=True)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.settimeout(20)
while True:
    try:
        data = s.recv(256)
    except TimeoutError:
        break
    print(ubinascii.hexlify(data).decode())
"""


def world(**kwargs):
    return World(time="virtual", seed=3, ntp_epoch_s=1_700_000_000, **kwargs)


def abp_world(frames, *, register=True, gateways=(("gw", (0.0, 10.0)),), gap_s=5.0, **kwargs):
    w = world(**kwargs)
    net = w.network("EU868")
    for name, position in gateways:
        net.add_gateway(name, position_m=position)
    if register:
        net.register_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY)
    w.add_device("node", script=sender(frames, gap_s))
    return w, net


def tx_events(w, device):
    return [e for e in w.events("lora_tx") if e["device"] == device]


# --- uplinks ---------------------------------------------------------------------------------

def test_abp_uplinks_are_recorded_decrypted_with_their_radio_metadata():
    frames = [data_up(i, b"reading %d" % i, port=3) for i in range(3)]
    w, net = abp_world(frames)
    with w:
        assert w.run(until_s=30) == "idle"
        ups = net.uplinks()
        sent = tx_events(w, "node")
    assert [(u.fcnt, u.port, u.payload) for u in ups] == [(0, 3, b"reading 0"), (1, 3, b"reading 1"),
                                                         (2, 3, b"reading 2")]
    assert len(sent) == 3
    for u, tx in zip(ups, sent):
        assert isinstance(u, Uplink)
        assert u.dev_eui is None and u.dev_addr == DEV_ADDR
        assert not u.confirmed and u.dr == 5 and u.frequency_hz == 868_100_000
        assert u.gateways == ("gw",)
        assert u.t_s == pytest.approx((tx["t_us"] + tx["airtime_us"]) / 1e6)  # the frame's end
        assert -130 < u.rssi_dbm < 0 and isinstance(u.snr_db, float)
    with pytest.raises(AttributeError):
        ups[0].fcnt = 7  # frozen records


def test_uplink_records_filter_by_device():
    w, net = abp_world([data_up(0, b"a")])
    with w:
        w.run(until_s=10)
        assert len(net.uplinks(DEV_ADDR)) == 1
        assert len(net.uplinks("26011bda")) == 1
        assert net.uplinks(DEV_ADDR + 1) == []
        assert net.uplinks(DEV_EUI) == []


def test_two_gateways_give_one_uplink_heard_by_both_best_first():
    frames = [data_up(0, b"x")]
    w, net = abp_world(frames, gateways=(("far", (0.0, 40.0)), ("near", (0.0, 5.0))))
    with w:
        w.run(until_s=10)
        ups = net.uplinks()
        counters = net.counters()
    assert len(ups) == 1
    assert ups[0].gateways == ("near", "far")
    assert counters["received_frames"] == 2 and counters["duplicates"] == 1
    assert counters["unique_frames"] == 1 and counters["uplinks_accepted"] == 1


def test_no_gateway_in_range_records_nothing():
    w, net = abp_world([data_up(0, b"x")], gateways=(("moon", (0.0, 50_000.0)),))
    with w:
        w.run(until_s=10)
        assert net.uplinks() == []
        assert net.counters()["received_frames"] == 0


def test_replayed_frame_counter_is_rejected():
    frames = [data_up(0, b"a"), data_up(1, b"b"), data_up(1, b"b")]
    w, net = abp_world(frames)
    with w:
        w.run(until_s=30)
        assert [u.fcnt for u in net.uplinks()] == [0, 1]
        assert net.counters()["replays"] == 1


def test_wrong_key_fails_the_mic():
    frames = [data_up(0, b"a", nwk=bytes(16))]
    w, net = abp_world(frames)
    with w:
        w.run(until_s=10)
        assert net.uplinks() == []
        assert net.counters()["bad_mic"] == 1


def test_confirmed_uplink_is_acknowledged_in_rx1():
    w, net = abp_world([data_up(0, b"c", mtype=CONFIRMED_UP)])
    with w:
        w.run(until_s=10)
        (up,) = net.uplinks()
        (down,) = net.downlinks()
    assert up.confirmed
    assert down.ack and down.window == "rx1" and down.port is None
    assert down.t_s == pytest.approx(up.t_s + RX1_DELAY_S)


# --- default and strict modes ----------------------------------------------------------------

def test_default_mode_accepts_offered_keys_and_strict_mode_ignores_them():
    with world() as w:
        net = w.network("EU868")
        assert not net.strict
        assert net._core.offer_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY) is True
    with world(network={"strict": True}) as w:
        net = w.network("EU868")
        assert net.strict and w.network("US915").strict
        assert net._core.offer_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY) is False
        assert net._core.offer_otaa(DEV_EUI, APP_EUI, APP_KEY) is False


def test_strict_network_rejects_an_unregistered_device():
    w, net = abp_world([data_up(0, b"a")], register=False, network={"strict": True})
    with w:
        net._core.offer_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY)  # what a script's join() does: ignored
        w.run(until_s=10)
        assert net.uplinks() == []
        assert net.counters()["unknown_devices"] == 1


def test_strict_network_accepts_a_device_registered_through_its_keys():
    with world(network={"strict": True}) as w:
        w.add_gateway("gw", position_m=(0, 10))
        w.add_device("node", script=sender([data_up(0, b"ok")]),
                     keys={"dev_addr": DEV_ADDR.to_bytes(4, "big"), "nwk_s_key": NWK_S_KEY,
                           "app_s_key": APP_S_KEY})
        w.run(until_s=10)
        assert [u.payload for u in w.network().uplinks()] == [b"ok"]


def test_strict_network_with_a_wrong_registered_key_fails_the_mic():
    w, net = abp_world([data_up(0, b"a", app=bytes(16), nwk=bytes(16))], network={"strict": True})
    with w:
        w.run(until_s=10)
        assert net.uplinks() == []
        assert net.counters()["bad_mic"] == 1


# --- OTAA ------------------------------------------------------------------------------------

def test_join_request_is_answered_in_rx1_and_the_session_works():
    with world() as w:
        net = w.network("EU868")
        net.add_gateway("gw", position_m=(0, 10))
        net.register_otaa(DEV_EUI.hex(), APP_EUI, APP_KEY.hex())
        w.add_device("node", script=sender([join_request(0x1234)]))
        w.add_device("listener", script=LISTENER, position_m=(0, 20))
        w.run(until_s=30)
        (join,) = net.joins()
        (accept,) = net.downlinks()
        listener = w.devices["listener"]
        request_tx = tx_events(w, "node")[0]
        gateway_tx = tx_events(w, "gw")
        # The session's keys let a data uplink through, now attributed to the DevEUI.
        w.add_device("node2", script=sender([data_up(0, b"joined", dev_addr=join.dev_addr,
                                                     nwk=join.nwk_s_key, app=join.app_s_key)]))
        w.run(until_s=60)
        ups = net.uplinks()
        session = net.session(DEV_EUI)
    assert isinstance(join, Join)
    assert join.dev_eui == DEV_EUI.hex() and join.app_eui == APP_EUI.hex() and join.dev_nonce == 0x1234
    assert join.dev_addr >> 25 == 0x13  # NwkID of TTN's NetID 0x000013
    assert join.window == "rx1"
    end_s = (request_tx["t_us"] + request_tx["airtime_us"]) / 1e6
    assert join.t_s == pytest.approx(end_s)
    assert join.accept_t_s == pytest.approx(end_s + JOIN_ACCEPT_DELAY1_S)
    assert isinstance(accept, Downlink) and accept.join_accept and accept.gateway == "gw"
    assert accept.t_s == pytest.approx(join.accept_t_s)
    # On the air: the gateway transmits it with inverted IQ; the listener hears it intact.
    assert len(gateway_tx) == 1 and gateway_tx[0]["iq_inverted"]
    assert gateway_tx[0]["t_us"] / 1e6 == pytest.approx(accept.t_s)
    assert listener.output.splitlines() == [accept.phy.hex()]
    decoded = _core.lorawan_decode_join_accept(accept.phy, APP_KEY)
    assert decoded["dev_addr"] == join.dev_addr and decoded["app_nonce"] == join.app_nonce
    assert _core.lorawan_derive_session_keys(APP_KEY, join.app_nonce, join.net_id, 0x1234) == (
        join.nwk_s_key, join.app_s_key)
    assert [(u.dev_eui, u.dev_addr, u.payload) for u in ups] == [(DEV_EUI.hex(), join.dev_addr, b"joined")]
    assert session["dev_addr"] == join.dev_addr and session["fcnt_up"] == 0


def test_reused_dev_nonce_is_refused():
    with world() as w:
        net = w.network("EU868")
        net.add_gateway("gw", position_m=(0, 10))
        net.register_otaa(DEV_EUI, APP_EUI, APP_KEY)
        w.add_device("node", script=sender([join_request(7), join_request(7)], gap_s=10))
        w.run(until_s=40)
        assert len(net.joins()) == 1
        assert net.counters()["devnonce_reused"] == 1


def test_net_id_option_shapes_assigned_dev_addrs():
    with world(network={"net_id": 0x000042}) as w:
        net = w.network("EU868")
        assert net.net_id == 0x42
        net.add_gateway("gw", position_m=(0, 10))
        net.register_otaa(DEV_EUI, APP_EUI, APP_KEY)
        w.add_device("node", script=sender([join_request(1)]))
        w.run(until_s=20)
        (join,) = net.joins()
    assert join.net_id == 0x42 and join.dev_addr >> 25 == 0x42 & 0x7F


# --- downlinks -------------------------------------------------------------------------------

def test_queued_downlink_goes_in_rx1_of_the_next_uplink_and_reaches_a_listener():
    w, net = abp_world([data_up(0, b"up")])
    with w:
        dl = net.queue_downlink(DEV_ADDR, 5, b"\x01\x02", confirmed=False)
        assert net.downlink_state(dl) == "queued" and net.pending_downlinks(DEV_ADDR) == 1
        w.add_device("listener", script=LISTENER, position_m=(0, 20))
        w.run(until_s=30)
        (up,) = net.uplinks()
        (down,) = net.downlinks()
        listener = w.devices["listener"]
        gw_tx = tx_events(w, "gw")
        assert net.downlink_state(dl) == "sent" and net.pending_downlinks(DEV_ADDR) == 0
    assert (down.port, down.payload, down.queued_id, down.window, down.fcnt) == (5, b"\x01\x02", dl, "rx1", 0)
    assert down.t_s == pytest.approx(up.t_s + RX1_DELAY_S)
    assert down.frequency_hz == up.frequency_hz and down.dr == up.dr
    assert [e["t_us"] for e in gw_tx] == [round(down.t_s * 1e6)]
    assert listener.output.splitlines() == [down.phy.hex()]
    decoded = _core.lorawan_decode_data(down.phy, NWK_S_KEY, APP_S_KEY)
    assert decoded["mtype"] == 3 and decoded["fport"] == 5 and decoded["payload"] == b"\x01\x02"


def test_queue_downlink_arguments():
    with world() as w:
        net = w.network()
        net.register_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY)
        assert net.queue_downlink(DEV_ADDR, 1, "text") != net.queue_downlink("26:01:1b:da", 223, bytearray(3))
        assert net.queue_downlink(DEV_ADDR, 224, b"\x01\x01\x01\x01")  # the certification test port
        assert net.queue_downlink(DEV_EUI.hex(), 1, b"before join")  # by DevEUI: any time
        assert net.pending_downlinks(DEV_ADDR) == 3 and net.pending_downlinks(DEV_EUI) == 1
        for port in (0, 225, 300, -1):
            with pytest.raises(ValueError, match="FPort"):
                net.queue_downlink(DEV_ADDR, port, b"")
        with pytest.raises(ValueError, match="242"):
            net.queue_downlink(DEV_ADDR, 1, bytes(243))
        with pytest.raises(ValueError, match="DevAddr"):
            net.queue_downlink(0x01020304, 1, b"")  # no such ABP device
        with pytest.raises(ValueError):
            net.queue_downlink("0102", 1, b"")
        with pytest.raises(TypeError):
            net.queue_downlink(1.5, 1, b"")
        with pytest.raises(TypeError):
            net.queue_downlink(DEV_ADDR, True, b"")
        assert net.downlink_state(999) == "unknown"


def test_echo_sends_each_uplink_back():
    frames = [data_up(0, b"one", port=7), data_up(1, b"two", port=8)]
    w, net = abp_world(frames, network={"echo": True})
    with w:
        assert net.echo
        w.run(until_s=30)
        downs = net.downlinks()
    assert [(d.port, d.payload, d.window) for d in downs] == [(7, b"one", "rx1"), (8, b"two", "rx1")]


def test_echo_property_switches_it():
    w, net = abp_world([data_up(0, b"one"), data_up(1, b"two")], gap_s=10)
    with w:
        assert not net.echo
        w.run(until_s=5)
        net.echo = True
        w.run(until_s=30)
        with pytest.raises(TypeError):
            net.echo = 1
        assert [d.payload for d in net.downlinks()] == [b"two"]


def test_on_uplink_callback_sees_records_and_its_downlink_lands_in_that_rx1():
    w, net = abp_world([data_up(0, b"ping"), data_up(1, b"ping")])
    seen = []

    @net.on_uplink
    def answer(uplink):
        seen.append(uplink)
        net.queue_downlink(uplink.dev_addr, uplink.port, b"pong %d" % uplink.fcnt)

    with w:
        w.run(until_s=30)
        ups = net.uplinks()
        downs = net.downlinks()
    assert seen == ups and all(isinstance(u, Uplink) for u in seen)
    assert [(d.payload, d.window) for d in downs] == [(b"pong 0", "rx1"), (b"pong 1", "rx1")]
    for up, down in zip(ups, downs):
        assert down.t_s == pytest.approx(up.t_s + RX1_DELAY_S)


def test_callback_exception_is_raised_by_run_and_the_run_goes_on():
    w, net = abp_world([data_up(0, b"a"), data_up(1, b"b"), data_up(2, b"c")])
    calls = []

    def broken(uplink):
        calls.append(uplink.fcnt)
        raise RuntimeError(f"callback failed on {uplink.fcnt}")

    net.on_uplink(broken)
    with w:
        with pytest.raises(RuntimeError, match="callback failed on 0") as info:
            w.run(until_s=30)
        assert any(tb.tb_frame.f_code.co_name == "broken" for tb in _walk(info.value.__traceback__))
        assert calls == [0, 1, 2]  # every uplink still called it
        assert len(net.uplinks()) == 3
        net.on_uplink(None)
        assert w.run(until_s=40) == "idle"  # nothing kept any more


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def test_on_uplink_rejects_non_callables():
    with world() as w:
        with pytest.raises(TypeError):
            w.network().on_uplink(42)
        with pytest.raises(TypeError):
            w.network()._core.set_uplink_callback(42)


def test_class_c_downlink_goes_out_at_once_in_rx2_settings():
    w, net = abp_world([data_up(0, b"hello")])
    with w:
        w.run(until_s=10)
        net.set_class_c(DEV_ADDR)
        net.queue_downlink(DEV_ADDR, 4, b"now")
        w.run(until_s=12)
        (down,) = net.downlinks()
    assert down.window == "class_c" and down.payload == b"now"
    assert down.frequency_hz == 869_525_000 and down.dr == 0  # EU868 RX2


def test_mac_command_request_rides_the_next_downlink():
    w, net = abp_world([data_up(0, b"a"), data_up(1, b"b")])
    with w:
        w.run(until_s=1)
        net.dev_status_req(DEV_ADDR)
        w.run(until_s=30)
        downs = net.downlinks()
        assert net.device_status(DEV_ADDR) is None  # a raw script never answers
    assert downs and (0x06, b"") in downs[0].mac_commands


# --- gateways, regions, options, lifecycle ---------------------------------------------------

def test_device_join_hook_adds_the_default_gateway_only_when_none_exists():
    with world() as w:
        core = w._lorawan_network(5)
        assert isinstance(core, _core.LoRaWANNetwork)
        assert core is w.network("EU868")._core is w._lorawan_network(5)
        assert w.network("EU868").gateways == ("gateway",)
        w.add_gateway("roof", position_m=(10, 0), region="US915")
        w._lorawan_network(8)
        assert w.network("US915").gateways == ("roof",)
        assert set(w.networks) == {"EU868", "US915"}


def test_gateway_arguments():
    with world() as w:
        net = w.network("AS923")
        net.add_gateway("a", (1, 2, 30))
        with pytest.raises(ValueError, match="already"):
            net.add_gateway("a", (0, 0))
        with pytest.raises(ValueError):
            net.add_gateway("", (0, 0))
        with pytest.raises(ValueError):
            net.add_gateway("b", (0,))
        assert net.gateways == ("a",) and net.region == "AS923" and net.region_code == 0


def test_regions_and_world_network_options():
    with world() as w:
        for name, code in (("AS923", 0), ("AU915", 1), ("CN470", 2), ("EU433", 4), ("EU868", 5),
                           ("IN865", 7), ("US915", 8)):
            assert w.network(name) is w.network(code) is w.network(name.lower())
            assert w.network(code)._core.region == code
        assert isinstance(w.network(), Network) and w.network().region == "EU868"
        for bad in ("EU999", 3, 6, None):
            with pytest.raises(ValueError):
                w.network(bad)
    with pytest.raises(ValueError, match="unknown network setting"):
        World(network={"stric": True})
    with pytest.raises(TypeError):
        World(network={"strict": 1})
    with pytest.raises(TypeError, match="adr"):
        World(network={"adr": "yes"})
    with pytest.raises(TypeError, match="downlink_loss"):
        World(network={"downlink_loss": True})
    for bad_loss in (-0.1, 1.01, float("nan")):
        with pytest.raises(ValueError, match="downlink_loss"):
            World(network={"downlink_loss": bad_loss})
    with pytest.raises(ValueError):
        World(network={"net_id": 2**24})
    with pytest.raises(TypeError):
        World(network=[("strict", True)])
    with world(network={"dedup_window_us": 0, "prefer_rx2": True, "downlink_tx_power_dbm": 20}) as w:
        w.network()


def test_prefer_rx2_option_moves_downlinks_to_rx2():
    w, net = abp_world([data_up(0, b"c", mtype=CONFIRMED_UP)], network={"prefer_rx2": True})
    with w:
        w.run(until_s=10)
        (up,) = net.uplinks()
        (down,) = net.downlinks()
    assert down.window == "rx2" and down.frequency_hz == 869_525_000
    assert down.t_s == pytest.approx(up.t_s + 2.0)


def test_core_network_argument_checks():
    with world() as w:
        medium = w._lora_medium
        with pytest.raises(ValueError, match="region"):
            _core.LoRaWANNetwork(medium, 3, {})
        with pytest.raises(ValueError, match="unknown network option"):
            _core.LoRaWANNetwork(medium, 5, {"bogus": 1})
        with pytest.raises(ValueError):
            _core.LoRaWANNetwork(medium, 5, {"dedup_window_us": 1_000_000})
        core = _core.LoRaWANNetwork(medium, 5, {})
        with pytest.raises(TypeError, match="str"):
            core.offer_otaa(DEV_EUI.hex(), APP_EUI, APP_KEY)
        with pytest.raises(ValueError, match="8 bytes"):
            core.offer_otaa(DEV_EUI[:7], APP_EUI, APP_KEY)
        with pytest.raises(ValueError, match="16 bytes"):
            core.register_otaa(DEV_EUI, APP_EUI, APP_KEY[:15])
        with pytest.raises(ValueError):
            core.register_abp(2**32, NWK_S_KEY, APP_S_KEY)
        with pytest.raises(TypeError):
            core.register_abp(True, NWK_S_KEY, APP_S_KEY)
        with pytest.raises(ValueError):
            core.add_gateway("g", [1.0])
        del core


def test_identity_conversions_in_the_python_api():
    with world() as w:
        net = w.network()
        net.register_otaa("70:B3:D5:49:9A:0B:0C:0D", "70-b3-d5-7e-d0-00-00-01", APP_KEY)
        net.register_abp("26011BDA", NWK_S_KEY.hex(), APP_S_KEY)
        for bad in ("70b3", b"\x01" * 9, "zz" * 8):
            with pytest.raises(ValueError):
                net.register_otaa(bad, APP_EUI, APP_KEY)
        with pytest.raises(TypeError):
            net.register_otaa(12, APP_EUI, APP_KEY)
        with pytest.raises(ValueError):
            net.register_abp(-1, NWK_S_KEY, APP_S_KEY)


def test_device_objects_name_their_dev_eui_or_dev_addr():
    with world() as w:
        net = w.network()
        net.register_abp(DEV_ADDR, NWK_S_KEY, APP_S_KEY)
        plain = w.add_device("plain", script="pass")
        abp = w.add_device("abp", script="pass", keys={"dev_addr": DEV_ADDR.to_bytes(4, "big"),
                                                        "nwk_s_key": NWK_S_KEY, "app_s_key": APP_S_KEY})
        otaa = w.add_device("otaa", script="pass", keys={"dev_eui": DEV_EUI})
        net.queue_downlink(plain, 1, b"a")
        net.queue_downlink(abp, 1, b"b")
        net.queue_downlink(otaa, 1, b"c")
        assert net.pending_downlinks(plain.config.lpwan_mac) == 1
        assert net.pending_downlinks(DEV_ADDR) == 1
        assert net.pending_downlinks(DEV_EUI) == 1


def test_close_drops_the_networks_and_refuses_new_ones():
    w = world()
    net = w.network()
    net.on_uplink(lambda u: w)  # a cycle through the callback
    w.close()
    assert w.networks == {}
    with pytest.raises(RuntimeError, match="closed"):
        w.network()
    with pytest.raises(RuntimeError, match="closed"):
        w._lorawan_network(5)
    w.close()


def test_runs_are_deterministic():
    def once():
        w, net = abp_world([data_up(i, bytes([i])) for i in range(3)], network={"echo": True})
        with w:
            w.run(until_s=30)
            return net.uplinks(), net.downlinks()

    assert once() == once()


def test_keyboard_interrupt_in_the_callback_is_kept_like_any_exception():
    w, net = abp_world([data_up(i, b"x") for i in range(3)])

    def interrupt(uplink):
        raise KeyboardInterrupt

    net.on_uplink(interrupt)
    with w:
        with pytest.raises(KeyboardInterrupt):
            w.run(until_s=60)
        assert len(net.uplinks()) == 3
        assert net._core.take_callback_error() is None
