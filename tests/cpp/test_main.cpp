// tests/cpp/test_main.cpp: the Catch2 main of usocket_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
