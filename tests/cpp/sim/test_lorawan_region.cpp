// tests/cpp/sim/test_lorawan_region.cpp: the LoRaWAN regional parameters of usocket::sim
// against the spec's tables (radio.md 1.4 and 2, pycom-api.md 3.1-3.6 and 4.4-4.6,
// interop.md 4) and the airtime formula (the 400 ms dwell-time cross-check).
#include "usocket/sim/lorawan_region.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using namespace usocket::sim;

namespace {

const lorawan_region& eu868() { return region(region_id::eu868); }
const lorawan_region& us915() { return region(region_id::us915); }
const lorawan_region& au915() { return region(region_id::au915); }
const lorawan_region& as923() { return region(region_id::as923); }
const lorawan_region& in865() { return region(region_id::in865); }
const lorawan_region& eu433() { return region(region_id::eu433); }
const lorawan_region& cn470() { return region(region_id::cn470); }

/// N of every DR 0..count-1; -1 where there is none.
std::vector<int> n_table(const lorawan_region& r, int count, bool dwell = false) {
    std::vector<int> out;
    for (int dr = 0; dr < count; ++dr) {
        out.push_back(max_payload_n(r, dr, dwell).value_or(-1));
    }
    return out;
}

/// M of every DR 0..count-1; -1 where there is none.
std::vector<int> m_table(const lorawan_region& r, int count, bool dwell = false) {
    std::vector<int> out;
    for (int dr = 0; dr < count; ++dr) {
        out.push_back(max_macpayload_m(r, dr, dwell).value_or(-1));
    }
    return out;
}

channel ch(std::int64_t frequency_hz, int dr_min, int dr_max) {
    channel c;
    c.frequency_hz = frequency_hz;
    c.dr_min = dr_min;
    c.dr_max = dr_max;
    return c;
}

link_adr_req adr(int dr, int power, std::uint16_t mask, int cntl, int nb_trans = 1) {
    link_adr_req q;
    q.dr = dr;
    q.tx_power_index = power;
    q.ch_mask = mask;
    q.ch_mask_cntl = cntl;
    q.nb_trans = nb_trans;
    return q;
}

link_adr_state initial_state(const lorawan_region& r, int dr) {
    link_adr_state s;
    s.dr = dr;
    s.tx_power_index = 0;
    s.nb_trans = 1;
    s.mask = initial_channel_mask(r);
    return s;
}

/// Time on air in microseconds of a PL-byte uplink at `dr`.
time_us uplink_airtime_us(const lorawan_region& r, int dr, std::size_t pl) {
    const auto m = lorawan_modulation(r, dr, true);
    REQUIRE(m.has_value());
    return time_on_air_us(*m, pl);
}

constexpr time_us dwell_limit_us = 400'000;  // radio.md 1.4: 400 ms dwell time
constexpr std::size_t mhdr_mic_bytes = 5;    // radio.md 1.4: PL = M + 5
constexpr std::size_t max_phy_payload_bytes = 255;

}  // namespace

// --- regions and common values ---------------------------------------------------------------

TEST_CASE("region: Pycom codes map to the seven regions and back", "[radio_sim][region]") {
    const std::vector<std::pair<int, region_id>> codes{{0, region_id::as923}, {1, region_id::au915},
                                                       {2, region_id::cn470}, {4, region_id::eu433},
                                                       {5, region_id::eu868}, {7, region_id::in865},
                                                       {8, region_id::us915}};
    for (const auto& [code, id] : codes) {
        CAPTURE(code);
        REQUIRE(region_from_code(code) == id);
        CHECK(region_code(id) == code);
        CHECK(region(id).id == id);
    }
    for (int code : {-1, 3, 6, 9, 10, 255}) {
        CAPTURE(code);
        CHECK_FALSE(region_from_code(code).has_value());
    }
    CHECK(std::string(eu868().name) == "EU868");
    CHECK(std::string(us915().name) == "US915");
    CHECK(std::string(au915().name) == "AU915");
    CHECK(std::string(as923().name) == "AS923");
    CHECK(std::string(in865().name) == "IN865");
    CHECK(std::string(eu433().name) == "EU433");
    CHECK(std::string(cn470().name) == "CN470");
}

TEST_CASE("region: class A timings and MAC constants of radio.md 2.1", "[radio_sim][region]") {
    CHECK(receive_delay1_us == 1'000'000);
    CHECK(receive_delay2_us == 2'000'000);
    CHECK(join_accept_delay1_us == 5'000'000);
    CHECK(join_accept_delay2_us == 6'000'000);
    CHECK(max_fcnt_gap == 16384);
    CHECK(adr_ack_limit == 64);
    CHECK(adr_ack_delay == 32);
    CHECK(ack_timeout_us - ack_timeout_random_us == 1'000'000);  // uniform 1..3 s
    CHECK(ack_timeout_us + ack_timeout_random_us == 3'000'000);
    CHECK(max_confirmed_transmissions == 8);
    CHECK(lorawan_preamble_symbols == 8);
    CHECK(lorawan_coding_rate == 1);
}

TEST_CASE("region: RXTimingSetupReq delays, 0 and 1 both mean 1 s", "[radio_sim][region]") {
    CHECK(rx_delay_us(0) == 1'000'000);
    CHECK(rx_delay_us(1) == 1'000'000);
    CHECK(rx_delay_us(2) == 2'000'000);
    CHECK(rx_delay_us(5) == 5'000'000);
    CHECK(rx_delay_us(15) == 15'000'000);
    CHECK(rx_delay_us(0xF3) == 3'000'000);  // only bits 3:0
}

// --- data rates -------------------------------------------------------------------------------

TEST_CASE("region: EU868, AS923 and EU433 data rates", "[radio_sim][region]") {
    // radio.md 2.2 (EU868), 2.5 (AS923 identical), pycom-api.md 3.6 (EU433).
    const int sf[6] = {12, 11, 10, 9, 8, 7};
    const std::int64_t bps[6] = {250, 440, 980, 1760, 3125, 5470};
    for (const lorawan_region* r : {&eu868(), &as923(), &eu433()}) {
        CAPTURE(r->name);
        for (int dr = 0; dr < 6; ++dr) {
            CAPTURE(dr);
            const data_rate& d = data_rate_of(*r, dr);
            CHECK(d.kind == data_rate_kind::lora);
            CHECK(d.spreading_factor == sf[dr]);
            CHECK(d.bandwidth_hz == 125000);
            CHECK(d.bit_rate_bps == bps[dr]);
        }
        CHECK(data_rate_of(*r, 6).kind == data_rate_kind::lora);
        CHECK(data_rate_of(*r, 6).spreading_factor == 7);
        CHECK(data_rate_of(*r, 6).bandwidth_hz == 250000);
        CHECK(data_rate_of(*r, 6).bit_rate_bps == 11000);
        CHECK(data_rate_of(*r, 7).kind == data_rate_kind::fsk);
        CHECK(data_rate_of(*r, 7).bit_rate_bps == 50000);
        for (int dr = 8; dr < max_data_rates; ++dr) {
            CHECK(data_rate_of(*r, dr).kind == data_rate_kind::rfu);
        }
    }
    CHECK(data_rate_of(eu868(), -1).kind == data_rate_kind::rfu);
    CHECK(data_rate_of(eu868(), 16).kind == data_rate_kind::rfu);
}

TEST_CASE("region: US915 and AU915 data rates", "[radio_sim][region]") {
    // radio.md 2.3: DR0..3 SF10..SF7/125, DR4 SF8/500, DR5-7 RFU, DR8..13 SF12..SF7/500.
    const lorawan_region& us = us915();
    const int us_sf[5] = {10, 9, 8, 7, 8};
    const std::int64_t us_bw[5] = {125000, 125000, 125000, 125000, 500000};
    for (int dr = 0; dr < 5; ++dr) {
        CAPTURE(dr);
        CHECK(data_rate_of(us, dr).spreading_factor == us_sf[dr]);
        CHECK(data_rate_of(us, dr).bandwidth_hz == us_bw[dr]);
    }
    for (int dr = 5; dr <= 7; ++dr) {
        CHECK(data_rate_of(us, dr).kind == data_rate_kind::rfu);
    }
    // radio.md 2.4: AU915 DR0..5 SF12..SF7/125, DR6 SF8/500, DR7 RFU.
    const lorawan_region& au = au915();
    for (int dr = 0; dr < 6; ++dr) {
        CAPTURE(dr);
        CHECK(data_rate_of(au, dr).spreading_factor == 12 - dr);
        CHECK(data_rate_of(au, dr).bandwidth_hz == 125000);
    }
    CHECK(data_rate_of(au, 6).spreading_factor == 8);
    CHECK(data_rate_of(au, 6).bandwidth_hz == 500000);
    CHECK(data_rate_of(au, 7).kind == data_rate_kind::rfu);
    const std::int64_t dl_bps[6] = {980, 1760, 3900, 7000, 12500, 21900};
    for (const lorawan_region* r : {&us, &au}) {
        for (int dr = 8; dr <= 13; ++dr) {
            CAPTURE(r->name, dr);
            CHECK(data_rate_of(*r, dr).spreading_factor == 20 - dr);  // DR8 SF12 ... DR13 SF7
            CHECK(data_rate_of(*r, dr).bandwidth_hz == 500000);
            CHECK(data_rate_of(*r, dr).bit_rate_bps == dl_bps[dr - 8]);
        }
        CHECK(data_rate_of(*r, 14).kind == data_rate_kind::rfu);
    }
    // DR4 is the same modulation as DR12 (radio.md 2.3).
    CHECK(data_rate_of(us, 4).spreading_factor == data_rate_of(us, 12).spreading_factor);
    CHECK(data_rate_of(us, 4).bandwidth_hz == data_rate_of(us, 12).bandwidth_hz);
}

