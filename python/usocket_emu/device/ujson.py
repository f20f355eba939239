"""ujson / json (MicroPython 1.11 extmod/modujson.c, as in Pycom firmware 1.20.2).

dumps(obj), dump(obj, stream), loads(str), load(stream); no keyword arguments (no indent,
separators, sort_keys...). Output is MicroPython's printing in JSON mode:

* ``", "`` between items and ``": "`` after keys, like CPython's defaults;
* non-ASCII characters are written as they are (UTF-8), never as ``\\uXXXX``; only ``"``,
  ``\\``, ``\\n``, ``\\r`` and ``\\t`` get short escapes, other control characters ``\\u00XX``;
* bytes print as JSON strings of their bytes, tuples as lists, None/True/False as
  null/true/false, floats with 7 significant digits (single precision on the device, so
  0.1 + 0.2 gives 0.3) and a ``.0`` when they look like ints, infinities as ``inf``;
* keys are printed as values, so ``{1: 2}`` gives ``{1: 2}`` (not valid JSON, as on the device);
* objects JSON has no form for print as their repr instead of raising TypeError.

The parser is MicroPython's: commas and colons are skipped like whitespace, any number of
values may be nested, keys may be any value; everything wrong is ``ValueError('syntax error
in JSON')`` (number syntax errors keep MicroPython's number messages).
"""

import math
import struct as _host_struct
import types

from .ubinascii import text_of

__all__ = ["build", "dumps", "loads"]

