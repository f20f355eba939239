# test_machine.py: the device's machine module (Pycom firmware 1.20.2 modmachine.c and classes).
"""Resets, sleeps, timers, RTC, watchdog and pins of device scripts, in virtual time.

Expected values come from the firmware source: machine.reset() reports WDT_RESET
(machwdt.c + mpsleep.c), alarms wrap their ms in 32 bits (machtimer_alarm.c), RTC memory
holds 2048 bytes (machrtc.c), the pin map is esp32/boards/LOPY4/pins.csv.
"""

from __future__ import annotations

import textwrap

import pytest
from runtime_support import NTP_EPOCH_S, run_script

from usocket_emu import World

BOOT_US = 500_000  # REBOOT_TIME_US


def boots(events):
    return [e for e in events if e["event"] == "boot"]


def world_with(script, **device):
    world = World(time="virtual", seed=1, ntp_epoch_s=NTP_EPOCH_S)
    dev = world.add_device("d", script=textwrap.dedent(script), **device)
    return world, dev


# --- the module ---------------------------------------------------------------------------------

def test_module_identity_names_and_missing_classes():
    _dev, out, _ = run_script("""
        import machine, umachine
        print(machine is umachine, machine.__name__)
        print(machine.reset.__module__, machine.Pin.__module__, machine.Timer.Alarm.__name__)
        for name in ('UART', 'SPI', 'I2C', 'PWM', 'ADC', 'DAC', 'SD', 'CAN', 'RMT', 'Touch'):
            print(name, hasattr(machine, name))
        print(machine.PWRON_RESET, machine.HARD_RESET, machine.WDT_RESET, machine.DEEPSLEEP_RESET,
              machine.SOFT_RESET, machine.BROWN_OUT_RESET)
        print(machine.PWRON_WAKE, machine.PIN_WAKE, machine.RTC_WAKE, machine.ULP_WAKE,
              machine.WAKEUP_ALL_LOW, machine.WAKEUP_ANY_HIGH)
        try:
            machine.Timer()
        except TypeError as e:
            print('TypeError', e)
    """)
    lines = out.splitlines()
    assert lines[0] == "True machine"
    assert lines[1] == "machine machine Alarm"
    assert lines[2:12] == [f"{n} False" for n in ("UART", "SPI", "I2C", "PWM", "ADC", "DAC", "SD", "CAN", "RMT", "Touch")]
    assert lines[12] == "0 1 2 3 4 5"
    assert lines[13] == "0 1 2 3 0 1"
    assert lines[14] == "TypeError cannot create 'Timer' instances"


def test_unique_id_freq_and_a_seeded_24_bit_rng():
    script = """
        import machine, ubinascii
        print(ubinascii.hexlify(machine.unique_id()), machine.freq())
        print([machine.rng() for _ in range(4)])
    """
    _dev, out1, _ = run_script(script, seed=3, wifi_mac=b"\x30\xae\xa4\x01\x02\x03")
    _dev, out2, _ = run_script(script, seed=3, wifi_mac=b"\x30\xae\xa4\x01\x02\x03")
    _dev, out3, _ = run_script(script, seed=4, wifi_mac=b"\x30\xae\xa4\x01\x02\x03")
    first, numbers = out1.splitlines()
    assert first == "b'30aea4010203' 160000000"
    values = eval(numbers)  # noqa: S307 - our own printed list
    assert all(0 <= v < 1 << 24 for v in values) and max(values) >= 1 << 20
    assert out1 == out2 and out1 != out3


# --- resets and deep sleep ------------------------------------------------------------------------

