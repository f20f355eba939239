// tests/cpp/sim/test_lorawan_network.cpp: gateways and the embedded network server, driven
// from world events in virtual time by test devices that build real LoRaWAN 1.0.2 frames with
// lorawan_frame, transmit them on the medium (normal IQ) and listen in RX1/RX2 (inverted IQ).
#include "usocket/sim/lorawan_network.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_region.hpp"
#include "usocket/sim/world.hpp"

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

namespace sim = usocket::sim;
namespace lw = usocket::sim::lorawan;
using sim::lora_medium;
using sim::lorawan_device_ref;
using sim::lorawan_network;
using sim::lorawan_network_options;
using sim::position_m;
using sim::region_id;
using sim::time_us;

namespace {

constexpr time_us second = 1'000'000;
constexpr std::uint64_t app_eui = 0x70B3D57ED0000001ULL;
constexpr std::uint64_t eui_a = 0x70B3D549000000A1ULL;
constexpr std::uint64_t eui_b = 0x70B3D549000000B2ULL;
constexpr lw::aes_key app_key_a{0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
constexpr lw::aes_key app_key_b{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10};
constexpr lw::aes_key wrong_key{0xFF, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10};
constexpr std::uint32_t addr_a = 0x260111A1;
constexpr std::uint32_t addr_b = 0x260111B2;
const lw::session_keys keys_a{{0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6, 0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3},
                              {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7, 0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88}};
const lw::session_keys keys_b{{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F},
                              {0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F}};

constexpr std::int64_t f868_1 = 868100000;
constexpr std::int64_t f868_3 = 868300000;
constexpr std::int64_t rx2_eu = 869525000;

/// Where a test device listens after an uplink.
struct listen_plan {
    time_us rx1_delay_us = second;
    std::int64_t rx1_frequency_hz = f868_1;
    int rx1_dr = 5;
    std::int64_t rx2_frequency_hz = rx2_eu;
    int rx2_dr = 0;
};

listen_plan eu_data(std::int64_t f = f868_1, int dr = 5, time_us delay = second) {
    return {delay, f, dr, rx2_eu, 0};
}
listen_plan eu_join(std::int64_t f = f868_1, int dr = 5) { return {5 * second, f, dr, rx2_eu, 0}; }

struct heard_frame {
    time_us start_us = 0;
    time_us end_us = 0;
    std::int64_t frequency_hz = 0;
    int spreading_factor = 0;
    std::int64_t bandwidth_hz = 0;
    lw::bytes phy;
};

/// A class A device made of lorawan_frame calls: it sends a frame, then opens RX1 and, if
/// nothing came, RX2, at the plan's frequencies and DRs with inverted IQ.
class test_device {
public:
    test_device(sim::world& w, lora_medium& m, region_id reg, std::string name, position_m where)
        : w_(w), m_(m), r_(sim::region(reg)) {
        id_ = m_.attach(std::move(name), where, [this](const sim::lora_reception& rx) {
            heard.push_back({rx.start_us, rx.end_us, rx.frequency_hz, rx.spreading_factor, rx.bandwidth_hz,
                             lw::bytes(rx.payload->begin(), rx.payload->end())});
        });
    }

    void send_at(time_us at, lw::bytes phy, std::int64_t frequency_hz, int dr, listen_plan plan,
                 double power_dbm = 14.0) {
        w_.schedule_at(at, [this, phy = std::move(phy), frequency_hz, dr, plan, power_dbm] {
            const std::uint64_t gen = ++generation_;
            m_.listen(id_, std::nullopt);
            sim::lora_frame f;
            f.frequency_hz = frequency_hz;
            f.modulation = *sim::lorawan_modulation(r_, dr, true);
            f.tx_power_dbm = power_dbm;
            f.payload = phy;
            m_.transmit(id_, f, [this, plan, gen] {
                const time_us end = w_.now_us();
                ends.push_back(end);
                const std::size_t before = heard.size();
                m_.listen(id_, settings(plan.rx1_frequency_hz, plan.rx1_dr));
                const time_us rx2_at = end + plan.rx1_delay_us + second;
                w_.schedule_at(rx2_at - 50'000, [this, plan, gen, before] {
                    if (gen != generation_) {
                        return;
                    }
                    if (heard.size() > before) {
                        m_.listen(id_, std::nullopt);  // RX1 got a frame: no RX2
                    } else {
                        m_.listen(id_, settings(plan.rx2_frequency_hz, plan.rx2_dr));
                    }
                });
                w_.schedule_at(rx2_at + 3 * second, [this, gen] {
                    if (gen == generation_) {
                        m_.listen(id_, std::nullopt);
                    }
                });
            });
        });
    }

    /// Class C: listen on RX2 from `at` on.
    void listen_continuously_at(time_us at, std::int64_t frequency_hz, int dr) {
        w_.schedule_at(at, [this, frequency_hz, dr] {
            ++generation_;
            m_.listen(id_, settings(frequency_hz, dr));
        });
    }

    sim::lora_listen_settings settings(std::int64_t frequency_hz, int dr) const {
        const auto mod = *sim::lorawan_modulation(r_, dr, false);
        return {frequency_hz, mod.spreading_factor, mod.bandwidth_hz, true, 0x34};
    }

    std::vector<heard_frame> heard;
    std::vector<time_us> ends;

private:
    sim::world& w_;
    lora_medium& m_;
    const sim::lorawan_region& r_;
    lora_medium::radio_id id_ = 0;
    std::uint64_t generation_ = 0;
};

/// One world with a medium and a network server.
struct fixture {
    explicit fixture(region_id reg = region_id::eu868, lorawan_network_options o = {})
        : w(sim::world_options{sim::time_mode::virtual_time, 7}), m(w), ns(m, reg, std::move(o)), region(reg) {
        w.keep_log_in_memory(true);
    }

    test_device& device(const std::string& name, position_m where) {
        devices.push_back(std::make_unique<test_device>(w, m, region, name, where));
        return *devices.back();
    }

    void run() { w.run(std::nullopt); }

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

