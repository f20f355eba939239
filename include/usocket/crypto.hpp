// usocket/crypto.hpp: the AES of the device's `crypto` module (Pycom moducrypto.c).
#pragma once
