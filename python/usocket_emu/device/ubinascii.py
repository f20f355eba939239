"""ubinascii / binascii (MicroPython 1.11 extmod/modubinascii.c, as in Pycom firmware 1.20.2).

hexlify, unhexlify, a2b_base64 and b2a_base64; no crc32 (the firmware does not enable
MICROPY_PY_UBINASCII_CRC32). Every data argument goes through the buffer protocol, which on
MicroPython includes ``str`` (its UTF-8 bytes).
"""

import binascii as _host_binascii
import types

from ._args import read_buffer

__all__ = ["build", "device_function", "read_buffer", "text_of"]

#: MicroPython's base64 alphabet: value of each character, other characters are skipped.
_SEXTETS = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_HEX_DIGITS = b"0123456789abcdef"
_HEX_ANY_CASE = frozenset(b"0123456789abcdefABCDEF")


def text_of(obj):
    """mp_obj_str_get_str / mp_obj_str_get_data: the bytes of a str or bytes, else TypeError."""
    if isinstance(obj, str):
        return obj.encode("utf-8", "surrogateescape")
    if isinstance(obj, bytes):
        return obj
    name = type(obj).__name__
    raise TypeError(f"can't convert '{name}' object to str implicitly")


def _hexlify(data, *sep):
    """hexlify(data[, sep]) -> bytes of lowercase hex digits, sep's first byte between them."""
    if len(sep) > 1:
        raise TypeError(f"function expected at most 2 arguments, got {1 + len(sep)}")
    raw = read_buffer(data)
    if not raw:
        return b""
    if not sep:
        return _host_binascii.hexlify(raw)
    # The separator is a C string's first char: an empty one is its NUL terminator.
    separator = text_of(sep[0])[:1] or b"\x00"
    out = bytearray()
    for i, byte in enumerate(raw):
        if i:
            out += separator
        out.append(_HEX_DIGITS[byte >> 4])
        out.append(_HEX_DIGITS[byte & 0xF])
    return bytes(out)


def _unhexlify(data):
    """unhexlify(data) -> bytes; ValueError on odd length or a non-hex digit."""
    raw = read_buffer(data)
    if len(raw) & 1:
        raise ValueError("odd-length string")
    if not all(c in _HEX_ANY_CASE for c in raw):
        raise ValueError("non-hex digit found")
    return bytes.fromhex(raw.decode("ascii"))


def _a2b_base64(data):
    """a2b_base64(data) -> bytes. Characters outside the alphabet are skipped; the decoding
    stops at a pad that completes a quantum; leftover bits are "incorrect padding"."""
    raw = read_buffer(data)
    out = bytearray()
    shift = 0
    nbits = 0
    hadpad = False
    for c in raw:
        if c == 0x3D:  # '='
            if nbits == 2 or (nbits == 4 and hadpad):
                nbits = 0
                break
            hadpad = True
        sextet = _SEXTETS.get(c)
        if sextet is None:
            continue
        hadpad = False
        shift = ((shift << 6) | sextet) & 0xFFFFFFFF
        nbits += 6
        if nbits >= 8:
            nbits -= 8
            out.append((shift >> nbits) & 0xFF)
    if nbits:
        raise ValueError("incorrect padding")
    return bytes(out)


def _b2a_base64(data):
    """b2a_base64(data) -> standard base64 bytes and a newline (no keyword arguments)."""
    return _host_binascii.b2a_base64(read_buffer(data))


def build(dev):
    """The ubinascii module of one device boot (it has no state; dev is not used)."""
    del dev
    module = types.ModuleType("ubinascii", "MicroPython ubinascii: hex and base64 conversions.")
    for public, function in (
        ("hexlify", _hexlify),
        ("unhexlify", _unhexlify),
        ("a2b_base64", _a2b_base64),
        ("b2a_base64", _b2a_base64),
    ):
        module.__dict__[public] = device_function(function, public, "ubinascii")
    return module


def device_function(function, name, module_name):
    """A copy of a stateless function for one built module, named as the device names it.

    Shared by the device modules that keep their functions at module level.
    """
    copy = types.FunctionType(
        function.__code__, function.__globals__, name, function.__defaults__, function.__closure__
    )
    copy.__doc__ = function.__doc__
    copy.__qualname__ = name
    copy.__module__ = module_name
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy
