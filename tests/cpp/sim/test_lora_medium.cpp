// tests/cpp/sim/test_lora_medium.cpp: the air LoRa radios share: who hears a frame, with
// what RSSI, and which frames survive overlaps (pycom-api.md 4.7, radio.md 4.2 and 4.3),
// driven directly from world events in virtual time.
#include "usocket/sim/lora_medium.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/world.hpp"

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::lora_frame;
using usocket::sim::lora_listen_settings;
using usocket::sim::lora_loss;
using usocket::sim::lora_medium;
using usocket::sim::lora_model;
using usocket::sim::lora_modulation;
using usocket::sim::lora_reception;
using usocket::sim::noise_floor_dbm;
using usocket::sim::position_m;
using usocket::sim::symbol_time_us;
using usocket::sim::time_mode;
using usocket::sim::time_on_air_us;
using usocket::sim::time_us;
using usocket::sim::world;
using usocket::sim::world_options;

namespace {

constexpr std::int64_t f868 = 868000000;

/// RSSI at 14 dBm from radio.md 4.3's table (three decimals).
constexpr double rssi_10m = -100.887;
constexpr double rssi_40m = -113.410;
constexpr double rssi_100m = -121.687;
constexpr double rssi_200m = -127.949;
constexpr double table_margin = 5e-4;

lora_listen_settings listening(int sf = 7, std::int64_t frequency_hz = f868, std::int64_t bw_hz = 125000) {
    lora_listen_settings l;
    l.frequency_hz = frequency_hz;
    l.spreading_factor = sf;
    l.bandwidth_hz = bw_hz;
    return l;
}

lora_frame frame_of(std::vector<std::uint8_t> payload, int sf = 7, double power_dbm = 14.0) {
    lora_frame f;
    f.frequency_hz = f868;
    f.modulation.spreading_factor = sf;
    f.modulation.bandwidth_hz = 125000;
    f.tx_power_dbm = power_dbm;
    f.payload = std::move(payload);
    return f;
}

/// 20 bytes at SF7/125 CR 4/5: 56.576 ms.
lora_frame frame20(std::uint8_t tag, int sf = 7, double power_dbm = 14.0) {
    return frame_of(std::vector<std::uint8_t>(20, tag), sf, power_dbm);
}

time_us airtime(const lora_frame& f) { return time_on_air_us(f.modulation, f.payload.size()); }

struct node {
    std::string name;
    lora_medium::radio_id id = 0;
    std::vector<lora_reception> got;
    std::vector<time_us> got_at;
};

/// One world, one medium, radios that record what they get.
class air {
public:
    explicit air(lora_model model = {}, std::uint64_t seed = 0)
        : w(world_options{time_mode::virtual_time, seed}), m(w, model) {
        w.keep_log_in_memory(true);
    }

    node& add(const std::string& name, position_m where,
              std::optional<lora_listen_settings> listen = lora_listen_settings{}) {
        nodes.push_back(std::make_unique<node>());
        node& n = *nodes.back();
        n.name = name;
        n.id = m.attach(name, where, [this, &n](const lora_reception& rx) {
            n.got.push_back(rx);
            n.got_at.push_back(w.now_us());
        });
        if (listen) {
            m.listen(n.id, listen);
        }
        return n;
    }

    void send_at(time_us t, const node& from, lora_frame f) {
        w.schedule_at(t, [this, id = from.id, f]() { m.transmit(id, f); });
    }

    void listen_at(time_us t, const node& who, std::optional<lora_listen_settings> settings) {
        w.schedule_at(t, [this, id = who.id, settings] { m.listen(id, settings); });
    }

    void run(time_us until_us = 60'000'000) { w.run(until_us); }

    /// Logged lines that contain every one of `parts`.
    std::size_t lines(std::initializer_list<std::string_view> parts) const {
        std::size_t count = 0;
        for (const auto& line : w.logged_lines()) {
            bool all = true;
            for (const auto part : parts) {
                all = all && line.find(part) != std::string::npos;
            }
            count += all ? 1 : 0;
        }
        return count;
    }

    std::size_t lost(const node& at, std::string_view reason) const {
        const std::string device = "\"device\": \"" + at.name + "\"";
        const std::string why = "\"reason\": \"" + std::string(reason) + "\"";
        return lines({"\"event\": \"lora_lost\"", device, why});
    }

    std::size_t lost_anywhere(const node& at) const {
        const std::string device = "\"device\": \"" + at.name + "\"";
        return lines({"\"event\": \"lora_lost\"", device});
    }

    world w;
    lora_medium m;
    std::vector<std::unique_ptr<node>> nodes;
};

double sum_dbm(std::initializer_list<double> dbm) {
    double mw = 0;
    for (const double d : dbm) {
        mw += std::pow(10.0, d / 10.0);
    }
    return 10.0 * std::log10(mw);
}

std::vector<std::uint8_t> bytes_of(const lora_reception& rx) { return *rx.payload; }

}  // namespace

// --- delivery -----------------------------------------------------------------------------

