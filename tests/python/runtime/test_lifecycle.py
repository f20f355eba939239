"""Boots, crashes, soft resets, threads and the clock of a device."""

import json
import textwrap

from runtime_support import NTP_EPOCH_S, run_script
from usocket_emu import World


def test_virtual_time_jumps_over_sleeps_exactly():
    _dev, out, events = run_script("""
        import time
        print(time.ticks_ms(), time.time())
        time.sleep(60)
        time.sleep_ms(1500)
        time.sleep_us(250)
        print(time.ticks_us(), time.time())
    """)
    assert out == "0 0\n61500250 61\n"
    assert [e["event"] for e in events] == ["device_added", "boot", "main_end"]
    assert events[-1]["t_us"] == 61_500_250


def test_run_until_pauses_and_a_later_run_continues():
    script = "import time\nfor i in range(5):\n    time.sleep(10)\n    print(i, time.ticks_ms())\n"
    with World(seed=1) as world:
        dev = world.add_device("d", script=script)
        assert world.run(until_s=25) == "until_reached"
        assert world.now_us == 25_000_000
        assert dev.output == "0 10000\n1 20000\n"
        assert world.run(until_s=100) == "idle"
        assert dev.output.endswith("4 50000\n")
        assert world.now_us == 50_000_000


def test_uncaught_exception_prints_a_traceback_of_the_users_file(tmp_path):
    script = tmp_path / "main.py"
    script.write_text("import time\n\ntime.sleep(1)\nraise OSError(11)\n")
    with World(seed=1) as world:
        dev = world.add_device("d", str(script))
        world.run()
        out = dev.output
        assert dev.died
        assert isinstance(dev.exit_exception, OSError)
    assert out == (
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 4, in <module>\n'
        "    raise OSError(11)\n"
        "OSError: 11\n"
    )


def test_one_device_dying_does_not_stop_the_others():
    with World(seed=1) as world:
        bad = world.add_device("bad", script="import time\ntime.sleep(1)\n1/0\n")
        good = world.add_device("good", script="import time\nfor i in range(3):\n    time.sleep(1)\n    print(i)\n")
        world.run()
        assert bad.died and isinstance(bad.exit_exception, ZeroDivisionError)
        assert "ZeroDivisionError" in bad.output
        assert good.output == "0\n1\n2\n" and not good.died
        assert [e["device"] for e in world.events("crash")] == ["bad"]


def test_sys_exit_in_main_is_a_soft_reset():
    script = """
        import pycom, sys
        n = pycom.nvs_get('n', 0) + 1
        pycom.nvs_set('n', n)
        print('boot', n)
        if n < 3:
            sys.exit()
    """
    dev, out, events = run_script(script)
    assert out == "boot 1\nboot 2\nboot 3\n"
    assert dev.reboots == 2 and dev.boots == 3
    resets = [e for e in events if e["event"] == "reset"]
    assert [e["reset_cause"] for e in resets] == [4, 4]  # SOFT_RESET
    boots = [e["t_us"] for e in events if e["event"] == "boot"]
    assert boots == [0, 500_000, 1_000_000]  # REBOOT_TIME_US each


def test_same_seed_same_output_and_log(tmp_path):
    script = """
        import time, uos, machine
        for i in range(3):
            time.sleep(machine.rng() % 100)
            print(i, time.ticks_ms(), uos.urandom(4))
    """

    def once(log):
        with World(seed=42, log=log) as world:
            devs = [world.add_device(n, script=textwrap.dedent(script)) for n in ("a", "b")]
            world.run()
            return [d.output for d in devs]

    first = once(tmp_path / "1.jsonl")
    second = once(tmp_path / "2.jsonl")
    assert first == second and first[0] != first[1]
    assert (tmp_path / "1.jsonl").read_bytes() == (tmp_path / "2.jsonl").read_bytes()
    lines = (tmp_path / "1.jsonl").read_text().splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_threads_belong_to_their_device_and_locks_let_time_run():
    _dev, out, _ = run_script("""
        import _thread, time
        lock = _thread.allocate_lock()
        done = []
        def worker(n):
            with lock:
                time.sleep(n)
                done.append((n, time.ticks_ms()))
        lock.acquire()
        for n in (1, 2):
            _thread.start_new_thread(worker, (n,))
        time.sleep(5)
        lock.release()
        time.sleep(10)
        print(sorted(done))
        print(lock.acquire(0), lock.locked(), lock.acquire(1, 0.5), time.ticks_ms())
    """)
    assert out == "[(1, 6000), (2, 8000)]\nTrue True False 15500\n"


