// lorawan_network.cpp: gateways on the medium and the embedded LoRaWAN 1.0.2 network server.
//
// Lock order: network, then medium, then world. The medium and the world never call the
// network with their locks held (receptions and scheduled events run without them), and the
// network calls the uplink callback without its own lock.
#include "usocket/sim/lorawan_network.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "usocket/sim/lora_phy.hpp"
#include "lorawan_network_adr.hpp"
#include "lorawan_network_mac.hpp"

namespace usocket::sim {

namespace lw = lorawan;

namespace {

std::string eui_hex(std::uint64_t v) { return fmt::format("{:016X}", v); }
std::string addr_hex(std::uint32_t v) { return fmt::format("{:08X}", v); }

std::string joined_names(const std::vector<lorawan_gateway_copy>& copies) {
    std::string out;
    for (const auto& c : copies) {
        if (!out.empty()) {
            out += ',';
        }
        out += c.gateway;
    }
    return out;
}

struct queued_downlink {
    std::uint64_t id = 0;
    std::uint8_t port = 1;
    lw::bytes payload;
    bool confirmed = false;
    int transmissions = 0;
};

struct mac_request {
    std::uint8_t cid = 0;
    lw::bytes payload;
    bool sent = false;
};

struct device {
    // Identity and keys (OTAA: DevEUI, AppEUI, AppKey).
    std::optional<std::uint64_t> dev_eui;
    std::uint64_t app_eui = 0;
    lw::aes_key app_key{};
    bool otaa = false;
    bool registered = false;  // keys known (a placeholder only holds queued downlinks)
    std::unordered_set<std::uint16_t> dev_nonces;

    // The session.
    bool active = false;
    std::uint32_t dev_addr = 0;
    lw::session_keys keys{};
    std::optional<std::uint32_t> fcnt_up;
    std::uint32_t fcnt_down = 0;
    int rx1_dr_offset = 0;
    int rx2_dr = 0;
    std::int64_t rx2_frequency_hz = 0;
    time_us rx1_delay_us = receive_delay1_us;

    // Downlinks.
    std::deque<queued_downlink> queue;
    std::optional<queued_downlink> awaiting_ack;  // confirmed downlink sent, no ACK yet
    std::vector<mac_request> mac_requests;
    bool class_c = false;
    bool class_c_scheduled = false;
    time_us class_c_not_before = 0;
    std::vector<std::size_t> last_gateways;  // best first
    std::optional<lorawan_device_status> status;
    ns_adr::device_radio radio;  // what its acknowledged requests set, its last SNRs

    void reset_session(const lorawan_region& r) {
        radio.reset(r);
        fcnt_up.reset();
        fcnt_down = 0;
        rx1_dr_offset = 0;
        rx2_dr = r.rx2_dr;
        rx2_frequency_hz = r.rx2_frequency_hz;
        rx1_delay_us = receive_delay1_us;
        if (awaiting_ack) {  // the new session starts the confirmed downlink over
            awaiting_ack->transmissions = 0;
            queue.push_front(std::move(*awaiting_ack));
            awaiting_ack.reset();
        }
        for (auto& m : mac_requests) {
            m.sent = false;
        }
    }
};

struct gateway {
    std::string name;
    position_m where;
    lora_medium::radio_id tx_radio = 0;
    std::vector<lora_medium::radio_id> rx_radios;
    std::vector<std::pair<time_us, time_us>> busy;  // downlinks reserved or sent: [start, end)
    bool active = true;  // false once removed: its radios are detached, its index stays
};

struct gateway_copy {
    std::size_t gateway = 0;
    double rssi_dbm = 0;
    double snr_db = 0;
};

struct pending_frame {
    std::shared_ptr<const std::vector<std::uint8_t>> payload;
    time_us start_us = 0;
    time_us end_us = 0;
    std::int64_t frequency_hz = 0;
    int spreading_factor = 0;
    std::int64_t bandwidth_hz = 0;
    std::vector<gateway_copy> copies;
};

/// One receive window a downlink may use.
struct window_choice {
    lorawan_window window = lorawan_window::rx1;
    time_us at_us = 0;
    std::int64_t frequency_hz = 0;
    int dr = -1;
};

/// What one data downlink would carry.
struct composition {
    lw::data_frame frame;
    bool carries_app = false;
    bool app_is_resend = false;
    bool link_check = false;
    std::vector<std::size_t> requests;  // indices into device::mac_requests
    std::vector<lorawan_mac_command> commands;
    std::optional<std::uint64_t> queued_id;
};

/// What phase 2 of an uplink needs (the downlink decision, after the callback).
struct uplink_context {
    device* dev = nullptr;
    std::uint32_t dev_addr = 0;
    time_us end_us = 0;
    std::int64_t frequency_hz = 0;
    std::int64_t bandwidth_hz = 0;
    int dr = -1;
    bool confirmed = false;
    bool adr_ack_req = false;
    lw::bytes link_check_ans;  // empty: the uplink asked for none
    std::vector<gateway_copy> copies;
};

struct multicast_group {
    lorawan_multicast_group_info info;
    time_us not_before_us = 0;  // the end of its last frame's last copy, plus the gap
};

bool overlaps(const std::vector<std::pair<time_us, time_us>>& busy, time_us start, time_us end) {
    return std::any_of(busy.begin(), busy.end(),
                       [&](const auto& b) { return b.first < end && start < b.second; });
}

}  // namespace

double default_downlink_tx_power_dbm(region_id id) noexcept {
    switch (id) {
    case region_id::us915:
    case region_id::au915: return 27.0;
    case region_id::cn470: return 19.0;
    default: return std::min(14.0, sim::region(id).max_eirp_dbm);
    }
}

std::vector<std::int64_t> default_cf_list_hz(region_id id) {
    if (id == region_id::eu868) {
        return {867100000, 867300000, 867500000, 867700000, 867900000};
    }
    return {};
}

const char* window_name(lorawan_window w) noexcept {
    switch (w) {
    case lorawan_window::rx1: return "rx1";
    case lorawan_window::rx2: return "rx2";
    case lorawan_window::class_c: return "class_c";
    }
    return "unknown";
}

struct lorawan_network::impl {
    impl(lora_medium& m, region_id id, lorawan_network_options o)
        : medium(m),
          w(m.owner()),
          r(sim::region(id)),
          options(std::move(o)),
          seed(m.owner().random_u64()),
          rng(seed),
          // Its own stream, so a loss rate changes nothing else the network draws.
          loss_rng(seed ^ 0x9E3779B97F4A7C15ULL),
          tx_power_dbm(options.downlink_tx_power_dbm.value_or(default_downlink_tx_power_dbm(id))),
          cf_list(options.cf_list_hz.value_or(default_cf_list_hz(id))) {
        if (r.plan == channel_plan_kind::fixed) {
            cf_list.clear();
        }
        if (cf_list.size() > 5) {
            throw std::invalid_argument("a CFList holds at most five frequencies");
        }
        // Checked here, not when the first join accept encodes them in a world event (a
        // fuzz_network_uplink finding): 24 bits of 100 Hz, and a channel the region allows.
        for (const std::int64_t f : cf_list) {
            if (f != 0 && (f % 100 != 0 || !channel_frequency_valid(r, f))) {
                throw std::invalid_argument(fmt::format("cf_list_hz: {} Hz is no {} channel frequency (a multiple of 100 Hz in the band)", f, r.name));
            }
        }
        compute_listen_settings();
    }

    lora_medium& medium;
    world& w;
    const lorawan_region& r;
    const lorawan_network_options options;
    std::weak_ptr<impl> self;

    mutable std::mutex mutex;
    std::uint64_t seed;
    std::mt19937_64 rng;
    std::mt19937_64 loss_rng;
    double tx_power_dbm;
    std::vector<std::int64_t> cf_list;
    std::vector<lora_listen_settings> listen_settings;
    std::vector<gateway> gateways;
    std::vector<std::unique_ptr<device>> devices;  // never erased: pointers stay valid
    std::unordered_map<std::uint64_t, device*> by_eui;
    std::unordered_map<std::uint32_t, device*> by_addr;
    std::vector<multicast_group> multicast;
    std::unordered_map<std::string, pending_frame> pending;
    std::vector<lorawan_uplink_record> uplink_records;
    std::vector<lorawan_join_record> join_records;
    std::vector<lorawan_downlink_record> downlink_records;
    std::unordered_map<std::uint64_t, lorawan_downlink_state> downlink_states;
    std::uint64_t last_downlink_id = 0;
    lorawan_network_counters counters;
    bool echo = false;
    std::shared_ptr<const uplink_callback> callback;