def test_reset_reports_wdt_reset_and_restarts_the_rtc():
    dev, out, events = run_script("""
        import machine, time
        print('cause', machine.reset_cause(), machine.wake_reason(), time.time())
        if machine.reset_cause() == machine.PWRON_RESET:
            machine.RTC().init((2020, 1, 1))
            machine.RTC().memory(b'kept?')
            time.sleep(2)
            machine.reset()
            print('not reached')
        print(machine.RTC().memory())
    """)
    assert out == "cause 0 (0, None) 0\ncause 2 (0, None) 0\nb''\n"
    assert [e["t_us"] for e in boots(events)] == [0, 2_000_000 + 1000 + BOOT_US]
    assert dev.reboots == 1


def test_deepsleep_with_a_timer_wakes_with_rtc_wake_and_keeps_rtc_and_memory():
    _dev, out, events = run_script("""
        import machine, time
        rtc = machine.RTC()
        print(machine.reset_cause(), machine.wake_reason(), rtc.memory(), time.time())
        if machine.reset_cause() != machine.DEEPSLEEP_RESET:
            rtc.init((2021, 6, 1, 12, 0, 0))
            rtc.memory('state')
            machine.deepsleep(30000)
        print(machine.remaining_sleep_time(), rtc.now())
    """)
    assert out.splitlines() == [
        "0 (0, None) b'' 0",
        "3 (2, None) b'state' 1622548830",
        "0 (2021, 6, 1, 12, 0, 30, 500000, None)",
    ]
    assert [e["t_us"] for e in boots(events)] == [0, 30_000_000 + BOOT_US]
    assert [(e["reset_cause"], e["wake_reason"]) for e in boots(events)] == [(0, 0), (3, 2)]


def test_deepsleep_for_ever_lets_the_world_run_end():
    world, dev = world_with("""
        import machine, time
        def tick(a):
            print('tick')
        machine.Timer.Alarm(tick, 1, periodic=True)
        time.sleep(2.5)
        machine.deepsleep()
    """)
    with world:
        assert world.run() == "idle"
        assert world.now_us == 2_500_000
        assert dev.boots == 1 and dev.output == "tick\ntick\n"
        resets = world.events("reset")
        assert [(e["reset_cause"], e["delay_us"]) for e in resets] == [(3, -1)]


def test_a_pin_wakes_a_device_from_deep_sleep():
    world, dev = world_with("""
        import machine, time
        print('boot', machine.reset_cause(), machine.wake_reason(), machine.remaining_sleep_time())
        if machine.reset_cause() == machine.PWRON_RESET:
            machine.pin_sleep_wakeup(['P10', 'G24'], machine.WAKEUP_ANY_HIGH)
            machine.deepsleep(60000)
    """)
    with world:
        assert world.run(until_s=10) == "until_reached"
        assert dev.boots == 1
        dev.drive_pin("P11", 1)  # not armed: nothing happens
        assert world.run(until_s=20) == "until_reached"
        assert dev.boots == 1
        dev.drive_pin("G17", 1)  # P10
        assert world.run() == "idle"
        assert dev.output.splitlines() == [
            "boot 0 (0, None) 0",
            "boot 3 (1, [Pin('P10', mode=Pin.IN, pull=Pin.PULL_DOWN, alt=-1)]) 39500",
        ]
        assert [e["t_us"] for e in world.events("boot")] == [0, 20_000_000 + BOOT_US]


def test_all_low_wake_happens_at_once_when_the_pins_are_already_low():
    world, dev = world_with("""
        import machine
        print('boot', machine.wake_reason()[0])
        if machine.reset_cause() == machine.PWRON_RESET:
            machine.pin_sleep_wakeup(['P9', 'P10'], machine.WAKEUP_ALL_LOW)
            machine.deepsleep()
    """)
    with world:
        dev.drive_pin("P9", 1)  # held high: not all low yet
        assert world.run(until_s=5) == "idle"
        assert dev.boots == 1
        dev.drive_pin("P9", 0)
        world.run()
        assert dev.output == "boot 0\nboot 1\n"


