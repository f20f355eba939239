// sigfox_medium.cpp: Sigfox transmissions, who hears them, and the UNB collision rule.
//
// Each listening radio keeps the frames it hears (above the band's sensitivity) while they
// are on the air; a new frame is compared with each of them, and the verdict is read at the
// frame's end, when it is delivered or its loss logged. Lock order: medium, then world.
#include "usocket/sim/sigfox_medium.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#include "usocket/sim/power_units.hpp"

namespace usocket::sim {
namespace {

/// Thermal noise density at 290 K and a 6 dB receiver noise figure.
constexpr double thermal_noise_dbm_per_hz = -174.0;
constexpr double receiver_noise_figure_db = 6.0;

double noise_dbm(double width_hz) noexcept {
    return thermal_noise_dbm_per_hz + 10.0 * std::log10(std::max(width_hz, 1.0)) + receiver_noise_figure_db;
}

double signal_bandwidth_hz(const sigfox_frame& f) noexcept {
    switch (f.modulation) {
    case sigfox_modulation::uplink_dbpsk: return uplink_signal_bandwidth_hz(f.bit_rate_bps);
    case sigfox_modulation::downlink_gfsk: return downlink_signal_bandwidth_hz;
    case sigfox_modulation::fsk: return fsk_signal_bandwidth_hz;
    }
    return 0;
}

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

bool in_band(const sigfox_band& b, std::int64_t frequency_hz) noexcept {
    return std::abs(static_cast<double>(frequency_hz - b.centre_hz)) <= b.width_hz / 2;
}

/// One receiver's view of one frame.
struct attempt {
    sigfox_medium::radio_id receiver;
    double rssi_dbm;
    std::uint64_t listen_epoch;
    bool candidate;  // the receiver demodulates this kind of frame here
    std::optional<sigfox_loss> loss;
};

struct transmission {
    std::uint64_t id = 0;
    sigfox_medium::radio_id sender = 0;
    std::shared_ptr<const sigfox_frame> frame;
    double bandwidth_hz = 0;
    time_us start_us = 0;
    time_us end_us = 0;
    std::vector<attempt> attempts;
    std::function<void()> on_done;
};

struct heard {
    std::shared_ptr<transmission> tx;
    std::size_t index;
    attempt& at() const { return tx->attempts[index]; }
};

struct radio_state {
    std::string name;
    position_m where;
    sigfox_medium::receive_handler on_receive;
    std::vector<sigfox_band> bands;
    std::uint64_t listen_epoch = 0;
    bool attached = true;
    std::shared_ptr<transmission> own;
    std::vector<heard> in_air;
};

}  // namespace

const char* modulation_name(sigfox_modulation m) noexcept {
    switch (m) {
    case sigfox_modulation::uplink_dbpsk: return "uplink";
    case sigfox_modulation::downlink_gfsk: return "downlink";
    case sigfox_modulation::fsk: return "fsk";
    }
    return "unknown";
}

const char* loss_name(sigfox_loss loss) noexcept {
    switch (loss) {
    case sigfox_loss::collision: return "collision";
    case sigfox_loss::below_sensitivity: return "below_sensitivity";
    case sigfox_loss::deaf_while_transmitting: return "deaf_while_transmitting";
    case sigfox_loss::receiver_off: return "receiver_off";
    }
    return "unknown";
}

struct sigfox_medium::impl {
    impl(const lora_medium& p, sigfox_model m) : propagation(p), owner(p.owner()), model(m), rng(owner.random_u64()) {}

    const lora_medium& propagation;
    world& owner;
    const sigfox_model model;
    mutable std::mutex mutex;
    std::mt19937_64 rng;
    std::vector<radio_state> radios;
    std::vector<std::shared_ptr<transmission>> on_air;
    std::uint64_t last_frame = 0;
    sigfox_medium_counters counters;

    radio_state& radio(radio_id id) {
        if (id >= radios.size() || !radios[id].attached) {
            throw std::out_of_range("no such radio on this medium");
        }
        return radios[id];
    }

    double shadowing_db() {
        const double sigma = propagation.model().shadowing_sigma_db;
        return sigma > 0 ? std::normal_distribution<double>(0.0, sigma)(rng) : 0.0;
    }

    double rssi_at(const transmission& tx, const radio_state& r) const {
        return tx.frame->tx_power_dbm - propagation.path_loss_db(radios[tx.sender].where, r.where);
    }

    static bool overlap(const transmission& a, const transmission& b) noexcept {
        return std::abs(static_cast<double>(a.frame->frequency_hz - b.frame->frequency_hz)) <
               (a.bandwidth_hz + b.bandwidth_hz) / 2;
    }

    /// The stronger frame survives by the capture threshold; else both are lost. A frame
    /// keeps its first reason.
    void collide(attempt& fresh, attempt& old) const noexcept {
        const auto destroy = [](attempt& a) {
            if (!a.loss) {
                a.loss = sigfox_loss::collision;
            }
        };
        const double difference_db = fresh.rssi_dbm - old.rssi_dbm;
        if (std::abs(difference_db) < model.capture_threshold_db) {
            destroy(fresh);
            destroy(old);
        } else if (difference_db < 0) {
            destroy(fresh);
        } else {
            destroy(old);
        }
    }

