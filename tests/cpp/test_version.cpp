// tests/cpp/test_version.cpp: usocket/version.hpp: the version is pyproject.toml's.
#include "usocket/version.hpp"

#include <string_view>

#include "support.hpp"

TEST_CASE("version() is the project version read from pyproject.toml", "[version]") {
    CHECK(usocket::version() == std::string_view(USOCKET_EXPECTED_VERSION));
    CHECK_FALSE(usocket::version().empty());
}
