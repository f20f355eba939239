// tests/cpp/sim/test_lorawan_end_to_end.cpp: the device MAC and the network server, which
// only meet through frames on the medium, talk LoRaWAN to each other.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/lorawan_network.hpp"
#include "usocket/sim/world.hpp"

using namespace usocket::sim;

namespace {

constexpr time_us second_us = 1000000;
constexpr std::uint64_t dev_eui = 0x70B3D54990112233ULL;
constexpr std::uint64_t app_eui = 0x70B3D57ED0000001ULL;
const lorawan::aes_key app_key = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                  0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

/// One world with a gateway at the origin and one LoPy 50 m away, in `region`.
struct setup {
    explicit setup(region_id region, lorawan_network_options options = {})
        : medium(w), network(medium, region, options),
          radio(std::make_shared<lora_radio>(medium, "node", position_m{50, 0, 0}, 0)),
          mac(medium, radio, "node", position_m{50, 0, 0}, settings_for(region)) {
        network.add_gateway("gw", position_m{0, 0, 0});
        lora_radio_settings off;
        off.power_mode = lora_power_mode::sleep;  // in LoRaWAN mode the MAC drives the air
        radio->configure(off);
    }

    static lorawan_mac_settings settings_for(region_id region) {
        lorawan_mac_settings s;
        s.region = region;
        return s;
    }

    world w{world_options{time_mode::virtual_time, 11}};
    lora_medium medium;
    lorawan_network network;
    std::shared_ptr<lora_radio> radio;
    lorawan_mac mac;
};

}  // namespace

TEST_CASE("lorawan end to end: OTAA join, uplinks, a downlink in RX1 and an ACK", "[lorawan][e2e]") {
    for (const region_id region : {region_id::eu868, region_id::us915, region_id::as923}) {
        setup s(region);
        REQUIRE(s.network.offer_otaa(dev_eui, app_eui, app_key));
        s.w.schedule_at(0, [&] { s.mac.join_otaa(dev_eui, app_eui, app_key, s.network.region().join_dr_default); });
        s.w.run(7 * second_us);
        REQUIRE(s.mac.joined());
        REQUIRE(s.network.joins().size() == 1);

        const int dr = s.network.region().default_socket_dr;
        s.w.schedule_at(10 * second_us, [&] {
            REQUIRE(s.mac.send(bytes_of("hello"), 2, false, dr, time_us{0}, false) == lorawan_mac::send_status::queued);
        });
        s.w.schedule_at(15 * second_us, [&] {
            s.network.queue_downlink(lorawan_device_ref::eui(dev_eui), 5, bytes_of("cmd"));
            REQUIRE(s.mac.send(bytes_of("again"), 3, true, dr, time_us{0}, false) == lorawan_mac::send_status::queued);
        });
        s.w.run(30 * second_us);

        const auto uplinks = s.network.uplinks();
        REQUIRE(uplinks.size() == 2);
        CHECK(uplinks[0].payload == bytes_of("hello"));
        CHECK(uplinks[0].port == 2);
        CHECK(uplinks[0].fcnt == 0);
        CHECK(uplinks[1].payload == bytes_of("again"));
        CHECK(uplinks[1].confirmed);
        CHECK(uplinks[1].fcnt == 1);
        CHECK(uplinks[1].gateways.size() == 1);

        // The downlink (and the ACK it carries) reached the device's receive queue.
        std::vector<std::uint8_t> got;
        int port = 0;
        REQUIRE(s.radio->received_pending() == 1);
        const auto st = s.radio->receive(time_us{0}, 255, got, port);
        CHECK(st == wait_status::ready);
        CHECK(got == bytes_of("cmd"));
        CHECK(port == 5);
        const int events = s.radio->take_events();
        CHECK((events & lora_event::rx_packet) != 0);
        CHECK((events & lora_event::tx_packet) != 0);
        CHECK((events & lora_event::tx_failed) == 0);
        CHECK(s.radio->stats().tx_counter == 1);
    }
}

TEST_CASE("lorawan end to end: ABP uplinks reach the server without a join", "[lorawan][e2e]") {
    setup s(region_id::eu868);
    const std::uint32_t dev_addr = 0x26011BDA;
    REQUIRE(s.network.offer_abp(dev_addr, app_key, app_key));
    s.mac.join_abp(dev_addr, app_key, app_key);
    REQUIRE(s.mac.joined());
    for (int i = 0; i < 3; ++i) {
        s.w.schedule_at((1 + 10 * i) * second_us, [&, i] {
            s.mac.send(bytes_of("n" + std::to_string(i)), 7, false, 5, time_us{0}, false);
        });
    }
    s.w.run(40 * second_us);
    const auto uplinks = s.network.uplinks();
    REQUIRE(uplinks.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(uplinks[i].dev_addr == dev_addr);
        CHECK(uplinks[i].fcnt == i);
        CHECK(uplinks[i].payload == bytes_of("n" + std::to_string(i)));
    }
}

TEST_CASE("lorawan end to end: a strict network refuses a device with the wrong AppKey", "[lorawan][e2e]") {
    lorawan_network_options strict;
    strict.strict = true;
    setup s(region_id::eu868, strict);
    lorawan::aes_key registered = app_key;
    registered[0] ^= 0xFF;
    s.network.register_otaa(dev_eui, app_eui, registered);
    CHECK_FALSE(s.network.offer_otaa(dev_eui, app_eui, app_key));  // strict: the script's keys count for nothing
    s.w.schedule_at(0, [&] { s.mac.join_otaa(dev_eui, app_eui, app_key, 5); });
    s.w.run(35 * second_us);
    CHECK_FALSE(s.mac.joined());
    CHECK(s.network.joins().empty());
    CHECK(s.network.counters().bad_mic >= 3);  // the requests at 0, 10, 20 and 30 s
}