TEST_CASE("lora_medium: a matching frame arrives at start + airtime with its bytes", "[radio_sim][lora][medium]") {
    air a;
    node& tx = a.add("A", {100, 0, 0}, std::nullopt);
    node& rx = a.add("B", {0, 0, 0});
    const std::vector<std::uint8_t> payload{0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f};
    const lora_frame f = frame_of(payload);
    const time_us start = 5000;
    const time_us toa = airtime(f);
    REQUIRE(toa == 36096);  // 6 B at SF7/125: (12.25 + 8 + 3 * 5) * 1.024 ms

    std::uint64_t id = 0;
    bool done = false;
    time_us done_at = 0;
    a.w.schedule_at(start, [&] {
        id = a.m.transmit(tx.id, f, [&] {
            done = true;
            done_at = a.w.now_us();
        });
        CHECK(a.m.transmitting(tx.id));
        CHECK_FALSE(a.m.transmitting(rx.id));
    });
    a.w.schedule_at(start + toa - 1, [&] { CHECK(rx.got.empty()); });
    a.run();

    REQUIRE(rx.got.size() == 1);
    const lora_reception& r = rx.got.front();
    CHECK(rx.got_at.front() == start + toa);
    CHECK(r.frame_id == id);
    CHECK(id != 0);
    CHECK(r.sender == "A");
    CHECK(bytes_of(r) == payload);
    CHECK(r.start_us == start);
    CHECK(r.end_us == start + toa);
    CHECK(r.frequency_hz == f868);
    CHECK(r.spreading_factor == 7);
    CHECK(r.bandwidth_hz == 125000);
    CHECK(r.rssi_dbm == Approx(rssi_100m).margin(table_margin));
    CHECK(r.snr_db == Approx(r.rssi_dbm - noise_floor_dbm(125000)));
    CHECK(done);
    CHECK(done_at == start + toa);
    CHECK_FALSE(a.m.transmitting(tx.id));
    CHECK(tx.got.empty());

    const auto c = a.m.counters();
    CHECK(c.transmissions == 1);
    CHECK(c.receptions == 1);
    CHECK(c.collisions == 0);
    CHECK(c.below_sensitivity == 0);
    CHECK(c.other_losses == 0);
}

TEST_CASE("lora_medium: RSSI is tx power minus the log-distance path loss (radio.md 4.3)",
          "[radio_sim][lora][medium]") {
    air a;
    const position_m origin{0, 0, 0};
    // The table of radio.md 4.3.
    const std::pair<double, double> table[] = {{10, 114.887},  {40, 127.410},  {100, 135.687},
                                               {200, 141.949}, {500, 150.226}, {1000, 156.487}};
    for (const auto& [d, pl] : table) {
        CAPTURE(d);
        CHECK(a.m.path_loss_db(origin, {d, 0, 0}) == Approx(pl).margin(table_margin));
        CHECK(a.m.path_loss_db({d, 0, 0}, origin) == Approx(pl).margin(table_margin));
    }
    CHECK(a.m.path_loss_db(origin, {0, 60, 80}) == Approx(135.687).margin(table_margin));  // 3-D: 100 m
    CHECK(a.m.path_loss_db({1, 2, 3}, {1, 2, 43}) == Approx(127.41));                      // d0 exactly
    // Below the minimum distance (1 m) the loss stays that of 1 m.
    CHECK(a.m.path_loss_db(origin, origin) == Approx(a.m.path_loss_db(origin, {1, 0, 0})));
    CHECK(a.m.path_loss_db(origin, {0.2, 0, 0}) == Approx(a.m.path_loss_db(origin, {1, 0, 0})));

    // At SF12 (sensitivity -133.25 dBm) 10-200 m are heard, 500 m and beyond are not.
    node& tx = a.add("A", origin, std::nullopt);
    node& r10 = a.add("R10", {10, 0, 0}, listening(12));
    node& r40 = a.add("R40", {0, 40, 0}, listening(12));
    node& r100 = a.add("R100", {0, 0, 100}, listening(12));
    node& r200 = a.add("R200", {-200, 0, 0}, listening(12));
    node& r500 = a.add("R500", {0, -500, 0}, listening(12));
    node& r1000 = a.add("R1000", {1000, 0, 0}, listening(12));
    a.send_at(0, tx, frame20(1, 12));
    a.run();
    REQUIRE(r10.got.size() == 1);
    REQUIRE(r40.got.size() == 1);
    REQUIRE(r100.got.size() == 1);
    REQUIRE(r200.got.size() == 1);
    CHECK(r10.got[0].rssi_dbm == Approx(rssi_10m).margin(table_margin));
    CHECK(r40.got[0].rssi_dbm == Approx(rssi_40m).margin(table_margin));
    CHECK(r100.got[0].rssi_dbm == Approx(rssi_100m).margin(table_margin));
    CHECK(r200.got[0].rssi_dbm == Approx(rssi_200m).margin(table_margin));
    CHECK(r500.got.empty());
    CHECK(r1000.got.empty());
    CHECK(a.lost(r500, "below_sensitivity") == 1);
    CHECK(a.lost(r1000, "below_sensitivity") == 1);
    CHECK(a.lines({"\"event\": \"lora_lost\"", "\"device\": \"R500\"", "\"rssi_dbm\": -136.22"}) == 1);

    SECTION("power is in dBm: 20 dBm is 6 dB more, 4 dBm 10 dB less") {
        a.send_at(2'000'000, tx, frame20(2, 12, 20.0));
        a.send_at(4'000'000, tx, frame20(3, 12, 4.0));
        a.run();
        REQUIRE(r100.got.size() == 3);
        CHECK(r100.got[1].rssi_dbm == Approx(rssi_100m + 6).margin(table_margin));
        CHECK(r100.got[2].rssi_dbm == Approx(rssi_100m - 10).margin(table_margin));
    }
    SECTION("move() changes the distance") {
        a.m.move(r100.id, {0, 0, 10});
        a.send_at(2'000'000, tx, frame20(2, 12));
        a.run();
        REQUIRE(r100.got.size() == 2);
        CHECK(r100.got[1].rssi_dbm == Approx(rssi_10m).margin(table_margin));
    }
}

TEST_CASE("lora_medium: a radio never hears itself", "[radio_sim][lora][medium]") {
    air a;
    node& self = a.add("A", {0, 0, 0});  // listens with exactly the settings it sends with
    node& other = a.add("B", {100, 0, 0});
    a.send_at(1000, self, frame20(7));
    a.run();
    CHECK(self.got.empty());
    CHECK(a.lost_anywhere(self) == 0);
    REQUIRE(other.got.size() == 1);
    CHECK(other.got[0].sender == "A");
    CHECK(a.m.counters().receptions == 1);
    CHECK(a.m.counters().other_losses == 0);
}

// --- what a receiver listens for -------------------------------------------------------------

