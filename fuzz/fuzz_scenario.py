#!/usr/bin/env python3
"""fuzz/fuzz_scenario.py: the scenario file loader (python/usocket_emu/_scenario.py) on
arbitrary files.

The loader's contract (its module docstring and ScenarioError's): every problem with a file
raises ScenarioError, one line naming the file, the table and the key. Any other exception
is a finding; so, with --strict-messages, is a ScenarioError message over several lines.

Two modes, with libFuzzer's command line in both (corpus folders, -max_total_time=N,
-seed=N, -artifact_prefix=DIR/, -runs=N):

* With atheris installed (pip install atheris): a coverage-guided libFuzzer run.
* Without it (or with --no-atheris): a mutation loop over the seed corpus in plain Python,
  seeded and so repeatable. Its feedback is the outcome (which check rejected the file):
  an input with a new outcome joins the corpus. Findings are collected (one per exception
  type and place), written to artifact_prefix, and the exit status is 1.

    python3 fuzz/fuzz_scenario.py -max_total_time=60 fuzz/corpus/fuzz_scenario
"""

import hashlib
import importlib.util
import os
import random
import re
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# The installed package (with its built _core); the source tree only if none is installed
# (CI found the source tree's copy, which has no _core, shadowing a regular install).
if importlib.util.find_spec("usocket_emu") is None:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

_USE_ATHERIS = "--no-atheris" not in sys.argv
STRICT_MESSAGES = "--strict-messages" in sys.argv
sys.argv = [a for a in sys.argv if a not in ("--no-atheris", "--strict-messages")]

atheris = None
if _USE_ATHERIS:
    try:
        import atheris  # noqa: F811
    except ImportError:
        atheris = None

if atheris is not None:
    with atheris.instrument_imports():
        from usocket_emu import _scenario
else:
    from usocket_emu import _scenario

# A work folder where the seeds' targets exist (node.py, flash/main.py).
_WORK = tempfile.mkdtemp(prefix="fuzz_scenario_")
os.makedirs(os.path.join(_WORK, "flash"), exist_ok=True)
with open(os.path.join(_WORK, "node.py"), "w") as _f:
    _f.write("print('hello')\n")
with open(os.path.join(_WORK, "flash", "main.py"), "w") as _f:
    _f.write("")
_PATH = os.path.join(_WORK, "scenario.toml")
_OPTIONS = [
    {},
    {"board": "SiPy"},
    {"board": "LoPy", "region": "US915"},
    {"region": "CN470"},
    {"strict_firmware": True, "taken": ("node",)},
]


class Finding(Exception):
    """A ScenarioError that breaks the one-line message contract."""


def test_one_input(data):
    """Loads `data` as a scenario file; returns an outcome label for ScenarioError (or a
    successful load); raises anything the loader raises that it should not."""
    with open(_PATH, "wb") as f:
        f.write(data)
    options = _OPTIONS[len(data) % len(_OPTIONS)]
    try:
        _scenario.load_scenario(_PATH, **options)
    except _scenario.ScenarioError as exc:
        message = str(exc)
        if STRICT_MESSAGES and ("\n" in message or "\r" in message):
            raise Finding(f"ScenarioError message over several lines: {message!r}") from exc
        # The check that fired, without the values: the fallback's feedback.
        return "error:" + re.sub(r"'[^']*'|\"[^\"]*\"|[0-9.e+-]+", "_", message.split(": ", 1)[-1])[:80]
    return "loaded"


def _atheris_main():
    def one(data):
        test_one_input(data)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


# --- the fallback: a seeded mutation loop ------------------------------------------------

_TOKENS = [
    b"[world]", b"[radio]", b"[network]", b"[sigfox]", b"[[device]]", b"[[gateway]]", b"[[downlink]]",
    b"[[sigfox_station]]", b"[[sigfox_downlink]]", b"[device.keys]", b"[device]", b"=", b"\n", b"[", b"]",
    b"{", b"}", b",", b'"', b"'", b'"""', b"'''", b"#", b".", b"true", b"false", b"nan", b"inf", b"-inf",
    b"1e999", b"-0", b"0x7fffffffffffffff", b"99999999999999999999999999999999", b"1979-05-27T07:32:00Z",
    b"07:32:00", b"1979-05-27", b"\\u0000", b"\\uD800", b"\\", b"\x00", b"\xff", b"\xc3\xa9", b"\t", b"\r\n",
    b"seed = ", b"until_s = ", b"time = ", b"log = ", b"pcap = ", b"state = ", b"ntp_epoch_s = ",
    b"reboot_time_ms = ", b"duty_cycle = ", b"name = ", b"target = ", b"script = ", b"board = ",
    b"region = ", b"position_m = ", b"strict_firmware = ", b"wifi_mac = ", b"lpwan_mac = ",
    b"sigfox_id = ", b"sigfox_pac = ", b"dev_eui = ", b"app_eui = ", b"app_key = ", b"dev_addr = ",
    b"nwk_s_key = ", b"app_s_key = ", b"port = ", b"payload = ", b"payload_hex = ", b"confirmed = ",
    b"device = ", b"device_id = ", b"strict = ", b"echo = ", b"adr = ", b"net_id = ",
    b"downlink_loss = ", b"uplinks_per_day = ", b"downlinks_per_day = ", b"capture = ",
    b"preamble_lock_grace_symbols = ", b"path_loss_exponent = ", b"[0, 0]", b"[1e308, 1e308]",
    b'"node.py"', b'"flash"', b'"~"', b'"/"', b'".."', b'"LoPy4"', b'"SiPy"', b'"EU868"', b'"US915"',
    b'"virtual"', b'"real"', b'"00112233"', b'"0011223344556677"', b"[[", b"]]", b"a.b.c = 1",
]


