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