    sim::world w;
    lora_medium m;
    lorawan_network ns;
    region_id region;
    std::vector<std::unique_ptr<test_device>> devices;
};

lw::bytes join_request(std::uint64_t dev_eui, std::uint16_t nonce, const lw::aes_key& key) {
    return lw::encode_join_request({app_eui, dev_eui, nonce}, key);
}

lw::bytes uplink(std::uint32_t dev_addr, const lw::session_keys& keys, std::uint32_t fcnt,
                 std::optional<std::uint8_t> port, lw::bytes payload, bool confirmed = false, lw::bytes fopts = {},
                 bool ack = false) {
    lw::data_frame f;
    f.type = confirmed ? lw::mtype::confirmed_data_up : lw::mtype::unconfirmed_data_up;
    f.dev_addr = dev_addr;
    f.fcnt = fcnt;
    f.fport = port;
    f.frm_payload = std::move(payload);
    f.fopts = std::move(fopts);
    f.fctrl.ack = ack;
    return lw::encode_data_frame(f, keys);
}

lw::data_frame downlink_of(const heard_frame& h, const lw::session_keys& keys, std::uint32_t fcnt_ref = 0) {
    auto decoded = lw::decode_data_frame(h.phy, keys, fcnt_ref);
    REQUIRE(decoded.ok());
    REQUIRE(lw::direction_of(decoded->type) == lw::direction::downlink);
    return std::move(decoded).value();
}

lw::bytes text(std::string_view s) { return lw::bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("a gateway listens on every uplink channel at every uplink SF", "[network]") {
    SECTION("EU868: three default channels and the five CFList ones, DR0-DR6 (DR7 is FSK, not modelled)") {
        fixture f;
        const auto l = f.ns.gateway_listen_settings();
        CHECK(l.size() == 8 * 7);
        for (const auto& s : l) {
            CHECK_FALSE(s.iq_inverted);
            CHECK(s.sync_word == 0x34);
        }
    }
    SECTION("US915: 64 x 125 kHz at SF10-SF7 and 8 x 500 kHz at SF8") {
        fixture f(region_id::us915);
        CHECK(f.ns.gateway_listen_settings().size() == 64 * 4 + 8);
    }
    SECTION("AU915: 64 x 125 kHz at SF12-SF7 and 8 x 500 kHz at SF8") {
        fixture f(region_id::au915);
        CHECK(f.ns.gateway_listen_settings().size() == 64 * 6 + 8);
    }
    SECTION("options are checked") {
        sim::world w;
        lora_medium m(w);
        lorawan_network_options o;
        o.net_id = 0x1000000;
        CHECK_THROWS_AS(lorawan_network(m, region_id::eu868, o), std::invalid_argument);
        o.net_id = 0x13;
        o.dedup_window_us = second;
        CHECK_THROWS_AS(lorawan_network(m, region_id::eu868, o), std::invalid_argument);
        // fuzz_network_uplink findings: CFList frequencies are checked at construction.
        o.dedup_window_us = 0;
        for (const std::int64_t bad : {std::int64_t{867100050}, std::int64_t{1} << 62, std::int64_t{-868100000},
                                       std::int64_t{915000000}}) {
            o.cf_list_hz = std::vector<std::int64_t>{bad};
            CHECK_THROWS_AS(lorawan_network(m, region_id::eu868, o), std::invalid_argument);
        }
        o.cf_list_hz = std::vector<std::int64_t>{867100000, 0};
        CHECK_NOTHROW(lorawan_network(m, region_id::eu868, o));
    }
}

TEST_CASE("OTAA: the join accept comes in RX1 at uplink end + 5 s with keys the device derives", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    REQUIRE(f.ns.offer_otaa(eui_a, app_eui, app_key_a));
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(second, join_request(eui_a, 0x1234, app_key_a), f868_1, 5, eu_join());
    f.run();

    REQUIRE(dev.ends.size() == 1);
    REQUIRE(dev.heard.size() == 1);
    const heard_frame& h = dev.heard[0];
    CHECK(h.start_us == dev.ends[0] + sim::join_accept_delay1_us);
    CHECK(h.frequency_hz == f868_1);
    CHECK(h.spreading_factor == 7);
    REQUIRE(h.phy.size() == lw::join_accept_cf_list_size);
    const auto accept = lw::decode_join_accept(h.phy, app_key_a);
    REQUIRE(accept.ok());
    CHECK(accept->net_id == 0x000013);
    CHECK(lw::nwk_id_of_dev_addr(accept->dev_addr) == 0x13);
    CHECK(accept->rx1_dr_offset == 0);
    CHECK(accept->rx2_data_rate == 0);
    CHECK(accept->rx_delay == 1);
    REQUIRE(accept->cf_list);
    CHECK(lw::cf_list_frequencies_hz(*accept->cf_list) ==
          std::array<std::uint32_t, 5>{867100000, 867300000, 867500000, 867700000, 867900000});

    const auto keys = lw::derive_session_keys(app_key_a, accept->app_nonce, accept->net_id, 0x1234);
    const auto joins = f.ns.joins();
    REQUIRE(joins.size() == 1);
    CHECK(joins[0].dev_eui == eui_a);
    CHECK(joins[0].dev_addr == accept->dev_addr);
    CHECK(joins[0].keys.nwk_s_key == keys.nwk_s_key);
    CHECK(joins[0].keys.app_s_key == keys.app_s_key);
    CHECK(joins[0].window == sim::lorawan_window::rx1);
    CHECK(joins[0].gateways.size() == 1);
    const auto session = f.ns.session(lorawan_device_ref::eui(eui_a));
    REQUIRE(session);
    CHECK(session->dev_addr == accept->dev_addr);
    CHECK(session->fcnt_down == 0);
    CHECK(f.lines({"\"event\": \"lorawan_ns_join_accept\"", "\"dev_eui\": \"70B3D549000000A1\""}) == 1);
    CHECK(f.ns.counters().joins_accepted == 1);

    // The device's first uplink with the derived keys is recorded with its DevEUI.
    dev.send_at(20 * second, uplink(accept->dev_addr, keys, 0, 1, text("hi")), f868_3, 5, eu_data(f868_3));
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 1);
    CHECK(ups[0].dev_eui == eui_a);
    CHECK(ups[0].payload == text("hi"));
}

TEST_CASE("strict mode: a wrong AppKey or an unregistered device gets no join accept", "[network]") {
    lorawan_network_options o;
    o.strict = true;
    fixture f(region_id::eu868, o);
    f.ns.add_gateway("gw1", {0, 0, 0});
    CHECK_FALSE(f.ns.offer_otaa(eui_a, app_eui, wrong_key));  // the script's keys do not count
    f.ns.register_otaa(eui_a, app_eui, app_key_a);
    auto& a = f.device("a", {50, 0, 0});
    auto& b = f.device("b", {0, 50, 0});
    a.send_at(second, join_request(eui_a, 1, wrong_key), f868_1, 5, eu_join());
    b.send_at(second, join_request(eui_b, 1, app_key_b), f868_3, 5, eu_join(f868_3));
    f.run();
    CHECK(a.heard.empty());
    CHECK(b.heard.empty());
    CHECK(f.ns.joins().empty());
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"bad_mic\"", "70B3D549000000A1"}) == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"unknown_device\"", "70B3D549000000B2"}) == 1);
    CHECK(f.ns.counters().bad_mic == 1);
    CHECK(f.ns.counters().unknown_devices == 1);

    // Data with wrong keys from a registered ABP device is dropped.
    f.ns.register_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    CHECK_FALSE(f.ns.offer_abp(addr_b, keys_b.nwk_s_key, keys_b.app_s_key));
    a.send_at(20 * second, uplink(addr_a, keys_b, 0, 1, text("x")), f868_1, 5, eu_data());
    b.send_at(20 * second, uplink(addr_b, keys_b, 0, 1, text("x")), f868_3, 5, eu_data(f868_3));
    f.run();
    CHECK(f.ns.uplinks().empty());
    CHECK(f.ns.counters().bad_mic == 2);
    CHECK(f.ns.counters().unknown_devices == 2);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"unknown_device\"", "260111B2"}) == 1);

    // With the right key the join succeeds.
    a.send_at(40 * second, join_request(eui_a, 2, app_key_a), f868_1, 5, eu_join());
    f.run();
    CHECK(a.heard.size() == 1);
    CHECK(f.ns.joins().size() == 1);
}

