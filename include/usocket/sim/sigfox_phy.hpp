// usocket/sim/sigfox_phy.hpp: Sigfox radio facts: the zones Pycom exposes (RCZ1..RCZ4), the
// uplink frame classes and their durations, the downlink frame, and the point-to-point FSK
// frames of the SiPy. Pure functions and constants, each citing its source (radio.md section
// 5 unless said otherwise).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "usocket/sim/scheduler.hpp"

namespace usocket::sim {

/// Sigfox.RCZ1 .. RCZ4 (the values of modsigfox.h).
enum class sigfox_zone : int { rcz1 = 0, rcz2 = 1, rcz3 = 2, rcz4 = 3 };

/// How a zone may use the air (radio.md 5.1 "access rule").
enum class sigfox_access {
    duty_cycle,         ///< ETSI 1 % (RC1)
    frequency_hopping,  ///< FCC (RC2, RC4): micro channels, no reuse within 20 s
    listen_before_talk, ///< ARIB (RC3): the channel must be below -80 dBm first
};

/// One zone's radio configuration.
struct sigfox_zone_params {
    sigfox_zone zone;
    std::int64_t uplink_hz;    ///< centre of the uplink macro channel (frequencies()[0])
    std::int64_t downlink_hz;  ///< downlink centre (frequencies()[1])
    int uplink_bps;
    int downlink_bps;
    /// Width of the uplink macro channel frames are spread over (the Sigfox device library in
    /// Pycom's sources: RC1, RC2, RC4 192 kHz, RC3 36 kHz; radio.md 5.1 notes).
    std::int64_t macro_channel_hz;
    sigfox_access access;
    /// Recommended EIRP (radio.md 5.1), the device's transmit power here.
    double eirp_dbm;
};

/// The zone's parameters (radio.md 5.1 table, frequencies() of pycom-api.md 5.2).
const sigfox_zone_params& zone_params(sigfox_zone zone) noexcept;
/// Sigfox.RCZ1 (0) .. RCZ4 (3); nullopt for anything else.
std::optional<sigfox_zone> zone_from_code(int code) noexcept;

// --- uplink frames (radio.md 5.2) -----------------------------------------------------

/// Payloads an uplink carries at most (SIGFOX_TX_PAYLOAD_SIZE_MAX).
inline constexpr std::size_t sigfox_max_uplink_bytes = 12;
/// An uplink frame is this many bits plus the packet: preamble 20 + frame type 12 + CRC 16.
inline constexpr int uplink_overhead_bits = 20 + 12 + 16;

/// Uplink length classes: A the bit frame, B 1 byte, C 2-4, D 5-8, E 9-12 bytes.
enum class sigfox_frame_class { a, b, c, d, e };

/// The class of a `payload_bytes` payload (0: the bit frame of SIGFOX_API_send_bit).
sigfox_frame_class frame_class(std::size_t payload_bytes) noexcept;
/// Bits on air of one uplink frame of that class: 112, 120, 144, 176, 208.
int uplink_frame_bits(sigfox_frame_class c) noexcept;
/// The frame type field of repetition `repetition` (0, 1, 2) of a class (radio.md 5.2:
/// bit 0x06B/0x6E0/0x034 ... 12 B 0x94C/0x971/0x997).
std::uint16_t frame_type(sigfox_frame_class c, int repetition) noexcept;
/// Out-of-band frames (keep-alive, downlink ack) carry 8 bytes of status (voltage idle/TX,
/// temperature, RSSI: MANUF_API_get_voltage_temperature), so class D.
inline constexpr std::size_t oob_payload_bytes = 8;

/// Duration of `bits` at `bit_rate_bps`, rounded to the nearest microsecond (exact at 100
/// bit/s; 600 bit/s gives 186667 us for the 112-bit frame).
time_us bits_duration_us(int bits, int bit_rate_bps) noexcept;
/// One uplink frame of class `c` at `bit_rate_bps` (100 or 600).
time_us uplink_frame_us(sigfox_frame_class c, int bit_rate_bps) noexcept;

/// Signal bandwidth of DBPSK at `bit_rate_bps`: about the bit rate (radio.md 5.1: ~100 Hz
/// at 100 bit/s), what two frames must overlap by to collide.
double uplink_signal_bandwidth_hz(int bit_rate_bps) noexcept;

// --- downlink frames (radio.md 5.2) ---------------------------------------------------

/// Downlink payloads are exactly 8 bytes (SIGFOX_RX_PAYLOAD_SIZE_MAX).
inline constexpr std::size_t sigfox_downlink_bytes = 8;
/// Preamble 91 + sync 13 + ECC 32 + payload 64 + MAC 16 + CRC 8.
inline constexpr int downlink_frame_bits = 224;
/// 600 bit/s GFSK in every zone.
inline constexpr int downlink_bps = 600;
/// 224 bits at 600 bit/s: 373333 us.
time_us downlink_frame_us() noexcept;
/// The library's downlink timers (radio.md 5.3, from its porting layer): the device waits
/// 20 s from the end of the first uplink frame, then listens up to 25 s.
inline constexpr time_us sigfox_downlink_wait_us = 20'000'000;
inline constexpr time_us sigfox_listen_window_us = 25'000'000;
/// Occupied bandwidth of the 600 bit/s GFSK downlink: Carson's rule with the ~800 Hz
/// deviation of Sigfox downlinks, rounded (an assumption: radio.md gives no figure).
inline constexpr double downlink_signal_bandwidth_hz = 1600.0;

// --- SiPy point-to-point FSK (esp32/sigfox/modsigfox.c, cc112x_easy_link_reg_config.h) --

/// FSK_TX_PAYLOAD_SIZE_MAX of modsigfox.h.
inline constexpr std::size_t fsk_max_payload_bytes = 64;
/// The CC1125 register export Pycom's FSK mode loads (cc1125PreferredSettings): "Bit rate =
/// 1.2", "Modulation format = 2-GFSK", "Deviation = 3.995895" (kHz), "RX filter BW = 15.625".
inline constexpr int fsk_bit_rate_bps = 1200;
inline constexpr double fsk_rx_filter_bandwidth_hz = 15625.0;
/// Occupied bandwidth (Carson: 2 x (4 kHz deviation + 1.2 kHz / 2)).
inline constexpr double fsk_signal_bandwidth_hz = 9200.0;
/// Packet framing: the export leaves the CC112x defaults for the preamble (PREAMBLE_CFG1
/// 0x14: 4 bytes) and sync word (SYNC_CFG0: 32 bits), sets a variable length byte
/// (PKT_CFG0 0x20) and keeps CRC-16 on (PKT_CFG1 default). So 4 + 4 + 1 + n + 2 bytes.
inline constexpr int fsk_overhead_bytes = 4 + 4 + 1 + 2;
/// Bits on air of an FSK frame of `payload_bytes`.
int fsk_frame_bits(std::size_t payload_bytes) noexcept;
/// Duration of that frame at 1.2 kbit/s (64 bytes: 500 ms).
time_us fsk_frame_us(std::size_t payload_bytes) noexcept;

}  // namespace usocket::sim
