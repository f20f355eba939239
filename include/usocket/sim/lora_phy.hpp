// usocket/sim/lora_phy.hpp: LoRa modulation facts: time on air, symbol time, sensitivity,
// noise floor (radio.md section 1 and 4.3).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usocket/sim/scheduler.hpp"

namespace usocket::sim {

/// How one LoRa frame is modulated.
struct lora_modulation {
    int spreading_factor = 7;           ///< 6..12
    std::int64_t bandwidth_hz = 125000;  ///< 125000, 250000 or 500000
    int coding_rate = 1;                 ///< 1..4 for 4/5..4/8
    int preamble_symbols = 8;            ///< as programmed; the radio adds 4.25
    bool implicit_header = false;
    bool crc_on = true;
};

/// The SX127x drivers' low-data-rate optimisation rule: on when a symbol lasts over 16 ms
/// (125 kHz with SF11/12, 250 kHz with SF12). radio.md 1.1.
bool low_data_rate_optimize(int spreading_factor, std::int64_t bandwidth_hz) noexcept;

/// One symbol, 2^SF / BW, in microseconds (exact for 125/250/500 kHz).
time_us symbol_time_us(int spreading_factor, std::int64_t bandwidth_hz) noexcept;

/// Payload symbols of a frame of `payload_bytes` (radio.md 1.1, the `n_payload` term).
std::int64_t payload_symbols(const lora_modulation& m, std::size_t payload_bytes) noexcept;

/// Exact time on air in microseconds (Semtech formula, radio.md 1.1): what the medium
/// uses. Every LoRa airtime is a multiple of Tsym/4, so at 125/250/500 kHz it is exact.
time_us time_on_air_us(const lora_modulation& m, std::size_t payload_bytes) noexcept;

/// What the Pycom firmware reports (lora.airtime(), stats().tx_time_on_air): its SX127x
/// driver's floor(ms + 0.999), including its bug for a negative payload-symbol numerator
/// (0-2 byte frames at high SF): the unsigned 32-bit arithmetic wraps and the result is
/// garbage, reproduced here as the driver computes it, truncated to 32 bits (radio.md 1.2).
std::uint32_t firmware_airtime_ms(const lora_modulation& m, std::size_t payload_bytes) noexcept;

/// Receiver sensitivity in dBm for SF7..SF12 at 125/250/500 kHz: the measured values
/// LoRaSim uses (radio.md 4.3, Bor et al. 2016 table 3). SF6 uses the SX1276 datasheet
/// figure LoRaSim's experiment 2 uses (-112 dBm at 500 kHz), scaled by bandwidth.
double sensitivity_dbm(int spreading_factor, std::int64_t bandwidth_hz) noexcept;

/// kTB at 290 K: -174 dBm/Hz (thermal noise density).
inline constexpr double thermal_noise_dbm_per_hz = -174.0;
/// SX1276 receiver noise figure (Semtech SX1276 datasheet, LNA in band 1: 6 dB).
inline constexpr double receiver_noise_figure_db = 6.0;

/// Noise floor of a receiver of `bandwidth_hz`: -174 + 10 log10(BW) + NF.
double noise_floor_dbm(std::int64_t bandwidth_hz) noexcept;

}  // namespace usocket::sim
