# test_pcap.py: World(pcap=...) and `usocket-emu run --pcap`: every LoRa frame on the air as a
# LoRaTap v0 pcap (interop.md 1.1, 1.2), checked by parsing the file here and by tshark 4.0.
"""Two device scripts in virtual time send raw LoRa frames; the capture must hold one
record per frame with its emulated end time, frequency, bandwidth, SF, sync word, RSSI/SNR
of the best reception and its bytes. The frames are published LoRaWAN vectors (radio.md
3.3), so tshark decodes them as LoRaWAN and, given the keys (interop.md 1.5), checks their
MICs: good with the right keys, bad with wrong ones.

tshark is required, not optional: tools/setup.sh installs it (Debian package tshark).
"""

import os
import shutil
import struct
import subprocess
import textwrap

import pytest

from usocket_emu import World, _core, cli

NTP_EPOCH_S = 1_700_000_000

# radio.md 3.3 V1: unconfirmed data up, DevAddr 0x49BE7DF1, FCnt 2, FPort 1, "test".
V1_UPLINK = bytes.fromhex("40f17dbe4900020001954378762b11ff0d")
V1_DEVADDR_ON_AIR = "f17dbe49"
V1_DEVADDR = "49be7df1"
V1_NWKSKEY = "44024241ed4ce9a68c6a8bc055233fd3"
V1_APPSKEY = "ec925802ae430ca77fd3dd73cb2cc588"
# radio.md 3.3 V4: join request, AppKey 16 x 0x01, AppEUI 0x0102030401020304,
# DevEUI 0x0203040502030405 (both LSB first on the air).
V4_JOIN_REQUEST = bytes.fromhex("00040302010403020105040302050403022d106a990e12")
V4_APPKEY = "01" * 16
V4_APPEUI_ON_AIR = "0403020104030201"
V4_DEVEUI = "0203040502030405"
# radio.md 3.3 V6: join request with AppKey 98929b92..., AppEUI wire 39 36 34 63 33 69 13 aa,
# DevEUI wire 05 69 35 74 32 38 31 33.
V6_JOIN_REQUEST = bytes.fromhex("0039363463336913aa05693574323831330489c65b1304")
V6_APPKEY = "98929b92c49edba9676d646d3b612456"
V6_APPEUI_ON_AIR = "39363463336913aa"
V6_DEVEUI = "3331383274356905"

LORAWAN_FRAMES = [V1_UPLINK, V4_JOIN_REQUEST, V6_JOIN_REQUEST]
PRIVATE_FRAME = b"private"

#: Sends the LoRaWAN vectors as raw LoRa frames: EU868 raw defaults (868.0 MHz, SF7,
#: 125 kHz, public sync word 0x34).
NODE = f"""
import socket
import time
from network import LoRa

FRAMES = {LORAWAN_FRAMES!r}
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
for frame in FRAMES:
    time.sleep_ms(200)
    s.send(frame)
print('sent', len(FRAMES))
"""

#: Receives them 100 m away, then sends one frame nobody listens for: 868.3 MHz, SF9,
#: 250 kHz, private sync word.
GATEWAY = f"""
import socket
from network import LoRa

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.settimeout(5)
for i in range({len(LORAWAN_FRAMES)}):
    s.recv(256)
print('got', {len(LORAWAN_FRAMES)}, lora.stats().rssi)
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, frequency=868300000, sf=9,
            bandwidth=LoRa.BW_250KHZ, public=False)
s.send({PRIVATE_FRAME!r})
print('sent private')
"""

BW_CODE = {125_000: 1, 250_000: 2, 500_000: 4}


# --- reading a capture -------------------------------------------------------------------

