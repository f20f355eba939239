# test_utime_uselect_sys_thread.py: utime/time, uselect/select, sys and _thread of a device.
"""Expected values come from the firmware source (pycom-micropython-sigfox, Release/v1.20):
esp32/mods/modutime.c (+ esp32/hal/esp32_mphal.c for the sleeps), esp32/mods/moduselect.c
and lwipsocket.c (the socket's poll ioctl), py/modsys.c and py/modthread.c of the merged
MicroPython 1.11 core. Everything runs in virtual time."""

from __future__ import annotations

import calendar
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_support import run_script
from support import free_port

from usocket_emu import World

BOOT_US = 500_000  # REBOOT_TIME_US


def lines(out):
    return out.splitlines()


# --- utime: sleeps and ticks ----------------------------------------------------------------------

def test_sleeps_take_exactly_their_emulated_time():
    _dev, out, events = run_script("""
        import utime, time
        print(time is utime, utime.__name__)
        t0 = utime.ticks_us()
        utime.sleep(2); a = utime.ticks_us()
        utime.sleep(0.25); b = utime.ticks_us()
        utime.sleep(0.0015); c = utime.ticks_us()       # whole milliseconds: 1 ms
        utime.sleep(True); d = utime.ticks_us()
        utime.sleep_ms(7); e = utime.ticks_us()
        utime.sleep_us(42); f = utime.ticks_us()
        utime.sleep(0); utime.sleep_ms(0); utime.sleep_us(0); g = utime.ticks_us()
        utime.sleep(-1); h = utime.ticks_us()
        print(t0, a - t0, b - a, c - b, d - c, e - d, f - e, g - f, h - g)
        print(utime.sleep(0), utime.sleep_ms(1), utime.sleep_us(1))
    """)
    assert lines(out) == [
        "True utime",
        "0 2000000 250000 1000 1000000 7000 42 0 0",
        "None None None",
    ]
    assert events[-1]["t_us"] == 3_258_042 + 1000 + 1


@pytest.mark.parametrize(("call", "error"), [
    ("utime.sleep('1')", "TypeError can't convert str to float"),
    ("utime.sleep(None)", "TypeError can't convert NoneType to float"),
    ("utime.sleep_ms(1.5)", "TypeError can't convert float to int"),
    ("utime.sleep_us('5')", "TypeError can't convert str to int"),
    ("utime.sleep_ms(2**31)", "OverflowError overflow converting long int to machine word"),
    ("utime.sleep_us(2**31)", "OverflowError overflow converting long int to machine word"),
    ("utime.sleep_us(-2**31 - 1)", "OverflowError overflow converting long int to machine word"),
    ("utime.ticks_diff(1.0, 0)", "TypeError can't convert float to int"),
    ("utime.ticks_add(0, None)", "TypeError can't convert NoneType to int"),
    ("utime.gmtime(1.5)", "TypeError can't convert float to int"),
    ("utime.localtime(2**31)", "OverflowError overflow converting long int to machine word"),
    ("utime.timezone(2**31)", "OverflowError overflow converting long int to machine word"),
    ("utime.timezone('1')", "TypeError can't convert str to int"),
    ("utime.mktime(5)", "TypeError object 'int' isn't a tuple or list"),
    ("utime.mktime((2020, 1, 1))", "TypeError mktime needs a tuple of length 8 or 9 (3 given)"),
    ("utime.mktime((0,) * 10)", "TypeError mktime needs a tuple of length 8 or 9 (10 given)"),
    ("utime.mktime([2020, 1, '1', 0, 0, 0, 0, 0])", "TypeError can't convert str to int"),
])
def test_utime_argument_errors(call, error):
    _dev, out, events = run_script(f"""
        import utime
        try:
            {call}
            print('no error')
        except Exception as e:
            print(type(e).__name__, e)
        print(utime.ticks_ms())
    """)
    assert lines(out) == [error, "0"]


def test_a_negative_sleep_ms_wraps_to_uint32_as_mp_hal_delay_ms_does():
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", script="import time\nprint('start')\ntime.sleep_ms(-1)\nprint('woke')\n")
        world.run(until_s=3600)
        assert dev.output == "start\n"  # 2**32 - 1 ms is 49.7 days
        world.run(until_s=(2**32 - 1) / 1000 + 1)
        assert dev.output == "start\nwoke\n"
        assert world.now_us == (2**32 - 1) * 1000