TEST_CASE("lora_medium: IQ polarity must match (nano-gateway: rx_iq=True hears tx_iq=True)",
          "[radio_sim][lora][medium]") {
    air a;
    auto gateway_rx = listening();
    gateway_rx.iq_inverted = true;  // rx_iq=True
    node& gw = a.add("GW", {0, 0, 0}, gateway_rx);
    node& n1 = a.add("N1", {100, 0, 0});  // rx_iq=False
    node& n2 = a.add("N2", {0, 100, 0});  // 141 m from N1: in range at SF7
    lora_frame up = frame20(1);
    up.iq_inverted = true;  // tx_iq=True
    a.send_at(0, n1, up);
    lora_frame down = frame20(2);  // tx_iq=False
    a.send_at(1'000'000, gw, down);
    a.run();

    REQUIRE(gw.got.size() == 1);
    CHECK(gw.got[0].sender == "N1");
    // N2 does not hear N1's uplink, and knows why.
    REQUIRE(n2.got.size() == 1);
    CHECK(n2.got[0].sender == "GW");
    CHECK(a.lost(n2, "wrong_iq") == 1);
    REQUIRE(n1.got.size() == 1);
    CHECK(n1.got[0].sender == "GW");
    // The gateway does not hear normal IQ (its own reply aside, which it never hears).
    CHECK(a.lost_anywhere(gw) == 0);

    SECTION("normal-IQ uplinks are lost at the inverted-IQ gateway") {
        a.send_at(2'000'000, n1, frame20(3));
        a.run();
        CHECK(gw.got.size() == 1);
        CHECK(a.lost(gw, "wrong_iq") == 1);
        CHECK(n2.got.size() == 2);  // normal IQ: N2 hears it
    }
    CHECK(a.m.counters().other_losses >= 1);
}

TEST_CASE("lora_medium: the sync word must match", "[radio_sim][lora][medium]") {
    air a;
    auto private_net = listening();
    private_net.sync_word = 0x12;
    node& tx = a.add("A", {100, 0, 0}, std::nullopt);
    node& rx = a.add("B", {0, 0, 0}, private_net);
    a.send_at(0, tx, frame20(1));  // sync word 0x34 (public)
    lora_frame f = frame20(2);
    f.sync_word = 0x12;
    a.send_at(1'000'000, tx, f);
    a.run();
    REQUIRE(rx.got.size() == 1);
    CHECK(bytes_of(rx.got[0]) == std::vector<std::uint8_t>(20, 2));
    CHECK(a.lost(rx, "wrong_sync_word") == 1);
    CHECK(a.m.counters().other_losses == 1);
}

TEST_CASE("lora_medium: another SF, frequency or bandwidth is not received (nor reported)",
          "[radio_sim][lora][medium]") {
    air a;
    node& tx = a.add("A", {100, 0, 0}, std::nullopt);
    node& rx = a.add("B", {0, 0, 0}, listening(7, 868100000));
    lora_frame f = frame20(1);
    f.frequency_hz = 868100000;
    f.modulation.spreading_factor = 8;
    a.send_at(0, tx, f);
    f.modulation.spreading_factor = 7;
    f.frequency_hz = 868300000;
    a.send_at(1'000'000, tx, f);
    f.frequency_hz = 868100000;
    f.modulation.bandwidth_hz = 250000;
    a.send_at(2'000'000, tx, f);
    f.modulation.bandwidth_hz = 125000;
    f.modulation.coding_rate = 4;  // coding rate and preamble need not match (explicit header)
    f.modulation.preamble_symbols = 12;
    a.send_at(3'000'000, tx, f);
    a.run();
    REQUIRE(rx.got.size() == 1);
    CHECK(rx.got[0].start_us == 3'000'000);
    CHECK(a.lost_anywhere(rx) == 0);
    const auto c = a.m.counters();
    CHECK(c.transmissions == 4);
    CHECK(c.receptions == 1);
    CHECK(c.other_losses == 0);
    CHECK(c.collisions == 0);
}

TEST_CASE("lora_medium: below sensitivity a frame is lost and disturbs nothing", "[radio_sim][lora][medium]") {
    lora_model simple;  // any audible overlap would destroy both
    simple.capture = false;
    air a(simple);
    node& rx = a.add("B", {0, 0, 0});
    node& far = a.add("FAR", {200, 0, 0}, std::nullopt);  // -127.949 dBm < -126.5 at SF7
    a.send_at(0, far, frame20(1));
    a.run();
    CHECK(rx.got.empty());
    CHECK(a.lost(rx, "below_sensitivity") == 1);
    CHECK(a.m.counters().below_sensitivity == 1);

    SECTION("at SF12 (-133.25 dBm) the same distance is heard") {
        a.m.listen(rx.id, listening(12));
        a.send_at(1'000'000, far, frame20(2, 12));
        a.run();
        REQUIRE(rx.got.size() == 1);
        CHECK(rx.got[0].rssi_dbm == Approx(rssi_200m).margin(table_margin));
    }
    SECTION("an overlapping frame below sensitivity does not collide (LoRaSim rule 1)") {
        node& near = a.add("NEAR", {100, 0, 0}, std::nullopt);
        a.send_at(1'000'000, near, frame20(2));
        a.send_at(1'010'000, far, frame20(3));
        a.run();
        REQUIRE(rx.got.size() == 1);
        CHECK(rx.got[0].sender == "NEAR");
        CHECK(a.lost(rx, "below_sensitivity") == 2);
        CHECK(a.m.counters().collisions == 0);
    }
}

// --- half duplex and listen changes -----------------------------------------------------------

TEST_CASE("lora_medium: half duplex, a receiver that starts transmitting mid-frame loses it",
          "[radio_sim][lora][medium]") {
    air a;
    node& sender = a.add("A", {-100, 0, 0}, std::nullopt);
    node& b = a.add("B", {0, 0, 0});
    node& c = a.add("C", {10, 0, 0});  // hears B 21 dB above A: B's frame is captured there
    const lora_frame fa = frame20(1);
    a.send_at(0, sender, fa);
    a.send_at(airtime(fa) / 2, b, frame20(2));
    a.run();
    CHECK(b.got.empty());
    CHECK(a.lost(b, "deaf_while_transmitting") == 1);
    REQUIRE(c.got.size() == 1);
    CHECK(c.got[0].sender == "B");
    CHECK(a.lost(c, "collision") == 1);  // A's frame, overpowered by B's at C
}

