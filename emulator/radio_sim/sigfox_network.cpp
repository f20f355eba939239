// sigfox_network.cpp: base stations, the backend's message records, the daily limits and
// the downlinks.
#include "usocket/sim/sigfox_network.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "usocket/sim/sigfox_phy.hpp"

namespace usocket::sim {
namespace {

/// The daily limits' windows (see the header).
constexpr time_us day_us = 86'400'000'000;

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

struct station {
    std::string name;
    sigfox_medium::radio_id radio;
};

struct record_state {
    sigfox_message_record rec;
    int frames_in_message = 3;
    std::int64_t first_frequency_hz = 0;  // of the first repetition heard, minus its hop
    std::vector<bool> repetitions = std::vector<bool>(3, false);
    std::vector<std::pair<std::size_t, double>> heard_by;  // station, best RSSI there
    bool closed = false;
};

}  // namespace

struct sigfox_network::impl : std::enable_shared_from_this<impl> {
    impl(sigfox_medium& m, sigfox_network_options o) : medium(m), w(m.owner()), options(o) {}

    sigfox_medium& medium;
    world& w;
    sigfox_network_options options;
    mutable std::mutex mutex;
    std::vector<station> stations;
    std::vector<record_state> records;
    /// (device, seq, first frame end) -> record: the frames of one message share all three
    /// (sequence numbers alone wrap, and a script may set them).
    std::map<std::tuple<std::uint32_t, std::uint16_t, time_us>, std::size_t> latest;
    std::map<std::uint32_t, std::deque<std::vector<std::uint8_t>>> queued;
    std::map<std::pair<std::uint32_t, time_us>, int> uplinks_on_day;
    std::map<std::pair<std::uint32_t, time_us>, int> downlinks_on_day;
    std::shared_ptr<const message_callback> callback;
    sigfox_network_counters counters;

    void on_receive(std::size_t station_index, const sigfox_reception& rx) {
        const sigfox_frame& f = *rx.frame;
        if (f.modulation != sigfox_modulation::uplink_dbpsk) {
            return;
        }
        bool fresh = false;
        bool over = false;
        bool last_repetition = false;
        std::size_t index = 0;
        {
            std::lock_guard<std::mutex> lock(mutex);
            ++counters.frames;
            const auto key = std::make_tuple(f.device_id, f.sequence_number, f.first_frame_end_us);
            const auto it = latest.find(key);
            if (it != latest.end()) {
                index = it->second;
            } else {
                fresh = true;
                index = records.size();
                latest[key] = index;
                record_state s;
                s.rec.device_id = f.device_id;
                s.rec.sequence_number = f.sequence_number;
                s.rec.payload = f.payload;
                s.rec.bit_frame = f.bit_frame;
                s.rec.bit_value = f.bit_value;
                s.rec.oob = f.oob;
                s.rec.zone = f.zone;
                s.rec.received_us = rx.end_us;
                s.rec.first_frame_end_us = f.first_frame_end_us;
                s.rec.rssi_dbm = rx.rssi_dbm;
                s.rec.downlink_requested = f.downlink_request;
                s.frames_in_message = f.frames_in_message;
                s.first_frequency_hz = f.frequency_hz;
                // The limits count uplinks; OOB frames are protocol traffic (radio.md 5.3:
                // 4 of the 144 are reserved for it).
                if (!f.oob) {
                    int& sent = uplinks_on_day[{f.device_id, f.first_frame_end_us / day_us}];
                    if (sent >= options.uplinks_per_day) {
                        s.rec.over_limit = true;
                        ++counters.over_limit;
                        over = true;
                    } else {
                        ++sent;
                    }
                }
                ++counters.messages;
                records.push_back(std::move(s));
            }
            record_state& s = records[index];
            if (f.repetition == 0) {
                s.first_frequency_hz = f.frequency_hz;
            }
            const auto rep = static_cast<std::size_t>(std::clamp(f.repetition, 0, 2));
            if (!s.repetitions[rep]) {
                s.repetitions[rep] = true;
                ++s.rec.frames_received;
            }
            auto at = std::find_if(s.heard_by.begin(), s.heard_by.end(),
                                   [&](const auto& h) { return h.first == station_index; });
            if (at == s.heard_by.end()) {
                s.heard_by.emplace_back(station_index, rx.rssi_dbm);
                s.rec.station_names.push_back(stations[station_index].name);
                s.rec.stations = static_cast<int>(s.heard_by.size());
            } else {
                at->second = std::max(at->second, rx.rssi_dbm);
            }
            if (rx.rssi_dbm >= s.rec.rssi_dbm || s.rec.best_station.empty()) {
                s.rec.rssi_dbm = std::max(s.rec.rssi_dbm, rx.rssi_dbm);
                s.rec.best_station = stations[station_index].name;
            }
            last_repetition = f.repetition + 1 >= s.frames_in_message;
        }
        std::weak_ptr<impl> weak = shared_from_this();
        const auto close_later = [weak, index] {
            if (const auto self = weak.lock()) {
                self->close(index);
            }
        };
        if (fresh) {
            if (over && w.logging()) {
                w.log("sigfox_over_limit", "sigfox",
                      {{"device_id", static_cast<std::int64_t>(f.device_id)},
                       {"seq", std::int64_t{f.sequence_number}},
                       {"limit", std::int64_t{options.uplinks_per_day}}});
            }
            // Closes the message even if its last repetition is lost.
            w.schedule_at(f.first_frame_end_us + options.close_after_us, close_later);
        }
        if (last_repetition) {
            // After every station's reception of this frame (one world event delivers them all).
            w.schedule_after(0, close_later);
        }
    }