_SHORT_ESCAPES = {0x22: b'\\"', 0x5C: b"\\\\", 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t"}
_TRAILING_SPACE = b" \t\n\v\f\r"  # unichar_isspace
_SYNTAX_ERROR = "syntax error in JSON"


# ---------------------------------------------------------------------------------------------
# dumps
# ---------------------------------------------------------------------------------------------


def _json_string(raw):
    """mp_str_print_json: the bytes of a JSON string for raw UTF-8 (or any) bytes."""
    out = bytearray(b'"')
    for byte in raw:
        escape = _SHORT_ESCAPES.get(byte)
        if escape is not None:
            out += escape
        elif byte >= 0x20:
            out.append(byte)
        else:
            out += b"\\u%04x" % byte
    out += b'"'
    return bytes(out)


def _float_text(value):
    """float_print with single-precision floats: "%.7g" of the float, ".0" when it looks int."""
    try:
        single = _host_struct.unpack("<f", _host_struct.pack("<f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isnan(single):
        return b"nan"
    if math.isinf(single):
        return b"inf" if single > 0 else b"-inf"
    text = b"%.7g" % single
    if b"." not in text and b"e" not in text:
        text += b".0"
    return text


def _dump(obj, out):
    if obj is None:
        out += b"null"
    elif obj is True:
        out += b"true"
    elif obj is False:
        out += b"false"
    elif isinstance(obj, str):
        out += _json_string(obj.encode("utf-8", "surrogateescape"))
    elif isinstance(obj, bytes):
        out += _json_string(obj)
    elif isinstance(obj, int):
        out += b"%d" % obj
    elif isinstance(obj, float):
        out += _float_text(obj)
    elif isinstance(obj, (list, tuple)):
        out += b"["
        for i, item in enumerate(obj):
            if i:
                out += b", "
            _dump(item, out)
        out += b"]"
    elif isinstance(obj, dict):
        if type(obj) is not dict:
            out += type(obj).__name__.encode() + b"("  # OrderedDict({...}), as dict_print does
        out += b"{"
        for i, (key, value) in enumerate(obj.items()):
            if i:
                out += b", "
            _dump(key, out)
            out += b": "
            _dump(value, out)
        out += b"}"
        if type(obj) is not dict:
            out += b")"
    else:
        # Types without a JSON form print their repr (sets, bytearrays, instances...).
        out += repr(obj).encode("utf-8", "surrogateescape")


def dumps(obj, /):
    """dumps(obj) -> str."""
    out = bytearray()
    _dump(obj, out)
    return out.decode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------------------
# loads
# ---------------------------------------------------------------------------------------------


class _Reader:
    """A byte cursor: cur is the byte under the cursor, or None at the end."""

    __slots__ = ("data", "pos")

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def cur(self):
        return self.data[self.pos] if self.pos < len(self.data) else None

    def next(self):
        self.pos += 1
        return self.cur()

    def expect(self, word):
        """The rest of a literal whose first byte was consumed."""
        for expected in word:
            if self.cur() != expected:
                raise ValueError(_SYNTAX_ERROR)
            self.next()


def _parse_int(text):
    try:
        return int(text, 10)
    except ValueError:
        raise ValueError("invalid syntax for integer with base 10") from None


def _parse_float(text):
    try:
        return float(text)
    except ValueError:
        raise ValueError("invalid syntax for number") from None


def _read_string(reader):
    """After the opening quote: the string's bytes up to the closing quote."""
    out = bytearray()
    while True:
        c = reader.cur()
        if c is None:
            raise ValueError(_SYNTAX_ERROR)
        if c == 0x22:
            reader.next()
            return out.decode("utf-8", "surrogateescape")
        if c == 0x5C:
            c = reader.next()
            if c is None:
                raise ValueError(_SYNTAX_ERROR)
            if c == ord("u"):
                number = 0
                for _ in range(4):
                    # Byte arithmetic as in the C code: a non-hex digit garbles the number.
                    digit = (((reader.next() or 0) | 0x20) - 0x30) & 0xFF
                    if digit > 9:
                        digit = (digit - 0x27) & 0xFF
                    number = ((number << 4) | digit) & 0xFFFFFFFF
                # vstr_add_char: the code point's UTF-8 (surrogates included, unpaired).
                out += chr(min(number, 0x10FFFF)).encode("utf-8", "surrogatepass")
                reader.next()
                continue
            c = {0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09}.get(c, c)
        out.append(c)
        reader.next()


def _read_number(reader, first):
    text = bytearray([first])
    is_float = False
    while True:
        c = reader.cur()
        if c in (0x2E, 0x45, 0x65):  # . E e
            is_float = True
        elif c is None or not (c in (0x2B, 0x2D) or 0x30 <= c <= 0x39):  # + - digits
            break
        text.append(c)
        reader.next()
    return _parse_float(bytes(text)) if is_float else _parse_int(bytes(text))


def loads(text, /):
    """loads(str_or_bytes) -> the value."""
    # The parser's end-of-input marker is a NUL byte: the text ends at its first NUL.
    reader = _Reader(text_of(text).split(b"\x00", 1)[0])
    stack = []  # the containers being filled, outermost first
    top = None
    have_top = False
    key = _NO_KEY = object()
    while True:
        c = reader.cur()
        if c is None:
            break
        reader.next()
        enter = False
        if c in b",: \t\n\r":
            continue
        if c == ord("n"):
            reader.expect(b"ull")
            value = None
        elif c == ord("f"):
            reader.expect(b"alse")
            value = False
        elif c == ord("t"):
            reader.expect(b"rue")
            value = True
        elif c == 0x22:
            value = _read_string(reader)
        elif c == 0x2D or 0x30 <= c <= 0x39:
            value = _read_number(reader, c)
        elif c == ord("["):
            value = []
            enter = True
        elif c == ord("{"):
            value = {}
            enter = True
        elif c in (ord("]"), ord("}")):
            if not have_top:
                raise ValueError(_SYNTAX_ERROR)
            if not stack:
                break  # the outermost container is closed
            top = stack.pop()
            continue
        else:
            raise ValueError(_SYNTAX_ERROR)
        if not have_top:
            top, have_top = value, True
            if not enter:
                break  # a single primitive
            continue
        if isinstance(top, list):
            top.append(value)
        elif key is _NO_KEY:
            if enter:
                raise ValueError(_SYNTAX_ERROR)  # a container as a key
            key = value
        else:
            top[key] = value
            key = _NO_KEY
        if enter:
            stack.append(top)
            top = value
    while reader.cur() is not None and reader.cur() in _TRAILING_SPACE:
        reader.next()
    if reader.cur() is not None or not have_top or stack:
        raise ValueError(_SYNTAX_ERROR)
    return top


# ---------------------------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------------------------


def _stream_method(stream, name):
    method = getattr(stream, name, None)
    if not callable(method):
        raise OSError("stream operation not supported")
    return method


def build(dev):
    """The ujson module of one device boot (it has no state; dev is not used)."""
    del dev

    def ujson_dumps(obj, /):
        """dumps(obj) -> str in MicroPython's JSON form."""
        return dumps(obj)

    def ujson_loads(text, /):
        """loads(str_or_bytes) -> the value; ValueError('syntax error in JSON')."""
        return loads(text)

    def dump(obj, stream, /):
        """dump(obj, stream): writes dumps(obj) to a stream (text or binary)."""
        write = _stream_method(stream, "write")
        text = dumps(obj)
        try:
            write(text)
        except TypeError:
            write(text.encode("utf-8", "surrogateescape"))

    def load(stream, /):
        """load(stream) -> the value of the JSON the stream holds up to its end."""
        data = _stream_method(stream, "read")()
        return loads(data if data is not None else b"")

    module = types.ModuleType("ujson", "MicroPython ujson: JSON encoding and decoding.")
    for name, function in (("dump", dump), ("dumps", ujson_dumps), ("load", load), ("loads", ujson_loads)):
        function.__name__ = name
        function.__qualname__ = name
        function.__module__ = "ujson"
        module.__dict__[name] = function
    return module
