# test_pure_modules.py: the device's pure modules: ubinascii, ustruct, uerrno, ujson, uhashlib,
# crypto, micropython and gc, as Pycom firmware 1.20.2 (MicroPython 1.11) has them.
"""Values, layouts, formatting and errors of the pure device modules.

Each module is built as a device boot builds it, from a stand-in device that has only what
these modules use (``rng``, ``strict_firmware``, ``board``, ``stdout``).
"""

from __future__ import annotations

import array
import binascii
import gc as host_gc
import hashlib
import io
import json
import math
import random
import struct
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usocket_emu import _core
from usocket_emu.device import build


def make_device(seed=1, strict=False, board="LoPy4"):
    return types.SimpleNamespace(
        rng=random.Random(seed), strict_firmware=strict, board=board, stdout=io.StringIO()
    )


@pytest.fixture(scope="module")
def dev():
    return make_device()


@pytest.fixture(scope="module")
def ubinascii(dev):
    return build("ubinascii", dev)


@pytest.fixture(scope="module")
def ustruct(dev):
    return build("ustruct", dev)


@pytest.fixture(scope="module")
def uerrno(dev):
    return build("uerrno", dev)


@pytest.fixture(scope="module")
def ujson(dev):
    return build("ujson", dev)


@pytest.fixture
def uhashlib():
    return build("uhashlib", make_device())


@pytest.fixture(scope="module")
def crypto(dev):
    return build("crypto", dev)


def test_modules_carry_the_device_names(dev):
    expected = {
        "ubinascii": ("ubinascii", "hexlify"),
        "ustruct": ("ustruct", "pack"),
        "uerrno": ("uerrno", None),
        "ujson": ("ujson", "dumps"),
        "uhashlib": ("uhashlib", "sha256"),
        "crypto": ("ucrypto", "getrandbits"),
        "micropython": ("micropython", "const"),
        "gc": ("gc", "collect"),
    }
    for name, (device_name, member) in expected.items():
        module = build(name, dev)
        assert module.__name__ == device_name
        if member:
            assert getattr(module, member).__module__ == device_name


def test_builds_share_no_state():
    first, second = make_device(), make_device()
    gc_a, gc_b = build("gc", first), build("gc", second)
    gc_a.threshold(4096)
    assert gc_b.threshold() == -1
    hashes_a, hashes_b = build("uhashlib", first), build("uhashlib", second)
    pending = hashes_a.sha1()
    hashes_b.sha1().digest()  # another device's engine is free
    pending.digest()
    assert build("ujson", first).dumps is not build("ujson", second).dumps


# ==========================================================================
# ubinascii
# ==========================================================================


def test_hexlify_is_lowercase_bytes_of_any_buffer(ubinascii):
    assert ubinascii.hexlify(b"\x00\xab\xff") == b"00abff"
    assert ubinascii.hexlify("ab") == b"6162"  # str has the buffer protocol
    assert ubinascii.hexlify("é") == b"c3a9"
    assert ubinascii.hexlify(bytearray(b"\x10")) == b"10"
    assert ubinascii.hexlify(memoryview(b"xyz")[1:]) == b"797a"
    assert ubinascii.hexlify(array.array("H", [0x0102])) == b"0201"
    assert ubinascii.hexlify(b"") == b""


def test_hexlify_separator_is_its_first_byte(ubinascii):
    assert ubinascii.hexlify(b"\x01\x02\x03", ":") == b"01:02:03"
    assert ubinascii.hexlify(b"\x01\x02", b"-") == b"01-02"
    assert ubinascii.hexlify(b"\x01\x02", ", ") == b"01,02"
    assert ubinascii.hexlify(b"\x01\x02", "") == b"01\x0002"  # the C string's terminator
    assert ubinascii.hexlify(b"", ":") == b""
    with pytest.raises(TypeError, match="can't convert 'int' object to str implicitly"):
        ubinascii.hexlify(b"\x01", 5)


def test_unhexlify(ubinascii):
    assert ubinascii.unhexlify("48656C6c6f") == b"Hello"
    assert ubinascii.unhexlify(b"") == b""
    with pytest.raises(ValueError, match="^odd-length string$"):
        ubinascii.unhexlify("abc")
    with pytest.raises(ValueError, match="^non-hex digit found$"):
        ubinascii.unhexlify("zz")
    with pytest.raises(ValueError, match="^non-hex digit found$"):
        ubinascii.unhexlify("01 2")


def test_base64(ubinascii):
    assert ubinascii.b2a_base64(b"") == b"\n"
    assert ubinascii.b2a_base64(b"f") == b"Zg==\n"
    assert ubinascii.b2a_base64("foob") == b"Zm9vYg==\n"
    assert ubinascii.a2b_base64("Zm9vYmFy") == b"foobar"
    assert ubinascii.a2b_base64(b"Zm9v\nYmFy\n") == b"foobar"  # non-alphabet bytes are skipped
    assert ubinascii.a2b_base64("Zg==") == b"f"
    assert ubinascii.a2b_base64("Zg==trailing") == b"f"  # decoding stops at the completing pad
    assert ubinascii.a2b_base64("") == b""
    with pytest.raises(ValueError, match="^incorrect padding$"):
        ubinascii.a2b_base64("Zg")
    with pytest.raises(ValueError, match="^incorrect padding$"):
        ubinascii.a2b_base64("Zm9vY")
    with pytest.raises(TypeError):
        ubinascii.b2a_base64(b"x", newline=False)  # 1.11 has no newline argument


def test_ubinascii_has_no_crc32(ubinascii):
    assert not hasattr(ubinascii, "crc32")


