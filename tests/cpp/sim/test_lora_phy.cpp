// tests/cpp/sim/test_lora_phy.cpp: LoRa time on air, the firmware's airtime, sensitivity
// and noise floor (radio.md 1.1-1.4, 4.3 and pitfalls 6; pycom-api.md 4.9).
#include "usocket/sim/lora_phy.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::firmware_airtime_ms;
using usocket::sim::lora_modulation;
using usocket::sim::low_data_rate_optimize;
using usocket::sim::noise_floor_dbm;
using usocket::sim::payload_symbols;
using usocket::sim::sensitivity_dbm;
using usocket::sim::symbol_time_us;
using usocket::sim::time_on_air_us;
using usocket::sim::time_us;

namespace {

/// Explicit header, 8-symbol preamble; CRC as given.
lora_modulation modulation(int sf, std::int64_t bw_hz, int cr, bool crc_on = true) {
    lora_modulation m;
    m.spreading_factor = sf;
    m.bandwidth_hz = bw_hz;
    m.coding_rate = cr;
    m.crc_on = crc_on;
    return m;
}

struct golden_row {
    int row;
    std::size_t payload_bytes;
    int sf;
    std::int64_t bw_hz;
    int cr;
    bool crc_on;
    bool ldro;
    time_us exact_us;
    std::uint32_t ceil_ms;
};

// radio.md 1.3, every row (explicit header, preamble 8).
constexpr golden_row golden_table[] = {
    {1, 10, 7, 125000, 1, true, false, 41216, 42},      {2, 14, 7, 125000, 1, true, false, 46336, 47},
    {3, 13, 9, 125000, 1, true, false, 164864, 165},    {4, 20, 12, 125000, 4, true, true, 1712128, 1713},
    {5, 255, 7, 125000, 1, true, false, 399616, 400},   {6, 23, 12, 125000, 1, true, true, 1482752, 1483},
    {7, 17, 12, 125000, 1, false, true, 1155072, 1156}, {8, 20, 12, 250000, 1, true, true, 659456, 660},
};

}  // namespace

TEST_CASE("lora_phy: the golden airtime table of radio.md 1.3, exact to the microsecond", "[radio_sim][lora][phy]") {
    for (const auto& g : golden_table) {
        CAPTURE(g.row);
        const auto m = modulation(g.sf, g.bw_hz, g.cr, g.crc_on);
        CHECK(low_data_rate_optimize(g.sf, g.bw_hz) == g.ldro);
        CHECK(time_on_air_us(m, g.payload_bytes) == g.exact_us);
        // What the firmware reports: floor(ms + 0.999), here the ceiling of the exact value.
        CHECK(firmware_airtime_ms(m, g.payload_bytes) == g.ceil_ms);
        CHECK(static_cast<std::int64_t>(g.ceil_ms) == (g.exact_us + 999) / 1000);
    }
}

TEST_CASE("lora_phy: every airtime is a whole number of quarter symbols", "[radio_sim][lora][phy]") {
    for (int sf = 6; sf <= 12; ++sf) {
        for (const std::int64_t bw : {125000, 250000, 500000}) {
            for (int cr = 1; cr <= 4; ++cr) {
                for (std::size_t pl = 0; pl <= 255; pl += 17) {
                    auto m = modulation(sf, bw, cr);
                    m.implicit_header = sf == 6;
                    const time_us tsym = symbol_time_us(sf, bw);
                    const time_us toa = time_on_air_us(m, pl);
                    CAPTURE(sf, bw, cr, pl);
                    CHECK((4 * toa) % tsym == 0);
                    // (preamble + 4.25 + payload symbols) * Tsym, in quarter symbols.
                    CHECK(4 * toa / tsym == 4 * m.preamble_symbols + 17 + 4 * payload_symbols(m, pl));
                }
            }
        }
    }
}

