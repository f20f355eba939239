# test_lorawan_crypto.py: LoRaWAN 1.0.2 MICs, payload encryption and keys against `cryptography`.
"""The C++ LoRaWAN codec (``usocket::sim::lorawan`` through ``_core.lorawan_*``) checked
against an independent implementation written here from radio.md 3.1-3.2 and
interop.md 5 with the ``cryptography`` package (AES-ECB via Cipher/algorithms.AES/
modes.ECB, CMAC via cryptography.hazmat.primitives.cmac): MICs with B0 and the direction
bit, FRMPayload encryption by the A_i keystream with the 32-bit counter, join request and
join accept MICs, the join accept's AES-decrypt "encryption", and OTAA key derivation,
over many seeded random frames; plus the published vectors of radio.md 3.3 through the
same independent code, so the reference itself is checked first.
"""

from __future__ import annotations

import random
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from hypothesis import given, settings
from hypothesis import strategies as st

from usocket_emu import _core

ROUNDS = 400

# MTypes (radio.md 3.1).
JOIN_REQUEST, JOIN_ACCEPT = 0, 1
UNCONFIRMED_UP, UNCONFIRMED_DOWN, CONFIRMED_UP, CONFIRMED_DOWN = 2, 3, 4, 5
DATA_MTYPES = (UNCONFIRMED_UP, UNCONFIRMED_DOWN, CONFIRMED_UP, CONFIRMED_DOWN)


# --------------------------------------------------------------------------
# The independent implementation
# --------------------------------------------------------------------------