TEST_CASE("a reused DevNonce is rejected", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_otaa(eui_a, app_eui, app_key_a);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(second, join_request(eui_a, 0x0042, app_key_a), f868_1, 5, eu_join());
    dev.send_at(20 * second, join_request(eui_a, 0x0042, app_key_a), f868_1, 5, eu_join());
    dev.send_at(40 * second, join_request(eui_a, 0x0043, app_key_a), f868_1, 5, eu_join());
    f.run();
    CHECK(dev.heard.size() == 2);
    const auto joins = f.ns.joins();
    REQUIRE(joins.size() == 2);
    CHECK(joins[0].dev_nonce == 0x42);
    CHECK(joins[1].dev_nonce == 0x43);
    CHECK(joins[0].dev_addr != joins[1].dev_addr);
    CHECK(f.ns.counters().devnonce_reused == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"devnonce_reused\"", "\"dev_nonce\": 66"}) == 1);
}

TEST_CASE("ABP uplinks are recorded with the decrypted payload and the best RSSI", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    std::vector<std::uint32_t> seen;
    f.ns.set_uplink_callback([&](const sim::lorawan_uplink_record& u) { seen.push_back(u.fcnt); });
    auto& dev = f.device("dev", {40, 0, 0});
    dev.send_at(second, uplink(addr_a, keys_a, 7, 2, text("temperature=21")), f868_3, 5, eu_data(f868_3));
    dev.send_at(10 * second, uplink(addr_a, keys_a, 8, std::nullopt, {}), f868_1, 3, eu_data(f868_1, 3));
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 2);
    CHECK_FALSE(ups[0].dev_eui);
    CHECK(ups[0].dev_addr == addr_a);
    CHECK(ups[0].fcnt == 7);
    CHECK(ups[0].port == 2);
    CHECK(ups[0].payload == text("temperature=21"));
    CHECK_FALSE(ups[0].confirmed);
    CHECK(ups[0].dr == 5);
    CHECK(ups[0].frequency_hz == f868_3);
    CHECK(ups[0].rssi_dbm == Approx(14.0 - 127.41).margin(1e-6));  // 40 m: the reference distance
    CHECK(ups[0].snr_db == Approx(ups[0].rssi_dbm - sim::noise_floor_dbm(125000)));
    CHECK(ups[0].t_us == dev.ends[0]);
    REQUIRE(ups[0].gateways.size() == 1);
    CHECK(ups[0].gateways[0].gateway == "gw1");
    CHECK(ups[1].fcnt == 8);
    CHECK_FALSE(ups[1].port);
    CHECK(ups[1].dr == 3);
    CHECK(seen == std::vector<std::uint32_t>{7, 8});
    CHECK(dev.heard.empty());  // nothing to send back
    CHECK(f.lines({"\"event\": \"lorawan_ns_uplink\"", "\"dev_addr\": \"260111A1\"", "\"fcnt\": 7"}) == 1);
}

TEST_CASE("two gateways hearing one uplink give one record with both gateways", "[network]") {
    fixture f;
    f.ns.add_gateway("near", {0, 0, 0});
    f.ns.add_gateway("far", {100, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& dev = f.device("dev", {20, 0, 0});
    dev.send_at(second, uplink(addr_a, keys_a, 1, 1, text("x"), true), f868_1, 5, eu_data());
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 1);
    REQUIRE(ups[0].gateways.size() == 2);
    CHECK(ups[0].gateways[0].gateway == "near");
    CHECK(ups[0].gateways[1].gateway == "far");
    CHECK(ups[0].rssi_dbm == ups[0].gateways[0].rssi_dbm);
    CHECK(ups[0].gateways[0].rssi_dbm > ups[0].gateways[1].rssi_dbm);
    const auto c = f.ns.counters();
    CHECK(c.received_frames == 2);
    CHECK(c.duplicates == 1);
    CHECK(c.unique_frames == 1);
    // One ACK, through the gateway that heard it best.
    REQUIRE(dev.heard.size() == 1);
    const auto downs = f.ns.downlinks();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].gateway == "near");
}