def test_buffer_errors(ubinascii):
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        ubinascii.hexlify(12)
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        ubinascii.unhexlify(None)


@given(st.binary(max_size=64))
def test_binascii_round_trips_and_matches_cpython(data):
    module = build("ubinascii", make_device())
    assert module.hexlify(data) == binascii.hexlify(data)
    assert module.unhexlify(module.hexlify(data)) == data
    assert module.b2a_base64(data) == binascii.b2a_base64(data)
    assert module.a2b_base64(module.b2a_base64(data)) == data


# ==========================================================================
# ustruct
# ==========================================================================


@pytest.mark.parametrize(
    ("fmt", "size"),
    [
        ("<b", 1), ("<h", 2), ("<i", 4), ("<l", 4), ("<q", 8), ("<f", 4), ("<d", 8), ("<P", 4),
        ("<O", 4), ("<S", 4), ("@l", 4), ("@L", 4), ("@P", 4), ("l", 4), ("@bh", 4), ("@bi", 8),
        ("@bq", 16), ("@bd", 16), ("@hb", 3), ("<bq", 9), (">bq", 9), ("!bq", 9), ("3s", 3),
        ("0s", 0), ("@b3sI", 8), ("2H", 4), ("", 0), ("<", 0), ("@b0I", 1),
    ],
)
def test_calcsize_esp32_sizes_and_alignment(ustruct, fmt, size):
    assert ustruct.calcsize(fmt) == size


@pytest.mark.parametrize("fmt", ["x", "?", "c", "e", "n", "N", "p", "<x", "=I", "=b", "B B", "3", "<<I", "Z"])
def test_unknown_codes_are_bad_typecode(ustruct, fmt):
    with pytest.raises(ValueError, match="^bad typecode$"):
        ustruct.calcsize(fmt)
    with pytest.raises(ValueError, match="^bad typecode$"):
        ustruct.pack(fmt, 1)
    with pytest.raises(ValueError, match="^bad typecode$"):
        ustruct.unpack(fmt, b"\x00" * 16)


def test_struct_error_does_not_exist(ustruct):
    assert not hasattr(ustruct, "error")


def test_pack_layouts(ustruct):
    assert ustruct.pack("<HI", 1, 2) == b"\x01\x00\x02\x00\x00\x00"
    assert ustruct.pack(">HI", 1, 2) == b"\x00\x01\x00\x00\x00\x02"
    assert ustruct.pack("!H", 0x1234) == b"\x12\x34"
    assert ustruct.pack("bI", 1, 2) == b"\x01\x00\x00\x00\x02\x00\x00\x00"  # native: aligned
    assert ustruct.pack("@bq", -1, -2) == b"\xff" + bytes(7) + b"\xfe" + b"\xff" * 7
    assert ustruct.pack("<f", 1.5) == b"\x00\x00\xc0\x3f"
    assert ustruct.pack(">d", -2.0) == b"\xc0" + bytes(7)
    assert ustruct.pack("<q", -2) == b"\xfe" + b"\xff" * 7
    assert ustruct.pack("<Q", 2**64 - 1) == b"\xff" * 8
    assert ustruct.pack("BB", True, False) == b"\x01\x00"


def test_pack_s_takes_bytes_or_str_and_pads_or_truncates(ustruct):
    assert ustruct.pack("BB%ds" % 4, 1, 2, "text") == b"\x01\x02text"
    assert ustruct.pack("5s", b"ab") == b"ab\x00\x00\x00"
    assert ustruct.pack("2s", "abc") == b"ab"
    assert ustruct.pack("2s", "é") == b"\xc3\xa9"
    assert ustruct.pack("s", bytearray(b"z")) == b"z"
    assert ustruct.unpack("<3sB", b"abc\x07") == (b"abc", 7)


def test_pack_is_lenient_about_values(ustruct):
    assert ustruct.pack("<BBB", 1) == b"\x01\x00\x00"  # missing values: zeros
    assert ustruct.pack("<B", 1, 2, 3) == b"\x01"  # extra values: ignored
    assert ustruct.pack("<B", 256 + 7) == b"\x07"  # no range check: truncated
    assert ustruct.pack("<b", 200) == b"\xc8"
    assert ustruct.pack("<H", -1) == b"\xff\xff"
    assert ustruct.pack("<I", 2**40 + 5) == b"\x05\x00\x00\x00"
    # A small int is a C int; an unsigned 8-byte field zero-extends it (py/binary.c).
    assert ustruct.pack("<Q", -1) == b"\xff\xff\xff\xff\x00\x00\x00\x00"
    assert ustruct.pack(">Q", -1) == b"\x00\x00\x00\x00\xff\xff\xff\xff"
    assert ustruct.pack("<Q", -(2**40)) == (2**64 - 2**40).to_bytes(8, "little")


def test_pack_value_type_errors(ustruct):
    with pytest.raises(TypeError, match="^can't convert float to int$"):
        ustruct.pack("<I", 1.5)
    with pytest.raises(TypeError, match="^can't convert str to int$"):
        ustruct.pack("<B", "a")
    with pytest.raises(TypeError, match="^can't convert str to float$"):
        ustruct.pack("<f", "1")
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        ustruct.pack("3s", 3)
    with pytest.raises(TypeError, match="can't convert 'int' object to str implicitly"):
        ustruct.pack(12, 1)
    assert ustruct.pack(b"<B", 1) == b"\x01"  # the format may be bytes