TEST_CASE("lora_medium: half duplex, a frame arriving while the receiver transmits is lost",
          "[radio_sim][lora][medium]") {
    air a;
    node& sender = a.add("A", {100, 0, 0}, std::nullopt);
    node& b = a.add("B", {0, 0, 0});
    const lora_frame own = frame20(1);
    const lora_frame fa = frame_of(std::vector<std::uint8_t>(60, 2));  // lasts beyond B's frame
    a.send_at(0, b, own);
    a.send_at(10'000, sender, fa);
    REQUIRE(10'000 + airtime(fa) > airtime(own));
    a.run();
    CHECK(b.got.empty());
    CHECK(a.lost(b, "deaf_while_transmitting") == 1);
    CHECK(a.m.counters().other_losses == 1);

    SECTION("once its own frame has ended it receives again") {
        a.send_at(1'000'000, sender, frame20(3));
        a.run();
        REQUIRE(b.got.size() == 1);
        CHECK(b.got[0].start_us == 1'000'000);
    }
    SECTION("one frame at a time") {
        a.w.schedule_at(2'000'000, [&] {
            a.m.transmit(b.id, frame20(4));
            CHECK_THROWS_AS(a.m.transmit(b.id, frame20(5)), std::logic_error);
        });
        a.run();
        CHECK(a.m.counters().transmissions == 3);
    }
}

TEST_CASE("lora_medium: a frame that began while the receiver transmitted still interferes afterwards",
          "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {-100, 0, 0}, std::nullopt);  // as strong as X at B
    const lora_frame own = frame20(1);
    const lora_frame fx = frame_of(std::vector<std::uint8_t>(100, 2));
    const time_us own_end = airtime(own);
    a.send_at(0, b, own);
    a.send_at(own_end / 2, x, fx);      // starts while B transmits, ends long after
    a.send_at(own_end + 1000, y, frame20(3));  // B listens again; X is still on the air
    REQUIRE(own_end / 2 + airtime(fx) > own_end + 1000 + 3 * 1024);
    a.run();
    CHECK(b.got.empty());
    CHECK(a.lost(b, "deaf_while_transmitting") == 1);  // X's frame
    CHECK(a.lost(b, "collision") == 1);                // Y's frame, drowned by X's
}

TEST_CASE("lora_medium: changing what a radio listens for mid-frame loses the frame (receiver_off)",
          "[radio_sim][lora][medium]") {
    air a;
    node& sender = a.add("A", {100, 0, 0}, std::nullopt);
    node& b = a.add("B", {0, 0, 0});
    const lora_frame f = frame20(1);
    const time_us mid = airtime(f) / 2;
    a.send_at(0, sender, f);

    SECTION("another SF") {
        a.listen_at(mid, b, listening(8));
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "receiver_off") == 1);
    }
    SECTION("stop listening") {
        a.listen_at(mid, b, std::nullopt);
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "receiver_off") == 1);
    }
    SECTION("away and back before the frame ends") {
        a.listen_at(mid, b, listening(7, 869000000));
        a.listen_at(mid + 1000, b, listening());
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "receiver_off") == 1);
    }
    SECTION("the same settings again change nothing") {
        a.listen_at(mid, b, listening());
        a.run();
        CHECK(b.got.size() == 1);
        CHECK(a.lost_anywhere(b) == 0);
    }
    SECTION("detach drops what the radio was receiving") {
        a.w.schedule_at(mid, [&] { a.m.detach(b.id); });
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "receiver_off") == 1);
        CHECK_THROWS_AS(a.m.listen(b.id, listening()), std::out_of_range);
    }
    CHECK(a.m.counters().transmissions == 1);
}

TEST_CASE("lora_medium: a frame already on the air when a radio starts listening still interferes",
          "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0}, std::nullopt);
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {-100, 0, 0}, std::nullopt);
    const lora_frame fx = frame_of(std::vector<std::uint8_t>(100, 1));
    a.send_at(0, x, fx);
    SECTION("from not listening") {
        a.listen_at(10'000, b, listening());
    }
    SECTION("from another SF") {
        a.m.listen(b.id, listening(9));
        a.listen_at(10'000, b, listening());
    }
    a.send_at(20'000, y, frame20(2));  // overlaps X at equal power: lost
    a.send_at(airtime(fx) + 1000, y, frame20(3));  // after X: received
    a.run();
    REQUIRE(b.got.size() == 1);
    CHECK(bytes_of(b.got[0]) == std::vector<std::uint8_t>(20, 3));
    CHECK(a.lost(b, "collision") == 1);
    CHECK(a.lost_anywhere(b) == 1);  // X's frame began before B listened: not B's to lose
}

// --- collisions -----------------------------------------------------------------------------

TEST_CASE("lora_medium: simple model, any overlap destroys both frames", "[radio_sim][lora][medium]") {
    lora_model simple;
    simple.capture = false;
    air a(simple);
    node& b = a.add("B", {0, 0, 0});
    node& strong = a.add("S", {10, 0, 0}, std::nullopt);
    node& weak = a.add("W", {-100, 0, 0}, std::nullopt);
    const lora_frame f = frame20(1);
    const time_us t = airtime(f);

    SECTION("overlap by a microsecond") {
        a.send_at(0, weak, f);
        a.send_at(t - 1, strong, f);
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "collision") == 2);
        CHECK(a.m.counters().collisions == 2);
    }
    SECTION("even within the preamble-lock grace") {
        a.send_at(0, weak, f);
        a.send_at(t - 1024, strong, f);
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "collision") == 2);
    }
    SECTION("back to back is no overlap") {
        a.send_at(0, weak, f);
        a.send_at(t, strong, f);
        a.run();
        CHECK(b.got.size() == 2);
        CHECK(a.m.counters().collisions == 0);
    }
    SECTION("three frames, a chain of overlaps") {
        node& third = a.add("T", {0, 100, 0}, std::nullopt);
        a.send_at(0, weak, f);
        a.send_at(t / 2, strong, f);
        a.send_at(t + t / 4, third, f);  // overlaps only the second
        a.send_at(3 * t, weak, f);       // clear
        a.run();
        REQUIRE(b.got.size() == 1);
        CHECK(b.got[0].start_us == 3 * t);
        CHECK(a.lost(b, "collision") == 3);
    }
}

