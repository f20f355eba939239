"""Argument checks shared by device modules, with MicroPython's messages."""

__all__ = ["MAX_WAIT_US", "check_int", "check_wait_us", "int32"]

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1

#: The longest wait the emulator takes (its clock is an int64 of microseconds; 2**62 us is
#: about 146,000 years, so a sum of waits cannot overflow it either).
MAX_WAIT_US = 1 << 62


def check_wait_us(duration_us):
    """A wait in microseconds the world's clock can hold, else OverflowError."""
    if duration_us > MAX_WAIT_US:
        raise OverflowError("overflow converting long int to machine word")
    return max(int(duration_us), 0)


def check_int(value):
    """mp_obj_get_int: an int (bools count) or TypeError, as MicroPython says it."""
    if isinstance(value, int):
        return int(value)
    raise TypeError(f"can't convert {type(value).__name__} to int")


def int32(value):
    """A C int argument: int that fits 32-bit signed, else OverflowError as on the device."""
    value = check_int(value)
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise OverflowError("overflow converting long int to machine word")
    return value
