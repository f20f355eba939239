// tests/cpp/sim/test_event_log.cpp
#include "usocket/sim/event_log.hpp"

#include <catch2/catch.hpp>
