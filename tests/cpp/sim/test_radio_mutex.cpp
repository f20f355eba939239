// tests/cpp/sim/test_radio_mutex.cpp: the mutex by which a LoPy4's LoRa and Sigfox take
// turns on their one SX1276: first come first served, a waiter's grant in a world event at
// the time of the release, never inline.
#include "usocket/sim/radio_mutex.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include "usocket/sim/world.hpp"

namespace sim = usocket::sim;
using sim::radio_mutex;
using sim::time_us;

namespace {

struct fixture {
    sim::world w{sim::world_options{sim::time_mode::virtual_time, 1}};
    radio_mutex chip{w};
    std::vector<std::pair<std::string, time_us>> grants;

    std::function<void()> record(std::string who) {
        return [this, who = std::move(who)] { grants.emplace_back(who, w.now_us()); };
    }
    void run() { w.run(std::nullopt); }
};

}  // namespace

TEST_CASE("radio_mutex: a free chip is taken at once, by one user at a time", "[radio_mutex]") {
    fixture f;
    const auto lora = f.chip.new_owner();
    const auto sigfox = f.chip.new_owner();
    REQUIRE(lora != sigfox);
    CHECK(f.chip.lock_or_wait(lora, f.record("lora")));
    CHECK(f.chip.held_by(lora));
    CHECK(f.chip.lock_or_wait(lora, f.record("lora again")));  // already its own
    CHECK_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox")));
    CHECK(f.chip.waiting(sigfox));
    CHECK_FALSE(f.chip.held_by(sigfox));
    f.run();
    CHECK(f.grants.empty());  // nobody let go: the waiter is never granted
    CHECK(f.chip.handovers() == 0);
}

TEST_CASE("radio_mutex: a release hands the chip to the first in line, in an event at that time", "[radio_mutex]") {
    fixture f;
    const auto lora = f.chip.new_owner();
    const auto sigfox = f.chip.new_owner();
    const auto raw = f.chip.new_owner();
    REQUIRE(f.chip.lock_or_wait(lora, f.record("lora")));
    REQUIRE_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox")));
    REQUIRE_FALSE(f.chip.lock_or_wait(raw, f.record("raw")));
    REQUIRE_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox, asked again")));  // keeps its place
    f.w.schedule_at(1'000, [&] {
        f.chip.unlock(lora);
        CHECK(f.chip.held_by(sigfox));  // at once, before its grant runs
        CHECK(f.grants.empty());        // never inline
    });
    f.w.schedule_at(5'000, [&] { f.chip.unlock(sigfox); });
    f.run();
    using grant = std::pair<std::string, time_us>;
    CHECK(f.grants == std::vector<grant>{{"sigfox, asked again", 1'000}, {"raw", 5'000}});
    CHECK(f.chip.held_by(raw));
    CHECK(f.chip.handovers() == 2);
}

TEST_CASE("radio_mutex: a newcomer does not jump the line of a chip just released", "[radio_mutex]") {
    fixture f;
    const auto lora = f.chip.new_owner();
    const auto sigfox = f.chip.new_owner();
    REQUIRE(f.chip.lock_or_wait(lora, f.record("lora")));
    REQUIRE_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox")));
    f.chip.unlock(lora);
    // LoRa's next cycle asks at the same instant: Sigfox waited, Sigfox has it.
    CHECK_FALSE(f.chip.lock_or_wait(lora, f.record("lora's next")));
    f.w.schedule_at(2'000, [&] { f.chip.unlock(sigfox); });
    f.run();
    using grant = std::pair<std::string, time_us>;
    CHECK(f.grants == std::vector<grant>{{"sigfox", 0}, {"lora's next", 2'000}});
}

TEST_CASE("radio_mutex: unlock by a user that does not hold it only takes it out of the line", "[radio_mutex]") {
    fixture f;
    const auto lora = f.chip.new_owner();
    const auto sigfox = f.chip.new_owner();
    const auto raw = f.chip.new_owner();
    REQUIRE(f.chip.lock_or_wait(lora, f.record("lora")));
    REQUIRE_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox")));
    REQUIRE_FALSE(f.chip.lock_or_wait(raw, f.record("raw")));
    f.chip.unlock(sigfox);  // it closed while waiting
    CHECK_FALSE(f.chip.waiting(sigfox));
    CHECK(f.chip.held_by(lora));
    f.chip.unlock(sigfox);  // twice: nothing
    f.w.schedule_at(3'000, [&] { f.chip.unlock(lora); });
    f.run();
    using grant = std::pair<std::string, time_us>;
    CHECK(f.grants == std::vector<grant>{{"raw", 3'000}});
}

TEST_CASE("radio_mutex: a grant whose holder let go before it ran does not run", "[radio_mutex]") {
    fixture f;
    const auto lora = f.chip.new_owner();
    const auto sigfox = f.chip.new_owner();
    REQUIRE(f.chip.lock_or_wait(lora, f.record("lora")));
    REQUIRE_FALSE(f.chip.lock_or_wait(sigfox, f.record("sigfox")));
    f.chip.unlock(lora);     // sigfox's grant is scheduled...
    f.chip.unlock(sigfox);   // ...and sigfox closes before it runs
    f.run();
    CHECK(f.grants.empty());
    CHECK_FALSE(f.chip.held_by(sigfox));
    CHECK(f.chip.lock_or_wait(lora, f.record("lora")));  // free again
}