def test_unpack_is_unpack_from_and_only_needs_enough_bytes(ustruct):
    assert ustruct.unpack is ustruct.unpack_from
    assert ustruct.unpack("<H", b"\x01\x02\x03") == (0x0201,)
    assert ustruct.unpack("<bBhHiIqQ", bytes(range(1, 31))[:30]) == struct.unpack("<bBhHiIqQ", bytes(range(1, 31)))
    assert ustruct.unpack(">i", b"\xff\xff\xff\xfe") == (-2,)
    assert ustruct.unpack("<d", struct.pack("<d", 0.1)) == (0.1,)
    assert ustruct.unpack("<f", b"\x00\x00\xc0\x3f") == (1.5,)
    assert ustruct.unpack("<P", b"\xff\xff\xff\xff") == (0xFFFFFFFF,)
    assert isinstance(ustruct.unpack("<B", b"\x01"), tuple)
    with pytest.raises(ValueError, match="^buffer too small$"):
        ustruct.unpack("<I", b"\x01\x02")


def test_unpack_from_offsets(ustruct):
    data = bytes(range(10))
    assert ustruct.unpack_from("<H", data, 2) == (0x0302,)
    assert ustruct.unpack_from("<H", data, -2) == (0x0908,)
    assert ustruct.unpack("<H", data, 4) == (0x0504,)  # unpack takes the offset too
    with pytest.raises(ValueError, match="^buffer too small$"):
        ustruct.unpack_from("<H", data, 9)
    with pytest.raises(ValueError, match="^buffer too small$"):
        ustruct.unpack_from("<H", data, -11)
    with pytest.raises(TypeError, match="^can't convert NoneType to int$"):
        ustruct.unpack_from("<H", data, None)
    # Native alignment applies to buffer positions: an unaligned offset moves the field
    # (MicroPython issue #3314), which CPython does not do.
    assert ustruct.unpack_from("@i", data, 1) == (int.from_bytes(data[4:8], "little"),)


def test_pack_into(ustruct):
    buf = bytearray(8)
    assert ustruct.pack_into("<HH", buf, 2, 0x0102, 0x0304) is None
    assert buf == b"\x00\x00\x02\x01\x04\x03\x00\x00"
    ustruct.pack_into("<H", buf, -2, 0xFFFF)
    assert buf[-2:] == b"\xff\xff"
    view = memoryview(buf)
    ustruct.pack_into("B", view, 0, 9)
    assert buf[0] == 9
    with pytest.raises(ValueError, match="^buffer too small$"):
        ustruct.pack_into("<I", buf, 6, 1)
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        ustruct.pack_into("<B", b"\x00", 0, 1)  # bytes are read-only
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        ustruct.pack_into("<B", "abc", 0, 1)


def test_o_fields_carry_object_references(ustruct):
    token = object()
    packed = ustruct.pack("<O", token)
    assert len(packed) == 4
    assert ustruct.unpack("<O", packed)[0] is token
    with pytest.raises(ValueError):
        ustruct.unpack("<O", b"\x01\x00\x00\x00")


def test_huge_counts_fail_like_the_device_allocator():
    small = build("ustruct", make_device(board="LoPy"))
    with pytest.raises(MemoryError):
        small.pack("100000B")
    assert small.calcsize("100000B") == 100000


_INT_CODES = {
    "b": st.integers(-(2**7), 2**7 - 1),
    "B": st.integers(0, 2**8 - 1),
    "h": st.integers(-(2**15), 2**15 - 1),
    "H": st.integers(0, 2**16 - 1),
    "i": st.integers(-(2**31), 2**31 - 1),
    "I": st.integers(0, 2**32 - 1),
    "l": st.integers(-(2**31), 2**31 - 1),
    "L": st.integers(0, 2**32 - 1),
    "q": st.integers(-(2**63), 2**63 - 1),
    "Q": st.integers(2**30, 2**64 - 1),  # small negative ints are the device's special case
}


@st.composite
def _struct_cases(draw):
    prefix = draw(st.sampled_from("<>!"))
    codes = draw(st.lists(st.sampled_from(sorted(_INT_CODES) + ["d", "4s"]), min_size=1, max_size=6))
    values = []
    for code in codes:
        if code == "d":
            values.append(draw(st.floats(allow_nan=False)))
        elif code == "4s":
            values.append(draw(st.binary(min_size=4, max_size=4)))
        else:
            values.append(draw(_INT_CODES[code]))
    return prefix + "".join(codes), values


@given(_struct_cases())
def test_struct_matches_cpython_for_standard_sizes(case):
    fmt, values = case
    module = build("ustruct", make_device())
    packed = module.pack(fmt, *values)
    assert packed == struct.pack(fmt, *values)
    assert module.calcsize(fmt) == struct.calcsize(fmt)
    assert list(module.unpack(fmt, packed)) == values


# ==========================================================================
# uerrno
# ==========================================================================

#: spec §1.1: the numbers firmware 1.20 (newlib) uses, for the names its uerrno exports.
SPEC_ERRNO = {
    "EPERM": 1, "ENOENT": 2, "EIO": 5, "EBADF": 9, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
    "EEXIST": 17, "ENODEV": 19, "EISDIR": 21, "EINVAL": 22, "EOPNOTSUPP": 95,
    "ECONNRESET": 104, "ENOBUFS": 105, "ECONNREFUSED": 111, "EADDRINUSE": 112,
    "ECONNABORTED": 113, "ENETDOWN": 115, "ETIMEDOUT": 116, "EHOSTUNREACH": 118,
    "EINPROGRESS": 119, "EALREADY": 120, "EMSGSIZE": 122, "ENOTCONN": 128,
    "EAI_NONAME": 200, "EAI_SERVICE": 201, "EAI_FAIL": 202, "EAI_MEMORY": 203, "EAI_FAMILY": 204,
}


