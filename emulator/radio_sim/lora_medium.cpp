// lora_medium.cpp: transmissions, who hears them, and who survives the overlaps.
//
// Each radio that listens keeps the frames it hears (above its sensitivity) while they are
// on the air. A new frame is compared with each of them by LoRaSim's rules (radio.md 4.2);
// the verdict is read at the frame's end, when the frame is delivered or its loss logged.
#include "usocket/sim/lora_medium.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "usocket/sim/power_units.hpp"

namespace usocket::sim {
namespace {

/// Goursaud & Gorce (2015) co-channel rejection in dB, rows: wanted SF7..SF12, columns:
/// interfering SF7..SF12. The wanted frame survives when its power exceeds the
/// interferer's by at least this (the same-SF diagonal is the capture threshold, used
/// from lora_model instead). As in the ns-3 lorawan module (LoraInterferenceHelper).
constexpr double inter_sf_rejection_db[6][6] = {
    {6, -16, -18, -19, -19, -20}, {-24, 6, -20, -22, -22, -22}, {-27, -27, 6, -23, -25, -25},
    {-30, -30, -30, 6, -26, -28}, {-33, -33, -33, -33, 6, -29}, {-36, -36, -36, -36, -36, 6},
};

int sf_row(int sf) noexcept { return std::clamp(sf, 7, 12) - 7; }

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

bool same_listen(const lora_listen_settings& a, const lora_listen_settings& b) noexcept {
    return a.frequency_hz == b.frequency_hz && a.spreading_factor == b.spreading_factor &&
           a.bandwidth_hz == b.bandwidth_hz && a.iq_inverted == b.iq_inverted && a.sync_word == b.sync_word;
}

}  // namespace

const char* loss_name(lora_loss loss) noexcept {
    switch (loss) {
    case lora_loss::collision: return "collision";
    case lora_loss::below_sensitivity: return "below_sensitivity";
    case lora_loss::wrong_iq: return "wrong_iq";
    case lora_loss::wrong_sync_word: return "wrong_sync_word";
    case lora_loss::deaf_while_transmitting: return "deaf_while_transmitting";
    case lora_loss::receiver_off: return "receiver_off";
    }
    return "unknown";
}

namespace {

/// One radio's view of one frame.
struct attempt {
    lora_medium::radio_id receiver;
    double rssi_dbm;
    std::uint64_t listen_epoch;  // the receiver's listen settings when the frame began
    bool candidate;              // the receiver listens for exactly this kind of frame (frequency, SF, BW)
    std::optional<lora_loss> loss;
};

struct transmission {
    std::uint64_t id = 0;
    lora_medium::radio_id sender = 0;
    std::int64_t frequency_hz = 0;
    lora_modulation modulation;
    bool iq_inverted = false;
    std::uint8_t sync_word = 0;
    double tx_power_dbm = 0;
    std::shared_ptr<const std::vector<std::uint8_t>> payload;
    time_us start_us = 0;
    time_us end_us = 0;
    std::vector<attempt> attempts;
    std::function<void()> on_done;
};

struct heard {
    std::shared_ptr<transmission> tx;
    std::size_t attempt_index;
    attempt& at() const { return tx->attempts[attempt_index]; }
};

struct radio_state {
    std::string name;
    position_m where;
    lora_medium::receive_handler on_receive;
    std::optional<lora_listen_settings> listening;
    std::uint64_t listen_epoch = 0;
    bool attached = true;
    std::shared_ptr<transmission> own;  // on the air now
    std::vector<heard> in_air;          // frames above sensitivity here, while they last
};

struct sensing {
    lora_medium::radio_id radio;
    std::int64_t frequency_hz;
    std::int64_t bandwidth_hz;
    double max_rssi_dbm;
};

}  // namespace

struct lora_medium::impl {
    impl(world& w, lora_model m) : owner(w), model(m), rng(w.random_u64()) {}

    world& owner;
    const lora_model model;
    mutable std::mutex mutex;
    std::mt19937_64 rng;
    std::vector<radio_state> radios;
    std::vector<radio_id> listeners;  // attached radios with listen settings
    std::vector<std::shared_ptr<transmission>> on_air;
    std::unordered_map<sense_id, sensing> sensors;
    sense_id last_sense = 0;
    std::uint64_t last_frame = 0;
    lora_medium_counters counters;
    std::shared_ptr<const frame_observer> observer;  // copied under the lock, called outside it

    radio_state& radio(radio_id id) {
        if (id >= radios.size() || !radios[id].attached) {
            throw std::out_of_range("no such radio on this medium");
        }
        return radios[id];
    }

