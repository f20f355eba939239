// tests/cpp/sim/test_world.cpp
#include "usocket/sim/world.hpp"

#include <catch2/catch.hpp>
