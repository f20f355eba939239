// lorawan_network_mac.cpp: MAC command encoding and parsing for the network server.
#include "lorawan_network_mac.hpp"

#include <stdexcept>

namespace usocket::sim::ns_mac {

namespace lw = lorawan;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::invalid_argument(what);
    }
}

void put_frequency(lw::bytes& out, std::int64_t frequency_hz) {
    check(frequency_hz >= 0 && frequency_hz % 100 == 0 && frequency_hz / 100 <= 0xFFFFFF,
          "a MAC command frequency is a multiple of 100 Hz below 1.6777216 GHz");
    const auto units = static_cast<std::uint32_t>(frequency_hz / 100);
    out.push_back(static_cast<std::uint8_t>(units & 0xFF));
    out.push_back(static_cast<std::uint8_t>((units >> 8) & 0xFF));
    out.push_back(static_cast<std::uint8_t>((units >> 16) & 0xFF));
}

}  // namespace

int uplink_command_size(std::uint8_t cid) noexcept {
    switch (cid) {
    case cid_link_check: return 0;       // LinkCheckReq
    case cid_link_adr: return 1;         // LinkADRAns: status
    case cid_duty_cycle: return 0;       // DutyCycleAns
    case cid_rx_param_setup: return 1;   // RXParamSetupAns: status
    case cid_dev_status: return 2;       // DevStatusAns: battery, margin
    case cid_new_channel: return 1;      // NewChannelAns: status
    case cid_rx_timing_setup: return 0;  // RXTimingSetupAns
    case cid_tx_param_setup: return 0;   // TxParamSetupAns
    case cid_dl_channel: return 1;       // DlChannelAns: status
    default: return -1;
    }
}

std::vector<lorawan_mac_command> parse_uplink_commands(lw::byte_view bytes) {
    std::vector<lorawan_mac_command> out;
    std::size_t i = 0;
    while (i < bytes.size()) {
        const std::uint8_t cid = bytes[i];
        const int size = uplink_command_size(cid);
        if (size < 0 || i + 1 + static_cast<std::size_t>(size) > bytes.size()) {
            break;
        }
        const lw::byte_view body = bytes.sub(i + 1, static_cast<std::size_t>(size));
        out.push_back({cid, lw::bytes(body.begin(), body.end())});
        i += 1 + static_cast<std::size_t>(size);
    }
    return out;
}

std::int64_t frequency_of(const lw::bytes& payload, std::size_t offset) noexcept {
    if (offset + 3 > payload.size()) {
        return 0;
    }
    const std::uint32_t units = payload[offset] | (static_cast<std::uint32_t>(payload[offset + 1]) << 8) |
                                (static_cast<std::uint32_t>(payload[offset + 2]) << 16);
    return static_cast<std::int64_t>(units) * 100;
}

lw::bytes link_adr_req_payload(int dr, int tx_power_index, std::uint16_t ch_mask, int ch_mask_cntl, int nb_trans) {
    check(dr >= 0 && dr <= 15 && tx_power_index >= 0 && tx_power_index <= 15, "LinkADRReq DR and TXPower are 4 bits");
    check(ch_mask_cntl >= 0 && ch_mask_cntl <= 7 && nb_trans >= 0 && nb_trans <= 15,
          "LinkADRReq ChMaskCntl is 3 bits and NbTrans 4");
    return {static_cast<std::uint8_t>((dr << 4) | tx_power_index), static_cast<std::uint8_t>(ch_mask & 0xFF),
            static_cast<std::uint8_t>(ch_mask >> 8), static_cast<std::uint8_t>((ch_mask_cntl << 4) | nb_trans)};
}

lw::bytes rx_param_setup_req_payload(int rx1_dr_offset, int rx2_dr, std::int64_t frequency_hz) {
    check(rx1_dr_offset >= 0 && rx1_dr_offset <= 7 && rx2_dr >= 0 && rx2_dr <= 15,
          "RXParamSetupReq RX1DROffset is 3 bits and RX2DataRate 4");
    lw::bytes out{static_cast<std::uint8_t>((rx1_dr_offset << 4) | rx2_dr)};
    put_frequency(out, frequency_hz);
    return out;
}

lw::bytes new_channel_req_payload(int index, std::int64_t frequency_hz, int min_dr, int max_dr) {
    check(index >= 0 && index <= 255 && min_dr >= 0 && min_dr <= 15 && max_dr >= 0 && max_dr <= 15,
          "NewChannelReq ChIndex is a byte, MinDR and MaxDR 4 bits");
    lw::bytes out{static_cast<std::uint8_t>(index)};
    put_frequency(out, frequency_hz);
    out.push_back(static_cast<std::uint8_t>((max_dr << 4) | min_dr));
    return out;
}

}  // namespace usocket::sim::ns_mac
