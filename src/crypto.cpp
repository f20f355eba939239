// crypto.cpp: AES for the device's crypto module, over OpenSSL.
#include "usocket/crypto.hpp"
