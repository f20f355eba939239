"""utime / time (Pycom modutime.c): sleeps are emulator waits; ticks count from boot; the
RTC-based calendar has Pycom's 1970 epoch."""

import calendar
import time as _host_time
import types

from ._args import check_int, int32

#: ticks_*() wrap at 2**32 (the firmware returns them as uint32).
TICKS_PERIOD = 1 << 32


def build(dev):
    module = types.ModuleType("utime", "Pycom utime: sleeps, ticks and the RTC calendar.")
    timezone_s = [0]  # timezone(): a RAM setting, lost at reset

    def sleep(seconds):
        """sleep(seconds): int or float."""
        if not isinstance(seconds, (int, float)):
            raise TypeError(f"can't convert {type(seconds).__name__} to float")
        dev.sleep_us(round(seconds * 1_000_000))

    def sleep_ms(ms):
        dev.sleep_us(int32(ms) * 1000)

    def sleep_us(us):
        dev.sleep_us(int32(us))

    def ticks_ms():
        return (dev.uptime_us() // 1000) % TICKS_PERIOD

    def ticks_us():
        return dev.uptime_us() % TICKS_PERIOD

    def ticks_cpu():
        return dev.uptime_us() % TICKS_PERIOD

    def ticks_diff(new, old):
        """Signed 32-bit difference new - old."""
        diff = (check_int(new) - check_int(old)) % TICKS_PERIOD
        return diff - TICKS_PERIOD if diff >= TICKS_PERIOD // 2 else diff

    def ticks_add(ticks, delta):
        return (check_int(ticks) + check_int(delta)) % TICKS_PERIOD

    def time():
        """Seconds since 1970 by the RTC."""
        return dev.rtc_us() // 1_000_000

    def _tuple(seconds):
        t = _host_time.gmtime(seconds)
        return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_wday, t.tm_yday)

    def gmtime(seconds=None):
        return _tuple(time() if seconds is None else check_int(seconds))

    def localtime(seconds=None):
        return _tuple((time() if seconds is None else check_int(seconds)) + timezone_s[0])

    def mktime(date):
        """mktime((Y, M, D, h, m, s, wd, yd[, dst])) -> seconds; weekday and yearday ignored."""
        if not isinstance(date, tuple) or len(date) not in (8, 9):
            raise TypeError("mktime needs a tuple of length 8 or 9")
        year, month, day, hour, minute, second = (check_int(v) for v in date[:6])
        return calendar.timegm((year, month, day, hour, minute, second)) - timezone_s[0]

    def timezone(offset_s=None):
        """timezone() -> the offset in seconds; timezone(s) sets it."""
        if offset_s is None:
            return timezone_s[0]
        timezone_s[0] = check_int(offset_s)
        return None

    for function in (sleep, sleep_ms, sleep_us, ticks_ms, ticks_us, ticks_cpu, ticks_diff, ticks_add,
                     time, gmtime, localtime, mktime, timezone):
        function.__module__ = "utime"
        setattr(module, function.__name__, function)
    return module