TEST_CASE("lora_medium: capture, 6 dB or more stronger survives whatever the order", "[radio_sim][lora][medium]") {
    air a;  // lora_model{}: capture on
    node& b = a.add("B", {0, 0, 0});
    node& strong = a.add("S", {10, 0, 0}, std::nullopt);  // 20.8 dB above W at B
    node& weak = a.add("W", {-100, 0, 0}, std::nullopt);
    const lora_frame f = frame20(1);
    const time_us t = airtime(f);
    SECTION("strong first") {
        a.send_at(0, strong, frame20(1));
        a.send_at(t / 2, weak, frame20(2));
    }
    SECTION("weak first") {
        a.send_at(0, weak, frame20(2));
        a.send_at(t / 2, strong, frame20(1));
    }
    SECTION("weak first, strong starts within the weak frame's first symbols") {
        a.send_at(0, weak, frame20(2));
        a.send_at(100, strong, frame20(1));
    }
    a.run();
    REQUIRE(b.got.size() == 1);
    CHECK(b.got[0].sender == "S");
    CHECK(b.got[0].rssi_dbm == Approx(rssi_10m).margin(table_margin));
    CHECK(bytes_of(b.got[0]) == std::vector<std::uint8_t>(20, 1));
    CHECK(a.lost(b, "collision") == 1);
    CHECK(a.m.counters().collisions == 1);
}

TEST_CASE("lora_medium: capture, less than 6 dB apart both are lost", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {40, 0, 0}, std::nullopt);  // -113.41 dBm at 14 dBm
    node& y = a.add("Y", {0, -40, 0}, std::nullopt);
    const time_us t = airtime(frame20(1));
    SECTION("5 dB") {
        a.send_at(0, x, frame20(1, 7, 14.0));
        a.send_at(t / 2, y, frame20(2, 7, 9.0));
    }
    SECTION("5.99 dB, stronger second") {
        a.send_at(0, y, frame20(2, 7, 8.01));
        a.send_at(t / 2, x, frame20(1, 7, 14.0));
    }
    SECTION("equal") {
        a.send_at(0, x, frame20(1));
        a.send_at(10, y, frame20(2));
    }
    a.run();
    CHECK(b.got.empty());
    CHECK(a.lost(b, "collision") == 2);
}

TEST_CASE("lora_medium: capture, exactly 6 dB stronger survives", "[radio_sim][lora][medium]") {
    lora_model model;
    model.reference_path_loss_db = 128.0;  // at d0 = 40 m the loss is exactly 128 dB
    air a(model);
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {40, 0, 0}, std::nullopt);   // 14 dBm: -114 dBm at B
    node& y = a.add("Y", {-40, 0, 0}, std::nullopt);  //  8 dBm: -120 dBm at B
    const time_us t = airtime(frame20(1));
    SECTION("stronger first") {
        a.send_at(0, x, frame20(1, 7, 14.0));
        a.send_at(t / 2, y, frame20(2, 7, 8.0));
    }
    SECTION("stronger second") {
        a.send_at(0, y, frame20(2, 7, 8.0));
        a.send_at(t / 2, x, frame20(1, 7, 14.0));
    }
    a.run();
    REQUIRE(b.got.size() == 1);
    CHECK(b.got[0].sender == "X");
    CHECK(b.got[0].rssi_dbm == -114.0);
    CHECK(a.lost(b, "collision") == 1);
    CHECK(a.lines({"\"event\": \"lora_lost\"", "\"from\": \"Y\"", "\"rssi_dbm\": -120"}) == 1);
}

TEST_CASE("lora_medium: preamble lock, an older frame ending within 3 symbols of the new one's start",
          "[radio_sim][lora][medium]") {
    const int sf = GENERATE(7, 12);
    CAPTURE(sf);
    air a;
    node& b = a.add("B", {0, 0, 0}, listening(sf));
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {-100, 0, 0}, std::nullopt);  // equal power: any collision kills both
    const lora_frame fx = frame20(1, sf);
    const time_us t = airtime(fx);
    const time_us tsym = symbol_time_us(sf, 125000);
    const time_us start = 1000;
    a.send_at(start, x, fx);
    SECTION("ends exactly 3 symbols after: neither is destroyed") {
        a.send_at(start + t - 3 * tsym, y, frame20(2, sf));
        a.run();
        CHECK(b.got.size() == 2);
        CHECK(a.lost_anywhere(b) == 0);
    }
    SECTION("ends within 1 symbol: neither is destroyed") {
        a.send_at(start + t - tsym, y, frame20(2, sf));
        a.run();
        CHECK(b.got.size() == 2);
    }
    SECTION("ends 1 us later: both are lost") {
        a.send_at(start + t - 3 * tsym - 1, y, frame20(2, sf));
        a.run();
        CHECK(b.got.empty());
        CHECK(a.lost(b, "collision") == 2);
    }
    SECTION("a stronger late frame is captured, the older one still lost") {
        a.send_at(start + t - 3 * tsym - 1, y, frame20(2, sf, 21.0));  // 7 dB stronger
        a.run();
        REQUIRE(b.got.size() == 1);
        CHECK(b.got[0].sender == "Y");
        CHECK(a.lost(b, "collision") == 1);
    }
}