    // --- set-up ----------------------------------------------------------------------

    void compute_listen_settings() {
        std::vector<channel> channels;  // the DR ranges matter in fixed plans only
        if (r.plan == channel_plan_kind::fixed) {
            for (const channel& c : initial_channels(r)) {
                if (c.frequency_hz != 0) {
                    channels.push_back(c);
                }
            }
        } else {
            for (int i = 0; i < r.default_channel_count; ++i) {
                channels.push_back(r.default_channels[static_cast<std::size_t>(i)]);
            }
            for (const std::int64_t f : cf_list) {
                if (f != 0) {
                    channels.push_back(channel{f, 0, std::min(5, r.uplink_drs.max_dr), 0});
                }
            }
        }
        for (const channel& c : channels) {
            add_listen_settings(c);
        }
    }

    /// Adds what the gateways need to hear `c` to listen_settings; returns the new entries.
    /// A dynamic plan's channel is heard at every LoRa uplink DR of the region, whatever DR
    /// range the device gives it (a concentrator does not know it); a fixed plan's 125 and
    /// 500 kHz grids only at their own DRs. FSK DRs are skipped: the medium carries LoRa only.
    std::vector<lora_listen_settings> add_listen_settings(const channel& c) {
        const dr_range drs = r.plan == channel_plan_kind::fixed ? dr_range{c.dr_min, c.dr_max} : r.uplink_drs;
        std::vector<lora_listen_settings> added;
        for (int dr = drs.min_dr; dr <= drs.max_dr; ++dr) {
            const data_rate& d = data_rate_of(r, dr);
            if (d.kind != data_rate_kind::lora) {
                continue;
            }
            lora_listen_settings l{c.frequency_hz, d.spreading_factor, d.bandwidth_hz, false, options.sync_word};
            const bool seen = std::any_of(listen_settings.begin(), listen_settings.end(), [&](const auto& s) {
                return s.frequency_hz == l.frequency_hz && s.spreading_factor == l.spreading_factor &&
                       s.bandwidth_hz == l.bandwidth_hz;
            });
            if (!seen) {
                listen_settings.push_back(l);
                added.push_back(l);
            }
        }
        return added;
    }

    /// One receiving radio of gateway `gi` (under the lock: the medium never calls the
    /// network with its own lock held, and its receptions run in later world events).
    void attach_rx(std::size_t gi, const lora_listen_settings& l) {
        gateway& g = gateways[gi];
        std::weak_ptr<impl> weak = self;
        const auto id = medium.attach(g.name, g.where, [weak, gi](const lora_reception& rec) {
            if (const auto s = weak.lock()) {
                s->on_copy(gi, rec);
            }
        });
        medium.listen(id, l);
        g.rx_radios.push_back(id);
    }

    /// Every gateway listens on `frequency_hz` from now on (a NewChannelReq's channel).
    void listen_on(std::int64_t frequency_hz) {
        if (r.plan != channel_plan_kind::dynamic || frequency_hz <= 0) {
            return;
        }
        for (const auto& l : add_listen_settings(channel{frequency_hz, r.uplink_drs.min_dr, r.uplink_drs.max_dr, 0})) {
            for (std::size_t gi = 0; gi < gateways.size(); ++gi) {
                if (gateways[gi].active) {
                    attach_rx(gi, l);
                }
            }
        }
    }

    // --- region helpers --------------------------------------------------------------

    int uplink_dr_of(int sf, std::int64_t bw) const noexcept {
        for (int dr = r.uplink_drs.min_dr; dr <= r.uplink_drs.max_dr; ++dr) {
            const data_rate& d = data_rate_of(r, dr);
            if (d.kind == data_rate_kind::lora && d.spreading_factor == sf && d.bandwidth_hz == bw) {
                return dr;
            }
        }
        return -1;
    }

    /// The channel index of an uplink frequency in a fixed plan; -1 in dynamic plans.
    int uplink_channel_of(std::int64_t frequency_hz, std::int64_t bandwidth_hz) const noexcept {
        if (r.plan != channel_plan_kind::fixed) {
            return -1;
        }
        for (int b = 0; b < r.block_count; ++b) {
            const channel_block& blk = r.blocks[static_cast<std::size_t>(b)];
            const data_rate& d = data_rate_of(r, blk.dr_min);
            if (d.bandwidth_hz != bandwidth_hz || blk.step_hz <= 0 || frequency_hz < blk.first_frequency_hz) {
                continue;
            }
            const std::int64_t offset = frequency_hz - blk.first_frequency_hz;
            if (offset % blk.step_hz == 0 && offset / blk.step_hz < blk.count) {
                return blk.first_index + static_cast<int>(offset / blk.step_hz);
            }
        }
        return -1;
    }

    /// RX1 for an uplink (frequency -1 when the region gives none).
    window_choice rx1_window(time_us end_us, std::int64_t frequency_hz, std::int64_t bandwidth_hz, int uplink_dr,
                             int offset, time_us delay_us) const noexcept {
        window_choice c;
        c.window = lorawan_window::rx1;
        c.at_us = end_us + delay_us;
        c.dr = uplink_dr < 0 ? -1 : rx1_data_rate(r, uplink_dr, offset, r.default_downlink_dwell_time);
        const int index = uplink_channel_of(frequency_hz, bandwidth_hz);
        if (r.rx1_frequency == rx1_frequency_rule::downlink_channels && index < 0) {
            c.dr = -1;
            return c;
        }
        channel ch;
        ch.frequency_hz = frequency_hz;
        c.frequency_hz = rx1_frequency_hz(r, index, ch);
        return c;
    }

    std::size_t max_n(int dr) const noexcept {
        const auto n = max_payload_n(r, dr, r.default_downlink_dwell_time, link_direction::downlink);
        return n && *n > 0 ? static_cast<std::size_t>(*n) : 0;
    }

    // --- gateways --------------------------------------------------------------------

    /// Forgets downlinks long over: no uplink they could overlap lasts 10 s.
    void prune(gateway& g) const {
        const time_us now = w.now_us();
        g.busy.erase(std::remove_if(g.busy.begin(), g.busy.end(),
                                    [now](const auto& b) { return b.second + 10'000'000 < now; }),
                     g.busy.end());
    }

    bool gateway_free(gateway& g, time_us start, time_us end) const {
        if (!g.active) {
            return false;
        }
        prune(g);
        return !overlaps(g.busy, start, end);
    }

    time_us next_free(const gateway& g, time_us at, time_us duration) const {
        bool moved = true;
        while (moved) {
            moved = false;
            for (const auto& b : g.busy) {
                if (b.first < at + duration && at < b.second) {
                    at = b.second;
                    moved = true;
                }
            }
        }
        return at;
    }

    void on_copy(std::size_t gi, const lora_reception& rx) {
        std::lock_guard<std::mutex> lock(mutex);
        ++counters.received_frames;
        gateway& g = gateways[gi];
        if (overlaps(g.busy, rx.start_us, rx.end_us)) {
            ++counters.lost_while_transmitting;  // the concentrator was transmitting (half duplex)
            if (w.logging()) {
                w.log("lorawan_gw_lost", g.name,
                      {{"reason", std::string("transmitting")}, {"frame", static_cast<std::int64_t>(rx.frame_id)}});
            }
            return;
        }
        std::string key(rx.payload->begin(), rx.payload->end());
        const auto it = pending.find(key);
        if (it != pending.end()) {
            ++counters.duplicates;
            it->second.copies.push_back({gi, rx.rssi_dbm, rx.snr_db});
            return;
        }
        ++counters.unique_frames;
        pending_frame p;
        p.payload = rx.payload;
        p.start_us = rx.start_us;
        p.end_us = rx.end_us;
        p.frequency_hz = rx.frequency_hz;
        p.spreading_factor = rx.spreading_factor;
        p.bandwidth_hz = rx.bandwidth_hz;
        p.copies.push_back({gi, rx.rssi_dbm, rx.snr_db});
        pending.emplace(key, std::move(p));
        std::weak_ptr<impl> weak = self;
        w.schedule_at(rx.end_us + options.dedup_window_us, [weak, key = std::move(key)] {
            if (const auto s = weak.lock()) {
                s->process(key);
            }
        });
    }

