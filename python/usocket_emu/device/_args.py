"""Argument checks shared by device modules, with MicroPython's messages."""

__all__ = ["MAX_WAIT_US", "attrtuple", "check_at_most", "check_int", "check_wait_us", "get_str", "int32", "read_buffer"]

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1

#: The longest wait the emulator takes (its clock is an int64 of microseconds; 2**62 us is
#: about 146,000 years, so a sum of waits cannot overflow it either).
MAX_WAIT_US = 1 << 62


def check_wait_us(duration_us):
    """A wait in microseconds the world's clock can hold, else OverflowError."""
    if duration_us > MAX_WAIT_US:
        raise OverflowError("overflow converting long int to machine word")
    return max(int(duration_us), 0)


def check_at_most(args, most):
    """mp_arg_check_num for a function of 0..most positional arguments."""
    if len(args) > most:
        raise TypeError(f"function expected at most {most} arguments, got {len(args)}")


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


def read_buffer(obj):
    """mp_get_buffer_raise(obj, MP_BUFFER_READ): the bytes of a buffer or of a str's UTF-8.

    Every device module that takes data uses it: ubinascii, ustruct, uhashlib, crypto,
    file writes, RTC memory.
    """
    if isinstance(obj, str):
        return obj.encode("utf-8", "surrogateescape")
    if isinstance(obj, bytes):
        return obj
    try:
        with memoryview(obj) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError("object with buffer protocol required") from None


def get_str(value):
    """mp_obj_str_get_str: a str, or bytes decoded, else TypeError as MicroPython says it."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError(f"can't convert '{type(value).__name__}' object to str implicitly")


def attrtuple(name, fields, module):
    """A tuple class whose items also have names, as mp_obj_new_attrtuple makes (uname(),
    WLAN.scan() entries); it prints as (field=value, ...)."""
    def item(i):
        return property(lambda self: self[i])

    def __repr__(self):
        return "(" + ", ".join(f"{f}={v!r}" for f, v in zip(fields, self)) + ")"

    namespace = {"__slots__": (), "_fields": tuple(fields), "__repr__": __repr__}
    namespace.update({f: item(i) for i, f in enumerate(fields)})
    cls = type(name, (tuple,), namespace)
    cls.__module__ = module
    return cls