    double path_loss_db(position_m a, position_m b) const noexcept {
        const double d = std::max(std::sqrt((a.x_m - b.x_m) * (a.x_m - b.x_m) + (a.y_m - b.y_m) * (a.y_m - b.y_m) +
                                            (a.z_m - b.z_m) * (a.z_m - b.z_m)),
                                  model.minimum_distance_m);
        return model.reference_path_loss_db + 10.0 * model.path_loss_exponent * std::log10(d / model.reference_distance_m);
    }

    double overlap_hz(std::int64_t bw_a, std::int64_t bw_b) const noexcept {
        const std::int64_t bw = std::max(bw_a, bw_b);
        if (bw >= 500000) {
            return model.channel_overlap_500khz_hz;
        }
        return bw >= 250000 ? model.channel_overlap_250khz_hz : model.channel_overlap_125khz_hz;
    }

    bool channels_overlap(std::int64_t f_a, std::int64_t bw_a, std::int64_t f_b, std::int64_t bw_b) const noexcept {
        return static_cast<double>(std::llabs(f_a - f_b)) <= overlap_hz(bw_a, bw_b);
    }

    double rssi_at(const transmission& tx, const radio_state& r) const noexcept {
        return tx.tx_power_dbm - path_loss_db(radios[tx.sender].where, r.where);
    }

    double channel_rssi_locked(radio_id id, std::int64_t frequency_hz, std::int64_t bandwidth_hz) const {
        const radio_state& r = radios[id];
        double mw = dbm_to_mw(noise_floor_dbm(bandwidth_hz));
        for (const auto& tx : on_air) {
            if (tx->sender != id &&
                channels_overlap(tx->frequency_hz, tx->modulation.bandwidth_hz, frequency_hz, bandwidth_hz)) {
                mw += dbm_to_mw(rssi_at(*tx, r));
            }
        }
        return mw_to_dbm(mw);
    }

    double shadowing_db() {
        return model.shadowing_sigma_db > 0 ? std::normal_distribution<double>(0.0, model.shadowing_sigma_db)(rng)
                                            : 0.0;
    }

    void set_listening(radio_id id, std::optional<lora_listen_settings> settings, time_us now) {
        radio_state& r = radios[id];
        const bool was = r.listening.has_value();
        if (was && settings && same_listen(*r.listening, *settings)) {
            return;
        }
        r.listening = settings;
        ++r.listen_epoch;
        r.in_air.clear();
        if (was && !settings) {
            listeners.erase(std::remove(listeners.begin(), listeners.end(), id), listeners.end());
        } else if (!was && settings) {
            listeners.push_back(id);
        }
        if (settings) {
            hear_what_is_on_air(id, *settings, now);
        }
    }

    /// A radio that starts listening (or tunes elsewhere) cannot receive the frames already
    /// on the air, but they still disturb the frames it can receive: it keeps them as
    /// interferers, as if it had heard them begin.
    void hear_what_is_on_air(radio_id id, const lora_listen_settings& l, time_us now) {
        radio_state& r = radios[id];
        for (const auto& tx : on_air) {
            if (tx->sender == id || tx->end_us <= now ||
                !channels_overlap(l.frequency_hz, l.bandwidth_hz, tx->frequency_hz, tx->modulation.bandwidth_hz)) {
                continue;
            }
            const double sensitivity = sensitivity_dbm(tx->modulation.spreading_factor, tx->modulation.bandwidth_hz);
            const auto seen = std::find_if(tx->attempts.begin(), tx->attempts.end(),
                                           [id](const attempt& a) { return a.receiver == id; });
            std::size_t index = static_cast<std::size_t>(seen - tx->attempts.begin());
            if (seen == tx->attempts.end()) {
                const double rssi = rssi_at(*tx, r) - shadowing_db();
                if (rssi < sensitivity) {
                    continue;
                }
                tx->attempts.push_back(attempt{id, rssi, r.listen_epoch, false, std::nullopt});
            } else if (seen->rssi_dbm < sensitivity) {
                continue;
            }
            r.in_air.push_back(heard{tx, index});
        }
    }

    /// Marks a frame destroyed, unless it was already lost: a frame keeps its first reason
    /// (a frame of the wrong IQ polarity that also overlaps another stays "wrong_iq").
    static void destroy(attempt& a) noexcept {
        if (!a.loss) {
            a.loss = lora_loss::collision;
        }
    }

