#!/usr/bin/env python3
"""fuzz/make_corpus.py: writes the seed corpora of the fuzz targets, one folder per target.

    python3 fuzz/make_corpus.py fuzz/corpus          # regenerate the committed seeds
    python3 fuzz/make_corpus.py /tmp/work/corpus     # what tools/fuzz.sh does in its work dir

Everything is text here: the LoRaWAN test vectors of spec/radio.md 3.3 as hex, scenario
files, PEM keys, and deterministic pseudo-random bytes for the targets that read their input
through FuzzedDataProvider (whose layout only the fuzzer needs to know). The saved MAC states
of fuzz_mac_restore come from the library itself (fuzz_seed_gen, run by tools/fuzz.sh).
"""

import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# spec/radio.md 3.3, V1-V7: PHYPayloads.
LORAWAN_VECTORS = {
    "v1_uplink": "40f17dbe4900020001954378762b11ff0d",
    "v1_multiblock": "40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28dea8a20af3c5e7",
    "v1_mic_only": "40f17dbe49000300012a3518af",
    "v1_downlink_ack": "60f17dbe4920020001f9d65d27",
    "v2_hello": "400403020180010001a694642615d6c3b582",
    "v2_fopts": "4004030201030000020305016a3798f5b64dc039",
    "v2_port0": "40040302010000000069369eee6aa508",
    "v3_join_accept": "20493eeb51fba2116f810edb3742975142",
    "v4_join_request": "00040302010403020105040302050403022d106a990e12",
    "v5_join_accept_zero": "20e3de108795f776b8037610ef7869b5b3",
    "v6_join_request": "0039363463336913aa05693574323831330489c65b1304",
    "v7_hello": "40e7cd2c01000100014dcd4cc02664694489",
    "v7_fcnt_32bit": "40e7cd2c01000100012e359bcd8600a48a0b",
    "v7_confirmed_down": "a0e7cd2c0120050001cc171d88ad2a",
    "proprietary": "e0010203",
    "empty_mhdr": "40",
}

RSA_PRIVATE = """-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBANUoI2wlSOZymx8k
FL9oKBgmte1qwDhfHlHD/fN2KHmX93C76tTtBlb5cgvMngcQ1qgUwN7jRIkjSCy+
fwPhdmhlEkbhZepbOIPLOXbP+vU1agCNceG28EmttcjNYaTl/BtJbherso040Ebp
zyKgfMfXthoKzwBdEwFw16W9K0qHAgMBAAECgYAF9Iwgzl3eCl+pHBH0Uw2jtxko
G+5o5MdtE2O59Jgm5YcFQErMTh76ORflmn7jxaWppoLI92KHzlOK5HuZ+Secr/47
QefufS8WsbcffYBGVQgd0tzl9K8cb986D77YKVfOXQAfBCy7H4kkGXcerQ5ad+PK
AnYv/zvnqi2jem5vkQJBAPKs+cTrHtwG9Cv95PrlEIAX0xt/DM9H8FXNzinlBKG5
GC9qvPxwTxF7Vabf8efXkXBAKxSuPBR3vNMISPOj5EkCQQDg3D+HsNkK7VlC+xYm
Ne8myZlid9IG93eLrzlHgI3I8zgeR5TOVTdD9PDlpcSexo4IoW4EgFXpRFFT8hWc
qRhPAkEA6Fz4S7VWNxfxdK4HMrVit0QYv5tHiLI5Te9iGHtRlAjHP5/UlWJ0Uyjl
OoPz/SpL+E948LRkkrST+P1V3PRxAQJAXdJoS6S1mwKXuQPtJPpiE+wQLO7T2oZN
AiKVosj33/3jz3aMl18lFRzRmvCEzr8IKn+42PX3YsJXsNAUxm4jrwJBALgEenLF
IVtFwi5vyINQwKzvWHNLlWytjNVlGaCmppRsLdzGYjD1gq9ZcBQfLLvTiI85hY5U
k0MAix/tCofSVnA=
-----END PRIVATE KEY-----"""
RSA_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDVKCNsJUjmcpsfJBS/aCgYJrXt
asA4Xx5Rw/3zdih5l/dwu+rU7QZW+XILzJ4HENaoFMDe40SJI0gsvn8D4XZoZRJG
4WXqWziDyzl2z/r1NWoAjXHhtvBJrbXIzWGk5fwbSW4Xq7KNONBG6c8ioHzH17Ya
Cs8AXRMBcNelvStKhwIDAQAB
-----END PUBLIC KEY-----"""
EC_PRIVATE = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggBamM9YmDfvVxhbm
uT6CgLNX3ROdyT1ipx3u3gYfQEyhRANCAARrgndD3IsRYQUhrjZTwmJ/FcHKacgZ
qqAjDZ08SYFk5y/5Y0cWTDEiSUKqiwespKeskm/eCUamvqw71Q3sy9Hd
-----END PRIVATE KEY-----"""


