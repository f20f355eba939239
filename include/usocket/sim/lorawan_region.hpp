// usocket/sim/lorawan_region.hpp: LoRaWAN regional parameters as the Pycom firmware 1.20.2
// uses them (its LoRaMac-node generation, LoRaWAN 1.0.2, Regional Parameters 1.0.2rB).
//
// One constant description per region (data rates, payload limits, channel plan, RX1 and
// RX2 rules, TX power, duty-cycle bands, the Pycom API's DR rules) and small pure functions
// over it: what the device MAC and the network server need to agree on. Nothing here knows
// of sockets, Python, frames or time beyond durations. Sources: spec/radio.md section 2,
// spec/pycom-api.md 3.1-3.6 and 4.4-4.6, spec/interop.md section 4; where they are silent,
// the firmware's lib/lora/mac/region/Region*.{c,h} (read for behaviour only).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/scheduler.hpp"

namespace usocket::sim {

// ---------------------------------------------------------------------------------------
// Regions

/// The Pycom region codes, equal to LoRa.AS923 ... LoRa.US915 (pycom-api.md 4.1).
enum class region_id : std::uint8_t {
    as923 = 0,
    au915 = 1,
    cn470 = 2,  ///< LoPy4 only
    eu433 = 4,  ///< LoPy4 only
    eu868 = 5,
    in865 = 7,
    us915 = 8,
};

/// Every region the firmware exports, in code order.
inline constexpr std::array<region_id, 7> all_regions{region_id::as923, region_id::au915, region_id::cn470,
                                                       region_id::eu433, region_id::eu868, region_id::in865,
                                                       region_id::us915};

/// The region of a Pycom code (LoRa.EU868 = 5, ...); empty for 3, 6, 9 and anything else.
std::optional<region_id> region_from_code(int pycom_code) noexcept;

/// The region's Pycom code.
constexpr int region_code(region_id id) noexcept { return static_cast<int>(id); }

// ---------------------------------------------------------------------------------------
// Values common to all regions (radio.md 2.1, pycom-api.md 4.6; LoRaMac *_RECEIVE_DELAY1...)

/// RX1 opens RECEIVE_DELAY1 after the end of the uplink.
inline constexpr time_us receive_delay1_us = 1'000'000;
/// RX2 opens RECEIVE_DELAY2 (= RECEIVE_DELAY1 + 1 s) after the end of the uplink.
inline constexpr time_us receive_delay2_us = 2'000'000;
/// Join-accept RX1 delay.
inline constexpr time_us join_accept_delay1_us = 5'000'000;
/// Join-accept RX2 delay.
inline constexpr time_us join_accept_delay2_us = 6'000'000;
/// Largest accepted jump of the 16-bit on-air frame counter.
inline constexpr std::uint32_t max_fcnt_gap = 16384;
/// Uplinks without a downlink before the device sets ADRACKReq.
inline constexpr int adr_ack_limit = 64;
/// Further uplinks before the device starts lowering its data rate.
inline constexpr int adr_ack_delay = 32;
/// ACK_TIMEOUT centre: a confirmed uplink is retried 2 s after RX2...
inline constexpr time_us ack_timeout_us = 2'000'000;
/// ...plus or minus up to 1 s, uniformly (LoRaMac *_ACK_TIMEOUT_RND).
inline constexpr time_us ack_timeout_random_us = 1'000'000;
/// The MAC's cap on transmissions of one confirmed uplink (pycom-api.md 3.4, "hard cap 8").
inline constexpr int max_confirmed_transmissions = 8;
/// Every LoRaWAN frame: 8-symbol preamble (radio.md 1.5), CR 4/5 (LoRaMac SetTxConfig).
inline constexpr int lorawan_preamble_symbols = 8;
/// CR 4/5, coded 1 as in lora_modulation (LoRaMac Radio.SetTxConfig coderate 1).
inline constexpr int lorawan_coding_rate = 1;

/// The RX1 delay a RXTimingSetupReq Del field (or join-accept RxDelay) selects: 0 and 1
/// both mean 1 s, n means n s; only the low 4 bits count (radio.md 2.1, interop.md 4).
constexpr time_us rx_delay_us(int del) noexcept {
    const int seconds = del & 0x0F;
    return (seconds == 0 ? 1 : seconds) * time_us{1'000'000};
}

// ---------------------------------------------------------------------------------------
// Data rates

/// Largest DR index of any region plus one (DR0..DR15 fit the 4-bit fields).
inline constexpr int max_data_rates = 16;

/// How a data rate is modulated.
enum class data_rate_kind : std::uint8_t {
    rfu,   ///< not defined in this region
    lora,  ///< LoRa, spreading_factor / bandwidth_hz
    fsk,   ///< GFSK 50 kbit/s
};

/// One DR of a region's table.
struct data_rate {
    data_rate_kind kind = data_rate_kind::rfu;
    int spreading_factor = 0;        ///< LoRa only: 7..12
    std::int64_t bandwidth_hz = 0;   ///< LoRa only: 125000, 250000 or 500000
    std::int64_t bit_rate_bps = 0;   ///< indicative bit rate of the RP tables (FSK: 50000)
};

/// An inclusive DR range.
struct dr_range {
    int min_dr = 0;
    int max_dr = 0;
    constexpr bool contains(int dr) const noexcept { return dr >= min_dr && dr <= max_dr; }
};

/// Max application payload N per DR (bytes; -1 where the DR has no entry).
using payload_table = std::array<std::int16_t, max_data_rates>;

// ---------------------------------------------------------------------------------------
// Channels

/// Highest channel count of any region (CN470: 96).
inline constexpr int max_channel_slots = 96;

/// One uplink channel as LoRaMac keeps it (ChannelParams_t). frequency_hz 0 = undefined.
struct channel {
    std::int64_t frequency_hz = 0;
    int dr_min = 0;
    int dr_max = 0;
    std::int64_t rx1_frequency_hz = 0;  ///< DlChannelReq override; 0 = same as uplink
};

/// The enabled channels, LoRaMac's ChannelsMask layout: bit (n % 16) of word n / 16.
using channel_mask = std::array<std::uint16_t, 6>;

/// True if channel `index` is set in `mask`.
constexpr bool mask_has(const channel_mask& mask, int index) noexcept {
    return index >= 0 && index < 16 * static_cast<int>(mask.size()) &&
           ((mask[static_cast<std::size_t>(index / 16)] >> (index % 16)) & 1U) != 0;
}

/// Number of channels set in `mask` among indices [first, last).
int mask_count(const channel_mask& mask, int first, int last) noexcept;

/// How the channels of a region come to be.
enum class channel_plan_kind : std::uint8_t {
    dynamic,  ///< a few default channels, more by CFList/NewChannelReq/add_channel (EU868...)
    fixed,    ///< a fixed grid of uplink channels, all defined at start (US915, AU915, CN470)
};

/// A block of evenly spaced channels of a fixed plan.
struct channel_block {
    int first_index = 0;
    int count = 0;
    std::int64_t first_frequency_hz = 0;
    std::int64_t step_hz = 0;
    int dr_min = 0;
    int dr_max = 0;
};

/// Where RX1 listens.
enum class rx1_frequency_rule : std::uint8_t {
    same_as_uplink,     ///< EU-like: the uplink frequency (or the DlChannelReq override)
    downlink_channels,  ///< first + step * (uplink channel % count): US915, AU915, CN470
};

/// How RX1's DR follows from the uplink DR and RX1DROffset.
enum class rx1_dr_rule : std::uint8_t {
    subtract,          ///< max(DR_up - offset, 0): EU868, EU433, CN470
    table,             ///< rx1_dr_table[DR_up][offset]: US915, AU915
    effective_offset,  ///< min(5, max(min, DR_up - eff[offset])), codes 6, 7 = -1, -2: AS923, IN865
};

// ---------------------------------------------------------------------------------------
// Duty cycle

/// One duty-cycle sub-band: frequencies [low_hz, high_hz] (inclusive, in whole Hz) share
/// one time-off; after a transmission of airtime T the band is closed for T * divisor - T.
struct duty_band {
    const char* name = "";
    std::int64_t low_hz = 0;
    std::int64_t high_hz = 0;
    int divisor = 1;  ///< 1/duty cycle: 100 = 1 %, 1000 = 0.1 %, 10 = 10 %, 1 = none
    int group = 0;    ///< LoRaMac Band_t index: sub-bands of one group share one time-off
};

/// The most bands of any region (EU868: 6).
inline constexpr int max_duty_bands = 6;

// ---------------------------------------------------------------------------------------
// The region description

/// Everything regional the MAC and the network server need, as constant data.
struct lorawan_region {
    region_id id = region_id::eu868;
    const char* name = "";  ///< "EU868", ...