def test_ticks_count_from_boot_and_start_again_after_a_reset():
    dev, out, events = run_script("""
        import machine, utime
        print(machine.reset_cause(), utime.ticks_ms(), utime.ticks_us(), utime.ticks_cpu())
        utime.sleep_ms(1234)
        print(utime.ticks_ms(), utime.ticks_us(), utime.ticks_cpu())
        if machine.reset_cause() == machine.PWRON_RESET:
            machine.deepsleep(1000)
    """)
    assert lines(out) == ["0 0 0 0", "1234 1234000 1234000", "3 0 0 0", "1234 1234000 1234000"]
    assert [e["t_us"] for e in events if e["event"] == "boot"] == [0, 1_234_000 + 1_000_000 + BOOT_US]


def test_ticks_wrap_at_2_32_and_ticks_diff_is_signed_32_bit_across_the_wrap():
    # 2**32 us is 71.6 minutes of uptime: ticks_us wraps there, ticks_ms much later
    _dev, out, _ = run_script("""
        import utime
        utime.sleep_us(2**31 - 1); utime.sleep_us(2**31 - 1)
        before = utime.ticks_us()
        utime.sleep_us(5)
        after = utime.ticks_us()
        print(before, after, utime.ticks_cpu(), utime.ticks_diff(after, before), utime.ticks_diff(before, after))
        print(utime.ticks_ms())
        print(utime.ticks_diff(0, 2**32 - 1), utime.ticks_diff(2**31, 0), utime.ticks_diff(2**31 - 1, 0),
              utime.ticks_diff(5, 5), utime.ticks_diff(0, 2**31 + 1), utime.ticks_diff(-1, 0))
        print(utime.ticks_add(2**32 - 1, 1), utime.ticks_add(0, -1), utime.ticks_add(10, -20),
              utime.ticks_add(2**32 - 10, 2**32 + 20), utime.ticks_add(-5, 0))
        deadline = utime.ticks_add(utime.ticks_ms(), 100)
        n = 0
        while utime.ticks_diff(deadline, utime.ticks_ms()) > 0:
            utime.sleep_ms(30); n += 1
        print(n, utime.ticks_diff(utime.ticks_ms(), deadline))
    """)
    assert lines(out) == [
        f"{2**32 - 2} 3 3 5 -5",
        f"{(2**32 + 3) // 1000}",
        f"1 {-2**31} {2**31 - 1} 0 {2**31 - 1} -1",
        f"0 {2**32 - 1} {2**32 - 10} 10 {2**32 - 5}",
        "4 20",
    ]


def test_ticks_are_non_negative_ints():
    _dev, out, _ = run_script("""
        import utime
        utime.sleep(1)
        for f in (utime.ticks_ms, utime.ticks_us, utime.ticks_cpu, utime.time):
            v = f()
            print(type(v).__name__, v >= 0)
    """)
    assert lines(out) == ["int True"] * 4


# --- utime: the RTC calendar ----------------------------------------------------------------------

def test_time_starts_at_1970_and_follows_the_rtc():
    _dev, out, _ = run_script("""
        import machine, utime
        print(utime.time(), utime.gmtime(), utime.localtime())
        utime.sleep(1.5)
        print(utime.time())
        machine.RTC().init((2021, 2, 28, 23, 59, 58))
        print(utime.time(), utime.gmtime())
        utime.sleep(3)
        print(utime.time(), utime.gmtime(None), utime.ticks_ms())
    """)
    t = calendar.timegm((2021, 2, 28, 23, 59, 58))
    assert lines(out) == [
        "0 (1970, 1, 1, 0, 0, 0, 3, 1) (1970, 1, 1, 0, 0, 0, 3, 1)",
        "1",
        f"{t} (2021, 2, 28, 23, 59, 58, 6, 59)",
        f"{t + 3} (2021, 3, 1, 0, 0, 1, 0, 60) 4500",
    ]