TEST_CASE("replayed frame counters are rejected", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& dev = f.device("dev", {50, 0, 0});
    const auto five = uplink(addr_a, keys_a, 5, 1, text("five"));
    const auto six = uplink(addr_a, keys_a, 6, 1, text("six"));
    dev.send_at(1 * second, five, f868_1, 5, eu_data());
    dev.send_at(10 * second, six, f868_1, 5, eu_data());
    dev.send_at(20 * second, five, f868_1, 5, eu_data());  // an older counter
    dev.send_at(30 * second, six, f868_1, 5, eu_data());   // the same unconfirmed counter
    dev.send_at(40 * second, uplink(addr_a, keys_a, 6 + lw::max_fcnt_gap, 1, text("far")), f868_1, 5, eu_data());
    dev.send_at(50 * second, uplink(addr_a, keys_b, 9, 1, text("bad")), f868_1, 5, eu_data());
    dev.send_at(60 * second, uplink(addr_a, keys_a, 9, 1, text("nine")), f868_1, 5, eu_data());
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 3);
    CHECK(ups[0].fcnt == 5);
    CHECK(ups[1].fcnt == 6);
    CHECK(ups[2].fcnt == 9);
    const auto c = f.ns.counters();
    CHECK(c.replays == 3);
    CHECK(c.bad_mic == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"replay\"", "\"fcnt\": 5", "\"last_fcnt\": 6"}) == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"replay\"", "\"fcnt\": 6", "\"last_fcnt\": 6"}) == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"fcnt_gap\""}) == 1);
}

TEST_CASE("32-bit frame counters are recovered across the 16-bit wrap", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 0xFFFE, 1, text("a")), f868_1, 5, eu_data());
    dev.send_at(10 * second, uplink(addr_a, keys_a, 0x10003, 1, text("b")), f868_1, 5, eu_data());
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 2);
    CHECK(ups[1].fcnt == 0x10003);
    CHECK(f.ns.session(lorawan_device_ref::addr(addr_a))->fcnt_up == 0x10003U);
}

TEST_CASE("a confirmed uplink is acknowledged in RX1; its retransmission again", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& dev = f.device("dev", {50, 0, 0});
    const auto first = uplink(addr_a, keys_a, 1, 1, text("c1"), true);
    dev.send_at(1 * second, first, f868_3, 5, eu_data(f868_3));
    dev.send_at(10 * second, first, f868_3, 5, eu_data(f868_3));  // the ACK was "lost"
    dev.send_at(20 * second, uplink(addr_a, keys_a, 2, 1, text("c2"), true), f868_3, 5, eu_data(f868_3));
    f.run();
    REQUIRE(dev.heard.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        const heard_frame& h = dev.heard[i];
        CHECK(h.start_us == dev.ends[i] + sim::receive_delay1_us);
        CHECK(h.frequency_hz == f868_3);
        CHECK(h.spreading_factor == 7);
        const lw::data_frame d = downlink_of(h, keys_a);  // MIC checked with NwkSKey
        CHECK(d.type == lw::mtype::unconfirmed_data_down);
        CHECK(d.dev_addr == addr_a);
        CHECK(d.fctrl.ack);
        CHECK_FALSE(d.fctrl.f_pending);
        CHECK(d.fcnt == i);  // FCntDown 0, 1, 2
        CHECK_FALSE(d.fport);
        CHECK(h.phy.size() == lw::data_frame_size(0, false, 0));
    }
    CHECK(f.ns.uplinks().size() == 2);
    CHECK(f.ns.counters().retransmissions == 1);
    CHECK(f.lines({"\"event\": \"lorawan_ns_downlink\"", "\"ack\": true", "\"window\": \"rx1\""}) == 3);
}

TEST_CASE("queued downlinks go in RX1, FPending while more wait", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto id1 = f.ns.queue_downlink(lorawan_device_ref::addr(addr_a), 10, text("one"));
    const auto id2 = f.ns.queue_downlink(lorawan_device_ref::addr(addr_a), 11, text("two"));
    CHECK(f.ns.pending_downlinks(lorawan_device_ref::addr(addr_a)) == 2);
    CHECK(f.ns.downlink_state(id1) == sim::lorawan_downlink_state::queued);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u1")), f868_1, 5, eu_data());
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, 1, text("u2")), f868_1, 5, eu_data());
    dev.send_at(20 * second, uplink(addr_a, keys_a, 3, 1, text("u3")), f868_1, 5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 2);
    const auto d1 = downlink_of(dev.heard[0], keys_a);
    CHECK(dev.heard[0].start_us == dev.ends[0] + second);
    CHECK(d1.fport == 10);
    CHECK(d1.frm_payload == text("one"));
    CHECK(d1.fctrl.f_pending);
    CHECK_FALSE(d1.fctrl.ack);
    CHECK(d1.fcnt == 0);
    const auto d2 = downlink_of(dev.heard[1], keys_a);
    CHECK(d2.fport == 11);
    CHECK(d2.frm_payload == text("two"));
    CHECK_FALSE(d2.fctrl.f_pending);
    CHECK(d2.fcnt == 1);
    CHECK(f.ns.downlink_state(id1) == sim::lorawan_downlink_state::sent);
    CHECK(f.ns.downlink_state(id2) == sim::lorawan_downlink_state::sent);
    CHECK(f.ns.pending_downlinks(lorawan_device_ref::addr(addr_a)) == 0);
    CHECK_THROWS_AS(f.ns.queue_downlink(lorawan_device_ref::addr(addr_a), 0, {}), std::invalid_argument);
    CHECK_THROWS_AS(f.ns.queue_downlink(lorawan_device_ref::addr(addr_b), 1, {}), std::invalid_argument);
}

TEST_CASE("a confirmed downlink is re-sent until the device acknowledges it", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto id = f.ns.queue_downlink(lorawan_device_ref::addr(addr_a), 5, text("cmd"), true);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u1")), f868_1, 5, eu_data());
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, 1, text("u2")), f868_1, 5, eu_data());  // no ACK
    dev.send_at(20 * second, uplink(addr_a, keys_a, 3, 1, text("u3"), false, {}, true), f868_1, 5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 2);
    const auto d1 = downlink_of(dev.heard[0], keys_a);
    const auto d2 = downlink_of(dev.heard[1], keys_a);
    CHECK(d1.type == lw::mtype::confirmed_data_down);
    CHECK(d2.type == lw::mtype::confirmed_data_down);
    CHECK(d1.frm_payload == text("cmd"));
    CHECK(d2.frm_payload == text("cmd"));
    CHECK(d1.fcnt == 0);
    CHECK(d2.fcnt == 1);
    CHECK(f.ns.downlink_state(id) == sim::lorawan_downlink_state::acknowledged);
    CHECK(f.ns.uplinks()[2].ack);
}