    std::vector<lorawan_gateway_copy> named(const std::vector<gateway_copy>& copies) const {
        std::vector<lorawan_gateway_copy> out;
        out.reserve(copies.size());
        for (const auto& c : copies) {
            out.push_back({gateways[c.gateway].name, c.rssi_dbm, c.snr_db});
        }
        return out;
    }

    void reject(const char* reason, log_fields fields) {
        if (w.logging()) {
            fields.emplace(fields.begin(), "reason", std::string(reason));
            w.log("lorawan_ns_rejected", "network", fields);
        }
    }

    // --- uplinks ---------------------------------------------------------------------

    void process(const std::string& key) {
        std::optional<lorawan_uplink_record> record;
        std::optional<uplink_context> context;
        std::shared_ptr<const uplink_callback> cb;
        {
            std::lock_guard<std::mutex> lock(mutex);
            const auto it = pending.find(key);
            if (it == pending.end()) {
                return;
            }
            pending_frame frame = std::move(it->second);
            pending.erase(it);
            std::stable_sort(frame.copies.begin(), frame.copies.end(),
                             [](const gateway_copy& a, const gateway_copy& b) { return a.rssi_dbm > b.rssi_dbm; });
            const auto header = lw::parse_mhdr(*frame.payload);
            if (!header) {
                ++counters.malformed;
                reject("malformed", {{"error", std::string(lw::parse_error_name(header.error()))}});
                return;
            }
            if (header->type == lw::mtype::join_request) {
                handle_join(frame);
                return;
            }
            if (header->type != lw::mtype::unconfirmed_data_up && header->type != lw::mtype::confirmed_data_up) {
                ++counters.malformed;
                reject("malformed", {{"error", std::string("not_an_uplink")}});
                return;
            }
            context = handle_data(frame, record);
            cb = callback;
        }
        if (record && cb && *cb) {
            (*cb)(*record);
        }
        if (context) {
            std::lock_guard<std::mutex> lock(mutex);
            class_a_downlink(*context);
        }
    }

    std::uint32_t allocate_dev_addr() {
        const std::uint32_t prefix = static_cast<std::uint32_t>(lw::nwk_id_of_net_id(options.net_id)) << 25;
        for (;;) {
            const std::uint32_t addr = prefix | static_cast<std::uint32_t>(rng() & 0x01FFFFFFu);
            if (by_addr.find(addr) == by_addr.end() && find_group(addr) == nullptr) {
                return addr;
            }
        }
    }

    void handle_join(const pending_frame& frame) {
        const lw::byte_view phy(*frame.payload);
        const auto request = lw::parse_join_request(phy);
        if (!request) {
            ++counters.malformed;
            reject("malformed", {{"error", std::string(lw::parse_error_name(request.error()))}});
            return;
        }
        const std::uint64_t dev_eui = request->dev_eui;
        const auto found = by_eui.find(dev_eui);
        device* d = found == by_eui.end() ? nullptr : found->second;
        if (d == nullptr || !d->registered || !d->otaa || d->app_eui != request->app_eui) {
            ++counters.unknown_devices;
            reject("unknown_device", {{"dev_eui", eui_hex(dev_eui)},
                                      {"app_eui", eui_hex(request->app_eui)},
                                      {"detail", std::string(d != nullptr && d->registered ? "app_eui" : "dev_eui")}});
            return;
        }
        if (!lw::verify_join_request(phy, d->app_key)) {
            ++counters.bad_mic;
            reject("bad_mic", {{"dev_eui", eui_hex(dev_eui)}, {"type", std::string("join_request")}});
            return;
        }
        if (d->dev_nonces.count(request->dev_nonce) != 0) {
            ++counters.devnonce_reused;
            reject("devnonce_reused",
                   {{"dev_eui", eui_hex(dev_eui)}, {"dev_nonce", std::int64_t{request->dev_nonce}}});
            return;
        }
        lw::join_accept accept;
        accept.app_nonce = static_cast<std::uint32_t>(rng() & 0xFFFFFFu);
        accept.net_id = options.net_id;
        accept.dev_addr = allocate_dev_addr();
        accept.rx1_dr_offset = 0;
        accept.rx2_data_rate = static_cast<std::uint8_t>(r.rx2_dr);
        accept.rx_delay = 1;
        if (r.plan == channel_plan_kind::dynamic && !cf_list.empty()) {
            std::array<std::uint32_t, 5> f{};
            for (std::size_t i = 0; i < cf_list.size(); ++i) {
                f[i] = static_cast<std::uint32_t>(cf_list[i]);
            }
            accept.cf_list = lw::make_cf_list(f);
        }
        lw::bytes phy_accept = lw::encode_join_accept(accept, d->app_key);

        const int up_dr = uplink_dr_of(frame.spreading_factor, frame.bandwidth_hz);
        window_choice rx1 = rx1_window(frame.end_us, frame.frequency_hz, frame.bandwidth_hz, up_dr, 0,
                                       join_accept_delay1_us);
        window_choice rx2{lorawan_window::rx2, frame.end_us + join_accept_delay2_us, r.rx2_frequency_hz, r.rx2_dr};
        std::optional<std::pair<std::size_t, window_choice>> chosen;
        for (const auto& c : frame.copies) {
            for (const window_choice& win : ordered(rx1, rx2)) {
                const auto mod = win.dr < 0 ? std::nullopt : lorawan_modulation(r, win.dr, false);
                if (!mod || win.at_us <= w.now_us()) {
                    continue;
                }
                const time_us airtime = time_on_air_us(*mod, phy_accept.size());
                if (gateway_free(gateways[c.gateway], win.at_us, win.at_us + airtime)) {
                    gateways[c.gateway].busy.emplace_back(win.at_us, win.at_us + airtime);
                    chosen.emplace(c.gateway, win);
                    break;
                }
            }
            if (chosen) {
                break;
            }
        }
        if (!chosen) {
            ++counters.downlinks_missed;
            reject("no_window", {{"dev_eui", eui_hex(dev_eui)}, {"type", std::string("join_accept")}});
            return;
        }
        // The new session.
        d->dev_nonces.insert(request->dev_nonce);
        if (d->active) {
            const auto old = by_addr.find(d->dev_addr);
            if (old != by_addr.end() && old->second == d) {
                by_addr.erase(old);
            }
        }
        d->active = true;
        d->dev_addr = accept.dev_addr;
        d->keys = lw::derive_session_keys(d->app_key, accept.app_nonce, accept.net_id, request->dev_nonce);
        d->reset_session(r);
        if (accept.cf_list) {
            d->radio.apply_cf_list(r, cf_list);
        }
        d->last_gateways.clear();
        for (const auto& c : frame.copies) {
            d->last_gateways.push_back(c.gateway);
        }
        by_addr[d->dev_addr] = d;
        ++counters.joins_accepted;

        lorawan_join_record j;
        j.t_us = frame.end_us;
        j.dev_eui = dev_eui;
        j.app_eui = request->app_eui;
        j.dev_nonce = request->dev_nonce;
        j.app_nonce = accept.app_nonce;
        j.net_id = accept.net_id;
        j.dev_addr = accept.dev_addr;
        j.keys = d->keys;
        j.dr = up_dr;
        j.frequency_hz = frame.frequency_hz;
        j.rssi_dbm = frame.copies.front().rssi_dbm;
        j.snr_db = frame.copies.front().snr_db;
        j.gateways = named(frame.copies);
        j.window = chosen->second.window;
        j.accept_at_us = chosen->second.at_us;
        if (w.logging()) {
            w.log("lorawan_ns_join_accept", "network",
                  {{"dev_eui", eui_hex(dev_eui)},
                   {"app_eui", eui_hex(j.app_eui)},
                   {"dev_nonce", std::int64_t{j.dev_nonce}},
                   {"app_nonce", std::int64_t{j.app_nonce}},
                   {"dev_addr", addr_hex(j.dev_addr)},
                   {"dr", std::int64_t{up_dr}},
                   {"frequency_hz", j.frequency_hz},
                   {"rssi_dbm", j.rssi_dbm},
                   {"snr_db", j.snr_db},
                   {"gateways", joined_names(j.gateways)},
                   {"window", std::string(window_name(j.window))},
                   {"accept_at_us", j.accept_at_us}});
        }
        join_records.push_back(j);

        lorawan_downlink_record dl;
        dl.dev_addr = accept.dev_addr;
        dl.dev_eui = dev_eui;
        dl.join_accept = true;
        dl.window = chosen->second.window;
        dl.frequency_hz = chosen->second.frequency_hz;
        dl.dr = chosen->second.dr;
        dl.gateway = gateways[chosen->first].name;
        dl.phy = std::move(phy_accept);
        schedule_transmit(chosen->first, chosen->second.at_us, std::move(dl));
    }