    void close(std::size_t index) {
        sigfox_message_record copy;
        std::shared_ptr<const message_callback> cb;
        {
            std::lock_guard<std::mutex> lock(mutex);
            record_state& s = records[index];
            if (s.closed) {
                return;
            }
            s.closed = true;
            copy = s.rec;
            cb = callback;
        }
        if (w.logging()) {
            w.log("sigfox_message", "sigfox",
                  {{"device_id", static_cast<std::int64_t>(copy.device_id)},
                   {"seq", std::int64_t{copy.sequence_number}},
                   {"payload", hex_of(copy.payload)},
                   {"oob", copy.oob},
                   {"stations", std::int64_t{copy.stations}},
                   {"frames", std::int64_t{copy.frames_received}},
                   {"rssi_dbm", copy.rssi_dbm},
                   {"downlink_request", copy.downlink_requested},
                   {"over_limit", copy.over_limit}});
        }
        if (copy.over_limit) {
            return;  // not delivered
        }
        std::optional<std::vector<std::uint8_t>> answered;
        if (cb && *cb) {
            answered = (*cb)(copy);
        }
        if (copy.downlink_requested) {
            decide_downlink(index, std::move(answered));
        }
    }

    void decide_downlink(std::size_t index, std::optional<std::vector<std::uint8_t>> from_callback) {
        bool over = false;
        time_us at_us = 0;
        std::uint32_t device = 0;
        {
            std::lock_guard<std::mutex> lock(mutex);
            record_state& s = records[index];
            device = s.rec.device_id;
            auto& fifo = queued[device];
            std::optional<std::vector<std::uint8_t>> answer;
            const bool from_queue = !fifo.empty();
            if (from_queue) {
                answer = fifo.front();
            } else if (from_callback) {
                answer = std::move(from_callback);
            } else if (options.echo) {
                answer = std::vector<std::uint8_t>(s.rec.payload.begin(),
                                                   s.rec.payload.begin() +
                                                       static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                           s.rec.payload.size(), sigfox_downlink_bytes)));
            }
            if (!answer) {
                return;
            }
            answer->resize(sigfox_downlink_bytes, 0);
            int& sent = downlinks_on_day[{device, s.rec.first_frame_end_us / day_us}];
            if (sent >= options.downlinks_per_day) {
                s.rec.downlink_over_limit = true;
                ++counters.downlinks_over_limit;
                over = true;  // a queued downlink stays queued
            } else {
                ++sent;
                if (from_queue) {
                    fifo.pop_front();
                }
                s.rec.downlink_payload = *answer;
                at_us = s.rec.first_frame_end_us + sigfox_downlink_wait_us + options.downlink_delay_us;
            }
        }
        if (over) {
            if (w.logging()) {
                w.log("sigfox_downlink_over_limit", "sigfox",
                      {{"device_id", static_cast<std::int64_t>(device)},
                       {"limit", std::int64_t{options.downlinks_per_day}}});
            }
            return;
        }
        std::weak_ptr<impl> weak = shared_from_this();
        w.schedule_at(at_us, [weak, index] {
            if (const auto self = weak.lock()) {
                self->send_downlink(index);
            }
        });
    }

    void send_downlink(std::size_t index) {
        sigfox_frame f;
        std::optional<sigfox_medium::radio_id> from;
        {
            std::lock_guard<std::mutex> lock(mutex);
            record_state& s = records[index];
            auto ranked = s.heard_by;
            std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
            for (const auto& [st, rssi] : ranked) {
                (void)rssi;
                if (!medium.transmitting(stations[st].radio)) {
                    from = stations[st].radio;
                    s.rec.best_station = stations[st].name;
                    break;
                }
            }
            if (!from) {
                return;  // every station that heard it is busy sending
            }
            const sigfox_zone_params& p = zone_params(s.rec.zone);
            f.modulation = sigfox_modulation::downlink_gfsk;
            f.frequency_hz = s.first_frequency_hz + (p.downlink_hz - p.uplink_hz);
            f.bit_rate_bps = downlink_bps;
            f.tx_power_dbm = medium.model().station_tx_power_dbm;
            f.airtime_us = downlink_frame_us();
            f.device_id = s.rec.device_id;
            f.sequence_number = s.rec.sequence_number;
            f.zone = s.rec.zone;
            f.payload = s.rec.downlink_payload;
            s.rec.downlink_answered = true;
            ++counters.downlinks_sent;
        }
        medium.transmit(*from, std::move(f));
    }
};

