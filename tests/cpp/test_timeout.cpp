// tests/cpp/test_timeout.cpp: usocket/timeout.hpp: the firmware's settimeout() rules.
#include "usocket/timeout.hpp"

#include <cstdint>
#include <optional>

#include "support.hpp"

using usocket::timeout;

// The factories are constexpr: check them at compile time too.
static_assert(timeout::blocking().is_blocking());
static_assert(timeout::blocking().device_value() == -1);
static_assert(timeout::non_blocking().is_non_blocking());
static_assert(timeout::non_blocking().device_value() == 0);
static_assert(timeout::milliseconds(250).has_deadline());
static_assert(timeout::milliseconds(250).ms() == 250);
static_assert(timeout::milliseconds(0) == timeout::non_blocking());
static_assert(timeout::milliseconds(-5) == timeout::non_blocking());

TEST_CASE("the three kinds of timeout are exclusive", "[timeout]") {
    const timeout b = timeout::blocking();
    CHECK(b.is_blocking());
    CHECK_FALSE(b.is_non_blocking());
    CHECK_FALSE(b.has_deadline());
    CHECK(b.device_value() == -1);
    CHECK_FALSE(b.seconds().has_value());

    const timeout n = timeout::non_blocking();
    CHECK_FALSE(n.is_blocking());
    CHECK(n.is_non_blocking());
    CHECK_FALSE(n.has_deadline());
    CHECK(n.device_value() == 0);
    REQUIRE(n.seconds().has_value());
    CHECK(*n.seconds() == 0.0);

    const timeout d = timeout::milliseconds(1500);
    CHECK_FALSE(d.is_blocking());
    CHECK_FALSE(d.is_non_blocking());
    CHECK(d.has_deadline());
    CHECK(d.ms() == 1500);
    CHECK(d.device_value() == 1500);
    REQUIRE(d.seconds().has_value());
    CHECK(*d.seconds() == Approx(1.5));

    CHECK(b != n);
    CHECK(n != d);
    CHECK(d == timeout::milliseconds(1500));
}

TEST_CASE("from_seconds follows settimeout(): None, 0, int(1000 * x), negatives", "[timeout]") {
    SECTION("None blocks") {
        CHECK(timeout::from_seconds(std::nullopt) == timeout::blocking());
    }
    SECTION("0 is non-blocking") {
        CHECK(timeout::from_seconds(0.0) == timeout::non_blocking());
    }
    SECTION("less than a millisecond truncates to 0: non-blocking") {
        CHECK(timeout::from_seconds(0.0005) == timeout::non_blocking());
        CHECK(timeout::from_seconds(0.000999).is_non_blocking());
    }
    SECTION("seconds become whole milliseconds, truncated") {
        CHECK(timeout::from_seconds(1.5) == timeout::milliseconds(1500));
        CHECK(timeout::from_seconds(1.5).ms() == 1500);
        CHECK(timeout::from_seconds(0.001).ms() == 1);
        CHECK(timeout::from_seconds(0.0019).ms() == 1);
        CHECK(timeout::from_seconds(2.0).ms() == 2000);
        CHECK(timeout::from_seconds(30.0).ms() == 30000);
    }
    SECTION("a negative value blocks") {
        CHECK(timeout::from_seconds(-1.0) == timeout::blocking());
        CHECK(timeout::from_seconds(-0.5).is_blocking());
        CHECK(timeout::from_seconds(-1e12).is_blocking());
    }
    SECTION("a huge value is clamped, still a positive deadline") {
        const timeout t = timeout::from_seconds(1e12);
        CHECK(t.has_deadline());
        CHECK(t.ms() > 0);
        const timeout u = timeout::from_seconds(1e300);
        CHECK(u.has_deadline());
        CHECK(u.ms() > 0);
    }
}

TEST_CASE("seconds() gives back what from_seconds() took, in whole milliseconds", "[timeout]") {
    CHECK_FALSE(timeout::from_seconds(std::nullopt).seconds().has_value());
    CHECK(timeout::from_seconds(0.0).seconds() == std::optional<double>(0.0));
    REQUIRE(timeout::from_seconds(2.25).seconds().has_value());
    CHECK(*timeout::from_seconds(2.25).seconds() == Approx(2.25));
    CHECK(*timeout::milliseconds(50).seconds() == Approx(0.05));
}

TEST_CASE("wait_us() is what the radio layers wait: none, 0 or ms * 1000", "[timeout]") {
    CHECK_FALSE(timeout::blocking().wait_us().has_value());
    CHECK(timeout::non_blocking().wait_us() == std::optional<std::int64_t>(0));
    CHECK(timeout::milliseconds(1500).wait_us() == std::optional<std::int64_t>(1'500'000));
    const auto longest = timeout::from_seconds(1e300).wait_us();
    REQUIRE(longest.has_value());
    CHECK(*longest == timeout::from_seconds(1e300).ms() * 1000);
}