    std::vector<window_choice> ordered(const window_choice& rx1, const window_choice& rx2) const {
        if (options.prefer_rx2) {
            return {rx2, rx1};
        }
        return {rx1, rx2};
    }

    std::optional<uplink_context> handle_data(const pending_frame& frame, std::optional<lorawan_uplink_record>& out) {
        const lw::byte_view phy(*frame.payload);
        const auto fields = lw::parse_data_frame(phy);
        if (!fields) {
            ++counters.malformed;
            reject("malformed", {{"error", std::string(lw::parse_error_name(fields.error()))}});
            return std::nullopt;
        }
        const auto found = by_addr.find(fields->dev_addr);
        if (found == by_addr.end() || !found->second->active) {
            ++counters.unknown_devices;
            reject("unknown_device", {{"dev_addr", addr_hex(fields->dev_addr)}});
            return std::nullopt;
        }
        device& d = *found->second;
        std::optional<lw::data_frame> data;
        bool retransmission = false;
        if (!d.fcnt_up) {
            auto decoded = lw::decode_data_frame(phy, d.keys, 0);
            if (decoded) {
                data = std::move(decoded).value();
            }
        } else {
            const std::uint32_t last = *d.fcnt_up;
            const std::uint32_t candidate = lw::recover_fcnt(last, fields->fcnt);
            const bool in_gap = candidate - last < lw::max_fcnt_gap;
            if (in_gap) {
                auto decoded = lw::decode_data_frame(phy, d.keys, candidate);
                if (decoded) {
                    data = std::move(decoded).value();
                }
            }
            if (!data) {
                // An old counter with a good MIC is a replay; a good MIC too far ahead a gap.
                const std::uint32_t base = (last & 0xFFFF0000u) | fields->fcnt;
                std::optional<std::uint32_t> older;
                if (base < last) {
                    older = base;
                } else if (base > last && last >= 0x10000u) {
                    older = base - 0x10000u;
                }
                if (older && lw::verify_data_frame(phy, d.keys.nwk_s_key, *older)) {
                    ++counters.replays;
                    reject("replay", {{"dev_addr", addr_hex(d.dev_addr)},
                                      {"fcnt", std::int64_t{*older}},
                                      {"last_fcnt", std::int64_t{last}}});
                    return std::nullopt;
                }
                if (!in_gap && lw::verify_data_frame(phy, d.keys.nwk_s_key, candidate)) {
                    ++counters.replays;
                    reject("fcnt_gap", {{"dev_addr", addr_hex(d.dev_addr)},
                                        {"fcnt", std::int64_t{candidate}},
                                        {"last_fcnt", std::int64_t{last}}});
                    return std::nullopt;
                }
            } else if (data->fcnt == last) {
                if (!lw::is_confirmed(data->type)) {
                    ++counters.replays;
                    reject("replay", {{"dev_addr", addr_hex(d.dev_addr)},
                                      {"fcnt", std::int64_t{last}},
                                      {"last_fcnt", std::int64_t{last}}});
                    return std::nullopt;
                }
                retransmission = true;  // the same confirmed uplink again: ACK it again
            }
        }
        if (!data) {
            ++counters.bad_mic;
            reject("bad_mic", {{"dev_addr", addr_hex(fields->dev_addr)}, {"fcnt", std::int64_t{fields->fcnt}}});
            return std::nullopt;
        }
        d.fcnt_up = data->fcnt;
        d.last_gateways.clear();
        for (const auto& c : frame.copies) {
            d.last_gateways.push_back(c.gateway);
        }
        const int up_dr = uplink_dr_of(frame.spreading_factor, frame.bandwidth_hz);

        // The device's ACK of a confirmed downlink.
        if (d.awaiting_ack) {
            if (data->fctrl.ack) {
                downlink_states[d.awaiting_ack->id] = lorawan_downlink_state::acknowledged;
                d.awaiting_ack.reset();
            } else if (d.awaiting_ack->transmissions >= options.confirmed_downlink_max_transmissions) {
                downlink_states[d.awaiting_ack->id] = lorawan_downlink_state::failed;
                reject("downlink_not_acknowledged", {{"dev_addr", addr_hex(d.dev_addr)},
                                                     {"id", static_cast<std::int64_t>(d.awaiting_ack->id)}});
                d.awaiting_ack.reset();
            }
        }

        // MAC commands: answers to our requests, and LinkCheckReq.
        const lw::byte_view mac_bytes =
            data->fport == 0 ? lw::byte_view(data->frm_payload) : lw::byte_view(data->fopts);
        std::vector<lorawan_mac_command> commands = ns_mac::parse_uplink_commands(mac_bytes);
        uplink_context ctx;
        for (const auto& cmd : commands) {
            if (cmd.cid == ns_mac::cid_link_check) {
                const double margin =
                    std::floor(frame.copies.front().snr_db - demodulation_floor_snr_db(frame.spreading_factor));
                const auto m = static_cast<std::uint8_t>(std::clamp(margin, 0.0, 254.0));
                const auto n = static_cast<std::uint8_t>(std::min<std::size_t>(frame.copies.size(), 255));
                ctx.link_check_ans = lw::bytes{ns_mac::cid_link_check, m, n};
                continue;
            }
            answer_received(d, cmd);
        }
        for (auto& req : d.mac_requests) {
            req.sent = false;  // sent but not answered in this uplink: send again
        }

        ctx.dev = &d;
        ctx.dev_addr = d.dev_addr;
        ctx.end_us = frame.end_us;
        ctx.frequency_hz = frame.frequency_hz;
        ctx.bandwidth_hz = frame.bandwidth_hz;
        ctx.dr = up_dr;
        ctx.confirmed = lw::is_confirmed(data->type);
        ctx.adr_ack_req = data->fctrl.adr_ack_req;
        ctx.copies = frame.copies;
        if (d.class_c) {
            d.class_c_not_before = frame.end_us + d.rx1_delay_us + receive_delay2_us - receive_delay1_us;
        }
        if (retransmission) {
            ++counters.retransmissions;
            if (w.logging()) {
                w.log("lorawan_ns_uplink", "network",
                      {{"dev_addr", addr_hex(d.dev_addr)},
                       {"fcnt", std::int64_t{data->fcnt}},
                       {"retransmission", true}});
            }
            return ctx;
        }

        if (echo && data->fport && *data->fport >= 1 && *data->fport <= 223) {
            queued_downlink q;
            q.id = ++last_downlink_id;
            q.port = *data->fport;
            q.payload = data->frm_payload;
            downlink_states[q.id] = lorawan_downlink_state::queued;
            d.queue.push_back(std::move(q));
        }

        lorawan_uplink_record rec;
        rec.t_us = frame.end_us;
        rec.start_us = frame.start_us;
        rec.dev_eui = d.otaa ? d.dev_eui : std::nullopt;
        rec.dev_addr = d.dev_addr;
        rec.fcnt = data->fcnt;
        rec.port = data->fport;
        rec.payload = data->frm_payload;
        rec.confirmed = ctx.confirmed;
        rec.adr = data->fctrl.adr;
        rec.adr_ack_req = data->fctrl.adr_ack_req;
        rec.ack = data->fctrl.ack;
        rec.dr = up_dr;
        rec.frequency_hz = frame.frequency_hz;
        rec.rssi_dbm = frame.copies.front().rssi_dbm;
        rec.snr_db = frame.copies.front().snr_db;
        rec.gateways = named(frame.copies);
        rec.mac_commands = std::move(commands);
        ++counters.uplinks_accepted;
        if (w.logging()) {
            w.log("lorawan_ns_uplink", "network",
                  {{"dev_eui", rec.dev_eui ? log_value(eui_hex(*rec.dev_eui)) : log_value(std::monostate{})},
                   {"dev_addr", addr_hex(rec.dev_addr)},
                   {"fcnt", std::int64_t{rec.fcnt}},
                   {"port", rec.port ? log_value(std::int64_t{*rec.port}) : log_value(std::monostate{})},
                   {"size", static_cast<std::int64_t>(rec.payload.size())},
                   {"confirmed", rec.confirmed},
                   {"dr", std::int64_t{rec.dr}},
                   {"frequency_hz", rec.frequency_hz},
                   {"rssi_dbm", rec.rssi_dbm},
                   {"snr_db", rec.snr_db},
                   {"gateways", joined_names(rec.gateways)},
                   {"mac_commands", static_cast<std::int64_t>(rec.mac_commands.size())}});
        }
        uplink_records.push_back(rec);
        const double best_snr_db =
            std::max_element(frame.copies.begin(), frame.copies.end(), [](const auto& a, const auto& b) {
                return a.snr_db < b.snr_db;
            })->snr_db;
        out = std::move(rec);
        adapt_data_rate(d, up_dr, data->fctrl.adr, best_snr_db);
        return ctx;
    }

