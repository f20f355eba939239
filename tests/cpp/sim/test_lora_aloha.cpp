// tests/cpp/sim/test_lora_aloha.cpp: the medium against pure-ALOHA theory (radio.md 4.5):
// LoRaSim experiment 0's traffic (20-byte frames at SF12/125 kHz/CR 4/8, each node waits
// Exp(mean 10^6 ms) after its previous frame ends) around one listening receiver.
#include "usocket/sim/lora_medium.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/world.hpp"

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::lora_frame;
using usocket::sim::lora_listen_settings;
using usocket::sim::lora_medium;
using usocket::sim::lora_model;
using usocket::sim::lora_reception;
using usocket::sim::position_m;
using usocket::sim::time_mode;
using usocket::sim::time_on_air_us;
using usocket::sim::time_us;
using usocket::sim::world;
using usocket::sim::world_options;

namespace {

constexpr double avg_send_ms = 1e6;
constexpr time_us horizon_us = 100'000'000'000;  // 10^8 ms
constexpr double disc_radius_m = 50.0;           // all far inside range (-115.4 dBm at 50 m)
constexpr double pi = 3.14159265358979323846;

struct aloha_result {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t collisions = 0;
    std::uint64_t other = 0;
    double airtime_ms = 0;

    double der() const { return static_cast<double>(received) / static_cast<double>(sent); }
};

lora_frame experiment0_frame() {
    lora_frame f;
    f.frequency_hz = 868000000;
    f.modulation.spreading_factor = 12;
    f.modulation.bandwidth_hz = 125000;
    f.modulation.coding_rate = 4;  // 4/8
    f.tx_power_dbm = 14.0;
    f.payload.assign(20, 0x5a);
    return f;
}

/// N nodes uniform in a disc around one receiver; transmissions start before the horizon
/// and all of them end before run() returns.
aloha_result run_aloha(int nodes, bool capture, std::uint64_t seed) {
    world w(world_options{time_mode::virtual_time, seed});
    lora_model model;
    model.capture = capture;
    lora_medium m(w, model);
    aloha_result result;

    lora_listen_settings listen;
    listen.frequency_hz = 868000000;
    listen.spreading_factor = 12;
    listen.bandwidth_hz = 125000;
    const auto receiver = m.attach("gw", {0, 0, 0}, [&](const lora_reception&) { ++result.received; });
    m.listen(receiver, listen);

    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<lora_medium::radio_id> ids;
    ids.reserve(static_cast<std::size_t>(nodes));
    for (int i = 0; i < nodes; ++i) {
        const double r = disc_radius_m * std::sqrt(unit(rng));
        const double a = 2.0 * pi * unit(rng);
        ids.push_back(m.attach("n" + std::to_string(i), position_m{r * std::cos(a), r * std::sin(a), 0}, {}));
    }

    const lora_frame frame = experiment0_frame();
    const time_us airtime = time_on_air_us(frame.modulation, frame.payload.size());
    result.airtime_ms = static_cast<double>(airtime) / 1000.0;
    std::exponential_distribution<double> wait(1.0 / (avg_send_ms * 1000.0));  // in us

    std::function<void(std::size_t)> wait_then_send = [&](std::size_t i) {
        const time_us at = w.now_us() + std::llround(wait(rng));
        if (at >= horizon_us) {
            return;
        }
        w.schedule_at(at, [&, i] {
            ++result.sent;
            m.transmit(ids[i], frame, [&, i] { wait_then_send(i); });  // the next wait starts at its end
        });
    };
    for (std::size_t i = 0; i < ids.size(); ++i) {
        wait_then_send(i);
    }
    w.run(horizon_us + airtime + 1);

    const auto c = m.counters();
    CHECK(c.transmissions == result.sent);
    CHECK(c.receptions == result.received);
    CHECK(c.below_sensitivity == 0);
    CHECK(c.other_losses == 0);
    result.collisions = c.collisions;
    result.other = c.below_sensitivity + c.other_losses;
    return result;
}

/// radio.md 4.5: DER = exp(-2G), G = (N - 1) T / (avgSend + T).
double predicted_der(int nodes, double airtime_ms) {
    const double g = (nodes - 1) * airtime_ms / (avg_send_ms + airtime_ms);
    return std::exp(-2.0 * g);
}

void check_against_theory(int nodes, std::uint64_t seed) {
    const aloha_result simple = run_aloha(nodes, false, seed);
    const aloha_result full = run_aloha(nodes, true, seed);
    REQUIRE(simple.airtime_ms == 1712.128);
    const double predicted = predicted_der(nodes, simple.airtime_ms);
    CAPTURE(nodes, simple.sent, simple.received, full.received, predicted, simple.der(), full.der());
    // About 100 frames per node over 10^8 ms (period avgSend + T).
    CHECK(static_cast<double>(simple.sent) == Approx(nodes * 1e8 / (avg_send_ms + simple.airtime_ms)).epsilon(0.05));
    // Simple model: every lost frame collided; the ratio is pure ALOHA's.
    CHECK(simple.received + simple.collisions == simple.sent);
    CHECK(std::abs(simple.der() - predicted) < 0.02);
    // Capture only rescues frames: with the same seed the traffic is the same frame for
    // frame, so the full model delivers everything the simple one did, and more.
    CHECK(full.sent == simple.sent);
    CHECK(full.received >= simple.received);
    CHECK(full.der() >= predicted);
    CHECK(full.received + full.collisions == full.sent);
}

}  // namespace

TEST_CASE("lora_aloha: the worked value of radio.md 4.5", "[radio_sim][lora][aloha]") {
    CHECK(predicted_der(100, 1712.128) == Approx(0.7129).margin(1e-4));
}

TEST_CASE("lora_aloha: 100 nodes, delivery ratio exp(-2G)", "[radio_sim][lora][aloha]") {
    check_against_theory(100, 1);
}

TEST_CASE("lora_aloha: 500 nodes, delivery ratio exp(-2G)", "[radio_sim][lora][aloha]") {
    check_against_theory(500, 2);
}

TEST_CASE("lora_aloha: 1000 nodes, delivery ratio exp(-2G)", "[radio_sim][lora][aloha]") {
    check_against_theory(1000, 3);
}