def test_gmtime_localtime_and_timezone():
    _dev, out, _ = run_script("""
        import utime
        print(utime.timezone(), utime.timezone(3600), utime.timezone(), utime.timezone(None))
        print(utime.gmtime(951782400), utime.localtime(951782400))   # 2000-02-29 leap day
        print(utime.gmtime(1609459199), utime.gmtime(2**31 - 1))     # 2020-12-31: yearday 366
        print(utime.mktime((2000, 2, 29, 1, 0, 0, 0, 0)), utime.mktime(utime.localtime(951782400)))
        utime.timezone(-7200)
        print(utime.localtime(0), utime.mktime((1970, 1, 1, 0, 0, 0, 0, 0)))
        print(len(utime.gmtime()), type(utime.gmtime()).__name__)
    """)
    assert lines(out) == [
        "0 None 3600 3600",
        "(2000, 2, 29, 0, 0, 0, 1, 60) (2000, 2, 29, 1, 0, 0, 1, 60)",
        "(2020, 12, 31, 23, 59, 59, 3, 366) (2038, 1, 19, 3, 14, 7, 1, 19)",
        "951782400 951782400",
        "(1969, 12, 31, 22, 0, 0, 2, 365) 7200",
        "8 tuple",
    ]


def test_timezone_is_lost_at_a_reset():
    _dev, out, _ = run_script("""
        import machine, utime
        print(utime.timezone())
        if machine.reset_cause() == machine.PWRON_RESET:
            utime.timezone(600)
            machine.reset()
    """)
    assert out == "0\n0\n"


def test_mktime_lengths_lists_and_carry_over():
    _dev, out, _ = run_script("""
        import utime
        base = utime.mktime((2021, 1, 1, 0, 0, 0, 0, 0))
        print(base, utime.mktime((2021, 1, 1, 0, 0, 0, 4, 1, -1)), utime.mktime([2021, 1, 1, 0, 0, 0, 0, 0]))
        print(utime.gmtime(utime.mktime((2020, 13, 1, 0, 0, 0, 0, 0))))     # month 13: January
        print(utime.mktime((2021, 1, 1, 0, 0, 3600, 0, 0)) - base)          # seconds 3600: an hour
        print(utime.gmtime(utime.mktime((2021, 1, 32, 0, 0, 0, 0, 0))))     # day 32: February 1
        print(utime.gmtime(utime.mktime((2021, 3, 0, 0, 0, 0, 0, 0))))      # day 0: February 28
        print(utime.gmtime(utime.mktime((2021, 1, 1, 0, 0, -1, 0, 0))))     # one second before
        print(utime.gmtime(utime.mktime((2021, 0, 1, 25, 61, 0, 9, 999))))  # month 0: December
        print(type(base).__name__)
    """)
    assert lines(out) == [
        "1609459200 1609459200 1609459200",
        "(2021, 1, 1, 0, 0, 0, 4, 1)",
        "3600",
        "(2021, 2, 1, 0, 0, 0, 0, 32)",
        "(2021, 2, 28, 0, 0, 0, 6, 59)",
        "(2020, 12, 31, 23, 59, 59, 3, 366)",
        "(2020, 12, 2, 2, 1, 0, 2, 337)",
        "int",
    ]


def test_utime_has_no_cpython_only_functions():
    _dev, out, _ = run_script("""
        import utime
        for name in ('time_ns', 'strftime', 'monotonic', 'perf_counter', 'struct_time', 'ticks_ns'):
            try:
                getattr(utime, name)
                print(name, 'present')
            except AttributeError:
                print(name, 'AttributeError')
        print(sorted(n for n in dir(utime) if not n.startswith('_')))
    """)
    names = ["time_ns", "strftime", "monotonic", "perf_counter", "struct_time", "ticks_ns"]
    assert lines(out)[:6] == [f"{n} AttributeError" for n in names]
    assert lines(out)[6] == str(sorted([
        "gmtime", "localtime", "mktime", "sleep", "sleep_ms", "sleep_us", "ticks_add", "ticks_cpu",
        "ticks_diff", "ticks_ms", "ticks_us", "time", "timezone"]))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=-2**31, max_value=2**31 - 1), min_size=1, max_size=8),
       st.integers(min_value=-12 * 3600, max_value=14 * 3600))