def aes_encrypt(key: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def aes_decrypt(key: bytes, data: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return dec.update(data) + dec.finalize()


def cmac4(key: bytes, data: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:4]


def is_downlink(mtype: int) -> bool:
    return mtype in (JOIN_ACCEPT, UNCONFIRMED_DOWN, CONFIRMED_DOWN)


def keystream_crypt(key: bytes, downlink: bool, dev_addr: int, fcnt: int, data: bytes) -> bytes:
    """FRMPayload XOR S_i, S_i = AES(K, 01 | 00*4 | Dir | DevAddr | FCnt32 | 00 | i)."""
    stream = b""
    for i in range(1, (len(data) + 15) // 16 + 1):
        a_i = bytes([0x01, 0, 0, 0, 0, int(downlink)]) + struct.pack("<II", dev_addr, fcnt) + bytes([0, i])
        stream += aes_encrypt(key, a_i)
    return bytes(x ^ y for x, y in zip(data, stream))


def data_mic(nwk_s_key: bytes, downlink: bool, dev_addr: int, fcnt: int, msg: bytes) -> bytes:
    b0 = bytes([0x49, 0, 0, 0, 0, int(downlink)]) + struct.pack("<II", dev_addr, fcnt) + bytes([0, len(msg)])
    return cmac4(nwk_s_key, b0 + msg)


def build_data(mtype, dev_addr, fctrl_bits, fcnt, fopts, fport, payload, nwk, app) -> bytes:
    """A data PHYPayload: MHDR | DevAddr | FCtrl | FCnt16 | FOpts | [FPort | enc] | MIC."""
    down = is_downlink(mtype)
    msg = bytes([mtype << 5]) + struct.pack("<IBH", dev_addr, fctrl_bits | len(fopts), fcnt & 0xFFFF) + fopts
    if fport is not None:
        msg += bytes([fport]) + keystream_crypt(nwk if fport == 0 else app, down, dev_addr, fcnt, payload)
    return msg + data_mic(nwk, down, dev_addr, fcnt, msg)


def build_join_request(app_eui, dev_eui, dev_nonce, app_key) -> bytes:
    msg = bytes([0x00]) + struct.pack("<QQH", app_eui, dev_eui, dev_nonce)
    return msg + cmac4(app_key, msg)


def join_accept_plain(app_nonce, net_id, dev_addr, rx1_dr_offset, rx2_dr, rx_delay, cf_list, app_key) -> bytes:
    body = (bytes([0x20]) + app_nonce.to_bytes(3, "little") + net_id.to_bytes(3, "little")
            + struct.pack("<IBB", dev_addr, (rx1_dr_offset << 4) | rx2_dr, rx_delay) + (cf_list or b""))
    return body + cmac4(app_key, body)


def encrypt_join_accept(plain: bytes, app_key: bytes) -> bytes:
    """What the network sends: everything after the MHDR through AES *decryption*."""
    return plain[:1] + aes_decrypt(app_key, plain[1:])


def derive_keys(app_key, app_nonce, net_id, dev_nonce):
    fields = app_nonce.to_bytes(3, "little") + net_id.to_bytes(3, "little") + struct.pack("<H", dev_nonce)
    return (aes_encrypt(app_key, b"\x01" + fields + bytes(7)),
            aes_encrypt(app_key, b"\x02" + fields + bytes(7)))


def random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


# --------------------------------------------------------------------------
# The reference against radio.md 3.3 first
# --------------------------------------------------------------------------

V1_NWK = bytes.fromhex("44024241ed4ce9a68c6a8bc055233fd3")
V1_APP = bytes.fromhex("ec925802ae430ca77fd3dd73cb2cc588")
V6_APP_KEY = bytes.fromhex("98929b92c49edba9676d646d3b612456")
V6_NWK = bytes.fromhex("4e3d6e6afbcc67af2ba3c8e8ec4acf4b")
V6_APP = bytes.fromhex("610897aa6f1460623443b527d3ac6a9d")

# (mtype, DevAddr, FCtrl bits, FCnt32, FOpts, FPort, plaintext, NwkSKey, AppSKey, PHYPayload)
DATA_VECTORS = [
    (UNCONFIRMED_UP, 0x49BE7DF1, 0, 2, b"", 1, b"test", V1_NWK, V1_APP, "40f17dbe4900020001954378762b11ff0d"),
    (UNCONFIRMED_UP, 0x49BE7DF1, 0, 4, b"", 1, b"The quick brown fox jumps over the lazy dog.", V1_NWK, V1_APP,
     "40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28de"
     "a8a20af3c5e7"),
    (UNCONFIRMED_UP, 0x49BE7DF1, 0, 3, b"", 1, b"", V1_NWK, V1_APP, "40f17dbe49000300012a3518af"),
    (UNCONFIRMED_DOWN, 0x49BE7DF1, 0x20, 2, b"", 1, b"", V1_NWK, V1_APP, "60f17dbe4920020001f9d65d27"),
    (UNCONFIRMED_UP, 0x01020304, 0x80, 1, b"", 1, b"hello", bytes([2] * 16), bytes([1] * 16),
     "400403020180010001a694642615d6c3b582"),
    (UNCONFIRMED_UP, 0x01020304, 0, 0, bytes.fromhex("020305"), 1, bytes.fromhex("01020304"), bytes([1] * 16),
     bytes([1] * 16), "4004030201030000020305016a3798f5b64dc039"),
    (UNCONFIRMED_UP, 0x01020304, 0, 0, b"", 0, bytes.fromhex("020305"), bytes([1] * 16), bytes([1] * 16),
     "40040302010000000069369eee6aa508"),
    (UNCONFIRMED_UP, 0x012CCDE7, 0, 1, b"", 1, b"hello", V6_NWK, V6_APP, "40e7cd2c01000100014dcd4cc02664694489"),
    (UNCONFIRMED_UP, 0x012CCDE7, 0, 0x00010001, b"", 1, b"hello", V6_NWK, V6_APP,
     "40e7cd2c01000100012e359bcd8600a48a0b"),
    (CONFIRMED_DOWN, 0x012CCDE7, 0x20, 5, b"", 1, b"hi", V6_NWK, V6_APP, "a0e7cd2c0120050001cc171d88ad2a"),
    (CONFIRMED_UP, 0x26011BDA, 0x80, 7, b"\x02", 5, b"hello", V1_NWK, V1_APP,
     "80da1b01268107000205176fca5cc7e48a8109"),
    (UNCONFIRMED_DOWN, 0x26011BDA, 0, 3, b"", 0, bytes.fromhex("02140106"), V1_NWK, V1_APP,
     "60da1b0126000300001999c645e92194b0"),
    (UNCONFIRMED_UP, 0x26011BDA, 0, 9, b"\x02", None, b"", V1_NWK, V1_APP, "40da1b012601090002714dfc0e"),
    (UNCONFIRMED_UP, 0x26011BDA, 0x20, 10, b"", None, b"", V1_NWK, V1_APP, "40da1b0126200a008db3370f"),
]


@pytest.mark.parametrize("vector", DATA_VECTORS, ids=lambda v: v[-1][:16])
def test_published_data_frames_by_the_reference_and_by_the_emulator(vector):
    mtype, dev_addr, fctrl, fcnt, fopts, fport, plain, nwk, app, phy_hex = vector
    phy = bytes.fromhex(phy_hex)
    assert build_data(mtype, dev_addr, fctrl, fcnt, fopts, fport, plain, nwk, app) == phy
    built = _core.lorawan_encode_data(mtype, dev_addr, fcnt, fport, plain, nwk, app, fopts=fopts,
                                      adr=bool(fctrl & 0x80), ack=bool(fctrl & 0x20))
    assert built == phy
    decoded = _core.lorawan_decode_data(phy, nwk, app, fcnt_reference=fcnt & 0xFFFF0000)
    assert (decoded["mtype"], decoded["dev_addr"], decoded["fcnt"]) == (mtype, dev_addr, fcnt)
    assert (decoded["fopts"], decoded["fport"], decoded["payload"]) == (fopts, fport, plain)


def test_published_join_vectors_by_the_reference_and_by_the_emulator():
    # V4 join request, brocaar/lorawan.
    v4 = bytes.fromhex("00040302010403020105040302050403022d106a990e12")
    assert build_join_request(0x0102030401020304, 0x0203040502030405, 0x102D, bytes([1] * 16)) == v4
    assert _core.lorawan_encode_join_request(0x0102030401020304, 0x0203040502030405, 0x102D, bytes([1] * 16)) == v4
    assert _core.lorawan_decode_join_request(v4, bytes([1] * 16)) == (0x0102030401020304, 0x0203040502030405, 0x102D)

    # V3 join accept, brocaar/lorawan.
    key = bytes.fromhex("00112233445566778899aabbccddeeff")
    v3 = bytes.fromhex("20493eeb51fba2116f810edb3742975142")
    plain = join_accept_plain(0x570BC7, 0x221101, 0x02031980, 0, 0, 0, None, key)
    assert plain.hex() == "20c70b5701112280190302000043485bbc"
    assert encrypt_join_accept(plain, key) == v3
    assert _core.lorawan_encode_join_accept(0x570BC7, 0x221101, 0x02031980, 0, 0, 0, None, key) == v3
    assert _core.lorawan_decrypt_join_accept(v3, key) == plain

    # V5 all-zero join accept, lora-packet.
    zero = bytes(16)
    assert encrypt_join_accept(join_accept_plain(0, 0, 0, 0, 0, 0, None, zero), zero).hex() == \
        "20e3de108795f776b8037610ef7869b5b3"
    assert _core.lorawan_encode_join_accept(0, 0, 0, 0, 0, 0, None, zero).hex() == "20e3de108795f776b8037610ef7869b5b3"

    # V6, lora-packet.
    v6_request = bytes.fromhex("0039363463336913aa05693574323831330489c65b1304")
    assert cmac4(V6_APP_KEY, v6_request[:-4]) == v6_request[-4:]
    assert _core.lorawan_decode_join_request(v6_request, V6_APP_KEY)[2] == 0x8904
    assert join_accept_plain(0x376338, 0xAABBCC, 0x012CCDE7, 0, 0, 0, None, V6_APP_KEY).hex() == \
        "20386337ccbbaae7cd2c010000d9d0a6e7"
    assert derive_keys(V6_APP_KEY, 0x376338, 0xAABBCC, 0xF18E) == (V6_NWK, V6_APP)
    assert _core.lorawan_derive_session_keys(V6_APP_KEY, 0x376338, 0xAABBCC, 0xF18E) == (V6_NWK, V6_APP)


# --------------------------------------------------------------------------
# Many seeded random frames
# --------------------------------------------------------------------------


def random_data_frame(rng: random.Random):
    mtype = rng.choice(DATA_MTYPES)
    down = is_downlink(mtype)
    flags = {"adr": rng.random() < 0.5, "ack": rng.random() < 0.5}
    if down:
        flags["f_pending"] = rng.random() < 0.5
    else:
        flags["adr_ack_req"] = rng.random() < 0.5
        flags["class_b"] = rng.random() < 0.5
    fctrl = ((0x80 if flags["adr"] else 0) | (0x40 if flags.get("adr_ack_req") else 0)
             | (0x20 if flags["ack"] else 0) | (0x10 if flags.get("f_pending") or flags.get("class_b") else 0))
    shape = rng.randrange(4)  # 0: no FPort, 1: FPort 0 (MAC commands), else an application port
    fport = None if shape == 0 else 0 if shape == 1 else rng.randrange(1, 256)
    fopts = b"" if fport == 0 else random_bytes(rng, rng.randrange(16))
    room = 255 - 12 - len(fopts) - (1 if fport is not None else 0)
    payload = b"" if fport is None else random_bytes(rng, rng.randrange(room + 1))
    # Counters near the 16-bit boundaries and anywhere in 32 bits.
    fcnt = rng.choice([rng.getrandbits(32), rng.getrandbits(16), (rng.getrandbits(16) << 16) | 0xFFFF,
                       rng.getrandbits(16) << 16])
    return mtype, rng.getrandbits(32), fctrl, flags, fcnt, fopts, fport, payload


def test_random_data_frames_match_the_reference_mic_and_encryption():
    rng = random.Random(0x10AA)
    for _ in range(ROUNDS):
        nwk, app = random_bytes(rng, 16), random_bytes(rng, 16)
        mtype, dev_addr, fctrl, flags, fcnt, fopts, fport, payload = random_data_frame(rng)
        expected = build_data(mtype, dev_addr, fctrl, fcnt, fopts, fport, payload, nwk, app)
        built = _core.lorawan_encode_data(mtype, dev_addr, fcnt, fport, payload, nwk, app, fopts=fopts, **flags)
        assert built == expected
        assert len(built) == 12 + len(fopts) + (0 if fport is None else 1 + len(payload))

        # The emulator decodes what the reference built, recovering the 32-bit counter.
        decoded = _core.lorawan_decode_data(expected, nwk, app, fcnt_reference=fcnt & 0xFFFF0000)
        assert decoded["fcnt"] == fcnt
        assert decoded["payload"] == payload
        assert decoded["fopts"] == fopts
        assert decoded["fport"] == fport
        for name, value in flags.items():
            assert decoded[name] == value

        # The reference decrypts what the emulator built.
        if fport is not None:
            enc = built[9 + len(fopts):-4]
            assert keystream_crypt(nwk if fport == 0 else app, is_downlink(mtype), dev_addr, fcnt, enc) == payload


def test_the_direction_bit_and_the_counter_high_bits_are_under_the_mic():
    rng = random.Random(7)
    for _ in range(100):
        nwk, app = random_bytes(rng, 16), random_bytes(rng, 16)
        dev_addr, low = rng.getrandbits(32), rng.getrandbits(16)
        high = rng.randrange(1, 1 << 16)
        frame = _core.lorawan_encode_data(UNCONFIRMED_UP, dev_addr, (high << 16) | low, 1, b"payload", nwk, app)
        # Same bytes on air as the frame with the 16-bit counter, yet only the full counter verifies.
        assert frame[6:8] == struct.pack("<H", low)
        assert data_mic(nwk, False, dev_addr, (high << 16) | low, frame[:-4]) == frame[-4:]
        assert data_mic(nwk, False, dev_addr, low, frame[:-4]) != frame[-4:]
        assert data_mic(nwk, True, dev_addr, (high << 16) | low, frame[:-4]) != frame[-4:]
        with pytest.raises(ValueError, match="bad_mic"):
            _core.lorawan_decode_data(frame, nwk, app)
        assert _core.lorawan_decode_data(frame, nwk, app, fcnt_reference=high << 16)["fcnt"] == (high << 16) | low


def test_random_join_requests_match_the_reference_mic():
    rng = random.Random(0x1011)
    for _ in range(ROUNDS):
        key = random_bytes(rng, 16)
        app_eui, dev_eui, nonce = rng.getrandbits(64), rng.getrandbits(64), rng.getrandbits(16)
        frame = _core.lorawan_encode_join_request(app_eui, dev_eui, nonce, key)
        assert frame == build_join_request(app_eui, dev_eui, nonce, key)
        assert _core.lorawan_decode_join_request(frame, key) == (app_eui, dev_eui, nonce)


def test_random_join_accepts_match_the_reference_mic_and_aes_decrypt_encryption():
    rng = random.Random(0x1022)
    for _ in range(ROUNDS):
        key = random_bytes(rng, 16)
        fields = (rng.getrandbits(24), rng.getrandbits(24), rng.getrandbits(32), rng.randrange(8), rng.randrange(16),
                  rng.randrange(16), random_bytes(rng, 16) if rng.random() < 0.5 else None)
        plain = join_accept_plain(*fields, key)
        frame = _core.lorawan_encode_join_accept(*fields, key)
        assert len(frame) == (33 if fields[-1] else 17)
        assert frame == encrypt_join_accept(plain, key)
        # The device recovers the plaintext with AES *encryption*.
        assert frame[:1] + aes_encrypt(key, frame[1:]) == plain
        assert _core.lorawan_decrypt_join_accept(frame, key) == plain
        decoded = _core.lorawan_decode_join_accept(frame, key)
        assert (decoded["app_nonce"], decoded["net_id"], decoded["dev_addr"], decoded["rx1_dr_offset"],
                decoded["rx2_data_rate"], decoded["rx_delay"], decoded["cf_list"]) == fields


def test_random_session_keys_match_the_reference_derivation():
    rng = random.Random(0x1033)
    for _ in range(ROUNDS):
        key = random_bytes(rng, 16)
        app_nonce, net_id, dev_nonce = rng.getrandbits(24), rng.getrandbits(24), rng.getrandbits(16)
        assert _core.lorawan_derive_session_keys(key, app_nonce, net_id, dev_nonce) == \
            derive_keys(key, app_nonce, net_id, dev_nonce)


def test_frame_counter_recovery_is_the_closest_value_at_or_above_the_reference():
    rng = random.Random(0x1044)
    for _ in range(ROUNDS):
        reference, on_air = rng.getrandbits(32), rng.getrandbits(16)
        expected = next((reference + d) % (1 << 32) for d in range(1 << 16)
                        if ((reference + d) & 0xFFFF) == on_air)
        assert _core.lorawan_recover_fcnt(reference, on_air) == expected
    assert _core.lorawan_recover_fcnt(0xFFFF, 0) == 0x10000
    assert _core.lorawan_recover_fcnt(5, 5) == 5


# --------------------------------------------------------------------------
# Rejections reach Python as ValueError
# --------------------------------------------------------------------------


def test_rejected_frames_and_fields_raise_value_error():
    phy = bytes.fromhex("40f17dbe4900020001954378762b11ff0d")
    with pytest.raises(ValueError, match="bad_mic"):
        _core.lorawan_decode_data(phy, V1_APP, V1_APP)
    with pytest.raises(ValueError, match="too_short"):
        _core.lorawan_decode_data(phy[:11], V1_NWK, V1_APP)
    with pytest.raises(ValueError, match="wrong_mtype"):
        _core.lorawan_decode_join_request(phy, V1_NWK)
    with pytest.raises(ValueError, match="bad_length"):
        _core.lorawan_decrypt_join_accept(b"\x20" + bytes(20), V1_NWK)
    with pytest.raises(ValueError):
        _core.lorawan_encode_data(UNCONFIRMED_UP, 1, 1, 1, bytes(243), V1_NWK, V1_APP)  # 256 bytes
    with pytest.raises(ValueError):
        _core.lorawan_encode_data(UNCONFIRMED_UP, 1, 1, None, b"x", V1_NWK, V1_APP)
    with pytest.raises(ValueError):
        _core.lorawan_encode_join_accept(1 << 24, 0, 0, 0, 0, 0, None, V1_NWK)
    with pytest.raises(ValueError):
        _core.lorawan_derive_session_keys(bytes(15), 0, 0, 0)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_raise_value_error(data):
    for decode in (lambda b: _core.lorawan_decode_data(b, V1_NWK, V1_APP),
                   lambda b: _core.lorawan_decode_join_request(b, V1_NWK),
                   lambda b: _core.lorawan_decode_join_accept(b, V1_NWK)):
        try:
            decode(data)
        except ValueError:
            pass