    /// Network-side ADR after a new uplink (lorawan_network_adr.hpp): queues a LinkADRReq
    /// when the last 20 SNRs call for another DR or power, unless one is still unanswered.
    void adapt_data_rate(device& d, int up_dr, bool adr_bit, double snr_db) {
        d.radio.record_snr(snr_db);
        const bool unanswered = std::any_of(d.mac_requests.begin(), d.mac_requests.end(),
                                            [](const mac_request& m) { return m.cid == ns_mac::cid_link_adr; });
        if (!options.adr || !adr_bit || unanswered) {
            return;
        }
        const auto req = ns_adr::next_link_adr(r, d.radio, up_dr);
        if (!req) {
            return;
        }
        d.mac_requests.push_back({ns_mac::cid_link_adr,
                                  ns_mac::link_adr_req_payload(req->dr, req->tx_power_index, req->ch_mask,
                                                               req->ch_mask_cntl, req->nb_trans),
                                  false});
        d.radio.snr_history_db.clear();  // the next decision sees only uplinks at the new settings
        if (w.logging()) {
            w.log("lorawan_ns_adr", "network",
                  {{"dev_addr", addr_hex(d.dev_addr)},
                   {"dr", std::int64_t{up_dr}},
                   {"new_dr", std::int64_t{req->dr}},
                   {"new_tx_power_index", std::int64_t{req->tx_power_index}},
                   {"ch_mask", std::int64_t{req->ch_mask}}});
        }
    }

    /// A MAC answer from the device: retire the request it answers and apply its effects.
    void answer_received(device& d, const lorawan_mac_command& cmd) {
        const auto req = std::find_if(d.mac_requests.begin(), d.mac_requests.end(),
                                      [&](const mac_request& m) { return m.sent && m.cid == cmd.cid; });
        if (cmd.cid == ns_mac::cid_dev_status && cmd.payload.size() == 2) {
            // Margin: a 6-bit two's complement value.
            const int raw = cmd.payload[1] & 0x3F;
            d.status = lorawan_device_status{w.now_us(), cmd.payload[0], raw >= 32 ? raw - 64 : raw};
        }
        if (req == d.mac_requests.end()) {
            return;  // a sticky answer repeated, or an answer to nothing
        }
        if (cmd.cid == ns_mac::cid_rx_param_setup && !cmd.payload.empty() && (cmd.payload[0] & 0x07) == 0x07 &&
            req->payload.size() == 4) {
            d.rx1_dr_offset = (req->payload[0] >> 4) & 0x07;
            d.rx2_dr = req->payload[0] & 0x0F;
            d.rx2_frequency_hz = ns_mac::frequency_of(req->payload, 1);
        }
        if (cmd.cid == ns_mac::cid_rx_timing_setup && req->payload.size() == 1) {
            d.rx1_delay_us = rx_delay_us(req->payload[0]);
        }
        if (cmd.cid == ns_mac::cid_link_adr && !cmd.payload.empty() && (cmd.payload[0] & 0x07) == 0x07) {
            d.radio.link_adr_accepted(r, req->payload);
        }
        if (cmd.cid == ns_mac::cid_new_channel && !cmd.payload.empty() && (cmd.payload[0] & 0x03) == 0x03) {
            d.radio.new_channel_accepted(req->payload);
        }
        d.mac_requests.erase(req);
    }

    // --- downlinks -------------------------------------------------------------------

    /// What a downlink at `dr` would carry now; empty frame type means nothing to send.
    composition compose(const device& d, int dr, bool ack, const lw::bytes& link_check) const {
        composition c;
        const std::size_t n = max_n(dr);
        const queued_downlink* app = d.awaiting_ack ? &*d.awaiting_ack : (d.queue.empty() ? nullptr : &d.queue.front());
        bool deferred = false;
        if (app != nullptr && app->payload.size() > n) {
            app = nullptr;  // too large for this DR: waits for a faster window
            deferred = true;
        }
        // MAC commands: the LinkCheckAns first, then the requests not yet sent, whole ones only.
        std::vector<std::pair<std::optional<std::size_t>, lw::bytes>> candidates;
        if (!link_check.empty()) {
            candidates.emplace_back(std::nullopt, link_check);
        }
        for (std::size_t i = 0; i < d.mac_requests.size(); ++i) {
            if (!d.mac_requests[i].sent) {
                lw::bytes b{d.mac_requests[i].cid};
                b.insert(b.end(), d.mac_requests[i].payload.begin(), d.mac_requests[i].payload.end());
                candidates.emplace_back(i, std::move(b));
            }
        }
        std::size_t total = 0;
        for (const auto& cand : candidates) {
            total += cand.second.size();
        }
        const bool port_zero = app == nullptr && total > lw::max_fopts_size;
        const std::size_t budget =
            port_zero ? n : std::min(lw::max_fopts_size, app != nullptr ? n - app->payload.size() : n);
        lw::bytes mac_bytes;
        for (const auto& [index, b] : candidates) {
            if (mac_bytes.size() + b.size() > budget) {
                deferred = true;
                continue;
            }
            mac_bytes.insert(mac_bytes.end(), b.begin(), b.end());
            c.commands.push_back({b[0], lw::bytes(b.begin() + 1, b.end())});
            if (index) {
                c.requests.push_back(*index);
            } else {
                c.link_check = true;
            }
        }
        lw::data_frame& f = c.frame;
        f.dev_addr = d.dev_addr;
        f.fcnt = d.fcnt_down;
        f.fctrl.ack = ack;
        if (app != nullptr) {
            c.carries_app = true;
            c.app_is_resend = d.awaiting_ack.has_value();
            c.queued_id = app->id;
            f.type = app->confirmed ? lw::mtype::confirmed_data_down : lw::mtype::unconfirmed_data_down;
            f.fport = app->port;
            f.frm_payload = app->payload;
            f.fopts = std::move(mac_bytes);
        } else {
            f.type = lw::mtype::unconfirmed_data_down;
            if (port_zero) {
                f.fport = 0;
                f.frm_payload = std::move(mac_bytes);
            } else {
                f.fopts = std::move(mac_bytes);
            }
        }
        const std::size_t queued_after = d.queue.size() - (app != nullptr && !c.app_is_resend ? 1 : 0);
        f.fctrl.f_pending = queued_after > 0 || (d.awaiting_ack && !c.app_is_resend) || deferred;
        return c;
    }

    static bool worth_sending(const composition& c) {
        return c.carries_app || !c.commands.empty() || c.frame.fctrl.ack;
    }

    /// Takes what `c` carries out of the device's queues and encodes the frame.
    lorawan_downlink_record commit(device& d, composition&& c) {
        lorawan_downlink_record dl;
        dl.dev_addr = d.dev_addr;
        dl.dev_eui = d.otaa ? d.dev_eui : std::nullopt;
        dl.fcnt = c.frame.fcnt;
        dl.port = c.frame.fport;
        dl.payload = c.frame.frm_payload;
        dl.confirmed = lw::is_confirmed(c.frame.type);
        dl.ack = c.frame.fctrl.ack;
        dl.f_pending = c.frame.fctrl.f_pending;
        dl.mac_commands = c.commands;
        dl.queued_id = c.queued_id;
        dl.phy = lw::encode_data_frame(c.frame, d.keys);
        ++d.fcnt_down;
        if (c.carries_app) {
            if (c.app_is_resend) {
                ++d.awaiting_ack->transmissions;
            } else {
                queued_downlink q = std::move(d.queue.front());
                d.queue.pop_front();
                downlink_states[q.id] = lorawan_downlink_state::sent;
                if (q.confirmed) {
                    q.transmissions = 1;
                    d.awaiting_ack = std::move(q);
                }
            }
        }
        for (const std::size_t i : c.requests) {
            d.mac_requests[i].sent = true;
        }
        return dl;
    }