TEST_CASE("region: IN865 and CN470 data rates", "[radio_sim][region]") {
    // radio.md 2.6: IN865 DR0-5 SF12..SF7/125, DR6 RFU, DR7 FSK; CN470 DR0-5 only.
    for (int dr = 0; dr < 6; ++dr) {
        CHECK(data_rate_of(in865(), dr).spreading_factor == 12 - dr);
        CHECK(data_rate_of(cn470(), dr).spreading_factor == 12 - dr);
        CHECK(data_rate_of(cn470(), dr).bandwidth_hz == 125000);
    }
    CHECK(data_rate_of(in865(), 6).kind == data_rate_kind::rfu);
    CHECK(data_rate_of(in865(), 7).kind == data_rate_kind::fsk);
    for (int dr = 6; dr < max_data_rates; ++dr) {
        CHECK(data_rate_of(cn470(), dr).kind == data_rate_kind::rfu);
    }
}

TEST_CASE("region: which DRs the MAC sends and receives at", "[radio_sim][region]") {
    CHECK(uplink_dr_valid(eu868(), 0));
    CHECK(uplink_dr_valid(eu868(), 6));
    CHECK_FALSE(uplink_dr_valid(eu868(), 7));  // Pycom's EU868 stops at DR6 (SO_DR 0..6)
    CHECK_FALSE(uplink_dr_valid(eu868(), -1));
    for (int dr = 0; dr < max_data_rates; ++dr) {
        CAPTURE(dr);
        CHECK(uplink_dr_valid(us915(), dr) == (dr <= 4));
        CHECK(downlink_dr_valid(us915(), dr) == (dr >= 8 && dr <= 13));
        CHECK(uplink_dr_valid(au915(), dr) == (dr <= 6));
        CHECK(downlink_dr_valid(au915(), dr) == (dr >= 8 && dr <= 13));
        CHECK(uplink_dr_valid(in865(), dr) == (dr <= 7 && dr != 6));
        CHECK(uplink_dr_valid(cn470(), dr) == (dr <= 5));
        CHECK(uplink_dr_valid(as923(), dr) == (dr <= 7));
        CHECK(uplink_dr_valid(as923(), dr, true) == (dr >= 2 && dr <= 7));  // dwell limit DR2
        CHECK(downlink_dr_valid(as923(), dr, true) == (dr >= 2 && dr <= 7));
    }
    CHECK(min_uplink_dr(as923(), true) == 2);
    CHECK(min_uplink_dr(as923(), false) == 0);
    CHECK(min_uplink_dr(au915(), true) == 0);  // no AU915 dwell time in 1.0.2rB
    CHECK(as923().default_uplink_dwell_time);
    CHECK(as923().default_downlink_dwell_time);
    CHECK(as923().tx_param_setup);
    for (region_id id : all_regions) {
        if (id != region_id::as923) {
            CHECK_FALSE(region(id).tx_param_setup);
            CHECK_FALSE(region(id).default_uplink_dwell_time);
        }
    }
}

