// lora_radio.cpp: the firmware's raw-mode LoRa task as world events.
//
// Lock order: radio, then medium, then world. Nothing here waits with the radio's lock
// held; the IRQ mailbox is posted to and the signal notified after it is released.
#include "usocket/sim/lora_radio.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <utility>

namespace usocket::sim {
namespace {

struct command {
    std::uint64_t seq;
    std::vector<std::uint8_t> payload;
};

struct received {
    std::vector<std::uint8_t> payload;
    std::size_t offset = 0;  // bytes already taken by a short recv(n)
    int port = 0;
};

lora_modulation modulation_of(const lora_radio_settings& s) {
    lora_modulation m;
    m.spreading_factor = s.spreading_factor;
    m.bandwidth_hz = s.bandwidth_hz;
    m.coding_rate = s.coding_rate;
    m.preamble_symbols = s.preamble_symbols;
    m.implicit_header = false;  // Pycom raw mode: explicit header, CRC on
    m.crc_on = true;
    return m;
}

lora_listen_settings listen_of(const lora_radio_settings& s) {
    return {s.frequency_hz, s.spreading_factor, s.bandwidth_hz, s.rx_iq,
            s.public_network ? public_sync_word : private_sync_word};
}

/// SX127x packet SNR: a register in quarter dB, which the firmware divides by 4 as integers.
double register_snr_db(double snr_db) {
    const long quarter_db = std::clamp(std::lround(snr_db * 4), -128L, 127L);
    return static_cast<double>(quarter_db / 4);
}

}  // namespace

struct lora_radio::impl : std::enable_shared_from_this<impl> {
    impl(lora_medium& m, std::string n, time_us origin)
        : medium(m), w(m.owner()), name(std::move(n)), clock_origin_us(origin), changed(w) {}

    lora_medium& medium;
    world& w;
    const std::string name;
    const time_us clock_origin_us;
    signal changed;  // queues or completion moved

    mutable std::mutex mutex;
    lora_medium::radio_id radio = 0;
    bool closed = false;
    lora_radio_settings settings;
    bool mac_mode = false;  // LoRaWAN: the MAC drives the air
    std::deque<command> commands;
    chip_share chip;  // LoPy4/FiPy: the SX1276 Sigfox shares (share_chip)
    bool in_flight = false;
    command current{};  // taken off the queue by the task: in listen-before-talk or on the air
    std::uint64_t last_seq = 0;
    std::uint64_t done_seq = 0;  // frames finish in order
    std::deque<received> inbox;
    int stale_port = 0;  // rx_data_isr.port: set by LoRaWAN downlinks only
    lora_radio_stats stats;
    int events = 0;
    int trigger = 0;
    std::shared_ptr<mailbox> irq_box;
    std::int64_t irq_token = 0;

    /// Runs after the lock is released: notify waiters, post the callback.
    struct after_unlock {
        bool notify = false;
        std::shared_ptr<mailbox> box;
        std::int64_t token = 0;
    };

    void raise_event_locked(int event, after_unlock& after) {
        events |= event;
        if ((trigger & event) != 0 && irq_box) {
            after.box = irq_box;
            after.token = irq_token;
        }
    }

    void run(after_unlock& after) {
        if (after.notify) {
            changed.notify_all();
        }
        if (after.box) {
            (void)after.box->post(after.token);  // a full IRQ queue drops it, as on the device
        }
    }

    void apply_listening_locked() {
        if (closed) {
            return;
        }
        if (settings.power_mode == lora_power_mode::always_on && !mac_mode) {
            medium.listen(radio, listen_of(settings));
        } else {
            medium.listen(radio, std::nullopt);
        }
    }

    void start_next_locked() {
        if (in_flight || commands.empty() || closed) {
            release_chip_locked();
            return;
        }
        if (!chip_ours_locked()) {
            return;  // the grant starts it
        }
        in_flight = true;
        current = std::move(commands.front());
        commands.pop_front();
        begin_listen_before_talk_locked();
    }