TEST_CASE("lora_phy: symbol times of radio.md 1.1", "[radio_sim][lora][phy]") {
    CHECK(symbol_time_us(6, 125000) == 512);
    CHECK(symbol_time_us(7, 125000) == 1024);
    CHECK(symbol_time_us(7, 250000) == 512);
    CHECK(symbol_time_us(7, 500000) == 256);
    CHECK(symbol_time_us(9, 125000) == 4096);
    CHECK(symbol_time_us(11, 125000) == 16384);
    CHECK(symbol_time_us(11, 250000) == 8192);
    CHECK(symbol_time_us(12, 125000) == 32768);
    CHECK(symbol_time_us(12, 250000) == 16384);
    CHECK(symbol_time_us(12, 500000) == 8192);
}

TEST_CASE("lora_phy: pycom-api 4.9 examples through firmware_airtime_ms", "[radio_sim][lora][phy]") {
    const auto sf7 = modulation(7, 125000, 1);
    const auto sf12 = modulation(12, 125000, 1);
    CHECK(firmware_airtime_ms(sf7, 4) == 31);
    CHECK(firmware_airtime_ms(sf7, 13) == 47);
    CHECK(firmware_airtime_ms(sf12, 4) == 828);
    CHECK(firmware_airtime_ms(sf7, 255) == 400);
    // LoRaWAN: a 3-byte application payload is a 16-byte PHY payload (+13).
    CHECK(firmware_airtime_ms(sf7, 3 + 13) == 52);
    CHECK(firmware_airtime_ms(sf12, 3 + 13) == 1319);
    // The exact values behind them.
    CHECK(time_on_air_us(sf7, 4) == 30976);
    CHECK(time_on_air_us(sf12, 4) == 827392);
    CHECK(time_on_air_us(sf7, 16) == 51456);
    CHECK(time_on_air_us(sf12, 16) == 1318912);
}

TEST_CASE("lora_phy: the LDRO rule is the driver's (symbol over 16 ms)", "[radio_sim][lora][phy]") {
    CHECK(low_data_rate_optimize(11, 125000));
    CHECK(low_data_rate_optimize(12, 125000));
    CHECK(low_data_rate_optimize(12, 250000));  // pitfall 3: tools that only look at 125 kHz miss it
    CHECK_FALSE(low_data_rate_optimize(10, 125000));
    CHECK_FALSE(low_data_rate_optimize(11, 250000));  // LMIC's SF >= 11 rule wrongly sets it
    CHECK_FALSE(low_data_rate_optimize(11, 500000));
    CHECK_FALSE(low_data_rate_optimize(12, 500000));
    CHECK_FALSE(low_data_rate_optimize(7, 125000));

    SECTION("SF11/250: LDRO off, 20 B last 329.728 ms (LMIC's LDRO-on value would be 370.688)") {
        const auto m = modulation(11, 250000, 1);
        CHECK(payload_symbols(m, 20) == 28);
        CHECK(time_on_air_us(m, 20) == 329728);
        CHECK(firmware_airtime_ms(m, 20) == 330);
    }
    SECTION("SF12/250: LDRO on; 23 B tell the two rules apart (20 B, golden row 8, do not)") {
        const auto m = modulation(12, 250000, 1);
        // den = 4 * (12 - 2) = 40: ceil(180 / 40) = 5 blocks; without LDRO ceil(180 / 48) = 4.
        CHECK(payload_symbols(m, 23) == 8 + 5 * 5);
        CHECK(time_on_air_us(m, 23) == 741376);
        CHECK(firmware_airtime_ms(m, 23) == 742);
        CHECK(time_on_air_us(m, 20) == 659456);
    }
    SECTION("SF12/125 with LDRO: 23 B join-request at EU868 DR0") {
        const auto m = modulation(12, 125000, 1);
        CHECK(payload_symbols(m, 23) == 8 + 5 * 5);
        CHECK(time_on_air_us(m, 23) == 1482752);
    }
}

TEST_CASE("lora_phy: pitfall 4, a join-accept downlink has no CRC", "[radio_sim][lora][phy]") {
    const auto downlink = modulation(12, 125000, 1, false);
    const auto wrong = modulation(12, 125000, 1, true);
    CHECK(time_on_air_us(downlink, 17) == 1155072);
    CHECK(firmware_airtime_ms(downlink, 17) == 1156);
    CHECK(time_on_air_us(wrong, 17) == 1318912);
    CHECK(firmware_airtime_ms(wrong, 17) == 1319);
    // With a CFList the join-accept is 33 bytes.
    CHECK(time_on_air_us(downlink, 33) == 1810432);
}