    void finish(const std::shared_ptr<transmission>& tx);
};

sigfox_medium::sigfox_medium(const lora_medium& propagation, sigfox_model model)
    : impl_(std::make_shared<impl>(propagation, model)) {}

sigfox_medium::~sigfox_medium() = default;

const sigfox_model& sigfox_medium::model() const noexcept { return impl_->model; }
world& sigfox_medium::owner() const noexcept { return impl_->owner; }

sigfox_medium::radio_id sigfox_medium::attach(std::string name, position_m where, receive_handler on_receive) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    radio_state r;
    r.name = std::move(name);
    r.where = where;
    r.on_receive = std::move(on_receive);
    impl_->radios.push_back(std::move(r));
    return static_cast<radio_id>(impl_->radios.size() - 1);
}

void sigfox_medium::detach(radio_id radio) {
    receive_handler dropped;  // destroyed after the lock: it may own what calls back in
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (radio >= impl_->radios.size() || !impl_->radios[radio].attached) {
        return;
    }
    radio_state& r = impl_->radios[radio];
    r.attached = false;
    r.bands.clear();
    ++r.listen_epoch;
    r.in_air.clear();
    dropped = std::move(r.on_receive);
}

void sigfox_medium::move(radio_id radio, position_m where) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->radio(radio).where = where;
}

void sigfox_medium::listen(radio_id radio, std::vector<sigfox_band> bands) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    radio_state& r = impl_->radio(radio);
    r.bands = std::move(bands);
    ++r.listen_epoch;  // what was being received under the old bands is lost
    r.in_air.clear();
}

std::uint64_t sigfox_medium::transmit(radio_id radio, sigfox_frame frame, std::function<void()> on_done) {
    world& w = impl_->owner;
    const time_us now = w.now_us();
    auto tx = std::make_shared<transmission>();
    tx->sender = radio;
    tx->bandwidth_hz = signal_bandwidth_hz(frame);
    tx->start_us = now;
    tx->end_us = now + std::max<time_us>(frame.airtime_us, 1);
    tx->frame = std::make_shared<const sigfox_frame>(std::move(frame));
    tx->on_done = std::move(on_done);
    std::string sender_name;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& m = *impl_;
        radio_state& self = m.radio(radio);
        if (self.own) {
            throw std::logic_error("a radio sends one frame at a time");
        }
        sender_name = self.name;
        tx->id = ++m.last_frame;
        ++m.counters.transmissions;
        // Half duplex: what this radio was receiving is lost.
        for (auto& h : self.in_air) {
            if (h.at().candidate && !h.at().loss) {
                h.at().loss = sigfox_loss::deaf_while_transmitting;
            }
        }
        self.own = tx;
        const sigfox_frame& f = *tx->frame;
        for (radio_id id = 0; id < m.radios.size(); ++id) {
            radio_state& r = m.radios[id];
            if (id == radio || !r.attached || r.bands.empty()) {
                continue;
            }
            // The band that demodulates this frame, else any band it falls in (interference).
            const sigfox_band* demodulates = nullptr;
            const sigfox_band* falls_in = nullptr;
            for (const auto& b : r.bands) {
                if (!in_band(b, f.frequency_hz)) {
                    continue;
                }
                falls_in = falls_in ? falls_in : &b;
                if (b.modulation == f.modulation && (b.bit_rate_bps == 0 || b.bit_rate_bps == f.bit_rate_bps)) {
                    demodulates = &b;
                    break;
                }
            }
            const sigfox_band* band = demodulates ? demodulates : falls_in;
            if (band == nullptr) {
                continue;  // another part of the spectrum
            }
            const double rssi = m.rssi_at(*tx, r) - m.shadowing_db();
            attempt a{id, rssi, r.listen_epoch, demodulates != nullptr, std::nullopt};
            if (rssi < band->sensitivity_dbm) {
                // Too weak to hear, and too weak to disturb anything (as LoRaSim's rule 1).
                if (a.candidate) {
                    a.loss = sigfox_loss::below_sensitivity;
                    tx->attempts.push_back(a);
                }
                continue;
            }
            if (a.candidate && r.own) {
                a.loss = sigfox_loss::deaf_while_transmitting;
            }
            tx->attempts.push_back(a);
            const std::size_t index = tx->attempts.size() - 1;
            auto& here = r.in_air;
            here.erase(std::remove_if(here.begin(), here.end(), [&](const heard& h) { return h.tx->end_us <= now; }),
                       here.end());
            for (auto& h : here) {
                if (impl::overlap(*tx, *h.tx)) {
                    m.collide(tx->attempts[index], h.at());
                }
            }
            here.push_back(heard{tx, index});
        }
        m.on_air.push_back(tx);
    }
    if (w.logging()) {
        const sigfox_frame& f = *tx->frame;
        w.log("sigfox_tx", sender_name,
              {{"frame", static_cast<std::int64_t>(tx->id)},
               {"kind", std::string(modulation_name(f.modulation))},
               {"frequency_hz", f.frequency_hz},
               {"bit_rate_bps", std::int64_t{f.bit_rate_bps}},
               {"tx_power_dbm", f.tx_power_dbm},
               {"airtime_us", tx->end_us - tx->start_us},
               {"device_id", static_cast<std::int64_t>(f.device_id)},
               {"seq", std::int64_t{f.sequence_number}},
               {"repetition", std::int64_t{f.repetition}},
               {"oob", f.oob},
               {"downlink_request", f.downlink_request},
               {"size", static_cast<std::int64_t>(f.payload.size())},
               {"payload", hex_of(f.payload)}});
    }
    std::weak_ptr<impl> weak = impl_;
    w.schedule_at(tx->end_us, [weak, tx] {
        if (const auto m = weak.lock()) {
            m->finish(tx);
        }
    });
    return tx->id;
}