    // Data rates and what the MAC accepts (Region*Verify PHY_TX_DR / PHY_RX_DR).
    std::array<data_rate, max_data_rates> data_rates{};
    dr_range uplink_drs{};                ///< TX DRs with uplink dwell time 0
    dr_range downlink_drs{};              ///< RX DRs with downlink dwell time 0
    std::uint16_t excluded_drs_mask = 0;  ///< DRs inside the ranges the MAC still rejects (IN865 DR6)
    int dwell_limit_dr = -1;              ///< lowest TX/RX DR with dwell time 1 (AS923: DR2), else -1
    bool tx_param_setup = false;          ///< TxParamSetupReq implemented (AS923 only)
    bool default_uplink_dwell_time = false;
    bool default_downlink_dwell_time = false;

    // Max application payload N (FRMPayload without FOpts); M = N + 8, PL = M + 5.
    payload_table payload_n{};               ///< the firmware's table (no repeater), dwell 0
    payload_table payload_n_repeater{};      ///< repeater-compatible table
    payload_table payload_n_dwell_uplink{};  ///< with UplinkDwellTime 1 (AS923; else = payload_n)
    payload_table payload_n_dwell_downlink{};  ///< with DownlinkDwellTime 1 (AS923, unused by its RX)

    // Channels.
    channel_plan_kind plan = channel_plan_kind::dynamic;
    int max_channels = 16;          ///< LoRaMac *_MAX_NB_CHANNELS
    int binding_max_channels = 16;  ///< add_channel/remove_channel index limit; 0 = not checked (EU433)
    std::array<channel, 3> default_channels{};  ///< dynamic plans: channels 0.. (not removable)
    int default_channel_count = 0;
    std::array<channel_block, 2> blocks{};  ///< fixed plans: 125 kHz block, then 500 kHz block
    int block_count = 0;
    std::int64_t min_frequency_hz = 0;  ///< uplink channel frequencies the MAC accepts
    std::int64_t max_frequency_hz = 0;