TEST_CASE("RX2 carries the downlink when the gateway is busy in RX1", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    f.ns.offer_abp(addr_b, keys_b.nwk_s_key, keys_b.app_s_key);
    auto& a = f.device("a", {50, 0, 0});
    auto& b = f.device("b", {0, 50, 0});
    a.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("a"), true), f868_1, 5, eu_data(f868_1));
    b.send_at(1 * second + 10'000, uplink(addr_b, keys_b, 1, 1, text("b"), true), f868_3, 5, eu_data(f868_3));
    f.run();
    REQUIRE(a.heard.size() == 1);
    REQUIRE(b.heard.size() == 1);
    CHECK(a.heard[0].start_us == a.ends[0] + sim::receive_delay1_us);
    CHECK(b.heard[0].start_us == b.ends[0] + sim::receive_delay2_us);
    CHECK(b.heard[0].frequency_hz == rx2_eu);
    CHECK(b.heard[0].spreading_factor == 12);
    CHECK(downlink_of(b.heard[0], keys_b).fctrl.ack);
    const auto downs = f.ns.downlinks();
    REQUIRE(downs.size() == 2);
    CHECK(downs[1].window == sim::lorawan_window::rx2);
    CHECK(downs[1].dr == 0);
}

TEST_CASE("prefer_rx2 sends in RX2 first", "[network]") {
    lorawan_network_options o;
    o.prefer_rx2 = true;
    fixture f(region_id::eu868, o);
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& a = f.device("a", {50, 0, 0});
    a.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("a"), true), f868_1, 5, eu_data(f868_1));
    f.run();
    REQUIRE(a.heard.size() == 1);
    CHECK(a.heard[0].start_us == a.ends[0] + sim::receive_delay2_us);
}

TEST_CASE("echo mode sends each uplink back on its port", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    f.ns.set_echo(true);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 42, text("ping")), f868_1, 5, eu_data());
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, std::nullopt, {}), f868_1, 5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 1);
    const auto d = downlink_of(dev.heard[0], keys_a);
    CHECK(d.fport == 42);
    CHECK(d.frm_payload == text("ping"));
}

TEST_CASE("the uplink callback may queue a downlink for that uplink's RX1", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    f.ns.set_uplink_callback([&](const sim::lorawan_uplink_record& u) {
        f.ns.queue_downlink(lorawan_device_ref::addr(u.dev_addr), 3, text("reply"));
    });
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("q")), f868_1, 5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 1);
    CHECK(dev.heard[0].start_us == dev.ends[0] + second);
    CHECK(downlink_of(dev.heard[0], keys_a).frm_payload == text("reply"));
}

TEST_CASE("LinkCheckReq is answered with the margin and the gateway count", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.add_gateway("gw2", {0, 80, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    auto& dev = f.device("dev", {30, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("x"), false, {0x02}), f868_1, 5, eu_data());
    f.run();
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 1);
    REQUIRE(ups[0].mac_commands.size() == 1);
    CHECK(ups[0].mac_commands[0].cid == 0x02);
    REQUIRE(dev.heard.size() == 1);
    const auto d = downlink_of(dev.heard[0], keys_a);
    const auto margin = static_cast<std::uint8_t>(std::floor(ups[0].snr_db - sim::demodulation_floor_snr_db(7)));
    CHECK(margin > 0);
    CHECK(d.fopts == lw::bytes{0x02, margin, 2});
    CHECK_FALSE(d.fport);
}

TEST_CASE("MAC requests from the API go in FOpts and their answers are recorded", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto ref = lorawan_device_ref::addr(addr_a);
    f.ns.dev_status_req(ref);
    f.ns.rx_timing_setup_req(ref, 3);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u")), f868_1, 5, eu_data());
    // No answer: the requests come again.
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, 1, text("u")), f868_1, 5, eu_data());
    // Both answered; the ACK of this confirmed uplink comes after the new RX1 delay of 3 s.
    dev.send_at(20 * second, uplink(addr_a, keys_a, 3, 1, text("u"), true, {0x06, 200, 0x3B, 0x08}), f868_1, 5,
                eu_data(f868_1, 5, 3 * second));
    f.run();
    REQUIRE(dev.heard.size() == 3);
    const lw::bytes requests{0x06, 0x08, 0x03};
    CHECK(downlink_of(dev.heard[0], keys_a).fopts == requests);
    CHECK(downlink_of(dev.heard[1], keys_a).fopts == requests);
    const auto third = downlink_of(dev.heard[2], keys_a);
    CHECK(third.fopts.empty());
    CHECK(third.fctrl.ack);
    CHECK(dev.heard[2].start_us == dev.ends[2] + 3 * second);
    const auto status = f.ns.device_status(ref);
    REQUIRE(status);
    CHECK(status->battery == 200);
    CHECK(status->margin_db == -5);
    CHECK(f.ns.session(ref)->rx1_delay_us == 3 * second);
    const auto ups = f.ns.uplinks();
    REQUIRE(ups[2].mac_commands.size() == 2);
    CHECK(ups[2].mac_commands[0].cid == 0x06);
    CHECK(ups[2].mac_commands[0].payload == lw::bytes{200, 0x3B});
    CHECK(ups[2].mac_commands[1].cid == 0x08);
}

TEST_CASE("an accepted RXParamSetupReq moves RX2", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto ref = lorawan_device_ref::addr(addr_a);
    f.ns.rx_param_setup_req(ref, 1, 3, 869525000);
    f.ns.link_adr_req(ref, 3, 1, 0x0007);
    f.ns.duty_cycle_req(ref, 2);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u")), f868_1, 5, eu_data());
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, 1, text("u"), false, {0x05, 0x07, 0x03, 0x07, 0x04}), f868_1,
                5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 1);
    CHECK(downlink_of(dev.heard[0], keys_a).fopts ==
          lw::bytes{0x05, 0x13, 0xD2, 0xAD, 0x84, 0x03, 0x31, 0x07, 0x00, 0x00, 0x04, 0x02});
    const auto s = f.ns.session(ref);
    CHECK(s->rx1_dr_offset == 1);
    CHECK(s->rx2_dr == 3);
    CHECK(s->rx2_frequency_hz == 869525000);
    CHECK(f.ns.downlinks().size() == 1);  // all answered: nothing more to send
}

