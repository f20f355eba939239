# test_examples.py: every example in examples/python runs and prints what its README promises.
"""Smoke runs of the examples, with their output checked line by line where it is
deterministic (virtual time, pinned seed and NTP)."""

import pathlib
import subprocess
import sys

from usocket_emu import cli

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