def test_unhandled_exception_in_a_thread_is_printed_and_main_goes_on():
    _dev, out, _ = run_script("""
        import _thread, time
        def boom():
            raise ValueError('x')
        _thread.start_new_thread(boom, ())
        time.sleep(1)
        print('main alive')
    """)
    assert out.startswith("Unhandled exception in thread started by <function boom")
    assert "ValueError: x\n" in out and out.endswith("main alive\n")


def test_ntp_epoch_is_pinnable():
    with World(seed=1, ntp_epoch_s=NTP_EPOCH_S) as world:
        assert world.ntp_epoch_s == NTP_EPOCH_S


def test_real_time_mode_follows_the_wall_clock():
    import time as host_time
    with World(time="real", seed=1) as world:
        dev = world.add_device("d", script="import time\ntime.sleep_ms(30)\nprint(time.ticks_ms() >= 30)\n")
        started = host_time.monotonic()
        assert world.run() == "idle"
        assert host_time.monotonic() - started >= 0.03
        assert dev.output == "True\n"


def test_socket_errors_raised_inside_device_code_are_the_devices():
    # The extension raises device errors while a device frame (with its own __import__) runs.
    _dev, out, _ = run_script("""
        import usocket
        s = usocket.socket()
        s.close()
        try:
            s.send(b'x')
        except OSError as e:
            print(e.args, e)
        try:
            usocket.socket(usocket.AF_LORA)
        except OSError as e:
            print(e)
    """)
    assert out == "(9,) [Errno 9] EBADF\nNetwork card not available\n"


def test_files_adds_generated_modules_to_the_flash():
    with World(seed=1) as world:
        dev = world.add_device("d", script="import cfg\nprint(cfg.PORT)\n", files={"cfg.py": "PORT = 7\n"})
        world.run()
        assert dev.output == "7\n"


def test_closing_the_world_closes_the_devices_sockets():
    with World(seed=1) as world:
        dev = world.add_device("d", script="import usocket\nS = usocket.socket()\nU = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)\n")
        world.run()
        assert dev.stack.open_sockets == 2
    assert dev.stack.open_sockets == 0


def test_huge_waits_raise_overflow_error_in_the_script():
    _dev, out, _ = run_script("""
        import time, machine
        for call in (lambda: time.sleep_ms(2**62), lambda: time.sleep_us(2**40),
                     lambda: time.sleep(1e300), lambda: machine.deepsleep(2**62),
                     lambda: machine.Timer.Alarm(print, 1e30)):
            try:
                call()
            except OverflowError:
                print('OverflowError')
        print('alive', time.ticks_ms())
    """)
    assert out == "OverflowError\n" * 5 + "alive 0\n"


def test_world_arguments_are_checked():
    import pytest

    for kwargs in ({"seed": -1}, {"seed": 2**64}, {"ntp_epoch_s": 1e300}, {"ntp_epoch_s": float("nan")},
                   {"reboot_time_ms": -1}):
        with pytest.raises(ValueError):
            World(**kwargs)
    with World() as world:
        for name in ("", ".", "..", "a/b", "a\\b", " a"):
            with pytest.raises(ValueError):
                world.add_device(name, script="x = 1")
        world.add_device("ok", script="x = 1")
        with pytest.raises(ValueError):
            world.run(until_s=1e300)


def test_device_io_open_is_the_flash_open():
    _dev, out, _ = run_script("""
        import uio, io
        with uio.open('/flash/note.txt', 'w') as f:
            f.write('on the flash')
        print(io.open('note.txt').read(), uio.open is open)
        try:
            uio.open('/etc/hostname')
        except OSError as e:
            print('outside', e.args[0])
        b = uio.BytesIO(b'ab')
        print(b.read(), uio.StringIO('x').getvalue())
    """)
    assert out == "on the flash True\noutside 19\nb'ab' x\n"


def test_oserror_errno_exists_only_outside_the_strict_profile():
    script = """
        import usocket
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.close()
        try:
            s.send(b'x')
        except OSError as e:
            print(e.args, hasattr(e, 'errno'))
            ERR = e
    """
    for strict, has_errno in ((False, True), (True, False)):
        with World(seed=1) as world:
            dev = world.add_device("d", script=textwrap.dedent(script), strict_firmware=strict)
            world.run()
            assert dev.output == f"(9,) {has_errno}\n"
            assert dev.modules["__main__"].ERR.errno == 9  # host code always sees it