def test_pin_sleep_wakeup_errors():
    _dev, out, _ = run_script("""
        import machine
        for pins, mode in ((['P11'], 1), (['P10'], 2), (['X1'], 1), ('P10', 1)):
            try:
                machine.pin_sleep_wakeup(pins, mode)
            except Exception as e:
                print(type(e).__name__, e)
    """)
    assert out.splitlines() == [
        "ValueError deepsleep wake up is not supported on the selected pin(s)",
        "ValueError invalid wakeup mode 2",
        "ValueError invalid argument(s) value",
        "TypeError object 'str' is not a tuple or list",
    ]


def test_light_sleep_is_a_wait_that_a_pin_can_end():
    world, dev = world_with("""
        import machine, time
        machine.sleep(1500)
        print('timer', time.ticks_ms())
        machine.pin_sleep_wakeup([machine.Pin('P23')], machine.WAKEUP_ANY_HIGH)
        machine.sleep()
        print('pin', time.ticks_ms(), machine.wake_reason())
    """)
    with world:
        assert world.run(until_s=4) == "idle"
        assert dev.output == "timer 1500\n"
        assert world.run(until_s=7) == "idle"  # an idle world's clock stays where it is
        assert world.now_us == 1_500_000 and dev.output == "timer 1500\n"
        dev.drive_pin("P23", 1)
        world.run()
        assert dev.output == "timer 1500\npin 1500 (0, None)\n"


def test_soft_reset_keeps_the_rtc_and_the_wake_reason():
    _dev, out, _ = run_script("""
        import machine, sys, time
        print(machine.reset_cause(), machine.wake_reason()[0], time.time())
        if machine.reset_cause() == machine.PWRON_RESET:
            machine.RTC().init((2022, 1, 1))
            machine.deepsleep(1000)
        if machine.reset_cause() == machine.DEEPSLEEP_RESET:
            sys.exit()
    """)
    assert out.splitlines() == ["0 0 0", "3 2 1640995201", "4 2 1640995202"]


# --- Timer -----------------------------------------------------------------------------------------

def test_periodic_alarm_runs_on_time_on_the_irq_thread():
    _dev, out, _ = run_script("""
        import machine, time, _thread
        main = _thread.get_ident()
        seen = []
        def handler(alarm):
            seen.append((time.ticks_ms(), alarm is a, _thread.get_ident() != main))
        a = machine.Timer.Alarm(handler, ms=100, periodic=True)
        time.sleep_ms(1050)
        a.cancel()
        time.sleep(1)
        print(seen)
    """)
    assert eval(out) == [(100 * i, True, True) for i in range(1, 11)]  # noqa: S307


def test_one_shot_alarm_arg_callback_rearm_and_disable():
    _dev, out, _ = run_script("""
        import machine, time
        from machine import Timer
        def h(arg):
            print('fired', arg, time.ticks_ms())
        a = Timer.Alarm(h, 0.5, arg='x')
        time.sleep(1)
        a.callback(h, arg='again')  # re-arms from now
        time.sleep(0.2)
        b = Timer.Alarm(h, us=300)
        b.callback(None)  # disarmed
        time.sleep(1)
    """)
    assert out == "fired x 500\nfired again 1500\n"


def test_alarm_argument_errors():
    _dev, out, _ = run_script("""
        from machine import Timer
        def h(a):
            pass
        for kwargs in ({}, {'s': 1, 'ms': 5}, {'ms': 1, 'us': 1}, {'s': -1}, {'ms': 'x'}, {'s': 'x'}):
            try:
                Timer.Alarm(h, **kwargs)
            except Exception as e:
                print(type(e).__name__, e)
    """)
    assert out.splitlines() == [
        "ValueError please provide a single duration",
        "ValueError please provide a single duration",
        "ValueError please provide a single duration",
        "ValueError please provide a positive number",
        "TypeError can't convert str to int",
        "TypeError can't convert str to float",
    ]