TEST_CASE("lora_medium: three radios, one strong frame between two weak ones", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& w1 = a.add("W1", {100, 0, 0}, std::nullopt);
    node& w2 = a.add("W2", {-100, 0, 0}, std::nullopt);
    node& s = a.add("S", {10, 0, 0}, std::nullopt);
    const time_us t = airtime(frame20(1));
    a.send_at(0, w1, frame20(1));
    a.send_at(t / 3, s, frame20(2));
    a.send_at(2 * t / 3, w2, frame20(3));
    a.run();
    REQUIRE(b.got.size() == 1);
    CHECK(b.got[0].sender == "S");
    CHECK(a.lost(b, "collision") == 2);
    CHECK(a.m.counters().receptions == 1);
    CHECK(a.m.counters().collisions == 2);
}

TEST_CASE("lora_medium: different SFs are orthogonal unless inter-SF interference is on",
          "[radio_sim][lora][medium]") {
    const bool inter_sf = GENERATE(false, true);
    lora_model model;
    model.inter_sf_interference = inter_sf;
    CAPTURE(inter_sf);
    air a(model);
    node& b7 = a.add("B7", {0, 0, 0}, listening(7));
    node& wanted = a.add("A", {100, 0, 0}, std::nullopt);      // -121.687 dBm at B7
    node& interferer = a.add("I", {10, 0, 0}, std::nullopt);  // -100.887 dBm at 14 dBm
    const time_us t = airtime(frame20(1));

    SECTION("SF12 interferer 25 dB above an SF7 frame (Goursaud SF7 vs SF12: -20 dB)") {
        const double power = 14.0 + 25.0 - (rssi_10m - rssi_100m);
        a.send_at(0, wanted, frame20(1, 7));
        a.send_at(t / 2, interferer, frame20(2, 12, power));
        a.run();
        CHECK(b7.got.size() == (inter_sf ? 0U : 1U));
        CHECK(a.lost(b7, "collision") == (inter_sf ? 1U : 0U));
    }
    SECTION("SF12 interferer first, 25 dB above") {
        const double power = 14.0 + 25.0 - (rssi_10m - rssi_100m);
        a.send_at(0, interferer, frame20(2, 12, power));
        a.send_at(10'000, wanted, frame20(1, 7));
        a.run();
        CHECK(b7.got.size() == (inter_sf ? 0U : 1U));
    }
    SECTION("SF12 interferer 15 dB above: the SF7 frame survives either way") {
        const double power = 14.0 + 15.0 - (rssi_10m - rssi_100m);
        a.send_at(0, wanted, frame20(1, 7));
        a.send_at(t / 2, interferer, frame20(2, 12, power));
        a.run();
        CHECK(b7.got.size() == 1);
        CHECK(a.lost_anywhere(b7) == 0);
    }
    SECTION("SF12 wanted, SF7 interferer: -36 dB; 40 dB above kills, 30 dB does not") {
        node& b12 = a.add("B12", {0, 0, 0}, listening(12));
        const double kill = 14.0 + 40.0 - (rssi_10m - rssi_100m);
        const double spare = 14.0 + 30.0 - (rssi_10m - rssi_100m);
        a.send_at(0, wanted, frame20(1, 12));
        a.send_at(100'000, interferer, frame20(2, 7, kill));
        a.send_at(3'000'000, wanted, frame20(3, 12));
        a.send_at(3'100'000, interferer, frame20(4, 7, spare));
        a.run();
        REQUIRE(b12.got.size() == (inter_sf ? 1U : 2U));
        CHECK(bytes_of(b12.got.back()) == std::vector<std::uint8_t>(20, 3));
        // The strong SF7 frames reach B7 whatever happens to the SF12 ones.
        CHECK(b7.got.size() == 2);
    }
}

TEST_CASE("lora_medium: frames a radio does not listen for are not reported lost there",
          "[radio_sim][lora][medium]") {
    lora_model simple;
    simple.capture = false;
    air a(simple);
    node& b7 = a.add("B7", {0, 0, 0}, listening(7));
    node& b12 = a.add("B12", {0, 1, 0}, listening(12));
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {-100, 0, 0}, std::nullopt);
    a.send_at(0, x, frame20(1, 12));
    a.send_at(1000, y, frame20(2, 12));  // the two SF12 frames collide at both receivers
    a.run();
    CHECK(b12.got.empty());
    CHECK(a.lost(b12, "collision") == 2);
    CHECK(a.lost_anywhere(b7) == 0);
    CHECK(a.m.counters().collisions == 2);
}

TEST_CASE("lora_medium: a frame loses with its first reason", "[radio_sim][lora][medium]") {
    lora_model simple;
    simple.capture = false;
    air a(simple);
    auto inverted = listening();
    inverted.iq_inverted = true;
    node& gw = a.add("GW", {0, 0, 0}, inverted);
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {-100, 0, 0}, std::nullopt);
    lora_frame up = frame20(1);
    up.iq_inverted = true;
    a.send_at(0, x, frame20(2));  // normal IQ: the gateway cannot demodulate it...
    a.send_at(1000, y, up);       // ...but it still destroys this one
    a.run();
    CHECK(gw.got.empty());
    CHECK(a.lost(gw, "wrong_iq") == 1);
    CHECK(a.lost(gw, "collision") == 1);
    CHECK(a.m.counters().collisions == 1);
    CHECK(a.m.counters().other_losses == 1);
}

// --- shadowing, RSSI, sensing -------------------------------------------------------------------

namespace {

std::vector<double> shadowed_rssi(std::uint64_t seed, double sigma_db) {
    lora_model model;
    model.shadowing_sigma_db = sigma_db;
    air a(model, seed);
    node& b = a.add("B", {0, 0, 0}, listening(12));
    node& c = a.add("C", {40, 40, 0}, listening(12));  // also 40 m from X
    node& x = a.add("X", {40, 0, 0}, std::nullopt);
    for (int i = 0; i < 20; ++i) {
        a.send_at(i * 2'000'000, x, frame20(static_cast<std::uint8_t>(i), 12));
    }
    a.run();
    std::vector<double> out;
    for (const auto& rx : b.got) {
        out.push_back(rx.rssi_dbm);
    }
    for (const auto& rx : c.got) {
        out.push_back(rx.rssi_dbm);
    }
    return out;
}

}  // namespace

