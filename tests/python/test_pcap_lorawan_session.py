"""tshark 4.0 checks every MIC of an emulated LoRaWAN session, given the session keys."""

import os
import pathlib
import shutil
import subprocess

import pytest

from usocket_emu import _core, cli

DEMO = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "lorawan_otaa" / "lorawan_otaa.toml"
APP_EUI = "70b3d57ed0000001"
APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c"


def tshark_path():
    path = shutil.which("tshark")
    if path is None:
        pytest.fail("tshark is not installed: install it with tools/setup.sh", pytrace=False)
    return path


def records(path):
    """The PHY payloads of a classic pcap of LoRaTap v0 records (15-byte headers)."""
    data = path.read_bytes()
    out, at = [], 24
    while at < len(data):
        incl = int.from_bytes(data[at + 8:at + 12], "little")
        out.append(data[at + 16 + 15:at + 16 + incl])
        at += 16 + incl
    return out


def on_air(hex_text):
    """An EUI or DevAddr in the byte order of the air (little-endian), as 4.0's table wants."""
    return bytes.fromhex(hex_text)[::-1].hex()


def test_every_mic_of_the_main_demo_is_good_for_tshark(tmp_path, capsys, monkeypatch):
    tshark_path()
    pcap = tmp_path / "air.pcap"
    joins = []
    import usocket_emu._world as world_module

    original_close = world_module.World.close

    def close_and_keep_joins(self):
        for network in self.networks.values():
            joins.extend(network.joins())
        original_close(self)

    monkeypatch.setattr(world_module.World, "close", close_and_keep_joins)
    assert cli.main(["run", "--pcap", str(pcap), str(DEMO)]) == 0
    capsys.readouterr()
    (join,) = joins
    dev_addr = f"{join.dev_addr:08x}"

    config = tmp_path / "wireshark"
    config.mkdir()
    # 4.0's UAT: DevAddr (air order), NwkSKey, AppSKey, AppEUI; a join request is found by
    # its AppEUI and checked with the key in the AppSKey column (interop.md 1.5).
    (config / "encryption_keys_lorawan").write_text(
        f'"{on_air(dev_addr)}","{join.nwk_s_key.hex()}","{join.app_s_key.hex()}","0000000000000000"\n'
        f'"00000000","{"00" * 16}","{APP_KEY}","{on_air(APP_EUI)}"\n')
    (config / "session_keys_lorawan").write_text(
        f'"{dev_addr}","{join.nwk_s_key.hex()}","{join.app_s_key.hex()}"\n')
    (config / "root_keys_lorawan").write_text(f'"{join.dev_eui}","{APP_KEY}"\n')
    done = subprocess.run(
        [tshark_path(), "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=|", "-e", "lorawan.mhdr.mtype",
         "-e", "lorawan.fhdr.devaddr", "-e", "lorawan.fhdr.fcnt", "-e", "lorawan.mic.status"],
        env=dict(os.environ, WIRESHARK_CONFIG_DIR=str(config)), capture_output=True, text=True, timeout=60,
        check=False)
    assert done.returncode == 0, done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines()]
    mtypes = [row[0] for row in rows]
    # The join request (0), its accept (1), 8 unconfirmed uplinks (2) and the downlink (3).
    assert mtypes.count("0") == 1 and mtypes.count("2") == 8 and mtypes.count("3") == 1
    data = [row for row in rows if row[0] in ("2", "3")]
    assert all(row[1] == f"0x{dev_addr}" for row in data)
    assert [row[2] for row in data if row[0] == "2"] == [str(n) for n in range(8)]
    # 1: MIC good. tshark 4.0 leaves the join accept's MIC unchecked (status 2): it is checked
    # below from the capture's bytes with the AppKey.
    checked = [row for row in rows if row[0] != "1"]
    assert sorted(row[0] for row in checked) == ["0"] + ["2"] * 8 + ["3"]
    assert all(row[3] == "1" for row in checked), rows
    (accept,) = [r for r in records(pcap) if r[:1] == b"\x20"]
    fields = _core.lorawan_decode_join_accept(accept, bytes.fromhex(APP_KEY))  # raises on a bad MIC
    assert fields["dev_addr"] == join.dev_addr