def test_alarm_ms_wraps_in_32_bits_as_the_firmware_computes_it():
    _dev, out, _ = run_script("""
        import machine, time
        machine.Timer.Alarm(lambda a: print('fired', time.ticks_ms()), ms=200000)
    """)
    assert out == "fired 92625\n"  # (200000 * 40000) mod 2**32 clocks of 40 MHz


def test_at_most_16_armed_alarms():
    _dev, out, _ = run_script("""
        from machine import Timer
        alarms = [Timer.Alarm(print, 10) for _ in range(16)]
        try:
            Timer.Alarm(print, 10)
        except MemoryError as e:
            print(e)
        alarms[0].cancel()
        Timer.Alarm(lambda a: print('17th'), 1)
    """)
    assert out.startswith("maximum number of 16 alarms already reached\n17th\n")


def test_first_unhandled_exception_in_a_handler_stops_all_later_callbacks():
    world, dev = world_with("""
        import machine, time
        count = [0]
        def tick(a):
            count[0] += 1
            if count[0] == 3:
                raise ValueError('boom')
        machine.Timer.Alarm(tick, ms=100, periodic=True)
        p = machine.Pin('P10', pull=machine.Pin.PULL_DOWN)
        p.callback(machine.Pin.IRQ_RISING, lambda pin: print('pin'))
        time.sleep(1)
        print('count', count[0])
    """)
    with world:
        world.run(until_s=0.5)
        dev.drive_pin("P10", 1)
        world.run()
        assert dev.output.splitlines()[0] == "Unhandled exception in callback handler"
        assert "ValueError: boom" in dev.output
        assert "pin" not in dev.output.splitlines()
        assert dev.output.endswith("count 3\n")
        assert [e["t_us"] for e in world.events("irq_thread_died")] == [300_000]


def test_chrono_measures_emulated_time():
    _dev, out, _ = run_script("""
        import time
        from machine import Timer
        c = Timer.Chrono()
        c.start()
        time.sleep(1.5)
        c.stop()
        time.sleep(5)
        print(c.read(), c.read_ms(), c.read_us())
        c.start()
        time.sleep_ms(250)
        print(c.read_ms())
        c.reset()
        time.sleep_ms(10)
        print(c.read_ms())
    """)
    assert out == "1.5 1500.0 1500000.0\n1750.0\n10.0\n"


# --- RTC -------------------------------------------------------------------------------------------

def test_rtc_init_now_memory_and_errors():
    _dev, out, _ = run_script("""
        import machine, time
        rtc = machine.RTC()
        print(rtc is machine.RTC(), rtc.now())
        rtc.init((2024, 2, 29, 23, 59, 59, 250000))
        time.sleep_ms(750)
        print(rtc.now(), time.time())
        rtc.memory(bytearray(2048))
        print(len(rtc.memory()))
        for call in (lambda: rtc.memory(bytes(2049)), lambda: rtc.init((2024, 1)),
                     lambda: machine.RTC(id=1), lambda: rtc.ntp_sync('pool.ntp.org', update_period=14)):
            try:
                call()
            except Exception as e:
                print(type(e).__name__, e)
    """)
    assert out.splitlines() == [
        "True (1970, 1, 1, 0, 0, 0, 0, None)",
        "(2024, 3, 1, 0, 0, 0, 0, None) 1709251200",
        "2048",
        "ValueError buffer too long",
        "ValueError invalid argument(s) value",
        "OSError resource not available",
        "ValueError update period cannot be shorter than 15 s",
    ]


def test_ntp_sync_sets_the_rtc_from_the_worlds_ntp():
    _dev, out, _ = run_script("""
        import machine, time
        rtc = machine.RTC()
        time.sleep(10)
        rtc.ntp_sync('pool.ntp.org')
        print(rtc.synced())
        while not rtc.synced():
            time.sleep_ms(10)
        print(time.ticks_ms(), time.time())
        rtc.ntp_sync(None)
        print(rtc.synced())
    """)
    assert out.splitlines() == ["False", f"10100 {NTP_EPOCH_S + 10}", "False"]


