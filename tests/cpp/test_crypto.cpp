// tests/cpp/test_crypto.cpp
#include "usocket/crypto.hpp"

#include <catch2/catch.hpp>
