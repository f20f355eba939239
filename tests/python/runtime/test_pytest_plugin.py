# test_pytest_plugin.py: the pytest plugin, as a user's project gets it through its entry point.
"""Runs small user test suites in a fresh pytest process (the plugin comes from the installed
``pytest11`` entry point, nothing is configured by hand) and checks what they saw."""

import json
import os
import subprocess
import sys
import textwrap

#: The user's pytest.ini: strict about warnings, but for the one an editable install of
#: usocket-emu itself causes (its redirect module is imported before pytest starts).
USER_INI = ("[pytest]\nfilterwarnings =\n    error\n"
            "    ignore:Module already imported so cannot be rewritten; _editable_skbc_usocket_emu\n")

#: A bound on one inner pytest run (interpreter start, collection, a few worlds).
INNER_RUN_LIMIT_S = 60.0


def run_inner_pytest(tmp_path, test_source, *args, env=None):
    (tmp_path / "test_user.py").write_text(textwrap.dedent(test_source), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(USER_INI)  # the user's rootdir, not ours
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=INNER_RUN_LIMIT_S, check=False,
        env=dict(os.environ, **(env or {})),
    )


def test_emu_world_is_a_virtual_time_world_closed_after_each_test(tmp_path):
    done = run_inner_pytest(tmp_path, """
        import threading

        def test_a_day_passes(emu_world):
            assert emu_world.time == "virtual"
            node = emu_world.add_device("node", script=(
                "import time, usocket, _thread\\n"
                "s = usocket.socket()\\n"
                "_thread.start_new_thread(time.sleep, (10**6,))\\n"
                "time.sleep(86400)\\n"
                "print('a day later', time.time())\\n"
                "time.sleep(10**6)\\n"))
            emu_world.run(until_s=86401)
            assert node.output == "a day later 86400\\n"
            assert node.stack.open_sockets == 1
            pytest_state["node"] = node

        def test_nothing_of_the_last_world_is_left():
            node = pytest_state["node"]
            assert node.stack.open_sockets == 0
            assert [t.name for t in threading.enumerate() if t.name.startswith("node:")] == []

        pytest_state = {}
    """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_each_test_has_its_own_stable_seed(tmp_path):
    source = """
        import json, os

        SCRIPT = "import crypto\\nprint(crypto.getrandbits(64))\\n"

        def _draw(world):
            dev = world.add_device("d", script=SCRIPT)
            world.run()
            return dev.output

        def test_one(emu_world):
            record("one", _draw(emu_world))

        def test_two(emu_world):
            record("two", _draw(emu_world))

        def test_explicit_seed(make_emu_world):
            record("seed5", _draw(make_emu_world(seed=5)))
            record("seed5_again", _draw(make_emu_world(seed=5)))

        def record(key, value):
            path = os.environ["DRAWS"]
            data = {}
            if os.path.exists(path):
                with open(path) as f:
                    data = json.load(f)
            data.setdefault(key, []).append(value)
            with open(path, "w") as f:
                json.dump(data, f)
    """
    draws = tmp_path / "draws.json"
    for _ in range(2):
        done = run_inner_pytest(tmp_path, source, env={"DRAWS": str(draws)})
        assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(draws.read_text())
    assert data["one"][0] == data["one"][1]          # the same test, the same numbers
    assert data["two"][0] == data["two"][1]
    assert data["one"][0] != data["two"][0]          # another test, other numbers
    assert data["seed5"] == data["seed5_again"]


def test_make_emu_world_takes_world_arguments(tmp_path):
    done = run_inner_pytest(tmp_path, """
        from usocket_emu.pytest_plugin import NTP_EPOCH_S

        def test_real_and_logged(make_emu_world, tmp_path):
            world = make_emu_world(time="real", log=tmp_path / "log.jsonl")
            assert world.time == "real" and world.ntp_epoch_s == NTP_EPOCH_S
            dev = world.add_device("d", script="print('hi')")
            world.run()
            assert dev.output == "hi\\n"
            assert '"event": "boot"' in (tmp_path / "log.jsonl").read_text()
    """)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_device_thread_left_alive_fails_the_test(tmp_path):
    # A thread carrying a device thread's name that nothing can stop stands for a runtime
    # bug: the plugin must report it rather than let it leak into later tests.
    done = run_inner_pytest(tmp_path, """
        import threading

        def test_leaks(emu_world):
            emu_world.add_device("stuck", script="x = 1")
            emu_world.run()
            threading.Thread(target=threading.Event().wait, name="stuck:thread", daemon=True).start()
    """)
    assert done.returncode == 1
    assert "device thread(s) still alive" in done.stdout and "stuck:thread" in done.stdout


def test_a_device_socket_left_open_fails_the_test(tmp_path):
    done = run_inner_pytest(tmp_path, """
        KEPT = []

        def test_keeps_a_socket(emu_world):
            dev = emu_world.add_device("d", script="import usocket\\nS = usocket.socket()\\n")
            emu_world.run()
            KEPT.append(dev.modules["__main__"].S)  # outlives the world
    """)
    assert done.returncode == 1
    assert "sockets still open after the world closed" in done.stdout and "0/d" in done.stdout


def test_a_watchdog_thread_counts_as_a_device_thread(tmp_path):
    done = run_inner_pytest(tmp_path, """
        import threading

        def test_leaks(emu_world):
            emu_world.add_device("w", script="x = 1")
            emu_world.run()
            threading.Thread(target=threading.Event().wait, name="w:WDT", daemon=True).start()
    """)
    assert done.returncode == 1 and "w:WDT" in done.stdout


def test_the_plugin_is_registered_by_entry_point():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("usocket_emu") == "usocket_emu.pytest_plugin"
    assert json.dumps(names)  # plain strings