# --- WDT -------------------------------------------------------------------------------------------

def test_watchdog_resets_when_not_fed_in_time():
    _dev, out, events = run_script("""
        import machine, time
        print('boot', machine.reset_cause())
        if machine.reset_cause() == machine.PWRON_RESET:
            wdt = machine.WDT(timeout=2000)
            for _ in range(3):
                time.sleep(1.5)
                wdt.feed()
            time.sleep(10)
            print('not reached')
    """)
    assert out == "boot 0\nboot 2\n"
    assert [e["t_us"] for e in boots(events)] == [0, 4_500_000 + 2_000_000 + BOOT_US]


def test_watchdog_fires_even_after_the_irq_thread_died():
    _dev, out, events = run_script("""
        import machine, time
        print('boot', machine.reset_cause())
        if machine.reset_cause() == machine.PWRON_RESET:
            wdt = machine.WDT(0, 1000)
            n = [0]
            def feed(a):
                wdt.feed()
                n[0] += 1
                if n[0] == 4:
                    raise OSError(5)
            machine.Timer.Alarm(feed, ms=500, periodic=True)
    """)
    assert out.startswith("boot 0\nUnhandled exception in callback handler\n")
    assert out.endswith("boot 2\n")
    assert [e["t_us"] for e in boots(events)] == [0, 2_000_000 + 1_000_000 + BOOT_US]


def test_watchdog_init_shortens_the_timeout_and_errors():
    _dev, out, events = run_script("""
        import machine, time
        print('boot', machine.reset_cause())
        if machine.reset_cause() == machine.PWRON_RESET:
            for call in (lambda: machine.WDT(), lambda: machine.WDT(id=1, timeout=5)):
                try:
                    call()
                except Exception as e:
                    print(type(e).__name__, e)
            wdt = machine.WDT(timeout=60000)
            print(wdt is machine.WDT(timeout=60000))
            time.sleep(1)
            wdt.init(300)
            time.sleep(30)
    """)
    assert out.splitlines() == [
        "boot 0",
        "TypeError 'timeout' argument required",
        "OSError resource not available",
        "True",
        "boot 2",
    ]
    assert boots(events)[1]["t_us"] == 1_300_000 + BOOT_US


# --- Pin -------------------------------------------------------------------------------------------

def test_pin_state_without_electronics():
    _dev, out, _ = run_script("""
        from machine import Pin
        up = Pin('P9', mode=Pin.IN, pull=Pin.PULL_UP)
        down = Pin('G17', Pin.IN, Pin.PULL_DOWN)
        print(up(), down.value(), down.id(), Pin('P10') is down, Pin.exp_board.G17 is Pin.module.P10)
        out = Pin('P11', mode=Pin.OUT, value=1)
        print(out(), out.mode(), out.pull())
        out.toggle()
        print(out.value(), out)
        od = Pin('P12', Pin.OPEN_DRAIN, Pin.PULL_UP, value=0)
        print(od(), od.mode())
        od(1)
        print(od(), od.pull())
        for call in (lambda: Pin('P24'), lambda: Pin(10), lambda: Pin('P1', mode=3),
                     lambda: up.pull(0), lambda: Pin('P5').hold(True)):
            try:
                call()
            except Exception as e:
                print(type(e).__name__, e)
        print(Pin('P5').hold(), Pin('P10').hold(True), Pin('P10').hold())
    """)
    assert out.splitlines() == [
        "1 0 P10 True True",
        "1 2 None",
        "0 Pin('P11', mode=Pin.OUT, pull=None, alt=-1)",
        "0 7",
        "1 1",
        "ValueError invalid argument(s) value",
        "ValueError invalid argument(s) value",
        "ValueError invalid argument(s) value",
        "ValueError invalid argument(s) value",
        "OSError the hold functionality is only available for GPIO pins in the RTC domain",
        "True None True",
    ]