def noise(name, size):
    """`size` deterministic bytes named `name` (SHA-256 in counter mode)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{name}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def fdp_seeds(target, sizes=(48, 160, 600, 2000)):
    return {f"noise_{n}": noise(f"{target}:{n}", n) for n in sizes}


def address_seeds():
    # FuzzedDataProvider: the port is read from the end (8 bytes), the host is the rest.
    port = struct.pack("<q", 8080)
    hosts = ["", "192.168.4.1", "0.0.0.0", "255.255.255.255", "1.2.3", "1.2.3.4.5", "a.b.c.d",
             "999.1.1.1", "10.0.0.1.", "localhost", "1..2.3"]
    return {f"host_{i}": h.encode() + port for i, h in enumerate(hosts)}


def crypto_seeds():
    seeds = {}
    # RSA: the message is a random-length string ("msg\\x" ends it), the key the rest; the
    # last byte (read first) 0 selects RSA, the one before it the operation.
    for op, name in ((0, "sign"), (1, "encrypt"), (2, "decrypt")):
        for kname, pem in (("rsa", RSA_PRIVATE), ("pub", RSA_PUBLIC), ("ec", EC_PRIVATE)):
            seeds[f"{name}_{kname}"] = b"hello\\x" + pem.encode() + bytes([op, 0])
    # AES: the last byte odd selects AES; the rest is noise for the FuzzedDataProvider.
    for n in (64, 200, 500):
        seeds[f"aes_{n}"] = noise(f"aes:{n}", n) + b"\x01"
    return seeds


def scenario_seeds():
    seeds = {}
    examples = os.path.join(REPO, "examples", "python")
    if os.path.isdir(examples):
        for folder in sorted(os.listdir(examples)):
            path = os.path.join(examples, folder, folder + ".toml")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                # The fuzzer's work folder has node.py and flash/: targets resolve there.
                text = re.sub(r'(?m)^(target\s*=\s*)"[^"]*"', r'\1"node.py"', text)
                seeds[folder] = text.encode()
    seeds["everything"] = b"""\
[world]
time = "virtual"
seed = 18446744073709551615
until_s = 3600.5
log = "events.jsonl"
pcap = "air.pcap"
state = "state"
ntp_epoch_s = 1704067200
reboot_time_ms = 250
duty_cycle = true

[radio]
reference_distance_m = 40.0
reference_path_loss_db = 127.41
path_loss_exponent = 2.08
shadowing_sigma_db = 3.57
minimum_distance_m = 1
capture = false
capture_threshold_db = 6
preamble_lock_grace_symbols = 3
inter_sf_interference = true
channel_overlap_125khz_hz = 30000
channel_overlap_250khz_hz = 60000
channel_overlap_500khz_hz = 120000

[network]
strict = true
echo = false
adr = true
net_id = 0x13
downlink_loss = 0.25

[sigfox]
echo = true
uplinks_per_day = 140
downlinks_per_day = 4

[[gateway]]
name = "gw"
position_m = [0, 0]
region = "eu868"

[[device]]
name = "node"
target = "node.py"
board = "lopy4"
region = "EU868"
position_m = [10.5, -3]
strict_firmware = true
wifi_mac = "24:0a:c4:00:00:01"
lpwan_mac = "70b3d5499e5c0001"
sigfox_id = "004D1E55"
sigfox_pac = "0011223344556677"

[device.keys]
dev_eui = "70B3D5499E5C0001"
app_eui = "70B3D57ED0000001"
app_key = "2B7E151628AED2A6ABF7158809CF4F3C"
dev_addr = "26011B2C"
nwk_s_key = "2B7E151628AED2A6ABF7158809CF4F3C"
app_s_key = "3C4FCF098815F7ABA6D2AE2816157E2B"

[[device]]
target = "flash"
board = "FiPy"
region = "US915"

[[device]]
name = "inline"
script = "print('hello')"
board = "SiPy"

[[downlink]]
device = "node"
port = 2
payload = "hi"
confirmed = true

[[downlink]]
dev_eui = "70B3D5499E5C0001"
port = 10
payload_hex = "01 02 03"
region = "EU868"

[[downlink]]
dev_addr = "26011B2C"
port = 223
payload_hex = "ff"

[[sigfox_station]]
name = "mast"
position_m = [0, 300]

[[sigfox_downlink]]
device = "node"
payload_hex = "0f1e000000000000"

[[sigfox_downlink]]
device_id = "004D1E56"
payload_hex = "0000000000000001"
"""
    seeds["empty"] = b""
    seeds["bad_toml"] = b"[world\nseed = \n"
    return seeds


def corpora():
    return {
        "fuzz_lorawan_frame": {k: bytes.fromhex(v) for k, v in LORAWAN_VECTORS.items()},
        "fuzz_lorawan_roundtrip": fdp_seeds("roundtrip", (40, 120, 300)),
        "fuzz_mac": fdp_seeds("mac"),
        "fuzz_mac_restore": {"not_a_state": b"LWM\x01\x05", "empty": b""},
        "fuzz_network_uplink": fdp_seeds("network"),
        "fuzz_sigfox": fdp_seeds("sigfox"),
        "fuzz_address": address_seeds(),
        "fuzz_crypto": crypto_seeds(),
        "fuzz_scenario": scenario_seeds(),
    }


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    for target, seeds in corpora().items():
        folder = os.path.join(root, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