def test_errno_values_are_newlib_numbers(uerrno):
    for name, value in SPEC_ERRNO.items():
        assert getattr(uerrno, name) == value, name
        assert uerrno.errorcode[value] == name


def test_errno_names_the_firmware_does_not_export(uerrno):
    for name in ("ENFILE", "ENOPROTOOPT", "EWOULDBLOCK", "EINTR", "EPIPE", "EISCONN"):
        assert not hasattr(uerrno, name), name
    assert 23 not in uerrno.errorcode


def test_errno_lwip_esp_and_mbedtls_codes(uerrno):
    assert uerrno.ERR_MEM == -1
    assert uerrno.ERR_CONN == -11
    assert uerrno.ERR_ARG == -16
    assert uerrno.ESP_ERR_NO_MEM == 0x101
    assert uerrno.ESP_ERR_INVALID_MAC == 0x10B
    assert uerrno.HOST_NOT_FOUND == 210
    assert uerrno.TRY_AGAIN == 213
    assert uerrno.MBEDTLS_ERR_NET_CONN_RESET == -0x50
    assert uerrno.MBEDTLS_ERR_SSL_WANT_READ == -0x6900
    assert uerrno.MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY == -0x7880
    assert uerrno.MBEDTLS_ERR_PK_KEY_INVALID_FORMAT == -0x3D00
    assert uerrno.errorcode[-0x7880] == "MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY"
    names = [n for n in dir(uerrno) if n.isupper()]
    assert len(names) == len(uerrno.errorcode) == 141  # every number is distinct


def test_errno_names_agree_with_how_the_core_prints_errors(uerrno):
    for name, value in SPEC_ERRNO.items():
        assert _core.errno_name(value) == name


def test_errorcode_is_per_boot():
    first, second = build("uerrno", make_device()), build("uerrno", make_device())
    first.errorcode[999] = "X"
    assert 999 not in second.errorcode


# ==========================================================================
# ujson
# ==========================================================================


def test_dumps_formatting(ujson):
    assert ujson.dumps({"a": 1, "b": [1, 2]}) == '{"a": 1, "b": [1, 2]}'
    assert ujson.dumps([None, True, False]) == "[null, true, false]"
    assert ujson.dumps((1, 2)) == "[1, 2]"
    assert ujson.dumps((1,)) == "[1]"
    assert ujson.dumps("") == '""'
    assert ujson.dumps(2**70) == str(2**70)
    assert ujson.dumps({}) == "{}"
    assert ujson.dumps([]) == "[]"


def test_dumps_strings(ujson):
    assert ujson.dumps("é€😀") == '"é€😀"'  # non-ASCII stays as it is
    assert ujson.dumps('q"b\\s/') == '"q\\"b\\\\s/"'
    assert ujson.dumps("\n\r\t\b\f\x01\x1f\x7f") == '"\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f"'
    assert ujson.dumps(b"raw") == '"raw"'  # bytes print as strings


def test_dumps_floats_have_single_precision_digits(ujson):
    assert ujson.dumps(1.0) == "1.0"
    assert ujson.dumps(0.1 + 0.2) == "0.3"
    assert ujson.dumps(1 / 3) == "0.3333333"
    assert ujson.dumps(23.456) == "23.456"
    assert ujson.dumps(1e10) == "1e+10"
    assert ujson.dumps(-2.5e-7) == "-2.5e-07"
    assert ujson.dumps(123456789.0) == "1.234568e+08"
    assert ujson.dumps(float("inf")) == "inf"
    assert ujson.dumps(1e300) == "inf"  # beyond a 32-bit float
    assert ujson.dumps(float("nan")) == "nan"


def test_dumps_keys_and_other_objects(ujson):
    assert ujson.dumps({1: 2, None: "x"}) == '{1: 2, null: "x"}'
    assert ujson.dumps({3}) == "{3}"
    assert ujson.dumps([bytearray(b"a")]) == "[bytearray(b'a')]"


def test_dumps_takes_no_keywords(ujson):
    with pytest.raises(TypeError):
        ujson.dumps({}, indent=2)
    with pytest.raises(TypeError):
        ujson.dumps()


def test_loads_standard_documents(ujson):
    assert ujson.loads('{"a": [1, -2, 3.5e2, "x", null, true, false], "b": {}}') == {
        "a": [1, -2, 350.0, "x", None, True, False],
        "b": {},
    }
    assert ujson.loads(b"[1]") == [1]
    assert ujson.loads(" 42 ") == 42
    assert ujson.loads('"\\u00e9\\n\\/\\"\\\\"') == 'é\n/"\\'
    assert ujson.loads('"é"') == "é"
    assert ujson.loads("1e+2") == 100.0
    # \u escapes are code points one by one: a surrogate pair stays two (CESU-8) characters.
    pair = ujson.loads('"\\ud83d\\ude00"')
    assert pair.encode("utf-8", "surrogateescape") == b"\xed\xa0\xbd\xed\xb8\x80"
    assert ujson.loads("123456789012345678901234567890") == 123456789012345678901234567890


def test_loads_is_lenient_like_micropython(ujson):
    assert ujson.loads("[1 2 3]") == [1, 2, 3]  # commas are optional
    assert ujson.loads('{"a" 1 "b" 2}') == {"a": 1, "b": 2}  # and colons too
    assert ujson.loads("[1,,2,]") == [1, 2]
    assert ujson.loads('{1: 2, "x": [1]}') == {1: 2, "x": [1]}  # any value as key
    assert ujson.loads("[1, 2") == [1, 2]  # the outermost container may stay open
    assert ujson.loads("[[1]") == [[1]]
    assert ujson.loads("[1}") == [1]  # any closing bracket closes
    assert ujson.loads("1\x00garbage") == 1  # NUL is the parser's end marker