    /// LoRaSim's verdict on a new frame (`fresh`) meeting one already on the air here.
    void collide(attempt& fresh, const transmission& fresh_tx, attempt& old, const transmission& old_tx) const {
        const int sf_new = fresh_tx.modulation.spreading_factor;
        const int sf_old = old_tx.modulation.spreading_factor;
        if (sf_new != sf_old) {
            if (!model.inter_sf_interference) {
                return;  // orthogonal
            }
            if (fresh.rssi_dbm - old.rssi_dbm < inter_sf_rejection_db[sf_row(sf_new)][sf_row(sf_old)]) {
                destroy(fresh);
            }
            if (old.rssi_dbm - fresh.rssi_dbm < inter_sf_rejection_db[sf_row(sf_old)][sf_row(sf_new)]) {
                destroy(old);
            }
            return;
        }
        if (!model.capture) {
            destroy(fresh);
            destroy(old);
            return;
        }
        // The new frame locks on its preamble if the old one is gone within the grace symbols.
        const time_us grace_us = model.preamble_lock_grace_symbols *
                                 symbol_time_us(sf_new, fresh_tx.modulation.bandwidth_hz);
        if (old_tx.end_us <= fresh_tx.start_us + grace_us) {
            return;
        }
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

lora_medium::lora_medium(world& w, lora_model model) : impl_(std::make_shared<impl>(w, model)) {}

lora_medium::~lora_medium() = default;

const lora_model& lora_medium::model() const noexcept { return impl_->model; }
world& lora_medium::owner() const noexcept { return impl_->owner; }

lora_medium::radio_id lora_medium::attach(std::string name, position_m where, receive_handler on_receive) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    radio_state r;
    r.name = std::move(name);
    r.where = where;
    r.on_receive = std::move(on_receive);
    impl_->radios.push_back(std::move(r));
    return static_cast<radio_id>(impl_->radios.size() - 1);
}

void lora_medium::detach(radio_id radio) {
    receive_handler dropped;  // destroyed after the lock: it may own what calls back in
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (radio >= impl_->radios.size() || !impl_->radios[radio].attached) {
        return;
    }
    impl_->set_listening(radio, std::nullopt, 0);
    radio_state& r = impl_->radios[radio];
    r.attached = false;
    dropped = std::move(r.on_receive);
    for (auto it = impl_->sensors.begin(); it != impl_->sensors.end();) {
        it = it->second.radio == radio ? impl_->sensors.erase(it) : std::next(it);
    }
}

void lora_medium::move(radio_id radio, position_m where) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->radio(radio).where = where;
}

void lora_medium::listen(radio_id radio, std::optional<lora_listen_settings> settings) {
    const time_us now = impl_->owner.now_us();
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->radio(radio);
    impl_->set_listening(radio, settings, now);
}

std::uint64_t lora_medium::transmit(radio_id radio, lora_frame frame, std::function<void()> on_done) {
    world& w = impl_->owner;
    const time_us now = w.now_us();
    auto tx = std::make_shared<transmission>();
    tx->sender = radio;
    tx->frequency_hz = frame.frequency_hz;
    tx->modulation = frame.modulation;
    tx->iq_inverted = frame.iq_inverted;
    tx->sync_word = frame.sync_word;
    tx->tx_power_dbm = frame.tx_power_dbm;
    tx->start_us = now;
    tx->end_us = now + time_on_air_us(frame.modulation, frame.payload.size());
    tx->payload = std::make_shared<const std::vector<std::uint8_t>>(std::move(frame.payload));
    tx->on_done = std::move(on_done);
    const bool logging = w.logging();
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
        // Half duplex: what this radio was receiving is lost. The frames stay in in_air: they
        // still disturb what it hears after its own frame has ended.
        for (auto& h : self.in_air) {
            if (h.at().candidate && !h.at().loss) {
                h.at().loss = lora_loss::deaf_while_transmitting;
            }
        }
        self.own = tx;
        const lora_modulation& mod = tx->modulation;
        for (const radio_id id : m.listeners) {
            if (id == radio) {
                continue;
            }
            radio_state& r = m.radios[id];
            const lora_listen_settings& l = *r.listening;
            const double rssi = m.rssi_at(*tx, r) - m.shadowing_db();
            const bool same_kind = l.frequency_hz == tx->frequency_hz && l.spreading_factor == mod.spreading_factor &&
                                   l.bandwidth_hz == mod.bandwidth_hz;
            attempt a{id, rssi, r.listen_epoch, same_kind, std::nullopt};
            if (rssi < sensitivity_dbm(mod.spreading_factor, mod.bandwidth_hz)) {
                // Too weak to hear, and (LoRaSim rule 1) too weak to disturb anything.
                if (same_kind) {
                    a.loss = lora_loss::below_sensitivity;
                    tx->attempts.push_back(a);
                }
                continue;
            }
            if (!m.channels_overlap(l.frequency_hz, l.bandwidth_hz, tx->frequency_hz, mod.bandwidth_hz)) {
                continue;  // another channel: nothing to hear, nothing to disturb
            }
            if (same_kind) {
                if (r.own) {
                    a.loss = lora_loss::deaf_while_transmitting;
                } else if (l.iq_inverted != tx->iq_inverted) {
                    a.loss = lora_loss::wrong_iq;
                } else if (l.sync_word != tx->sync_word) {
                    a.loss = lora_loss::wrong_sync_word;
                }
            }
            // A transmitting receiver has lost this frame already (deaf_while_transmitting), but
            // keeps it as an interferer for what comes after its own frame.
            tx->attempts.push_back(a);
            const std::size_t index = tx->attempts.size() - 1;
            auto& here = r.in_air;
            here.erase(std::remove_if(here.begin(), here.end(), [&](const heard& h) { return h.tx->end_us <= now; }),
                       here.end());
            for (auto& h : here) {
                if (m.channels_overlap(h.tx->frequency_hz, h.tx->modulation.bandwidth_hz, tx->frequency_hz,
                                       mod.bandwidth_hz)) {
                    m.collide(tx->attempts[index], *tx, h.at(), *h.tx);
                }
            }
            here.push_back(heard{tx, index});
        }
        m.on_air.push_back(tx);
        for (auto& [id, s] : m.sensors) {
            s.max_rssi_dbm = std::max(s.max_rssi_dbm, m.channel_rssi_locked(s.radio, s.frequency_hz, s.bandwidth_hz));
        }
    }
    if (logging) {
        w.log("lora_tx", sender_name,
              {{"frame", static_cast<std::int64_t>(tx->id)},
               {"frequency_hz", tx->frequency_hz},
               {"sf", std::int64_t{tx->modulation.spreading_factor}},
               {"bandwidth_hz", tx->modulation.bandwidth_hz},
               {"coding_rate", std::int64_t{tx->modulation.coding_rate}},
               {"iq_inverted", tx->iq_inverted},
               {"sync_word", std::int64_t{tx->sync_word}},
               {"tx_power_dbm", tx->tx_power_dbm},
               {"airtime_us", tx->end_us - tx->start_us},
               {"size", static_cast<std::int64_t>(tx->payload->size())},
               {"payload", hex_of(*tx->payload)}});
    }
    std::weak_ptr<impl> weak = impl_;
    w.schedule_at(tx->end_us, [weak, tx] {
        if (const auto m = weak.lock()) {
            m->finish(tx);
        }
    });
    return tx->id;
}

