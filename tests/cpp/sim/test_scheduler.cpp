// tests/cpp/sim/test_scheduler.cpp
#include "usocket/sim/scheduler.hpp"

#include <catch2/catch.hpp>