def _mutate(rng, data, corpus):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(9)
        pos = rng.randint(0, len(data))
        if choice == 0 and data:  # flip a bit
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:  # a random byte
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 2:  # insert random bytes
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 3 and data:  # delete a range
            end = min(len(data), pos + rng.randint(1, 32))
            del data[pos:end]
        elif choice == 4 and data:  # duplicate a range
            start = rng.randrange(len(data))
            chunk = data[start:start + rng.randint(1, 64)]
            data[pos:pos] = chunk
        elif choice == 5 and corpus:  # splice another input in
            other = rng.choice(corpus)
            if other:
                start = rng.randrange(len(other))
                data[pos:pos] = other[start:start + rng.randint(1, 200)]
        elif choice == 6:  # a number somewhere becomes an extreme one
            numbers = [m for m in re.finditer(rb"-?\d+(\.\d+)?", bytes(data))]
            if numbers:
                m = rng.choice(numbers)
                data[m.start():m.end()] = rng.choice([b"0", b"-1", b"1e999", b"nan", b"inf", b"-0.0",
                                                       b"18446744073709551616", b"9" * rng.randint(20, 400),
                                                       b"1.7976931348623157e308", b"5e-324"])
        elif choice == 7:  # deep nesting
            depth = rng.choice([10, 100, 1000, 5000])
            data[pos:pos] = b"x = " + b"[" * depth + b"]" * depth + b"\n" if rng.random() < 0.5 else \
                b"x = " + b"{a = " * depth + b"1" + b"}" * depth + b"\n"
        else:  # a dictionary token
            data[pos:pos] = rng.choice(_TOKENS)
    return bytes(data[:1 << 16])


def _parse_args(argv):
    flags, dirs = {}, []
    for a in argv:
        if a.startswith("-") and "=" in a:
            k, v = a.lstrip("-").split("=", 1)
            flags[k] = v
        elif not a.startswith("-"):
            dirs.append(a)
    return flags, dirs


def _fallback_main():
    flags, dirs = _parse_args(sys.argv[1:])
    seconds = float(flags.get("max_total_time", 60))
    runs = int(flags.get("runs", -1))
    seed = int(flags.get("seed", 1))
    artifacts = flags.get("artifact_prefix", "./")
    rng = random.Random(seed)
    corpus = []
    for d in dirs:
        if os.path.isfile(d):
            with open(d, "rb") as f:
                corpus.append(f.read())
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    corpus.append(f.read())
    if not corpus:
        corpus.append(b"")
    print(f"fuzz_scenario (plain Python fallback, atheris not installed): seed {seed}, "
          f"{len(corpus)} seeds, {seconds:g} s", flush=True)
    outcomes = set()
    findings = {}
    execs = 0
    start = time.monotonic()

    def run(data):
        nonlocal execs
        execs += 1
        try:
            outcome = test_one_input(data)
        except Exception as exc:  # noqa: BLE001 - everything else is a finding
            tb = traceback.extract_tb(exc.__traceback__)
            # The place: the innermost frame of the package (the loader's line that let it out).
            ours = [fr for fr in tb if "usocket_emu" in fr.filename] or tb
            where = f"{os.path.basename(ours[-1].filename)}:{ours[-1].lineno}" if ours else "?"
            key = (type(exc).__name__, where)
            if key not in findings:
                digest = hashlib.sha1(data).hexdigest()
                path = f"{artifacts}crash-{digest}"
                with open(path, "wb") as f:
                    f.write(data)
                findings[key] = path
                print(f"==== finding #{len(findings)}: {type(exc).__name__} at {where}: {str(exc)[:200]}\n"
                      f"     input: {path}\n" + "".join(traceback.format_exception(exc)[-6:]), flush=True)
            return
        if outcome not in outcomes:
            outcomes.add(outcome)
            corpus.append(data)

    for data in list(corpus):
        run(data)
    last_report = start
    while (runs < 0 or execs < runs) and time.monotonic() - start < seconds:
        run(_mutate(rng, rng.choice(corpus), corpus))
        now = time.monotonic()
        if now - last_report >= 10:
            last_report = now
            print(f"#{execs}\texecs/s: {execs / (now - start):.0f}\tcorpus: {len(corpus)}\t"
                  f"outcomes: {len(outcomes)}\tfindings: {len(findings)}", flush=True)
    elapsed = time.monotonic() - start
    print(f"Done {execs} runs in {elapsed:.0f} second(s): exec/s {execs / max(elapsed, 1e-9):.0f}, "
          f"corpus {len(corpus)}, outcomes {len(outcomes)}, findings {len(findings)}", flush=True)
    for (kind, where), path in findings.items():
        print(f"finding: {kind} at {where} -> {path}")
    return 1 if findings else 0


if __name__ == "__main__":
    if atheris is not None:
        _atheris_main()
    else:
        sys.exit(_fallback_main())
