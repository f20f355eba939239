"""machine / umachine (Pycom modmachine.c and its classes) with device semantics.

Resets, deep sleep and the watchdog go through ``dev.reboot``; Timer.Alarm handlers and pin
callbacks run on the device's IRQ thread; the RTC is ``dev.rtc_us()``; pins are stateful
pins without electronics, which ``Device.drive_pin()`` drives from outside.

Present on the device but not emulated (so AttributeError here): UART, SPI, I2C, PWM, ADC,
DAC, SD, CAN, RMT, Touch, mem8/mem16/mem32.
"""

import calendar
import datetime as _dt
import struct
import threading
import types

from .. import _core
from .._device import (
    DEEPSLEEP_RESET,
    PIN_WAKE,
    PWRON_WAKE,
    RTC_WAKE,
    WDT_RESET,
)
from .._errors import OSError  # noqa: A004 - the device's OSError
from ._args import check_at_most, check_int, get_str, int32, read_buffer

# --- firmware figures ------------------------------------------------------------------------

#: Messages of esp32/util/mpexception.c.
INVALID_ARGUMENTS = "invalid argument(s) value"
RESOURCE_NOT_AVAILABLE = "resource not available"

#: Timer group 0 timer 0 counts APB_CLK_FREQ / 2 (machtimer.c: divider 2, CLK_FREQ).
CLK_FREQ = 40_000_000
#: Timer.Alarm: at most this many armed alarms (machtimer_alarm.c ALARM_HEAP_MAX_ELEMENTS).
ALARM_HEAP_MAX_ELEMENTS = 16
#: machine.reset() arms the watchdog with a timeout of 1 (modmachine.c machine_reset ->
#: machwdt.c machine_wdt_start(1)): two stages of one 0.5 ms tick.
RESET_WDT_US = 1000
#: machine.reset() resets through timer group 0's watchdog, so the next boot reports
#: TG0WDT_SYS_RESET, which mpsleep.c maps to WDT_RESET (pycom-micropython-sigfox #192, #484).
RESET_CAUSE_OF_MACHINE_RESET = WDT_RESET
#: RTC.memory() size limit (machrtc.c MEM_USER_MAXLEN).
RTC_MEMORY_MAX = 2048
#: RTC.ntp_sync() minimum update period (machrtc.c: sntp_update_period < 15000 ms).
NTP_MIN_PERIOD_MS = 15_000
#: RTC clock sources (machrtc.c: RTC_SLOW_FREQ_RTC, RTC_SLOW_FREQ_32K_XTAL).
RTC_INTERNAL_RC, RTC_XTAL_32KHZ = 0, 1
#: CPU clock (sdkconfig.h CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ 160).
CPU_FREQ_HZ = 160_000_000
#: One FreeRTOS tick (sdkconfig.h CONFIG_FREERTOS_HZ 1000).
FREERTOS_TICK_US = 1000
#: ext1 wake-up modes (esp_sleep.h ESP_EXT1_WAKEUP_ALL_LOW / ANY_HIGH).
WAKEUP_ALL_LOW, WAKEUP_ANY_HIGH = 0, 1

# Model figures (not firmware facts).
#: From RTC.ntp_sync() to the RTC set by the world's NTP: a DNS lookup and one SNTP round trip.
NTP_SYNC_DELAY_US = 100_000
#: machine.temperature(): the raw, uncalibrated sensor reading of a warm ESP32 (about 53 C).
TEMPERATURE_RAW = 128

# Pin modes and pulls (machpin.c: GPIO_MODE_INPUT, GPIO_MODE_OUTPUT, GPIO_MODE_INPUT_OUTPUT_OD;
# MACHPIN_PULL_UP / PULL_DOWN) and interrupt triggers (gpio_int_type_t).
PIN_IN, PIN_OUT, PIN_OPEN_DRAIN = 1, 2, 7
PULL_NONE, PULL_UP, PULL_DOWN = 0, 1, 2
IRQ_DISABLE, IRQ_RISING, IRQ_FALLING, IRQ_ANY_EDGE, IRQ_LOW_LEVEL, IRQ_HIGH_LEVEL = 0, 1, 2, 3, 4, 5