TEST_CASE("lora_medium: shadowing is reproducible with the world's seed", "[radio_sim][lora][medium]") {
    const auto none = shadowed_rssi(1, 0.0);
    REQUIRE(none.size() == 40);
    for (const double r : none) {
        CHECK(r == Approx(rssi_40m).margin(table_margin));
    }
    const auto first = shadowed_rssi(1, 3.57);
    const auto again = shadowed_rssi(1, 3.57);
    const auto other = shadowed_rssi(2, 3.57);
    REQUIRE(first.size() == 40);  // 40 m at SF12: 19.8 dB of margin, 5.5 sigma
    CHECK(first == again);
    REQUIRE(other.size() == 40);
    CHECK(first != other);
    double sum = 0;
    double sum_sq = 0;
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < first.size(); ++i) {
        const double dev = first[i] - rssi_40m;
        sum += dev;
        sum_sq += dev * dev;
        distinct += std::abs(dev) > 1e-6 ? 1 : 0;
        // B and C are both 40 m away: each pair draws its own value.
        if (i < 20) {
            CHECK(first[i] != first[i + 20]);
        }
    }
    CHECK(distinct == first.size());
    const double mean = sum / 40.0;
    const double sd = std::sqrt(sum_sq / 40.0 - mean * mean);
    CHECK(std::abs(mean) < 3 * 3.57 / std::sqrt(40.0));
    CHECK(sd > 3.57 * 0.5);
    CHECK(sd < 3.57 * 1.6);
}

TEST_CASE("lora_medium: channel_rssi_dbm is noise plus what is on the air", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {10, 0, 0}, std::nullopt);
    const double noise = noise_floor_dbm(125000);
    CHECK(noise == Approx(-117.031).margin(1e-3));
    CHECK(a.m.channel_rssi_dbm(b.id, f868, 125000) == Approx(noise));
    const lora_frame fx = frame20(1);
    const time_us t = airtime(fx);
    a.send_at(1000, x, fx);
    a.send_at(1000 + t / 2, y, frame20(2));
    a.w.schedule_at(1000 + t / 4, [&] {
        CHECK(a.m.channel_rssi_dbm(b.id, f868, 125000) == Approx(sum_dbm({noise, rssi_100m})).margin(1e-3));
        // The sender does not count its own frame.
        CHECK(a.m.channel_rssi_dbm(x.id, f868, 125000) == Approx(noise));
        // Another channel is quiet; 20 kHz off still overlaps a 125 kHz channel (30 kHz rule).
        CHECK(a.m.channel_rssi_dbm(b.id, 869000000, 125000) == Approx(noise));
        CHECK(a.m.channel_rssi_dbm(b.id, f868 + 20000, 125000) ==
              Approx(sum_dbm({noise, rssi_100m})).margin(1e-3));
        // A wider receiver has more noise.
        CHECK(a.m.channel_rssi_dbm(b.id, 869000000, 500000) == Approx(noise_floor_dbm(500000)));
    });
    a.w.schedule_at(1000 + t * 3 / 4, [&] {
        CHECK(a.m.channel_rssi_dbm(b.id, f868, 125000) ==
              Approx(sum_dbm({noise, rssi_100m, rssi_10m})).margin(1e-3));
    });
    a.run();
    CHECK(a.m.channel_rssi_dbm(b.id, f868, 125000) == Approx(noise));
}

TEST_CASE("lora_medium: carrier sensing keeps the highest RSSI of its window", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& y = a.add("Y", {10, 0, 0}, std::nullopt);
    const double noise = noise_floor_dbm(125000);
    const lora_frame fx = frame20(1);
    const time_us t = airtime(fx);
    lora_medium::sense_id before = 0;
    lora_medium::sense_id during = 0;
    lora_medium::sense_id other_channel = 0;
    lora_medium::sense_id after = 0;
    double seen_before = 0;
    double seen_during = 0;
    double seen_other = 0;
    double seen_after = 0;
    a.w.schedule_at(0, [&] {
        before = a.m.start_sensing(b.id, f868, 125000);
        other_channel = a.m.start_sensing(b.id, 869000000, 125000);
    });
    a.send_at(1000, x, fx);
    a.w.schedule_at(2000, [&] { during = a.m.start_sensing(b.id, f868, 125000); });
    a.send_at(10 * t, y, frame20(2));  // the strong one, after X ended
    a.w.schedule_at(9 * t, [&] {
        seen_during = a.m.stop_sensing(during);  // saw X only
        after = a.m.start_sensing(b.id, f868, 125000);
    });
    a.w.schedule_at(9 * t + 10, [&] { seen_after = a.m.stop_sensing(after); });
    a.w.schedule_at(20 * t, [&] {
        seen_before = a.m.stop_sensing(before);
        seen_other = a.m.stop_sensing(other_channel);
    });
    a.run();
    CHECK(seen_during == Approx(sum_dbm({noise, rssi_100m})).margin(1e-3));  // on the air at its start
    CHECK(seen_after == Approx(noise));
    CHECK(seen_before == Approx(sum_dbm({noise, rssi_10m})).margin(1e-3));
    CHECK(seen_other == Approx(noise));
    // An unknown (or already stopped) window reads as the noise floor.
    CHECK(a.m.stop_sensing(before) == Approx(noise));
}

// --- event log and counters ------------------------------------------------------------------