TEST_CASE("MAC requests over 15 bytes go in an FPort 0 downlink", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto ref = lorawan_device_ref::addr(addr_a);
    for (int i = 3; i < 7; ++i) {
        f.ns.new_channel_req(ref, i, 867100000 + 200000 * (i - 3), 0, 5);
    }
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u")), f868_1, 5, eu_data());
    f.run();
    REQUIRE(dev.heard.size() == 1);
    const auto d = downlink_of(dev.heard[0], keys_a);
    CHECK(d.fport == 0);
    CHECK(d.fopts.empty());
    REQUIRE(d.frm_payload.size() == 24);
    CHECK(d.frm_payload[0] == 0x07);
    CHECK(d.frm_payload[1] == 3);
    CHECK(d.frm_payload[5] == 0x50);
}

TEST_CASE("US915: RX1 on 923.3 + 0.6 * (channel % 8) MHz at the table's DR", "[network]") {
    fixture f(region_id::us915);
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_otaa(eui_a, app_eui, app_key_a);
    auto& dev = f.device("dev", {50, 0, 0});
    const std::int64_t ch10 = 902300000 + 10 * 200000;  // DR0, SF10/125
    const std::int64_t rx1_10 = 923300000 + 600000 * (10 % 8);
    dev.send_at(1 * second, join_request(eui_a, 7, app_key_a), ch10, 0,
                listen_plan{5 * second, rx1_10, 10, 923300000, 8});
    f.run();
    REQUIRE(dev.heard.size() == 1);
    CHECK(dev.heard[0].start_us == dev.ends[0] + 5 * second);
    CHECK(dev.heard[0].frequency_hz == 924500000);
    CHECK(dev.heard[0].spreading_factor == 10);
    CHECK(dev.heard[0].bandwidth_hz == 500000);
    CHECK(dev.heard[0].phy.size() == lw::join_accept_size);  // no CFList in US915 1.0.2
    const auto accept = lw::decode_join_accept(dev.heard[0].phy, app_key_a);
    REQUIRE(accept.ok());
    CHECK(accept->rx2_data_rate == 8);
    const auto keys = lw::derive_session_keys(app_key_a, accept->app_nonce, accept->net_id, 7);

    const std::int64_t ch67 = 903000000 + 3 * 1600000;  // DR4, SF8/500
    dev.send_at(20 * second, uplink(accept->dev_addr, keys, 0, 1, text("u"), true), ch67, 4,
                listen_plan{second, 923300000 + 600000 * (67 % 8), 13, 923300000, 8});
    f.run();
    REQUIRE(dev.heard.size() == 2);
    CHECK(dev.heard[1].start_us == dev.ends[1] + second);
    CHECK(dev.heard[1].frequency_hz == 925100000);
    CHECK(dev.heard[1].spreading_factor == 7);
    CHECK(dev.heard[1].bandwidth_hz == 500000);
    CHECK(downlink_of(dev.heard[1], keys).fctrl.ack);
    CHECK(f.ns.uplinks()[0].dr == 4);
    CHECK(f.ns.downlinks()[1].dr == 13);
}

TEST_CASE("two devices joining at once on one channel and SF collide at the gateway", "[network]") {
    SECTION("equal power: both lost, no join accept") {
        fixture f;
        f.ns.add_gateway("gw1", {0, 0, 0});
        f.ns.offer_otaa(eui_a, app_eui, app_key_a);
        f.ns.offer_otaa(eui_b, app_eui, app_key_b);
        auto& a = f.device("a", {50, 0, 0});
        auto& b = f.device("b", {0, 50, 0});
        a.send_at(second, join_request(eui_a, 1, app_key_a), f868_1, 5, eu_join());
        b.send_at(second, join_request(eui_b, 1, app_key_b), f868_1, 5, eu_join());
        f.run();
        CHECK(a.heard.empty());
        CHECK(b.heard.empty());
        CHECK(f.ns.joins().empty());
        CHECK(f.ns.counters().received_frames == 0);
        CHECK(f.m.counters().collisions >= 2);
    }
    SECTION("one 14 dB stronger: it is captured and accepted, the other not") {
        fixture f;
        f.ns.add_gateway("gw1", {0, 0, 0});
        f.ns.offer_otaa(eui_a, app_eui, app_key_a);
        f.ns.offer_otaa(eui_b, app_eui, app_key_b);
        auto& a = f.device("a", {20, 0, 0});
        auto& b = f.device("b", {0, 100, 0});
        a.send_at(second, join_request(eui_a, 1, app_key_a), f868_1, 5, eu_join());
        b.send_at(second, join_request(eui_b, 1, app_key_b), f868_1, 5, eu_join());
        f.run();
        CHECK(a.heard.size() == 1);
        CHECK(b.heard.size() <= 1);  // b may overhear a's accept but cannot decode it
        const auto joins = f.ns.joins();
        REQUIRE(joins.size() == 1);
        CHECK(joins[0].dev_eui == eui_a);
    }
}

TEST_CASE("class C: a queued downlink goes out at once on RX2", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    const auto ref = lorawan_device_ref::addr(addr_a);
    f.ns.set_class_c(ref, true);
    CHECK(f.ns.session(ref)->class_c);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("u")), f868_1, 5, eu_data());
    dev.listen_continuously_at(10 * second, rx2_eu, 0);
    std::uint64_t id = 0;
    f.w.schedule_at(20 * second, [&] { id = f.ns.queue_downlink(ref, 9, text("now")); });
    f.run();
    REQUIRE(dev.heard.size() == 1);
    CHECK(dev.heard[0].start_us == 20 * second);
    CHECK(dev.heard[0].frequency_hz == rx2_eu);
    CHECK(dev.heard[0].spreading_factor == 12);
    CHECK(downlink_of(dev.heard[0], keys_a).frm_payload == text("now"));
    CHECK(f.ns.downlink_state(id) == sim::lorawan_downlink_state::sent);
    CHECK(f.ns.downlinks()[0].window == sim::lorawan_window::class_c);
}

TEST_CASE("a gateway does not hear uplinks while it transmits", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key);
    f.ns.offer_abp(addr_b, keys_b.nwk_s_key, keys_b.app_s_key);
    auto& a = f.device("a", {50, 0, 0});
    auto& b = f.device("b", {0, 50, 0});
    a.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("a"), true), f868_1, 5, eu_data());
    // b's uplink on another channel overlaps a's ACK at a's end + 1 s.
    b.send_at(2 * second + 30'000, uplink(addr_b, keys_b, 1, 1, text("b")), f868_3, 5, eu_data(f868_3));
    f.run();
    REQUIRE(a.heard.size() == 1);
    REQUIRE(b.ends.size() == 1);
    CHECK(b.ends[0] > a.heard[0].start_us);  // the frames overlap
    CHECK(b.ends[0] - sim::time_on_air_us(*sim::lorawan_modulation(sim::region(region_id::eu868), 5, true), 15) <
          a.heard[0].end_us);
    CHECK(f.ns.uplinks().size() == 1);
    CHECK(f.ns.counters().lost_while_transmitting == 1);
}

