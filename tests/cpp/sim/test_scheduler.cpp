// tests/cpp/sim/test_scheduler.cpp: the deterministic event queue of usocket::sim.
#include "usocket/sim/scheduler.hpp"

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::event_id;
using usocket::sim::scheduler;
using usocket::sim::time_us;

namespace {

/// Pops and runs every pending event; returns how many ran.
std::size_t drain(scheduler& s) {
    std::size_t ran = 0;
    while (auto fn = s.pop_next()) {
        fn();
        ++ran;
    }
    return ran;
}

}  // namespace

TEST_CASE("scheduler: a new scheduler is empty at time 0", "[radio_sim][scheduler]") {
    scheduler s;
    CHECK(s.now_us() == 0);
    CHECK(s.pending() == 0);
    CHECK_FALSE(s.next_time().has_value());
    CHECK_FALSE(static_cast<bool>(s.pop_next()));
    CHECK(s.now_us() == 0);  // popping nothing does not move the clock
}

TEST_CASE("scheduler: event ids are distinct, non-zero and grow", "[radio_sim][scheduler]") {
    scheduler s;
    event_id previous = 0;
    for (int i = 0; i < 100; ++i) {
        const event_id id = s.schedule(1000 - i, [] {});
        CHECK(id != 0);
        CHECK(id > previous);
        previous = id;
    }
    CHECK(s.pending() == 100);
}

TEST_CASE("scheduler: events run in time order and the clock follows them", "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<std::pair<int, time_us>> ran;
    s.schedule(300, [&] { ran.emplace_back(3, s.now_us()); });
    s.schedule(100, [&] { ran.emplace_back(1, s.now_us()); });
    s.schedule(200, [&] { ran.emplace_back(2, s.now_us()); });
    REQUIRE(s.next_time() == time_us{100});

    auto fn = s.pop_next();
    REQUIRE(fn);
    CHECK(s.now_us() == 100);  // pop_next moves the clock before the action runs
    fn();
    CHECK(s.pending() == 2);
    CHECK(s.next_time() == time_us{200});

    CHECK(drain(s) == 2);
    const std::vector<std::pair<int, time_us>> expected{{1, 100}, {2, 200}, {3, 300}};
    CHECK(ran == expected);
    CHECK(s.now_us() == 300);
    CHECK(s.pending() == 0);
    CHECK_FALSE(s.next_time().has_value());
}

TEST_CASE("scheduler: ties run in insertion order", "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<int> order;
    constexpr int n = 1000;
    // Interleave two instants so ties are not merely adjacent insertions.
    for (int i = 0; i < n; ++i) {
        s.schedule(i % 2 == 0 ? 50 : 10, [&order, i] { order.push_back(i); });
    }
    REQUIRE(drain(s) == static_cast<std::size_t>(n));
    std::vector<int> expected;
    for (int i = 1; i < n; i += 2) {
        expected.push_back(i);
    }
    for (int i = 0; i < n; i += 2) {
        expected.push_back(i);
    }
    CHECK(order == expected);
}

TEST_CASE("scheduler: an event scheduled by a running event at the same time runs after the ones already queued",
          "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<char> order;
    s.schedule(10, [&] {
        order.push_back('a');
        s.schedule(10, [&] { order.push_back('c'); });
    });
    s.schedule(10, [&] { order.push_back('b'); });
    s.schedule(11, [&] { order.push_back('d'); });
    drain(s);
    CHECK(order == std::vector<char>{'a', 'b', 'c', 'd'});
    CHECK(s.now_us() == 11);
}

TEST_CASE("scheduler: cancel removes a pending event, and only once", "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<int> ran;
    const event_id a = s.schedule(10, [&] { ran.push_back(1); });
    const event_id b = s.schedule(20, [&] { ran.push_back(2); });
    const event_id c = s.schedule(30, [&] { ran.push_back(3); });
    REQUIRE(s.pending() == 3);

    SECTION("cancelling the head hides it from next_time") {
        CHECK(s.cancel(a));
        CHECK(s.pending() == 2);
        CHECK(s.next_time() == time_us{20});
        CHECK_FALSE(s.cancel(a));  // already cancelled
        drain(s);
        CHECK(ran == std::vector<int>{2, 3});
        CHECK(s.now_us() == 30);
    }
    SECTION("cancelling the middle one") {
        CHECK(s.cancel(b));
        drain(s);
        CHECK(ran == std::vector<int>{1, 3});
    }
    SECTION("cancelling every event leaves nothing to pop, and the clock stays") {
        CHECK(s.cancel(c));
        CHECK(s.cancel(b));
        CHECK(s.cancel(a));
        CHECK(s.pending() == 0);
        CHECK_FALSE(s.next_time().has_value());
        CHECK_FALSE(static_cast<bool>(s.pop_next()));
        CHECK(s.now_us() == 0);
        CHECK(ran.empty());
    }
    SECTION("cancelling after the event ran fails") {
        auto fn = s.pop_next();
        REQUIRE(fn);
        CHECK_FALSE(s.cancel(a));  // popped: no longer pending, even before it runs
        fn();
        CHECK(ran == std::vector<int>{1});
        CHECK(s.pending() == 2);
        drain(s);
        CHECK_FALSE(s.cancel(b));
        CHECK_FALSE(s.cancel(c));
    }
    SECTION("ids that were never issued do not cancel anything") {
        CHECK_FALSE(s.cancel(0));
        CHECK_FALSE(s.cancel(c + 1));
        CHECK(s.pending() == 3);
    }
}