    void class_a_downlink(const uplink_context& ctx) {
        device& d = *ctx.dev;
        if (!d.active || d.dev_addr != ctx.dev_addr) {
            return;  // the device joined again meanwhile
        }
        const bool anything = ctx.confirmed || !ctx.link_check_ans.empty() || ctx.adr_ack_req || d.awaiting_ack ||
                              !d.queue.empty() || has_unsent_request(d);
        if (!anything) {
            schedule_class_c(d);
            return;
        }
        const window_choice rx1 = rx1_window(ctx.end_us, ctx.frequency_hz, ctx.bandwidth_hz, ctx.dr,
                                             d.rx1_dr_offset, d.rx1_delay_us);
        const time_us rx2_delay = d.rx1_delay_us + receive_delay2_us - receive_delay1_us;
        const window_choice rx2{lorawan_window::rx2, ctx.end_us + rx2_delay,
                                d.rx2_frequency_hz, d.rx2_dr};
        for (const auto& c : ctx.copies) {
            for (const window_choice& win : ordered(rx1, rx2)) {
                const auto mod = win.dr < 0 ? std::nullopt : lorawan_modulation(r, win.dr, false);
                if (!mod || win.at_us <= w.now_us()) {
                    continue;
                }
                composition comp = compose(d, win.dr, ctx.confirmed, ctx.link_check_ans);
                if (!worth_sending(comp) && !ctx.adr_ack_req) {
                    continue;  // what is queued does not fit this window's DR
                }
                const std::size_t size = lw::data_frame_size(comp.frame.fopts.size(), comp.frame.fport.has_value(),
                                                             comp.frame.frm_payload.size());
                const time_us airtime = time_on_air_us(*mod, size);
                if (!gateway_free(gateways[c.gateway], win.at_us, win.at_us + airtime)) {
                    continue;
                }
                gateways[c.gateway].busy.emplace_back(win.at_us, win.at_us + airtime);
                lorawan_downlink_record dl = commit(d, std::move(comp));
                dl.window = win.window;
                dl.frequency_hz = win.frequency_hz;
                dl.dr = win.dr;
                dl.gateway = gateways[c.gateway].name;
                schedule_transmit(c.gateway, win.at_us, std::move(dl));
                schedule_class_c(d);
                return;
            }
        }
        ++counters.downlinks_missed;
        reject("no_window", {{"dev_addr", addr_hex(d.dev_addr)}, {"type", std::string("data_down")}});
        schedule_class_c(d);
    }

    static bool has_unsent_request(const device& d) {
        return std::any_of(d.mac_requests.begin(), d.mac_requests.end(), [](const mac_request& m) { return !m.sent; });
    }

    void schedule_class_c(device& d) {
        if (!d.class_c || d.class_c_scheduled || !d.active || d.last_gateways.empty()) {
            return;
        }
        if ((d.queue.empty() && !has_unsent_request(d)) || d.awaiting_ack) {
            return;
        }
        d.class_c_scheduled = true;
        std::weak_ptr<impl> weak = self;
        device* dp = &d;
        w.schedule_at(std::max(w.now_us(), d.class_c_not_before), [weak, dp] {
            if (const auto s = weak.lock()) {
                std::lock_guard<std::mutex> lock(s->mutex);
                s->class_c_flush(*dp);
            }
        });
    }

    void class_c_flush(device& d) {
        d.class_c_scheduled = false;
        if (!d.class_c || !d.active || d.last_gateways.empty() || d.awaiting_ack) {
            return;
        }
        const auto mod = lorawan_modulation(r, d.rx2_dr, false);
        if (!mod) {
            return;
        }
        composition comp = compose(d, d.rx2_dr, false, {});
        if (!worth_sending(comp)) {
            return;
        }
        const auto best = std::find_if(d.last_gateways.begin(), d.last_gateways.end(),
                                       [&](std::size_t i) { return gateways[i].active; });
        if (best == d.last_gateways.end()) {
            return;  // every gateway that heard the device is gone: wait for an uplink
        }
        const std::size_t gi = *best;
        const std::size_t size = lw::data_frame_size(comp.frame.fopts.size(), comp.frame.fport.has_value(),
                                                     comp.frame.frm_payload.size());
        const time_us airtime = time_on_air_us(*mod, size);
        gateway& g = gateways[gi];
        prune(g);
        const time_us at = next_free(g, std::max(w.now_us(), d.class_c_not_before), airtime);
        g.busy.emplace_back(at, at + airtime);
        lorawan_downlink_record dl = commit(d, std::move(comp));
        dl.window = lorawan_window::class_c;
        dl.frequency_hz = d.rx2_frequency_hz;
        dl.dr = d.rx2_dr;
        dl.gateway = g.name;
        schedule_transmit(gi, at, std::move(dl));
        d.class_c_not_before = at + airtime + options.class_c_gap_us;
        schedule_class_c(d);
    }

    void schedule_transmit(std::size_t gi, time_us at, lorawan_downlink_record dl) {
        std::weak_ptr<impl> weak = self;
        w.schedule_at(at, [weak, gi, dl = std::move(dl)]() mutable {
            if (const auto s = weak.lock()) {
                s->transmit(gi, std::move(dl));
            }
        });
    }

    void transmit(std::size_t gi, lorawan_downlink_record dl) {
        std::lock_guard<std::mutex> lock(mutex);
        gateway& g = gateways[gi];
        if (!g.active) {
            ++counters.downlinks_missed;
            reject("gateway_gone", {{"dev_addr", addr_hex(dl.dev_addr)}, {"gateway", g.name}});
            return;
        }
        const auto mod = lorawan_modulation(r, dl.dr, false);
        if (!mod || medium.transmitting(g.tx_radio)) {
            ++counters.downlinks_missed;
            reject("gateway_busy", {{"dev_addr", addr_hex(dl.dev_addr)}, {"gateway", g.name}});
            return;
        }
        if (options.downlink_loss > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(loss_rng) < options.downlink_loss) {
            // Lost between the server and the gateway: the server believes it sent it.
            ++counters.downlinks_dropped;
            if (w.logging()) {
                w.log("lorawan_ns_dropped", g.name,
                      {{"dev_addr", addr_hex(dl.dev_addr)}, {"join_accept", dl.join_accept},
                       {"fcnt", std::int64_t{dl.fcnt}}, {"ack", dl.ack}});
            }
            return;
        }
        lora_frame f;
        f.frequency_hz = dl.frequency_hz;
        f.modulation = *mod;
        f.iq_inverted = true;
        f.sync_word = options.sync_word;
        f.tx_power_dbm = tx_power_dbm;
        f.payload = dl.phy;
        dl.t_us = w.now_us();
        medium.transmit(g.tx_radio, std::move(f));
        ++counters.downlinks_sent;
        if (w.logging()) {
            w.log("lorawan_ns_downlink", g.name,
                  {{"dev_addr", addr_hex(dl.dev_addr)},
                   {"join_accept", dl.join_accept},
                   {"fcnt", std::int64_t{dl.fcnt}},
                   {"port", dl.port ? log_value(std::int64_t{*dl.port}) : log_value(std::monostate{})},
                   {"size", static_cast<std::int64_t>(dl.payload.size())},
                   {"confirmed", dl.confirmed},
                   {"ack", dl.ack},
                   {"f_pending", dl.f_pending},
                   {"mac_commands", static_cast<std::int64_t>(dl.mac_commands.size())},
                   {"window", std::string(window_name(dl.window))},
                   {"frequency_hz", dl.frequency_hz},
                   {"dr", std::int64_t{dl.dr}},
                   {"multicast", dl.multicast}});
        }
        downlink_records.push_back(std::move(dl));
    }

    // --- multicast -------------------------------------------------------------------

    multicast_group* find_group(std::uint32_t mc_addr) {
        const auto it = std::find_if(multicast.begin(), multicast.end(),
                                     [&](const multicast_group& g) { return g.info.mc_addr == mc_addr; });
        return it == multicast.end() ? nullptr : &*it;
    }