void sigfox_medium::impl::finish(const std::shared_ptr<transmission>& tx) {
    std::vector<std::pair<receive_handler, sigfox_reception>> deliveries;
    std::vector<std::pair<std::string, log_fields>> logs;
    std::vector<std::string> events;
    std::function<void()> done;
    const bool logging = owner.logging();
    {
        std::lock_guard<std::mutex> lock(mutex);
        on_air.erase(std::remove(on_air.begin(), on_air.end(), tx), on_air.end());
        radio_state& sender = radios[tx->sender];
        if (sender.own == tx) {
            sender.own.reset();
        }
        for (auto& a : tx->attempts) {
            radio_state& r = radios[a.receiver];
            auto& here = r.in_air;
            here.erase(std::remove_if(here.begin(), here.end(), [&](const heard& h) { return h.tx == tx; }), here.end());
            if (!a.candidate) {
                continue;
            }
            if (!a.loss && (!r.attached || r.listen_epoch != a.listen_epoch)) {
                a.loss = sigfox_loss::receiver_off;
            }
            if (a.loss) {
                if (*a.loss == sigfox_loss::collision) {
                    ++counters.collisions;
                } else if (*a.loss == sigfox_loss::below_sensitivity) {
                    ++counters.below_sensitivity;
                } else {
                    ++counters.other_losses;
                }
                if (logging) {
                    events.emplace_back("sigfox_lost");
                    logs.emplace_back(r.name, log_fields{{"frame", static_cast<std::int64_t>(tx->id)},
                                                         {"from", sender.name},
                                                         {"reason", std::string(loss_name(*a.loss))},
                                                         {"rssi_dbm", a.rssi_dbm}});
                }
                continue;
            }
            ++counters.receptions;
            sigfox_reception rx{tx->id, sender.name, a.rssi_dbm, tx->start_us, tx->end_us, tx->frame};
            if (logging) {
                events.emplace_back("sigfox_rx");
                logs.emplace_back(r.name, log_fields{{"frame", static_cast<std::int64_t>(tx->id)},
                                                     {"from", sender.name},
                                                     {"rssi_dbm", a.rssi_dbm}});
            }
            deliveries.emplace_back(r.on_receive, std::move(rx));
        }
        done = std::move(tx->on_done);
    }
    for (std::size_t i = 0; i < logs.size(); ++i) {
        owner.log(events[i], logs[i].first, logs[i].second);
    }
    for (auto& [handler, rx] : deliveries) {
        if (handler) {
            handler(rx);
        }
    }
    if (done) {
        done();
    }
}

bool sigfox_medium::transmitting(radio_id radio) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return radio < impl_->radios.size() && impl_->radios[radio].own != nullptr;
}

double sigfox_medium::channel_rssi_dbm(radio_id radio, std::int64_t centre_hz, double width_hz) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const radio_state& r = impl_->radio(radio);
    double mw = dbm_to_mw(noise_dbm(width_hz));
    for (const auto& tx : impl_->on_air) {
        if (tx->sender != radio && std::abs(static_cast<double>(tx->frame->frequency_hz - centre_hz)) <= width_hz / 2) {
            mw += dbm_to_mw(impl_->rssi_at(*tx, r));
        }
    }
    return mw_to_dbm(mw);
}

sigfox_channel_snapshot sigfox_medium::channel_uses(radio_id radio, std::int64_t centre_hz, double width_hz) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const radio_state& r = impl_->radio(radio);
    sigfox_channel_snapshot out;
    out.noise_dbm = noise_dbm(width_hz);
    for (const auto& tx : impl_->on_air) {  // the order of transmit(): deterministic
        if (tx->sender != radio && std::abs(static_cast<double>(tx->frame->frequency_hz - centre_hz)) <= width_hz / 2) {
            out.uses.push_back(sigfox_channel_use{tx->id, tx->start_us, tx->end_us, impl_->rssi_at(*tx, r)});
        }
    }
    return out;
}

double sigfox_medium::path_loss_db(position_m a, position_m b) const { return impl_->propagation.path_loss_db(a, b); }

sigfox_medium_counters sigfox_medium::counters() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->counters;
}

}  // namespace usocket::sim
