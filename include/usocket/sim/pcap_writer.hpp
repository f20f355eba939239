// usocket/sim/pcap_writer.hpp: every LoRa frame on the air as a Wireshark capture: a
// classic libpcap file of link type 270 (LINKTYPE_LORATAP), one record per frame, each a
// LoRaTap version 0 header and the frame's PHY payload (interop.md 1.1 and 1.2).
//
// What a record holds:
// - Timestamp: the frame's end in world time (ts_sec, ts_usec = end_us / 10^6, end_us %
//   10^6; no wall clock), when a receiver has it, as a gateway stamps a frame. Records
//   are written as frames end, so timestamps never go backwards.
// - Frequency (Hz), bandwidth (in 125 kHz steps: 1, 2, 4), SF (6..12 as is) and the sync
//   word (0x34 public/LoRaWAN, 0x12 private) of the frame as sent.
// - RSSI and SNR of the best reception: the radio that received the frame with the
//   highest RSSI (lora_observed_frame::best_reception). packet_rssi = RSSI + 139 rounded,
//   clamped to 0..254 (what every Wireshark shows: -139 + value dBm; the SX127x-style
//   "value x 0.25 when SNR < 0" rule of the LoRaTap README is implemented by no Wireshark,
//   so it is not applied). snr = SNR x 4 rounded, two's complement, clamped to -128..127.
// - A frame no radio received (nobody listened, or every receiver lost it) still gets a
//   record: packet_rssi = 255 (N/A in LoRaTap's convention; Wireshark 4.0 prints it as
//   "116 dBm") and snr = 0.
// - max_rssi and current_rssi are always 255 (N/A): the emulator has no such readings.
//
// Each record is flushed as it is written: a crash keeps every frame written before it.
// Write errors after the file opened are remembered (failed()), never thrown into the
// world event that reports the frame.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"

namespace usocket::sim {

/// pcap link type of LoRaTap (tcpdump.org LINKTYPE_LORATAP).
inline constexpr std::uint32_t linktype_loratap = 270;
/// Size of a LoRaTap version 0 header.
inline constexpr std::size_t loratap_v0_size = 15;
/// The 255 of an RSSI field that has no value.
inline constexpr std::uint8_t loratap_rssi_none = 255;

/// The 24-byte global header: magic a1b2c3d4 (written little-endian), version 2.4, zone 0,
/// sigfigs 0, snaplen 65535, network 270.
std::array<std::uint8_t, 24> pcap_global_header() noexcept;

/// The LoRaTap v0 header of a frame (multi-byte fields big-endian), as described above.
std::array<std::uint8_t, loratap_v0_size> loratap_v0_header(const lora_observed_frame& frame) noexcept;

/// One whole record: ts_sec, ts_usec, incl_len, orig_len (little-endian u32), then the
/// LoRaTap header and the payload.
std::vector<std::uint8_t> pcap_record(const lora_observed_frame& frame);

class pcap_writer {
public:
    /// Creates (or truncates) `path` and writes the global header; std::runtime_error if
    /// the file cannot be written.
    explicit pcap_writer(const std::string& path);
    ~pcap_writer();
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;

    /// Appends the frame's record and flushes it. Safe from any thread.
    void write(const lora_observed_frame& frame);
    /// Closes the file; later writes are ignored. Idempotent.
    void close();

    const std::string& path() const noexcept { return path_; }
    std::uint64_t records() const;
    /// True once a write failed (disk full...): that frame and later ones are not written.
    bool failed() const;

private:
    std::string path_;
    mutable std::mutex mutex_;
    std::ofstream file_;
    std::uint64_t records_ = 0;
    bool failed_ = false;
};

}  // namespace usocket::sim