def test_driving_a_pin_fires_its_callback_on_the_matching_edges():
    world, dev = world_with("""
        import time
        from machine import Pin
        def on_edge(pin):
            print('edge', time.ticks_ms(), pin.id(), pin())
        button = Pin('P10', mode=Pin.IN, pull=Pin.PULL_UP)
        button.callback(Pin.IRQ_FALLING, on_edge)
        both = Pin('P9', mode=Pin.IN)
        both.callback(Pin.IRQ_FALLING | Pin.IRQ_RISING, lambda arg: print('both', time.ticks_ms(), arg), arg='x')
        time.sleep(10)
    """)
    with world:
        for t_s, pin, level in ((1, "P10", 0), (2, "P10", 1), (3, "P10", 0), (4, "P10", 0),
                                (5, "P9", 1), (6, "P9", None)):
            world.run(until_s=t_s)
            dev.drive_pin(pin, level)
        world.run()
        assert dev.output.splitlines() == [
            "edge 1000 P10 0",
            "edge 3000 P10 0",
            "both 5000 x",
            "both 6000 x",
        ]
        with pytest.raises(ValueError, match="no pin 'P99'"):
            dev.drive_pin("P99", 1)


def test_pin_callback_disable_and_own_output_edges():
    world, dev = world_with("""
        import time
        from machine import Pin
        p = Pin('P8', mode=Pin.OPEN_DRAIN, pull=Pin.PULL_UP, value=1)
        p.callback(Pin.IRQ_FALLING, lambda pin: print('fall', time.ticks_ms()))
        time.sleep(1)
        p(0)  # an open-drain pin sees its own level
        time.sleep(1)
        p(1)
        try:
            p.callback(None)  # trigger is a C int in machpin.c
        except TypeError as e:
            print('TypeError', e)
        p.callback(Pin.IRQ_FALLING, None)  # no handler: disabled
        time.sleep(1)
        p(0)
        level = Pin('P3', pull=Pin.PULL_UP)
        level.callback(Pin.IRQ_HIGH_LEVEL, lambda pin: print('high', time.ticks_ms()))
    """)
    with world:
        world.run()
        assert dev.output == "fall 1000\nTypeError can't convert NoneType to int\nhigh 3000\n"


def test_machine_main_in_boot_py_picks_the_main_script():
    _dev, out, _ = run_script("print('main.py')\n", files={
        "boot.py": "import machine\nmachine.main('other.py')\ntry:\n    machine.main(3)\nexcept TypeError as e:\n    print(e)\n",
        "other.py": "print('other.py')\n",
    })
    assert out == "expecting a string file name\nother.py\n"


def test_idle_waits_one_tick_and_misc_functions():
    _dev, out, _ = run_script("""
        import machine, time
        for _ in range(5):
            machine.idle()
        state = machine.disable_irq()
        machine.enable_irq(state)
        print(time.ticks_ms(), isinstance(machine.temperature(), int))
        machine.info()
    """)
    lines = out.splitlines()
    assert lines[0] == "5 True"
    assert "System memory info (in bytes)" in lines


def test_constructing_a_pin_again_clears_its_interrupt_trigger():
    world, dev = world_with("""
        import time
        from machine import Pin
        p = Pin('P10', mode=Pin.IN)
        p.callback(Pin.IRQ_RISING, lambda pin: print('rise', time.ticks_ms()))
        time.sleep(1)
        Pin('P10', mode=Pin.IN)  # pin_config() disables the interrupt, as on the device
        time.sleep(1)
        p.callback(Pin.IRQ_RISING, lambda pin: print('rise again', time.ticks_ms()))
        time.sleep(10)
    """)
    with world:
        for t_s, level in ((0.5, 1), (0.7, 0), (1.5, 1), (1.7, 0), (2.5, 1)):
            world.run(until_s=t_s)
            dev.drive_pin("P10", level)
        world.run()
        assert dev.output == "rise 500\nrise again 2500\n"