    /// Schedules one copy per gateway, one after the other: a gateway sends one frame at a
    /// time, and the copies of one frame must not overlap on the group's one channel.
    void send_multicast(multicast_group& g, std::uint64_t id, std::uint8_t port, lw::bytes payload) {
        lw::data_frame f;
        f.type = lw::mtype::unconfirmed_data_down;
        f.dev_addr = g.info.mc_addr;
        f.fcnt = g.info.fcnt_down++;
        f.fport = port;
        f.frm_payload = std::move(payload);
        lorawan_downlink_record dl;
        dl.dev_addr = f.dev_addr;
        dl.fcnt = f.fcnt;
        dl.port = port;
        dl.payload = f.frm_payload;
        dl.queued_id = id;
        dl.multicast = true;
        dl.window = lorawan_window::class_c;
        dl.frequency_hz = g.info.frequency_hz;
        dl.dr = g.info.dr;
        dl.phy = lw::encode_data_frame(f, g.info.keys);
        if (std::none_of(gateways.begin(), gateways.end(), [](const gateway& x) { return x.active; })) {
            ++counters.downlinks_missed;
            downlink_states[id] = lorawan_downlink_state::failed;
            reject("no_gateway", {{"dev_addr", addr_hex(dl.dev_addr)}, {"type", std::string("multicast")}});
            return;
        }
        const time_us airtime = time_on_air_us(*lorawan_modulation(r, g.info.dr, false), dl.phy.size());
        time_us at = std::max(w.now_us(), g.not_before_us);
        for (std::size_t gi = 0; gi < gateways.size(); ++gi) {
            gateway& gw = gateways[gi];
            if (!gw.active) {
                continue;
            }
            prune(gw);
            at = next_free(gw, at, airtime);
            gw.busy.emplace_back(at, at + airtime);
            lorawan_downlink_record copy = dl;
            copy.gateway = gw.name;
            schedule_transmit(gi, at, std::move(copy));
            at += airtime + options.class_c_gap_us;
        }
        g.not_before_us = at;
        downlink_states[id] = lorawan_downlink_state::sent;
    }

    // --- API helpers -----------------------------------------------------------------

    device& new_device() {
        devices.push_back(std::make_unique<device>());
        device& d = *devices.back();
        d.rx2_dr = r.rx2_dr;
        d.rx2_frequency_hz = r.rx2_frequency_hz;
        d.radio.reset(r);
        return d;
    }

    /// The device `ref` names; by DevEUI a placeholder is created when `create`.
    device* find(const lorawan_device_ref& ref, bool create) {
        if (ref.by_eui) {
            const auto it = by_eui.find(ref.value);
            if (it != by_eui.end()) {
                return it->second;
            }
            if (!create) {
                return nullptr;
            }
            device& d = new_device();
            d.dev_eui = ref.value;
            d.otaa = true;
            by_eui[ref.value] = &d;
            return &d;
        }
        const auto it = by_addr.find(static_cast<std::uint32_t>(ref.value));
        return it == by_addr.end() ? nullptr : it->second;
    }

    device& find_or_throw(const lorawan_device_ref& ref) {
        device* d = find(ref, true);
        if (d == nullptr) {
            throw std::invalid_argument("no device with DevAddr " + addr_hex(static_cast<std::uint32_t>(ref.value)));
        }
        return *d;
    }

    void do_register_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lw::aes_key& app_key) {
        device& d = *find(lorawan_device_ref::eui(dev_eui), true);
        if (d.registered && (d.app_key != app_key || d.app_eui != app_eui)) {
            d.dev_nonces.clear();  // other keys: another device
        }
        d.otaa = true;
        d.registered = true;
        d.app_eui = app_eui;
        d.app_key = app_key;
    }

    void do_register_abp(std::uint32_t dev_addr, const lw::aes_key& nwk, const lw::aes_key& app, bool reset) {
        if (find_group(dev_addr) != nullptr) {
            throw std::invalid_argument("DevAddr " + addr_hex(dev_addr) + " is a multicast group's");
        }
        const auto it = by_addr.find(dev_addr);
        device* d = it == by_addr.end() ? nullptr : it->second;
        if (d != nullptr && d->otaa) {
            d->active = false;  // an OTAA session at this address loses it
            d = nullptr;
        }
        if (d == nullptr) {
            d = &new_device();
            by_addr[dev_addr] = d;
            reset = true;
        }
        const bool same = d->keys.nwk_s_key == nwk && d->keys.app_s_key == app;
        d->registered = true;
        d->active = true;
        d->dev_addr = dev_addr;
        d->keys = lw::session_keys{nwk, app};
        if (reset || !same) {
            d->reset_session(r);
        }
    }

    void add_request(const lorawan_device_ref& ref, std::uint8_t cid, lw::bytes payload) {
        device& d = find_or_throw(ref);
        if (cid == ns_mac::cid_new_channel && payload.size() == 5) {
            // Listen before the device may use the channel: a real LNS configures its gateways'
            // channel plan with the request, not after the answer.
            listen_on(ns_mac::frequency_of(payload, 1));
        }
        d.mac_requests.push_back({cid, std::move(payload), false});
        schedule_class_c(d);
    }
};

// --- the public class ---------------------------------------------------------------------

lorawan_network::lorawan_network(lora_medium& medium, region_id region, lorawan_network_options options) {
    if (options.net_id > 0xFFFFFFu) {
        throw std::invalid_argument("a NetID has 24 bits");
    }
    if (options.dedup_window_us < 0 || options.dedup_window_us >= receive_delay1_us) {
        throw std::invalid_argument("the deduplication window must be in [0, RECEIVE_DELAY1)");
    }
    if (!(options.downlink_loss >= 0.0 && options.downlink_loss <= 1.0)) {
        throw std::invalid_argument("downlink_loss is a fraction in [0, 1]");
    }
    impl_ = std::make_shared<impl>(medium, region, std::move(options));
    impl_->self = impl_;
}

lorawan_network::~lorawan_network() {
    std::vector<lora_medium::radio_id> radios;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (const auto& g : impl_->gateways) {
            if (g.active) {
                radios.insert(radios.end(), g.rx_radios.begin(), g.rx_radios.end());
                radios.push_back(g.tx_radio);
            }
        }
    }
    for (const auto id : radios) {
        impl_->medium.detach(id);
    }
}

const lorawan_region& lorawan_network::region() const noexcept { return impl_->r; }
const lorawan_network_options& lorawan_network::options() const noexcept { return impl_->options; }

std::size_t lorawan_network::add_gateway(std::string name, position_m where) {
    impl& m = *impl_;
    // All under the lock, so a NewChannelReq queued meanwhile reaches this gateway too.
    std::lock_guard<std::mutex> lock(m.mutex);
    const std::size_t index = m.gateways.size();
    gateway g;
    g.name = name;
    g.where = where;
    g.tx_radio = m.medium.attach(name, where, {});
    m.gateways.push_back(std::move(g));
    for (const auto& l : m.listen_settings) {
        m.attach_rx(index, l);
    }
    return index;
}

std::vector<std::string> lorawan_network::gateway_names() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<std::string> out;
    for (const auto& g : impl_->gateways) {
        if (g.active) {
            out.push_back(g.name);
        }
    }
    return out;
}

bool lorawan_network::remove_gateway(const std::string& name) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    for (auto& g : impl_->gateways) {
        if (g.active && g.name == name) {
            g.active = false;
            for (const auto id : g.rx_radios) {
                impl_->medium.detach(id);
            }
            impl_->medium.detach(g.tx_radio);
            g.rx_radios.clear();
            if (impl_->w.logging()) {
                impl_->w.log("lorawan_gw_removed", g.name, {});
            }
            return true;
        }
    }
    return false;
}

std::vector<lora_listen_settings> lorawan_network::gateway_listen_settings() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->listen_settings;
}

void lorawan_network::register_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lw::aes_key& app_key) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->do_register_otaa(dev_eui, app_eui, app_key);
}

void lorawan_network::register_abp(std::uint32_t dev_addr, const lw::aes_key& nwk_s_key, const lw::aes_key& app_s_key,
                                   bool reset_counters) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->do_register_abp(dev_addr, nwk_s_key, app_s_key, reset_counters);
}

bool lorawan_network::offer_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lw::aes_key& app_key) {
    if (impl_->options.strict) {
        return false;
    }
    register_otaa(dev_eui, app_eui, app_key);
    return true;
}

bool lorawan_network::offer_abp(std::uint32_t dev_addr, const lw::aes_key& nwk_s_key, const lw::aes_key& app_s_key,
                                bool reset_counters) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->options.strict || impl_->find_group(dev_addr) != nullptr) {
        return false;  // a script using a group's address gets no session, as on a real network
    }
    impl_->do_register_abp(dev_addr, nwk_s_key, app_s_key, reset_counters);
    return true;
}