TEST_CASE("region: LoRaWAN modulations, CRC on uplinks only", "[radio_sim][region]") {
    const auto up = lorawan_modulation(eu868(), 0, true);
    REQUIRE(up.has_value());
    CHECK(up->spreading_factor == 12);
    CHECK(up->bandwidth_hz == 125000);
    CHECK(up->coding_rate == 1);
    CHECK(up->preamble_symbols == 8);
    CHECK_FALSE(up->implicit_header);
    CHECK(up->crc_on);
    const auto down = lorawan_modulation(eu868(), 0, false);
    REQUIRE(down.has_value());
    CHECK_FALSE(down->crc_on);
    // radio.md 1.3 row 6: a 23-byte join request at EU868 DR0; row 7: a 17-byte join accept in RX2.
    CHECK(time_on_air_us(*up, 23) == 1'482'752);
    const auto rx2 = lorawan_modulation(eu868(), eu868().rx2_dr, false);
    REQUIRE(rx2.has_value());
    CHECK(time_on_air_us(*rx2, 17) == 1'155'072);
    // radio.md 1.3 row 5: the largest EU868 DR5 PHYPayload (M = 250).
    CHECK(uplink_airtime_us(eu868(), 5, 255) == 399'616);
    CHECK_FALSE(lorawan_modulation(eu868(), 7, true).has_value());  // FSK
    CHECK_FALSE(lorawan_modulation(us915(), 5, true).has_value());  // RFU
}

// --- payload limits ----------------------------------------------------------------------------

TEST_CASE("region: max application payload per DR, pycom-api.md 3.6", "[radio_sim][region]") {
    const std::vector<int> eu_like{51, 51, 51, 115, 242, 242, 242, 242};
    CHECK(n_table(eu868(), 8) == eu_like);
    CHECK(n_table(in865(), 8) == eu_like);
    CHECK(n_table(eu433(), 8) == eu_like);
    CHECK(n_table(as923(), 8, false) == eu_like);  // dwell time 0, after TxParamSetupReq
    CHECK(n_table(as923(), 8, true) == std::vector<int>{0, 0, 11, 53, 125, 242, 242, 242});
    CHECK(n_table(us915(), 8) == std::vector<int>{11, 53, 125, 242, 242, -1, -1, -1});
    CHECK(n_table(au915(), 8) == std::vector<int>{51, 51, 51, 115, 242, 242, 242, -1});
    CHECK(n_table(cn470(), 7) == std::vector<int>{51, 51, 51, 115, 222, 222, -1});  // DR6 out of table
    // AS923 with the firmware default (dwell time 1): SO_DR 0 or 1 fails every non-empty send.
    CHECK(max_payload_n(as923(), 0, as923().default_uplink_dwell_time) == 0);
    CHECK(max_payload_n(as923(), 1, as923().default_uplink_dwell_time) == 0);
    // Dwell time changes nothing outside AS923.
    CHECK(n_table(au915(), 8, true) == n_table(au915(), 8, false));
    CHECK(n_table(us915(), 8, true) == n_table(us915(), 8, false));
    CHECK_FALSE(max_payload_n(eu868(), 16).has_value());
    CHECK_FALSE(max_payload_n(eu868(), -1).has_value());
}

TEST_CASE("region: downlink payload limits and the AS923 downlink dwell table", "[radio_sim][region]") {
    // radio.md 2.3: US915 downlink N 53,129,242,242,242,242 for DR8..DR13 (M 61, 137, 250...).
    std::vector<int> us_dl;
    std::vector<int> us_dl_m;
    for (int dr = 8; dr <= 13; ++dr) {
        us_dl.push_back(max_payload_n(us915(), dr, false, link_direction::downlink).value_or(-1));
        us_dl_m.push_back(max_macpayload_m(us915(), dr, false, link_direction::downlink).value_or(-1));
    }
    CHECK(us_dl == std::vector<int>{53, 129, 242, 242, 242, 242});
    CHECK(us_dl_m == std::vector<int>{61, 137, 250, 250, 250, 250});
    CHECK(max_payload_n(au915(), 8, false, link_direction::downlink) == 53);
    CHECK(max_payload_n(au915(), 9, false, link_direction::downlink) == 129);
    // radio.md 2.5: the firmware's AS923 dwell-1 downlink table carries a 126 (spec: 125).
    CHECK(max_payload_n(as923(), 4, true, link_direction::downlink) == 126);
    CHECK(max_payload_n(as923(), 4, true, link_direction::uplink) == 125);
}

TEST_CASE("region: MACPayload M = N + 8 matches the RP 1.0.2rB tables", "[radio_sim][region]") {
    // radio.md 2.2, 2.3, 2.4, 2.5, 2.6 "M (no repeater)" columns.
    CHECK(m_table(eu868(), 8) == std::vector<int>{59, 59, 59, 123, 250, 250, 250, 250});
    CHECK(m_table(us915(), 5) == std::vector<int>{19, 61, 133, 250, 250});
    CHECK(m_table(au915(), 7) == std::vector<int>{59, 59, 59, 123, 250, 250, 250});
    CHECK(m_table(as923(), 8, false) == std::vector<int>{59, 59, 59, 123, 250, 250, 250, 250});
    CHECK(m_table(as923(), 8, true) == std::vector<int>{8, 8, 19, 61, 133, 250, 250, 250});  // DR0/1 "n/a"
    CHECK(m_table(in865(), 6) == std::vector<int>{59, 59, 59, 123, 250, 250});
    // CN470: the firmware's N table uses the repeater column (DR4/5 222, M 230).
    CHECK(m_table(cn470(), 6) == std::vector<int>{59, 59, 59, 123, 230, 230});
}

TEST_CASE("region: repeater-compatible tables", "[radio_sim][region]") {
    // radio.md 2.2: EU868 repeater M/N 230/222 for DR4-7; 2.3: US915 DR8 41/33, DR9 117/109.
    for (int dr = 4; dr < 8; ++dr) {
        CHECK(eu868().payload_n_repeater[static_cast<std::size_t>(dr)] == 222);
    }
    CHECK(eu868().payload_n_repeater[3] == 115);
    CHECK(us915().payload_n_repeater[8] == 33);
    CHECK(us915().payload_n_repeater[9] == 109);
    CHECK(us915().payload_n_repeater[10] == 222);
    CHECK(us915().payload_n_repeater[3] == 242);  // 1.0.2rB: 250/242 (RP002: 230/222)
    CHECK(au915().payload_n_repeater[8] == 33);
    CHECK(au915().payload_n_repeater[6] == 222);
}

TEST_CASE("region: the dwell-time tables are the largest frames within 400 ms", "[radio_sim][region]") {
    // radio.md 1.4: PL = M + 5 with CRC on, explicit header, CR 4/5 and an 8-symbol preamble;
    // M = 19, 61, 133, 250 at SF10..SF7/125 in US915 DR0-DR3 and AS923 with dwell time 1.
    struct row {
        const lorawan_region* r;
        int dr;
        bool dwell;
        time_us airtime_us;  // of the largest PL, from radio.md 1.4
    };
    const std::vector<row> rows{{&us915(), 0, false, 370'688}, {&us915(), 1, false, 390'144},
                                {&us915(), 2, false, 399'872}, {&us915(), 3, false, 399'616},
                                {&as923(), 2, true, 370'688},  {&as923(), 3, true, 390'144},
                                {&as923(), 4, true, 399'872},  {&as923(), 5, true, 399'616}};
    for (const row& x : rows) {
        CAPTURE(x.r->name, x.dr);
        const auto m = max_macpayload_m(*x.r, x.dr, x.dwell);
        REQUIRE(m.has_value());
        const std::size_t pl = static_cast<std::size_t>(*m) + mhdr_mic_bytes;
        CHECK(uplink_airtime_us(*x.r, x.dr, pl) == x.airtime_us);
        CHECK(uplink_airtime_us(*x.r, x.dr, pl) <= dwell_limit_us);
        if (pl < max_phy_payload_bytes) {
            CHECK(uplink_airtime_us(*x.r, x.dr, pl + 1) > dwell_limit_us);  // one byte more breaks it
        }
    }
    // radio.md 1.4: one byte more at SF10, SF9, SF8.
    CHECK(uplink_airtime_us(us915(), 0, 25) == 411'648);
    CHECK(uplink_airtime_us(us915(), 1, 67) == 410'624);
    CHECK(uplink_airtime_us(us915(), 2, 139) == 410'112);
    // The 500 kHz uplink DR4 stays well inside 400 ms at its maximum.
    CHECK(uplink_airtime_us(us915(), 4, *max_macpayload_m(us915(), 4) + mhdr_mic_bytes) <= dwell_limit_us);
}

TEST_CASE("region: every uplink DR's largest frame fits the 255-byte radio buffer", "[radio_sim][region]") {
    for (region_id id : all_regions) {
        const lorawan_region& r = region(id);
        for (int dr = 0; dr < max_data_rates; ++dr) {
            for (bool dwell : {false, true}) {
                const auto m = max_macpayload_m(r, dr, dwell);
                if (m) {
                    CAPTURE(r.name, dr, dwell);
                    CHECK(static_cast<std::size_t>(*m) + mhdr_mic_bytes <= max_phy_payload_bytes);
                }
            }
        }
    }
}

// --- channels, RX1, RX2 ------------------------------------------------------------------------

TEST_CASE("region: default channels, RX2 and channel counts, pycom-api.md 4.6", "[radio_sim][region]") {
    struct row {
        const lorawan_region* r;
        std::vector<std::int64_t> defaults_hz;
        std::int64_t rx2_hz;
        int rx2_dr;
        int max_channels;
    };
    const std::vector<row> rows{
        {&eu868(), {868100000, 868300000, 868500000}, 869525000, 0, 16},
        {&as923(), {923200000, 923400000}, 923200000, 2, 16},
        {&in865(), {865062500, 865402500, 865985000}, 866550000, 2, 16},
        {&eu433(), {433175000, 433375000, 433575000}, 434665000, 0, 16},
        {&us915(), {}, 923300000, 8, 72},
        {&au915(), {}, 923300000, 8, 72},
        {&cn470(), {}, 505300000, 0, 96},
    };
    for (const row& x : rows) {
        CAPTURE(x.r->name);
        CHECK(x.r->rx2_frequency_hz == x.rx2_hz);
        CHECK(x.r->rx2_dr == x.rx2_dr);
        CHECK(x.r->max_channels == x.max_channels);
        const std::vector<channel> chans = initial_channels(*x.r);
        REQUIRE(chans.size() == static_cast<std::size_t>(x.max_channels));
        if (x.r->plan == channel_plan_kind::dynamic) {
            REQUIRE(x.r->default_channel_count == static_cast<int>(x.defaults_hz.size()));
            for (std::size_t i = 0; i < x.defaults_hz.size(); ++i) {
                CHECK(chans[i].frequency_hz == x.defaults_hz[i]);
                CHECK(chans[i].dr_min == 0);
                CHECK(chans[i].dr_max == 5);
            }
            for (std::size_t i = x.defaults_hz.size(); i < chans.size(); ++i) {
                CHECK(chans[i].frequency_hz == 0);
            }
            CHECK(mask_count(initial_channel_mask(*x.r), 0, 96) == static_cast<int>(x.defaults_hz.size()));
        } else {
            // The firmware enables every channel of a fixed plan.
            CHECK(mask_count(initial_channel_mask(*x.r), 0, 96) == x.max_channels);
        }
    }
    CHECK(eu433().binding_max_channels == 0);  // pycom-api.md 4.5: not checked
    CHECK(cn470().binding_max_channels == 96);
}

TEST_CASE("region: the fixed channel plans of US915, AU915 and CN470", "[radio_sim][region]") {
    // radio.md 2.3: 902.3 + 0.2n MHz (DR0-3), 903.0 + 1.6(n-64) MHz (DR4).
    CHECK(fixed_channel(us915(), 0).frequency_hz == 902300000);
    CHECK(fixed_channel(us915(), 1).frequency_hz == 902500000);
    CHECK(fixed_channel(us915(), 63).frequency_hz == 914900000);
    CHECK(fixed_channel(us915(), 0).dr_max == 3);
    CHECK(fixed_channel(us915(), 64).frequency_hz == 903000000);
    CHECK(fixed_channel(us915(), 71).frequency_hz == 914200000);
    CHECK(fixed_channel(us915(), 64).dr_min == 4);
    CHECK(fixed_channel(us915(), 64).dr_max == 4);
    CHECK(fixed_channel(us915(), 72).frequency_hz == 0);
    // radio.md 2.4: 915.2 + 0.2n MHz (DR0-5), 915.9 + 1.6(n-64) MHz (DR6).
    CHECK(fixed_channel(au915(), 0).frequency_hz == 915200000);
    CHECK(fixed_channel(au915(), 63).frequency_hz == 927800000);
    CHECK(fixed_channel(au915(), 0).dr_max == 5);
    CHECK(fixed_channel(au915(), 64).frequency_hz == 915900000);
    CHECK(fixed_channel(au915(), 71).frequency_hz == 927100000);
    CHECK(fixed_channel(au915(), 71).dr_min == 6);
    // radio.md 2.6: CN470 470.3 + 0.2n MHz, 96 channels.
    CHECK(fixed_channel(cn470(), 0).frequency_hz == 470300000);
    CHECK(fixed_channel(cn470(), 95).frequency_hz == 489300000);
    CHECK(fixed_channel(cn470(), 96).frequency_hz == 0);
    CHECK(fixed_channel(eu868(), 0).frequency_hz == 0);  // dynamic plans have no grid
}

TEST_CASE("region: RX1 frequency per region", "[radio_sim][region]") {
    const channel up = ch(867100000, 0, 5);
    CHECK(rx1_frequency_hz(eu868(), 3, up) == 867100000);  // same as the uplink
    channel moved = up;
    moved.rx1_frequency_hz = 869525000;  // a DlChannelReq override
    CHECK(rx1_frequency_hz(eu868(), 3, moved) == 869525000);
    CHECK(rx1_frequency_hz(as923(), 0, ch(923200000, 0, 5)) == 923200000);
    CHECK(rx1_frequency_hz(in865(), 2, ch(865985000, 0, 5)) == 865985000);
    CHECK(rx1_frequency_hz(eu433(), 1, ch(433375000, 0, 5)) == 433375000);
    // radio.md 2.3/2.4: 923.3 MHz + 600 kHz * (channel % 8).
    for (const lorawan_region* r : {&us915(), &au915()}) {
        CAPTURE(r->name);
        CHECK(rx1_frequency_hz(*r, 0, fixed_channel(*r, 0)) == 923300000);
        CHECK(rx1_frequency_hz(*r, 7, fixed_channel(*r, 7)) == 927500000);
        CHECK(rx1_frequency_hz(*r, 8, fixed_channel(*r, 8)) == 923300000);
        CHECK(rx1_frequency_hz(*r, 13, fixed_channel(*r, 13)) == 926300000);
        CHECK(rx1_frequency_hz(*r, 65, fixed_channel(*r, 65)) == 923900000);
        CHECK(rx1_frequency_hz(*r, 71, fixed_channel(*r, 71)) == 927500000);
    }
    // radio.md 2.6: CN470 500.3 MHz + 200 kHz * (channel % 48).
    CHECK(rx1_frequency_hz(cn470(), 0, fixed_channel(cn470(), 0)) == 500300000);
    CHECK(rx1_frequency_hz(cn470(), 47, fixed_channel(cn470(), 47)) == 509700000);
    CHECK(rx1_frequency_hz(cn470(), 48, fixed_channel(cn470(), 48)) == 500300000);
    CHECK(rx1_frequency_hz(cn470(), 95, fixed_channel(cn470(), 95)) == 509700000);
}

TEST_CASE("region: US915 RX1 DR table", "[radio_sim][region]") {
    // radio.md 2.3.
    const int table[5][4] = {{10, 9, 8, 8}, {11, 10, 9, 8}, {12, 11, 10, 9}, {13, 12, 11, 10}, {13, 13, 12, 11}};
    for (int dr = 0; dr < 5; ++dr) {
        for (int off = 0; off < 4; ++off) {
            CAPTURE(dr, off);
            CHECK(rx1_data_rate(us915(), dr, off) == table[dr][off]);
        }
    }
    CHECK(us915().max_rx1_dr_offset == 3);
    CHECK(rx1_data_rate(us915(), 0, 4) == -1);  // offset out of range
    CHECK(rx1_data_rate(us915(), 5, 0) == -1);  // not an uplink DR
}

TEST_CASE("region: AU915 RX1 DR table", "[radio_sim][region]") {
    // radio.md 2.4.
    const int table[7][6] = {{8, 8, 8, 8, 8, 8},     {9, 8, 8, 8, 8, 8},       {10, 9, 8, 8, 8, 8},
                             {11, 10, 9, 8, 8, 8},   {12, 11, 10, 9, 8, 8},    {13, 12, 11, 10, 9, 8},
                             {13, 13, 12, 11, 10, 9}};
    for (int dr = 0; dr < 7; ++dr) {
        for (int off = 0; off < 6; ++off) {
            CAPTURE(dr, off);
            CHECK(rx1_data_rate(au915(), dr, off) == table[dr][off]);
        }
    }
    CHECK(rx1_data_rate(au915(), 0, 6) == -1);
}

TEST_CASE("region: RX1 DR in EU868, EU433 and CN470 is DR_up - offset, floored at DR0", "[radio_sim][region]") {
    for (int off = 0; off <= 5; ++off) {
        CHECK(rx1_data_rate(eu868(), 5, off) == 5 - off);
        CHECK(rx1_data_rate(eu433(), 5, off) == 5 - off);
    }
    CHECK(rx1_data_rate(eu868(), 0, 3) == 0);
    CHECK(rx1_data_rate(eu868(), 6, 0) == 6);
    CHECK(rx1_data_rate(eu868(), 2, 5) == 0);
    CHECK(rx1_data_rate(eu868(), 5, 6) == -1);
    CHECK(rx1_data_rate(cn470(), 5, 3) == 2);
    CHECK(rx1_data_rate(cn470(), 1, 3) == 0);
    CHECK(rx1_data_rate(cn470(), 5, 4) == -1);  // CN470 offsets 0..3
}

TEST_CASE("region: RX1 DR in AS923 and IN865 uses effective offsets", "[radio_sim][region]") {
    // radio.md 2.5: min(5, max(MinDR, DR_up - eff)), eff = 0..5, -1, -2; MinDR 2 with dwell.
    CHECK(rx1_data_rate(as923(), 5, 0, true) == 5);
    CHECK(rx1_data_rate(as923(), 5, 3, true) == 2);
    CHECK(rx1_data_rate(as923(), 5, 5, true) == 2);   // floored at DR2 with downlink dwell
    CHECK(rx1_data_rate(as923(), 5, 5, false) == 0);  // DR0 without
    CHECK(rx1_data_rate(as923(), 3, 6, true) == 4);   // code 6 = -1 raises the DR
    CHECK(rx1_data_rate(as923(), 3, 7, true) == 5);   // code 7 = -2
    CHECK(rx1_data_rate(as923(), 5, 7, true) == 5);   // capped at DR5
    CHECK(rx1_data_rate(as923(), 7, 0, false) == 5);  // even from DR7
    CHECK(rx1_data_rate(as923(), 2, 0, true) == 2);
    CHECK(rx1_data_rate(as923(), 0, 0, true) == 2);
    CHECK(rx1_data_rate(as923(), 0, 0, false) == 0);
    // radio.md 2.6: IN865 offsets 0..7, 6 and 7 raise the DR; no dwell time.
    CHECK(rx1_data_rate(in865(), 2, 6) == 3);
    CHECK(rx1_data_rate(in865(), 2, 7) == 4);
    CHECK(rx1_data_rate(in865(), 5, 7) == 5);
    CHECK(rx1_data_rate(in865(), 5, 5) == 0);
    CHECK(rx1_data_rate(in865(), 0, 0, true) == 0);
    CHECK(rx1_data_rate(in865(), 6, 0) == -1);  // DR6 is RFU
    CHECK(in865().max_rx1_dr_offset == 7);
}

// --- TX power -----------------------------------------------------------------------------------

TEST_CASE("region: TX power tables", "[radio_sim][region]") {
    // radio.md 2.2: EU868 MaxEIRP 16 dBm, TXPower n = MaxEIRP - 2n, n 0..7.
    for (int n = 0; n <= 7; ++n) {
        CHECK(tx_power_dbm(eu868(), n) == Approx(16.0 - 2 * n));
        CHECK(tx_power_index_valid(eu868(), n));
    }
    CHECK_FALSE(tx_power_index_valid(eu868(), 8));
    CHECK_FALSE(tx_power_index_valid(eu868(), -1));
    // radio.md 2.3: US915 30 dBm - 2 * TXPower, 0..10.
    CHECK(tx_power_dbm(us915(), 0) == Approx(30.0));
    CHECK(tx_power_dbm(us915(), 10) == Approx(10.0));
    CHECK(tx_power_index_valid(us915(), 10));
    CHECK_FALSE(tx_power_index_valid(us915(), 11));
    // radio.md 2.4 and 2.5: AU915 MaxEIRP 30, AS923 16.
    CHECK(au915().max_eirp_dbm == Approx(30.0));
    CHECK(as923().max_eirp_dbm == Approx(16.0));
    CHECK(tx_power_dbm(as923(), 7) == Approx(2.0));
    CHECK(in865().max_eirp_dbm == Approx(30.0));
    CHECK(eu433().max_eirp_dbm == Approx(12.15));
    CHECK(eu433().max_tx_power_index == 5);
    CHECK(cn470().max_eirp_dbm == Approx(19.15));
    // The radio's conducted power: floor(EIRP - 2n - antenna gain).
    CHECK(radio_tx_power_dbm(eu868(), 0) == 13);
    CHECK(radio_tx_power_dbm(eu868(), 7) == -1);
    CHECK(radio_tx_power_dbm(us915(), 0) == 30);
    CHECK(radio_tx_power_dbm(eu433(), 0) == 10);
}

TEST_CASE("region: US915 power limits and TxParamSetup's EIRP encoding", "[radio_sim][region]") {
    const channel_mask all = initial_channel_mask(us915());
    CHECK(limit_tx_power_index(us915(), 0, 4, all) == 2);  // DR4 at most 26 dBm
    CHECK(limit_tx_power_index(us915(), 3, 4, all) == 3);
    CHECK(limit_tx_power_index(us915(), 0, 0, all) == 0);
    channel_mask sub_band_2{};
    sub_band_2[0] = 0xFF00;
    CHECK(limit_tx_power_index(us915(), 0, 0, sub_band_2) == 5);  // under 50 channels: 21 dBm
    CHECK(limit_tx_power_index(eu868(), 0, 5, initial_channel_mask(eu868())) == 0);
    const double encoding[16] = {8, 10, 12, 13, 14, 16, 18, 20, 21, 24, 26, 27, 29, 30, 33, 36};
    for (int i = 0; i < 16; ++i) {
        CHECK(max_eirp_from_index(i) == Approx(encoding[i]));
    }
}

// --- the Pycom API's DR rules --------------------------------------------------------------------

TEST_CASE("region: socket DR defaults and SO_DR ranges, pycom-api.md 3.1 and 3.2", "[radio_sim][region]") {
    CHECK(eu868().default_socket_dr == 5);
    CHECK(as923().default_socket_dr == 5);
    CHECK(eu433().default_socket_dr == 5);
    CHECK(cn470().default_socket_dr == 5);
    CHECK(us915().default_socket_dr == 4);
    CHECK(au915().default_socket_dr == 4);
    CHECK(in865().default_socket_dr == 0);
    for (region_id id : all_regions) {
        const lorawan_region& r = region(id);
        const int max_dr = id == region_id::us915 ? 4 : 6;
        for (int dr = -2; dr <= 8; ++dr) {
            CAPTURE(r.name, dr);
            CHECK(so_dr_valid(r, dr) == (dr >= 0 && dr <= max_dr));
        }
        CHECK(so_dr_valid(r, r.default_socket_dr));
    }
}

TEST_CASE("region: join DR defaults and allowed values, pycom-api.md 4.4", "[radio_sim][region]") {
    CHECK(as923().join_dr_default == 2);
    CHECK(au915().join_dr_default == 6);
    CHECK(us915().join_dr_default == 4);
    for (const lorawan_region* r : {&eu868(), &eu433(), &cn470(), &in865()}) {
        CHECK(r->join_dr_default == 5);
    }
    for (int dr = -1; dr <= 15; ++dr) {
        CAPTURE(dr);
        CHECK(join_dr_valid(as923(), dr) == (dr == 2));
        CHECK(join_dr_valid(au915(), dr) == (dr == 0 || dr == 6));
        CHECK(join_dr_valid(us915(), dr) == (dr == 0 || dr == 4));
        CHECK(join_dr_valid(eu868(), dr) == (dr >= 0 && dr <= 5));
        CHECK(join_dr_valid(eu433(), dr) == (dr >= 0 && dr <= 5));
        CHECK(join_dr_valid(cn470(), dr) == (dr >= 0 && dr <= 5));
        CHECK(join_dr_valid(in865(), dr));  // unchecked
    }
    CHECK(join_dr_valid(in865(), 200));
    for (region_id id : all_regions) {
        CHECK(join_dr_valid(region(id), region(id).join_dr_default));
    }
}

TEST_CASE("region: add_channel and remove_channel argument checks, pycom-api.md 4.5", "[radio_sim][region]") {
    CHECK(check_add_channel(eu868(), 3, 0, 5) == add_channel_error::none);
    CHECK(check_add_channel(eu868(), 15, 0, 6) == add_channel_error::none);
    CHECK(check_add_channel(eu868(), 16, 0, 5) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(eu868(), -1, 0, 5) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(eu868(), 3, 5, 0) == add_channel_error::invalid_argument);
    CHECK(check_add_channel(eu868(), 3, 0, 7) == add_channel_error::invalid_argument);
    CHECK(check_add_channel(eu868(), 3, -1, 5) == add_channel_error::invalid_argument);
    CHECK(check_add_channel(eu868(), 16, 5, 0) == add_channel_error::channel_out_of_range);  // index first
    CHECK(check_add_channel(as923(), 15, 0, 7) == add_channel_error::invalid_argument);
    CHECK(check_add_channel(in865(), 16, 0, 5) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(us915(), 71, 4, 4) == add_channel_error::none);
    CHECK(check_add_channel(us915(), 72, 4, 4) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(us915(), 64, 4, 5) == add_channel_error::invalid_argument);
    CHECK(check_add_channel(au915(), 71, 6, 6) == add_channel_error::none);
    CHECK(check_add_channel(au915(), 72, 6, 6) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(cn470(), 95, 0, 5) == add_channel_error::none);
    CHECK(check_add_channel(cn470(), 96, 0, 5) == add_channel_error::channel_out_of_range);
    CHECK(check_add_channel(eu433(), 100, 0, 5) == add_channel_error::none);  // EU433: not checked
    CHECK(check_remove_channel(eu868(), 0) == add_channel_error::none);  // the MAC ignores it silently
    CHECK(check_remove_channel(eu868(), 16) == add_channel_error::channel_out_of_range);
    CHECK(check_remove_channel(us915(), 71) == add_channel_error::none);
    CHECK(check_remove_channel(eu433(), 50) == add_channel_error::none);
}

TEST_CASE("region: what the MAC does with add_channel and remove_channel", "[radio_sim][region]") {
    // EU868 default channels: their frequency may change, their DRs must be DR0..DR5+.
    CHECK(manual_channel_add(eu868(), 0, ch(868100000, 0, 5)) == channel_add_status::ok);
    CHECK(manual_channel_add(eu868(), 0, ch(868100000, 1, 5)) == channel_add_status::datarate_invalid);
    CHECK(manual_channel_add(eu868(), 1, ch(868300000, 0, 4)) == channel_add_status::datarate_invalid);
    CHECK(manual_channel_add(eu868(), 3, ch(867100000, 0, 5)) == channel_add_status::ok);
    CHECK(manual_channel_add(eu868(), 3, ch(867100000, 3, 3)) == channel_add_status::ok);
    CHECK(manual_channel_add(eu868(), 3, ch(867100000, 0, 7)) == channel_add_status::datarate_invalid);
    CHECK(manual_channel_add(eu868(), 3, ch(870500000, 0, 5)) == channel_add_status::frequency_invalid);
    CHECK(manual_channel_add(eu868(), 3, ch(868650000, 0, 5)) == channel_add_status::frequency_invalid);  // gap
    CHECK(manual_channel_add(eu868(), 3, ch(862000000, 5, 0)) ==
          channel_add_status::frequency_and_datarate_invalid);
    CHECK(manual_channel_add(eu868(), 16, ch(867100000, 0, 5)) == channel_add_status::parameter_invalid);
    CHECK(manual_channel_add(as923(), 2, ch(922000000, 0, 5)) == channel_add_status::ok);
    CHECK(manual_channel_add(as923(), 2, ch(914000000, 0, 5)) == channel_add_status::frequency_invalid);
    CHECK(manual_channel_add(in865(), 3, ch(866000000, 0, 5)) == channel_add_status::ok);
    CHECK(manual_channel_add(in865(), 3, ch(868000000, 0, 5)) == channel_add_status::frequency_invalid);
    CHECK(manual_channel_add(eu433(), 3, ch(434000000, 0, 5)) == channel_add_status::ok);
    CHECK(manual_channel_add(eu433(), 3, ch(435000000, 0, 5)) == channel_add_status::frequency_invalid);
    // US915: 125 kHz channels start at DR0; DRs up to DR4; 902-928 MHz.
    CHECK(manual_channel_add(us915(), 10, ch(904300000, 0, 3)) == channel_add_status::ok);
    CHECK(manual_channel_add(us915(), 10, ch(904300000, 1, 3)) == channel_add_status::datarate_invalid);
    CHECK(manual_channel_add(us915(), 65, ch(904600000, 4, 4)) == channel_add_status::ok);
    CHECK(manual_channel_add(us915(), 65, ch(930000000, 4, 4)) == channel_add_status::frequency_invalid);
    CHECK(manual_channel_add(us915(), 72, ch(904600000, 4, 4)) == channel_add_status::parameter_invalid);
    CHECK(manual_channel_add(au915(), 65, ch(917500000, 6, 6)) == channel_add_status::ok);
    CHECK(manual_channel_add(cn470(), 0, ch(470300000, 0, 5)) == channel_add_status::parameter_invalid);
    // EU868 default channels 0-2 cannot be removed (silently ignored).
    CHECK_FALSE(manual_channel_remove(eu868(), 0));
    CHECK_FALSE(manual_channel_remove(eu868(), 2));
    CHECK(manual_channel_remove(eu868(), 3));
    CHECK_FALSE(manual_channel_remove(eu868(), 16));
    CHECK_FALSE(manual_channel_remove(as923(), 1));
    CHECK(manual_channel_remove(as923(), 2));
    CHECK(manual_channel_remove(us915(), 0));
    CHECK(manual_channel_remove(us915(), 71));
    CHECK_FALSE(manual_channel_remove(us915(), 72));
    CHECK_FALSE(manual_channel_remove(cn470(), 10));
}

// --- MAC commands ---------------------------------------------------------------------------------

TEST_CASE("region: LinkADRReq in EU868", "[radio_sim][region]") {
    const lorawan_region& r = eu868();
    const std::vector<channel> chans = initial_channels(r);
    const link_adr_state now = initial_state(r, 5);
    SECTION("all three default channels, DR3, power 2") {
        const auto res = link_adr_request(r, chans, now, {adr(3, 2, 0x0007, 0)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.accepted);
        CHECK(res.state.dr == 3);
        CHECK(res.state.tx_power_index == 2);
        CHECK(res.state.mask[0] == 0x0007);
    }
    SECTION("a smaller mask") {
        const auto res = link_adr_request(r, chans, now, {adr(0, 0, 0x0001, 0)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.state.mask[0] == 0x0001);
    }
    SECTION("all channels off is refused") {
        const auto res = link_adr_request(r, chans, now, {adr(3, 2, 0x0000, 0)}, true);
        CHECK(res.status == 0x04);  // and with no channel enabled, no channel serves the DR
        CHECK_FALSE(res.accepted);
        CHECK(res.state.dr == 5);  // nothing applied
        CHECK(res.state.mask == now.mask);
    }
    SECTION("an undefined channel is refused") {
        const auto res = link_adr_request(r, chans, now, {adr(3, 2, 0x000F, 0)}, true);
        CHECK(res.status == 0x06);
    }
    SECTION("ChMaskCntl 6 turns on every defined channel") {
        auto more = chans;
        more[3] = ch(867100000, 0, 5);
        const auto res = link_adr_request(r, more, now, {adr(2, 0, 0x0000, 6)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.state.mask[0] == 0x000F);
    }
    SECTION("ChMaskCntl 1-5 and 7 are RFU") {
        for (int cntl : {1, 2, 3, 4, 5, 7}) {
            CAPTURE(cntl);
            CHECK(link_adr_request(r, chans, now, {adr(3, 2, 0x0007, cntl)}, true).status == 0x06);
        }
    }
    SECTION("an unsupported DR and power") {
        CHECK(link_adr_request(r, chans, now, {adr(7, 2, 0x0007, 0)}, true).status == 0x05);
        CHECK(link_adr_request(r, chans, now, {adr(6, 2, 0x0007, 0)}, true).status == 0x05);  // no DR6 channel
        CHECK(link_adr_request(r, chans, now, {adr(3, 8, 0x0007, 0)}, true).status == 0x03);
        CHECK(link_adr_request(r, chans, now, {adr(15, 15, 0x0000, 0)}, true).status == 0x00);
    }
    SECTION("NbTrans 0 means 1, and NbTrans is kept") {
        CHECK(link_adr_request(r, chans, now, {adr(3, 2, 0x0007, 0, 0)}, true).state.nb_trans == 1);
        CHECK(link_adr_request(r, chans, now, {adr(3, 2, 0x0007, 0, 3)}, true).state.nb_trans == 3);
    }
    SECTION("with ADR off only the mask may change") {
        const auto res = link_adr_request(r, chans, now, {adr(15, 15, 0x0003, 0, 4)}, false);
        CHECK(res.status == 0x07);
        CHECK(res.state.dr == 5);
        CHECK(res.state.tx_power_index == 0);
        CHECK(res.state.nb_trans == 1);
        CHECK(res.state.mask[0] == 0x0003);
    }
    SECTION("in a block only the last request's mask verdict counts") {
        const auto res = link_adr_request(r, chans, now, {adr(3, 2, 0x0000, 0), adr(4, 1, 0x0006, 0)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.state.dr == 4);
        CHECK(res.state.mask[0] == 0x0006);
    }
}

TEST_CASE("region: LinkADRReq ChMaskCntl 6 and 7 in US915 and AU915", "[radio_sim][region]") {
    const lorawan_region& r = us915();
    const std::vector<channel> chans = initial_channels(r);
    const link_adr_state now = initial_state(r, 0);
    SECTION("sub-band 2: all 125 kHz off with channel 65, then channels 8-15") {
        const auto res = link_adr_request(r, chans, now, {adr(3, 0, 0x0002, 7), adr(3, 0, 0xFF00, 0)}, true);
        CHECK(res.status == 0x07);
        const channel_mask expected{0xFF00, 0, 0, 0, 0x0002, 0};
        CHECK(res.state.mask == expected);
        CHECK(res.state.dr == 3);
    }
    SECTION("ChMaskCntl 6: all 125 kHz channels on, ChMask for 64-71") {
        auto start = now;
        start.mask = channel_mask{};
        const auto res = link_adr_request(r, chans, start, {adr(2, 0, 0x000F, 6)}, true);
        CHECK(res.status == 0x07);
        const channel_mask expected{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0x000F, 0};
        CHECK(res.state.mask == expected);
    }
    SECTION("ChMaskCntl 7 at DR4: only 500 kHz channels") {
        const auto res = link_adr_request(r, chans, now, {adr(4, 0, 0x00FF, 7)}, true);
        CHECK(res.status == 0x07);
        CHECK(mask_count(res.state.mask, 0, 64) == 0);
        CHECK(mask_count(res.state.mask, 64, 72) == 8);
    }
    SECTION("below DR4 at least two 125 kHz channels (FCC), and DR0 needs a 125 kHz channel") {
        CHECK(link_adr_request(r, chans, now, {adr(0, 0, 0x00FF, 7)}, true).status == 0x04);
        CHECK(link_adr_request(r, chans, now, {adr(0, 0, 0x0000, 7), adr(0, 0, 0x0001, 0)}, true).status ==
              0x06);  // one channel: mask KO, DR0 still served by channel 0
        CHECK(link_adr_request(r, chans, now, {adr(0, 0, 0x0000, 7), adr(0, 0, 0x0003, 0)}, true).status ==
              0x07);
    }
    SECTION("ChMaskCntl 5 is RFU; 0-4 set one word") {
        CHECK(link_adr_request(r, chans, now, {adr(1, 0, 0xFFFF, 5)}, true).status == 0x06);
        const auto res = link_adr_request(r, chans, now, {adr(1, 0, 0x00F0, 2)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.state.mask[2] == 0x00F0);
        CHECK(res.state.mask[0] == 0xFFFF);
    }
    SECTION("a 125 kHz DR with only 500 kHz channels, or US915 power index 11") {
        CHECK(link_adr_request(r, chans, now, {adr(3, 11, 0xFFFF, 6)}, true).status == 0x03);
        CHECK(link_adr_request(r, chans, now, {adr(5, 0, 0xFFFF, 6)}, true).status == 0x05);
    }
    SECTION("AU915: the FCC rule below DR6") {
        const lorawan_region& a = au915();
        const auto achans = initial_channels(a);
        const auto anow = initial_state(a, 2);
        CHECK(link_adr_request(a, achans, anow, {adr(6, 0, 0x00FF, 7)}, true).status == 0x07);
        CHECK(link_adr_request(a, achans, anow, {adr(5, 0, 0x00FF, 7)}, true).status == 0x04);
        const auto res = link_adr_request(a, achans, anow, {adr(5, 10, 0x0001, 6)}, true);
        CHECK(res.status == 0x07);
        CHECK(res.state.mask[4] == 0x0001);
        CHECK(res.state.tx_power_index == 10);
    }
}

TEST_CASE("region: LinkADRReq in CN470 and AS923", "[radio_sim][region]") {
    const auto cchans = initial_channels(cn470());
    auto cnow = initial_state(cn470(), 5);
    CHECK(link_adr_request(cn470(), cchans, cnow, {adr(5, 0, 0x00FF, 7)}, true).status == 0x06);
    cnow.mask = channel_mask{};
    const auto all = link_adr_request(cn470(), cchans, cnow, {adr(5, 0, 0, 6)}, true);
    CHECK(all.status == 0x07);
    CHECK(mask_count(all.state.mask, 0, 96) == 96);
    const auto word5 = link_adr_request(cn470(), cchans, initial_state(cn470(), 5), {adr(5, 0, 0x0F00, 5)}, true);
    CHECK(word5.status == 0x07);
    CHECK(word5.state.mask[5] == 0x0F00);
    // AS923 with uplink dwell time 1: DR0 and DR1 are refused.
    const auto achans = initial_channels(as923());
    const auto anow = initial_state(as923(), 2);
    CHECK(link_adr_request(as923(), achans, anow, {adr(1, 0, 0x0003, 0)}, true, true).status == 0x05);
    CHECK(link_adr_request(as923(), achans, anow, {adr(1, 0, 0x0003, 0)}, true, false).status == 0x07);
    CHECK(link_adr_request(as923(), achans, anow, {adr(2, 0, 0x0003, 0)}, true, true).status == 0x07);
}

TEST_CASE("region: RXParamSetupReq", "[radio_sim][region]") {
    CHECK(rx_param_setup_status(eu868(), 0, 0, 869525000) == 0x07);
    CHECK(rx_param_setup_status(eu868(), 5, 3, 868100000) == 0x07);
    CHECK(rx_param_setup_status(eu868(), 0, 0, 868650000) == 0x06);  // between sub-bands
    CHECK(rx_param_setup_status(eu868(), 0, 0, 871000000) == 0x06);
    CHECK(rx_param_setup_status(eu868(), 0, 7, 869525000) == 0x05);
    CHECK(rx_param_setup_status(eu868(), 6, 0, 869525000) == 0x03);
    CHECK(rx_param_setup_status(eu868(), 6, 8, 1) == 0x00);
    // US915: 923.3-927.5 MHz on the 600 kHz grid, DR8-DR13, offsets 0..3.
    CHECK(rx_param_setup_status(us915(), 3, 8, 923300000) == 0x07);
    CHECK(rx_param_setup_status(us915(), 0, 13, 927500000) == 0x07);
    CHECK(rx_param_setup_status(us915(), 0, 8, 923500000) == 0x06);
    CHECK(rx_param_setup_status(us915(), 0, 8, 928100000) == 0x06);
    CHECK(rx_param_setup_status(us915(), 0, 4, 923300000) == 0x05);
    CHECK(rx_param_setup_status(us915(), 4, 8, 923300000) == 0x03);
    CHECK(rx_param_setup_status(au915(), 5, 8, 923900000) == 0x07);
    CHECK(rx_param_setup_status(au915(), 6, 8, 923900000) == 0x03);
    // CN470: 500.3-509.7 MHz on 200 kHz, DR0-DR5, offsets 0..3.
    CHECK(rx_param_setup_status(cn470(), 3, 0, 505300000) == 0x07);
    CHECK(rx_param_setup_status(cn470(), 0, 0, 509900000) == 0x06);
    CHECK(rx_param_setup_status(cn470(), 0, 6, 505300000) == 0x05);
    // AS923 only asks the radio; offsets 0..7.
    CHECK(rx_param_setup_status(as923(), 7, 2, 923200000) == 0x07);
    CHECK(rx_param_setup_status(as923(), 7, 2, 868100000) == 0x07);
    CHECK(rx_param_setup_status(in865(), 7, 2, 866550000) == 0x07);
    CHECK(rx_param_setup_status(in865(), 0, 2, 867500000) == 0x06);
    CHECK(rx_param_setup_status(eu433(), 5, 0, 434665000) == 0x07);
    CHECK(rx_param_setup_status(eu433(), 6, 0, 434665000) == 0x03);
}

TEST_CASE("region: NewChannelReq", "[radio_sim][region]") {
    const auto chans = initial_channels(eu868());
    CHECK(new_channel_status(eu868(), chans, 3, ch(867100000, 0, 5)) == 0x03);
    CHECK(new_channel_status(eu868(), chans, 15, ch(869850000, 0, 5)) == 0x03);
    CHECK(new_channel_status(eu868(), chans, 0, ch(868100000, 0, 5)) == 0x00);  // default channel
    CHECK(new_channel_status(eu868(), chans, 16, ch(867100000, 0, 5)) == 0x00);
    CHECK(new_channel_status(eu868(), chans, 3, ch(867100000, 6, 5)) == 0x01);
    CHECK(new_channel_status(eu868(), chans, 3, ch(867100000, 0, 7)) == 0x01);
    CHECK(new_channel_status(eu868(), chans, 3, ch(871000000, 0, 5)) == 0x02);
    CHECK(new_channel_status(eu868(), chans, 3, ch(871000000, 0, 7)) == 0x00);
    CHECK(new_channel_status(eu868(), chans, 3, ch(0, 0, 0)) == 0x03);  // removal
    CHECK(new_channel_status(eu868(), chans, 1, ch(0, 0, 0)) == 0x00);  // defaults stay
    CHECK(new_channel_status(in865(), initial_channels(in865()), 2, ch(866000000, 0, 5)) == 0x00);
    CHECK(new_channel_status(in865(), initial_channels(in865()), 3, ch(866000000, 0, 5)) == 0x03);
    CHECK(new_channel_status(eu433(), initial_channels(eu433()), 3, ch(433775000, 0, 5)) == 0x03);
    // AS923: a default channel keeps its frequency and DR0..DR5+.
    const auto achans = initial_channels(as923());
    CHECK(new_channel_status(as923(), achans, 0, ch(923200000, 0, 5)) == 0x03);
    CHECK(new_channel_status(as923(), achans, 0, ch(923600000, 0, 5)) == 0x02);
    CHECK(new_channel_status(as923(), achans, 1, ch(923400000, 1, 5)) == 0x01);
    CHECK(new_channel_status(as923(), achans, 2, ch(922000000, 0, 5)) == 0x03);
    CHECK(new_channel_status(as923(), achans, 2, ch(910000000, 0, 5)) == 0x02);
    // Fixed plans refuse it.
    CHECK(new_channel_status(us915(), initial_channels(us915()), 3, ch(903000000, 0, 3)) == 0x00);
    CHECK(new_channel_status(au915(), initial_channels(au915()), 3, ch(916000000, 0, 3)) == 0x00);
    CHECK(new_channel_status(cn470(), initial_channels(cn470()), 3, ch(471000000, 0, 5)) == 0x00);
}

TEST_CASE("region: DlChannelReq", "[radio_sim][region]") {
    const auto chans = initial_channels(eu868());
    CHECK(dl_channel_status(eu868(), chans, 0, 869525000) == 0x03);
    CHECK(dl_channel_status(eu868(), chans, 5, 869525000) == 0x01);  // no uplink channel 5
    CHECK(dl_channel_status(eu868(), chans, 0, 871000000) == 0x02);
    CHECK(dl_channel_status(eu868(), chans, 40, 871000000) == 0x00);
    CHECK(dl_channel_status(as923(), initial_channels(as923()), 1, 923600000) == 0x03);
    CHECK(dl_channel_status(as923(), initial_channels(as923()), 1, 930000000) == 0x02);
    CHECK(dl_channel_status(us915(), initial_channels(us915()), 0, 923300000) == 0x00);
    CHECK(dl_channel_status(cn470(), initial_channels(cn470()), 0, 500300000) == 0x00);
}

TEST_CASE("region: CFList frequencies", "[radio_sim][region]") {
    // radio.md 2.2: 867.1/867.3/867.5/867.7/867.9 MHz encode as 184f84e85684b85e84886684586e8400.
    const std::uint8_t cflist[16] = {0x18, 0x4f, 0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e,
                                     0x84, 0x88, 0x66, 0x84, 0x58, 0x6e, 0x84, 0x00};
    const std::array<std::int64_t, 5> expected{867100000, 867300000, 867500000, 867700000, 867900000};
    CHECK(cflist_frequencies_hz(cflist) == expected);
    const std::uint8_t empty[16] = {};
    CHECK(cflist_frequencies_hz(empty) == std::array<std::int64_t, 5>{});
    CHECK(cflist_first_channel(eu868()) == 3);
    CHECK(cflist_first_channel(as923()) == 2);
    CHECK(cflist_first_channel(in865()) == 3);
    CHECK(cflist_first_channel(us915()) == -1);
    CHECK(cflist_first_channel(cn470()) == -1);
    for (std::int64_t f : expected) {
        CHECK(new_channel_status(eu868(), initial_channels(eu868()), 3, ch(f, 0, 5)) == 0x03);
    }
}

TEST_CASE("region: LinkCheckAns demodulation floors, interop.md 4", "[radio_sim][region]") {
    CHECK(demodulation_floor_snr_db(7) == Approx(-7.5));
    CHECK(demodulation_floor_snr_db(8) == Approx(-10.0));
    CHECK(demodulation_floor_snr_db(9) == Approx(-12.5));
    CHECK(demodulation_floor_snr_db(10) == Approx(-15.0));
    CHECK(demodulation_floor_snr_db(11) == Approx(-17.5));
    CHECK(demodulation_floor_snr_db(12) == Approx(-20.0));
}

// --- DR step-down and ADR back-off ---------------------------------------------------------------

TEST_CASE("region: confirmed retries step the DR down on the 3rd, 5th and 7th transmission",
          "[radio_sim][region]") {
    const std::vector<int> from_dr5{5, 5, 4, 4, 3, 3, 2, 2};
    for (int t = 1; t <= 8; ++t) {
        CAPTURE(t);
        CHECK(confirmed_transmission_dr(eu868(), 5, t) == from_dr5[static_cast<std::size_t>(t - 1)]);
        CHECK(confirmed_transmission_dr(eu868(), 0, t) == 0);
    }
    CHECK(confirmed_transmission_dr(eu868(), 5, 20) == 2);  // capped at 8 transmissions
    CHECK(confirmed_transmission_dr(us915(), 4, 3) == 3);
    CHECK(confirmed_transmission_dr(us915(), 4, 7) == 1);
    // AS923 with uplink dwell time 1 never goes below DR2.
    CHECK(confirmed_transmission_dr(as923(), 3, 3, true) == 2);
    CHECK(confirmed_transmission_dr(as923(), 3, 7, true) == 2);
    CHECK(confirmed_transmission_dr(as923(), 3, 7, false) == 0);
    // IN865 skips the RFU DR6.
    CHECK(confirmed_transmission_dr(in865(), 7, 3) == 5);
    CHECK(confirmed_transmission_dr(in865(), 7, 5) == 4);
    CHECK(next_lower_uplink_dr(in865(), 7) == 5);
    CHECK(next_lower_uplink_dr(eu868(), 0) == 0);
    CHECK(next_lower_uplink_dr(as923(), 2, true) == 2);
}

TEST_CASE("region: ADR back-off", "[radio_sim][region]") {
    const lorawan_region& r = eu868();
    CHECK_FALSE(adr_next(r, true, 5, 3, 63).adr_ack_req);
    const auto at_limit = adr_next(r, true, 5, 3, 64);
    CHECK(at_limit.adr_ack_req);
    CHECK(at_limit.tx_power_index == 0);  // full power
    CHECK(at_limit.dr == 5);
    CHECK(adr_next(r, true, 5, 3, 96).dr == 5);  // 96 % 32 == 0: no step yet
    const auto step = adr_next(r, true, 5, 3, 97);
    CHECK(step.dr == 4);
    CHECK(step.adr_ack_req);
    CHECK(adr_next(r, true, 5, 3, 98).dr == 5);
    CHECK(adr_next(r, true, 4, 3, 129).dr == 3);
    const auto bottom = adr_next(r, true, 1, 0, 161);
    CHECK(bottom.dr == 0);
    CHECK_FALSE(bottom.adr_ack_req);
    CHECK(bottom.restore_default_channels);
    const auto at_min = adr_next(r, true, 0, 2, 500);
    CHECK(at_min.reset_ack_counter);
    CHECK_FALSE(at_min.adr_ack_req);
    CHECK(at_min.tx_power_index == 2);
    const auto off = adr_next(r, false, 5, 3, 1000);
    CHECK(off.dr == 5);
    CHECK(off.tx_power_index == 3);
    CHECK_FALSE(off.adr_ack_req);
    // AS923 with dwell time: the floor is DR2, and a lower DR is first raised to it.
    CHECK(adr_next(as923(), true, 3, 0, 97, true).dr == 2);
    CHECK(adr_next(as923(), true, 3, 0, 97, true).restore_default_channels);
    CHECK(adr_next(as923(), true, 1, 0, 10, true).dr == 2);
    CHECK(adr_next(as923(), true, 1, 0, 10, true).reset_ack_counter);
}

// --- duty cycle -----------------------------------------------------------------------------------

TEST_CASE("region: EU868 duty-cycle sub-bands", "[radio_sim][region]") {
    const lorawan_region& r = eu868();
    const duty_band* g1 = duty_band_of(r, 868100000);
    REQUIRE(g1 != nullptr);
    CHECK(g1->divisor == 100);  // 1 %
    // radio.md 2.2: all three default channels share one band.
    CHECK(duty_band_of(r, 868300000) == g1);
    CHECK(duty_band_of(r, 868500000) == g1);
    CHECK(duty_band_of(r, 868600000) == g1);
    const duty_band* g3 = duty_band_of(r, 869525000);  // RX2
    REQUIRE(g3 != nullptr);
    CHECK(g3->divisor == 10);  // 10 %
    const duty_band* g = duty_band_of(r, 867100000);
    REQUIRE(g != nullptr);
    CHECK(g->divisor == 100);
    CHECK(g != g1);
    CHECK(duty_band_of(r, 868000000) == g);  // 868.0 belongs to 865-868, 868.0 < f to g1
    CHECK(duty_band_of(r, 868000001) == g1);
    const duty_band* low = duty_band_of(r, 863500000);
    REQUIRE(low != nullptr);
    CHECK(low->divisor == 1000);  // 0.1 %
    const duty_band* g2 = duty_band_of(r, 868800000);
    REQUIRE(g2 != nullptr);
    CHECK(g2->divisor == 1000);
    CHECK(g2->group == low->group);  // LoRaMac band 2 holds both 0.1 % ranges
    CHECK(g1->group != g->group);
    const duty_band* g4 = duty_band_of(r, 869850000);
    REQUIRE(g4 != nullptr);
    CHECK(g4->divisor == 100);
    for (std::int64_t gap_hz : {862999999LL, 868650000LL, 869300000LL, 869675000LL, 870000001LL}) {
        CAPTURE(gap_hz);
        CHECK(duty_band_of(r, gap_hz) == nullptr);
        CHECK_FALSE(channel_frequency_valid(r, gap_hz));
    }
    CHECK(r.duty_cycle_in_mac);
    CHECK_FALSE(us915().duty_cycle_in_mac);
    REQUIRE(duty_band_of(us915(), 902300000) != nullptr);
    CHECK(duty_band_of(us915(), 902300000)->divisor == 1);
}

TEST_CASE("region: duty-cycle time-off and the join back-off", "[radio_sim][region]") {
    // radio.md 2.2: a 1 s transmission at 1 % blocks the band for 99 s.
    CHECK(duty_cycle_off_time_us(100, 1'000'000) == 99'000'000);
    // The timer uses the ms-rounded-up airtime: 41.216 ms counts as 42 ms.
    CHECK(duty_cycle_off_time_us(100, 41'216) == 42 * 99 * 1000);
    CHECK(duty_cycle_off_time_us(10, 1'482'752) == 1483 * 9 * 1000);
    CHECK(duty_cycle_off_time_us(1, 1'000'000) == 0);
    // radio.md 2.1: 1 % in the first hour, 0.1 % until 11 h, 0.01 % after.
    constexpr time_us hour_us = 3600LL * 1'000'000;
    CHECK(join_duty_cycle_divisor(0) == 100);
    CHECK(join_duty_cycle_divisor(hour_us - 1) == 100);
    CHECK(join_duty_cycle_divisor(hour_us) == 1000);
    CHECK(join_duty_cycle_divisor(11 * hour_us - 1) == 1000);
    CHECK(join_duty_cycle_divisor(11 * hour_us) == 10000);
}
