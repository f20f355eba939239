"""crypto / ucrypto of Pycom firmware 1.20.2 (esp32/mods/moducrypto.c).

* ``getrandbits(bits)`` -> bytes: random 32-bit words, so ``bits`` rounds up to a multiple
  of 32 (``getrandbits(128)`` is 16 bytes, ``getrandbits(1)`` 4). The words come from the
  device's seeded generator: the same seed gives the same bytes.
* ``AES(key, mode=AES.MODE_ECB, IV=None, counter=None, segment_size=...)`` -> an
  ``AESCipher`` with ``encrypt(data)`` and ``decrypt(data)``, which share one chaining state
  (use one object per direction, as the documentation's examples do). Modes ECB, CBC, CFB
  (8-bit segments unless ``segment_size=AES.SEGMENT_128``) and CTR; the IV defaults to zeros.
* ``generate_rsa_signature(message, private_key, *, pers=...)``: SHA-256 signature with a PEM
  key (PKCS#1 v1.5 for RSA, DER ECDSA for EC keys); ``rsa_encrypt(message, public_key)`` and
  ``rsa_decrypt(message, private_key)``: PKCS#1 v1.5 with PEM keys.

The cryptography runs in C++ over OpenSSL (usocket_emu._core); errors are the firmware's
ValueError/RuntimeError messages, mbedtls error codes included. ECDSA signatures are
randomized here, where mbedtls signs deterministically (RFC 6979).
"""

import struct
import types

from .. import _core
from . import gc as _gc
from ._args import int32
from ._args import read_buffer
from .ubinascii import text_of

__all__ = ["build", "MODE_ECB", "MODE_CBC", "MODE_CFB", "MODE_CTR", "SEGMENT_8", "SEGMENT_128"]

# moducrypto.c crypt_mode_t and crypt_segment_size_t.
MODE_ECB = 1
MODE_CBC = 2
MODE_CFB = 3
MODE_CTR = 6
SEGMENT_8 = 8
SEGMENT_128 = 128

_NO_SEGMENT_SIZE = -1  # AES_make_new's default: CFB then uses 8-bit segments


def _random_bytes(rng, bits, heap_bytes):
    """getrandbits: C uint32 arithmetic on the bit count, one esp_random() word per 32 bits."""
    count = int32(bits) & 0xFFFFFFFF
    if count & 0x1F:
        count = (count + 0x20) & 0xFFFFFFFF
    words = count >> 5
    size = words << 2
    if size > heap_bytes:
        raise MemoryError(f"memory allocation failed, allocating {size} bytes")
    return b"".join(struct.pack("<I", rng.getrandbits(32)) for _ in range(words))


def build(dev):
    """The crypto module of one device boot."""
    rng = dev.rng
    heap_bytes = _gc.heap_total_bytes(getattr(dev, "board", None))

    class AESCipher(_core.AESCipher):
        """What AES() returns: encrypt(data) and decrypt(data), one shared chaining state."""

        __slots__ = ()

        def __init__(self, *_args, **_kwargs):
            raise TypeError("cannot create 'AESCipher' instances")

    core_new = _core.AESCipher.__new__
    core_init = _core.AESCipher.__init__

    class AES:
        """AES(key, mode=MODE_ECB, IV=None, counter=None, segment_size=...) -> AESCipher."""

        MODE_ECB = MODE_ECB
        MODE_CBC = MODE_CBC
        MODE_CFB = MODE_CFB
        MODE_CTR = MODE_CTR
        SEGMENT_8 = SEGMENT_8
        SEGMENT_128 = SEGMENT_128

        def __new__(cls, key, mode=MODE_ECB, IV=None, counter=None, segment_size=_NO_SEGMENT_SIZE):  # noqa: N803
            # mp_arg_parse_all: mode and segment_size are C ints.
            mode = int32(mode)
            segment_size = int32(segment_size)
            # The buffers AES_make_new reads: the key, the IV in CBC/CFB when given, the counter
            # in CTR (None there is a TypeError). Outside CTR only a counter's presence counts.
            # (The firmware reads them between its value checks; here a buffer TypeError can
            # come before a key-length ValueError when a script gets both wrong.)
            key_bytes = read_buffer(key)
            iv_bytes = read_buffer(IV) if IV is not None and mode in (MODE_CBC, MODE_CFB) else None
            if mode == MODE_CTR:
                counter_bytes = read_buffer(counter)
            else:
                counter_bytes = None if counter is None else b""
            cipher = core_new(AESCipher)
            core_init(cipher, key_bytes, mode, iv_bytes, counter_bytes, segment_size)
            return cipher

    def getrandbits(bits, /):
        """getrandbits(bits) -> bytes: bits rounded up to whole 32-bit words."""
        return _random_bytes(rng, bits, heap_bytes)

    def generate_rsa_signature(message, private_key, *, pers=None):
        """generate_rsa_signature(message, private_key, *, pers='esp32-tls') -> bytes."""
        if pers is not None:
            text_of(pers)  # the DRBG personalisation string: only its type matters here
        return _core.rsa_sign_sha256(message, private_key)

    def rsa_encrypt(message, key):
        """rsa_encrypt(message, key) -> bytes: PKCS#1 v1.5 with a PEM public key."""
        return _core.rsa_encrypt(message, key)

    def rsa_decrypt(message, key):
        """rsa_decrypt(message, key) -> bytes: PKCS#1 v1.5 with a PEM private key."""
        return _core.rsa_decrypt(message, key)

    module = types.ModuleType("ucrypto", "Pycom crypto: AES, RSA and the hardware random generator.")
    for cls in (AES, AESCipher):
        cls.__module__ = "ucrypto"
        cls.__qualname__ = cls.__name__
    module.AES = AES
    for function in (getrandbits, generate_rsa_signature, rsa_encrypt, rsa_decrypt):
        function.__module__ = "ucrypto"
        function.__qualname__ = function.__name__
        module.__dict__[function.__name__] = function
    return module