    /// LoPy4/FiPy: a raw frame waits while Sigfox has the SX1276. The firmware takes no
    /// mutex for a raw send (modlora.c comments that take out), but one chip sends one frame
    /// at a time; pycom-api.md 4.10 lets the emulator serialise.
    bool chip_ours_locked() {
        const bool ours = chip.take_or_wait<impl>(weak_from_this(), [](impl& self) {
            std::lock_guard<std::mutex> lock(self.mutex);
            self.start_next_locked();  // lets go again if there is nothing to send now
        });
        if (!ours && w.logging()) {
            w.log("lora_radio_wait", name, {{"for", std::string("sigfox")}});
        }
        return ours;
    }

    void release_chip_locked() {
        if (!in_flight) {
            chip.release();
        }
    }

    void begin_listen_before_talk_locked() {
        const auto sense = medium.start_sensing(radio, settings.frequency_hz, settings.bandwidth_hz);
        std::weak_ptr<impl> weak = shared_from_this();
        w.schedule_after(lbt_sample_us, [weak, sense] {
            if (const auto self = weak.lock()) {
                self->end_listen_before_talk(sense);
            }
        });
    }

    void end_listen_before_talk(lora_medium::sense_id sense) {
        std::lock_guard<std::mutex> lock(mutex);
        transmit_or_retry_locked(sense);
    }

    void transmit_or_retry_locked(lora_medium::sense_id sense) {
        const double seen_dbm = medium.stop_sensing(sense);
        if (closed) {
            return;
        }
        if (seen_dbm > lbt_threshold_dbm) {
            std::weak_ptr<impl> weak = shared_from_this();
            w.schedule_after(lbt_retry_us, [weak] {
                if (const auto self = weak.lock()) {
                    std::lock_guard<std::mutex> relock(self->mutex);
                    if (!self->closed) {
                        self->begin_listen_before_talk_locked();
                    }
                }
            });
            return;
        }
        command cmd = std::move(current);
        lora_frame frame;
        frame.frequency_hz = settings.frequency_hz;
        frame.modulation = modulation_of(settings);
        frame.iq_inverted = settings.tx_iq;
        frame.sync_word = settings.public_network ? public_sync_word : private_sync_word;
        frame.tx_power_dbm = settings.tx_power_dbm;
        stats.tx_counter += 1;
        stats.tx_time_on_air_ms = firmware_airtime_ms(frame.modulation, cmd.payload.size());
        stats.tx_frequency_hz = settings.frequency_hz;
        stats.sf_tx = settings.spreading_factor;
        stats.tx_power_dbm = settings.tx_power_dbm;
        frame.payload = std::move(cmd.payload);
        std::weak_ptr<impl> weak = shared_from_this();
        medium.transmit(radio, std::move(frame), [weak, seq = cmd.seq] {
            if (const auto self = weak.lock()) {
                self->transmitted(seq);
            }
        });
    }

    void transmitted(std::uint64_t seq) {
        after_unlock after;
        {
            std::lock_guard<std::mutex> lock(mutex);
            done_seq = seq;
            in_flight = false;
            release_chip_locked();  // a waiting Sigfox message goes before the next frame
            after.notify = true;
            raise_event_locked(lora_event::tx_packet, after);
            if (!closed && !mac_mode) {
                // After TX-done the task always puts the radio back into continuous RX.
                medium.listen(radio, listen_of(settings));
            }
            start_next_locked();
        }
        run(after);
    }

    void on_receive(const lora_reception& rx) {
        deliver(*rx.payload, std::nullopt, {rx.end_us, rx.rssi_dbm, rx.snr_db, rx.spreading_factor},
                static_cast<std::int64_t>(rx.frame_id), true);
    }

