#!/usr/bin/env python3
"""bench/bench_lora_devices.py: raw LoRa device scripts in virtual time (issue 4).

Target (issue 4): 100 Python device scripts in raw LoRa mode, each sending a 20-byte frame
every 10 s for one emulated hour (36,000 frames, each heard by the 99 others), finish in
under 10 s of wall time.

Reference, measured in the same run: the same 100 scripts with the send left out (only
time.sleep(10) in the loop): what the runtime costs without the radio. Ratio = ours /
reference (the radio's share). Every figure is the median of RUNS runs after a warm-up.

    python bench/bench_lora_devices.py [--quick] [--json FILE]

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
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setblocking(False)
frame = bytes(20)
time.sleep({offset_ms} / 1000)
for i in range({frames}):
    s.send(frame)
    time.sleep(10)
"""

SLEEPER = """\
import time
time.sleep({offset_ms} / 1000)
for i in range({frames}):
    time.sleep(10)
"""


def run_world(script, devices, frames):
    # Devices start at staggered offsets (seeded), so frames rarely collide.
    with World(time="virtual", seed=1, keep_events=False) as world:
        for n in range(devices):
            world.add_device(f"d{n}", script=script.format(frames=frames, offset_ms=(n * 97) % 10_000),
                             position_m=(float(n % 10) * 10.0, float(n // 10) * 10.0))
        started = time.perf_counter()
        status = world.run()
        wall = time.perf_counter() - started
        counters = world.radio_counters()
        assert status == "idle", status
        assert all(d.exit_exception is None for d in world.devices.values())
    return wall, world.now_s, counters


def measure(devices, frames, runs):
    run_world(SENDER, devices, max(frames // 10, 1))  # warm-up
    ours, refs = [], []
    counters, emulated = {}, 0.0
    for _ in range(runs):
        wall, emulated, counters = run_world(SENDER, devices, frames)
        ours.append(wall)
        refs.append(run_world(SLEEPER, devices, frames)[0])
    wall, ref = statistics.median(ours), statistics.median(refs)
    return {
        "benchmark": f"{devices} raw LoRa devices x {frames} frames of 20 B every 10 s",
        "wall_s": round(wall, 3),
        "target_s": 10.0,
        "reference_s": round(ref, 3),
        "ratio": round(wall / ref, 2),
        "emulated_s": emulated,
        "transmissions": counters["transmissions"],
        "receptions": counters["receptions"],
        "us_per_transmission": round(wall / counters["transmissions"] * 1e6, 1),
        "pass": wall < 10.0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS
    result = measure(100, 36 if args.quick else 360, runs)
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"median of {runs}")
    print("| benchmark | wall s | target s | reference s | ratio | frames | receptions | us/frame | result |")
    print("|---|---|---|---|---|---|---|---|---|")
    r = result
    print(f"| {r['benchmark']} | {r['wall_s']} | < {r['target_s']} | {r['reference_s']} | {r['ratio']} | "
          f"{r['transmissions']:,} | {r['receptions']:,} | {r['us_per_transmission']} | "
          f"{'PASS' if r['pass'] else 'FAIL'} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([result], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