def read_pcap(path):
    """(global header fields, [record dict]) of a classic little-endian pcap of LoRaTap v0."""
    with open(path, "rb") as f:
        data = f.read()
    header = struct.unpack_from("<IHHiIII", data, 0)
    records = []
    at = 24
    while at < len(data):
        ts_sec, ts_usec, incl, orig = struct.unpack_from("<IIII", data, at)
        body = data[at + 16:at + 16 + incl]
        assert len(body) == incl == orig, "truncated record"
        (version, padding, length, frequency, bw, sf, packet_rssi, max_rssi, current_rssi, snr,
         sync) = struct.unpack_from(">BBHIBBBBBbB", body, 0)
        records.append({
            "t_us": ts_sec * 1_000_000 + ts_usec, "ts_usec": ts_usec, "version": version,
            "padding": padding, "length": length, "frequency_hz": frequency, "bw": bw, "sf": sf,
            "packet_rssi": packet_rssi, "max_rssi": max_rssi, "current_rssi": current_rssi,
            "snr": snr, "sync_word": sync, "payload": body[15:],
        })
        at += 16 + incl
    return header, records


def run_world(pcap, **world):
    """node at (0, 0) and gateway at (0, 100 m), in virtual time; returns (outputs, events)."""
    with World(time="virtual", seed=1, ntp_epoch_s=NTP_EPOCH_S, pcap=pcap, **world) as w:
        node = w.add_device("node", script=NODE, position_m=(0.0, 0.0))
        gateway = w.add_device("gateway", script=GATEWAY, position_m=(0.0, 100.0))
        w.run(until_s=10)
        # Flushed frame by frame: the capture is complete before the world closes.
        _, before_close = read_pcap(pcap)
        outputs = {"node": node.output, "gateway": gateway.output}
        events = w.events()
    assert len(before_close) == len(LORAWAN_FRAMES) + 1
    return outputs, events


def expected_records(events):
    """What each frame's record must hold, from the world's own lora_tx / lora_rx events,
    in the order frames end."""
    rx = {}
    for e in events:
        if e["event"] == "lora_rx":
            rx.setdefault(e["frame"], []).append(e)
    expected = []
    for e in events:
        if e["event"] != "lora_tx":
            continue
        airtime = _core.lora_time_on_air_us(e["size"], e["sf"], e["bandwidth_hz"], e["coding_rate"])
        assert e["airtime_us"] == airtime
        best = max(rx.get(e["frame"], []), key=lambda r: r["rssi_dbm"], default=None)
        expected.append({
            "t_us": e["t_us"] + airtime, "frequency_hz": e["frequency_hz"],
            "bw": BW_CODE[e["bandwidth_hz"]], "sf": e["sf"], "sync_word": e["sync_word"],
            "payload": bytes.fromhex(e["payload"]),
            "packet_rssi": 255 if best is None else round(best["rssi_dbm"] + 139),
            "snr": 0 if best is None else round(best["snr_db"] * 4),
        })
    return sorted(expected, key=lambda r: r["t_us"])


# --- the capture, parsed here --------------------------------------------------------------

def test_world_pcap_has_one_record_per_frame_with_emulated_times(tmp_path):
    pcap = tmp_path / "air.pcap"
    outputs, events = run_world(pcap)
    assert outputs["node"] == "sent 3\n"
    assert outputs["gateway"].splitlines()[0].startswith("got 3 ")
    assert outputs["gateway"].splitlines()[1] == "sent private"

    header, records = read_pcap(pcap)
    assert header == (0xA1B2C3D4, 2, 4, 0, 0, 65535, 270)
    assert len(records) == 4
    for r in records:
        assert (r["version"], r["padding"], r["length"]) == (0, 0, 15)
        assert (r["max_rssi"], r["current_rssi"]) == (255, 255)
    got = [{k: r[k] for k in ("t_us", "frequency_hz", "bw", "sf", "sync_word", "payload",
                              "packet_rssi", "snr")} for r in records]
    assert got == expected_records(events)

    # The same facts, stated without the event log.
    uplink, join4, join6, private = records
    assert [uplink["payload"], join4["payload"], join6["payload"]] == LORAWAN_FRAMES
    assert [(r["frequency_hz"], r["bw"], r["sf"], r["sync_word"]) for r in (uplink, join4, join6)] == \
        [(868_000_000, 1, 7, 0x34)] * 3
    assert uplink["t_us"] % 1_000_000 == uplink["ts_usec"]
    # node sleeps 200 ms between sends: a frame ends at least 200 ms + its airtime after the last.
    join4_airtime_us = _core.lora_time_on_air_us(len(V4_JOIN_REQUEST), 7, 125_000, 1)
    assert join4["t_us"] - uplink["t_us"] >= 200_000 + join4_airtime_us
    # Received 100 m away: -121.7 dBm (radio.md 4.3), SNR -4.7 dB (below the noise floor).
    assert uplink["packet_rssi"] == 17
    assert uplink["snr"] == -19
    # The private frame: 868.3 MHz, 250 kHz, SF9, sync word 0x12, heard by nobody.
    assert private["payload"] == PRIVATE_FRAME
    assert (private["frequency_hz"], private["bw"], private["sf"], private["sync_word"]) == \
        (868_300_000, 2, 9, 0x12)
    assert (private["packet_rssi"], private["snr"]) == (255, 0)
    assert [r["t_us"] for r in records] == sorted(r["t_us"] for r in records)


