// sigfox_phy.cpp: the Sigfox zone table and frame arithmetic (radio.md section 5).
#include "usocket/sim/sigfox_phy.hpp"

#include <algorithm>

namespace usocket::sim {
namespace {

constexpr time_us us_per_s = 1'000'000;

/// radio.md 5.1 (centres, rates, EIRP, access) with the macro-channel widths of the Sigfox
/// device library in Pycom's sources (radio.md 5.1 notes); frequencies() of pycom-api.md 5.2.
constexpr sigfox_zone_params zone_table[] = {
    {sigfox_zone::rcz1, 868'130'000, 869'525'000, 100, 600, 192'000, sigfox_access::duty_cycle, 16.0},
    {sigfox_zone::rcz2, 902'200'000, 905'200'000, 600, 600, 192'000, sigfox_access::frequency_hopping, 24.0},
    {sigfox_zone::rcz3, 923'200'000, 922'200'000, 100, 600, 36'000, sigfox_access::listen_before_talk, 16.0},
    {sigfox_zone::rcz4, 920'800'000, 922'300'000, 600, 600, 192'000, sigfox_access::frequency_hopping, 24.0},
};

/// Packet bytes per class (flags + SN + ID + payload + MAC): 8, 9, 12, 16, 20 (radio.md 5.2).
constexpr int packet_bytes[] = {8, 9, 12, 16, 20};

/// Frame types of the first, second and third transmission (radio.md 5.2).
constexpr std::uint16_t frame_types[][3] = {
    {0x06B, 0x6E0, 0x034}, {0x08D, 0x0D2, 0x302}, {0x35F, 0x598, 0x5A3},
    {0x611, 0x6BF, 0x72C}, {0x94C, 0x971, 0x997},
};

constexpr int index_of(sigfox_frame_class c) noexcept { return static_cast<int>(c); }

}  // namespace

const sigfox_zone_params& zone_params(sigfox_zone zone) noexcept {
    return zone_table[std::clamp(static_cast<int>(zone), 0, 3)];
}

std::optional<sigfox_zone> zone_from_code(int code) noexcept {
    if (code < 0 || code > 3) {
        return std::nullopt;
    }
    return static_cast<sigfox_zone>(code);
}

sigfox_frame_class frame_class(std::size_t payload_bytes) noexcept {
    if (payload_bytes == 0) {
        return sigfox_frame_class::a;
    }
    if (payload_bytes == 1) {
        return sigfox_frame_class::b;
    }
    if (payload_bytes <= 4) {
        return sigfox_frame_class::c;
    }
    return payload_bytes <= 8 ? sigfox_frame_class::d : sigfox_frame_class::e;
}

int uplink_frame_bits(sigfox_frame_class c) noexcept { return uplink_overhead_bits + 8 * packet_bytes[index_of(c)]; }

std::uint16_t frame_type(sigfox_frame_class c, int repetition) noexcept {
    return frame_types[index_of(c)][std::clamp(repetition, 0, 2)];
}

time_us bits_duration_us(int bits, int bit_rate_bps) noexcept {
    if (bit_rate_bps <= 0) {
        return 0;
    }
    const time_us numerator = static_cast<time_us>(bits) * us_per_s;
    return (numerator + bit_rate_bps / 2) / bit_rate_bps;
}

time_us uplink_frame_us(sigfox_frame_class c, int bit_rate_bps) noexcept {
    return bits_duration_us(uplink_frame_bits(c), bit_rate_bps);
}

double uplink_signal_bandwidth_hz(int bit_rate_bps) noexcept { return static_cast<double>(bit_rate_bps); }

time_us downlink_frame_us() noexcept { return bits_duration_us(downlink_frame_bits, downlink_bps); }

int fsk_frame_bits(std::size_t payload_bytes) noexcept {
    return 8 * (fsk_overhead_bytes + static_cast<int>(std::min(payload_bytes, fsk_max_payload_bytes)));
}

time_us fsk_frame_us(std::size_t payload_bytes) noexcept {
    return bits_duration_us(fsk_frame_bits(payload_bytes), fsk_bit_rate_bps);
}

}  // namespace usocket::sim
