#!/usr/bin/env python3
"""bench/bench_lorawan_devices.py: LoRaWAN device scripts on the embedded network (issue 5).

Target (issue 5): 100 Python device scripts sending 100 uplinks each run in virtual time in
under 20 s of wall time. Each script joins by OTAA (blocking join), then sends a 10-byte
unconfirmed uplink every 60 s with a blocking socket (each send lasts its RX1/RX2 cycle,
about 2.3 s at DR5); one gateway, EU868, the network records every uplink it decodes.

Reference, measured in the same run: the same 100 scripts with the join and the send left
out (the loop only sleeps): what the runtime costs without LoRaWAN. Ratio = ours /
reference. Every figure is the median of RUNS runs after a warm-up.

    python bench/bench_lorawan_devices.py [--quick] [--json FILE]

A benchmark, not a test: it never fails a build. See bench/README.md.
"""

import argparse
import json
import platform
import statistics
import sys
import time

from usocket_emu import World

RUNS = 5

SENDER = """\
from network import LoRa
import socket, time
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
time.sleep({offset_ms} / 1000)
lora.join(activation=LoRa.OTAA, auth=(b'\\x70\\xb3\\xd5\\x7e\\xd0\\x00\\x00\\x01', bytes(16)))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
frame = bytes(10)
for i in range({uplinks}):
    s.send(frame)
    time.sleep(60)
"""

SLEEPER = """\
import time
time.sleep({offset_ms} / 1000)
for i in range({uplinks}):
    time.sleep(62.3)
"""


def run_world(script, devices, uplinks):
    with World(time="virtual", seed=1, keep_events=False) as world:
        for n in range(devices):
            mac = bytes.fromhex("70b3d54990") + n.to_bytes(3, "big")
            # Joins start 0.6 s apart (a JoinRequest at DR5 lasts 62 ms), so few collide.
            world.add_device(f"d{n}", script=script.format(uplinks=uplinks, offset_ms=n * 600), lpwan_mac=mac,
                             position_m=(float(n % 10) * 5.0, float(n // 10) * 5.0))
        started = time.perf_counter()
        status = world.run()
        wall = time.perf_counter() - started
        assert status == "idle", status
        assert all(d.exit_exception is None for d in world.devices.values())
        uplinks_recorded = len(world.network("EU868").uplinks()) if world.networks else 0
        emulated = world.now_s
    return wall, emulated, uplinks_recorded


def measure(devices, uplinks, runs):
    run_world(SENDER, devices, max(uplinks // 10, 1))  # warm-up
    ours, refs = [], []
    recorded, emulated = 0, 0.0
    for _ in range(runs):
        wall, emulated, recorded = run_world(SENDER, devices, uplinks)
        ours.append(wall)
        refs.append(run_world(SLEEPER, devices, uplinks)[0])
    wall, ref = statistics.median(ours), statistics.median(refs)
    return {
        "benchmark": f"{devices} LoRaWAN devices x {uplinks} uplinks (OTAA, EU868 DR5, every 60 s)",
        "wall_s": round(wall, 3),
        "target_s": 20.0,
        "reference_s": round(ref, 3),
        "ratio": round(wall / ref, 2),
        "emulated_s": round(emulated, 1),
        "uplinks_sent": devices * uplinks,
        "uplinks_recorded": recorded,
        "us_per_uplink": round(wall / (devices * uplinks) * 1e6, 1),
        "pass": wall < 20.0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS
    r = measure(100, 10 if args.quick else 100, runs)
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"median of {runs}")
    print("| benchmark | wall s | target s | reference s | ratio | emulated s | uplinks sent | recorded | us/uplink | result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {r['benchmark']} | {r['wall_s']} | < {r['target_s']} | {r['reference_s']} | {r['ratio']} | "
          f"{r['emulated_s']} | {r['uplinks_sent']:,} | {r['uplinks_recorded']:,} | {r['us_per_uplink']} | "
          f"{'PASS' if r['pass'] else 'FAIL'} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([r], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