def test_pcap_works_without_an_event_log_and_is_rewritten_each_run(tmp_path):
    pcap = tmp_path / "air.pcap"
    pcap.write_bytes(b"old content")
    with World(time="virtual", seed=1, pcap=str(pcap), keep_events=False) as w:
        w.add_device("node", script=NODE)
        w.run(until_s=5)
    _, records = read_pcap(pcap)
    assert [r["payload"] for r in records] == LORAWAN_FRAMES
    assert all(r["packet_rssi"] == 255 for r in records)  # nobody listened


def test_a_world_without_pcap_writes_none_and_a_bad_path_fails_at_once(tmp_path):
    with World(time="virtual") as w:
        w.add_device("node", script=NODE)
        w.run(until_s=5)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="cannot write the pcap file"):
        World(time="virtual", pcap=tmp_path / "no-such-folder" / "air.pcap")


# --- the command line and scenario files ---------------------------------------------------

def test_cli_pcap_option_and_scenario_key(tmp_path, capsys):
    node = tmp_path / "node.py"
    node.write_text(NODE, encoding="utf-8")
    pcap = tmp_path / "cli.pcap"
    assert cli.main(["run", "--time", "virtual", "--pcap", str(pcap), str(node)]) == 0
    assert capsys.readouterr().out == "sent 3\n"
    assert [r["payload"] for r in read_pcap(pcap)[1]] == LORAWAN_FRAMES

    # [world] pcap, relative to the scenario file's folder; --pcap overrides it.
    scenario = tmp_path / "farm.toml"
    scenario.write_text(textwrap.dedent("""
        [world]
        time = "virtual"
        pcap = "farm.pcap"

        [[device]]
        target = "node.py"
    """), encoding="utf-8")
    assert cli.main(["run", str(scenario)]) == 0
    assert [r["payload"] for r in read_pcap(tmp_path / "farm.pcap")[1]] == LORAWAN_FRAMES
    other = tmp_path / "other.pcap"
    assert cli.main(["run", str(scenario), "--pcap", str(other)]) == 0
    assert len(read_pcap(other)[1]) == 3
    capsys.readouterr()

    for bad, message in [(tmp_path, "is a folder, not a file"),
                         (tmp_path / "nowhere" / "x.pcap", "no such folder")]:
        assert cli.main(["run", "--time", "virtual", "--pcap", str(bad), str(node)]) == cli.EXIT_USAGE
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("usocket-emu: error: --pcap: ") and message in err
    same = tmp_path / "same"
    assert cli.main(["run", "--log", str(same), "--pcap", str(same), str(node)]) == cli.EXIT_USAGE
    assert "--log and --pcap name the same file" in capsys.readouterr().err


# --- tshark 4.0 (Debian 12) decodes the capture and checks the MICs --------------------------

def tshark_path():
    path = shutil.which("tshark")
    if path is None:
        pytest.fail("tshark is not installed: this test needs it to check the pcap output. "
                    "Install it with tools/setup.sh (or: DEBIAN_FRONTEND=noninteractive "
                    "apt-get install -y tshark)", pytrace=False)
    return path