// --- multicast ----------------------------------------------------------------------------

namespace {
constexpr std::uint32_t mc_addr = 0x01AB0001;
/// EU868 RX2 (DR0, SF12/125 kHz, CRC off): a 5-byte payload makes an 18-byte PHYPayload,
/// 12.25 + 28 symbols of 32.768 ms (radio.md 1.2).
constexpr time_us mc_airtime_5_bytes_us = 1'318'912;
}  // namespace

TEST_CASE("multicast: a copy from each gateway in turn, one FCntDown per frame, the group's keys", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.add_gateway("gw2", {100, 0, 0});
    f.ns.add_multicast_group(mc_addr, keys_b.nwk_s_key, keys_b.app_s_key);
    const auto groups = f.ns.multicast_groups();
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].dr == 0);
    CHECK(groups[0].frequency_hz == rx2_eu);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.listen_continuously_at(0, rx2_eu, 0);
    std::uint64_t first = 0;
    std::uint64_t second_id = 0;
    f.w.schedule_at(5 * second, [&] {
        first = f.ns.queue_multicast(mc_addr, 10, text("hello"));
        second_id = f.ns.queue_multicast(mc_addr, 11, text("again"));
    });
    f.run();

    const time_us gap = lorawan_network_options{}.class_c_gap_us;
    REQUIRE(sim::time_on_air_us(*sim::lorawan_modulation(sim::region(region_id::eu868), 0, false), 18) ==
            mc_airtime_5_bytes_us);
    REQUIRE(dev.heard.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(dev.heard[i].start_us == 5 * second + static_cast<time_us>(i) * (mc_airtime_5_bytes_us + gap));
        CHECK(dev.heard[i].frequency_hz == rx2_eu);
        CHECK(dev.heard[i].spreading_factor == 12);
    }
    CHECK(dev.heard[0].phy == dev.heard[1].phy);  // the same frame from both gateways
    CHECK(dev.heard[2].phy == dev.heard[3].phy);
    const lw::data_frame a = downlink_of(dev.heard[0], keys_b);
    CHECK(a.type == lw::mtype::unconfirmed_data_down);
    CHECK(a.dev_addr == mc_addr);
    CHECK(a.fcnt == 0);
    CHECK(a.fport == std::optional<std::uint8_t>(10));
    CHECK(a.frm_payload == text("hello"));
    CHECK(a.fopts.empty());
    CHECK_FALSE(a.fctrl.ack);
    CHECK_FALSE(a.fctrl.f_pending);
    const lw::data_frame b = downlink_of(dev.heard[2], keys_b);
    CHECK(b.fcnt == 1);
    CHECK(b.fport == std::optional<std::uint8_t>(11));
    CHECK(b.frm_payload == text("again"));
    CHECK_FALSE(lw::decode_data_frame(dev.heard[0].phy, keys_a, 0).ok());  // only the group's keys open it

    const auto records = f.ns.downlinks();
    REQUIRE(records.size() == 4);
    const std::vector<std::string> names{records[0].gateway, records[1].gateway, records[2].gateway,
                                         records[3].gateway};
    CHECK(names == std::vector<std::string>{"gw1", "gw2", "gw1", "gw2"});
    for (const auto& r : records) {
        CHECK(r.multicast);
        CHECK(r.window == sim::lorawan_window::class_c);
        CHECK(r.dev_addr == mc_addr);
    }
    CHECK(records[1].queued_id == std::optional<std::uint64_t>(first));
    CHECK(records[3].queued_id == std::optional<std::uint64_t>(second_id));
    CHECK(f.ns.downlink_state(first) == sim::lorawan_downlink_state::sent);
    CHECK(f.ns.multicast_groups()[0].fcnt_down == 2);
    CHECK(f.ns.counters().downlinks_sent == 4);
    CHECK(f.lines({"lorawan_ns_downlink", "\"multicast\": true", "\"dev_addr\": \"01AB0001\""}) == 4);
}

TEST_CASE("multicast: the group's own DR and frequency", "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.add_multicast_group(mc_addr, keys_b.nwk_s_key, keys_b.app_s_key, 3, f868_3);
    auto& dev = f.device("dev", {50, 0, 0});
    dev.listen_continuously_at(0, f868_3, 3);
    f.w.schedule_at(2 * second, [&] { f.ns.queue_multicast(mc_addr, 1, text("x")); });
    f.run();
    REQUIRE(dev.heard.size() == 1);
    CHECK(dev.heard[0].start_us == 2 * second);
    CHECK(dev.heard[0].frequency_hz == f868_3);
    CHECK(dev.heard[0].spreading_factor == 9);
    CHECK(downlink_of(dev.heard[0], keys_b).frm_payload == text("x"));
}