TEST_CASE("scheduler: an event can cancel a later one", "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<int> ran;
    event_id later = 0;
    s.schedule(10, [&] {
        ran.push_back(1);
        CHECK(s.cancel(later));
    });
    later = s.schedule(20, [&] { ran.push_back(2); });
    s.schedule(30, [&] { ran.push_back(3); });
    drain(s);
    CHECK(ran == std::vector<int>{1, 3});
}

TEST_CASE("scheduler: the clock never runs backwards", "[radio_sim][scheduler]") {
    scheduler s;
    s.advance_to(1000);
    REQUIRE(s.now_us() == 1000);

    SECTION("advance_to the past is ignored") {
        s.advance_to(500);
        CHECK(s.now_us() == 1000);
        s.advance_to(-1);
        CHECK(s.now_us() == 1000);
        s.advance_to(1000);
        CHECK(s.now_us() == 1000);
        s.advance_to(1001);
        CHECK(s.now_us() == 1001);
    }
    SECTION("scheduling in the past clamps to now") {
        std::vector<std::pair<int, time_us>> ran;
        s.schedule(10, [&] { ran.emplace_back(1, s.now_us()); });
        s.schedule(-5, [&] { ran.emplace_back(2, s.now_us()); });
        s.schedule(1000, [&] { ran.emplace_back(3, s.now_us()); });
        // Every event is now due at 1000, so insertion order decides.
        CHECK(s.next_time() == time_us{1000});
        drain(s);
        const std::vector<std::pair<int, time_us>> expected{{1, 1000}, {2, 1000}, {3, 1000}};
        CHECK(ran == expected);
        CHECK(s.now_us() == 1000);
    }
    SECTION("a past event goes after earlier-inserted events due now") {
        std::vector<int> ran;
        s.schedule(1000, [&] { ran.push_back(1); });
        s.schedule(0, [&] { ran.push_back(2); });
        drain(s);
        CHECK(ran == std::vector<int>{1, 2});
    }
    SECTION("advance_to does not run events it passes") {
        int ran = 0;
        s.schedule(1500, [&] { ++ran; });
        s.advance_to(2000);
        CHECK(ran == 0);
        CHECK(s.pending() == 1);
        // Popping the overtaken event does not move the clock back.
        auto fn = s.pop_next();
        REQUIRE(fn);
        fn();
        CHECK(ran == 1);
        CHECK(s.now_us() == 2000);
    }
}

TEST_CASE("scheduler: pending counts live events only", "[radio_sim][scheduler]") {
    scheduler s;
    std::vector<event_id> ids;
    for (int i = 0; i < 10; ++i) {
        ids.push_back(s.schedule(i, [] {}));
    }
    CHECK(s.pending() == 10);
    for (std::size_t i = 0; i < ids.size(); i += 2) {
        REQUIRE(s.cancel(ids[i]));
    }
    CHECK(s.pending() == 5);
    CHECK(drain(s) == 5);
    CHECK(s.pending() == 0);
    CHECK(s.now_us() == 9);
}

TEST_CASE("scheduler: pop_next hands over the action it stored", "[radio_sim][scheduler]") {
    scheduler s;
    int value = 0;
    s.schedule(5, [&value] { value = 42; });
    auto fn = s.pop_next();
    REQUIRE(fn);
    CHECK(value == 0);  // popping does not run it
    fn();
    CHECK(value == 42);
    CHECK_FALSE(static_cast<bool>(s.pop_next()));
}

TEST_CASE("scheduler: 100k events in random order come out sorted by (time, insertion)", "[radio_sim][scheduler]") {
    scheduler s;
    constexpr std::size_t n = 100000;
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<time_us> when(0, 5000);  // plenty of ties
    std::vector<time_us> at(n);
    std::vector<std::pair<time_us, std::size_t>> ran;
    ran.reserve(n);
    std::vector<event_id> ids(n);
    for (std::size_t i = 0; i < n; ++i) {
        at[i] = when(rng);
        ids[i] = s.schedule(at[i], [&ran, &s, i] { ran.emplace_back(s.now_us(), i); });
    }
    // Cancel every 7th event.
    std::size_t cancelled = 0;
    for (std::size_t i = 0; i < n; i += 7) {
        REQUIRE(s.cancel(ids[i]));
        ++cancelled;
    }
    REQUIRE(s.pending() == n - cancelled);
    REQUIRE(drain(s) == n - cancelled);
    REQUIRE(ran.size() == n - cancelled);

    bool ordered = true;
    bool on_time = true;
    bool none_cancelled = true;
    for (std::size_t k = 0; k < ran.size(); ++k) {
        const auto [t, i] = ran[k];
        on_time = on_time && t == at[i];
        none_cancelled = none_cancelled && i % 7 != 0;
        if (k > 0) {
            const auto [pt, pi] = ran[k - 1];
            ordered = ordered && (pt < t || (pt == t && pi < i));
        }
    }
    CHECK(ordered);
    CHECK(on_time);
    CHECK(none_cancelled);
    CHECK(s.now_us() == ran.back().first);
}