TEST_CASE("lora_phy: the preamble is the programmed count plus 4.25 symbols", "[radio_sim][lora][phy]") {
    auto m = modulation(7, 125000, 1);
    const time_us eight = time_on_air_us(m, 10);
    m.preamble_symbols = 12;
    CHECK(time_on_air_us(m, 10) == eight + 4 * 1024);
    m.preamble_symbols = 6;
    CHECK(time_on_air_us(m, 10) == eight - 2 * 1024);
    // 12.25 preamble symbols at Npre = 8.
    m.preamble_symbols = 8;
    CHECK(time_on_air_us(m, 10) == (12 * 1024 + 256) + payload_symbols(m, 10) * 1024);
}

TEST_CASE("lora_phy: ceil before multiplying by CR+4 (pitfall 1)", "[radio_sim][lora][phy]") {
    // 10 B at SF7/125, CR 4/8: num = 80 - 28 + 44 = 96, den = 28. ceil(96/28) * 8 = 32;
    // ceil(96 * 8 / 28) would be 28.
    const auto m = modulation(7, 125000, 4);
    CHECK(payload_symbols(m, 10) == 8 + 32);
    // Payload symbols grow in blocks of CR + 4: neighbouring lengths share an airtime.
    const auto cr45 = modulation(7, 125000, 1);
    CHECK(time_on_air_us(cr45, 9) == time_on_air_us(cr45, 12));
    CHECK(time_on_air_us(cr45, 8) == time_on_air_us(cr45, 9) - 5 * 1024);
    CHECK(time_on_air_us(cr45, 13) == time_on_air_us(cr45, 12) + 5 * 1024);
}

TEST_CASE("lora_phy: dwell-time cross-check of radio.md 1.4 (400 ms)", "[radio_sim][lora][phy]") {
    struct dwell {
        int sf;
        std::size_t largest;
        time_us largest_us;
        time_us next_us;  // the next length, over 400 ms (0: none, 255 is the maximum)
    };
    const dwell cases[] = {
        {10, 24, 370688, 411648},
        {9, 66, 390144, 410624},
        {8, 138, 399872, 410112},
        {7, 255, 399616, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.sf);
        const auto m = modulation(c.sf, 125000, 1);
        CHECK(time_on_air_us(m, c.largest) == c.largest_us);
        CHECK(time_on_air_us(m, c.largest) <= 400000);
        if (c.next_us != 0) {
            CHECK(time_on_air_us(m, c.largest + 1) == c.next_us);
        }
        // Largest PL within 400 ms, found by search: M = PL - 5 is 19, 61, 133, 250.
        std::size_t largest = 0;
        for (std::size_t pl = 0; pl <= 255; ++pl) {
            if (time_on_air_us(m, pl) <= 400000) {
                largest = pl;
            }
        }
        CHECK(largest == c.largest);
    }
}

TEST_CASE("lora_phy: tiny payloads at high SF clamp to 8 payload symbols", "[radio_sim][lora][phy]") {
    const auto sf12 = modulation(12, 125000, 1);
    // num = 0 - 48 + 28 + 16 = -4: the max(., 0) clamp leaves the 8 header symbols.
    CHECK(payload_symbols(sf12, 0) == 8);
    CHECK(time_on_air_us(sf12, 0) == (8 * 4 + 17 + 4 * 8) * 32768 / 4);  // 663.552 ms
    CHECK(time_on_air_us(sf12, 0) == 663552);
    auto sf7_ih = modulation(7, 125000, 1, false);
    sf7_ih.implicit_header = true;
    CHECK(payload_symbols(sf7_ih, 0) == 8);  // num = -20
    CHECK(payload_symbols(sf7_ih, 3) == 8 + 5);  // num = 4: ceil(4/28) = 1 block of 5
    CHECK(payload_symbols(sf7_ih, 2) == 8);  // num = -4
    // LoRaSim experiment 2 (pitfall 8): 20 B, SF6/500, implicit header, CR 4/5: 7.072 ms.
    auto sf6 = modulation(6, 500000, 1);
    sf6.implicit_header = true;
    CHECK(time_on_air_us(sf6, 20) == 7072);
}

