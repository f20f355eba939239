"""Argument checks shared by device modules, with MicroPython's messages."""

__all__ = ["check_int", "int32"]

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1


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