void lora_medium::impl::finish(const std::shared_ptr<transmission>& tx) {
    std::vector<std::pair<receive_handler, lora_reception>> deliveries;
    std::vector<std::pair<std::string, log_fields>> logs;
    std::function<void()> on_done;
    std::shared_ptr<const frame_observer> watcher;
    std::optional<lora_observed_frame::reception_quality> best;
    std::string sender_name;
    const bool logging = owner.logging();
    {
        std::lock_guard<std::mutex> lock(mutex);
        watcher = observer;
        on_air.erase(std::remove(on_air.begin(), on_air.end(), tx), on_air.end());
        radio_state& sender = radios[tx->sender];
        if (sender.own == tx) {
            sender.own.reset();
        }
        if (watcher) {
            sender_name = sender.name;
        }
        for (auto& a : tx->attempts) {
            radio_state& r = radios[a.receiver];
            auto& here = r.in_air;
            here.erase(std::remove_if(here.begin(), here.end(), [&](const heard& h) { return h.tx == tx; }), here.end());
            if (!a.candidate) {
                continue;  // only an interferer here, whatever happened to it
            }
            if (!a.loss && (!r.attached || r.listen_epoch != a.listen_epoch)) {
                a.loss = lora_loss::receiver_off;
            }
            if (a.loss) {
                if (*a.loss == lora_loss::collision) {
                    ++counters.collisions;
                } else if (*a.loss == lora_loss::below_sensitivity) {
                    ++counters.below_sensitivity;
                } else {
                    ++counters.other_losses;
                }
                if (logging) {
                    logs.emplace_back(r.name, log_fields{{"event", std::string("lora_lost")},
                                                         {"frame", static_cast<std::int64_t>(tx->id)},
                                                         {"from", sender.name},
                                                         {"reason", std::string(loss_name(*a.loss))},
                                                         {"rssi_dbm", a.rssi_dbm}});
                }
                continue;
            }
            ++counters.receptions;
            lora_reception rx;
            rx.frame_id = tx->id;
            rx.sender = sender.name;
            rx.frequency_hz = tx->frequency_hz;
            rx.spreading_factor = tx->modulation.spreading_factor;
            rx.bandwidth_hz = tx->modulation.bandwidth_hz;
            rx.rssi_dbm = a.rssi_dbm;
            rx.snr_db = a.rssi_dbm - noise_floor_dbm(tx->modulation.bandwidth_hz);
            rx.start_us = tx->start_us;
            rx.end_us = tx->end_us;
            rx.payload = tx->payload;
            if (logging) {
                logs.emplace_back(r.name, log_fields{{"event", std::string("lora_rx")},
                                                     {"frame", static_cast<std::int64_t>(tx->id)},
                                                     {"from", sender.name},
                                                     {"rssi_dbm", rx.rssi_dbm},
                                                     {"snr_db", rx.snr_db}});
            }
            if (!best || rx.rssi_dbm > best->rssi_dbm) {
                best = lora_observed_frame::reception_quality{rx.rssi_dbm, rx.snr_db};
            }
            deliveries.emplace_back(r.on_receive, std::move(rx));
        }
        on_done = std::move(tx->on_done);
    }
    for (auto& [device, fields] : logs) {
        const std::string event = std::get<std::string>(fields.front().second);
        fields.erase(fields.begin());
        owner.log(event, device, fields);
    }
    if (watcher) {
        lora_observed_frame seen;
        seen.frame_id = tx->id;
        seen.sender = std::move(sender_name);
        seen.start_us = tx->start_us;
        seen.end_us = tx->end_us;
        seen.frequency_hz = tx->frequency_hz;
        seen.modulation = tx->modulation;
        seen.iq_inverted = tx->iq_inverted;
        seen.sync_word = tx->sync_word;
        seen.tx_power_dbm = tx->tx_power_dbm;
        seen.payload = tx->payload;
        seen.best_reception = best;
        (*watcher)(seen);
    }
    for (auto& [handler, rx] : deliveries) {
        if (handler) {
            handler(rx);
        }
    }
    if (on_done) {
        on_done();
    }
}

