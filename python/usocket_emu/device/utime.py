"""utime / time (Pycom modutime.c): sleeps are emulator waits; ticks count from boot; the
RTC-based calendar has Pycom's 1970 epoch."""

import calendar
import struct
import time as _host_time
import types

from ._args import check_int, int32

#: ticks_*() wrap at 2**32 (the firmware returns them as uint32).
TICKS_PERIOD = 1 << 32


def _float32(value):
    """A C float (MICROPY_FLOAT_IMPL_FLOAT: mp_obj_get_float gives single precision)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def build(dev):
    module = types.ModuleType("utime", "Pycom utime: sleeps, ticks and the RTC calendar.")
    timezone_s = [0]  # timezone(): a RAM setting, lost at reset

    def sleep(seconds):
        """sleep(seconds): int or float."""
        if not isinstance(seconds, (int, float)):
            raise TypeError(f"can't convert {type(seconds).__name__} to float")
        # modutime.c: mp_hal_delay_ms(1000 * mp_obj_get_float(s)): a float product truncated
        # to whole milliseconds (sleep(0.0015) sleeps 1 ms). A negative product has no
        # defined uint32 value in C; it returns at once here.
        ms = _float32(1000.0 * _float32(float(seconds)))
        dev.sleep_us(int(ms) * 1000 if ms > 0 else 0)

    def sleep_ms(ms):
        # mp_hal_delay_ms(uint32_t): mp_obj_get_int (OverflowError past a C int), then a
        # negative count wraps to uint32 (sleep_ms(-1) sleeps 2**32 - 1 ms), esp32_mphal.c
        dev.sleep_us((int32(ms) % TICKS_PERIOD) * 1000)

    def sleep_us(us):
        # mp_hal_delay_us(uint32_t), esp32_mphal.c: negative counts wrap as in sleep_ms
        dev.sleep_us(int32(us) % TICKS_PERIOD)

    def ticks_ms():
        return (dev.uptime_us() // 1000) % TICKS_PERIOD

    def ticks_us():
        return dev.uptime_us() % TICKS_PERIOD

    def ticks_cpu():
        # mp_hal_ticks_us_non_blocking() = esp_timer_get_time(): microseconds since boot
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

    def _seconds(seconds):
        # seconds_to_tuple_helper: None is now; else mp_obj_get_int (a C int)
        return time() if seconds is None else int32(seconds)

    def gmtime(seconds=None):
        return _tuple(_seconds(seconds))

    def localtime(seconds=None):
        return _tuple(_seconds(seconds) + timezone_s[0])

    def mktime(date):
        """mktime((Y, M, D, h, m, s, wd, yd[, dst])) -> seconds; weekday and yearday ignored.
        Out-of-range fields carry over (month 13 is January of the next year), as
        timeutils_mktime does; a list works too (mp_obj_get_array)."""
        if not isinstance(date, (tuple, list)):
            raise TypeError(f"object '{type(date).__name__}' isn't a tuple or list")
        if len(date) not in (8, 9):
            raise TypeError(f"mktime needs a tuple of length 8 or 9 ({len(date)} given)")
        year, month, day, hour, minute, second = (int32(v) for v in date[:6])
        year, month0 = divmod(year * 12 + month - 1, 12)
        # timegm carries days, hours, minutes and seconds over by itself
        return calendar.timegm((year, month0 + 1, day, hour, minute, second)) - timezone_s[0]

    def timezone(offset_s=None):
        """timezone() -> the offset in seconds; timezone(s) sets it."""
        if offset_s is None:
            return timezone_s[0]
        timezone_s[0] = int32(offset_s)  # static int32_t timezone_offset = mp_obj_get_int()
        return None

    for function in (sleep, sleep_ms, sleep_us, ticks_ms, ticks_us, ticks_cpu, ticks_diff, ticks_add,
                     time, gmtime, localtime, mktime, timezone):
        function.__module__ = "utime"
        setattr(module, function.__name__, function)
    return module
