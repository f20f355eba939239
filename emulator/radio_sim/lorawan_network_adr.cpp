// lorawan_network_adr.cpp: the network server's ADR and its copy of a device's radio settings.
#include "lorawan_network_adr.hpp"

#include <algorithm>
#include <cmath>

namespace usocket::sim::ns_adr {

namespace {

void set_bit(channel_mask& mask, int index, bool on) {
    if (index < 0 || index >= 16 * static_cast<int>(mask.size())) {
        return;
    }
    auto& word = mask[static_cast<std::size_t>(index / 16)];
    const auto bit = static_cast<std::uint16_t>(1U << (index % 16));
    word = static_cast<std::uint16_t>(on ? (word | bit) : (word & ~bit));
}

}  // namespace

double required_snr_db(int spreading_factor) noexcept {
    // The datasheet's table is the one interop.md 4 gives for LinkCheckAns: one copy of it.
    return demodulation_floor_snr_db(spreading_factor);
}

int max_adr_dr(const lorawan_region& r) noexcept {
    int best = r.uplink_drs.min_dr;
    for (int dr = r.uplink_drs.min_dr; dr <= r.uplink_drs.max_dr; ++dr) {
        const data_rate& d = data_rate_of(r, dr);
        if (d.kind == data_rate_kind::lora && d.bandwidth_hz == 125000) {
            best = dr;
        }
    }
    return best;
}

adr_settings decide(const lorawan_region& r, int dr, int tx_power_index, double max_snr_db) noexcept {
    const double margin_db =
        max_snr_db - required_snr_db(data_rate_of(r, dr).spreading_factor) - installation_margin_db;
    auto nstep = static_cast<int>(std::floor(margin_db / step_margin_db));
    adr_settings out{dr, tx_power_index};
    const int top_dr = max_adr_dr(r);
    while (nstep > 0 && out.dr < top_dr) {
        ++out.dr;
        --nstep;
    }
    while (nstep > 0 && out.tx_power_index < r.max_tx_power_index) {
        ++out.tx_power_index;
        --nstep;
    }
    while (nstep < 0 && out.tx_power_index > 0) {
        --out.tx_power_index;
        ++nstep;
    }
    return out;
}

void device_radio::reset(const lorawan_region& r) {
    channels = initial_channels(r);
    mask = initial_channel_mask(r);
    tx_power_index = 0;
    nb_trans = 1;
    snr_history_db.clear();
}

void device_radio::apply_cf_list(const lorawan_region& r, const std::vector<std::int64_t>& cf_list_hz) {
    const int first = cflist_first_channel(r);
    if (first < 0) {
        return;
    }
    for (std::size_t i = 0; i < cf_list_hz.size(); ++i) {
        const int index = first + static_cast<int>(i);
        if (index >= static_cast<int>(channels.size())) {
            break;
        }
        const bool defined = cf_list_hz[i] != 0 && channel_frequency_valid(r, cf_list_hz[i]);
        channels[static_cast<std::size_t>(index)] = defined ? channel{cf_list_hz[i], 0, 5, 0} : channel{};
        set_bit(mask, index, defined);
    }
}

void device_radio::link_adr_accepted(const lorawan_region& r, const lorawan::bytes& request) {
    if (request.size() != 4) {
        return;
    }
    const int dr_power = request[0];
    const auto ch_mask = static_cast<std::uint16_t>(request[1] | (request[2] << 8));
    const int cntl = (request[3] >> 4) & 0x07;
    const int nb = request[3] & 0x0F;
    // The mask rules of link_adr_request(), without its checks: the device said yes.
    if (r.plan == channel_plan_kind::dynamic) {
        std::uint16_t m = ch_mask;
        if (cntl == 6) {
            m = 0;
            for (std::size_t i = 0; i < channels.size() && i < 16; ++i) {
                if (channels[i].frequency_hz != 0) {
                    m = static_cast<std::uint16_t>(m | (1U << i));
                }
            }
        }
        mask = channel_mask{};
        mask[0] = m;
    } else if (cntl == 6 && r.id == region_id::cn470) {
        mask.fill(0xFFFF);
    } else if (cntl == 6 || cntl == 7) {
        const std::uint16_t all_125khz = cntl == 6 ? 0xFFFF : 0x0000;
        mask[0] = mask[1] = mask[2] = mask[3] = all_125khz;
        mask[4] = ch_mask;
    } else if (static_cast<std::size_t>(cntl) < mask.size()) {
        mask[static_cast<std::size_t>(cntl)] = ch_mask;
    }
    tx_power_index = dr_power & 0x0F;
    nb_trans = nb == 0 ? 1 : nb;  // LoRaWAN 1.0.2: NbTrans 0 means 1
    snr_history_db.clear();  // SNRs heard at the old DR and power say nothing of the new ones
}

void device_radio::new_channel_accepted(const lorawan::bytes& request) {
    if (request.size() != 5 || request[0] >= channels.size()) {
        return;
    }
    const int index = request[0];
    const std::int64_t frequency_hz =
        100 * static_cast<std::int64_t>(request[1] | (request[2] << 8) | (request[3] << 16));
    channels[static_cast<std::size_t>(index)] =
        frequency_hz == 0 ? channel{} : channel{frequency_hz, request[4] & 0x0F, request[4] >> 4, 0};
    set_bit(mask, index, frequency_hz != 0);
}

void device_radio::record_snr(double snr_db) {
    snr_history_db.push_back(snr_db);
    while (snr_history_db.size() > history_uplinks) {
        snr_history_db.pop_front();
    }
}

std::optional<link_adr_req> next_link_adr(const lorawan_region& r, const device_radio& d, int uplink_dr) {
    if (d.snr_history_db.size() < history_uplinks || uplink_dr < r.uplink_drs.min_dr || uplink_dr > max_adr_dr(r) ||
        data_rate_of(r, uplink_dr).kind != data_rate_kind::lora) {
        return std::nullopt;
    }
    const double max_snr_db = *std::max_element(d.snr_history_db.begin(), d.snr_history_db.end());
    const adr_settings next = decide(r, uplink_dr, d.tx_power_index, max_snr_db);
    if (next.dr == uplink_dr && next.tx_power_index == d.tx_power_index) {
        return std::nullopt;
    }
    link_adr_req req;
    req.dr = next.dr;
    req.tx_power_index = next.tx_power_index;
    req.ch_mask = d.mask[0];
    req.ch_mask_cntl = 0;
    req.nb_trans = d.nb_trans;
    return req;
}

}  // namespace usocket::sim::ns_adr
