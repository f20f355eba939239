// lorawan_network_mac.hpp (private to radio_sim): the MAC commands of LoRaWAN 1.0.2 as the
// network server reads and writes them (interop.md 4, radio.md 3.1).
#pragma once

#include <cstdint>
#include <vector>

#include "usocket/sim/lorawan_crypto.hpp"
#include "usocket/sim/lorawan_network.hpp"

namespace usocket::sim::ns_mac {

inline constexpr std::uint8_t cid_link_check = 0x02;
inline constexpr std::uint8_t cid_link_adr = 0x03;
inline constexpr std::uint8_t cid_duty_cycle = 0x04;
inline constexpr std::uint8_t cid_rx_param_setup = 0x05;
inline constexpr std::uint8_t cid_dev_status = 0x06;
inline constexpr std::uint8_t cid_new_channel = 0x07;
inline constexpr std::uint8_t cid_rx_timing_setup = 0x08;
inline constexpr std::uint8_t cid_tx_param_setup = 0x09;
inline constexpr std::uint8_t cid_dl_channel = 0x0A;

/// Payload bytes after the CID of a command a device sends; -1 for a CID it never sends.
int uplink_command_size(std::uint8_t cid) noexcept;

/// The commands of an uplink's FOpts or port-0 payload; parsing stops at an unknown CID or a
/// truncated command (lengths are implicit, so nothing after it can be read).
std::vector<lorawan_mac_command> parse_uplink_commands(lorawan::byte_view bytes);

/// A 24-bit little-endian frequency in 100 Hz units at `offset`, in Hz.
std::int64_t frequency_of(const lorawan::bytes& payload, std::size_t offset) noexcept;

/// Request payloads (without the CID); std::invalid_argument for a field out of range.
lorawan::bytes link_adr_req_payload(int dr, int tx_power_index, std::uint16_t ch_mask, int ch_mask_cntl,
                                    int nb_trans);
lorawan::bytes rx_param_setup_req_payload(int rx1_dr_offset, int rx2_dr, std::int64_t frequency_hz);
lorawan::bytes new_channel_req_payload(int index, std::int64_t frequency_hz, int min_dr, int max_dr);

}  // namespace usocket::sim::ns_mac
