# test_examples.py: every example in examples/python runs and prints what its README promises.
"""Smoke runs of the examples, with their output checked line by line where it is
deterministic (virtual time, pinned seed and NTP)."""

import json
import pathlib
import re
import subprocess
import sys

from usocket_emu import World, cli
from usocket_emu._scenario import load_scenario

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python"
#: A bound on the demo's run (real time, loopback servers): a hang fails instead of blocking.
DEMO_LIMIT_S = 60.0


def test_the_tcp_udp_demo_talks_to_its_servers():
    done = subprocess.run([sys.executable, str(EXAMPLES / "tcp_udp_demo.py")], capture_output=True,
                          text=True, timeout=DEMO_LIMIT_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "TCP echo: b'hello from the device\\n'" in out
    assert "non-blocking recv with nothing there: b''" in out
    assert "send after close: [Errno 9] EBADF" in out
    assert out.rstrip().endswith("--- done")


def test_deepsleep_counter_boots_every_minute_and_keeps_its_count(capsys):
    status = cli.main(["run", "--time", "virtual", "--until", "200", str(EXAMPLES / "deepsleep_counter")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    # 60 s of deep sleep plus 0.5 s of reboot per cycle; the RTC keeps counting through sleep
    assert out.splitlines() == [
        "boot 1 power on rtc 0",
        "boot 2 woke from deep sleep rtc 60",
        "boot 3 woke from deep sleep rtc 121",
        "boot 4 woke from deep sleep rtc 181",
    ]


def test_the_farm_scenario_runs_three_boards_in_one_world(capsys):
    status = cli.main(["run", str(EXAMPLES / "farm" / "farm.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("counter")] == [
        "counter | boot 1 power on rtc 0",
        "counter | boot 2 woke from deep sleep rtc 60",
        "counter | boot 3 woke from deep sleep rtc 121",
        "counter | boot 4 woke from deep sleep rtc 181",
    ]
    assert [line for line in lines if line.startswith("ticker")] == [
        "ticker  | SiPy starts a 10 s alarm",
        "ticker  | alarm fired at [10000, 20000, 30000, 40000, 50000] ms",
    ]
    assert [line for line in lines if line.startswith("workers")] == [
        "workers | (3, 'fast', 0)", "workers | (5, 'slow', 0)", "workers | (6, 'fast', 1)",
        "workers | (9, 'fast', 2)", "workers | (10, 'slow', 1)", "workers | (12, 'fast', 3)",
    ]


def test_the_readme_pytest_example(emu_world):
    node = emu_world.add_device("node", str(EXAMPLES / "deepsleep_counter"))
    emu_world.run(until_s=3600)
    assert "boot 60 woke from deep sleep rtc 3569" in node.output.splitlines()
    assert node.state.nvs["boots"] == 60


# --- raw LoRa ----------------------------------------------------------------------------

PINGPONG = [str(EXAMPLES / "lora_pingpong" / name) for name in ("ping.py", "pong.py")]


def test_lora_pingpong_in_virtual_time(tmp_path, capsys):
    log = tmp_path / "pingpong.jsonl"
    status = cli.main(["run", "--time", "virtual", "--log", str(log), *PINGPONG])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    # Side by side (1 m apart, the model's minimum): -80 dBm. A round trip is 2 x (1 ms of
    # listen-before-talk + 36.096 ms on the air for 6 bytes at SF7).
    assert out.splitlines() == [
        line for n in range(1, 6) for line in (
            f"pong | got Ping {n} rssi -80 dBm",
            f"ping | Ping {n} -> Pong {n} rssi -80 dBm after 74 ms")
    ] + ["ping | 5 of 5 pings answered"]
    events = [json.loads(line) for line in log.read_text().splitlines()]
    on_air = [(e["device"], bytes.fromhex(e["payload"]), e["sf"], e["airtime_us"])
              for e in events if e["event"] == "lora_tx"]
    assert on_air == [
        frame for n in range(1, 6) for frame in (
            ("ping", b"Ping %d" % n, 7, 36096), ("pong", b"Pong %d" % n, 7, 36096))
    ]
    received = [(e["device"], e["from"], e["frame"]) for e in events if e["event"] == "lora_rx"]
    assert received == [("pong" if i % 2 else "ping", "ping" if i % 2 else "pong", i) for i in range(1, 11)]
    assert not [e for e in events if e["event"] == "lora_lost"]
    # Each answer goes on the air 1 ms (listen-before-talk) after the ping has arrived.
    tx_at = {e["frame"]: e["t_us"] for e in events if e["event"] == "lora_tx"}
    rx_at = {e["frame"]: e["t_us"] for e in events if e["event"] == "lora_rx"}
    assert all(tx_at[f + 1] - rx_at[f] == 1000 for f in range(1, 10, 2))


def test_lora_pingpong_in_real_time(capsys):
    status = cli.main(["run", "--time", "real", "--until", "2", *PINGPONG])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    # Real time: the round trips vary by a millisecond or so, and pong's and ping's lines
    # of one round may come in either order.
    pings = [line for line in lines if line.startswith("ping")]
    assert [re.sub(r"after \d+ ms$", "after N ms", line) for line in pings] == [
        f"ping | Ping {n} -> Pong {n} rssi -80 dBm after N ms" for n in range(1, 6)
    ] + ["ping | 5 of 5 pings answered"]
    assert all(70 <= int(re.search(r"after (\d+) ms", line).group(1)) < 1000 for line in pings[:-1])
    assert [line for line in lines if line.startswith("pong")] == [
        f"pong | got Ping {n} rssi -80 dBm" for n in range(1, 6)]


def test_the_lora_gateway_hears_the_nodes_and_the_nodes_never_hear_each_other():
    scenario = load_scenario(EXAMPLES / "lora_gateway" / "lora_gateway.toml")
    spec = scenario.world
    with World(time=spec.time, seed=spec.seed, ntp_epoch_s=spec.ntp_epoch_s, radio=scenario.radio) as world:
        for device in scenario.devices:
            device.add_to(world)
        assert world.run() == "idle"
        out = {name: device.output.splitlines() for name, device in world.devices.items()}
        events = world.events()
        assert world.radio_model["capture"] is True
        counters = world.radio_counters()
    assert out["gateway"] == ["gateway listening on 868000000 Hz, SF 7"] + [
        line for n, (near, mid) in enumerate([("20.3", "21.3"), ("21.6", "22.6"), ("22.9", "18.9")], start=1)
        for line in (f"frame {2 * n - 1} from node 0001 #{n} t={near}C rssi -117 dBm snr 0.0",
                     f"frame {2 * n} from node 0002 #{n} t={mid}C rssi -125 dBm snr -8.0")
    ]
    assert out["node-near"] == [
        "0001 reading 1 t=20.3C -> ack 0001 1 rssi -117 dBm",
        "0001 reading 2 t=21.6C -> ack 0001 2 rssi -117 dBm",
        "0001 reading 3 t=22.9C -> ack 0001 3 rssi -117 dBm",
        "0001 done: 3 of 3 answered; heard 5 gateway answers and 0 node readings",
    ]
    assert out["node-mid"] == [
        "0002 reading 1 t=21.3C -> ack 0002 1 rssi -125 dBm",
        "0002 reading 2 t=22.6C -> ack 0002 2 rssi -125 dBm",
        "0002 reading 3 t=18.9C -> ack 0002 3 rssi -125 dBm",
        "0002 done: 3 of 3 answered; heard 6 gateway answers and 0 node readings",
    ]
    assert out["node-far"] == [
        "0003 reading 1 t=22.3C -> no answer",
        "0003 reading 2 t=18.6C -> no answer",
        "0003 reading 3 t=19.9C -> no answer",
        "0003 done: 0 of 3 answered; heard 0 gateway answers and 0 node readings",
    ]

    nodes = {"node-near", "node-mid", "node-far"}
    sent = {e["frame"]: e for e in events if e["event"] == "lora_tx"}
    # Nodes send with inverted IQ, the gateway with normal IQ: 9 readings, 6 answers.
    assert sorted((e["device"] in nodes, e["iq_inverted"]) for e in sent.values()) == (
        [(False, False)] * 6 + [(True, True)] * 9)
    assert [bytes.fromhex(e["payload"]) for e in sent.values() if e["device"] == "gateway"] == [
        b"ack 0001 1", b"ack 0002 1", b"ack 0001 2", b"ack 0002 2", b"ack 0001 3", b"ack 0002 3"]
    heard = {(e["from"], e["device"]) for e in events if e["event"] == "lora_rx"}
    assert heard == {("node-near", "gateway"), ("node-mid", "gateway"),
                     ("gateway", "node-near"), ("gateway", "node-mid")}
    lost = {(e["from"], e["device"], e["reason"]) for e in events if e["event"] == "lora_lost"}
    assert lost == {
        # 162 m apart: in range of each other, but of the wrong IQ polarity
        ("node-near", "node-mid", "wrong_iq"), ("node-mid", "node-near", "wrong_iq"),
        # 3 km away: below the SF7 sensitivity (-126.5 dBm), both ways
        ("node-far", "gateway", "below_sensitivity"), ("gateway", "node-far", "below_sensitivity"),
        ("node-far", "node-near", "below_sensitivity"), ("node-far", "node-mid", "below_sensitivity"),
        ("node-near", "node-far", "below_sensitivity"), ("node-mid", "node-far", "below_sensitivity"),
    }
    assert counters["collisions"] == 0 and counters["transmissions"] == 15



def test_the_main_demo_joins_sends_and_obeys_a_downlink(tmp_path, capsys):
    pcap = tmp_path / "air.pcap"
    status = cli.main(["run", "--pcap", str(pcap), str(EXAMPLES / "lorawan_otaa" / "lorawan_otaa.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "DevEUI 70b3d54990112233"
    assert "joined" in lines
    # The queued downlink arrives in the first uplink's window and changes the interval.
    first = lines.index("joined") + 1
    assert lines[first:first + 3] == ["downlink on port 10 1e", "new interval 30 s",
                                      "reading 0 sent: 21.25 C, RSSI -124"]
    assert sum(1 for line in lines if line.startswith("reading ")) == 8
    assert lines[-2:] == ["network EU868: 1 join, 8 uplinks from 1 device, 1 downlink",
                          "  sensor: 8 uplinks, last fcnt 7 port 2: b'\\x07\\x08\\xfc'"]
    # Every frame went on the air: a JoinRequest, the JoinAccept, 8 uplinks, 1 downlink.
    assert pcap.stat().st_size > 24


# --- more LoRaWAN examples ----------------------------------------------------------------

def _scenario_world(folder, **world_kwargs):
    """The World of examples/python/<folder>/<folder>.toml, as `usocket-emu run` builds it
    (devices, gateways, downlinks), open for the test to run and inspect."""
    scenario = load_scenario(EXAMPLES / folder / f"{folder}.toml")
    spec = scenario.world
    world = World(time=spec.time, seed=spec.seed, ntp_epoch_s=spec.ntp_epoch_s, radio=scenario.radio,
                  network=scenario.network, **world_kwargs)
    for device in scenario.devices:
        device.add_to(world)
    for gateway in scenario.gateways:
        gateway.add_to(world)
    for downlink in scenario.downlinks:
        downlink.queue_in(world)
    return world, spec


def test_lorawan_abp_sends_on_its_bound_port_without_a_join():
    world, spec = _scenario_world("lorawan_abp")
    with world:
        assert world.run(spec.until_s) == "idle"
        out = world.devices["abp-node"].output.splitlines()
        network = world.network("EU868")
        uplinks = network.uplinks()
        joins, counters = network.joins(), network.counters()
        summary = cli.network_summary(world)
    # Each blocking send lasts the class A cycle: 46 ms on air, RX1 at +1 s, RX2 at +2 s.
    assert out == [
        "joined: True DevAddr 0x26011b2c",
        "uplink 0 000190 fcnt 0 on 868500000 Hz, 52 ms on air",
        "uplink 1 0101a9 fcnt 1 on 868300000 Hz, 52 ms on air",
        "uplink 2 0201c2 fcnt 2 on 868300000 Hz, 52 ms on air",
        "done at 96 s",
    ]
    # A strict network: only the ABP keys of [device.keys] get in; no join exchange at all.
    assert joins == [] and counters["bad_mic"] == 0
    assert [(u.dev_eui, u.dev_addr, u.fcnt, u.port, u.payload, u.confirmed, u.dr, u.frequency_hz, u.gateways)
            for u in uplinks] == [
        (None, 0x26011B2C, 0, 3, b"\x00\x01\x90", False, 5, 868500000, ("mast",)),
        (None, 0x26011B2C, 1, 3, b"\x01\x01\xa9", False, 5, 868300000, ("mast",)),
        (None, 0x26011B2C, 2, 3, b"\x02\x01\xc2", False, 5, 868300000, ("mast",)),
    ]
    assert summary == ["network EU868: 0 joins, 3 uplinks from 1 device, 0 downlinks",
                       "  abp-node: 3 uplinks, last fcnt 2 port 3: b'\\x02\\x01\\xc2'"]


def test_lorawan_confirmed_uplinks_are_acked_near_and_fail_far_away():
    world, spec = _scenario_world("lorawan_confirmed")
    with world:
        assert world.run(spec.until_s) == "idle"
        out = {name: device.output.splitlines() for name, device in world.devices.items()}
        network = world.network("EU868")
        uplinks, downlinks = network.uplinks(), network.downlinks()
        events = world.events()
        summary = cli.network_summary(world)
    # The ACK comes in RX1, 1 s after the 46 ms frame (1087 ms, 1088 ms: the MAC's timing).
    assert out["near"] == [
        "callback: TX_PACKET_EVENT (acknowledged)",
        "uplink 0 acknowledged after 1 transmissions, 1087 ms",
        "callback: TX_PACKET_EVENT (acknowledged)",
        "uplink 1 acknowledged after 1 transmissions, 1088 ms",
    ]
    # 3 km away: nothing reaches the gateway. tx_retries=2: 3 transmissions, each with its
    # RX1 and RX2 and an ACK timeout of 2 s +- 1 s (random, from the seed) between them.
    assert out["far"] == [
        "callback: TX_FAILED_EVENT (no ack)",
        "uplink 0 failed: [Errno 11] EAGAIN after 3 transmissions, 12043 ms",
        "callback: TX_FAILED_EVENT (no ack)",
        "uplink 1 failed: [Errno 11] EAGAIN after 3 transmissions, 9217 ms",
    ]
    assert [(u.dev_addr, u.fcnt, u.port, u.payload, u.confirmed) for u in uplinks] == [
        (0x90000001, 0, 2, b"\x00\x2a", True), (0x90000001, 1, 2, b"\x01\x2a", True)]
    # The network answered each with an empty ACK, in RX1.
    assert [(d.dev_addr, d.ack, d.port, d.window) for d in downlinks] == [(0x90000001, True, None, "rx1")] * 2
    # The far node's tries: the DR steps down one notch on the 3rd transmission.
    tries = [(e["fcnt"], e["trial"], e["dr"]) for e in events
             if e["event"] == "lorawan_uplink" and e["device"] == "far"]
    assert tries == [(fcnt, trial, dr) for fcnt in (0, 1) for trial, dr in ((1, 5), (2, 5), (3, 4))]
    done = [(e["fcnt"], e["status"], e["trials"]) for e in events
            if e["event"] == "lorawan_uplink_done" and e["device"] == "far"]
    assert done == [(0, "failed", 3), (1, "failed", 3)]
    assert summary == ["network EU868: 0 joins, 2 uplinks from 1 device, 2 downlinks",
                       "  near: 2 uplinks, last fcnt 1 port 2: b'\\x01*'"]


def test_lorawan_class_c_gets_commands_long_after_its_last_uplink():
    world, _spec = _scenario_world("lorawan_class_c")
    with world:
        valve = world.devices["valve"]
        network = world.network("EU868")
        network.set_class_c(valve)  # the network server's device profile: class C
        assert world.run(until_s=120) == "until_reached"
        assert [u.fcnt for u in network.uplinks(valve)] == [0]
        network.queue_downlink(valve, 7, b"\x32")
        assert world.run(until_s=300) == "until_reached"
        network.queue_downlink(valve, 7, b"\x00")
        assert world.run(until_s=600) == "idle"  # main.py ends after the close command
        out = valve.output.splitlines()
        uplinks = network.uplinks(valve)
        downlinks = network.downlinks(valve, join_accepts=False)
    assert out == [
        "joined at 6 s",
        "hello sent at 8 s",
        "command on port 7 32 at 121 s, RSSI -121",  # 1.155 s on the air at SF12
        "valve open 50 %",
        "command on port 7 00 at 301 s, RSSI -121",
        "valve closed, done",
    ]
    # One uplink only (the hello): the commands went out at once, in class C (RX2's
    # frequency and DR), minutes after it.
    assert [(u.fcnt, u.payload) for u in uplinks] == [(0, b"\x01")]
    assert [(d.t_s, d.fcnt, d.port, d.payload, d.window, d.frequency_hz, d.dr) for d in downlinks] == [
        (120.0, 0, 7, b"\x32", "class_c", 869525000, 0),
        (300.0, 1, 7, b"\x00", "class_c", 869525000, 0),
    ]


def test_lorawan_class_c_control_room_prints_the_whole_story():
    import io
    import runpy

    output = io.StringIO()
    runpy.run_path(str(EXAMPLES / "lorawan_class_c" / "control_room.py"))["main"](output)
    assert output.getvalue().splitlines() == [
        "joined at 6 s",
        "hello sent at 8 s",
        "control room: command 32 queued at 120 s",
        "command on port 7 32 at 121 s, RSSI -121",
        "valve open 50 %",
        "control room: command 00 queued at 300 s",
        "command on port 7 00 at 301 s, RSSI -121",
        "valve closed, done",
        "control room: 32 went out at 120.000 s, class_c (869525000 Hz, DR0)",
        "control room: 00 went out at 300.000 s, class_c (869525000 Hz, DR0)",
        "control room: the valve sent 1 uplink in all",
    ]


def test_lorawan_deepsleep_joins_once_and_restores_the_session_at_every_wake_up():
    world, spec = _scenario_world("lorawan_deepsleep")
    with world:
        assert world.run(spec.until_s) == "until_reached"
        meter = world.devices["meter"]
        out = meter.output.splitlines()
        network = world.network("EU868")
        joins, uplinks = network.joins(), network.uplinks()
        events = world.events()
    # 300 s of deep sleep plus 0.5 s of reboot a cycle; the RTC keeps counting through it.
    assert out == ["joined by OTAA, rtc 7", "uplink fcnt 0 sent, rtc 9"] + [
        line for n, rtc in enumerate([312, 615, 918, 1221], start=1)
        for line in ("session restored after deep sleep", f"uplink fcnt {n} sent, rtc {rtc}")
    ]
    assert len(joins) == 1 and joins[0].dev_eui == "70b3d5499d5ee900"
    # One session throughout: the network accepted every frame counter in turn.
    assert [(u.dev_addr, u.fcnt, u.payload) for u in uplinks] == [
        (joins[0].dev_addr, n, b"\x04\xd2") for n in range(5)]
    assert [e["wake_reason"] != 0 for e in events if e["event"] == "boot"] == [False] + [True] * 4
    assert sum(1 for e in events if e["event"] == "lora_tx" and e["device"] == "meter") == 6  # join + 5


def test_lorawan_us915_uses_the_region_default_drs_and_channels():
    world, spec = _scenario_world("lorawan_us915")
    with world:
        assert world.run(spec.until_s) == "idle"
        out = world.devices["cattle-tag"].output.splitlines()
        network = world.network("US915")
        joins, uplinks = network.joins(), network.uplinks()
        accepts = network.downlinks(join_accepts=True)
        gateways = network.gateways
        summary = cli.network_summary(world)
    assert out == ["not joined yet"] * 3 + [
        "joined",
        "uplink 0 DR 4 on 904600000 Hz, 26 ms",
        "uplink 1 DR 4 on 903000000 Hz, 26 ms",
        "uplink 2 DR 4 on 912600000 Hz, 26 ms",
        "uplink 3 DR 4 on 914200000 Hz, 26 ms",
    ]
    assert gateways == ("ranch",)
    us915_500khz = {903_000_000 + 1_600_000 * n for n in range(8)}  # channels 64 to 71
    # The join request at the US915 default join DR4 (SF8, 500 kHz); the accept in RX1 on
    # 923.3 + 0.6 (channel mod 8) MHz at DR13.
    assert [(j.dr, j.frequency_hz, j.window) for j in joins] == [(4, 914_200_000, "rx1")]
    assert [(d.join_accept, d.frequency_hz, d.dr) for d in accepts] == [(True, 927_500_000, 13)]
    # The uplinks at the socket's default DR4, each on a 500 kHz channel of the region.
    assert [(u.fcnt, u.payload, u.dr) for u in uplinks] == [(n, bytes([n]) + b"us915", 4) for n in range(4)]
    assert [u.frequency_hz for u in uplinks] == [904_600_000, 903_000_000, 912_600_000, 914_200_000]
    assert {u.frequency_hz for u in uplinks} <= us915_500khz
    assert summary == ["network US915: 1 join, 4 uplinks from 1 device, 0 downlinks",
                       "  cattle-tag: 4 uplinks, last fcnt 3 port 2: b'\\x03us915'"]


# --- Sigfox examples ------------------------------------------------------------------------

def test_sigfox_uplink_sends_three_readings_and_a_keep_alive_bit(capsys):
    status = cli.main(["run", str(EXAMPLES / "sigfox_uplink" / "sigfox_uplink.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    # 12-byte frames at 100 bit/s: 3 x 2.08 s on the air, two 1.001 s gaps, the 2 ms task tick.
    assert out.splitlines() == [
        "Sigfox ID 001c2a3b uplink 868130000 Hz",
        "message 0 sent in 8244 ms",
        "message 1 sent in 8244 ms",
        "message 2 sent in 8244 ms",
        "13 bytes: [Errno 122] EMSGSIZE",
        "keep-alive bit sent in 5364 ms",
        "sigfox: 4 messages from 1 device, 0 downlinks",
        "  sipy: 4 messages, last seq 3: b''",
    ]


def test_sigfox_downlink_gets_the_queued_answer_then_enetdown(capsys):
    status = cli.main(["run", str(EXAMPLES / "sigfox_downlink" / "sigfox_downlink.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(r"downlink 0f1e000000000000 after 3\d{4} ms, RSSI -1\d\d dBm", lines[0]), lines[0]
    assert lines[1:] == [
        "report every 15 min, threshold 30 C",
        "no downlink: errno 115 after 46442 ms",   # 1.44 s frame + 20 s wait + 25 s window
        "sigfox: 3 messages from 1 device, 1 downlink",  # the request, its OOB ack, the second request
        "  tracker: 3 messages, last seq 2: b'cfg?'",
    ]


def test_lopy4_uses_lora_and_sigfox_in_turn_on_its_one_radio(capsys):
    status = cli.main(["run", str(EXAMPLES / "lopy4_lora_sigfox" / "lopy4_lora_sigfox.toml")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("listener")] == [
        "listener | heard b'lora 0'", "listener | heard b'lora 1'"]
    assert "node     | Sigfox message 1 sent in 6324 ms" in lines
    assert lines[-2:] == ["sigfox: 2 messages from 1 device, 0 downlinks", "  node: 2 messages, last seq 1: b'\\x01\\xaa'"]