@pytest.mark.parametrize(
    "text",
    ["", " ", "[[1", "{[1]: 2}", "nul", "tru", "[1] x", '"open', "@", "]", "'a'", "[1]]"],
)
def test_loads_syntax_errors(ujson, text):
    with pytest.raises(ValueError, match=r"^syntax error in JSON$"):
        ujson.loads(text)


def test_loads_number_errors_keep_micropython_messages(ujson):
    with pytest.raises(ValueError, match="^invalid syntax for integer with base 10$"):
        ujson.loads("1-2")
    with pytest.raises(ValueError, match="^invalid syntax for number$"):
        ujson.loads("1.2.3")


def test_loads_type_errors(ujson):
    with pytest.raises(TypeError, match="can't convert 'int' object to str implicitly"):
        ujson.loads(5)


def test_dump_and_load_use_streams(ujson):
    text = io.StringIO()
    ujson.dump({"k": [1, "v"]}, text)
    assert text.getvalue() == '{"k": [1, "v"]}'
    binary = io.BytesIO()
    ujson.dump([1], binary)
    assert binary.getvalue() == b"[1]"
    assert ujson.load(io.StringIO('{"a": 1}')) == {"a": 1}
    assert ujson.load(io.BytesIO(b"[true]")) == [True]
    with pytest.raises(OSError, match="^stream operation not supported$"):
        ujson.dump([], object())
    with pytest.raises(OSError, match="^stream operation not supported$"):
        ujson.load("[1]")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


@given(_json_values)
def test_json_round_trips_and_reads_cpython_json(value):
    module = build("ujson", make_device())
    assert module.loads(module.dumps(value)) == value
    assert module.loads(json.dumps(value, ensure_ascii=False)) == value
    assert json.loads(module.dumps(value)) == value


# ==========================================================================
# uhashlib
# ==========================================================================