#: Module pin -> (expansion-board name, ESP32 GPIO), esp32/boards/LOPY4/pins.csv (FiPy,
#: SiPy and WiPy share it; LoPy swaps P13 and P14).
_PINS = {
    "P0": ("G2", 3), "P1": ("G1", 1), "P2": ("G23", 0), "P3": ("G24", 4), "P4": ("G11", 15),
    "P5": ("G12", 5), "P6": ("G13", 27), "P7": ("G14", 19), "P8": ("G15", 2), "P9": ("G16", 12),
    "P10": ("G17", 13), "P11": ("G22", 22), "P12": ("G28", 21), "P13": ("G5", 36),
    "P14": ("G4", 37), "P15": ("G0", 38), "P16": ("G3", 39), "P17": ("G31", 35),
    "P18": ("G30", 34), "P19": ("G6", 32), "P20": ("G7", 33), "P21": ("G8", 26),
    "P22": ("G9", 25), "P23": ("G10", 14),
}
_BOARD_GPIO = {"LoPy": {"P13": 37, "P14": 36}}  # esp32/boards/LOPY/pins.csv
#: GPIOs of the RTC domain: the only ones hold() and ext1 wake-up accept (ESP32 RTC_GPIO).
_RTC_GPIOS = frozenset((0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39))
_EXP_BOARD = {exp: name for name, (exp, _gpio) in _PINS.items()}


def _gpio(board, name):
    return _BOARD_GPIO.get(board, {}).get(name, _PINS[name][1])


def _find_pin_name(pin):
    """pin_find(): expansion-board names first, then module names; None if unknown."""
    if isinstance(pin, str):
        if pin in _EXP_BOARD:
            return _EXP_BOARD[pin]
        if pin in _PINS:
            return pin
    return None


def pin_name(board, pin):
    """The module name ('P10') of pin ``pin`` ('P10' or 'G17'); for Device.drive_pin()."""
    name = _find_pin_name(getattr(pin, "_name", pin))
    if name is None:
        raise ValueError(f"no pin {pin!r} on a {board} (pins are 'P0'..'P23' or their 'G' names)")
    return name