    /// `port`: a LoRaWAN downlink's FPort; none: the firmware's rx_data_isr.port as the last
    /// downlink left it (raw frames and the compliance echo never set it).
    void deliver(std::vector<std::uint8_t> payload, std::optional<int> port, const received_info& info,
                 std::int64_t frame_id, bool rx_event) {
        after_unlock after;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (closed) {
                return;
            }
            if (port) {
                stale_port = *port;
            }
            // The radio measured the frame either way; only a queued frame is delivered and
            // sets RX_PACKET_EVENT (pycom-api.md 3.7).
            stats.rx_timestamp_us = info.end_us - clock_origin_us;
            stats.rssi_dbm = static_cast<int>(std::lround(info.rssi_dbm));
            stats.snr_db = register_snr_db(info.snr_db);
            stats.sf_rx = info.sf_or_dr;
            if (inbox.size() < receive_queue_depth) {
                inbox.push_back(received{std::move(payload), 0, stale_port});
                after.notify = true;
                if (rx_event) {
                    raise_event_locked(lora_event::rx_packet, after);
                }
            } else if (w.logging()) {
                w.log("lora_rx_dropped", name, {{"frame", frame_id}, {"reason", std::string("receive_queue_full")}});
            }
        }
        run(after);
    }
};

lora_radio::lora_radio(lora_medium& medium, std::string name, position_m where, time_us clock_origin_us)
    : impl_(std::make_shared<impl>(medium, std::move(name), clock_origin_us)) {
    std::weak_ptr<impl> weak = impl_;
    impl_->radio = medium.attach(impl_->name, where, [weak](const lora_reception& rx) {
        if (const auto self = weak.lock()) {
            self->on_receive(rx);
        }
    });
    impl_->stats.tx_power_dbm = impl_->settings.tx_power_dbm;
}

lora_radio::~lora_radio() { close(); }

void lora_radio::configure(const lora_radio_settings& settings) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->settings = settings;
    if (impl_->stats.tx_counter == 0) {
        impl_->stats.tx_power_dbm = settings.tx_power_dbm;
    }
    impl_->apply_listening_locked();
}

lora_radio_settings lora_radio::settings() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->settings;
}

void lora_radio::set_power_mode(lora_power_mode mode) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->settings.power_mode = mode;
    impl_->apply_listening_locked();
}

lora_power_mode lora_radio::power_mode() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->settings.power_mode;
}

void lora_radio::reset() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->apply_listening_locked();
}

void lora_radio::share_chip(std::shared_ptr<radio_mutex> chip) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->chip.share(std::move(chip));
}

void lora_radio::close() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->closed) {
            return;
        }
        impl_->closed = true;
        impl_->irq_box.reset();
        impl_->chip.release();
        impl_->medium.detach(impl_->radio);
    }
    impl_->changed.notify_all();
}

std::uint32_t lora_radio::airtime_ms(std::size_t payload_bytes) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return firmware_airtime_ms(modulation_of(impl_->settings), payload_bytes);
}

time_us lora_radio::airtime_us(std::size_t payload_bytes) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return time_on_air_us(modulation_of(impl_->settings), payload_bytes);
}

lora_radio_stats lora_radio::stats() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->stats;
}

int lora_radio::take_events() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return std::exchange(impl_->events, 0);
}

void lora_radio::set_callback(int trigger, std::shared_ptr<mailbox> box, std::int64_t token) {
    std::shared_ptr<mailbox> old;  // released after the lock
    std::lock_guard<std::mutex> lock(impl_->mutex);
    old = std::move(impl_->irq_box);
    impl_->trigger = box ? trigger : 0;
    impl_->irq_box = std::move(box);
    impl_->irq_token = token;
}