    // RX1 and RX2.
    rx1_frequency_rule rx1_frequency = rx1_frequency_rule::same_as_uplink;
    std::int64_t rx1_first_frequency_hz = 0;  ///< downlink_channels only
    std::int64_t rx1_step_hz = 0;
    int rx1_channel_count = 0;
    rx1_dr_rule rx1_dr = rx1_dr_rule::subtract;
    int max_rx1_dr_offset = 5;                              ///< RX1DROffset 0..this
    std::array<std::array<std::int8_t, 6>, 7> rx1_dr_table{};  ///< table rule: [DR_up][offset]
    std::int64_t rx2_frequency_hz = 0;                      ///< RX2 default
    int rx2_dr = 0;

    // TX power: MAC TXPower index n -> max_eirp_dbm - 2n dB (Region*, RegionCommonComputeTxPower).
    double max_eirp_dbm = 0;
    double antenna_gain_db = 0;  ///< subtracted to get the radio's conducted power
    int max_tx_power_index = 7;  ///< *_MIN_TX_POWER: the lowest power, highest index

    // The Pycom API (pycom-api.md 3.1, 3.2, 4.4).
    int default_socket_dr = 5;
    int so_dr_max = 6;                 ///< SO_DR accepts 0..so_dr_max
    int join_dr_default = 5;
    std::uint16_t join_drs_mask = 0;   ///< explicit join(dr=) values accepted
    bool join_dr_checked = true;       ///< false: the binding accepts any join DR (IN865)

