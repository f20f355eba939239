"""ustruct / struct (MicroPython 1.11 py/modstruct.c and py/binary.c, as in Pycom firmware 1.20.2).

What differs from CPython's struct, all as on the device:

* prefixes ``@`` (native: the ESP32's 32-bit sizes and alignments), ``<``, ``>`` and ``!``;
  ``=`` is accepted by the prefix parser but has no size table in binary.c, so any code
  after it is ``ValueError('bad typecode')``;
* codes ``b B h H i I l L q Q f d s P`` plus MicroPython's ``O`` (an object reference) and
  ``S`` (a C string pointer); ``x ? c e n N p``, whitespace and anything else are
  ``ValueError('bad typecode')``;
* ``pack`` ignores extra values and zero-fills missing ones; integers are truncated to the
  field, never range-checked (a small negative int in ``Q`` is zero-extended from 32 bits);
  ``s`` takes bytes or str and pads or truncates;
* ``unpack`` is ``unpack_from``: the buffer only has to be big enough, and an offset may be
  given (negative: from the end); ``@`` alignment is applied to positions in the buffer, so
  an unaligned offset moves the fields (MicroPython issue #3314);
* errors are ValueError/TypeError with MicroPython's messages; there is no ``struct.error``.

Floats are the host's doubles: ``d`` packs the double itself, where the device (single
precision floats) would pack the double of a 32-bit float.
"""

import struct as _host_struct
import types

from . import gc as _gc
from ._args import check_int
from ._args import read_buffer
from .ubinascii import text_of

__all__ = ["build"]

#: '@' (native) sizes and alignments on the ESP32: xtensa GCC, 32-bit long and pointers,
#: 8-byte aligned long long and double (binary.c mp_binary_get_size, sizeof/alignof).
_NATIVE = {
    "\x01": (1, 1),  # BYTEARRAY_TYPECODE, which binary.c's native table also lists
    "b": (1, 1),
    "B": (1, 1),
    "h": (2, 2),
    "H": (2, 2),
    "i": (4, 4),
    "I": (4, 4),
    "l": (4, 4),
    "L": (4, 4),
    "q": (8, 8),
    "Q": (8, 8),
    "P": (4, 4),
    "O": (4, 4),
    "S": (4, 4),
    "f": (4, 4),
    "d": (8, 8),
}

#: '<' and '>' (and '!') sizes; no alignment.
_STANDARD = {code: (size, 1) for code, (size, _align) in _NATIVE.items() if code != "\x01"}

_NO_OFFSET = object()  # unpack_from() without an offset (None is a TypeError, as on the device)

#: MicroPython small ints on a 32-bit port (31 bits): values outside take the long-int path.
_SMALL_INT_MIN, _SMALL_INT_MAX = -(1 << 30), (1 << 30) - 1


def _is_signed(code):
    return code > "Z"  # binary.c's is_signed(): lower-case codes


def _fmt_type(fmt):
    """get_fmt_type: the prefix ('!' reads as '>') and where the codes start."""
    if fmt[:1] == "!":
        return ">", 1
    if fmt[:1] in ("@", "=", "<", ">"):
        return fmt[0], 1
    return "@", 0


def _size_align(kind, code):
    table = _NATIVE if kind == "@" else _STANDARD if kind in ("<", ">") else {}
    try:
        return table[code]
    except KeyError:
        raise ValueError("bad typecode") from None


def _items(fmt):
    """The (count, code) pairs of a format after its prefix; a count alone ends in code ''."""
    i = 0
    while i < len(fmt):
        count = 1
        if fmt[i].isdigit() and fmt[i].isascii():
            j = i
            while j < len(fmt) and fmt[j].isdigit() and fmt[j].isascii():
                j += 1
            count = int(fmt[i:j])
            i = j
        code = fmt[i] if i < len(fmt) else ""
        yield count, code
        i += 1


class _Layout:
    """A parsed format: byte order, the fields in order, their number and the total size."""

    __slots__ = ("big_endian", "native", "fields", "item_count", "size")

    def __init__(self, fmt_obj):
        fmt = text_of(fmt_obj).decode("utf-8", "surrogateescape")
        kind, start = _fmt_type(fmt)
        self.native = kind == "@"
        self.big_endian = kind == ">"
        self.fields = []  # (count, code, size, align)
        self.item_count = 0
        size = 0
        for count, code in _items(fmt[start:]):
            if code == "s":
                self.fields.append((count, code, count, 1))
                self.item_count += 1
                size += count
                continue
            item_size, align = _size_align(kind, code)
            self.fields.append((count, code, item_size, align))
            self.item_count += count
            if count:
                # Sizes are multiples of their alignment: align once, then stack the items.
                size = _align_up(size, align) + count * item_size
        self.size = size


def _align_up(position, align):
    return (position + align - 1) & ~(align - 1)


def _check_alloc(size, heap_bytes):
    if size > heap_bytes:
        raise MemoryError(f"memory allocation failed, allocating {size} bytes")


def _float_arg(value):
    """mp_obj_get_float: ints, bools and floats."""
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"can't convert {type(value).__name__} to float")


def _float32_bits(value):
    """The IEEE single for a C double-to-float conversion (overflow gives infinity)."""
    try:
        return _host_struct.pack("<f", value)
    except OverflowError:
        return _host_struct.pack("<f", float("inf") if value > 0 else float("-inf"))