def test_gmtime_mktime_round_trip(seconds, tz):
    _dev, out, _ = run_script(f"""
        import utime
        for s in {seconds!r}:
            g = utime.gmtime(s)
            print(g, utime.mktime(g) == s)
        utime.timezone({tz})
        for s in {seconds!r}:
            if -2**31 <= s + {tz} < 2**31:
                print(utime.mktime(utime.localtime(s)) == s)
    """)
    got = lines(out)
    for s, line in zip(seconds, got):
        import time
        t = time.gmtime(s)
        assert line == f"{(t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_wday, t.tm_yday)} True"
    assert all(line == "True" for line in got[len(seconds):])


# --- uselect ----------------------------------------------------------------------------------------

def test_uselect_module_constants_and_names():
    _dev, out, _ = run_script("""
        import uselect, select
        print(select is uselect, uselect.__name__)
        print(uselect.POLLIN, uselect.POLLOUT, uselect.POLLERR, uselect.POLLHUP)
        print(hasattr(uselect, 'ipoll'), hasattr(uselect, 'epoll'))
        p = uselect.poll()
        print(type(p).__name__, sorted(n for n in dir(p) if not n.startswith('_')))
    """)
    assert lines(out) == [
        "True uselect",
        "1 4 8 16",
        "False False",
        "poll ['modify', 'poll', 'register', 'unregister']",
    ]


def udp_script(body):
    port = free_port()
    return textwrap.dedent(f"""
        import usocket, uselect, utime
        PORT = {port}
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(('127.0.0.1', PORT))
    """) + textwrap.dedent(body)


def test_poll_register_modify_unregister_and_timeouts():
    _dev, out, _ = run_script(udp_script("""
        p = uselect.poll()
        print(p.register(s, uselect.POLLIN))
        t = utime.ticks_ms()
        print(p.poll(0), utime.ticks_ms() - t)
        print(p.poll(30), utime.ticks_ms() - t)             # expires after 30 ms of device time
        s.sendto(b'ping', ('127.0.0.1', PORT))
        r = p.poll(1000)
        print(r[0][0] is s, r[0][1], utime.ticks_ms() - t)  # readable at once
        print(p.modify(s, uselect.POLLIN | uselect.POLLOUT), p.poll(0)[0][1])
        p.register(s, uselect.POLLOUT)                      # registering again replaces the mask
        print(p.poll(None)[0][1], p.poll(-1)[0][1])
        p.modify(s, uselect.POLLIN | uselect.POLLHUP | uselect.POLLERR)
        print(p.poll(5)[0][1])                              # no HUP/ERR on a healthy socket
        print(s.recv(8), p.poll(10), utime.ticks_ms() - t)
        print(p.unregister(s), p.unregister(s), p.poll(20), utime.ticks_ms() - t)
        try:
            p.modify(s, uselect.POLLIN)
        except OSError as e:
            print('OSError', e.args)
    """))
    assert lines(out) == [
        "None",
        "[] 0",
        "[] 30",
        "True 1 30",
        "None 5",
        "4 4",
        "1",
        "b'ping' [] 40",
        "None None [] 60",
        "OSError (2,)",
    ]


def test_poll_default_mask_and_oneshot():
    _dev, out, _ = run_script(udp_script("""
        p = uselect.poll()
        p.register(s)
        print(p.poll(0)[0][1])
        s.sendto(b'x', ('127.0.0.1', PORT))
        print(p.poll(0)[0][1], p.poll(0, 1)[0][1], p.poll(10), utime.ticks_ms())
        p.modify(s, uselect.POLLIN)
        print(p.poll(0)[0][1])
    """))
    assert lines(out) == ["4", "5 5 [] 10", "1"]


