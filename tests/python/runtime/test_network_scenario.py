# test_network_scenario.py: the LoRaWAN network in scenario files and on the command line:
# [network], [[gateway]], [[downlink]], device keys registered for strict mode, the summary.
"""Raw-mode device scripts send genuine LoRaWAN ABP frames (built with the C++ codec,
``_core.lorawan_encode_data``); the scenario's network must hear them through its
gateways, accept or refuse them by its [network] settings and the devices' keys, send
the scenario's downlinks, and the command must print its summary after the devices'
output.
"""

import textwrap

import pytest

from usocket_emu import World, _core, cli
from usocket_emu._scenario import DownlinkSpec, GatewaySpec, ScenarioError, load_scenario, parse_scenario

from runtime_support import NTP_EPOCH_S

NWK_S_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
APP_S_KEY = "000102030405060708090a0b0c0d0e0f"
DEV_ADDR = 0x26011BDA


def frames(n, dev_addr=DEV_ADDR, nwk=NWK_S_KEY, port=1):
    return [_core.lorawan_encode_data(2, dev_addr, i, port, b"t=%d" % i, bytes.fromhex(nwk),
                                      bytes.fromhex(APP_S_KEY)) for i in range(n)]


def sender(frame_list, start_s=0):
    return textwrap.dedent(f"""
        import socket
        import time
        from network import LoRa

        time.sleep({start_s})
        lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, frequency=868100000, sf=7)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        for frame in {frame_list!r}:
            s.send(frame)
            time.sleep(5)
        print('sent', len({frame_list!r}))
    """)


LISTENER = textwrap.dedent("""
    import socket
    import ubinascii
    from network import LoRa

    lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, frequency=868100000, sf=7, rx_iq=True)
    s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
    s.settimeout(20)
    try:
        while True:
            print(ubinascii.hexlify(s.recv(256)).decode())
    except TimeoutError:
        pass
""")

ABP_KEYS = f"""
[device.keys]
dev_addr = "{DEV_ADDR:08X}"
nwk_s_key = "{NWK_S_KEY}"
app_s_key = "{APP_S_KEY}"
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_cli(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def scenario(tmp_path, body, *, node_frames=3, keys=ABP_KEYS):
    write(tmp_path, "node.py", sender(frames(node_frames)))
    return write(tmp_path, "farm.toml", f"""
[world]
time = "virtual"
ntp_epoch_s = {NTP_EPOCH_S}