def _encode(code, size, big_endian, value, objects):
    """mp_binary_set_val's bytes for one value."""
    order = "big" if big_endian else "little"
    if code == "f":
        raw = _float32_bits(_float_arg(value))
        return raw[::-1] if big_endian else raw
    if code == "d":
        return _host_struct.pack(">d" if big_endian else "<d", _float_arg(value))
    if code == "O":
        handle = objects.handle(value)
        return handle.to_bytes(size, order)
    number = check_int(value)
    if size > 4 and not _is_signed(code) and _SMALL_INT_MIN <= number < 0:
        # A small int is a C int: an unsigned 8-byte field zero-extends it (binary.c).
        number &= 0xFFFFFFFF
    return (number % (1 << (8 * size))).to_bytes(size, order)


def _decode(code, raw, big_endian, objects):
    """mp_binary_get_val for one field's bytes."""
    if code == "f":
        return _host_struct.unpack(">f" if big_endian else "<f", raw)[0]
    if code == "d":
        return _host_struct.unpack(">d" if big_endian else "<d", raw)[0]
    number = int.from_bytes(raw, "big" if big_endian else "little", signed=_is_signed(code))
    if code == "O":
        return objects.lookup(number)
    if code == "S":
        raise ValueError("'S' reads a C string at a device address, which the emulator has not got")
    return number


class _Objects:
    """'O' fields hold object references: the handles one device packed, and their objects."""

    def __init__(self):
        self._by_handle = {}

    def handle(self, obj):
        handle = 0x3F800000 + 4 * len(self._by_handle)  # device-looking heap addresses
        for known, value in self._by_handle.items():
            if value is obj:
                return known
        self._by_handle[handle] = obj
        return handle

    def lookup(self, handle):
        try:
            return self._by_handle[handle]
        except KeyError:
            raise ValueError(f"'O' field holds 0x{handle:08x}, which this device never packed") from None


def _pack_fields(layout, target, base, values, objects):
    """struct_pack_into_internal: writes the values from target[base:]; stops when they run out."""
    position = base
    index = 0
    for count, code, size, align in layout.fields:
        if index >= len(values):
            break
        if code == "s":
            data = read_buffer(values[index])[:count]
            index += 1
            target[position : position + count] = data + bytes(count - len(data))
            position += count
            continue
        for _ in range(count):
            if index >= len(values):
                break
            if layout.native:
                position = _align_up(position, align)
            raw = _encode(code, size, layout.big_endian, values[index], objects)
            index += 1
            target[position : position + size] = raw
            position += size


def _unpack_fields(layout, data, position, objects):
    out = []
    for count, code, size, align in layout.fields:
        if code == "s":
            out.append(bytes(data[position : position + count]))
            position += count
            continue
        for _ in range(count):
            if layout.native:
                position = _align_up(position, align)
            raw = bytes(data[position : position + size])
            # Aligned reads past the checked size see whatever follows on the device; zeros here.
            raw += bytes(size - len(raw))
            out.append(_decode(code, raw, layout.big_endian, objects))
            position += size
    return tuple(out)


def build(dev):
    """The ustruct module of one device boot."""
    heap_bytes = _gc.heap_total_bytes(getattr(dev, "board", None))
    objects = _Objects()

    def calcsize(fmt, /):
        """calcsize(fmt) -> the packed size in bytes."""
        return _Layout(fmt).size

    def pack(fmt, /, *values):
        """pack(fmt, v1, v2, ...) -> bytes."""
        layout = _Layout(fmt)
        _check_alloc(layout.size, heap_bytes)
        out = bytearray(layout.size)
        _pack_fields(layout, out, 0, values, objects)
        return bytes(out)

    def pack_into(fmt, buffer, offset, /, *values):
        """pack_into(fmt, buffer, offset, v1, v2, ...): writes into a writable buffer."""
        try:
            view = memoryview(buffer)
        except TypeError:
            raise TypeError("object with buffer protocol required") from None
        with view:
            if view.readonly or isinstance(buffer, str):
                raise TypeError("object with buffer protocol required")
            with view.cast("B") as target:
                offset = check_int(offset)
                if offset < 0:
                    offset += len(target)
                    if offset < 0:
                        raise ValueError("buffer too small")
                layout = _Layout(fmt)
                if offset + layout.size > len(target):
                    raise ValueError("buffer too small")
                _pack_fields(layout, target, offset, values, objects)

    def unpack_from(fmt, data, offset=_NO_OFFSET, /):
        """unpack_from(fmt, data[, offset]) -> tuple; also the module's unpack(): the buffer
        only has to be big enough."""
        layout = _Layout(fmt)
        _check_alloc(4 * layout.item_count, heap_bytes)
        raw = read_buffer(data)
        position = 0
        if offset is not _NO_OFFSET:
            position = check_int(offset)
            if position < 0:
                position += len(raw)
                if position < 0:
                    raise ValueError("buffer too small")
        if position + layout.size > len(raw):
            raise ValueError("buffer too small")
        return _unpack_fields(layout, raw, position, objects)

    module = types.ModuleType("ustruct", "MicroPython ustruct: pack and unpack binary data.")
    for name, function in (
        ("calcsize", calcsize),
        ("pack", pack),
        ("pack_into", pack_into),
        ("unpack", unpack_from),  # the firmware binds one function to both names
        ("unpack_from", unpack_from),
    ):
        function.__module__ = "ustruct"
        function.__qualname__ = function.__name__
        module.__dict__[name] = function
    return module