TEST_CASE("lora_medium: the event log records lora_tx, lora_rx and lora_lost", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    const lora_frame f = frame_of({0x01, 0x02, 0xab, 0xff});
    const time_us t = airtime(f);
    a.send_at(1000, x, f);
    a.run();
    REQUIRE(b.got.size() == 1);

    const auto lines = a.w.logged_lines();
    REQUIRE(lines.size() == 2);
    const std::string& tx = lines[0];
    CAPTURE(tx);
    CHECK(tx.find("\"t_us\": 1000,") != std::string::npos);
    CHECK(tx.find("\"event\": \"lora_tx\"") != std::string::npos);
    CHECK(tx.find("\"device\": \"X\"") != std::string::npos);
    CHECK(tx.find("\"frame\": 1,") != std::string::npos);
    CHECK(tx.find("\"frequency_hz\": 868000000") != std::string::npos);
    CHECK(tx.find("\"sf\": 7,") != std::string::npos);
    CHECK(tx.find("\"bandwidth_hz\": 125000") != std::string::npos);
    CHECK(tx.find("\"airtime_us\": " + std::to_string(t)) != std::string::npos);
    CHECK(tx.find("\"size\": 4") != std::string::npos);
    CHECK(tx.find("\"payload\": \"0102abff\"") != std::string::npos);

    const std::string& rx = lines[1];
    CAPTURE(rx);
    CHECK(rx.find("\"t_us\": " + std::to_string(1000 + t) + ",") != std::string::npos);
    CHECK(rx.find("\"event\": \"lora_rx\"") != std::string::npos);
    CHECK(rx.find("\"device\": \"B\"") != std::string::npos);
    CHECK(rx.find("\"from\": \"X\"") != std::string::npos);
    CHECK(rx.find("\"frame\": 1,") != std::string::npos);
    CHECK(rx.find("\"rssi_dbm\": -121.68") != std::string::npos);
    CHECK(rx.find("\"snr_db\": ") != std::string::npos);
}

TEST_CASE("lora_medium: every loss reason is logged and counted", "[radio_sim][lora][medium]") {
    air a;
    auto inverted = listening();
    inverted.iq_inverted = true;
    auto private_net = listening();
    private_net.sync_word = 0x12;
    node& ok = a.add("OK", {0, 0, 0});
    node& far = a.add("FAR", {300, 0, 0});            // below sensitivity at SF7
    node& iq = a.add("IQ", {0, 10, 0}, inverted);      // wrong IQ
    node& sync = a.add("SYNC", {0, -10, 0}, private_net);  // wrong sync word
    node& talker = a.add("TALK", {-10, 0, 0});         // transmits mid-frame
    node& off = a.add("OFF", {0, 0, 10});              // stops listening mid-frame
    node& x = a.add("X", {0, 0, 0.5}, std::nullopt);
    node& y = a.add("Y", {0, 0, -0.5}, std::nullopt);  // collides with X's second frame
    const lora_frame f = frame20(1);
    const time_us t = airtime(f);
    a.send_at(0, x, f);
    a.listen_at(t / 4, off, std::nullopt);
    a.send_at(t / 2, talker, frame20(2));  // 21 dB weaker than X's at OK: lost there
    a.send_at(2 * t, x, f);
    a.send_at(2 * t + 10, y, f);
    a.run();
    for (const char* reason : {"collision", "below_sensitivity", "wrong_iq", "wrong_sync_word",
                               "deaf_while_transmitting", "receiver_off"}) {
        CAPTURE(reason);
        CHECK(a.lines({"\"event\": \"lora_lost\"", std::string("\"reason\": \"") + reason + "\""}) >= 1);
    }
    CHECK(a.lost(far, "below_sensitivity") >= 1);
    CHECK(a.lost(iq, "wrong_iq") >= 1);
    CHECK(a.lost(sync, "wrong_sync_word") >= 1);
    CHECK(a.lost(talker, "deaf_while_transmitting") == 1);
    CHECK(a.lost(off, "receiver_off") == 1);
    CHECK(a.lost(talker, "collision") == 2);  // X's second frame and Y's
    CHECK(a.lost(ok, "collision") == 3);      // TALK's, X's second and Y's
    REQUIRE(ok.got.size() == 1);
    CHECK(ok.got[0].start_us == 0);
    CHECK(far.got.empty());
    CHECK(iq.got.empty());
    CHECK(sync.got.empty());
    CHECK(talker.got.empty());
    CHECK(off.got.empty());
    const auto c = a.m.counters();
    CHECK(c.transmissions == 4);
    CHECK(c.receptions == 1);
    CHECK(c.collisions == 5);

    CHECK(std::string(usocket::sim::loss_name(lora_loss::collision)) == "collision");
    CHECK(std::string(usocket::sim::loss_name(lora_loss::below_sensitivity)) == "below_sensitivity");
    CHECK(std::string(usocket::sim::loss_name(lora_loss::wrong_iq)) == "wrong_iq");
    CHECK(std::string(usocket::sim::loss_name(lora_loss::wrong_sync_word)) == "wrong_sync_word");
    CHECK(std::string(usocket::sim::loss_name(lora_loss::deaf_while_transmitting)) == "deaf_while_transmitting");
    CHECK(std::string(usocket::sim::loss_name(lora_loss::receiver_off)) == "receiver_off");
}

TEST_CASE("lora_medium: counters add up", "[radio_sim][lora][medium]") {
    air a;
    node& b = a.add("B", {0, 0, 0});
    node& c = a.add("C", {5, 0, 0});
    node& x = a.add("X", {100, 0, 0}, std::nullopt);
    node& far = a.add("FAR", {300, 0, 0}, std::nullopt);
    a.send_at(0, x, frame20(1));            // B and C receive
    a.send_at(1'000'000, far, frame20(2));  // below sensitivity at both
    a.send_at(2'000'000, b, frame20(3));    // C receives; X does not listen
    a.run();
    const auto n = a.m.counters();
    CHECK(n.transmissions == 3);
    CHECK(n.receptions == 3);
    CHECK(n.below_sensitivity == 2);
    CHECK(n.collisions == 0);
    CHECK(n.other_losses == 0);
    CHECK(b.got.size() == 1);
    CHECK(c.got.size() == 2);
}