[[device]]
name = "node"
target = "node.py"
{keys}
""" + textwrap.dedent(body))


# --- parsing -------------------------------------------------------------------------------

def test_network_gateway_and_downlink_tables_are_parsed(tmp_path):
    path = scenario(tmp_path, """
        [network]
        strict = true
        echo = false
        net_id = 0x42
        adr = false
        downlink_loss = 0.25

        [[gateway]]
        name = "roof"
        position_m = [0, 50]

        [[gateway]]
        name = "roof"
        region = "us915"

        [[downlink]]
        device = "node"
        port = 2
        payload = "on"

        [[downlink]]
        dev_eui = "70:B3:D5:49:9A:0B:0C:0D"
        region = "AS923"
        port = 223
        payload_hex = "01 02 ff"
        confirmed = true
    """)
    s = load_scenario(path)
    assert s.network == {"strict": True, "echo": False, "adr": False, "net_id": 0x42, "downlink_loss": 0.25}
    assert s.gateways == (GatewaySpec("roof", (0.0, 50.0), "EU868"), GatewaySpec("roof", (0.0, 0.0), "US915"))
    assert s.downlinks == (
        DownlinkSpec(port=2, payload=b"on", device="node", region="EU868"),
        DownlinkSpec(port=223, payload=b"\x01\x02\xff", confirmed=True,
                     dev_eui=bytes.fromhex("70b3d5499a0b0c0d"), region="AS923"),
    )
    # --region is the gateways' default too
    assert load_scenario(path, region="IN865").gateways[0].region == "IN865"


def test_a_scenario_without_network_tables_has_none():
    plain = parse_scenario({"device": [{"name": "a", "script": "x = 1"}]}, "/tmp/x.toml")
    assert (plain.network, plain.gateways, plain.downlinks) == ({}, (), ())


@pytest.mark.parametrize(("toml", "complaint"), [
    ("[network]\nstrict = 1\n", "[network] strict: expected true or false"),
    ("[network]\nnet_id = 16777216\n", "[network] net_id: must be between 0 and 16777215"),
    ("[network]\nnetid = 1\n", "[network] netid: unknown key"),
    ("[network]\ndownlink_loss = 1.5\n", "[network] downlink_loss: must be at most 1"),
    ("[network]\ndownlink_loss = 'some'\n", "[network] downlink_loss: expected a number"),
    ("[[gateway]]\nposition_m = [0, 0]\n", "[[gateway]] #1 name: is required"),
    ("[[gateway]]\nname = 'g'\nregion = 'EU999'\n", "[[gateway]] #1 ('g') region: unknown LoRa region"),
    ("[[gateway]]\nname = 'g'\nposition_m = 'here'\n", "('g') position_m: expected a pair"),
    ("[[gateway]]\nname = 'g'\n[[gateway]]\nname = 'g'\n", "[[gateway]] #2 ('g') name: gateway 'g' is defined twice"),
    ("[[gateway]]\nname = 'g'\nheight = 3\n", "[[gateway]] #1 ('g') height: unknown key"),
    ("[gateway]\nname = 'g'\n", "gateway: must be an array of tables"),
    ("[[downlink]]\nport = 1\npayload = 'x'\n", "[[downlink]] #1: needs exactly one of 'device'"),
    ("[[downlink]]\ndevice = 'node'\ndev_addr = '00000001'\nport = 1\npayload = 'x'\n", "needs exactly one of 'device'"),
    ("[[downlink]]\ndevice = 'ghost'\nport = 1\npayload = 'x'\n", "device: no [[device]] named 'ghost'"),
    ("[[downlink]]\ndevice = 'node'\nport = 0\npayload = 'x'\n", "port: must be between 1 and 223"),
    ("[[downlink]]\ndevice = 'node'\npayload = 'x'\n", "port: is required"),
    ("[[downlink]]\ndevice = 'node'\nport = 1\n", "needs exactly one of 'payload' (text) or 'payload_hex'"),
    ("[[downlink]]\ndevice = 'node'\nport = 1\npayload_hex = 'xyz'\n", "payload_hex: expected hex digits"),
    ("[[downlink]]\ndevice = 'node'\nport = 1\npayload = '" + "x" * 243 + "'\n", "payload: a downlink carries at most 242"),
    ("[[downlink]]\ndevice = 'node'\nregion = 'US915'\nport = 1\npayload = 'x'\n", "region: applies to 'dev_eui'"),
    ("[[downlink]]\ndev_eui = '0102'\nport = 1\npayload = 'x'\n", "dev_eui: expected 8 bytes"),
    ("[[downlink]]\ndevice = 'node'\nport = 1\npayload = 'x'\nconfirmed = 'no'\n", "confirmed: expected true or false"),
    ("[[device]]\nname = 'wifi'\nscript = 'x'\nboard = 'WiPy'\n[[downlink]]\ndevice = 'wifi'\nport = 1\npayload = 'x'\n",
     "device 'wifi' is a WiPy, which has no LoRa radio"),
])
def test_bad_network_tables_get_one_line_naming_file_and_key(tmp_path, capsys, toml, complaint):
    path = scenario(tmp_path, toml)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert complaint in str(info.value) and str(path) in str(info.value)
    status, out, err = run_cli(capsys, "run", path)
    assert status == cli.EXIT_USAGE and out == ""
    assert err.startswith("usocket-emu: error: ") and err.count("\n") == 1 and complaint in err


# --- running -------------------------------------------------------------------------------

def test_strict_scenario_accepts_the_device_with_keys_and_prints_a_summary(tmp_path, capsys):
    path = scenario(tmp_path, """
        [network]
        strict = true

        [[gateway]]
        name = "roof"
        position_m = [0, 10]
    """)
    status, out, err = run_cli(capsys, "run", path)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "sent 3",
        "network EU868: 0 joins, 3 uplinks from 1 device, 0 downlinks",
        "  node: 3 uplinks, last fcnt 2 port 1: b't=2'",
    ]


def test_strict_scenario_refuses_a_device_without_keys(tmp_path, capsys):
    path = scenario(tmp_path, """
        [network]
        strict = true

        [[gateway]]
        name = "roof"
        position_m = [0, 10]
    """, keys="")
    status, out, _ = run_cli(capsys, "run", path)
    assert status == 0
    assert out.splitlines() == ["sent 3", "network EU868: 0 joins, 0 uplinks from 0 devices, 0 downlinks"]


def test_scenario_downlink_and_echo_go_on_the_air(tmp_path, capsys):
    write(tmp_path, "listener.py", LISTENER)
    path = scenario(tmp_path, """
        [network]
        echo = true

        [[gateway]]
        name = "roof"
        position_m = [0, 10]

        [[device]]
        name = "listener"
        target = "listener.py"
        position_m = [0, 20]

        [[downlink]]
        device = "node"
        port = 9
        payload = "hello"
    """, node_frames=2)
    s = load_scenario(path)
    assert s.network == {"echo": True}
    with World(time="virtual", ntp_epoch_s=NTP_EPOCH_S, network=s.network) as w:
        for spec in s.devices:
            spec.add_to(w)
        for g in s.gateways:
            g.add_to(w)
        for d in s.downlinks:
            d.queue_in(w)
        w.run()
        downs = w.network().downlinks()
        heard = w.devices["listener"].output.splitlines()
    # the queued downlink in the first uplink's RX1, the echo of that uplink in the second's
    assert [(d.port, d.payload, d.window) for d in downs] == [(9, b"hello", "rx1"), (1, b"t=0", "rx1")]
    assert heard == [d.phy.hex() for d in downs]

    status, out, _ = run_cli(capsys, "run", path)
    assert status == 0
    lines = out.splitlines()
    assert sorted(lines[:3]) == sorted(["node     | sent 2"] + [f"listener | {h}" for h in heard])
    assert lines[3:] == [
        "network EU868: 0 joins, 2 uplinks from 1 device, 2 downlinks",
        "  node: 2 uplinks, last fcnt 1 port 1: b't=1'",
    ]


def test_default_network_without_gateway_hears_nothing_and_prints_nothing(tmp_path, capsys):
    path = scenario(tmp_path, "")  # keys make a network, but it has no gateway
    status, out, _ = run_cli(capsys, "run", path)
    assert status == 0 and out == "sent 3\n"


def test_two_scenarios_may_not_contradict_each_others_network(tmp_path, capsys):
    write(tmp_path, "a.toml", "[network]\nstrict = true\n[[device]]\nname = 'a'\nscript = 'x = 1'\n")
    write(tmp_path, "b.toml", "[network]\nstrict = false\n[[device]]\nname = 'b'\nscript = 'x = 1'\n")
    status, out, err = run_cli(capsys, "run", tmp_path / "a.toml", tmp_path / "b.toml")
    assert status == cli.EXIT_USAGE and out == ""
    assert "[network] strict: False contradicts True" in err and err.count("\n") == 1


def test_two_scenarios_may_not_place_one_gateway_twice(tmp_path, capsys):
    write(tmp_path, "a.toml", "[[gateway]]\nname = 'g'\n[[device]]\nname = 'a'\nscript = 'x = 1'\n")
    write(tmp_path, "b.toml", "[[gateway]]\nname = 'g'\n[[device]]\nname = 'b'\nscript = 'x = 1'\n")
    status, out, err = run_cli(capsys, "run", tmp_path / "a.toml", tmp_path / "b.toml")
    assert status == cli.EXIT_USAGE and out == ""
    assert "[[gateway]] 'g': a gateway of that name is already in region EU868" in err


def test_a_downlink_for_an_unknown_dev_addr_is_a_usage_error(tmp_path, capsys):
    path = scenario(tmp_path, "[[downlink]]\ndev_addr = '01020304'\nport = 1\npayload = 'x'\n")
    status, out, err = run_cli(capsys, "run", path)
    assert status == cli.EXIT_USAGE and out == ""
    assert err.startswith("usocket-emu: error: downlink: ") and "DevAddr" in err and err.count("\n") == 1


def test_summary_is_deterministic_and_names_unknown_devices_by_address(tmp_path, capsys):
    other = 0x26000001
    write(tmp_path, "stranger.py", sender(frames(1, dev_addr=other), start_s=2))
    path = scenario(tmp_path, """
        [[gateway]]
        name = "roof"
        position_m = [0, 10]
    """, node_frames=2)
    with World(time="virtual", ntp_epoch_s=NTP_EPOCH_S) as w:
        for spec in load_scenario(path).devices:
            spec.add_to(w)
        w.add_gateway("roof", position_m=(0, 10))
        w.network().register_abp(other, bytes.fromhex(NWK_S_KEY), bytes.fromhex(APP_S_KEY))
        w.add_device("stranger", tmp_path / "stranger.py", position_m=(5, 0))
        w.run()
        lines = cli.network_summary(w)
    assert lines == [
        "network EU868: 0 joins, 3 uplinks from 2 devices, 0 downlinks",
        "  26000001: 1 uplink, last fcnt 0 port 1: b't=0'",
        "  node: 2 uplinks, last fcnt 1 port 1: b't=1'",
    ]