bool lora_medium::transmitting(radio_id radio) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return radio < impl_->radios.size() && impl_->radios[radio].own != nullptr;
}

bool lora_medium::receiving(radio_id radio) const {
    const time_us now = impl_->owner.now_us();
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (radio >= impl_->radios.size()) {
        return false;
    }
    const radio_state& r = impl_->radios[radio];
    if (!r.attached || !r.listening || r.own) {
        return false;
    }
    return std::any_of(r.in_air.begin(), r.in_air.end(), [&](const heard& h) {
        const attempt& a = h.at();
        return a.candidate && !a.loss && a.listen_epoch == r.listen_epoch && h.tx->end_us > now;
    });
}

double lora_medium::channel_rssi_dbm(radio_id radio, std::int64_t frequency_hz, std::int64_t bandwidth_hz) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->radio(radio);
    return impl_->channel_rssi_locked(radio, frequency_hz, bandwidth_hz);
}

lora_medium::sense_id lora_medium::start_sensing(radio_id radio, std::int64_t frequency_hz, std::int64_t bandwidth_hz) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->radio(radio);
    const sense_id id = ++impl_->last_sense;
    impl_->sensors.emplace(id, sensing{radio, frequency_hz, bandwidth_hz,
                                       impl_->channel_rssi_locked(radio, frequency_hz, bandwidth_hz)});
    return id;
}

double lora_medium::stop_sensing(sense_id id) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto it = impl_->sensors.find(id);
    if (it == impl_->sensors.end()) {
        return noise_floor_dbm(125000);
    }
    const double seen = it->second.max_rssi_dbm;
    impl_->sensors.erase(it);
    return seen;
}

double lora_medium::path_loss_db(position_m a, position_m b) const noexcept { return impl_->path_loss_db(a, b); }

lora_medium_counters lora_medium::counters() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->counters;
}

void lora_medium::set_frame_observer(frame_observer observer) {
    auto next = observer ? std::make_shared<const frame_observer>(std::move(observer)) : nullptr;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->observer.swap(next);  // the old one is released after the lock
}

}  // namespace usocket::sim