@pytest.mark.parametrize("name", ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
def test_hash_digests_match_hashlib(uhashlib, name):
    hasher = getattr(uhashlib, name)(b"abc")
    hasher.update("déf")  # str data: its UTF-8
    hasher.update(bytearray(200))  # crosses block boundaries
    assert hasher.digest() == hashlib.new(name, b"abc" + "déf".encode() + bytes(200)).digest()
    assert type(hasher).__name__ == name


def test_hash_algorithms_are_the_firmwares(uhashlib):
    assert [n for n in dir(uhashlib) if not n.startswith("_")] == sorted(
        ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
    )


def test_digest_is_final(uhashlib):
    h = uhashlib.sha256(b"one")
    first = h.digest()
    h.update(b"ignored")
    assert h.digest() == first == hashlib.sha256(b"one").digest()


def test_no_hexdigest_copy_or_name(uhashlib):
    h = uhashlib.sha1()
    for missing in ("hexdigest", "copy", "name", "digest_size"):
        with pytest.raises(AttributeError):
            getattr(h, missing)
    h.digest()


def test_hasher_arguments(uhashlib):
    with pytest.raises(TypeError, match="^function doesn't take keyword arguments$"):
        uhashlib.sha256(data=b"x")
    with pytest.raises(TypeError, match="^function expected at most 1 arguments, got 2$"):
        uhashlib.sha256(b"x", b"y")
    h = uhashlib.md5()
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        h.update(1)
    h.digest()


def test_one_active_hash_operation_at_a_time(uhashlib):
    first = uhashlib.sha256(b"a")
    with pytest.raises(OSError, match="^only one active hash operation is permitted at a time$") as info:
        uhashlib.md5()
    assert type(info.value) is OSError
    first.digest()
    second = uhashlib.md5(b"b")  # digest() freed the engine
    assert second.digest() == hashlib.md5(b"b").digest()


def test_an_abandoned_hasher_is_freed_by_the_collector_in_the_default_profile():
    module = build("uhashlib", make_device(strict=False))
    module.sha1(b"dropped")
    host_gc.collect()
    module.sha1().digest()


def test_an_abandoned_hasher_blocks_hashing_until_reset_in_the_strict_profile():
    module = build("uhashlib", make_device(strict=True))
    module.sha1(b"dropped")
    host_gc.collect()
    with pytest.raises(OSError, match="only one active hash operation"):
        module.sha1()
    build("uhashlib", make_device(strict=True)).sha1().digest()  # the next boot is free again


@given(st.lists(st.binary(max_size=300), max_size=6))
def test_chunked_updates_match_hashlib(chunks):
    module = build("uhashlib", make_device())
    h = module.sha512()
    for chunk in chunks:
        h.update(chunk)
    assert h.digest() == hashlib.sha512(b"".join(chunks)).digest()


# ==========================================================================
# crypto
# ==========================================================================

# NIST SP 800-38A, appendix F.
NIST_KEY128 = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
NIST_KEY256 = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
NIST_IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
NIST_COUNTER = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PLAINTEXT = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
NIST_VECTORS = [
    # (name, key, mode, kwargs, plaintext bytes, ciphertext hex)
    ("F.1.1 ECB-AES128", NIST_KEY128, "MODE_ECB", {}, 64,
     "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
     "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"),
    ("F.1.5 ECB-AES256", NIST_KEY256, "MODE_ECB", {}, 64,
     "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
     "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"),
    ("F.2.1 CBC-AES128", NIST_KEY128, "MODE_CBC", {"IV": NIST_IV}, 64,
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"),
    ("F.2.5 CBC-AES256", NIST_KEY256, "MODE_CBC", {"IV": NIST_IV}, 64,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"),
    ("F.3.7 CFB8-AES128", NIST_KEY128, "MODE_CFB", {"IV": NIST_IV}, 18, "3b79424c9c0dd436bace9e0ed4586a4f32b9"),
    ("F.3.11 CFB8-AES256", NIST_KEY256, "MODE_CFB", {"IV": NIST_IV, "segment_size": 8}, 18,
     "dc1f1a8520a64db55fcc8ac554844e889700"),
    ("F.3.13 CFB128-AES128", NIST_KEY128, "MODE_CFB", {"IV": NIST_IV, "segment_size": 128}, 64,
     "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b"
     "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6"),
    ("F.5.1 CTR-AES128", NIST_KEY128, "MODE_CTR", {"counter": NIST_COUNTER}, 64,
     "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
     "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"),
    ("F.5.5 CTR-AES256", NIST_KEY256, "MODE_CTR", {"counter": NIST_COUNTER}, 64,
     "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
     "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"),
]


@pytest.mark.parametrize(("name", "key", "mode", "kwargs", "length", "ciphertext"), NIST_VECTORS)
def test_aes_nist_vectors(crypto, name, key, mode, kwargs, length, ciphertext):
    del name
    AES = crypto.AES
    enc = AES(key, getattr(AES, mode), **kwargs)
    assert enc.encrypt(NIST_PLAINTEXT[:length]).hex() == ciphertext
    dec = AES(key, getattr(AES, mode), **kwargs)
    assert dec.decrypt(bytes.fromhex(ciphertext)) == NIST_PLAINTEXT[:length]


def test_aes_constants_and_types(crypto):
    AES = crypto.AES
    assert (AES.MODE_ECB, AES.MODE_CBC, AES.MODE_CFB, AES.MODE_CTR) == (1, 2, 3, 6)
    assert (AES.SEGMENT_8, AES.SEGMENT_128) == (8, 128)
    cipher = AES(NIST_KEY128)  # ECB by default
    assert type(cipher).__name__ == "AESCipher"
    assert not isinstance(cipher, AES)
    assert {n for n in dir(cipher) if not n.startswith("_")} == {"encrypt", "decrypt"}
    with pytest.raises(TypeError):
        type(cipher)(NIST_KEY128, 1, None, None, -1)


def test_aes_pycom_documentation_example(crypto):
    # docs.pycom.io firmwareapi/pycom/aes: CFB with a random IV sent ahead of the message.
    AES = crypto.AES
    key = b"notsuchsecretkey"
    iv = crypto.getrandbits(128)
    cipher = AES(key, AES.MODE_CFB, iv)
    msg = iv + cipher.encrypt(b"Attack at dawn")
    cipher = AES(key, AES.MODE_CFB, msg[:16])
    assert cipher.decrypt(msg[16:]) == b"Attack at dawn"


def test_aes_accepts_str_keys_and_data(crypto):
    AES = crypto.AES
    by_str = AES("notsuchsecretkey", AES.MODE_ECB).encrypt("sixteen byte msg")
    by_bytes = AES(b"notsuchsecretkey", AES.MODE_ECB).encrypt(b"sixteen byte msg")
    assert by_str == by_bytes


def test_aes_encrypt_and_decrypt_share_state(crypto):
    AES = crypto.AES
    one = AES(NIST_KEY128, AES.MODE_CBC, NIST_IV)
    ciphertext = one.encrypt(NIST_PLAINTEXT)
    assert one.decrypt(ciphertext) != NIST_PLAINTEXT  # the IV moved on, as on the device
    assert AES(NIST_KEY128, AES.MODE_CBC, NIST_IV).decrypt(ciphertext) == NIST_PLAINTEXT
    ctr = AES(NIST_KEY128, AES.MODE_CTR, counter=NIST_COUNTER)
    head = ctr.encrypt(NIST_PLAINTEXT[:5])
    assert head + ctr.encrypt(NIST_PLAINTEXT[5:]) == AES(
        NIST_KEY128, AES.MODE_CTR, counter=NIST_COUNTER
    ).encrypt(NIST_PLAINTEXT)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((b"short",), {}, "AES key must be either 16, 24, or 32 bytes long"),
        ((NIST_KEY128, 4), {}, "Unknown cipher feedback mode 4"),
        ((NIST_KEY128, 2, b"short"), {}, "IV must be 16 bytes long"),
        ((NIST_KEY128, 6), {"counter": b"short"}, "Initial counter value must be 16 bytes long"),
        ((NIST_KEY128, 2), {"counter": NIST_COUNTER}, "'counter' parameter only useful with CTR mode"),
        ((NIST_KEY128, 1), {"counter": 5}, "'counter' parameter only useful with CTR mode"),
        ((NIST_KEY128, 3, NIST_IV), {"segment_size": 64}, "segment_size must be 8 or 128"),
    ],
)
def test_aes_constructor_errors(crypto, args, kwargs, message):
    with pytest.raises(ValueError) as info:
        crypto.AES(*args, **kwargs)
    assert str(info.value) == message


def test_aes_argument_type_errors(crypto):
    AES = crypto.AES
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        AES(1234)
    with pytest.raises(TypeError, match="^object with buffer protocol required$"):
        AES(NIST_KEY128, AES.MODE_CTR)  # the counter is required in CTR
    with pytest.raises(TypeError, match="^can't convert str to int$"):
        AES(NIST_KEY128, "CBC")
    with pytest.raises(OverflowError):
        AES(NIST_KEY128, 2**40)
    # ECB and CTR never read the IV, whatever it is.
    assert AES(NIST_KEY128, AES.MODE_ECB, 1234).encrypt(bytes(16))
    assert AES(NIST_KEY128, AES.MODE_CBC, segment_size=64).encrypt(bytes(16))


def test_aes_block_size_errors(crypto):
    AES = crypto.AES
    for mode in (AES.MODE_ECB, AES.MODE_CBC):
        cipher = AES(NIST_KEY128, mode)
        with pytest.raises(ValueError, match="^Input strings must be a multiple of 16 in length$"):
            cipher.encrypt(b"x" * 15)
        with pytest.raises(ValueError, match="^Input strings must be a multiple of 16 in length$"):
            cipher.decrypt(b"x" * 17)
    assert len(AES(NIST_KEY128, AES.MODE_CFB).encrypt(b"odd")) == 3


@given(
    st.sampled_from([16, 24, 32]),
    st.sampled_from([(1, {}), (2, {}), (3, {"segment_size": 8}), (3, {"segment_size": 128}), (6, {})]),
    st.binary(max_size=80),
    st.integers(0, 80),
)
def test_aes_round_trips_in_any_chunks(key_size, mode_and_kwargs, data, split):
    crypto = build("crypto", make_device())
    mode, kwargs = mode_and_kwargs
    if mode in (1, 2):
        data = data[: len(data) // 16 * 16]
        split = split // 16 * 16
    if mode == 6:
        kwargs = {"counter": bytes(range(16))}
    elif mode != 1:
        kwargs = dict(kwargs, IV=bytes(range(16, 32)))
    key = bytes(range(key_size))
    enc = crypto.AES(key, mode, **kwargs)
    split = min(split, len(data))
    ciphertext = enc.encrypt(data[:split])
    ciphertext += enc.encrypt(data[split:])
    assert len(ciphertext) == len(data)
    assert crypto.AES(key, mode, **kwargs).decrypt(ciphertext) == data


def test_getrandbits_rounds_up_to_32_bit_words(crypto):
    for bits, size in [(0, 0), (1, 4), (32, 4), (33, 8), (128, 16), (256, 32), (-1, 0)]:
        assert len(crypto.getrandbits(bits)) == size, bits
    assert isinstance(crypto.getrandbits(8), bytes)


def test_getrandbits_follows_the_device_seed():
    first = build("crypto", make_device(seed=7)).getrandbits(256)
    again = build("crypto", make_device(seed=7)).getrandbits(256)
    other = build("crypto", make_device(seed=8)).getrandbits(256)
    assert first == again != other
    assert first[:4] == random.Random(7).getrandbits(32).to_bytes(4, "little")


def test_getrandbits_errors(crypto):
    with pytest.raises(MemoryError):
        crypto.getrandbits(-32)  # a C uint32: about 512 MB
    with pytest.raises(TypeError):
        crypto.getrandbits(1.5)
    with pytest.raises(OverflowError):
        crypto.getrandbits(2**40)


RSA_PRIVATE = """-----BEGIN PRIVATE KEY-----
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAKgZLNDtcVxPZatH
4gpXqwr6JU94MoB4rtWZrZFbhHpnWiQRHQajfY48W3jkYRqnKQoAAbiuQ1dNkblg
HI3+l+fnmOuNIwQBEHoNJoLMEiUyeC1VmrP3XFlzxqXkoSrvrCLyByWV2cxKLBVD
O/qwXxjVQeHeAxDOswKp0XW/CulFAgMBAAECgYAU7L1VbJk14nRHc/VBUFRsU2Md
l1rB/0PUNwMSGxBMpFzmLHMuhl90uzKvw84KoVBMfF+6e4bKcU94gexMCKsj8Tb1
IsBokdeQLO6kD5t3UM5jENYnMrrcaBj2fs4TXhCQAgCzshS1r+O4gtLiT1aZI+2U
fF+37LdEzpWUeOoQwQJBAN/OWERNFyKyaiT86SuUB5vFF38qFNyB8r1h4fqKzYk5
4ZwwbTbWubcTpn4zqaj+9Bx8G3lIovn8SMw67Iiu1e0CQQDAR2UaF+hnntSVKuMM
hK0tFT8ojh4qyt0chlLTyhr+xKhOuXu4TrTKqDRSk4vkI3Bk9vdZHHOXW/1GYsnH
AXW5AkAn+3kRWqRTcoQ772LIgj2JuoAkG6R2cFCpPJ9eXwWxCkIf4RbhwSKUblJE
IX6hzkpV/GX8GNnkxwlKUwyGrpVRAkAP7ZoleDeLZe/sT3oxjkgeRPVPcb50Awwg
EcyIuORVmIrswpbKJNL7OsXi1VAwXPMxmffRjPbSYg9wJjza3HcZAkALdNZigVhE
KqwujK1njbLFSv/gf3U/f8YBQbvdgHlBtZ6JzwkTY56PUC8hwFHyF9OEZ4TBPTy/
J+n9aOji3lZm
-----END PRIVATE KEY-----
"""

RSA_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCoGSzQ7XFcT2WrR+IKV6sK+iVP
eDKAeK7Vma2RW4R6Z1okER0Go32OPFt45GEapykKAAG4rkNXTZG5YByN/pfn55jr
jSMEARB6DSaCzBIlMngtVZqz91xZc8al5KEq76wi8gclldnMSiwVQzv6sF8Y1UHh
3gMQzrMCqdF1vwrpRQIDAQAB
-----END PUBLIC KEY-----
"""

#: `printf 'Pycom says hi' | openssl dgst -sha256 -sign key.pem` (PKCS#1 v1.5 is deterministic).
RSA_SIGNATURE_HEX = (
    "5fd20a8b99746614925953ed62809ddecb5a1f864d08370085d21ceb2a748c3cd6c5cf455b9390f8a162fce8506f"
    "4121098e590a6aeb445700444ebb2d2a79cd11d409e18679bf76a2322c1f69df51e27d4c7d4a80291fe9b001f0aa4d"
    "ad7af68c65360a585454ccea66af7820bf8f9d39c22256491db61e4979677b59b2d2a6"
)


def test_generate_rsa_signature(crypto):
    assert crypto.generate_rsa_signature("Pycom says hi", RSA_PRIVATE).hex() == RSA_SIGNATURE_HEX
    assert crypto.generate_rsa_signature(b"Pycom says hi", RSA_PRIVATE.encode(), pers="x").hex() == RSA_SIGNATURE_HEX
    with pytest.raises(ValueError, match=r"^Invalid Private Key, error code: -15616$"):
        crypto.generate_rsa_signature("m", "no key here")
    with pytest.raises(TypeError, match="can't convert 'bytearray' object to str implicitly"):
        crypto.generate_rsa_signature(bytearray(b"m"), RSA_PRIVATE)
    with pytest.raises(TypeError, match="can't convert 'int' object to str implicitly"):
        crypto.generate_rsa_signature("m", RSA_PRIVATE, pers=1)
    with pytest.raises(TypeError):
        crypto.generate_rsa_signature("m", RSA_PRIVATE, "positional pers")


def test_rsa_encrypt_and_decrypt(crypto):
    ciphertext = crypto.rsa_encrypt(b"\x00binary\xff", RSA_PUBLIC)
    assert len(ciphertext) == 128
    assert crypto.rsa_decrypt(ciphertext, RSA_PRIVATE) == b"\x00binary\xff"
    assert crypto.rsa_decrypt(crypto.rsa_encrypt("text", key=RSA_PUBLIC), key=RSA_PRIVATE) == b"text"
    with pytest.raises(ValueError, match=r"^Invalid public key, mbedtls error code: 0x3D62$"):
        crypto.rsa_encrypt(b"m", RSA_PRIVATE)
    with pytest.raises(ValueError, match=r"^Invalid private key, mbedtls error code: 0x3D00$"):
        crypto.rsa_decrypt(ciphertext, RSA_PUBLIC)
    with pytest.raises(RuntimeError, match=r"^Encrypt failed, mbedtls error code: 0x4080!$"):
        crypto.rsa_encrypt(bytes(118), RSA_PUBLIC)
    with pytest.raises(RuntimeError, match=r"^Decrypt failed, mbedtls error code: 0x4080!$"):
        crypto.rsa_decrypt(b"short", RSA_PRIVATE)
    with pytest.raises(RuntimeError, match=r"^Decrypt failed, mbedtls error code: 0x4100!$"):
        crypto.rsa_decrypt(b"\x01" * 128, RSA_PRIVATE)


# ==========================================================================
# micropython
# ==========================================================================


def test_micropython_module():
    device = make_device(board="LoPy")
    mp = build("micropython", device)
    assert mp.const(42) == 42
    assert mp.const is not build("micropython", make_device()).const
    assert mp.opt_level() == 0
    assert mp.opt_level(2) is None
    assert mp.opt_level() == 2
    assert isinstance(mp.stack_use(), int)
    assert mp.heap_lock() is None
    assert mp.heap_unlock() is None
    assert mp.kbd_intr(-1) is None
    assert mp.alloc_emergency_exception_buf(100) is None
    assert not hasattr(mp, "schedule")  # the device runtime adds it
    assert not hasattr(mp, "mem_total")  # MICROPY_MEM_STATS is off
    with pytest.raises(TypeError):
        mp.const()


def test_micropython_mem_info_prints_the_boards_heap():
    device = make_device(board="LoPy")
    mp = build("micropython", device)
    assert mp.mem_info() is None
    lines = device.stdout.getvalue().splitlines()
    assert lines[0].startswith("stack: ") and lines[0].endswith(" out of 7168")
    assert lines[1] == "GC: total: 67008, used: 8192, free: 58816"
    assert lines[2].startswith(" No. of 1-blocks: ")
    device.stdout.truncate(0)
    device.stdout.seek(0)
    mp.qstr_info()
    assert device.stdout.getvalue().startswith("qstr pool: n_pool=")


# ==========================================================================
# gc
# ==========================================================================


@pytest.mark.parametrize(
    ("board", "total"),
    [("LoPy", 67008), ("SiPy", 67008), ("WiPy", 67008), ("LoPy4", 2561344), ("FiPy", 2561344)],
)
def test_gc_heap_per_board(board, total):
    gc = build("gc", make_device(board=board))
    assert gc.mem_free() + gc.mem_alloc() == total
    assert 0 < gc.mem_alloc() < gc.mem_free()


def test_gc_functions():
    gc = build("gc", make_device())
    assert gc.collect() is None
    assert gc.isenabled() is True
    assert gc.disable() is None
    assert gc.isenabled() is False
    gc.enable()
    assert gc.isenabled() is True
    assert gc.threshold() == -1
    assert gc.threshold(1000) is None
    assert gc.threshold() == 992  # kept in 16-byte blocks
    gc.threshold(-5)
    assert gc.threshold() == -1
    with pytest.raises(TypeError):
        gc.threshold("x")
    with pytest.raises(TypeError):
        gc.threshold(1, 2)
    assert not math.isnan(gc.mem_free())
