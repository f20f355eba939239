// lora_phy.cpp: the time-on-air formula in integers, and the firmware's floating-point copy.
#include "usocket/sim/lora_phy.hpp"

#include <algorithm>
#include <cmath>

namespace usocket::sim {
namespace {

// LoRaSim's sensitivity table (radio.md 4.3): rows SF7..SF12, columns 125/250/500 kHz.
constexpr double lorasim_sensitivity_dbm[6][3] = {
    {-126.50, -124.25, -120.75}, {-127.25, -126.75, -124.00}, {-131.25, -128.25, -127.50},
    {-132.75, -130.25, -128.75}, {-134.50, -132.75, -128.75}, {-133.25, -132.25, -132.25},
};
// SF6 at 500 kHz (SX1276 datasheet, LoRaSim experiment 2); 3 dB better per halved bandwidth.
constexpr double sf6_500khz_sensitivity_dbm = -112.0;

int bandwidth_column(std::int64_t bandwidth_hz) noexcept {
    if (bandwidth_hz >= 500000) {
        return 2;
    }
    return bandwidth_hz >= 250000 ? 1 : 0;
}

/// ceil(a / b) for b > 0 and any sign of a.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

}  // namespace

bool low_data_rate_optimize(int spreading_factor, std::int64_t bandwidth_hz) noexcept {
    return (bandwidth_hz == 125000 && spreading_factor >= 11) || (bandwidth_hz == 250000 && spreading_factor == 12);
}

time_us symbol_time_us(int spreading_factor, std::int64_t bandwidth_hz) noexcept {
    return (std::int64_t{1} << spreading_factor) * 1000000 / bandwidth_hz;
}

std::int64_t payload_symbols(const lora_modulation& m, std::size_t payload_bytes) noexcept {
    const int de = low_data_rate_optimize(m.spreading_factor, m.bandwidth_hz) ? 1 : 0;
    const std::int64_t num = 8 * static_cast<std::int64_t>(payload_bytes) - 4 * m.spreading_factor + 28 +
                             16 * (m.crc_on ? 1 : 0) - 20 * (m.implicit_header ? 1 : 0);
    const std::int64_t den = 4 * (m.spreading_factor - 2 * de);
    return 8 + std::max<std::int64_t>(ceil_div(num, den) * (m.coding_rate + 4), 0);
}

time_us time_on_air_us(const lora_modulation& m, std::size_t payload_bytes) noexcept {
    // (preamble + 4.25 + payload symbols) * 2^SF / BW, kept in quarter symbols.
    const std::int64_t quarter_symbols = 4 * m.preamble_symbols + 17 + 4 * payload_symbols(m, payload_bytes);
    const std::int64_t num = quarter_symbols * (std::int64_t{1} << m.spreading_factor) * 1000000;
    const std::int64_t den = 4 * m.bandwidth_hz;
    return (num + den - 1) / den;
}

std::uint32_t firmware_airtime_ms(const lora_modulation& m, std::size_t payload_bytes) noexcept {
    // The driver's own arithmetic (drivers/sx127x/sx1276.c SX1276GetTimeOnAir): Datarate is
    // a uint32_t, so the numerator is unsigned and a negative value wraps.
    const std::uint32_t datarate = static_cast<std::uint32_t>(m.spreading_factor);
    const std::uint32_t numerator = static_cast<std::uint32_t>(8 * static_cast<int>(payload_bytes & 0xFF)) -
                                    4 * datarate + 28 + 16 * (m.crc_on ? 1U : 0U) -
                                    (m.implicit_header ? 20U : 0U);
    const int de = low_data_rate_optimize(m.spreading_factor, m.bandwidth_hz) ? 2 : 0;
    const double rs = static_cast<double>(m.bandwidth_hz) / static_cast<double>(1U << datarate);
    const double ts = 1 / rs;
    const double t_preamble = (static_cast<std::uint8_t>(m.preamble_symbols) + 4.25) * ts;
    const double tmp = std::ceil(numerator / static_cast<double>(4 * (m.spreading_factor - de))) * (m.coding_rate + 4);
    const double n_payload = 8 + (tmp > 0 ? tmp : 0);
    const double ms = std::floor((t_preamble + n_payload * ts) * 1000 + 0.999);
    // Out-of-range doubles reach a uint32_t on the device; keep the low 32 bits.
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ms));
}

double sensitivity_dbm(int spreading_factor, std::int64_t bandwidth_hz) noexcept {
    const int column = bandwidth_column(bandwidth_hz);
    if (spreading_factor <= 6) {
        return sf6_500khz_sensitivity_dbm - 3.0 * (2 - column);
    }
    return lorasim_sensitivity_dbm[std::min(spreading_factor, 12) - 7][column];
}

double noise_floor_dbm(std::int64_t bandwidth_hz) noexcept {
    return thermal_noise_dbm_per_hz + 10.0 * std::log10(static_cast<double>(bandwidth_hz)) + receiver_noise_figure_db;
}

}  // namespace usocket::sim