sigfox_network::sigfox_network(sigfox_medium& medium, sigfox_network_options options)
    : impl_(std::make_shared<impl>(medium, options)) {}

sigfox_network::~sigfox_network() {
    std::vector<sigfox_medium::radio_id> radios;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (const auto& s : impl_->stations) {
            radios.push_back(s.radio);
        }
    }
    for (const auto r : radios) {
        impl_->medium.detach(r);
    }
}

const sigfox_network_options& sigfox_network::options() const noexcept { return impl_->options; }

void sigfox_network::set_echo(bool on) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->options.echo = on;
}

bool sigfox_network::echo() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->options.echo;
}

void sigfox_network::set_limits(int uplinks_per_day, int downlinks_per_day) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->options.uplinks_per_day = uplinks_per_day;
    impl_->options.downlinks_per_day = downlinks_per_day;
}

std::size_t sigfox_network::add_station(std::string name, position_m where) {
    std::size_t index = 0;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        index = impl_->stations.size();
    }
    std::weak_ptr<impl> weak = impl_;
    const auto radio = impl_->medium.attach(name, where, [weak, index](const sigfox_reception& rx) {
        if (const auto self = weak.lock()) {
            self->on_receive(index, rx);
        }
    });
    // Every zone's uplink macro channel, at its rate.
    std::vector<sigfox_band> bands;
    for (int code = 0; code <= 3; ++code) {
        const sigfox_zone_params& p = zone_params(static_cast<sigfox_zone>(code));
        sigfox_band b;
        b.modulation = sigfox_modulation::uplink_dbpsk;
        b.centre_hz = p.uplink_hz;
        b.width_hz = static_cast<double>(p.macro_channel_hz);
        b.bit_rate_bps = p.uplink_bps;
        b.sensitivity_dbm = p.uplink_bps <= 100 ? impl_->medium.model().station_sensitivity_100bps_dbm
                                                : impl_->medium.model().station_sensitivity_600bps_dbm;
        bands.push_back(b);
    }
    impl_->medium.listen(radio, std::move(bands));
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stations.push_back(station{std::move(name), radio});
    return index;
}

std::vector<std::string> sigfox_network::station_names() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<std::string> out;
    for (const auto& s : impl_->stations) {
        out.push_back(s.name);
    }
    return out;
}

std::vector<sigfox_message_record> sigfox_network::messages() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<sigfox_message_record> out;
    for (const auto& s : impl_->records) {
        out.push_back(s.rec);
    }
    return out;
}

void sigfox_network::queue_downlink(std::uint32_t sigfox_id, std::vector<std::uint8_t> payload) {
    if (payload.size() != sigfox_downlink_bytes) {
        throw std::invalid_argument("a Sigfox downlink has exactly 8 bytes");
    }
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->queued[sigfox_id].push_back(std::move(payload));
}

std::size_t sigfox_network::pending_downlinks(std::uint32_t sigfox_id) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto it = impl_->queued.find(sigfox_id);
    return it == impl_->queued.end() ? 0 : it->second.size();
}

void sigfox_network::set_callback(message_callback callback) {
    auto next = callback ? std::make_shared<const message_callback>(std::move(callback)) : nullptr;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->callback.swap(next);  // the old one is released after the lock
}

sigfox_network_counters sigfox_network::counters() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->counters;
}

}  // namespace usocket::sim