def _f32(x):
    """The value as the firmware's single-precision float holds it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _to_float(value, what="float"):
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"can't convert {type(value).__name__} to {what}")


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 (months out of 1..12 carry into the year)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return calendar.timegm((year, month, 1, 0, 0, 0)) // 86400 + day - 1


def build(dev):
    module = types.ModuleType("machine", "Pycom machine: resets, sleep, timers, RTC, WDT, pins.")
    registry_lock = threading.Lock()  # pin state, touched by device threads and drive_pin()
    light_sleepers = set()  # mailboxes of machine.sleep() calls a pin can end
    wake_config = {"pins": (), "mode": WAKEUP_ANY_HIGH, "pull": False}  # pin_sleep_wakeup()
    boot_us = dev.now_us() - dev.uptime_us()

    # machine_init0(): the remaining sleep time is fixed at boot.
    expected_us = dev.rtc_slow.get("machine_expected_wakeup_us", 0)
    remaining_ms = max(0, (expected_us - boot_us) // 1000) if expected_us > 0 else 0

    # --- functions ---------------------------------------------------------------------------

    def unique_id():
        """unique_id() -> the 6-byte WiFi MAC."""
        return bytes(dev.config.wifi_mac)

    def reset():
        """reset(): a hard reset through the watchdog; never returns."""
        _stop_alarms()  # machtimer_deinit()
        dev.reboot(RESET_CAUSE_OF_MACHINE_RESET, (PWRON_WAKE, None), RESET_WDT_US)

    def _pull_level(pin, keep_pulls):
        return 1 if keep_pulls and pin._pull == PULL_UP else 0

    def deepsleep(*args):
        """deepsleep([ms]): never returns; the device boots again with DEEPSLEEP_RESET, woken
        by the timer (RTC_WAKE) or by a pin armed with pin_sleep_wakeup() (PIN_WAKE)."""
        check_at_most(args, 1)
        if args:
            delay_us = max(int32(args[0]), 0) * 1000
            dev.rtc_slow["machine_expected_wakeup_us"] = dev.now_us() + delay_us
        else:
            delay_us = None
            dev.rtc_slow["machine_expected_wakeup_us"] = 0
        names, mode = wake_config["pins"], wake_config["mode"]
        wake_check = None
        if names:
            # In deep sleep only the RTC domain keeps its pulls, and only with enable_pull.
            levels = {n: _pull_level(pins[n], wake_config["pull"]) for n in names}

            def wake_check():
                now = [dev.pin_levels.get(n, levels[n]) for n in names]
                return _ext1_wakers(names, now, mode)
        dev.reboot(DEEPSLEEP_RESET, (RTC_WAKE, None), delay_us, wake_check)

    def sleep(*args):
        """sleep([ms[, resume_peripherals]]): light sleep, an emulator wait that the timer or
        a pin armed with pin_sleep_wakeup() ends; without ms only a pin ends it."""
        check_at_most(args, 2)
        deadline = None
        if args:
            delay_us = max(int32(args[0]), 0) * 1000
            deadline = dev.now_us() + delay_us
            dev.rtc_slow["machine_expected_wakeup_us"] = deadline
        else:
            dev.rtc_slow["machine_expected_wakeup_us"] = 0
        box = _core.Mailbox(dev.core, 1)
        with registry_lock:
            light_sleepers.add(box)
        try:
            while not _light_sleep_woken():
                if box.take(deadline) is None:
                    break
        finally:
            with registry_lock:
                light_sleepers.discard(box)

    def _light_sleep_woken():
        names = wake_config["pins"]
        if not names:
            return False
        with registry_lock:
            levels = [pins[n]._level for n in names]
        return bool(_ext1_wakers(names, levels, wake_config["mode"]))

    def remaining_sleep_time():
        """remaining_sleep_time() -> ms the last deep sleep had left when a pin woke it."""
        return remaining_ms

    def pin_sleep_wakeup(pins, mode, enable_pull=False):
        """pin_sleep_wakeup(pins, mode, enable_pull=False): arms ext1 wake-up on RTC pins."""
        if not isinstance(pins, (list, tuple)):
            raise TypeError(f"object '{type(pins).__name__}' is not a tuple or list")
        mode = int32(mode)
        if mode not in (WAKEUP_ALL_LOW, WAKEUP_ANY_HIGH):
            raise ValueError(f"invalid wakeup mode {mode}")
        names = set()
        for pin in pins:
            names.add(_pin_find(pin)._name)
        if any(_gpio(dev.board, n) not in _RTC_GPIOS for n in names):
            raise ValueError("deepsleep wake up is not supported on the selected pin(s)")
        wake_config["pins"] = tuple(sorted(names, key=lambda n: _gpio(dev.board, n)))
        wake_config["mode"] = mode
        wake_config["pull"] = bool(enable_pull)
        _wake_light_sleepers()

    def reset_cause():
        return dev.state.reset_cause

    def wake_reason():
        """wake_reason() -> (reason, pins): the Pin objects that woke the device, or None."""
        reason, names = dev.state.wake_reason
        if reason == PIN_WAKE:
            return (reason, [pins[n] for n in names or ()])
        return (reason, None)

    def idle():
        """idle(): the firmware yields (taskYIELD); here one FreeRTOS tick passes, so that a
        loop around idle() lets virtual time run."""
        dev.sleep_us(FREERTOS_TICK_US)

    def rng():
        """rng() -> a 24-bit random number (seeded by the world)."""
        return dev.rng.getrandbits(24)

    def freq():
        return CPU_FREQ_HZ

    def info():
        """info(): prints the memory report (model figures)."""
        lines = [
            "---------------------------------------------",
            "System memory info (in bytes)",
            "---------------------------------------------",
            "MPTask stack water mark: 4728",
            "ServersTask stack water mark: 1044",
            "LoRaTask stack water mark: 708" if "AF_LORA" in dev.board_profile else None,
            "SigfoxTask stack water mark: 2420" if dev.board in ("LoPy4", "SiPy", "FiPy") else None,
            "TimerTask stack water mark: 1604",
            "IdleTask stack water mark: 592",
            "System free heap: 354920",
            "---------------------------------------------",
        ]
        dev.console.write("".join(line + "\n" for line in lines if line is not None))

    def temperature():
        """temperature() -> the raw sensor reading (model figure)."""
        return TEMPERATURE_RAW

    def disable_irq():
        """disable_irq() -> the previous interrupt state (callbacks are not held off here)."""
        return 0

    def enable_irq(*args):
        check_at_most(args, 1)
        if args:
            check_int(args[0])

    def main(filename):
        """main(filename): the script boot.py chooses to run instead of main.py."""
        if not isinstance(filename, str):
            raise TypeError("expecting a string file name")
        dev.main_script = filename

    def flash_encrypt():
        return 0

    def secure_boot():
        return 0

    # --- Pin -----------------------------------------------------------------------------------

    _unset = object()

    class Pin:
        """Pin(id, mode=Pin.IN, pull=None, *, value, alt): one object per pin and boot."""

        IN, OUT, OPEN_DRAIN = PIN_IN, PIN_OUT, PIN_OPEN_DRAIN
        PULL_UP, PULL_DOWN = PULL_UP, PULL_DOWN
        IRQ_RISING, IRQ_FALLING = IRQ_RISING, IRQ_FALLING
        IRQ_LOW_LEVEL, IRQ_HIGH_LEVEL = IRQ_LOW_LEVEL, IRQ_HIGH_LEVEL

        def __new__(cls, *args, **kwargs):
            if not args:
                raise TypeError("function missing 1 required positional arguments")
            return _pin_find(args[0])

        def __init__(self, id, mode=_unset, pull=None, *, value=_unset, alt=None):  # noqa: A002
            self.init(mode, pull, value=value, alt=alt)

        def _setup(self, name):
            self._name = name
            self._gpio = _gpio(dev.board, name)
            # pin_init0(): every pin starts as an input with its pull-down on.
            self._mode, self._pull, self._value, self._af = PIN_IN, PULL_DOWN, 0, -1
            self._hold = False
            self._trigger, self._handler, self._arg = IRQ_DISABLE, None, None
            self._level = self._compute_level()

        def init(self, mode=_unset, pull=None, *, value=_unset, alt=None):
            mode = PIN_IN if mode is _unset else _valid_mode(mode)
            pull = PULL_NONE if pull is None else _valid_pull(pull)
            af = -1 if alt is None else check_int(alt)
            if af > 255:
                raise ValueError(INVALID_ARGUMENTS)
            with registry_lock:
                self._mode, self._pull, self._af = mode, pull, af
                if value is not _unset:
                    self._value = 1 if value else 0
                self._trigger = IRQ_DISABLE  # pin_config() clears the interrupt configuration
                self._refresh()

        def __repr__(self):
            mode = {PIN_IN: "IN", PIN_OUT: "OUT"}.get(self._mode, "OPEN_DRAIN")
            pull = {PULL_NONE: "None", PULL_UP: "Pin.PULL_UP"}.get(self._pull, "Pin.PULL_DOWN")
            return f"Pin('{self._name}', mode=Pin.{mode}, pull={pull}, alt={self._af})"

        def value(self, *args):
            """value([v]): the level (an output reads what it drives), or sets the output."""
            if len(args) > 1:
                raise TypeError(f"function expected at most 2 arguments, got {len(args) + 1}")
            with registry_lock:
                if not args:
                    return self._value if self._mode == PIN_OUT else self._level
                self._value = 1 if args[0] else 0
                self._refresh()
            return None

        def __call__(self, *args, **kwargs):
            if kwargs:
                raise TypeError("function doesn't take keyword arguments")
            check_at_most(args, 1)
            return self.value(*args)

        def toggle(self):
            with registry_lock:
                self._value = 0 if self._value else 1
                self._refresh()

        def id(self):  # noqa: A003
            return self._name

        def mode(self, *args):
            if not args:
                return self._mode
            mode = _valid_mode(args[0])
            with registry_lock:
                self._mode = mode
                self._refresh()
            return None

        def pull(self, *args):
            if not args:
                return None if self._pull == PULL_NONE else self._pull
            pull = PULL_NONE if args[0] is None else _valid_pull(args[0])
            with registry_lock:
                self._pull = pull
                self._refresh()
            return None

        def hold(self, *args):
            """hold([h]): only RTC-domain pins can hold their level."""
            if not args:
                return self._hold
            self._hold = bool(args[0])  # the firmware stores it before it checks the pin
            if self._gpio not in _RTC_GPIOS:
                raise OSError("the hold functionality is only available for GPIO pins in the RTC domain")
            return None

        def callback(self, trigger=IRQ_DISABLE, handler=None, arg=None):
            """callback(trigger, handler=None, arg=None): handler(arg or the pin) runs on the
            IRQ thread on each matching edge; no trigger or no handler disables it."""
            trigger = int32(trigger)
            with registry_lock:
                if trigger != IRQ_DISABLE and handler is not None:
                    self._trigger, self._handler = trigger, handler
                    self._arg = self if arg is None else arg
                    if (trigger, self._level) in ((IRQ_LOW_LEVEL, 0), (IRQ_HIGH_LEVEL, 1)) and self._input_enabled():
                        self._fire()  # a level interrupt fires while the level holds
                else:
                    self._trigger, self._handler, self._arg = IRQ_DISABLE, None, None

        # -- the level, and the edges it makes (registry_lock held) --

        def _input_enabled(self):
            return self._mode != PIN_OUT

        def _compute_level(self):
            if self._mode == PIN_OUT:
                return self._value
            if self._mode == PIN_OPEN_DRAIN and self._value == 0:
                return 0
            driven = dev.pin_levels.get(self._name)
            if driven is not None:
                return driven
            return 1 if self._pull == PULL_UP else 0

        def _refresh(self):
            old, new = self._level, self._compute_level()
            self._level = new
            if old == new or not self._input_enabled():
                return
            trigger = self._trigger
            if (trigger == IRQ_ANY_EDGE
                    or (trigger == IRQ_RISING and new == 1) or (trigger == IRQ_FALLING and new == 0)
                    or (trigger == IRQ_HIGH_LEVEL and new == 1) or (trigger == IRQ_LOW_LEVEL and new == 0)):
                self._fire()

        def _fire(self):
            dev.irq.schedule(self._run_handler, None)

        def _run_handler(self, _unused):
            handler, arg = self._handler, self._arg  # a disabled callback no longer runs
            if handler is not None:
                handler(arg)

    Pin.__qualname__ = "Pin"

    def _valid_mode(mode):
        mode = int32(mode)
        if mode not in (PIN_IN, PIN_OUT, PIN_OPEN_DRAIN):
            raise ValueError(INVALID_ARGUMENTS)
        return mode

    def _valid_pull(pull):
        pull = int32(pull)
        if pull not in (PULL_UP, PULL_DOWN):
            raise ValueError(INVALID_ARGUMENTS)
        return pull

    pins = {}
    for name in _PINS:
        pin = object.__new__(Pin)
        pin._setup(name)
        pins[name] = pin

    def _pin_find(pin):
        if isinstance(pin, Pin):
            return pin
        name = _find_pin_name(pin)
        if name is None:
            raise ValueError(INVALID_ARGUMENTS)
        return pins[name]

    class _NamedPins:
        def __init__(self, name, names):
            self._label = name
            for attribute, pin_id in names.items():
                setattr(self, attribute, pins[pin_id])

        def __repr__(self):
            return f"<Pin.{self._label}>"

    Pin.module = _NamedPins("cpu", {n: n for n in _PINS})
    Pin.exp_board = _NamedPins("board", _EXP_BOARD)

    def _pin_driven(name):
        """Device.drive_pin(): the level of one pin changed outside."""
        with registry_lock:
            pins[name]._refresh()
        _wake_light_sleepers()

    def _wake_light_sleepers():
        with registry_lock:
            boxes = list(light_sleepers)
        for box in boxes:
            box.post(1)

    dev.pin_listener = _pin_driven

    # --- Timer ----------------------------------------------------------------------------------

    armed = set()  # alarms in the firmware's alarm heap

    class Alarm:
        """Timer.Alarm(handler, s=None, *, ms=0, us=0, arg=None, periodic=False)."""

        def __init__(self, handler, s=None, *, ms=0, us=0, arg=None, periodic=False):
            seconds = 0.0 if s is None else _f32(_to_float(s))
            ms = int32(ms) & 0xFFFFFFFF  # uint32_t in alarm_make_new
            us = int32(us) & 0xFFFFFFFF
            if (seconds != 0.0) + (ms != 0) + (us != 0) != 1:
                raise ValueError("please provide a single duration")
            if seconds < 0.0:
                raise ValueError("please provide a positive number")
            # alarm_make_new: float32 seconds; ms and us multiplied in 32-bit unsigned
            # arithmetic, so ms > 107374 (us > 107374182) wraps and the alarm fires early.
            clocks = (int(_f32(seconds * CLK_FREQ) + 0.5) + ((ms * (CLK_FREQ // 1000)) & 0xFFFFFFFF)
                      + ((us * (CLK_FREQ // 1_000_000)) & 0xFFFFFFFF))
            self._interval_us = (clocks + CLK_FREQ // 2_000_000) // (CLK_FREQ // 1_000_000)
            self._periodic = bool(periodic)
            self._handle = None
            self._fires_at = 0
            self._handler = None
            self._arg = None
            self._set_callback(handler, arg)

        def _active(self):
            return self._handle is not None and (self._periodic or dev.now_us() < self._fires_at)

        def _set_callback(self, handler, arg):
            self._handler = handler
            self._arg = self if arg is None else arg
            if self._handle is not None:
                self._disarm()
            armed.difference_update([a for a in armed if not a._active()])  # fired one-shots
            if len(armed) >= ALARM_HEAP_MAX_ELEMENTS:
                raise MemoryError(f"maximum number of {ALARM_HEAP_MAX_ELEMENTS} alarms already reached")
            if handler is not None:
                interval = self._interval_us
                period = max(interval, 1) if self._periodic else 0
                self._handle = dev.irq.start_alarm(self._fire, interval, period)
                self._fires_at = dev.now_us() + interval
                armed.add(self)

        def _disarm(self):
            handle, self._handle = self._handle, None
            armed.discard(self)
            if handle:
                dev.irq.stop_alarm(handle)

        def _fire(self):
            handler = self._handler
            if handler is not None:
                handler(self._arg)

        def callback(self, handler, *, arg=None):
            """callback(handler, *, arg=None): re-arms the alarm from now; None disarms it."""
            self._set_callback(handler, arg)

        def cancel(self):
            self._disarm()

    class Chrono:
        """Timer.Chrono(): a stopwatch on the emulated clock."""

        def __init__(self):
            self._start = None
            self._accumulated = 0

        def start(self):
            if self._start is None:
                self._start = dev.uptime_us()

        def stop(self):
            if self._start is not None:
                self._accumulated += dev.uptime_us() - self._start
                self._start = None

        def reset(self):
            self._accumulated = 0
            if self._start is not None:
                self._start = dev.uptime_us()

        def _elapsed_us(self):
            running = 0 if self._start is None else dev.uptime_us() - self._start
            return self._accumulated + running

        def read(self):
            return _f32(self._elapsed_us() / 1e6)

        def read_ms(self):
            return _f32(self._elapsed_us() / 1e3)

        def read_us(self):
            return _f32(float(self._elapsed_us()))

    class Timer:
        """machine.Timer: a namespace of Alarm, Chrono and sleep_us."""

        def __new__(cls, *args, **kwargs):
            raise TypeError("cannot create 'Timer' instances")

        @staticmethod
        def sleep_us(delay):
            """Timer.sleep_us(us): the firmware busy-waits; an emulator wait here."""
            dev.sleep_us(check_int(delay))

    Timer.Alarm, Timer.Chrono = Alarm, Chrono

    def _stop_alarms():
        for alarm in list(armed):
            alarm._disarm()

    dev.reset_hooks.append(_stop_alarms)  # machtimer_deinit() on every reset

    # --- RTC ------------------------------------------------------------------------------------

    class RTC:
        """RTC(id=0, datetime=None, source=None): the one RTC (its time survives deep sleep)."""

        INTERNAL_RC, XTAL_32KHZ = RTC_INTERNAL_RC, RTC_XTAL_32KHZ

        def __new__(cls, id=0, datetime=None, source=None):  # noqa: A002
            if int32(id) != 0:
                raise OSError(RESOURCE_NOT_AVAILABLE)
            return rtc

        def __init__(self, id=0, datetime=None, source=None):  # noqa: A002
            if datetime is not None:
                dev.set_rtc_us(_datetime_us(datetime))
            if source is not None:
                check_int(source)

        def init(self, datetime=None):
            """init(datetime): (Y, M, D[, h[, m[, s[, us]]]]) sets the RTC."""
            if datetime is not None:
                dev.set_rtc_us(_datetime_us(datetime))

        def now(self):
            """now() -> (Y, M, D, h, m, s, us, None)."""
            epoch_us = dev.rtc_us()
            seconds, micros = divmod(epoch_us, 1_000_000)
            days, rest = divmod(seconds, 86400)
            date = _dt.date(1970, 1, 1) + _dt.timedelta(days=days)
            return (date.year, date.month, date.day, rest // 3600, rest // 60 % 60, rest % 60, micros, None)

        def ntp_sync(self, server, update_period=3600, backup_server=None):
            """ntp_sync(server, update_period=3600, backup_server=None): the world's NTP sets
            the RTC shortly after; server None stops syncing."""
            period_ms = (int32(update_period) * 1000) & 0xFFFFFFFF
            if period_ms < NTP_MIN_PERIOD_MS:
                raise ValueError("update period cannot be shorter than 15 s")
            dev.state.rtc_synced = False
            ntp["generation"] += 1
            if server is None:
                return
            get_str(server)
            if backup_server is not None:
                get_str(backup_server)
            generation = ntp["generation"]

            def sntp():
                dev.sleep_us(NTP_SYNC_DELAY_US)
                if ntp["generation"] == generation:
                    dev.set_rtc_us(round(dev.world.ntp_epoch_s * 1_000_000) + dev.now_us())
                    dev.state.rtc_synced = True

            dev.threads.start(sntp, f"{dev.name}:sntp")

        def synced(self):
            return bool(dev.state.rtc_synced)

        def memory(self, *args):
            """memory([data]): up to 2048 bytes that survive deep sleep."""
            if not args:
                return bytes(dev.state.rtc_memory)
            if len(args) > 1:
                raise TypeError(f"function expected at most 2 arguments, got {len(args) + 1}")
            data = read_buffer(args[0])
            if len(data) > RTC_MEMORY_MAX:
                raise ValueError("buffer too long")
            dev.state.rtc_memory = data
            return None

    ntp = {"generation": 0}
    rtc = object.__new__(RTC)

    def _datetime_us(datetime):
        if not isinstance(datetime, (tuple, list)):
            raise TypeError(f"object '{type(datetime).__name__}' is not a tuple or list")
        if not 3 <= len(datetime) <= 8:
            raise ValueError(INVALID_ARGUMENTS)
        fields = [check_int(v) for v in datetime[:7]] + [0] * (7 - min(len(datetime), 7))
        year, month, day, hour, minute, second, micros = fields
        days = _days_from_civil(year, month, day)
        return (((days * 24 + hour) * 60 + minute) * 60 + second) * 1_000_000 + micros

    # --- WDT ------------------------------------------------------------------------------------

    class WDT:
        """WDT(id=0, timeout): the hardware watchdog; not fed within timeout ms it resets
        the device (WDT_RESET), whatever its threads do."""

        def __new__(cls, id=0, timeout=_unset):  # noqa: A002
            if timeout is _unset:
                raise TypeError("'timeout' argument required")
            if int32(id) != 0:
                raise OSError(RESOURCE_NOT_AVAILABLE)
            watchdog._start(int32(timeout))
            return watchdog

        def init(self, timeout=_unset):
            if timeout is _unset:
                raise TypeError("'timeout' argument required")
            self._start(int32(timeout))

        def feed(self):
            self._deadline = dev.now_us() + self._timeout_us

        def _start(self, timeout_ms):
            # machine_wdt_start(): timeout ticks of 0.5 ms before the interrupt stage, as many
            # before the reset stage; 0 counts as 1.
            self._timeout_us = ((timeout_ms & 0xFFFFFFFF) or 1) * 1000
            self._deadline = dev.now_us() + self._timeout_us
            if self._box is None:
                self._box = _core.Mailbox(dev.core, 1)
                dev.threads.start(self._run, f"{dev.name}:WDT")
            else:
                self._box.post(1)  # the deadline may have come closer

        def _run(self):
            while True:
                deadline = self._deadline
                if dev.now_us() >= deadline:
                    dev.reboot(WDT_RESET)
                self._box.take(deadline)

    watchdog = object.__new__(WDT)
    watchdog._box = None
    watchdog._deadline = None
    watchdog._timeout_us = 0

    # --- the module -----------------------------------------------------------------------------

    for cls in (Pin, Timer, Alarm, Chrono, RTC, WDT):
        cls.__module__ = "machine"
    for function in (unique_id, reset, deepsleep, sleep, remaining_sleep_time, pin_sleep_wakeup,
                     reset_cause, wake_reason, idle, rng, freq, info, temperature, disable_irq,
                     enable_irq, main, flash_encrypt, secure_boot):
        function.__module__ = "machine"
        setattr(module, function.__name__, function)
    module.Pin, module.Timer, module.RTC, module.WDT = Pin, Timer, RTC, WDT
    constants = {
        # mpsleep.h
        "PWRON_RESET": 0, "HARD_RESET": 1, "WDT_RESET": 2, "DEEPSLEEP_RESET": 3,
        "SOFT_RESET": 4, "BROWN_OUT_RESET": 5,
        "PWRON_WAKE": 0, "PIN_WAKE": 1, "RTC_WAKE": 2, "ULP_WAKE": 3,
        "WAKEUP_ALL_LOW": WAKEUP_ALL_LOW, "WAKEUP_ANY_HIGH": WAKEUP_ANY_HIGH,
    }
    for name, value in constants.items():
        setattr(module, name, value)
    return module


def _ext1_wakers(names, levels, mode):
    """The pins that wake an ext1 sleep now, or None: any high pin (ANY_HIGH) or all of
    them once all are low (ALL_LOW). The source is level-triggered: a condition that holds
    when the sleep starts wakes the device at once."""
    if mode == WAKEUP_ANY_HIGH:
        high = [n for n, level in zip(names, levels) if level]
        return high or None
    return list(names) if not any(levels) else None