def test_select_over_sockets():
    _dev, out, _ = run_script(udp_script("""
        t = utime.ticks_ms()
        print(uselect.select([s], [], [], 0), utime.ticks_ms() - t)
        print(uselect.select([s], [], [s], 0.05), utime.ticks_ms() - t)
        print(uselect.select([s], [], [], 0.0005), utime.ticks_ms() - t)   # under 1 ms: 0
        r, w, x = uselect.select((s,), [s], [], None)
        print(r, w == [s], x, type(r).__name__)
        s.sendto(b'hi', ('127.0.0.1', PORT))
        r, w, x = uselect.select([s], [s], [s], 5)
        print(r == [s], w == [s], x, utime.ticks_ms() - t)
        r, w, x = uselect.select([s, s], [], [], -1)
        print(len(r), s.recv(4))
        print(uselect.select([], [], [], 0.02), utime.ticks_ms() - t)
    """))
    assert lines(out) == [
        "([], [], []) 0",
        "([], [], []) 50",
        "([], [], []) 50",
        "[] True [] list",
        "True True [] 50",
        "1 b'hi'",
        "([], [], []) 70",
    ]


@pytest.mark.parametrize(("call", "error"), [
    ("uselect.select([1], [], [])", "TypeError object with stream.ioctl required"),
    ("uselect.select({s}, [], [], 0)", "TypeError object 'set' isn't a tuple or list"),
    ("uselect.select([s], [], [], '1')", "TypeError can't convert str to float"),
    ("uselect.select([s], [])", "TypeError"),
    ("uselect.poll().register('x')", "TypeError object with stream.ioctl required"),
    ("uselect.poll().register(s, 1.0)", "TypeError can't convert float to int"),
    ("uselect.poll().poll(1.5)", "TypeError can't convert float to int"),
    ("uselect.poll().modify(s, 1)", "OSError [Errno 2] ENOENT"),
    ("closed_poll()", "OSError [Errno 9] EBADF"),
])
def test_uselect_argument_errors(call, error):
    _dev, out, _ = run_script(udp_script(f"""
        def closed_poll():
            p = uselect.poll()
            p.register(s)
            s.close()
            p.poll(0)
        try:
            {call}
            print('no error')
        except Exception as e:
            print(type(e).__name__, e)
    """))
    assert out.startswith(error)


def test_a_poll_waiting_for_another_device_lets_virtual_time_run():
    port = free_port()
    receiver = textwrap.dedent(f"""
        import usocket, uselect, utime
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(('127.0.0.1', {port}))
        p = uselect.poll()
        p.register(s, uselect.POLLIN)
        print(p.poll(), utime.ticks_ms(), s.recv(8))
    """).replace("print(p.poll(),", "print(len(p.poll()),")
    sender = textwrap.dedent(f"""
        import usocket, utime
        utime.sleep_ms(40)
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        u.sendto(b'late', ('127.0.0.1', {port}))
        u.close()
    """)
    with World(time="virtual", seed=1) as world:
        rx = world.add_device("rx", script=receiver)
        world.add_device("tx", script=sender)
        assert world.run(until_s=10) == "idle"
        assert rx.output in ("1 40 b'late'\n", "1 41 b'late'\n")


# --- sys ---------------------------------------------------------------------------------------------

def test_sys_attributes():
    _dev, out, _ = run_script("""
        import sys
        print(sys.platform, sys.byteorder, sys.maxsize, sys.maxsize == 2**31 - 1)
        print(sys.implementation, sys.implementation.name, sys.implementation.version)
        print(sys.version, sys.version_info, sys.argv, sys.path)
        print(type(sys.modules).__name__, 'sys' in sys.modules, 'utime' in sys.modules)
        print(sys.stdout is sys.stderr, sys.exc_info())
        try:
            1 / 0
        except ZeroDivisionError as e:
            t, v, tb = sys.exc_info()
            print(t.__name__, v is e, tb)
        print(sys.stdout.write('written\\n'))
        sys.stdout.write('no newline')
        print()
    """, board="FiPy")
    assert lines(out) == [
        "FiPy little 2147483647 True",
        "(name='micropython', version=(1, 11, 0)) micropython (1, 11, 0)",
        "3.4.0 (3, 4, 0) [] ['', '/flash', '/flash/lib']",
        "dict False False",
        "True (None, None, None)",
        "ZeroDivisionError True None",
        "written",
        "8",
        "no newline",
    ]


def test_sys_modules_holds_the_scripts_own_modules(tmp_path):
    _dev, out, _ = run_script("""
        import sys, helper
        print(sys.modules['helper'] is helper, helper.X)
    """, files={"lib/helper.py": "X = 5\n"})
    assert out == "True 5\n"