def key_config(folder, *, nwk_s_key, app_s_key, app_keys):
    """A private Wireshark config folder with the LoRaWAN keys (interop.md 1.5): the 4.0
    UAT encryption_keys_lorawan, and the files newer releases read instead."""
    folder.mkdir()
    rows = [f'"{V1_DEVADDR_ON_AIR}","{nwk_s_key}","{app_s_key}","0000000000000000"']
    # Join requests: found by AppEUI (on-air order), MIC checked with the AppSKey column.
    rows += [f'"00000000","{"00" * 16}","{key}","{app_eui}"' for app_eui, key in app_keys]
    (folder / "encryption_keys_lorawan").write_text("\n".join(rows) + "\n")
    (folder / "session_keys_lorawan").write_text(f'"{V1_DEVADDR}","{nwk_s_key}","{app_s_key}"\n')
    (folder / "root_keys_lorawan").write_text(
        "".join(f'"{dev_eui}","{key}"\n' for dev_eui, key in
                zip((V4_DEVEUI, V6_DEVEUI), (k for _, k in app_keys))))
    return folder


def tshark(pcap, config, *args):
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=str(config))
    done = subprocess.run([tshark_path(), "-n", "-r", str(pcap), *args], env=env,
                          capture_output=True, text=True, timeout=60)
    # stderr: "Running as root" notes and 4.0's harmless GLib CRITICAL lines (interop.md 1.5)
    assert done.returncode == 0, done.stderr
    return done.stdout


FIELDS = ["-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch", "-e", "frame.protocols",
          "-e", "loratap.channel.frequency", "-e", "loratap.channel.bandwidth", "-e", "loratap.channel.sf",
          "-e", "loratap.syncword", "-e", "lorawan.mhdr.mtype", "-e", "lorawan.fhdr.devaddr",
          "-e", "lorawan.fhdr.fcnt", "-e", "lorawan.frmpayload_decrypted", "-e", "lorawan.mic.status"]


def test_tshark_decodes_loratap_and_lorawan_and_checks_the_mics(tmp_path):
    tshark_path()  # fail first, with the clear message, if it is missing
    pcap = tmp_path / "air.pcap"
    _, events = run_world(pcap)
    ends = [r["t_us"] for r in expected_records(events)]

    good = key_config(tmp_path / "good", nwk_s_key=V1_NWKSKEY, app_s_key=V1_APPSKEY,
                      app_keys=[(V4_APPEUI_ON_AIR, V4_APPKEY), (V6_APPEUI_ON_AIR, V6_APPKEY)])
    lines = [line.split("|") for line in tshark(pcap, good, *FIELDS).splitlines()]
    assert len(lines) == 4
    times = [round(float(line[0]) * 1e6) for line in lines]
    assert times == ends  # emulated time, no wall clock
    uplink, join4, join6, private = [line[1:] for line in lines]
    assert uplink == ["loratap:lorawan", "868000000", "1", "7", "0x34", "2", "0x49be7df1",
                      "2", "74657374", "1"]
    assert join4[:6] == ["loratap:lorawan", "868000000", "1", "7", "0x34", "0"]
    assert join4[-1] == "1"  # MIC Good
    assert join6[5] == "0" and join6[-1] == "1"
    # A private sync word is not LoRaWAN: tshark 4.0 shows the payload as data.
    assert private[:5] == ["loratap:data", "868300000", "2", "9", "0x12"]
    assert private[5:] == [""] * 5

    text = tshark(pcap, good, "-V", "-Y", "lorawan.mhdr.mtype == 2")
    assert "LoRaTap header" in text and "LoRaWAN Protocol" in text
    assert "Spreading Factor: 7" in text and "Sync Word: LoRaWAN (0x34)" in text
    assert "Packet: -122 dBm" in text  # -121.7 dBm, received 100 m away
    assert "Message Integrity Code: 0x0dff112b [correct]" in text

    wrong = key_config(tmp_path / "wrong", nwk_s_key="00" * 16, app_s_key=V1_APPSKEY,
                       app_keys=[(V4_APPEUI_ON_AIR, "02" * 16), (V6_APPEUI_ON_AIR, "00" * 16)])
    statuses = [line.split("|")[-1] for line in tshark(pcap, wrong, *FIELDS).splitlines()]
    assert statuses == ["0", "0", "0", ""]  # Bad, Bad, Bad; the private frame has none
