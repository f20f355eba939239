// tests/cpp/sim/test_sigfox_phy.cpp: the zone table and the frame arithmetic (radio.md 5).
#include "usocket/sim/sigfox_phy.hpp"

#include <catch2/catch.hpp>

using namespace usocket::sim;

TEST_CASE("sigfox phy: frame bits and durations of every class at 100 and 600 bit/s", "[sigfox][phy]") {
    struct row {
        std::size_t payload;
        sigfox_frame_class cls;
        int bits;
        time_us at_100_us;
        time_us at_600_us;
    };
    // radio.md 5.2's table: 1.12 s / 186.7 ms ... 2.08 s / 346.7 ms (600 bit/s to the us).
    const row rows[] = {
        {0, sigfox_frame_class::a, 112, 1'120'000, 186'667},  {1, sigfox_frame_class::b, 120, 1'200'000, 200'000},
        {2, sigfox_frame_class::c, 144, 1'440'000, 240'000},  {4, sigfox_frame_class::c, 144, 1'440'000, 240'000},
        {5, sigfox_frame_class::d, 176, 1'760'000, 293'333},  {8, sigfox_frame_class::d, 176, 1'760'000, 293'333},
        {9, sigfox_frame_class::e, 208, 2'080'000, 346'667},  {12, sigfox_frame_class::e, 208, 2'080'000, 346'667},
    };
    for (const auto& r : rows) {
        INFO("payload " << r.payload);
        CHECK(frame_class(r.payload) == r.cls);
        CHECK(uplink_frame_bits(r.cls) == r.bits);
        CHECK(uplink_frame_us(r.cls, 100) == r.at_100_us);
        CHECK(uplink_frame_us(r.cls, 600) == r.at_600_us);
    }
    // Three frames of a 12-byte message, airtime only: 6.24 s at 100 bit/s.
    CHECK(3 * uplink_frame_us(frame_class(12), 100) == 6'240'000);
}

TEST_CASE("sigfox phy: frame types, downlink frame, FSK frames", "[sigfox][phy]") {
    CHECK(frame_type(sigfox_frame_class::a, 0) == 0x06B);
    CHECK(frame_type(sigfox_frame_class::a, 2) == 0x034);
    CHECK(frame_type(sigfox_frame_class::b, 1) == 0x0D2);
    CHECK(frame_type(sigfox_frame_class::c, 0) == 0x35F);
    CHECK(frame_type(sigfox_frame_class::d, 1) == 0x6BF);
    CHECK(frame_type(sigfox_frame_class::e, 2) == 0x997);
    CHECK(downlink_frame_bits == 224);
    CHECK(downlink_frame_us() == 373'333);
    CHECK(fsk_frame_bits(64) == 600);
    CHECK(fsk_frame_us(64) == 500'000);
    CHECK(fsk_frame_us(0) == 73'333);
}

TEST_CASE("sigfox phy: the RCZ1..RCZ4 table", "[sigfox][phy]") {
    CHECK(zone_params(sigfox_zone::rcz1).uplink_hz == 868'130'000);
    CHECK(zone_params(sigfox_zone::rcz1).downlink_hz == 869'525'000);
    CHECK(zone_params(sigfox_zone::rcz2).uplink_hz == 902'200'000);
    CHECK(zone_params(sigfox_zone::rcz2).downlink_hz == 905'200'000);
    CHECK(zone_params(sigfox_zone::rcz3).uplink_hz == 923'200'000);
    CHECK(zone_params(sigfox_zone::rcz3).downlink_hz == 922'200'000);
    CHECK(zone_params(sigfox_zone::rcz4).uplink_hz == 920'800'000);
    CHECK(zone_params(sigfox_zone::rcz4).downlink_hz == 922'300'000);
    CHECK(zone_params(sigfox_zone::rcz1).uplink_bps == 100);
    CHECK(zone_params(sigfox_zone::rcz2).uplink_bps == 600);
    CHECK(zone_params(sigfox_zone::rcz3).uplink_bps == 100);
    CHECK(zone_params(sigfox_zone::rcz4).uplink_bps == 600);
    CHECK(zone_params(sigfox_zone::rcz3).macro_channel_hz == 36'000);
    CHECK(zone_params(sigfox_zone::rcz1).access == sigfox_access::duty_cycle);
    CHECK(zone_params(sigfox_zone::rcz2).access == sigfox_access::frequency_hopping);
    CHECK(zone_params(sigfox_zone::rcz3).access == sigfox_access::listen_before_talk);
    CHECK(zone_from_code(3) == sigfox_zone::rcz4);
    CHECK_FALSE(zone_from_code(4).has_value());
    CHECK_FALSE(zone_from_code(-1).has_value());
}