    // Duty cycle.
    bool duty_cycle_in_mac = false;  ///< LoRaMac *_DUTY_CYCLE_ENABLED (Pycom turns it off anyway)
    std::array<duty_band, max_duty_bands> duty_bands{};
    int duty_band_count = 0;
};

/// The description of `id` (static storage, lives forever).
const lorawan_region& region(region_id id) noexcept;

// ---------------------------------------------------------------------------------------
// Data-rate helpers

/// The DR's table row; an RFU row for DRs outside 0..15.
const data_rate& data_rate_of(const lorawan_region& r, int dr) noexcept;

/// True if the MAC may transmit at `dr` (Region*Verify PHY_TX_DR).
bool uplink_dr_valid(const lorawan_region& r, int dr, bool uplink_dwell_time = false) noexcept;

/// True if the MAC may receive at `dr` (Region*Verify PHY_RX_DR).
bool downlink_dr_valid(const lorawan_region& r, int dr, bool downlink_dwell_time = false) noexcept;

/// Lowest TX DR (PHY_MIN_TX_DR): the dwell-limit DR with uplink dwell time 1 in AS923.
int min_uplink_dr(const lorawan_region& r, bool uplink_dwell_time) noexcept;

/// The frame's modulation at `dr`: CR 4/5, 8-symbol preamble, explicit header, CRC on for
/// uplinks and off for downlinks (radio.md 1.1, 1.5). Empty for FSK and RFU rates.
std::optional<lora_modulation> lorawan_modulation(const lorawan_region& r, int dr, bool uplink) noexcept;

/// Which payload table a check uses.
enum class link_direction : std::uint8_t { uplink, downlink };

/// Max application payload N at `dr` (pycom-api.md 3.6): the firmware's no-repeater table,
/// the dwell-time table when `dwell_time` applies to this region; empty where the table has
/// no entry (RFU rates; CN470 DR6, which SO_DR accepts but the firmware's table lacks).
std::optional<int> max_payload_n(const lorawan_region& r, int dr, bool dwell_time = false,
                                 link_direction direction = link_direction::uplink) noexcept;

/// Max MACPayload M = N + 8 (radio.md 1.4).
std::optional<int> max_macpayload_m(const lorawan_region& r, int dr, bool dwell_time = false,
                                    link_direction direction = link_direction::uplink) noexcept;

/// The next lower TX DR (PHY_NEXT_LOWER_TX_DR): DR - 1, never below the minimum (the
/// dwell-limit DR with dwell time 1); IN865 goes from DR7 to DR5 over the RFU DR6.
int next_lower_uplink_dr(const lorawan_region& r, int dr, bool uplink_dwell_time = false) noexcept;

/// The DR of transmission `transmission` (1-based) of a confirmed uplink first sent at
/// `first_dr`: one notch lower on the 3rd, 5th and 7th (pycom-api.md 3.4; LoRaMac's
/// AckTimeoutRetriesCounter odd steps).
int confirmed_transmission_dr(const lorawan_region& r, int first_dr, int transmission,
                              bool uplink_dwell_time = false) noexcept;

/// What the ADR back-off decides before an uplink (Region*AdrNext).
struct adr_backoff {
    int dr = 0;
    int tx_power_index = 0;
    bool adr_ack_req = false;               ///< set ADRACKReq in FCtrl
    bool reset_ack_counter = false;         ///< at the minimum DR: ADR_ACK_CNT goes back to 0
    bool restore_default_channels = false;  ///< reached the minimum DR: re-enable the defaults
};

/// The ADR back-off with ADR on (Region*AdrNext): from ADR_ACK_LIMIT uplinks without a
/// downlink on, ask (ADRACKReq) at full power (index 0); from ADR_ACK_LIMIT + ADR_ACK_DELAY
/// on, lower the DR one notch whenever adr_ack_counter % ADR_ACK_DELAY == 1, until the
/// minimum DR. With ADR off nothing changes.
adr_backoff adr_next(const lorawan_region& r, bool adr_enabled, int dr, int tx_power_index,
                     std::uint32_t adr_ack_counter, bool uplink_dwell_time = false) noexcept;

/// RX1 DR for an uplink at `uplink_dr` with RX1DROffset `offset` (radio.md 2.2-2.6); -1 if
/// `uplink_dr` is not an uplink DR of the region or the offset is out of range. Downlink
/// dwell time matters in AS923 only.
int rx1_data_rate(const lorawan_region& r, int uplink_dr, int offset, bool downlink_dwell_time = false) noexcept;

/// True if `offset` is an RX1DROffset the region accepts (0..max_rx1_dr_offset).
constexpr bool rx1_dr_offset_valid(const lorawan_region& r, int offset) noexcept {
    return offset >= 0 && offset <= r.max_rx1_dr_offset;
}

/// RX1 frequency for an uplink on channel `uplink_channel` (radio.md 2.2-2.6): EU-like the
/// channel's frequency (or its DlChannelReq override); US915/AU915 923.3 MHz + 600 kHz *
/// (channel % 8); CN470 500.3 MHz + 200 kHz * (channel % 48).
std::int64_t rx1_frequency_hz(const lorawan_region& r, int uplink_channel, const channel& ch) noexcept;

/// Required demodulation SNR of a LoRa spreading factor, the LinkCheckAns margin floor
/// (interop.md 4: SF7 -7.5 ... SF12 -20 dB, 2.5 dB a step); SF outside 7..12 is clamped.
double demodulation_floor_snr_db(int spreading_factor) noexcept;

// ---------------------------------------------------------------------------------------
// TX power

/// True if `index` is a TXPower index of the region (0..max_tx_power_index).
constexpr bool tx_power_index_valid(const lorawan_region& r, int index) noexcept {
    return index >= 0 && index <= r.max_tx_power_index;
}

/// EIRP (US915: conducted ERP) of a TXPower index: max_eirp_dbm - 2 * index dB.
constexpr double tx_power_dbm(const lorawan_region& r, int index) noexcept {
    return r.max_eirp_dbm - 2.0 * index;
}

/// The radio's output power for a TXPower index, as RegionCommonComputeTxPower:
/// floor(max EIRP - 2 * index - antenna gain) dBm.
int radio_tx_power_dbm(const lorawan_region& r, int index) noexcept;

/// The index the MAC actually uses (Region*LimitTxPower): US915 caps DR4 at 26 dBm (index
/// >= 2) and, with fewer than 50 125-kHz channels enabled, 21 dBm (index >= 5).
int limit_tx_power_index(const lorawan_region& r, int index, int dr, const channel_mask& enabled) noexcept;

/// The MaxEIRP of a TxParamSetupReq's 4-bit index (LoRaWAN 1.0.2 section 5.8):
/// 8, 10, 12, 13, 14, 16, 18, 20, 21, 24, 26, 27, 29, 30, 33, 36 dBm.
double max_eirp_from_index(int index) noexcept;

// ---------------------------------------------------------------------------------------
// Channels: defaults, fixed plans, CFList

/// The region's channel list at init (Region*InitDefaults), max_channels long: the default
/// channels of a dynamic plan (the rest undefined), or every channel of a fixed plan.
std::vector<channel> initial_channels(const lorawan_region& r);

/// The channels enabled at init: the default channels, or every channel of a fixed plan
/// (the firmware enables all 72 US915/AU915 and all 96 CN470 channels).
channel_mask initial_channel_mask(const lorawan_region& r) noexcept;

/// Channel `index` of a fixed plan; an undefined channel outside the plan or in a dynamic one.
channel fixed_channel(const lorawan_region& r, int index) noexcept;

/// True if `frequency_hz` lies in the region's band [min_frequency_hz, max_frequency_hz].
bool frequency_in_band(const lorawan_region& r, std::int64_t frequency_hz) noexcept;

/// True if the MAC accepts `frequency_hz` for an uplink channel (the region's VerifyRfFreq;
/// EU868: inside one of its duty-cycle sub-bands).
bool channel_frequency_valid(const lorawan_region& r, std::int64_t frequency_hz) noexcept;

/// The five frequencies of a join-accept CFList (radio.md 2.2: 24-bit little endian, 100 Hz
/// units; the 16th byte is RFU in 1.0.2); 0 for an empty slot. They go to channels
/// cflist_first_channel() .. + 4 with DR0-DR5, and the slots after them are removed.
std::array<std::int64_t, 5> cflist_frequencies_hz(const std::uint8_t (&cflist)[16]) noexcept;

/// First channel a CFList fills: the default-channel count of a dynamic plan; -1 for fixed
/// plans, which ignore the CFList in 1.0.2 (radio.md 2.3).
constexpr int cflist_first_channel(const lorawan_region& r) noexcept {
    return r.plan == channel_plan_kind::dynamic ? r.default_channel_count : -1;
}

// ---------------------------------------------------------------------------------------
// The Pycom API's checks

/// True if setsockopt(SO_DR, dr) is accepted (pycom-api.md 3.2): 0..6, US915 0..4.
constexpr bool so_dr_valid(const lorawan_region& r, int dr) noexcept { return dr >= 0 && dr <= r.so_dr_max; }

/// True if join(dr=dr) is accepted (pycom-api.md 4.4); IN865 accepts any value.
constexpr bool join_dr_valid(const lorawan_region& r, int dr) noexcept {
    return !r.join_dr_checked || (dr >= 0 && dr < max_data_rates && ((r.join_drs_mask >> dr) & 1U) != 0);
}

/// What add_channel() raises (pycom-api.md 4.5).
enum class add_channel_error : std::uint8_t {
    none,
    channel_out_of_range,  ///< ValueError("channel %d out of range")
    invalid_argument,      ///< ValueError("invalid argument(s) value")
};

/// The binding's checks of add_channel(index, frequency=, dr_min=, dr_max=): index below the
/// region's channel count (EU433 unchecked), dr_min <= dr_max and both SO_DR-valid.
add_channel_error check_add_channel(const lorawan_region& r, int index, int dr_min, int dr_max) noexcept;

/// The binding's check of remove_channel(index): the same index rule.
add_channel_error check_remove_channel(const lorawan_region& r, int index) noexcept;

/// A LoRaMac channel-add status (LoRaMacStatus_t subset).
enum class channel_add_status : std::uint8_t {
    ok,
    parameter_invalid,
    frequency_invalid,
    datarate_invalid,
    frequency_and_datarate_invalid,
};

/// What the MAC does with add_channel() after the binding's checks (Region*ChannelManualAdd;
/// anything but ok is silently ignored by the binding): DRs inside the TX range and in
/// order; a default channel must keep DR0 as minimum and a maximum of DR5 or more; US915 and
/// AU915 channels 0-63 must start at DR0; the frequency must be the region's. CN470 accepts
/// nothing.
channel_add_status manual_channel_add(const lorawan_region& r, int index, const channel& ch) noexcept;

/// What the MAC does with remove_channel() (Region*ChannelsRemove / ChannelsManualRemove):
/// false (ignored) for a default channel of a dynamic plan, an index beyond the plan, or
/// CN470.
bool manual_channel_remove(const lorawan_region& r, int index) noexcept;

// ---------------------------------------------------------------------------------------
// MAC commands (interop.md 4), as the firmware's Region*Req functions answer them

/// One LinkADRReq (interop.md 4: DataRate_TXPower, ChMask, Redundancy).
struct link_adr_req {
    int dr = 0;
    int tx_power_index = 0;
    std::uint16_t ch_mask = 0;
    int ch_mask_cntl = 0;
    int nb_trans = 0;
};

/// LinkADRAns status bits.
inline constexpr std::uint8_t link_adr_channel_mask_ack = 0x01;
inline constexpr std::uint8_t link_adr_data_rate_ack = 0x02;
inline constexpr std::uint8_t link_adr_power_ack = 0x04;

/// The device's settings a LinkADRReq block may change.
struct link_adr_state {
    int dr = 0;
    int tx_power_index = 0;
    int nb_trans = 1;
    channel_mask mask{};
};

/// The answer to a block of consecutive LinkADRReqs and the settings to apply.
struct link_adr_result {
    std::uint8_t status = 0;  ///< every LinkADRAns of the block carries it
    bool accepted = false;    ///< status == 0x07: apply `state`; otherwise keep everything
    link_adr_state state{};
};

/// Evaluates a LinkADRReq block (Region*LinkAdrReq + RegionCommonLinkAdrReqVerifyParams):
/// the channel-mask rules per request (EU-like: ChMaskCntl 0 = mask, 6 = all defined
/// channels, others RFU, no undefined channel, not all off; US915/AU915: 0-4 set 16
/// channels, 5 RFU, 6 all 125 kHz on + ChMask on 64-71, 7 all 125 kHz off + ChMask on 64-71,
/// at least two 125 kHz channels below the 500 kHz DR; CN470: 0-5 set 16 channels, 6 all
/// on, 7 RFU), the last request's DR (enabled channel supporting it) and TX power; NbTrans 0
/// means 1. With ADR off the device keeps its DR, power and NbTrans and may only change
/// the mask. `channels` is the current channel list (max_channels long).
link_adr_result link_adr_request(const lorawan_region& r, const std::vector<channel>& channels,
                                 const link_adr_state& current, const std::vector<link_adr_req>& block,
                                 bool adr_enabled, bool uplink_dwell_time = false);

/// RXParamSetupAns status bits (interop.md 4).
inline constexpr std::uint8_t rx_param_channel_ack = 0x01;
inline constexpr std::uint8_t rx_param_rx2_dr_ack = 0x02;
inline constexpr std::uint8_t rx_param_rx1_offset_ack = 0x04;

/// The RXParamSetupAns status (Region*RxParamSetupReq): RX2 frequency (EU868 its bands,
/// US915/AU915 923.3-927.5 MHz on the 600 kHz grid, CN470 500.3-509.7 MHz on 200 kHz, AS923
/// anything the radio tunes), RX2 DR among the downlink DRs, RX1DROffset in range.
std::uint8_t rx_param_setup_status(const lorawan_region& r, int rx1_dr_offset, int rx2_dr,
                                   std::int64_t frequency_hz) noexcept;

/// NewChannelAns status bits.
inline constexpr std::uint8_t new_channel_frequency_ack = 0x01;
inline constexpr std::uint8_t new_channel_dr_ack = 0x02;

/// The NewChannelAns status (Region*NewChannelReq): frequency 0 removes the channel (not a
/// default one); otherwise the LoRaMac channel-add rules (EU868/IN865/EU433 refuse default
/// channels; AS923 lets them keep their frequency only). US915, AU915 and CN470 answer 0.
/// Apply the channel when the status is 0x03.
std::uint8_t new_channel_status(const lorawan_region& r, const std::vector<channel>& channels, int index,
                                const channel& requested) noexcept;

/// DlChannelAns status bits.
inline constexpr std::uint8_t dl_channel_frequency_ack = 0x01;
inline constexpr std::uint8_t dl_channel_uplink_exists_ack = 0x02;

/// The DlChannelAns status (Region*DlChannelReq, LoRaWAN 1.0.2 0x0A): the RX1 frequency must
/// be the region's and the uplink channel defined; US915, AU915 and CN470 answer 0. Set the
/// channel's rx1_frequency_hz when the status is 0x03.
std::uint8_t dl_channel_status(const lorawan_region& r, const std::vector<channel>& channels, int index,
                               std::int64_t rx1_frequency_hz) noexcept;

// ---------------------------------------------------------------------------------------
// Duty cycle (radio.md 2.1, 2.2)

/// The sub-band `frequency_hz` belongs to; null if none (then the MAC refuses the frequency
/// in EU868).
const duty_band* duty_band_of(const lorawan_region& r, std::int64_t frequency_hz) noexcept;

/// How long a band stays closed after a transmission of `airtime_us` with duty cycle
/// 1/`divisor`: T * divisor - T, with T rounded up to whole ms as the firmware does.
time_us duty_cycle_off_time_us(int divisor, time_us airtime_us) noexcept;

/// The join-request back-off divisor (RegionCommonGetJoinDc): 100 during the first hour
/// after start, 1000 until 11 h, 10000 after; the MAC applies the stricter of this and the
/// band's.
int join_duty_cycle_divisor(time_us since_start_us) noexcept;

}  // namespace usocket::sim