def test_sys_exit_arguments():
    _dev, out, _ = run_script("""
        import sys
        for args in ((), (None,), (3,), ('bye',)):
            try:
                sys.exit(*args)
            except SystemExit as e:
                print(e.args)
        try:
            sys.exit(1, 2)
        except TypeError:
            print('TypeError')
    """)
    assert lines(out) == ["()", "(None,)", "(3,)", "('bye',)", "TypeError"]


def test_sys_exit_in_main_is_a_soft_reset_and_in_a_thread_ends_the_thread():
    dev, out, events = run_script("""
        import machine, sys, _thread, time
        print('boot', machine.reset_cause())
        def worker():
            print('worker')
            sys.exit()
            print('not reached')
        if machine.reset_cause() != machine.SOFT_RESET:
            _thread.start_new_thread(worker, ())
            time.sleep(1)
            print('main goes on')
            sys.exit(0)
        print('done')
    """)
    assert lines(out) == ["boot 0", "worker", "main goes on", "boot 4", "done"]
    assert [e["reset_cause"] for e in events if e["event"] == "reset"] == [4]
    assert not dev.died


def test_print_exception_shows_only_the_scripts_frames(tmp_path):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        import sys, uio
        def inner():
            raise ValueError('bad', 2)
        try:
            inner()
        except ValueError as e:
            sys.print_exception(e)
            buf = uio.StringIO()
            sys.print_exception(e, buf)
            print(buf.getvalue().endswith("ValueError: ('bad', 2)\\n"), buf.getvalue().count('File'))
        try:
            import utime
            utime.sleep('x')
        except TypeError as e:
            sys.print_exception(e)
        sys.print_exception(OSError(11))
        sys.print_exception(42)
    """).lstrip())
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", str(script))
        world.run()
    out = dev.output
    assert out == (
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 5, in <module>\n'
        "    inner()\n"
        f'  File "{script}", line 3, in inner\n'
        "    raise ValueError('bad', 2)\n"
        "ValueError: ('bad', 2)\n"
        "True 2\n"
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 13, in <module>\n'
        "    utime.sleep('x')\n"
        "TypeError: can't convert str to float\n"
        "OSError: 11\n"
        "42\n"
    )
    assert "usocket_emu" not in out


# --- _thread --------------------------------------------------------------------------------------

def test_thread_module_names():
    _dev, out, _ = run_script("""
        import _thread
        print(_thread.__name__, sorted(n for n in dir(_thread) if not n.startswith('_')))
        lock = _thread.allocate_lock()
        print(type(lock).__name__, isinstance(lock, _thread.LockType), type(lock) is _thread.LockType)
        try:
            _thread.LockType()
        except TypeError as e:
            print('TypeError', e)
    """)
    assert lines(out) == [
        "_thread ['LockType', 'allocate_lock', 'exit', 'get_ident', 'stack_size', 'start_new_thread']",
        "lock True True",
        "TypeError cannot create 'lock' instances",
    ]


def test_start_new_thread_args_kwargs_and_idents():
    _dev, out, _ = run_script("""
        import _thread, time
        seen = []
        main = _thread.get_ident()
        def worker(a, b=0, *, c=None):
            time.sleep(a)
            seen.append((a, b, c, time.ticks_ms(), _thread.get_ident()))
        print(_thread.start_new_thread(worker, (2,)))
        print(_thread.start_new_thread(worker, [1, 'x']))
        print(_thread.start_new_thread(worker, (3,), {'b': 'kw', 'c': 'kc'}))
        print(_thread.start_new_thread(worker, (), {'a': 4}))
        time.sleep(10)
        for a, b, c, t, ident in sorted(seen):
            print(a, b, c, t)
        idents = {s[4] for s in seen}
        print(len(idents), main in idents, type(main).__name__)
    """)
    assert lines(out) == [
        "None", "None", "None", "None",
        "1 x None 1000",
        "2 0 None 2000",
        "3 kw kc 3000",
        "4 0 None 4000",
        "4 False int",
    ]


@pytest.mark.parametrize(("call", "error"), [
    ("_thread.start_new_thread(f, 5)", "TypeError object 'int' isn't a tuple or list"),
    ("_thread.start_new_thread(f, None)", "TypeError object 'NoneType' isn't a tuple or list"),
    ("_thread.start_new_thread(f, (), [('a', 1)])", "TypeError expecting a dict for keyword args"),
    ("_thread.start_new_thread(f, (), None)", "TypeError expecting a dict for keyword args"),
    ("_thread.start_new_thread(f)", "TypeError"),
    ("_thread.allocate_lock().acquire(1.5)", "TypeError can't convert float to int"),
    ("_thread.allocate_lock().release()", "RuntimeError "),
    ("_thread.stack_size('x')", "TypeError can't convert str to int"),
    ("_thread.stack_size(None)", "TypeError can't convert NoneType to int"),
])
def test_thread_argument_errors(call, error):
    _dev, out, _ = run_script(f"""
        import _thread, time
        def f(*a, **k):
            print('ran')
        try:
            {call}
            print('no error')
        except Exception as e:
            print(type(e).__name__, e)
        time.sleep(1)
    """)
    assert out.startswith(error)
    assert "ran" not in out


def test_release_of_an_unlocked_lock_is_a_bare_runtime_error():
    _dev, out, _ = run_script("""
        import _thread
        lock = _thread.allocate_lock()
        try:
            lock.release()
        except RuntimeError as e:
            print(repr(e.args))
    """)
    assert out == "()\n"


def test_locks_acquire_release_locked_and_with():
    _dev, out, _ = run_script("""
        import _thread, time
        lock = _thread.allocate_lock()
        print(lock.locked(), lock.acquire(), lock.locked(), lock.acquire(0), lock.acquire(False))
        print(lock.release(), lock.locked(), lock.acquire(1), lock.locked())
        lock.release()
        with lock as got:
            print('inside', got, lock.locked())
        print(lock.locked())
        try:
            with lock:
                raise KeyError('k')
        except KeyError:
            print('released on error', lock.locked())
        order = []
        def holder():
            with lock:
                order.append(('holder', time.ticks_ms()))
                time.sleep(3)
        _thread.start_new_thread(holder, ())
        time.sleep_ms(10)
        print(lock.acquire(0))
        lock.acquire()
        order.append(('main', time.ticks_ms()))
        print(order)
    """)
    assert lines(out) == [
        "False True True False False",
        "None False True True",
        "inside True True",
        "False",
        "released on error False",
        "False",
        "[('holder', 0), ('main', 3000)]",
    ]


def test_stack_size_returns_the_previous_size_and_no_argument_resets_it():
    _dev, out, _ = run_script("""
        import _thread
        print(_thread.stack_size(), _thread.stack_size(8192), _thread.stack_size(16384),
              _thread.stack_size(), _thread.stack_size())
        _thread.stack_size(-1)
        print(_thread.stack_size())
    """)
    assert lines(out) == ["0 0 8192 16384 0", str(2**32 - 1)]


def test_thread_exit_and_unhandled_exceptions():
    _dev, out, _ = run_script("""
        import _thread, time
        def quits():
            print('quitting')
            _thread.exit()
            print('not reached')
        def fails(x):
            raise OSError(x)
        _thread.start_new_thread(quits, ())
        _thread.start_new_thread(fails, (11,))
        time.sleep(1)
        print('main alive', time.ticks_ms())
    """)
    got = lines(out)
    assert got[0] == "quitting"
    assert got[1].startswith("Unhandled exception in thread started by <function fails")
    assert got[-2:] == ["OSError: 11", "main alive 1000"]
    assert "not reached" not in out and "SystemExit" not in out


def test_threads_take_emulated_time_and_share_globals():
    _dev, out, events = run_script("""
        import _thread, time
        counter = [0]
        lock = _thread.allocate_lock()
        def tick(n, period_ms):
            for _ in range(n):
                time.sleep_ms(period_ms)
                with lock:
                    counter[0] += 1
        _thread.start_new_thread(tick, (5, 200))
        _thread.start_new_thread(tick, (3, 500))
        time.sleep_ms(900)
        print(counter[0], time.ticks_ms())
        time.sleep_ms(1000)
        print(counter[0], time.ticks_ms())
    """)
    assert lines(out) == ["5 900", "8 1900"]
    assert events[-1]["event"] == "main_end" and events[-1]["t_us"] == 1_900_000
