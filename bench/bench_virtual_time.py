#!/usr/bin/env python3
"""bench/bench_virtual_time.py: how fast virtual time runs device scripts (issue 3).

Targets (issue 3):
  one device    : 10,000 x (time.sleep(60); print) in under 2 s of wall time
                  (about 7 emulated days, more than 300,000 x real time)
  100 devices   : 1,000 such cycles each, in under 10 s

Reference, measured in the same run: the same loop in plain CPython with the sleep left out
and print() writing to an in-memory buffer: the floor of what running the loop can cost.
Ratio = ours / reference wall time (lower is better); "x real time" = emulated / wall.
Every figure is the median of RUNS runs after one warm-up.

    python bench/bench_virtual_time.py [--quick] [--json FILE]

A benchmark, not a test: it never fails a build. See bench/README.md.
"""

import argparse
import io
import json
import platform
import statistics
import sys
import time

from usocket_emu import World

RUNS = 5

SCRIPT = """\
import time
for i in range({cycles}):
    time.sleep(60)
    print(i)
"""


def run_world(devices, cycles):
    with World(time="virtual", seed=1) as world:
        for n in range(devices):
            world.add_device(f"d{n}", script=SCRIPT.format(cycles=cycles))
        started = time.perf_counter()
        status = world.run()
        wall = time.perf_counter() - started
        emulated_s = world.now_s
        assert status == "idle", status
        assert all(d.output.count("\n") == cycles for d in world.devices.values())
    return wall, emulated_s


def run_reference(devices, cycles):
    out = io.StringIO()
    started = time.perf_counter()
    for _ in range(devices):
        for i in range(cycles):
            print(i, file=out)
    return time.perf_counter() - started


def measure(name, devices, cycles, target_s, runs):
    run_world(devices, min(cycles, 100))  # warm-up
    run_reference(devices, cycles)
    ours, refs, emulated = [], [], 0.0
    for _ in range(runs):
        wall, emulated = run_world(devices, cycles)
        ours.append(wall)
        refs.append(run_reference(devices, cycles))
    wall, ref = statistics.median(ours), statistics.median(refs)
    return {
        "benchmark": name,
        "wall_s": round(wall, 3),
        "target_s": target_s,
        "reference_s": round(ref, 4),
        "ratio": round(wall / ref, 1),
        "emulated_s": emulated,
        "x_real_time": round(emulated / wall),
        "pass": wall < target_s,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS
    scale = 10 if args.quick else 1
    results = [
        measure("1 device x 10,000 sleep(60)+print", 1, 10_000 // scale, 2.0, runs),
        measure("100 devices x 1,000 sleep(60)+print", 100, 1_000 // scale, 10.0, runs),
    ]
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"median of {runs}")
    print("| benchmark | wall s | target s | reference s | ratio | x real time | result |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['benchmark']} | {r['wall_s']} | < {r['target_s']} | {r['reference_s']} | "
              f"{r['ratio']} | {r['x_real_time']:,} | {'PASS' if r['pass'] else 'FAIL'} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
