// lorawan_region.cpp: the seven regional descriptions as constexpr data, and the MAC's
// regional rules (Region*.c of the firmware's LoRaMac-node generation) as small functions.
//
// Citations: "radio.md 2.x" and "pycom-api.md x.y" are the project's specs; "RP 1.0.2rB"
// the Regional Parameters tables they quote; "LoRaMac <name>" the firmware's region code
// (lib/lora/mac/region/Region<REGION>.{c,h}), read for behaviour where the specs are silent.
#include "usocket/sim/lorawan_region.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace usocket::sim {
namespace {

constexpr std::int64_t mhz_hz = 1'000'000;
constexpr std::int64_t khz_hz = 1'000;
constexpr int us_per_ms = 1000;

// --- table builders ----------------------------------------------------------------------

constexpr data_rate lora_dr(int sf, std::int64_t bandwidth_hz, std::int64_t bit_rate_bps) {
    data_rate d;
    d.kind = data_rate_kind::lora;
    d.spreading_factor = sf;
    d.bandwidth_hz = bandwidth_hz;
    d.bit_rate_bps = bit_rate_bps;
    return d;
}

constexpr data_rate fsk_dr() {
    data_rate d;
    d.kind = data_rate_kind::fsk;
    d.bit_rate_bps = 50000;  // RP 1.0.2rB EU868 DR7: FSK 50 kbps (radio.md 2.2)
    return d;
}

/// N table from a list; missing trailing entries are -1 (no entry).
constexpr payload_table payloads(std::initializer_list<int> n) {
    payload_table t{};
    for (auto& v : t) {
        v = -1;
    }
    std::size_t i = 0;
    for (int v : n) {
        t[i++] = static_cast<std::int16_t>(v);
    }
    return t;
}

constexpr channel default_channel(std::int64_t frequency_hz, int dr_min, int dr_max) {
    channel c;
    c.frequency_hz = frequency_hz;
    c.dr_min = dr_min;
    c.dr_max = dr_max;
    return c;
}

constexpr duty_band band(const char* name, std::int64_t low_hz, std::int64_t high_hz, int divisor, int group) {
    duty_band b;
    b.name = name;
    b.low_hz = low_hz;
    b.high_hz = high_hz;
    b.divisor = divisor;
    b.group = group;
    return b;
}

/// DR0..DR5 = SF12..SF7 at 125 kHz with the RP 1.0.2rB indicative rates (radio.md 2.2).
constexpr void set_sf12_to_sf7_125khz(lorawan_region& r) {
    r.data_rates[0] = lora_dr(12, 125000, 250);
    r.data_rates[1] = lora_dr(11, 125000, 440);
    r.data_rates[2] = lora_dr(10, 125000, 980);
    r.data_rates[3] = lora_dr(9, 125000, 1760);
    r.data_rates[4] = lora_dr(8, 125000, 3125);
    r.data_rates[5] = lora_dr(7, 125000, 5470);
}

/// US915/AU915 downlink DR8..DR13 = SF12..SF7 at 500 kHz (radio.md 2.3; the "(sic)" rates of
/// DR8/DR9 are the RP table's).
constexpr void set_us_downlink_drs(lorawan_region& r) {
    r.data_rates[8] = lora_dr(12, 500000, 980);
    r.data_rates[9] = lora_dr(11, 500000, 1760);
    r.data_rates[10] = lora_dr(10, 500000, 3900);
    r.data_rates[11] = lora_dr(9, 500000, 7000);
    r.data_rates[12] = lora_dr(8, 500000, 12500);
    r.data_rates[13] = lora_dr(7, 500000, 21900);
}

/// Mask of DRs lo..hi.
constexpr std::uint16_t dr_bits(int lo, int hi) {
    std::uint16_t m = 0;
    for (int dr = lo; dr <= hi; ++dr) {
        m = static_cast<std::uint16_t>(m | (1U << dr));
    }
    return m;
}

// --- the regions -------------------------------------------------------------------------

constexpr lorawan_region make_eu868() {
    lorawan_region r;
    r.id = region_id::eu868;
    r.name = "EU868";
    set_sf12_to_sf7_125khz(r);
    r.data_rates[6] = lora_dr(7, 250000, 11000);  // radio.md 2.2 DR6 SF7/250
    r.data_rates[7] = fsk_dr();                   // radio.md 2.2 DR7 FSK 50 kbps
    // LoRaMac EU868_TX/RX_MAX_DATARATE: Pycom's build stops at DR6 (SO_DR 0..6, pycom-api.md 3.2).
    r.uplink_drs = {0, 6};
    r.downlink_drs = {0, 6};
    // radio.md 2.2 / pycom-api.md 3.6: N = 51,51,51,115,242,242,242,242; repeater 230/222 for DR4-7.
    r.payload_n = payloads({51, 51, 51, 115, 242, 242, 242, 242});
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;  // no dwell time in EU868 (radio.md 2.2)
    r.payload_n_dwell_downlink = r.payload_n;
    // radio.md 2.2: default/join channels 868.1, 868.3, 868.5 MHz DR0-DR5, up to 16 channels.
    r.plan = channel_plan_kind::dynamic;
    r.max_channels = 16;
    r.binding_max_channels = 16;  // pycom-api.md 4.5
    r.default_channels = {default_channel(868100000, 0, 5), default_channel(868300000, 0, 5),
                          default_channel(868500000, 0, 5)};
    r.default_channel_count = 3;
    r.min_frequency_hz = 863 * mhz_hz;  // radio.md 2.2 sub-bands span 863.0-870.0 MHz
    r.max_frequency_hz = 870 * mhz_hz;
    // radio.md 2.2: RX1 same frequency, DR = max(DR_up - offset, 0), offset 0..5; RX2 869.525 DR0.
    r.rx1_frequency = rx1_frequency_rule::same_as_uplink;
    r.rx1_dr = rx1_dr_rule::subtract;
    r.max_rx1_dr_offset = 5;
    r.rx2_frequency_hz = 869525000;
    r.rx2_dr = 0;
    // radio.md 2.2: MaxEIRP 16 dBm, TXPower 0..7 = MaxEIRP - 2n; LoRaMac EU868 antenna gain 2.15.
    r.max_eirp_dbm = 16.0;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 7;
    // pycom-api.md 3.1 (socket DR5), 3.2 (SO_DR 0..6), 4.4 (join DR5, 0..5 allowed).
    r.default_socket_dr = 5;
    r.so_dr_max = 6;
    r.join_dr_default = 5;
    r.join_drs_mask = dr_bits(0, 5);
    // radio.md 2.2: the sub-bands as LoRaMac VerifyRfFreq assigns them (ERC 70-03 names).
    // 863-865 and 868.7-869.2 share LoRaMac band 2 in the 5-band Pycom build.
    r.duty_cycle_in_mac = true;  // LoRaMac EU868_DUTY_CYCLE_ENABLED 1 (Pycom disables it)
    r.duty_bands = {band("863.0-865.0 MHz (0.1 %)", 863000000, 864999999, 1000, 2),
                    band("g 865.0-868.0 MHz (1 %)", 865000000, 868000000, 100, 0),
                    band("g1 868.0-868.6 MHz (1 %)", 868000001, 868600000, 100, 1),
                    band("g2 868.7-869.2 MHz (0.1 %)", 868700000, 869200000, 1000, 2),
                    band("g3 869.4-869.65 MHz (10 %)", 869400000, 869650000, 10, 3),
                    band("g4 869.7-870.0 MHz (1 %)", 869700000, 870000000, 100, 4)};
    r.duty_band_count = 6;
    return r;
}

constexpr lorawan_region make_us915() {
    lorawan_region r;
    r.id = region_id::us915;
    r.name = "US915";
    // radio.md 2.3: DR0..3 SF10..SF7/125, DR4 SF8/500, DR5-7 RFU, DR8..13 SF12..SF7/500.
    r.data_rates[0] = lora_dr(10, 125000, 980);
    r.data_rates[1] = lora_dr(9, 125000, 1760);
    r.data_rates[2] = lora_dr(8, 125000, 3125);
    r.data_rates[3] = lora_dr(7, 125000, 5470);
    r.data_rates[4] = lora_dr(8, 500000, 12500);
    set_us_downlink_drs(r);
    r.uplink_drs = {0, 4};    // LoRaMac US915_TX_MIN/MAX_DATARATE
    r.downlink_drs = {8, 13};  // LoRaMac US915_RX_MIN/MAX_DATARATE
    // radio.md 2.3: N = 11,53,125,242,242,-,-,-,53,129,242,242,242,242; repeater DR8-13 33,109,222...
    r.payload_n = payloads({11, 53, 125, 242, 242, -1, -1, -1, 53, 129, 242, 242, 242, 242});
    r.payload_n_repeater = payloads({11, 53, 125, 242, 242, -1, -1, -1, 33, 109, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;  // the 400 ms dwell is built into the table
    r.payload_n_dwell_downlink = r.payload_n;
    // radio.md 2.3: 64 x 125 kHz at 902.3 + 0.2n MHz (DR0-3), 8 x 500 kHz at 903.0 + 1.6n (DR4).
    r.plan = channel_plan_kind::fixed;
    r.max_channels = 72;
    r.binding_max_channels = 72;  // pycom-api.md 4.5
    r.blocks = {channel_block{0, 64, 902300000, 200 * khz_hz, 0, 3},
                channel_block{64, 8, 903000000, 1600 * khz_hz, 4, 4}};
    r.block_count = 2;
    r.min_frequency_hz = 902 * mhz_hz;  // LoRaMac RegionUS915ChannelManualAdd: 902-928 MHz
    r.max_frequency_hz = 928 * mhz_hz;
    // radio.md 2.3: RX1 923.3 + 0.6 * (ch % 8) MHz, DR table, offset 0..3; RX2 923.3 MHz DR8.
    r.rx1_frequency = rx1_frequency_rule::downlink_channels;
    r.rx1_first_frequency_hz = 923300000;
    r.rx1_step_hz = 600 * khz_hz;
    r.rx1_channel_count = 8;
    r.rx1_dr = rx1_dr_rule::table;
    r.max_rx1_dr_offset = 3;
    r.rx1_dr_table = {{{10, 9, 8, 8, -1, -1},
                       {11, 10, 9, 8, -1, -1},
                       {12, 11, 10, 9, -1, -1},
                       {13, 12, 11, 10, -1, -1},
                       {13, 13, 12, 11, -1, -1},
                       {-1, -1, -1, -1, -1, -1},
                       {-1, -1, -1, -1, -1, -1}}};
    r.rx2_frequency_hz = 923300000;
    r.rx2_dr = 8;
    // radio.md 2.3: 30 dBm - 2 * TXPower (conducted); LoRaMac US915 TXPower 0..10, gain 0.
    r.max_eirp_dbm = 30.0;
    r.antenna_gain_db = 0.0;
    r.max_tx_power_index = 10;
    // pycom-api.md 3.1 (socket DR4), 3.2 (SO_DR 0..4), 4.4 (join DR4, 0 or 4).
    r.default_socket_dr = 4;
    r.so_dr_max = 4;
    r.join_dr_default = 4;
    r.join_drs_mask = static_cast<std::uint16_t>((1U << 0) | (1U << 4));
    // radio.md 2.3: no duty cycle (LoRaMac band duty 100 %).
    r.duty_cycle_in_mac = false;
    r.duty_bands = {band("902-928 MHz (no limit)", 902000000, 928000000, 1, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region make_au915() {
    lorawan_region r;
    r.id = region_id::au915;
    r.name = "AU915";
    // radio.md 2.4: DR0..5 SF12..SF7/125, DR6 SF8/500, DR7 RFU, DR8..13 as US915.
    set_sf12_to_sf7_125khz(r);
    r.data_rates[6] = lora_dr(8, 500000, 12500);
    set_us_downlink_drs(r);
    r.uplink_drs = {0, 6};  // RP 1.0.2rB AU915 uplink DR0-DR6
    r.downlink_drs = {8, 13};
    // radio.md 2.4 (UplinkDwellTime 0, the 1.0.2rB behaviour Pycom has) / pycom-api.md 3.6.
    r.payload_n = payloads({51, 51, 51, 115, 242, 242, 242, -1, 53, 129, 242, 242, 242, 242});
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222, 222, -1, 33, 109, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;  // 1.0.2rB has no AU915 dwell time (radio.md 2.4)
    r.payload_n_dwell_downlink = r.payload_n;
    // radio.md 2.4: 64 x 125 kHz at 915.2 + 0.2n MHz (DR0-5), 8 x 500 kHz at 915.9 + 1.6n (DR6).
    r.plan = channel_plan_kind::fixed;
    r.max_channels = 72;
    r.binding_max_channels = 72;  // pycom-api.md 4.5
    r.blocks = {channel_block{0, 64, 915200000, 200 * khz_hz, 0, 5},
                channel_block{64, 8, 915900000, 1600 * khz_hz, 6, 6}};
    r.block_count = 2;
    r.min_frequency_hz = 915 * mhz_hz;  // RP 1.0.2rB AU915-928 band
    r.max_frequency_hz = 928 * mhz_hz;
    // radio.md 2.4: RX1 923.3 + 0.6 * (ch % 8) MHz, DR table with offsets 0..5; RX2 923.3 DR8.
    r.rx1_frequency = rx1_frequency_rule::downlink_channels;
    r.rx1_first_frequency_hz = 923300000;
    r.rx1_step_hz = 600 * khz_hz;
    r.rx1_channel_count = 8;
    r.rx1_dr = rx1_dr_rule::table;
    r.max_rx1_dr_offset = 5;
    r.rx1_dr_table = {{{8, 8, 8, 8, 8, 8},
                       {9, 8, 8, 8, 8, 8},
                       {10, 9, 8, 8, 8, 8},
                       {11, 10, 9, 8, 8, 8},
                       {12, 11, 10, 9, 8, 8},
                       {13, 12, 11, 10, 9, 8},
                       {13, 13, 12, 11, 10, 9}}};
    r.rx2_frequency_hz = 923300000;
    r.rx2_dr = 8;
    // radio.md 2.4: MaxEIRP 30 dBm, TXPower n = MaxEIRP - 2n (RP 1.0.2rB: 0..10); gain 2.15 (LoRaMac).
    r.max_eirp_dbm = 30.0;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 10;
    // pycom-api.md 3.1 (socket DR4), 3.2 (SO_DR 0..6), 4.4 (join DR6, 0 or 6).
    r.default_socket_dr = 4;
    r.so_dr_max = 6;
    r.join_dr_default = 6;
    r.join_drs_mask = static_cast<std::uint16_t>((1U << 0) | (1U << 6));
    r.duty_cycle_in_mac = false;  // LoRaMac AU915 band duty 100 %
    r.duty_bands = {band("915-928 MHz (no limit)", 915000000, 928000000, 1, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region make_as923() {
    lorawan_region r;
    r.id = region_id::as923;
    r.name = "AS923";
    // radio.md 2.5: DR0-DR7 identical to EU868.
    set_sf12_to_sf7_125khz(r);
    r.data_rates[6] = lora_dr(7, 250000, 11000);
    r.data_rates[7] = fsk_dr();
    r.uplink_drs = {0, 7};    // LoRaMac AS923_TX_MIN/MAX_DATARATE
    r.downlink_drs = {0, 7};  // LoRaMac AS923_RX_MIN/MAX_DATARATE
    r.dwell_limit_dr = 2;     // LoRaMac AS923_DWELL_LIMIT_DATARATE
    r.tx_param_setup = true;  // radio.md 2.5: TxParamSetupReq mandatory in AS923
    r.default_uplink_dwell_time = true;  // radio.md 2.5: Pycom starts with both dwell times 1
    r.default_downlink_dwell_time = true;
    // radio.md 2.5 / pycom-api.md 3.6: dwell 0 51,51,51,115,242...; dwell 1 uplink 0,0,11,53,125,242...;
    // dwell 1 downlink 0,0,11,53,126,242... (the firmware's typo, spec value 125).
    r.payload_n = payloads({51, 51, 51, 115, 242, 242, 242, 242});
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = payloads({0, 0, 11, 53, 125, 242, 242, 242});
    r.payload_n_dwell_downlink = payloads({0, 0, 11, 53, 126, 242, 242, 242});
    // radio.md 2.5: default (join) channels 923.2, 923.4 MHz DR0-DR5; 16 channels (pycom-api.md 4.5).
    r.plan = channel_plan_kind::dynamic;
    r.max_channels = 16;
    r.binding_max_channels = 16;
    r.default_channels = {default_channel(923200000, 0, 5), default_channel(923400000, 0, 5), channel{}};
    r.default_channel_count = 2;
    r.min_frequency_hz = 915 * mhz_hz;  // LoRaMac AS923 VerifyTxFreq: 915-928 MHz
    r.max_frequency_hz = 928 * mhz_hz;
    // radio.md 2.5: RX1 DR = min(5, max(MinDR, DR_up - eff_offset)), codes 6, 7 = -1, -2;
    // RX2 923.2 MHz DR2.
    r.rx1_frequency = rx1_frequency_rule::same_as_uplink;
    r.rx1_dr = rx1_dr_rule::effective_offset;
    r.max_rx1_dr_offset = 7;
    r.rx2_frequency_hz = 923200000;
    r.rx2_dr = 2;
    // radio.md 2.5: MaxEIRP 16 dBm; LoRaMac AS923 TXPower 0..7, antenna gain 2.15.
    r.max_eirp_dbm = 16.0;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 7;
    // pycom-api.md 3.1 (socket DR5), 3.2 (SO_DR 0..6), 4.4 (join DR2 only).
    r.default_socket_dr = 5;
    r.so_dr_max = 6;
    r.join_dr_default = 2;
    r.join_drs_mask = static_cast<std::uint16_t>(1U << 2);
    // LoRaMac AS923_BAND0 is 1 % but AS923_DUTY_CYCLE_ENABLED is 0.
    r.duty_cycle_in_mac = false;
    r.duty_bands = {band("915-928 MHz (1 %)", 915000000, 928000000, 100, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region make_in865() {
    lorawan_region r;
    r.id = region_id::in865;
    r.name = "IN865";
    // radio.md 2.6: DR0-5 SF12..SF7/125, DR6 RFU, DR7 FSK 50k.
    set_sf12_to_sf7_125khz(r);
    r.data_rates[7] = fsk_dr();
    r.uplink_drs = {0, 7};  // LoRaMac IN865_TX/RX_MAX_DATARATE DR7...
    r.downlink_drs = {0, 7};
    r.excluded_drs_mask = static_cast<std::uint16_t>(1U << 6);  // ...but RegionIN865Verify rejects DR6
    // pycom-api.md 3.6 (the EU868 row): 51,51,51,115,242,242,242,242 (the DR6 entry is unreachable).
    r.payload_n = payloads({51, 51, 51, 115, 242, 242, 242, 242});
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;  // radio.md 2.6: no dwell
    r.payload_n_dwell_downlink = r.payload_n;
    // radio.md 2.6: 865.0625, 865.4025, 865.985 MHz; pycom-api.md 4.5: 16 channels.
    r.plan = channel_plan_kind::dynamic;
    r.max_channels = 16;
    r.binding_max_channels = 16;
    r.default_channels = {default_channel(865062500, 0, 5), default_channel(865402500, 0, 5),
                          default_channel(865985000, 0, 5)};
    r.default_channel_count = 3;
    r.min_frequency_hz = 865 * mhz_hz;  // LoRaMac IN865 VerifyRfFreq: 865-867 MHz
    r.max_frequency_hz = 867 * mhz_hz;
    // radio.md 2.6: RX1DROffset 0..7 (6, 7 raise the DR); RX2 866.550 MHz DR2.
    r.rx1_frequency = rx1_frequency_rule::same_as_uplink;
    r.rx1_dr = rx1_dr_rule::effective_offset;
    r.max_rx1_dr_offset = 7;
    r.rx2_frequency_hz = 866550000;
    r.rx2_dr = 2;
    // LoRaMac IN865: MaxEIRP 30 dBm, TXPower 0..10, antenna gain 2.15.
    r.max_eirp_dbm = 30.0;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 10;
    // pycom-api.md 3.1 (socket DR0), 3.2 (SO_DR 0..6), 4.4 (join DR5, unchecked).
    r.default_socket_dr = 0;
    r.so_dr_max = 6;
    r.join_dr_default = 5;
    r.join_drs_mask = dr_bits(0, 15);
    r.join_dr_checked = false;
    // radio.md 2.6: no duty cycle (LoRaMac IN865_BAND0 100 %).
    r.duty_cycle_in_mac = true;  // IN865_DUTY_CYCLE_ENABLED 1, harmless with a 100 % band
    r.duty_bands = {band("865-867 MHz (no limit)", 865000000, 867000000, 1, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region make_eu433() {
    lorawan_region r;
    r.id = region_id::eu433;
    r.name = "EU433";
    // pycom-api.md 3.6: the EU868 modulations (LoRaMac DataratesEU433 = EU868's).
    set_sf12_to_sf7_125khz(r);
    r.data_rates[6] = lora_dr(7, 250000, 11000);
    r.data_rates[7] = fsk_dr();
    r.uplink_drs = {0, 7};  // LoRaMac EU433_TX/RX_MAX_DATARATE DR7
    r.downlink_drs = {0, 7};
    r.payload_n = payloads({51, 51, 51, 115, 242, 242, 242, 242});  // pycom-api.md 3.6
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;
    r.payload_n_dwell_downlink = r.payload_n;
    // pycom-api.md 4.6: 433.175, 433.375, 433.575 MHz; LoRaMac EU433_MAX_NB_CHANNELS 16.
    r.plan = channel_plan_kind::dynamic;
    r.max_channels = 16;
    r.binding_max_channels = 0;  // pycom-api.md 4.5: EU433 not checked by the binding
    r.default_channels = {default_channel(433175000, 0, 5), default_channel(433375000, 0, 5),
                          default_channel(433575000, 0, 5)};
    r.default_channel_count = 3;
    r.min_frequency_hz = 433175000;  // LoRaMac EU433 VerifyRfFreq: 433.175-434.665 MHz
    r.max_frequency_hz = 434665000;
    r.rx1_frequency = rx1_frequency_rule::same_as_uplink;
    r.rx1_dr = rx1_dr_rule::subtract;
    r.max_rx1_dr_offset = 5;  // LoRaMac EU433_MAX_RX1_DR_OFFSET
    r.rx2_frequency_hz = 434665000;  // pycom-api.md 4.6: RX2 434.665 MHz DR0
    r.rx2_dr = 0;
    // LoRaMac EU433: MaxEIRP 12.15 dBm, TXPower 0..5, antenna gain 2.15.
    r.max_eirp_dbm = 12.15;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 5;
    // pycom-api.md 3.1 (socket DR5), 3.2 (SO_DR 0..6), 4.4 (join DR5, 0..5).
    r.default_socket_dr = 5;
    r.so_dr_max = 6;
    r.join_dr_default = 5;
    r.join_drs_mask = dr_bits(0, 5);
    r.duty_cycle_in_mac = true;  // LoRaMac EU433_DUTY_CYCLE_ENABLED 1, one 1 % band
    r.duty_bands = {band("433.175-434.665 MHz (1 %)", 433175000, 434665000, 100, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region make_cn470() {
    lorawan_region r;
    r.id = region_id::cn470;
    r.name = "CN470";
    // radio.md 2.6 (1.0.2rB plan): DR0-5 SF12..SF7/125.
    set_sf12_to_sf7_125khz(r);
    r.uplink_drs = {0, 5};  // LoRaMac CN470_TX/RX_MAX_DATARATE DR5
    r.downlink_drs = {0, 5};
    // pycom-api.md 3.6: 51,51,51,115,222,222 (the firmware's table; SO_DR 6 is "out of table").
    r.payload_n = payloads({51, 51, 51, 115, 222, 222});
    r.payload_n_repeater = payloads({51, 51, 51, 115, 222, 222});
    r.payload_n_dwell_uplink = r.payload_n;
    r.payload_n_dwell_downlink = r.payload_n;
    // radio.md 2.6: 96 uplink channels 470.3 + 0.2n MHz (LoRaMac: DR0-5, all enabled).
    r.plan = channel_plan_kind::fixed;
    r.max_channels = 96;
    r.binding_max_channels = 96;  // pycom-api.md 4.5
    r.blocks = {channel_block{0, 96, 470300000, 200 * khz_hz, 0, 5}, channel_block{}};
    r.block_count = 1;
    r.min_frequency_hz = 470 * mhz_hz;  // pycom-api.md 4.2: CN470 470-510 MHz
    r.max_frequency_hz = 510 * mhz_hz;
    // radio.md 2.6: downlink 48 ch 500.3 + 0.2k MHz, RX1 channel = uplink % 48; RX2 505.3 DR0.
    r.rx1_frequency = rx1_frequency_rule::downlink_channels;
    r.rx1_first_frequency_hz = 500300000;
    r.rx1_step_hz = 200 * khz_hz;
    r.rx1_channel_count = 48;
    r.rx1_dr = rx1_dr_rule::subtract;  // LoRaMac RegionCN470ApplyDrOffset
    r.max_rx1_dr_offset = 3;           // LoRaMac CN470_MAX_RX1_DR_OFFSET
    r.rx2_frequency_hz = 505300000;
    r.rx2_dr = 0;
    // LoRaMac CN470: MaxEIRP 19.15 dBm, TXPower 0..7, antenna gain 2.15.
    r.max_eirp_dbm = 19.15;
    r.antenna_gain_db = 2.15;
    r.max_tx_power_index = 7;
    // pycom-api.md 3.1 (socket DR5), 3.2 (SO_DR 0..6), 4.4 (join DR5, 0..5).
    r.default_socket_dr = 5;
    r.so_dr_max = 6;
    r.join_dr_default = 5;
    r.join_drs_mask = dr_bits(0, 5);
    r.duty_cycle_in_mac = false;  // LoRaMac CN470_BAND0 100 %
    r.duty_bands = {band("470-510 MHz (no limit)", 470000000, 510000000, 1, 0)};
    r.duty_band_count = 1;
    return r;
}

constexpr lorawan_region eu868_region = make_eu868();
constexpr lorawan_region us915_region = make_us915();
constexpr lorawan_region au915_region = make_au915();
constexpr lorawan_region as923_region = make_as923();
constexpr lorawan_region in865_region = make_in865();
constexpr lorawan_region eu433_region = make_eu433();
constexpr lorawan_region cn470_region = make_cn470();

constexpr data_rate rfu_dr{};

/// LoRaMac EffectiveRx1DrOffsetAS923/IN865: RX1DROffset codes 6 and 7 mean -1 and -2.
constexpr std::array<int, 8> effective_rx1_dr_offset{0, 1, 2, 3, 4, 5, -1, -2};

/// LinkCheckAns floors, SF7..SF12 (interop.md 4): the "LoRa demodulator SNR" of the Semtech
/// SX1276/77/78/79 datasheet (rev. 7, table 13); the network's ADR uses them too.
constexpr std::array<double, 6> demodulation_floor_db{-7.5, -10.0, -12.5, -15.0, -17.5, -20.0};

/// TxParamSetupReq MaxEIRP encoding (LoRaWAN 1.0.2 section 5.8).
constexpr std::array<double, 16> max_eirp_encoding_dbm{8, 10, 12, 13, 14, 16, 18, 20,
                                                       21, 24, 26, 27, 29, 30, 33, 36};

/// LoRaMac US915 LimitTxPower: DR4 at most 26 dBm (index 2); under 50 enabled 125 kHz
/// channels at most 21 dBm (index 5).
constexpr int us915_dr4_min_tx_power_index = 2;
constexpr int us915_few_channels_min_tx_power_index = 5;
constexpr int us915_few_channels_threshold = 50;

/// RegionCommonGetJoinDc: < 1 h 1 %, < 11 h 0.1 %, later 0.01 % (radio.md 2.1).
constexpr time_us one_hour_us = 3600LL * 1'000'000;
constexpr time_us eleven_hours_us = 11 * one_hour_us;
constexpr int join_dc_first_hour = 100;
constexpr int join_dc_first_11_hours = 1000;
constexpr int join_dc_later = 10000;

/// FCC 15.247: at least two 125 kHz channels below the 500 kHz DR (LoRaMac US915/AU915 LinkAdrReq).
constexpr int fcc_min_125khz_channels = 2;

bool dr_in_table(int dr) noexcept { return dr >= 0 && dr < max_data_rates; }

bool excluded(const lorawan_region& r, int dr) noexcept { return ((r.excluded_drs_mask >> dr) & 1U) != 0; }

bool has_dwell_time(const lorawan_region& r) noexcept { return r.dwell_limit_dr >= 0; }

/// The first channel of the 500 kHz block of a fixed plan, or max_channels.
int first_500khz_channel(const lorawan_region& r) noexcept {
    return r.block_count > 1 ? r.blocks[1].first_index : r.max_channels;
}

/// The DR of the 500 kHz uplink channels (US915 DR4, AU915 DR6).
int wide_uplink_dr(const lorawan_region& r) noexcept { return r.blocks[1].dr_min; }

void set_mask_bit(channel_mask& mask, int index) noexcept {
    auto& word = mask[static_cast<std::size_t>(index / 16)];
    word = static_cast<std::uint16_t>(word | (1U << (index % 16)));
}

/// RegionCommonChanVerifyDr: `dr` inside [min, max] and supported by an enabled channel
/// (an undefined channel reads as DR0..DR0, as in the firmware).
bool chan_verify_dr(const lorawan_region& r, const std::vector<channel>& channels, const channel_mask& mask, int dr,
                    int min_dr, int max_dr) noexcept {
    if (dr < min_dr || dr > max_dr) {
        return false;
    }
    const int n = std::min<int>(r.max_channels, static_cast<int>(channels.size()));
    for (int i = 0; i < n; ++i) {
        const channel& c = channels[static_cast<std::size_t>(i)];
        if (mask_has(mask, i) && dr >= c.dr_min && dr <= c.dr_max) {
            return true;
        }
    }
    return false;
}

bool channel_defined(const std::vector<channel>& channels, int index) noexcept {
    return index >= 0 && index < static_cast<int>(channels.size()) &&
           channels[static_cast<std::size_t>(index)].frequency_hz != 0;
}

/// The DR checks of Region*ChannelAdd: both ends in the TX range, in order.
bool channel_drs_valid(const lorawan_region& r, const channel& ch) noexcept {
    return r.uplink_drs.contains(ch.dr_min) && r.uplink_drs.contains(ch.dr_max) && ch.dr_min <= ch.dr_max;
}

/// Region*ChannelManualAdd's extra rule for default channels: DR0 minimum, DR5+ maximum.
bool default_channel_drs_valid(const lorawan_region& r, const channel& ch) noexcept {
    return ch.dr_min == 0 && ch.dr_max >= 5 && ch.dr_max <= r.uplink_drs.max_dr;
}

channel_add_status combine(bool dr_invalid, bool freq_invalid) noexcept {
    if (dr_invalid && freq_invalid) {
        return channel_add_status::frequency_and_datarate_invalid;
    }
    if (dr_invalid) {
        return channel_add_status::datarate_invalid;
    }
    return freq_invalid ? channel_add_status::frequency_invalid : channel_add_status::ok;
}

/// NewChannelAns bits for a channel-add status (Region*NewChannelReq).
std::uint8_t new_channel_bits(channel_add_status s) noexcept {
    switch (s) {
    case channel_add_status::ok: return new_channel_frequency_ack | new_channel_dr_ack;
    case channel_add_status::frequency_invalid: return new_channel_dr_ack;
    case channel_add_status::datarate_invalid: return new_channel_frequency_ack;
    default: return 0;
    }
}

/// On the grid first + k * step, first <= f <= last (RX1 channel grids of US915/AU915/CN470).
bool on_rx1_grid(const lorawan_region& r, std::int64_t frequency_hz) noexcept {
    const std::int64_t last_hz = r.rx1_first_frequency_hz + (r.rx1_channel_count - 1) * r.rx1_step_hz;
    return frequency_hz >= r.rx1_first_frequency_hz && frequency_hz <= last_hz &&
           (frequency_hz - r.rx1_first_frequency_hz) % r.rx1_step_hz == 0;
}

/// One request's ChMask of a dynamic plan (Region<EU-like>LinkAdrReq); false when KO.
bool dynamic_ch_mask(const lorawan_region& r, const std::vector<channel>& channels, const link_adr_req& req,
                     std::uint16_t& mask_out) noexcept {
    std::uint16_t mask = req.ch_mask;
    bool ok = true;
    if (req.ch_mask_cntl == 0 && mask == 0) {
        ok = false;  // all channels off
    } else if (req.ch_mask_cntl != 0 && req.ch_mask_cntl != 6) {
        ok = false;  // 1..5 and 7 are RFU in EU-like regions
    } else {
        for (int i = 0; i < r.max_channels && i < 16; ++i) {
            if (req.ch_mask_cntl == 6) {
                if (channel_defined(channels, i)) {
                    mask = static_cast<std::uint16_t>(mask | (1U << i));
                }
            } else if (((mask >> i) & 1U) != 0 && !channel_defined(channels, i)) {
                ok = false;  // enabling an undefined channel
            }
        }
    }
    mask_out = mask;
    return ok;
}

}  // namespace

// --- regions -----------------------------------------------------------------------------

std::optional<region_id> region_from_code(int pycom_code) noexcept {
    for (region_id id : all_regions) {
        if (region_code(id) == pycom_code) {
            return id;
        }
    }
    return std::nullopt;
}

const lorawan_region& region(region_id id) noexcept {
    switch (id) {
    case region_id::as923: return as923_region;
    case region_id::au915: return au915_region;
    case region_id::cn470: return cn470_region;
    case region_id::eu433: return eu433_region;
    case region_id::in865: return in865_region;
    case region_id::us915: return us915_region;
    case region_id::eu868: break;
    }
    return eu868_region;
}

int mask_count(const channel_mask& mask, int first, int last) noexcept {
    int n = 0;
    for (int i = std::max(first, 0); i < last && i < 16 * static_cast<int>(mask.size()); ++i) {
        n += mask_has(mask, i) ? 1 : 0;
    }
    return n;
}

// --- data rates --------------------------------------------------------------------------

const data_rate& data_rate_of(const lorawan_region& r, int dr) noexcept {
    return dr_in_table(dr) ? r.data_rates[static_cast<std::size_t>(dr)] : rfu_dr;
}

int min_uplink_dr(const lorawan_region& r, bool uplink_dwell_time) noexcept {
    return uplink_dwell_time && has_dwell_time(r) ? r.dwell_limit_dr : r.uplink_drs.min_dr;
}

bool uplink_dr_valid(const lorawan_region& r, int dr, bool uplink_dwell_time) noexcept {
    return dr_in_table(dr) && !excluded(r, dr) && dr >= min_uplink_dr(r, uplink_dwell_time) &&
           dr <= r.uplink_drs.max_dr;
}

bool downlink_dr_valid(const lorawan_region& r, int dr, bool downlink_dwell_time) noexcept {
    const int min_dr = downlink_dwell_time && has_dwell_time(r) ? r.dwell_limit_dr : r.downlink_drs.min_dr;
    return dr_in_table(dr) && !excluded(r, dr) && dr >= min_dr && dr <= r.downlink_drs.max_dr;
}

std::optional<lora_modulation> lorawan_modulation(const lorawan_region& r, int dr, bool uplink) noexcept {
    const data_rate& d = data_rate_of(r, dr);
    if (d.kind != data_rate_kind::lora) {
        return std::nullopt;
    }
    lora_modulation m;
    m.spreading_factor = d.spreading_factor;
    m.bandwidth_hz = d.bandwidth_hz;
    m.coding_rate = lorawan_coding_rate;
    m.preamble_symbols = lorawan_preamble_symbols;
    m.implicit_header = false;  // radio.md 1.1: LoRaWAN always uses explicit header
    m.crc_on = uplink;          // radio.md 1.1: uplinks CRC on, downlinks CRC off
    return m;
}

std::optional<int> max_payload_n(const lorawan_region& r, int dr, bool dwell_time, link_direction direction) noexcept {
    if (!dr_in_table(dr)) {
        return std::nullopt;
    }
    const payload_table* t = &r.payload_n;
    if (dwell_time && has_dwell_time(r)) {
        t = direction == link_direction::uplink ? &r.payload_n_dwell_uplink : &r.payload_n_dwell_downlink;
    }
    const int n = (*t)[static_cast<std::size_t>(dr)];
    if (n < 0) {
        return std::nullopt;
    }
    return n;
}

std::optional<int> max_macpayload_m(const lorawan_region& r, int dr, bool dwell_time,
                                    link_direction direction) noexcept {
    constexpr int fhdr_and_fport_bytes = 8;  // radio.md 1.4: M = N + 8
    const auto n = max_payload_n(r, dr, dwell_time, direction);
    if (!n) {
        return std::nullopt;
    }
    return *n + fhdr_and_fport_bytes;
}

int next_lower_uplink_dr(const lorawan_region& r, int dr, bool uplink_dwell_time) noexcept {
    const int min_dr = min_uplink_dr(r, uplink_dwell_time);
    if (dr <= min_dr) {
        return min_dr;
    }
    if (r.id == region_id::in865 && dr == 7) {
        return 5;  // LoRaMac IN865 GetNextLowerTxDr skips the RFU DR6
    }
    return dr - 1;
}

int confirmed_transmission_dr(const lorawan_region& r, int first_dr, int transmission,
                              bool uplink_dwell_time) noexcept {
    // LoRaMac: AckTimeoutRetriesCounter starts at 1 and steps the DR down whenever it
    // becomes odd again, i.e. before the 3rd, 5th and 7th transmission (pycom-api.md 3.4).
    const int n = std::clamp(transmission, 1, max_confirmed_transmissions);
    int dr = first_dr;
    for (int t = 3; t <= n; t += 2) {
        dr = next_lower_uplink_dr(r, dr, uplink_dwell_time);
    }
    return dr;
}

adr_backoff adr_next(const lorawan_region& r, bool adr_enabled, int dr, int tx_power_index,
                     std::uint32_t adr_ack_counter, bool uplink_dwell_time) noexcept {
    adr_backoff out;
    const int min_dr = min_uplink_dr(r, uplink_dwell_time);
    out.dr = std::max(dr, min_dr);  // LoRaMac RegionAS923AdrNext applies the minimum first
    out.tx_power_index = tx_power_index;
    if (!adr_enabled) {
        return out;
    }
    if (out.dr == min_dr) {
        out.reset_ack_counter = true;
        return out;
    }
    const auto limit = static_cast<std::uint32_t>(adr_ack_limit);
    const auto delay = static_cast<std::uint32_t>(adr_ack_delay);
    if (adr_ack_counter >= limit) {
        out.adr_ack_req = true;
        out.tx_power_index = 0;  // *_MAX_TX_POWER: TX_POWER_0
    }
    if (adr_ack_counter >= limit + delay && adr_ack_counter % delay == 1) {
        out.dr = next_lower_uplink_dr(r, out.dr, uplink_dwell_time);
        if (out.dr == min_dr) {
            out.adr_ack_req = false;
            out.restore_default_channels = true;
        }
    }
    return out;
}

int rx1_data_rate(const lorawan_region& r, int uplink_dr, int offset, bool downlink_dwell_time) noexcept {
    if (!rx1_dr_offset_valid(r, offset) || !uplink_dr_valid(r, uplink_dr, false)) {
        return -1;
    }
    switch (r.rx1_dr) {
    case rx1_dr_rule::subtract: return std::max(uplink_dr - offset, 0);
    case rx1_dr_rule::table: {
        const int dr = r.rx1_dr_table[static_cast<std::size_t>(uplink_dr)][static_cast<std::size_t>(offset)];
        return dr;
    }
    case rx1_dr_rule::effective_offset: {
        const int min_dr = downlink_dwell_time && has_dwell_time(r) ? r.dwell_limit_dr : 0;
        constexpr int max_rx1_dr = 5;  // radio.md 2.5: min(5, ...)
        return std::min(max_rx1_dr,
                        std::max(min_dr, uplink_dr - effective_rx1_dr_offset[static_cast<std::size_t>(offset)]));
    }
    }
    return -1;
}

std::int64_t rx1_frequency_hz(const lorawan_region& r, int uplink_channel, const channel& ch) noexcept {
    if (r.rx1_frequency == rx1_frequency_rule::downlink_channels) {
        return r.rx1_first_frequency_hz + (uplink_channel % r.rx1_channel_count) * r.rx1_step_hz;
    }
    return ch.rx1_frequency_hz != 0 ? ch.rx1_frequency_hz : ch.frequency_hz;
}

double demodulation_floor_snr_db(int spreading_factor) noexcept {
    const int sf = std::clamp(spreading_factor, 7, 12);
    return demodulation_floor_db[static_cast<std::size_t>(sf - 7)];
}

// --- TX power ----------------------------------------------------------------------------

int radio_tx_power_dbm(const lorawan_region& r, int index) noexcept {
    return static_cast<int>(std::floor(r.max_eirp_dbm - 2.0 * index - r.antenna_gain_db));
}

int limit_tx_power_index(const lorawan_region& r, int index, int dr, const channel_mask& enabled) noexcept {
    if (r.id != region_id::us915) {
        return index;  // every other region: the band maximum is index 0
    }
    if (dr == 4) {
        return std::max(index, us915_dr4_min_tx_power_index);
    }
    if (mask_count(enabled, 0, 64) < us915_few_channels_threshold) {
        return std::max(index, us915_few_channels_min_tx_power_index);
    }
    return index;
}

double max_eirp_from_index(int index) noexcept {
    return max_eirp_encoding_dbm[static_cast<std::size_t>(index & 0x0F)];
}

// --- channels ----------------------------------------------------------------------------

channel fixed_channel(const lorawan_region& r, int index) noexcept {
    for (int b = 0; b < r.block_count; ++b) {
        const channel_block& blk = r.blocks[static_cast<std::size_t>(b)];
        if (index >= blk.first_index && index < blk.first_index + blk.count) {
            return default_channel(blk.first_frequency_hz + (index - blk.first_index) * blk.step_hz, blk.dr_min,
                                   blk.dr_max);
        }
    }
    return channel{};
}

std::vector<channel> initial_channels(const lorawan_region& r) {
    std::vector<channel> out(static_cast<std::size_t>(r.max_channels));
    if (r.plan == channel_plan_kind::fixed) {
        for (int i = 0; i < r.max_channels; ++i) {
            out[static_cast<std::size_t>(i)] = fixed_channel(r, i);
        }
    } else {
        for (int i = 0; i < r.default_channel_count; ++i) {
            out[static_cast<std::size_t>(i)] = r.default_channels[static_cast<std::size_t>(i)];
        }
    }
    return out;
}

channel_mask initial_channel_mask(const lorawan_region& r) noexcept {
    channel_mask mask{};
    const int n = r.plan == channel_plan_kind::fixed ? r.max_channels : r.default_channel_count;
    for (int i = 0; i < n; ++i) {
        set_mask_bit(mask, i);
    }
    return mask;
}

bool frequency_in_band(const lorawan_region& r, std::int64_t frequency_hz) noexcept {
    return frequency_hz >= r.min_frequency_hz && frequency_hz <= r.max_frequency_hz;
}

bool channel_frequency_valid(const lorawan_region& r, std::int64_t frequency_hz) noexcept {
    if (r.id == region_id::eu868) {
        return duty_band_of(r, frequency_hz) != nullptr;  // LoRaMac EU868 VerifyRfFreq
    }
    return frequency_in_band(r, frequency_hz);
}

std::array<std::int64_t, 5> cflist_frequencies_hz(const std::uint8_t (&cflist)[16]) noexcept {
    constexpr std::int64_t cflist_unit_hz = 100;  // radio.md 2.2: units of 100 Hz
    std::array<std::int64_t, 5> out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::size_t at = 3 * i;
        const std::int64_t v = std::int64_t{cflist[at]} | (std::int64_t{cflist[at + 1]} << 8) |
                               (std::int64_t{cflist[at + 2]} << 16);
        out[i] = v * cflist_unit_hz;
    }
    return out;
}

// --- the Pycom API -----------------------------------------------------------------------

add_channel_error check_remove_channel(const lorawan_region& r, int index) noexcept {
    if (r.binding_max_channels > 0 && (index < 0 || index >= r.binding_max_channels)) {
        return add_channel_error::channel_out_of_range;
    }
    return add_channel_error::none;
}

add_channel_error check_add_channel(const lorawan_region& r, int index, int dr_min, int dr_max) noexcept {
    if (check_remove_channel(r, index) != add_channel_error::none) {
        return add_channel_error::channel_out_of_range;
    }
    if (dr_min > dr_max || !so_dr_valid(r, dr_min) || !so_dr_valid(r, dr_max)) {
        return add_channel_error::invalid_argument;
    }
    return add_channel_error::none;
}

channel_add_status manual_channel_add(const lorawan_region& r, int index, const channel& ch) noexcept {
    if (index < 0 || index >= r.max_channels || r.id == region_id::cn470) {
        return channel_add_status::parameter_invalid;  // CN470: RegionCN470ChannelAdd always refuses
    }
    if (r.plan == channel_plan_kind::fixed) {
        // RegionUS915ChannelManualAdd (AU915 alike): 125 kHz channels start at DR0, the
        // maximum stays within the TX range; no order check.
        const bool dr_invalid = (index < first_500khz_channel(r) && ch.dr_min != 0) || ch.dr_max > r.uplink_drs.max_dr;
        return combine(dr_invalid, !channel_frequency_valid(r, ch.frequency_hz));
    }
    bool dr_invalid = !channel_drs_valid(r, ch);
    if (index < r.default_channel_count && !default_channel_drs_valid(r, ch)) {
        dr_invalid = true;
    }
    return combine(dr_invalid, !channel_frequency_valid(r, ch.frequency_hz));
}

bool manual_channel_remove(const lorawan_region& r, int index) noexcept {
    if (index < 0 || index >= r.max_channels || r.id == region_id::cn470) {
        return false;
    }
    return r.plan == channel_plan_kind::fixed || index >= r.default_channel_count;
}

// --- MAC commands --------------------------------------------------------------------------

link_adr_result link_adr_request(const lorawan_region& r, const std::vector<channel>& channels,
                                 const link_adr_state& current, const std::vector<link_adr_req>& block,
                                 bool adr_enabled, bool uplink_dwell_time) {
    link_adr_result out;
    out.state = current;
    if (block.empty()) {
        return out;
    }
    std::uint8_t status = 0x07;
    channel_mask mask = current.mask;
    for (link_adr_req req : block) {
        req.ch_mask_cntl &= 0x07;  // a 3-bit field on air
        status = 0x07;  // only the last request's channel-mask verdict counts
        if (r.plan == channel_plan_kind::dynamic) {
            std::uint16_t m = 0;
            if (!dynamic_ch_mask(r, channels, req, m)) {
                status = static_cast<std::uint8_t>(status & ~link_adr_channel_mask_ack);
            }
            mask = channel_mask{};
            mask[0] = m;
        } else if (r.id == region_id::cn470) {
            if (req.ch_mask_cntl == 6) {
                mask.fill(0xFFFF);  // all 96 channels on
            } else if (req.ch_mask_cntl == 7) {
                status = static_cast<std::uint8_t>(status & ~link_adr_channel_mask_ack);  // RFU
            } else {
                for (int i = 0; i < 16; ++i) {
                    if (((req.ch_mask >> i) & 1U) != 0 && !channel_defined(channels, req.ch_mask_cntl * 16 + i)) {
                        status = static_cast<std::uint8_t>(status & ~link_adr_channel_mask_ack);
                    }
                }
                mask[static_cast<std::size_t>(req.ch_mask_cntl)] = req.ch_mask;
            }
        } else {  // US915, AU915
            if (req.ch_mask_cntl == 6 || req.ch_mask_cntl == 7) {
                const std::uint16_t all_125khz = req.ch_mask_cntl == 6 ? 0xFFFF : 0x0000;
                mask[0] = mask[1] = mask[2] = mask[3] = all_125khz;
                mask[4] = req.ch_mask;  // ChMask applies to channels 64-71
            } else if (req.ch_mask_cntl == 5) {
                status = static_cast<std::uint8_t>(status & ~link_adr_channel_mask_ack);  // RFU in 1.0.2rB
            } else {
                mask[static_cast<std::size_t>(req.ch_mask_cntl)] = req.ch_mask;
            }
        }
    }
    const link_adr_req& last = block.back();
    if (r.plan == channel_plan_kind::fixed && r.id != region_id::cn470 && last.dr < wide_uplink_dr(r) &&
        mask_count(mask, 0, 64) < fcc_min_125khz_channels) {
        status = static_cast<std::uint8_t>(status & ~link_adr_channel_mask_ack);
    }

    // RegionCommonLinkAdrReqVerifyParams.
    int dr = last.dr;
    int tx_power = last.tx_power_index;
    int nb_trans = last.nb_trans;
    if (!adr_enabled) {
        dr = current.dr;
        tx_power = current.tx_power_index;
        nb_trans = current.nb_trans;
    }
    if (status != 0) {
        if (!chan_verify_dr(r, channels, mask, dr, min_uplink_dr(r, uplink_dwell_time), r.uplink_drs.max_dr)) {
            status = static_cast<std::uint8_t>(status & ~link_adr_data_rate_ack);
        }
        if (!tx_power_index_valid(r, tx_power)) {
            status = static_cast<std::uint8_t>(status & ~link_adr_power_ack);
        }
    }
    if (status == 0x07 && nb_trans == 0) {
        nb_trans = 1;  // LoRaWAN 1.0.2: NbTrans 0 restores the default 1
    }
    out.status = status;
    out.accepted = status == 0x07;
    if (out.accepted) {
        out.state.dr = dr;
        out.state.tx_power_index = tx_power;
        out.state.nb_trans = nb_trans;
        out.state.mask = mask;
    }
    return out;
}

std::uint8_t rx_param_setup_status(const lorawan_region& r, int rx1_dr_offset, int rx2_dr,
                                   std::int64_t frequency_hz) noexcept {
    std::uint8_t status = 0x07;
    bool frequency_ok = false;
    if (r.rx1_frequency == rx1_frequency_rule::downlink_channels) {
        frequency_ok = on_rx1_grid(r, frequency_hz);  // RegionUS915/AU915/CN470RxParamSetupReq
    } else if (r.id == region_id::as923) {
        frequency_ok = true;  // RegionAS923RxParamSetupReq only asks the radio, which tunes anything
    } else {
        frequency_ok = channel_frequency_valid(r, frequency_hz);
    }
    if (!frequency_ok) {
        status = static_cast<std::uint8_t>(status & ~rx_param_channel_ack);
    }
    if (!r.downlink_drs.contains(rx2_dr)) {  // a plain range check, dwell time and DR6 exclusion ignored
        status = static_cast<std::uint8_t>(status & ~rx_param_rx2_dr_ack);
    }
    if (!rx1_dr_offset_valid(r, rx1_dr_offset)) {
        status = static_cast<std::uint8_t>(status & ~rx_param_rx1_offset_ack);
    }
    return status;
}

std::uint8_t new_channel_status(const lorawan_region& r, const std::vector<channel>& channels, int index,
                                const channel& requested) noexcept {
    if (r.plan == channel_plan_kind::fixed) {
        return 0;  // RegionUS915/AU915/CN470NewChannelReq: "Datarate and frequency KO"
    }
    if (requested.frequency_hz == 0) {  // removal (Region*ChannelsRemove, not the manual one)
        const bool removed = index >= r.default_channel_count && index < r.max_channels;
        return removed ? static_cast<std::uint8_t>(new_channel_frequency_ack | new_channel_dr_ack) : 0;
    }
    if (index < 0 || index >= r.max_channels) {
        return 0;  // LORAMAC_STATUS_PARAMETER_INVALID
    }
    if (r.id != region_id::as923) {
        // RegionEU868/IN865/EU433ChannelAdd: default channels cannot be changed at all.
        if (index < r.default_channel_count) {
            return 0;
        }
        return new_channel_bits(combine(!channel_drs_valid(r, requested),
                                        !channel_frequency_valid(r, requested.frequency_hz)));
    }
    // RegionAS923ChannelAdd: a default channel keeps its frequency and DR0..DR5+.
    bool dr_invalid = !channel_drs_valid(r, requested);
    bool freq_invalid = false;
    if (index < r.default_channel_count) {
        dr_invalid = dr_invalid || !default_channel_drs_valid(r, requested);
        const std::int64_t current_hz =
            index < static_cast<int>(channels.size()) ? channels[static_cast<std::size_t>(index)].frequency_hz : 0;
        freq_invalid = requested.frequency_hz != current_hz;
    }
    freq_invalid = freq_invalid || !channel_frequency_valid(r, requested.frequency_hz);
    return new_channel_bits(combine(dr_invalid, freq_invalid));
}

std::uint8_t dl_channel_status(const lorawan_region& r, const std::vector<channel>& channels, int index,
                               std::int64_t rx1_frequency_hz) noexcept {
    if (r.plan == channel_plan_kind::fixed) {
        return 0;  // RegionUS915/AU915/CN470DlChannelReq
    }
    std::uint8_t status = 0x03;
    if (!channel_frequency_valid(r, rx1_frequency_hz)) {
        status = static_cast<std::uint8_t>(status & ~dl_channel_frequency_ack);
    }
    if (!channel_defined(channels, index) || index >= r.max_channels) {
        status = static_cast<std::uint8_t>(status & ~dl_channel_uplink_exists_ack);
    }
    return status;
}

// --- duty cycle ----------------------------------------------------------------------------

const duty_band* duty_band_of(const lorawan_region& r, std::int64_t frequency_hz) noexcept {
    for (int i = 0; i < r.duty_band_count; ++i) {
        const duty_band& b = r.duty_bands[static_cast<std::size_t>(i)];
        if (frequency_hz >= b.low_hz && frequency_hz <= b.high_hz) {
            return &b;
        }
    }
    return nullptr;
}

time_us duty_cycle_off_time_us(int divisor, time_us airtime_us) noexcept {
    // radio.md 2.2: T * k - T with T the ms-rounded-up airtime (RegionCommonCalcBackOff).
    const time_us airtime_ms = (airtime_us + us_per_ms - 1) / us_per_ms;
    return (airtime_ms * divisor - airtime_ms) * us_per_ms;
}

int join_duty_cycle_divisor(time_us since_start_us) noexcept {
    if (since_start_us < one_hour_us) {
        return join_dc_first_hour;
    }
    return since_start_us < eleven_hours_us ? join_dc_first_11_hours : join_dc_later;
}

}  // namespace usocket::sim
