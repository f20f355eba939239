// lorawan_mac_commands.cpp: the MAC commands a device answers (interop.md 4, LoRaWAN 1.0.2
// section 5, as LoRaMac-node 4.4's ProcessMacCommands) and the state nvram_save() keeps
// (pycom-api.md 4.8).
#include <algorithm>
#include <cmath>

#include "lorawan_mac_impl.hpp"

namespace usocket::sim {

using namespace mac_detail;

namespace {

/// CIDs (LoRaWAN 1.0.2 table 4).
constexpr std::uint8_t cid_link_check = 0x02;
constexpr std::uint8_t cid_link_adr = 0x03;
constexpr std::uint8_t cid_duty_cycle = 0x04;
constexpr std::uint8_t cid_rx_param_setup = 0x05;
constexpr std::uint8_t cid_dev_status = 0x06;
constexpr std::uint8_t cid_new_channel = 0x07;
constexpr std::uint8_t cid_rx_timing_setup = 0x08;
constexpr std::uint8_t cid_tx_param_setup = 0x09;
constexpr std::uint8_t cid_dl_channel = 0x0A;

std::int64_t frequency_at(const lw::bytes& b, std::size_t i) noexcept {
    return (std::int64_t{b[i]} | (std::int64_t{b[i + 1]} << 8) | (std::int64_t{b[i + 2]} << 16)) * 100;
}

void set_mask_bit(channel_mask& mask, int index, bool on) noexcept {
    auto& word = mask[static_cast<std::size_t>(index / 16) % mask.size()];
    const auto bit = static_cast<std::uint16_t>(1U << (index % 16));
    word = static_cast<std::uint16_t>(on ? (word | bit) : (word & ~bit));
}

}  // namespace

void lorawan_mac::impl::process_mac_commands_locked(const lw::bytes& c, double snr_db) {
    std::size_t i = 0;
    const auto has = [&](std::size_t n) { return i + 1 + n <= c.size(); };
    while (i < c.size()) {
        switch (c[i]) {
        case cid_link_check: {
            if (!has(2)) {
                return;
            }
            link_check = lorawan_link_check{c[i + 1], c[i + 2], w.now_us()};
            compliance_link_check(compliance, c[i + 1], c[i + 2]);
            log("lorawan_mac_command", {{"command", std::string("LinkCheckAns")}, {"margin_db", std::int64_t{c[i + 1]}},
                                        {"gateways", std::int64_t{c[i + 2]}}});
            i += 3;
            break;
        }
        case cid_link_adr: {
            // Consecutive LinkADRReqs form one block, answered each with the block's status.
            std::vector<link_adr_req> block;
            std::size_t j = i;
            while (j + 5 <= c.size() && c[j] == cid_link_adr) {
                link_adr_req r;
                r.dr = c[j + 1] >> 4;
                r.tx_power_index = c[j + 1] & 0x0F;
                r.ch_mask = static_cast<std::uint16_t>(c[j + 2] | (c[j + 3] << 8));
                r.ch_mask_cntl = (c[j + 4] >> 4) & 0x07;
                r.nb_trans = c[j + 4] & 0x0F;
                block.push_back(r);
                j += 5;
            }
            if (block.empty()) {
                return;
            }
            const link_adr_state current{p.dr, p.tx_power_index, p.nb_trans, p.mask};
            const link_adr_result res =
                link_adr_request(reg, p.channels, current, block, adr_on, p.uplink_dwell_time);
            for (std::size_t k = 0; k < block.size(); ++k) {
                answers.push_back(mac_answer{{cid_link_adr, res.status}, false});
            }
            if (res.accepted) {
                p.dr = res.state.dr;
                p.tx_power_index = res.state.tx_power_index;
                p.nb_trans = res.state.nb_trans;
                p.mask = res.state.mask;
            }
            log("lorawan_mac_command", {{"command", std::string("LinkADRReq")}, {"status", std::int64_t{res.status}},
                                        {"dr", std::int64_t{p.dr}}, {"tx_power_index", std::int64_t{p.tx_power_index}},
                                        {"nb_trans", std::int64_t{p.nb_trans}}, {"requests", static_cast<std::int64_t>(block.size())}});
            i = j;
            break;
        }
        case cid_duty_cycle: {
            if (!has(1)) {
                return;
            }
            // MaxDCycle: aggregated duty cycle 1/2^n; 255 switches the device's uplinks off.
            p.max_duty_cycle = c[i + 1] == 255 ? 255 : (c[i + 1] & 0x0F);
            if (p.max_duty_cycle == 0) {
                aggregated_open_us = 0;
            }
            answers.push_back(mac_answer{{cid_duty_cycle}, false});
            log("lorawan_mac_command", {{"command", std::string("DutyCycleReq")}, {"max_duty_cycle", std::int64_t{p.max_duty_cycle}}});
            i += 2;
            break;
        }
        case cid_rx_param_setup: {
            if (!has(4)) {
                return;
            }
            const int offset = (c[i + 1] >> 4) & 0x07;
            const int rx2_dr = c[i + 1] & 0x0F;
            const std::int64_t frequency_hz = frequency_at(c, i + 2);
            const std::uint8_t status = rx_param_setup_status(reg, offset, rx2_dr, frequency_hz);
            if (status == (rx_param_channel_ack | rx_param_rx2_dr_ack | rx_param_rx1_offset_ack)) {
                p.rx1_dr_offset = offset;
                p.rx2_dr = rx2_dr;
                p.rx2_frequency_hz = frequency_hz;
            }
            answers.push_back(mac_answer{{cid_rx_param_setup, status}, true});
            log("lorawan_mac_command", {{"command", std::string("RXParamSetupReq")}, {"status", std::int64_t{status}}});
            i += 5;
            break;
        }
        case cid_dev_status: {
            // Margin: the SNR of the downlink that asked, 6-bit signed (-32..31 dB).
            const long margin = std::clamp(std::lround(snr_db), -32L, 31L);
            answers.push_back(mac_answer{{cid_dev_status, static_cast<std::uint8_t>(battery_level),
                                          static_cast<std::uint8_t>(static_cast<unsigned long>(margin) & 0x3FU)},
                                         false});
            log("lorawan_mac_command", {{"command", std::string("DevStatusReq")}, {"battery", std::int64_t{battery_level}},
                                        {"margin_db", static_cast<std::int64_t>(margin)}});
            i += 1;
            break;
        }
        case cid_new_channel: {
            if (!has(5)) {
                return;
            }
            const int index = c[i + 1];
            const channel requested{frequency_at(c, i + 2), c[i + 5] & 0x0F, c[i + 5] >> 4, 0};
            const std::uint8_t status = new_channel_status(reg, p.channels, index, requested);
            if (status == (new_channel_frequency_ack | new_channel_dr_ack) && index < static_cast<int>(p.channels.size())) {
                if (requested.frequency_hz == 0) {
                    p.channels[static_cast<std::size_t>(index)] = channel{};
                    set_mask_bit(p.mask, index, false);
                } else {
                    p.channels[static_cast<std::size_t>(index)] = requested;
                    set_mask_bit(p.mask, index, true);
                }
            }
            answers.push_back(mac_answer{{cid_new_channel, status}, false});
            log("lorawan_mac_command", {{"command", std::string("NewChannelReq")}, {"status", std::int64_t{status}},
                                        {"index", std::int64_t{index}}, {"frequency_hz", requested.frequency_hz}});
            i += 6;
            break;
        }
        case cid_rx_timing_setup: {
            if (!has(1)) {
                return;
            }
            p.rx1_delay_us = rx_delay_us(c[i + 1]);
            answers.push_back(mac_answer{{cid_rx_timing_setup}, true});
            log("lorawan_mac_command", {{"command", std::string("RXTimingSetupReq")}, {"rx1_delay_us", p.rx1_delay_us}});
            i += 2;
            break;
        }
        case cid_tx_param_setup: {
            if (!has(1)) {
                return;
            }
            if (reg.tx_param_setup) {  // AS923 only; other regions ignore it without an answer
                p.downlink_dwell_time = (c[i + 1] & 0x20) != 0;
                p.uplink_dwell_time = (c[i + 1] & 0x10) != 0;
                max_eirp_dbm = max_eirp_from_index(c[i + 1] & 0x0F);
                answers.push_back(mac_answer{{cid_tx_param_setup}, false});
            }
            i += 2;
            break;
        }
        case cid_dl_channel: {
            if (!has(4)) {
                return;
            }
            const int index = c[i + 1];
            const std::int64_t frequency_hz = frequency_at(c, i + 2);
            const std::uint8_t status = dl_channel_status(reg, p.channels, index, frequency_hz);
            if (status == (dl_channel_frequency_ack | dl_channel_uplink_exists_ack) &&
                index < static_cast<int>(p.channels.size())) {
                p.channels[static_cast<std::size_t>(index)].rx1_frequency_hz = frequency_hz;
            }
            answers.push_back(mac_answer{{cid_dl_channel, status}, true});
            i += 5;
            break;
        }
        default:
            return;  // an unknown CID: its length is unknown, the rest cannot be parsed
        }
    }
}

std::size_t lorawan_mac::impl::fopts_size_locked(std::size_t max_bytes) const {
    std::size_t size = 0;
    for (const mac_answer& a : answers) {
        if (size + a.bytes.size() > max_bytes) {
            break;
        }
        size += a.bytes.size();
    }
    return size;
}

lw::bytes lorawan_mac::impl::take_fopts_locked(std::size_t max_bytes) {
    lw::bytes out;
    std::size_t taken = 0;
    for (const mac_answer& a : answers) {
        if (out.size() + a.bytes.size() > max_bytes) {
            break;
        }
        out.insert(out.end(), a.bytes.begin(), a.bytes.end());
        ++taken;
    }
    // Sent answers go, sticky ones stay until a downlink; answers that did not fit wait.
    std::vector<mac_answer> rest;
    for (std::size_t k = 0; k < answers.size(); ++k) {
        if (k >= taken || answers[k].sticky) {
            rest.push_back(std::move(answers[k]));
        }
    }
    answers = std::move(rest);
    return out;
}

// --- saved state ------------------------------------------------------------------------

namespace {

constexpr std::uint8_t magic[3] = {'L', 'W', 'M'};

struct writer {
    lw::bytes out;
    void u8(std::uint64_t v) { out.push_back(static_cast<std::uint8_t>(v & 0xFF)); }
    void uint(std::uint64_t v, int bytes) {
        for (int k = 0; k < bytes; ++k) {
            u8(v >> (8 * k));
        }
    }
    void i64(std::int64_t v) { uint(static_cast<std::uint64_t>(v), 8); }
    void raw(const std::uint8_t* p, std::size_t n) { out.insert(out.end(), p, p + n); }
};

struct reader {
    const std::vector<std::uint8_t>& in;
    std::size_t pos = 0;
    bool ok = true;
    std::uint64_t uint(int bytes) {
        if (pos + static_cast<std::size_t>(bytes) > in.size()) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (int k = 0; k < bytes; ++k) {
            v |= std::uint64_t{in[pos++]} << (8 * k);
        }
        return v;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
    int small() { return static_cast<int>(uint(1)); }
    std::int64_t i64() { return static_cast<std::int64_t>(uint(8)); }
    void raw(std::uint8_t* p, std::size_t n) {
        if (pos + n > in.size()) {
            ok = false;
            return;
        }
        std::copy(in.begin() + static_cast<std::ptrdiff_t>(pos), in.begin() + static_cast<std::ptrdiff_t>(pos + n), p);
        pos += n;
    }
};

}  // namespace

lw::bytes lorawan_mac::impl::save_locked() const {
    writer wr;
    wr.raw(magic, sizeof magic);
    wr.u8(lorawan_mac::state_version);
    wr.u8(static_cast<std::uint8_t>(reg.id));
    wr.u8(session.joined ? 1 : 0);
    wr.u8(session.otaa ? 1 : 0);
    wr.uint(session.dev_addr, 4);
    wr.uint(session.net_id, 4);
    wr.raw(session.keys.nwk_s_key.data(), 16);
    wr.raw(session.keys.app_s_key.data(), 16);
    wr.uint(session.fcnt_up, 4);
    wr.uint(session.fcnt_down, 4);
    wr.u8(session.downlink_received ? 1 : 0);
    wr.uint(session.adr_ack_counter, 4);
    wr.u8(srv_ack_requested ? 1 : 0);
    wr.u8(static_cast<std::uint64_t>(p.dr));
    wr.u8(static_cast<std::uint64_t>(p.tx_power_index));
    wr.u8(static_cast<std::uint64_t>(p.nb_trans));
    wr.u8(static_cast<std::uint64_t>(p.rx1_dr_offset));
    wr.u8(static_cast<std::uint64_t>(p.rx2_dr));
    wr.i64(p.rx2_frequency_hz);
    wr.i64(p.rx1_delay_us);
    wr.u8(static_cast<std::uint64_t>(p.max_duty_cycle));
    wr.u8(p.uplink_dwell_time ? 1 : 0);
    wr.u8(p.downlink_dwell_time ? 1 : 0);
    wr.i64(std::llround(max_eirp_dbm * 100));
    wr.u8(p.channels.size());
    for (const channel& ch : p.channels) {
        wr.i64(ch.frequency_hz);
        wr.u8(static_cast<std::uint64_t>(ch.dr_min));
        wr.u8(static_cast<std::uint64_t>(ch.dr_max));
        wr.i64(ch.rx1_frequency_hz);
    }
    for (const auto word : p.mask) {
        wr.uint(word, 2);
    }
    wr.u8(answers.size());
    for (const mac_answer& a : answers) {
        wr.u8(a.sticky ? 1 : 0);
        wr.u8(a.bytes.size());
        wr.raw(a.bytes.data(), a.bytes.size());
    }
    return wr.out;
}

std::optional<region_id> lorawan_mac::saved_region(const std::vector<std::uint8_t>& blob) {
    if (blob.size() < 5 || !std::equal(magic, magic + 3, blob.begin()) || blob[3] != state_version) {
        return std::nullopt;
    }
    return region_from_code(blob[4]);
}

namespace {

/// A saved state is read back only if every value is one the MAC itself could have saved:
/// the blob comes from a file a user may edit (--state), and out-of-range values broke
/// later cycles (fuzz_mac_restore findings: a negative RX1 delay ended a cycle before its
/// frame, an EIRP beyond int overflowed the power arithmetic).
bool restorable(const lorawan_region& r, const lorawan_mac_params& q, double eirp_dbm) {
    constexpr int max_dr = 15;  // DRs are 4 bits (LinkADRReq)
    // TxParamSetupReq's MaxEIRP table tops out at 36 dBm (LoRaWAN 1.0.2 Regional Parameters 2.7.x).
    constexpr double max_eirp_table_dbm = 36.0;
    if (q.dr > max_dr || q.rx2_dr > max_dr || q.tx_power_index > 15 || q.nb_trans > 15 || q.rx1_dr_offset > 7) {
        return false;
    }
    if (q.rx1_delay_us < receive_delay1_us || q.rx1_delay_us > 15 * receive_delay1_us ||
        q.rx1_delay_us % receive_delay1_us != 0) {
        return false;  // RXTimingSetupReq: 1 to 15 s
    }
    if (q.max_duty_cycle > 15 && q.max_duty_cycle != 255) {
        return false;
    }
    if (!frequency_in_band(r, q.rx2_frequency_hz) || !(eirp_dbm >= 0.0 && eirp_dbm <= max_eirp_table_dbm)) {
        return false;
    }
    for (const channel& ch : q.channels) {
        if (ch.frequency_hz == 0) {
            continue;
        }
        if (!frequency_in_band(r, ch.frequency_hz) || ch.dr_min > ch.dr_max || ch.dr_max > max_dr ||
            (ch.rx1_frequency_hz != 0 && !frequency_in_band(r, ch.rx1_frequency_hz))) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool lorawan_mac::impl::restore_locked(const std::vector<std::uint8_t>& blob) {
    const auto saved = lorawan_mac::saved_region(blob);
    if (!saved || *saved != reg.id) {
        return false;
    }
    reader rd{blob, 5};
    lorawan_session s;
    s.joined = rd.u8() != 0;
    s.otaa = rd.u8() != 0;
    s.dev_addr = static_cast<std::uint32_t>(rd.uint(4));
    s.net_id = static_cast<std::uint32_t>(rd.uint(4));
    rd.raw(s.keys.nwk_s_key.data(), 16);
    rd.raw(s.keys.app_s_key.data(), 16);
    s.fcnt_up = static_cast<std::uint32_t>(rd.uint(4));
    s.fcnt_down = static_cast<std::uint32_t>(rd.uint(4));
    s.downlink_received = rd.u8() != 0;
    s.adr_ack_counter = static_cast<std::uint32_t>(rd.uint(4));
    const bool ack = rd.u8() != 0;
    lorawan_mac_params q;
    q.dr = rd.small();
    q.tx_power_index = rd.small();
    q.nb_trans = rd.small();
    q.rx1_dr_offset = rd.small();
    q.rx2_dr = rd.small();
    q.rx2_frequency_hz = rd.i64();
    q.rx1_delay_us = rd.i64();
    q.max_duty_cycle = rd.small();
    q.uplink_dwell_time = rd.u8() != 0;
    q.downlink_dwell_time = rd.u8() != 0;
    const double eirp = static_cast<double>(rd.i64()) / 100.0;
    const std::size_t n = rd.u8();
    if (n != static_cast<std::size_t>(reg.max_channels)) {
        return false;
    }
    q.channels.resize(n);
    for (channel& ch : q.channels) {
        ch.frequency_hz = rd.i64();
        ch.dr_min = rd.small();
        ch.dr_max = rd.small();
        ch.rx1_frequency_hz = rd.i64();
    }
    for (auto& word : q.mask) {
        word = static_cast<std::uint16_t>(rd.uint(2));
    }
    std::vector<mac_answer> saved_answers(rd.u8());
    for (mac_answer& a : saved_answers) {
        a.sticky = rd.u8() != 0;
        a.bytes.resize(rd.u8());
        rd.raw(a.bytes.data(), a.bytes.size());
    }
    if (!rd.ok || rd.pos != blob.size() || !s.joined || !restorable(reg, q, eirp)) {
        return false;
    }
    after_unlock ignored;  // nothing waits on what is dropped here but its result
    abort_all_locked(lorawan_mac::send_status::failed, ignored);
    joining.reset();
    join_due = false;
    ++join_epoch;
    session = s;
    srv_ack_requested = ack;
    p = std::move(q);
    max_eirp_dbm = eirp;
    answers = std::move(saved_answers);
    log("lorawan_restored", {{"dev_addr", std::int64_t{session.dev_addr}}, {"fcnt_up", std::int64_t{session.fcnt_up}}});
    return true;
}

}  // namespace usocket::sim