std::optional<lorawan_session_info> lorawan_network::session(const lorawan_device_ref& device) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto* d = impl_->find(device, false);
    if (d == nullptr || !d->active) {
        return std::nullopt;
    }
    lorawan_session_info s;
    s.dev_eui = d->otaa ? d->dev_eui : std::nullopt;
    s.dev_addr = d->dev_addr;
    s.keys = d->keys;
    s.fcnt_up = d->fcnt_up;
    s.fcnt_down = d->fcnt_down;
    s.rx1_dr_offset = d->rx1_dr_offset;
    s.rx2_dr = d->rx2_dr;
    s.rx2_frequency_hz = d->rx2_frequency_hz;
    s.rx1_delay_us = d->rx1_delay_us;
    s.class_c = d->class_c;
    return s;
}

void lorawan_network::set_class_c(const lorawan_device_ref& device, bool on) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto& d = impl_->find_or_throw(device);
    d.class_c = on;
    impl_->schedule_class_c(d);
}

std::uint64_t lorawan_network::queue_downlink(const lorawan_device_ref& device, std::uint8_t port,
                                              lw::bytes payload, bool confirmed) {
    if (port < 1 || port > 224) {
        // 224 is the certification test's port (LoRaWAN 1.0.2 4.3.2): a test network sends it.
        throw std::invalid_argument("a downlink's FPort is 1..224");
    }
    if (payload.size() > 242) {
        throw std::invalid_argument("a downlink carries at most 242 bytes");
    }
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto& d = impl_->find_or_throw(device);
    queued_downlink q;
    q.id = ++impl_->last_downlink_id;
    q.port = port;
    q.payload = std::move(payload);
    q.confirmed = confirmed;
    impl_->downlink_states[q.id] = lorawan_downlink_state::queued;
    d.queue.push_back(std::move(q));
    impl_->schedule_class_c(d);
    return impl_->last_downlink_id;
}

void lorawan_network::add_multicast_group(std::uint32_t mc_addr, const lw::aes_key& nwk_s_key,
                                          const lw::aes_key& app_s_key, std::optional<int> dr,
                                          std::optional<std::int64_t> frequency_hz) {
    const lorawan_region& r = impl_->r;
    const int group_dr = dr.value_or(r.rx2_dr);
    const std::int64_t group_frequency_hz = frequency_hz.value_or(r.rx2_frequency_hz);
    if (!lorawan_modulation(r, group_dr, false) || !max_payload_n(r, group_dr, false, link_direction::downlink)) {
        throw std::invalid_argument(fmt::format("{} sends no downlinks at DR{}", r.name, group_dr));
    }
    if (!frequency_in_band(r, group_frequency_hz)) {
        throw std::invalid_argument(fmt::format("{} Hz is outside {}'s band", group_frequency_hz, r.name));
    }
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->find_group(mc_addr) != nullptr) {
        throw std::invalid_argument("multicast group " + addr_hex(mc_addr) + " exists already");
    }
    const auto it = impl_->by_addr.find(mc_addr);
    if (it != impl_->by_addr.end() && it->second->active) {
        throw std::invalid_argument("DevAddr " + addr_hex(mc_addr) + " is a device's");
    }
    multicast_group g;
    g.info = {mc_addr, lw::session_keys{nwk_s_key, app_s_key}, group_dr, group_frequency_hz, 0};
    impl_->multicast.push_back(std::move(g));
    if (impl_->w.logging()) {
        impl_->w.log("lorawan_ns_multicast_group", "network",
                     {{"mc_addr", addr_hex(mc_addr)}, {"dr", std::int64_t{group_dr}}, {"frequency_hz", group_frequency_hz}});
    }
}

bool lorawan_network::remove_multicast_group(std::uint32_t mc_addr) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto& groups = impl_->multicast;
    const auto it = std::find_if(groups.begin(), groups.end(),
                                 [&](const multicast_group& g) { return g.info.mc_addr == mc_addr; });
    if (it == groups.end()) {
        return false;
    }
    groups.erase(it);
    return true;
}

std::vector<lorawan_multicast_group_info> lorawan_network::multicast_groups() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<lorawan_multicast_group_info> out;
    for (const auto& g : impl_->multicast) {
        out.push_back(g.info);
    }
    return out;
}

std::uint64_t lorawan_network::queue_multicast(std::uint32_t mc_addr, std::uint8_t port, lw::bytes payload) {
    if (port < 1 || port > 223) {
        throw std::invalid_argument("a multicast downlink's FPort is 1..223");
    }
    std::lock_guard<std::mutex> lock(impl_->mutex);
    multicast_group* g = impl_->find_group(mc_addr);
    if (g == nullptr) {
        throw std::invalid_argument("no multicast group " + addr_hex(mc_addr));
    }
    const int limit = *max_payload_n(impl_->r, g->info.dr, false, link_direction::downlink);
    if (payload.size() > static_cast<std::size_t>(limit)) {
        throw std::invalid_argument(fmt::format("{} bytes are over {}'s limit of {} at DR{}", payload.size(),
                                                impl_->r.name, limit, g->info.dr));
    }
    const std::uint64_t id = ++impl_->last_downlink_id;
    impl_->send_multicast(*g, id, port, std::move(payload));
    return id;
}

lorawan_downlink_state lorawan_network::downlink_state(std::uint64_t id) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto it = impl_->downlink_states.find(id);
    return it == impl_->downlink_states.end() ? lorawan_downlink_state::unknown : it->second;
}

std::size_t lorawan_network::pending_downlinks(const lorawan_device_ref& device) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto* d = impl_->find(device, false);
    return d == nullptr ? 0 : d->queue.size() + (d->awaiting_ack ? 1 : 0);
}

void lorawan_network::set_echo(bool on) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->echo = on;
}

void lorawan_network::queue_mac_command(const lorawan_device_ref& device, std::uint8_t cid, lw::bytes payload) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->add_request(device, cid, std::move(payload));
}

void lorawan_network::link_adr_req(const lorawan_device_ref& device, int dr, int tx_power_index,
                                   std::uint16_t ch_mask, int ch_mask_cntl, int nb_trans) {
    queue_mac_command(device, ns_mac::cid_link_adr,
                      ns_mac::link_adr_req_payload(dr, tx_power_index, ch_mask, ch_mask_cntl, nb_trans));
}

void lorawan_network::duty_cycle_req(const lorawan_device_ref& device, int max_duty_cycle) {
    queue_mac_command(device, ns_mac::cid_duty_cycle, {static_cast<std::uint8_t>(max_duty_cycle & 0x0F)});
}

void lorawan_network::rx_param_setup_req(const lorawan_device_ref& device, int rx1_dr_offset, int rx2_dr,
                                         std::int64_t rx2_frequency_hz) {
    queue_mac_command(device, ns_mac::cid_rx_param_setup,
                      ns_mac::rx_param_setup_req_payload(rx1_dr_offset, rx2_dr, rx2_frequency_hz));
}

void lorawan_network::dev_status_req(const lorawan_device_ref& device) {
    queue_mac_command(device, ns_mac::cid_dev_status, {});
}

void lorawan_network::new_channel_req(const lorawan_device_ref& device, int index, std::int64_t frequency_hz,
                                      int min_dr, int max_dr) {
    queue_mac_command(device, ns_mac::cid_new_channel,
                      ns_mac::new_channel_req_payload(index, frequency_hz, min_dr, max_dr));
}

void lorawan_network::rx_timing_setup_req(const lorawan_device_ref& device, int delay_s) {
    queue_mac_command(device, ns_mac::cid_rx_timing_setup, {static_cast<std::uint8_t>(delay_s & 0x0F)});
}

std::optional<lorawan_device_status> lorawan_network::device_status(const lorawan_device_ref& device) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto* d = impl_->find(device, false);
    return d == nullptr ? std::nullopt : d->status;
}

void lorawan_network::set_uplink_callback(uplink_callback callback) {
    auto next = callback ? std::make_shared<const uplink_callback>(std::move(callback)) : nullptr;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->callback.swap(next);
}

std::vector<lorawan_uplink_record> lorawan_network::uplinks() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->uplink_records;
}

std::vector<lorawan_join_record> lorawan_network::joins() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->join_records;
}

std::vector<lorawan_downlink_record> lorawan_network::downlinks() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->downlink_records;
}

lorawan_network_counters lorawan_network::counters() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->counters;
}

}  // namespace usocket::sim