lora_radio::send_status lora_radio::send(std::vector<std::uint8_t> payload, std::optional<time_us> queue_wait_us,
                                         bool wait_sent) {
    impl& r = *impl_;
    std::optional<time_us> queue_deadline_us;
    if (queue_wait_us) {
        queue_deadline_us = r.w.now_us() + std::max<time_us>(*queue_wait_us, 0);
    }
    std::uint64_t seq = 0;
    for (;;) {
        const std::uint64_t seen = r.changed.generation();
        {
            std::lock_guard<std::mutex> lock(r.mutex);
            if (r.closed) {
                return send_status::halted;
            }
            if (r.commands.size() < command_queue_depth) {
                seq = ++r.last_seq;
                r.commands.push_back(command{seq, std::move(payload)});
                r.start_next_locked();
                break;
            }
        }
        const wait_status st = r.changed.wait(seen, queue_deadline_us);
        if (st == wait_status::halted) {
            return send_status::halted;
        }
        if (st == wait_status::timed_out) {
            return send_status::queue_full;
        }
    }
    if (!wait_sent) {
        return send_status::queued;
    }
    for (;;) {
        const std::uint64_t seen = r.changed.generation();
        {
            std::lock_guard<std::mutex> lock(r.mutex);
            if (r.done_seq >= seq) {
                return send_status::sent;
            }
            if (r.closed) {
                return send_status::halted;
            }
        }
        if (r.changed.wait(seen, std::nullopt) == wait_status::halted) {
            return send_status::halted;
        }
    }
}

wait_status lora_radio::receive(std::optional<time_us> wait_us, std::size_t max_bytes,
                                std::vector<std::uint8_t>& out, int& port) {
    impl& r = *impl_;
    std::optional<time_us> deadline_us;
    if (wait_us) {
        deadline_us = r.w.now_us() + std::max<time_us>(*wait_us, 0);
    }
    for (;;) {
        const std::uint64_t seen = r.changed.generation();
        {
            std::lock_guard<std::mutex> lock(r.mutex);
            if (!r.inbox.empty()) {
                received& front = r.inbox.front();
                const std::size_t n = std::min(max_bytes, front.payload.size() - front.offset);
                const auto first = front.payload.begin() + static_cast<std::ptrdiff_t>(front.offset);
                out.assign(first, first + static_cast<std::ptrdiff_t>(n));
                port = front.port;
                front.offset += n;
                if (front.offset >= front.payload.size()) {
                    r.inbox.pop_front();
                }
                return wait_status::ready;
            }
            if (r.closed) {
                return wait_status::halted;
            }
        }
        const wait_status st = r.changed.wait(seen, deadline_us);
        if (st != wait_status::ready) {
            return st;
        }
    }
}

void lora_radio::set_mac_mode(bool on) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->mac_mode = on;
    impl_->apply_listening_locked();
}

void lora_radio::deliver(std::vector<std::uint8_t> payload, int port, const received_info& info) {
    impl_->deliver(std::move(payload), port, info, 0, true);
}

void lora_radio::queue_echo(std::vector<std::uint8_t> payload, const received_info& info) {
    impl_->deliver(std::move(payload), std::nullopt, info, 0, false);
}

void lora_radio::flush_received() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->inbox.clear();
}

void lora_radio::record_uplink(const uplink_info& info) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    lora_radio_stats& s = impl_->stats;
    s.sf_tx = info.dr;
    s.tx_trials = info.trials;
    s.tx_power_dbm = info.tx_power_index;
    s.tx_time_on_air_ms = info.time_on_air_ms;
    s.tx_counter = info.fcnt_up;
    s.tx_frequency_hz = info.frequency_hz;
}

void lora_radio::raise_events(int events) {
    impl::after_unlock after;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->closed) {
            return;
        }
        impl_->raise_event_locked(events, after);
    }
    impl_->run(after);
}

std::size_t lora_radio::received_pending() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->inbox.size();
}

bool lora_radio::can_queue() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->commands.size() < command_queue_depth;
}

wait_status lora_radio::channel_free(double threshold_dbm, time_us duration_us, bool& free) {
    impl& r = *impl_;
    lora_medium::sense_id sense = 0;
    {
        std::lock_guard<std::mutex> lock(r.mutex);
        if (r.closed) {
            return wait_status::halted;
        }
        sense = r.medium.start_sensing(r.radio, r.settings.frequency_hz, r.settings.bandwidth_hz);
    }
    const wait_status st = r.w.sleep_for(std::max<time_us>(duration_us, 0));
    const double seen_dbm = r.medium.stop_sensing(sense);
    free = seen_dbm < threshold_dbm;
    return st;
}

}  // namespace usocket::sim
