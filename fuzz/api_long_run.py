#!/usr/bin/env python3
"""The long run of the API fuzzer (issue 7): random call sequences against the device API
(the calls of tests/python/fuzz_api_support.py, which tests/python/test_fuzz_api.py runs as
hypothesis programs on a small budget in CI), until at least --calls calls were made.

    .venv/bin/python fuzz/api_long_run.py                    # 1,000,000 calls, seed 1
    .venv/bin/python fuzz/api_long_run.py --calls 20000 --seed 7 --workers 2

Drawing a call costs hypothesis several times more than running it, so each worker first
draws a pool of --pool calls (virtual time, and a tenth of that for real time) from the
strategy of the CI test, then makes programs of --max-calls/2 to --max-calls calls picked
from the pool by a generator seeded with --seed and the worker number, on a random board and
set-up; one program in --real-every runs in real time. Same seed, same programs. It prints
a line every --report programs and at the end the totals and the histogram of outcomes (ok,
TypeError, OSError errno=9, ...). Every failing program goes to --failures (JSON lines) and
the exit status is 1 if there was one. Needs the built extension (pip install -e .) and
hypothesis.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))


def draw_pool(fz, size: int, real: bool, pool_seed: int) -> list:
    """`size` calls drawn by hypothesis from the strategy the CI test uses."""
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    pool = []

    @seed(pool_seed)
    @settings(max_examples=size // 50 + 1, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.lists(fz.calls(real=real), min_size=50, max_size=50))
    def draw(calls):
        pool.extend(calls)

    draw()
    return pool[:size]


def compose(fz, rng, pool: list, real_pool: list, args: argparse.Namespace):
    """A program: a board and set-up as programs() picks them, calls picked from the pool."""
    real = rng.randrange(args.real_every) == 0
    board = rng.choice(fz.BOARDS)
    lora = rng.choice([None, "LORA", "LORAWAN", "LORAWAN"]) if board in fz.LORA_BOARDS else None
    region = rng.choice(["EU868", "EU868", "US915", "AS923", "AU915", "IN865"])
    sigfox = rng.choice([None, 0, 0, 1, 2, 3]) if board in fz.SIGFOX_BOARDS else None
    if real:
        calls = rng.choices(real_pool, k=rng.randint(1, 12))
    else:
        calls = rng.choices(pool, k=rng.randint(args.max_calls // 2, args.max_calls))
    return fz.Program("real" if real else "virtual", board, rng.random() < 0.5, lora, region, sigfox,
                      rng.randrange(2**32), tuple(calls))


def worker(index: int, args: argparse.Namespace, queue) -> None:
    import random

    import fuzz_api_support as fz

    worker_seed = args.seed * 1000 + index
    pool = draw_pool(fz, args.pool, False, worker_seed)
    real_pool = draw_pool(fz, args.pool // 10, True, worker_seed + 500)
    queue.put(("pool", index, len(pool), len(real_pool)))
    rng = random.Random(worker_seed)
    target_calls = args.calls // args.workers + (1 if index < args.calls % args.workers else 0)
    programs = calls = failures = 0
    histogram = collections.Counter()
    while calls < target_calls:
        program = compose(fz, rng, pool, real_pool, args)
        result = fz.run_program(program)
        programs += 1
        calls += len(program.calls)
        histogram.update(o.key() for o in result.outcomes if o is not None)
        found = fz.problems(result)
        if found:
            failures += 1
            queue.put(("failure", index, {"problems": found, "program": program.describe(),
                                          "output_tail": result.output.splitlines()[-40:]}))
        if programs % args.report == 0:
            queue.put(("progress", index, programs, calls))
    queue.put(("done", index, programs, calls, failures, dict(histogram)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-calls", type=int, default=200,
                        help="calls per virtual-time program at most (at least half of it)")
    parser.add_argument("--real-every", type=int, default=10, help="one program in N runs in real time")
    parser.add_argument("--pool", type=int, default=20_000, help="calls hypothesis draws per worker")
    parser.add_argument("--report", type=int, default=500, help="a progress line every N programs per worker")
    parser.add_argument("--failures", default="api_fuzz_failures.jsonl")
    args = parser.parse_args()

    started = time.monotonic()
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(i, args, queue)) for i in range(args.workers)]
    for p in procs:
        p.start()
    done = {}
    failures = 0
    with open(args.failures, "w") as failure_file:
        while len(done) < len(procs):
            message = queue.get()
            kind, index = message[0], message[1]
            if kind == "pool":
                print(f"[{time.monotonic() - started:7.0f} s] worker {index}: drew {message[2]} calls "
                      f"(+{message[3]} for real time)", flush=True)
            elif kind == "progress":
                print(f"[{time.monotonic() - started:7.0f} s] worker {index}: {message[2]} programs, "
                      f"{message[3]} calls", flush=True)
            elif kind == "failure":
                failures += 1
                failure_file.write(json.dumps(message[2]) + "\n")
                failure_file.flush()
                print(f"worker {index}: FAILURE\n  " + "\n  ".join(message[2]["problems"]), flush=True)
            elif kind == "done":
                done[index] = message[2:]
    for p in procs:
        p.join()
    programs = sum(d[0] for d in done.values())
    calls = sum(d[1] for d in done.values())
    histogram = collections.Counter()
    for d in done.values():
        histogram.update(d[3])
    elapsed = time.monotonic() - started
    print(f"\n{programs} programs, {calls} calls in {elapsed:.0f} s ({calls / max(elapsed, 1e-9):.0f} calls/s), "
          f"{failures} failing programs, seed {args.seed}, {args.workers} worker(s)")
    print("outcomes:")
    for key, n in histogram.most_common():
        print(f"  {n:9d}  {key}")
    bad_exits = [p.exitcode for p in procs if p.exitcode != 0]
    if bad_exits:
        print(f"workers exited with {bad_exits}")
    return 1 if failures or bad_exits else 0


if __name__ == "__main__":
    sys.exit(main())