TEST_CASE("lora_phy: the firmware's negative numerator wraps (radio.md 1.2, pitfall 7)", "[radio_sim][lora][phy]") {
    const auto sf12 = modulation(12, 125000, 1);
    // Not 664 ms (8 payload symbols, what the formula gives) but the driver's garbage:
    // (2^32 - 4) / 40 blocks of 5 symbols, 17592186807 ms, kept to its low 32 bits.
    const std::uint32_t wrapped = firmware_airtime_ms(sf12, 0);
    CHECK(wrapped != 664);
    CHECK(wrapped == 412317623U);
    CHECK(wrapped == static_cast<std::uint32_t>(17592186807ULL & 0xFFFFFFFFULL));
    CHECK(wrapped > 100000000U);  // "~4e8 ms"
    CHECK((time_on_air_us(sf12, 0) + 999) / 1000 == 664);

    // One byte more and the numerator is positive again: the driver is right.
    CHECK(firmware_airtime_ms(sf12, 1) == 828);
    CHECK(firmware_airtime_ms(sf12, 1) == static_cast<std::uint32_t>((time_on_air_us(sf12, 1) + 999) / 1000));

    // CRC off, 2 bytes: 16 - 48 + 28 = -4, the same garbage.
    CHECK(firmware_airtime_ms(modulation(12, 125000, 1, false), 2) == 412317623U);
    // SF7 with implicit header and CRC off, empty: num = -20 wraps, 785365469 ms.
    auto sf7_ih = modulation(7, 125000, 1, false);
    sf7_ih.implicit_header = true;
    CHECK(firmware_airtime_ms(sf7_ih, 0) == 785365469U);
    CHECK(time_on_air_us(sf7_ih, 0) == 20736);  // 12.25 + 8 symbols
    // Every LoRaWAN-sized frame (>= 12 bytes) is unaffected at every SF and bandwidth.
    for (int sf = 7; sf <= 12; ++sf) {
        for (const std::int64_t bw : {125000, 250000, 500000}) {
            for (int cr = 1; cr <= 4; ++cr) {
                for (const bool crc : {true, false}) {
                    const auto m = modulation(sf, bw, cr, crc);
                    for (std::size_t pl = 12; pl <= 255; ++pl) {
                        CAPTURE(sf, bw, cr, crc, pl);
                        REQUIRE(static_cast<std::int64_t>(firmware_airtime_ms(m, pl)) ==
                                (time_on_air_us(m, pl) + 999) / 1000);
                    }
                }
            }
        }
    }
}

TEST_CASE("lora_phy: LoRaSim's sensitivity table (radio.md 4.3)", "[radio_sim][lora][phy]") {
    struct row {
        int sf;
        double s125;
        double s250;
        double s500;
    };
    const row table[] = {
        {7, -126.50, -124.25, -120.75},  {8, -127.25, -126.75, -124.00},  {9, -131.25, -128.25, -127.50},
        {10, -132.75, -130.25, -128.75}, {11, -134.50, -132.75, -128.75}, {12, -133.25, -132.25, -132.25},
    };
    for (const auto& r : table) {
        CAPTURE(r.sf);
        CHECK(sensitivity_dbm(r.sf, 125000) == r.s125);
        CHECK(sensitivity_dbm(r.sf, 250000) == r.s250);
        CHECK(sensitivity_dbm(r.sf, 500000) == r.s500);
    }
    // SF6/500 of LoRaSim experiment 2 (datasheet).
    CHECK(sensitivity_dbm(6, 500000) == -112.0);
}

TEST_CASE("lora_phy: noise floor -174 + 10 log10(BW) + NF", "[radio_sim][lora][phy]") {
    CHECK(noise_floor_dbm(125000) == Approx(-117.0309).margin(1e-4));
    CHECK(noise_floor_dbm(125000) == Approx(-174.0 + 10.0 * std::log10(125000.0) + 6.0));
    CHECK(noise_floor_dbm(250000) - noise_floor_dbm(125000) == Approx(3.0103).margin(1e-4));
    CHECK(noise_floor_dbm(500000) == Approx(-111.0103).margin(1e-4));
}