TEST_CASE("multicast groups and frames are checked", "[network]") {
    fixture f;
    f.ns.add_multicast_group(mc_addr, keys_b.nwk_s_key, keys_b.app_s_key);
    CHECK_THROWS_AS(f.ns.add_multicast_group(mc_addr, keys_a.nwk_s_key, keys_a.app_s_key), std::invalid_argument);
    REQUIRE(f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key));
    CHECK_THROWS_AS(f.ns.add_multicast_group(addr_a, keys_b.nwk_s_key, keys_b.app_s_key), std::invalid_argument);
    // A group's address is no device's: ABP registration fails, a script's offer is ignored.
    CHECK_THROWS_AS(f.ns.register_abp(mc_addr, keys_a.nwk_s_key, keys_a.app_s_key), std::invalid_argument);
    CHECK_FALSE(f.ns.offer_abp(mc_addr, keys_a.nwk_s_key, keys_a.app_s_key));
    CHECK_FALSE(f.ns.session(lorawan_device_ref::addr(mc_addr)));
    // EU868 DR7 is FSK (not modelled), DR8 and above RFU; 915 MHz is outside the band.
    CHECK_THROWS_AS(f.ns.add_multicast_group(0x01AB0002, keys_b.nwk_s_key, keys_b.app_s_key, 8), std::invalid_argument);
    CHECK_THROWS_AS(f.ns.add_multicast_group(0x01AB0002, keys_b.nwk_s_key, keys_b.app_s_key, std::nullopt, 915000000),
                    std::invalid_argument);
    CHECK(f.ns.multicast_groups().size() == 1);

    CHECK_THROWS_AS(f.ns.queue_multicast(0x01AB0002, 1, text("x")), std::invalid_argument);
    CHECK_THROWS_AS(f.ns.queue_multicast(mc_addr, 0, text("x")), std::invalid_argument);
    CHECK_THROWS_AS(f.ns.queue_multicast(mc_addr, 224, text("x")), std::invalid_argument);
    CHECK_THROWS_AS(f.ns.queue_multicast(mc_addr, 1, lw::bytes(52, 0)), std::invalid_argument);  // DR0: N = 51
    CHECK(f.ns.multicast_groups()[0].fcnt_down == 0);  // nothing counted for refused frames

    // No gateway: the frame cannot go out, and says so.
    const std::uint64_t id = f.ns.queue_multicast(mc_addr, 1, lw::bytes(51, 0));
    CHECK(f.ns.downlink_state(id) == sim::lorawan_downlink_state::failed);
    CHECK(f.ns.counters().downlinks_missed == 1);
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"no_gateway\"", "01AB0001"}) == 1);

    CHECK(f.ns.remove_multicast_group(mc_addr));
    CHECK_FALSE(f.ns.remove_multicast_group(mc_addr));
    CHECK(f.ns.multicast_groups().empty());
    CHECK_THROWS_AS(f.ns.queue_multicast(mc_addr, 1, text("x")), std::invalid_argument);
}

// --- faults: a gateway that goes away, downlinks lost before the gateway ---------------------

TEST_CASE("a gateway that goes away hears nothing more and misses the downlinks scheduled through it",
          "[network]") {
    fixture f;
    f.ns.add_gateway("gw1", {0, 0, 0});
    f.ns.add_gateway("gw2", {200, 0, 0});
    REQUIRE(f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key));
    auto& dev = f.device("dev", {50, 0, 0});
    dev.send_at(1 * second, uplink(addr_a, keys_a, 1, 1, text("one"), true), f868_1, 5, eu_data());
    // The ACK is scheduled through gw1 (best RSSI) once the dedup window closes; gw1 goes
    // before it is sent.
    bool removed = false;
    f.w.schedule_at(1 * second + 600'000, [&] { removed = f.ns.remove_gateway("gw1"); });
    dev.send_at(10 * second, uplink(addr_a, keys_a, 2, 1, text("two"), true), f868_1, 5, eu_data());
    f.run();

    CHECK(removed);
    CHECK_FALSE(f.ns.remove_gateway("gw1"));
    CHECK(f.ns.gateway_names() == std::vector<std::string>{"gw2"});
    const auto ups = f.ns.uplinks();
    REQUIRE(ups.size() == 2);
    REQUIRE(ups[0].gateways.size() == 2);
    CHECK(ups[0].gateways[0].gateway == "gw1");
    REQUIRE(ups[1].gateways.size() == 1);
    CHECK(ups[1].gateways[0].gateway == "gw2");
    CHECK(f.lines({"lorawan_ns_rejected", "\"reason\": \"gateway_gone\"", "\"gateway\": \"gw1\""}) == 1);
    CHECK(f.lines({"lorawan_gw_removed"}) == 1);
    CHECK(f.ns.counters().downlinks_missed == 1);
    // Only the second uplink's ACK reaches the device, from gw2 in RX1.
    REQUIRE(dev.heard.size() == 1);
    REQUIRE(dev.ends.size() == 2);
    CHECK(dev.heard[0].start_us == dev.ends[1] + sim::receive_delay1_us);
    CHECK(downlink_of(dev.heard[0], keys_a).fctrl.ack);
    const auto downs = f.ns.downlinks();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].gateway == "gw2");
}

namespace {
/// One device's 60 confirmed uplinks, 10 s apart, through a network losing `loss` of its
/// downlinks: the start times of the ACKs the device heard, and the network's counters.
std::pair<std::vector<time_us>, sim::lorawan_network_counters> acks_heard(double loss) {
    lorawan_network_options o;
    o.downlink_loss = loss;
    fixture f(region_id::eu868, o);
    f.ns.add_gateway("gw1", {0, 0, 0});
    REQUIRE(f.ns.offer_abp(addr_a, keys_a.nwk_s_key, keys_a.app_s_key));
    auto& dev = f.device("dev", {50, 0, 0});
    for (std::uint32_t n = 1; n <= 60; ++n) {
        dev.send_at(static_cast<time_us>(n) * 10 * second, uplink(addr_a, keys_a, n, 1, text("u"), true), f868_1, 5,
                    eu_data());
    }
    f.run();
    CHECK(f.ns.uplinks().size() == 60);
    std::vector<time_us> starts;
    for (const auto& h : dev.heard) {
        starts.push_back(h.start_us);
    }
    CHECK(f.lines({"lorawan_ns_dropped"}) == f.ns.counters().downlinks_dropped);
    return {starts, f.ns.counters()};
}
}  // namespace

TEST_CASE("downlink_loss loses that fraction of the downlinks, the same ones for the same seed", "[network]") {
    const auto [none, none_counters] = acks_heard(0.0);
    CHECK(none.size() == 60);
    CHECK(none_counters.downlinks_dropped == 0);

    const auto [all, all_counters] = acks_heard(1.0);
    CHECK(all.empty());
    CHECK(all_counters.downlinks_dropped == 60);
    CHECK(all_counters.downlinks_sent == 0);

    const auto [half, half_counters] = acks_heard(0.5);
    CHECK(half.size() + half_counters.downlinks_dropped == 60);
    CHECK(half_counters.downlinks_dropped > 15);
    CHECK(half_counters.downlinks_dropped < 45);
    CHECK(acks_heard(0.5).first == half);  // seeded: the same frames are lost again

    sim::world w;
    lora_medium m(w);
    lorawan_network_options bad;
    bad.downlink_loss = 1.5;
    CHECK_THROWS_AS(lorawan_network(m, region_id::eu868, bad), std::invalid_argument);
    bad.downlink_loss = std::nan("");
    CHECK_THROWS_AS(lorawan_network(m, region_id::eu868, bad), std::invalid_argument);
}
