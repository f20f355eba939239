// lorawan_mac.cpp: the device's LoRaWAN MAC as world events: activation, the uplink queue,
// each uplink's cycle (transmission, RX1, RX2, confirmed retries), downlinks.
//
// Lock order: MAC, then medium, then world. lora_radio and the waiters' signal are only
// called after the MAC's lock is released (after_unlock), as lora_radio.cpp does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "lorawan_mac_impl.hpp"

namespace usocket::sim {

using namespace mac_detail;

namespace {

const char* window_name(window_kind k) noexcept {
    switch (k) {
    case window_kind::rx1: return "rx1";
    case window_kind::rx2: return "rx2";
    case window_kind::none: break;
    }
    return "rx2_continuous";
}

std::int64_t i64(std::uint64_t v) noexcept { return static_cast<std::int64_t>(v); }

/// LinkCheckReq's CID (LoRaWAN 1.0.2 section 5.1).
constexpr std::uint8_t cid_link_check_req = 0x02;

}  // namespace

const char* send_status_name(lorawan_mac::send_status status) noexcept {
    switch (status) {
    case lorawan_mac::send_status::sent: return "sent";
    case lorawan_mac::send_status::queued: return "queued";
    case lorawan_mac::send_status::queue_full: return "queue_full";
    case lorawan_mac::send_status::not_joined: return "not_joined";
    case lorawan_mac::send_status::too_large: return "too_large";
    case lorawan_mac::send_status::failed: return "failed";
    case lorawan_mac::send_status::halted: return "halted";
    }
    return "unknown";
}

lorawan_mac::impl::impl(lora_medium& m, std::shared_ptr<lora_radio> s, std::string n, lorawan_mac_settings st)
    : medium(m),
      w(m.owner()),
      shared(std::move(s)),
      name(std::move(n)),
      settings(st),
      reg(::usocket::sim::region(st.region)),
      sync_word(st.public_network ? public_sync_word : private_sync_word),
      start_us(m.owner().now_us()),
      changed(m.owner()),
      adr_on(st.adr),
      duty_cycle_on(st.duty_cycle_enforced) {
    p.channels = initial_channels(reg);
    p.mask = initial_channel_mask(reg);
    reset_mac_locked();
}

void lorawan_mac::impl::log(std::string_view event, const log_fields& fields) const {
    if (w.logging()) {
        w.log(event, name, fields);
    }
}

void lorawan_mac::impl::run(after_unlock& after) {
    if (shared) {
        if (after.flush_received) {
            shared->flush_received();
        }
        for (auto& d : after.deliveries) {
            if (d.compliance_echo) {
                shared->queue_echo(std::move(d.payload), d.info);
            } else {
                shared->deliver(std::move(d.payload), d.port, d.info);
            }
        }
        if (after.uplink) {
            shared->record_uplink(*after.uplink);
        }
        if (after.events != 0) {
            shared->raise_events(after.events);  // after the deliveries: RX_PACKET first
        }
    }
    if (after.notify) {
        changed.notify_all();
    }
}

/// LoRaMac ResetMacParameters(): counters, answers, RX parameters, DR and power back to
/// the defaults; the defined channels stay, with the default ones enabled again.
void lorawan_mac::impl::reset_mac_locked() {
    session = lorawan_session{};
    srv_ack_requested = false;
    answers.clear();
    link_check.reset();
    p.dr = reg.default_socket_dr;
    p.tx_power_index = 0;
    p.nb_trans = 1;
    p.rx1_dr_offset = 0;
    p.rx2_dr = reg.rx2_dr;
    p.rx2_frequency_hz = reg.rx2_frequency_hz;
    p.rx1_delay_us = receive_delay1_us;
    p.max_duty_cycle = 0;
    p.uplink_dwell_time = reg.default_uplink_dwell_time;
    p.downlink_dwell_time = reg.default_downlink_dwell_time;
    const channel_mask defaults = initial_channel_mask(reg);
    for (std::size_t i = 0; i < p.mask.size(); ++i) {
        p.mask[i] = static_cast<std::uint16_t>(p.mask[i] | defaults[i]);
    }
    max_eirp_dbm = reg.max_eirp_dbm;
    aggregated_open_us = 0;
    for (auto& g : multicast_groups) {
        g.fcnt_down = 0;  // ResetMacParameters() resets the multicast counters too
    }
}

/// Ends the cycle in progress and every queued uplink with `why`.
void lorawan_mac::impl::abort_all_locked(lorawan_mac::send_status why, after_unlock& after) {
    if (cyc) {
        if (cyc->request) {
            cyc->request->result = why;
        }
        end_cycle_locked();
    }
    for (auto& r : queue) {
        r->result = why;
    }
    queue.clear();
    window.kind = window_kind::none;
    after.notify = true;
}

/// The radio listens for the open window; class C otherwise on RX2 once it has a session or
/// has sent (LoRaMac opens RX2 continuously after each TX-done); otherwise it sleeps.
void lorawan_mac::impl::apply_listen_locked() {
    if (closed) {
        return;
    }
    if (cyc && cyc->on_air) {
        medium.listen(radio, std::nullopt);
        return;
    }
    if (window.kind != window_kind::none) {
        medium.listen(radio, window.listen);
        return;
    }
    if (settings.device_class == lorawan_device_class::c && (session.joined || joining)) {
        const auto mod = lorawan_modulation(reg, p.rx2_dr, false);
        if (mod) {
            medium.listen(radio, lora_listen_settings{p.rx2_frequency_hz, mod->spreading_factor, mod->bandwidth_hz,
                                                      true, sync_word});
            return;
        }
    }
    medium.listen(radio, std::nullopt);
}

void lorawan_mac::impl::pump_locked(after_unlock& after) {
    if (closed || cyc) {
        return;
    }
    const bool join_next = joining && join_due;
    if (!join_next && !(session.joined && !queue.empty())) {
        chip.release();  // nothing to send: Sigfox may have the chip
        return;
    }
    if (!chip_ours_locked()) {
        return;  // the grant pumps again
    }
    if (join_next) {
        join_due = false;
        start_join_locked();
        transmit_locked(after);
        return;
    }
    if (session.joined && !queue.empty()) {
        start_data_locked(after);
    }
}

/// LoPy4/FiPy: a join's or an uplink's cycle holds the SX1276 from its first transmission
/// to its end (modlora.c takes xLoRaSigfoxSem before the MLME/MCPS request and gives it in
/// the confirm); while Sigfox has it, the cycle waits and the grant starts it.
bool lorawan_mac::impl::chip_ours_locked() {
    const bool ours = chip.take_or_wait<impl>(weak_from_this(), [](impl& self) {
        after_unlock after;
        {
            std::lock_guard<std::mutex> lock(self.mutex);
            if (self.closed) {
                self.chip.release();
                return;
            }
            self.pump_locked(after);  // lets go again if there is nothing to send now
        }
        self.run(after);
    });
    if (!ours) {
        log("lorawan_tx_wait", {{"reason", std::string("radio_shared")}});
    }
    return ours;
}

/// The cycle is over (its confirm): the chip is free for Sigfox until the next one.
void lorawan_mac::impl::end_cycle_locked() {
    cyc.reset();
    chip.release();
}

void lorawan_mac::impl::start_join_locked() {
    otaa_join& j = *joining;
    j.dev_nonce = static_cast<std::uint16_t>(w.random_u64() & 0xFFFF);
    cycle c;
    c.id = ++cycle_counter;
    c.kind = cycle_kind::join;
    c.phy = lw::encode_join_request(lw::join_request{j.app_eui, j.dev_eui, j.dev_nonce}, j.app_key);
    c.first_dr = c.dr = j.dr;
    c.trial = 1;
    cyc = std::move(c);
    // The next request goes join_retry_interval_us after this one (pycom-api.md 4.4).
    std::weak_ptr<impl> weak = shared_from_this();
    w.schedule_after(lorawan_mac::join_retry_interval_us, [weak, epoch = join_epoch] {
        if (const auto self = weak.lock()) {
            after_unlock after;
            {
                std::lock_guard<std::mutex> lock(self->mutex);
                if (self->closed || !self->joining || self->join_epoch != epoch) {
                    return;
                }
                self->join_due = true;
                self->pump_locked(after);
            }
            self->run(after);
        }
    });
}

void lorawan_mac::impl::start_data_locked(after_unlock& after) {
    request_ptr req = queue.front();
    queue.pop_front();
    after.notify = true;  // room in the queue
    cycle c;
    c.id = ++cycle_counter;
    c.kind = cycle_kind::data;
    c.request = req;
    bool adr_ack_req = false;
    int dr = req->socket_dr;
    if (adr_on) {
        const adr_backoff b = adr_next(reg, true, p.dr, p.tx_power_index, session.adr_ack_counter, p.uplink_dwell_time);
        p.dr = b.dr;
        p.tx_power_index = b.tx_power_index;
        adr_ack_req = b.adr_ack_req;
        if (b.reset_ack_counter) {
            session.adr_ack_counter = 0;
        }
        if (b.restore_default_channels) {
            const channel_mask defaults = initial_channel_mask(reg);
            for (std::size_t i = 0; i < p.mask.size(); ++i) {
                p.mask[i] = static_cast<std::uint16_t>(p.mask[i] | defaults[i]);
            }
        }
        dr = p.dr;
    }
    const std::optional<int> max_n = max_payload_n(reg, dr, p.uplink_dwell_time);
    const bool port_zero = req->fport == 0;
    const std::size_t fopts_size = port_zero ? 0 : fopts_size_locked(lw::max_fopts_size);
    const bool fits = !req->too_large && max_n && req->payload.size() + fopts_size <= static_cast<std::size_t>(*max_n);
    lw::data_frame f;
    f.dev_addr = session.dev_addr;
    f.fcnt = session.fcnt_up;
    f.fctrl.adr = adr_on;
    f.fctrl.adr_ack_req = adr_ack_req;
    f.fctrl.ack = srv_ack_requested;
    srv_ack_requested = false;
    if (fits) {
        c.confirmed = req->confirmed;
        if (!req->payload.empty() || port_zero) {
            f.fport = static_cast<std::uint8_t>(req->fport);
            f.frm_payload = req->payload;
        }
        if (!port_zero) {
            f.fopts = take_fopts_locked(lw::max_fopts_size);
        }
    } else {
        // pycom-api.md 3.4: the frame does not fit; an empty unconfirmed uplink without FPort
        // still flushes the MAC answers, and the send counts as EMSGSIZE.
        c.confirmed = false;
        c.empty_uplink = true;
        f.fopts = take_fopts_locked(lw::max_fopts_size);
    }
    f.type = lw::data_mtype(lw::direction::uplink, c.confirmed);
    c.phy = lw::encode_data_frame(f, session.keys);
    c.fcnt = session.fcnt_up;
    c.first_dr = c.dr = dr;
    c.trial = 1;
    const int retries = std::clamp(settings.tx_retries, 0, 255);
    c.max_trials = c.confirmed ? std::min(retries + 1, max_confirmed_transmissions) : std::max(1, p.nb_trans);
    ++session.adr_ack_counter;
    cyc = std::move(c);
    transmit_locked(after);
}

int lorawan_mac::impl::tx_power_dbm_locked(int index) const {
    // The SX127x's PA_BOOST pin gives at most +20 dBm (Semtech SX1276 datasheet; Pycom's
    // LoRa(tx_power=...) range is 2..20): the regions' higher EIRP (US915 30 dBm) is not
    // reached by a LoPy.
    constexpr int radio_max_tx_power_dbm = 20;
    const int wanted = static_cast<int>(std::floor(max_eirp_dbm - 2.0 * index - reg.antenna_gain_db));
    return std::min(wanted, radio_max_tx_power_dbm);
}

void lorawan_mac::impl::transmit_locked(after_unlock& after) {
    cycle& c = *cyc;
    const time_us now = w.now_us();
    if (c.kind == cycle_kind::data && c.confirmed) {
        c.dr = confirmed_transmission_dr(reg, c.first_dr, c.trial, p.uplink_dwell_time);
    }
    if (p.max_duty_cycle == 255) {
        fail_cycle_locked("device_off", after);  // DutyCycleReq 255: no more uplinks
        return;
    }
    // Channels that allow the DR; with the duty cycle enforced, those whose band is open.
    std::vector<int> candidates;
    time_us earliest = std::numeric_limits<time_us>::max();
    for (std::size_t i = 0; i < p.channels.size(); ++i) {
        const channel& ch = p.channels[i];
        if (ch.frequency_hz == 0 || !mask_has(p.mask, static_cast<int>(i)) || c.dr < ch.dr_min || c.dr > ch.dr_max) {
            continue;
        }
        if (duty_cycle_on) {
            if (const duty_band* band = duty_band_of(reg, ch.frequency_hz)) {
                const time_us open = band_open_us[static_cast<std::size_t>(band->group) % band_open_us.size()];
                if (open > now) {
                    earliest = std::min(earliest, open);
                    continue;
                }
            }
        }
        candidates.push_back(static_cast<int>(i));
    }
    if (candidates.empty() && earliest == std::numeric_limits<time_us>::max()) {
        fail_cycle_locked("no_channel", after);
        return;
    }
    time_us wait_until = candidates.empty() ? earliest : now;
    const char* reason = "band";
    if (aggregated_open_us > wait_until) {
        wait_until = aggregated_open_us;
        reason = "aggregated";
    }
    // A join or a restore that dropped the cycle while its frame is still on the air: the
    // SX127x finishes that frame before it sends the next (a fuzz_mac finding: the medium
    // refused the second frame).
    const bool radio_busy = radio_busy_until_us > std::max(wait_until, now);
    if (radio_busy) {
        wait_until = radio_busy_until_us;
    }
    if (wait_until > now) {
        if (radio_busy) {
            log("lorawan_tx_wait", {{"wait_us", wait_until - now}, {"reason", std::string("radio_busy")}});
        } else {
            log("lorawan_duty_cycle_wait", {{"wait_us", wait_until - now}, {"until_us", wait_until},
                                            {"reason", std::string(reason)}, {"dr", std::int64_t{c.dr}}});
        }
        std::weak_ptr<impl> weak = shared_from_this();
        w.schedule_at(wait_until, [weak, id = c.id, trial = c.trial] {
            if (const auto self = weak.lock()) {
                after_unlock later;
                {
                    std::lock_guard<std::mutex> lock(self->mutex);
                    if (self->closed || !self->cyc || self->cyc->id != id || self->cyc->trial != trial) {
                        return;
                    }
                    self->transmit_locked(later);
                }
                self->run(later);
            }
        });
        return;
    }
    const std::optional<lora_modulation> mod = lorawan_modulation(reg, c.dr, true);
    if (!mod) {
        fail_cycle_locked("no_lora_modulation", after);  // FSK DR7 is not modelled
        return;
    }
    const int index = candidates[static_cast<std::size_t>(w.random_u64() % candidates.size())];
    const channel& ch = p.channels[static_cast<std::size_t>(index)];
    c.channel_index = index;
    c.frequency_hz = ch.frequency_hz;
    c.modulation = *mod;
    c.tx_power_index = limit_tx_power_index(reg, p.tx_power_index, c.dr, p.mask);
    c.tx_start_us = now;
    c.tx_end_us = now + time_on_air_us(*mod, c.phy.size());
    radio_busy_until_us = c.tx_end_us;
    c.on_air = true;
    c.got_downlink = false;
    c.rx2_skipped = false;
    c.windows_done = false;
    const bool join = c.kind == cycle_kind::join;
    const time_us rx1_delay = join ? join_accept_delay1_us : p.rx1_delay_us;
    c.rx2_delay_us = join ? join_accept_delay2_us : p.rx1_delay_us + (receive_delay2_us - receive_delay1_us);
    window.kind = window_kind::none;
    apply_listen_locked();

    // The windows are scheduled now, before the network hears the frame's end, so that a
    // downlink sent at exactly end + delay finds the receiver listening.
    std::weak_ptr<impl> weak = shared_from_this();
    for (const auto& [kind, delay] : {std::pair{window_kind::rx1, rx1_delay}, std::pair{window_kind::rx2, c.rx2_delay_us}}) {
        w.schedule_at(c.tx_end_us + delay, [weak, kind = kind, id = c.id, trial = c.trial] {
            if (const auto self = weak.lock()) {
                self->open_window(kind, id, trial);
            }
        });
    }
    if (join) {
        log("lorawan_join_request", {{"dev_eui", i64(joining->dev_eui)}, {"app_eui", i64(joining->app_eui)},
                                     {"dev_nonce", std::int64_t{joining->dev_nonce}}, {"dr", std::int64_t{c.dr}},
                                     {"frequency_hz", c.frequency_hz}});
    } else {
        log("lorawan_uplink",
            {{"fcnt", std::int64_t{c.fcnt}}, {"port", c.empty_uplink ? std::int64_t{-1} : std::int64_t{c.request->fport}},
             {"dr", std::int64_t{c.dr}}, {"frequency_hz", c.frequency_hz}, {"confirmed", c.confirmed},
             {"trial", std::int64_t{c.trial}}, {"size", static_cast<std::int64_t>(c.phy.size())},
             {"tx_power_index", std::int64_t{c.tx_power_index}}});
    }
    lora_frame frame;
    frame.frequency_hz = c.frequency_hz;
    frame.modulation = *mod;
    frame.iq_inverted = false;
    frame.sync_word = sync_word;
    frame.tx_power_dbm = tx_power_dbm_locked(c.tx_power_index);
    frame.payload = c.phy;
    medium.transmit(radio, std::move(frame), [weak, id = c.id, trial = c.trial] {
        if (const auto self = weak.lock()) {
            self->tx_done(id, trial);
        }
    });
}

void lorawan_mac::impl::tx_done(std::uint64_t cycle_id, int trial) {
    std::lock_guard<std::mutex> lock(mutex);
    if (closed || !cyc || cyc->id != cycle_id || cyc->trial != trial) {
        return;
    }
    cycle& c = *cyc;
    c.on_air = false;
    const time_us now = w.now_us();
    const time_us airtime = c.tx_end_us - c.tx_start_us;
    if (duty_cycle_on) {
        if (const duty_band* band = duty_band_of(reg, c.frequency_hz)) {
            int divisor = band->divisor;
            if (c.kind == cycle_kind::join) {
                divisor = std::max(divisor, join_duty_cycle_divisor(now - start_us));
            }
            band_open_us[static_cast<std::size_t>(band->group) % band_open_us.size()] =
                now + duty_cycle_off_time_us(divisor, airtime);
        }
    }
    // DutyCycleReq's aggregated limit applies whether or not the band limits do (LoRaMac).
    if (p.max_duty_cycle > 0 && p.max_duty_cycle < 16) {
        aggregated_open_us = now + duty_cycle_off_time_us(1 << p.max_duty_cycle, airtime);
    }
    apply_listen_locked();
}

void lorawan_mac::impl::open_window(window_kind kind, std::uint64_t cycle_id, int trial) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (closed || !cyc || cyc->id != cycle_id || cyc->trial != trial || cyc->windows_done) {
            return;
        }
        cycle& c = *cyc;
        if (kind == window_kind::rx2) {
            if (c.rx2_skipped) {
                return;
            }
            if (window.kind == window_kind::rx1) {
                c.rx2_skipped = true;  // still receiving in RX1: LoRaMac does not open RX2
                return;
            }
        }
        int dr = p.rx2_dr;
        std::int64_t frequency_hz = p.rx2_frequency_hz;
        if (kind == window_kind::rx1) {
            dr = rx1_data_rate(reg, c.dr, p.rx1_dr_offset, p.downlink_dwell_time);
            frequency_hz = rx1_frequency_hz(reg, c.channel_index, p.channels[static_cast<std::size_t>(c.channel_index)]);
        }
        const std::optional<lora_modulation> mod = dr >= 0 ? lorawan_modulation(reg, dr, false) : std::nullopt;
        if (!mod) {
            window_timed_out_locked(kind, after);
        } else {
            window.kind = kind;
            window.id = ++window_counter;
            window.dr = dr;
            window.listen = lora_listen_settings{frequency_hz, mod->spreading_factor, mod->bandwidth_hz, true, sync_word};
            apply_listen_locked();
            log("lorawan_rx_window", {{"which", std::string(window_name(kind))}, {"state", std::string("opened")},
                                      {"dr", std::int64_t{dr}}, {"frequency_hz", frequency_hz}});
            const time_us timeout = rx_window_symbols * symbol_time_us(mod->spreading_factor, mod->bandwidth_hz);
            std::weak_ptr<impl> weak = shared_from_this();
            w.schedule_after(timeout, [weak, id = window.id] {
                if (const auto self = weak.lock()) {
                    self->check_window(id);
                }
            });
        }
    }
    run(after);
}

void lorawan_mac::impl::check_window(std::uint64_t window_id) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (closed || window.kind == window_kind::none || window.id != window_id) {
            return;
        }
        if (medium.receiving(radio)) {
            // A preamble was detected: stay on until the frame ends (delivered to on_receive)
            // or is lost; look again a window timeout later.
            const time_us again = rx_window_symbols * symbol_time_us(window.listen.spreading_factor,
                                                                     window.listen.bandwidth_hz);
            std::weak_ptr<impl> weak = shared_from_this();
            w.schedule_after(again, [weak, window_id] {
                if (const auto self = weak.lock()) {
                    self->check_window(window_id);
                }
            });
            return;
        }
        const window_kind kind = window.kind;
        close_window_locked(false);
        window_timed_out_locked(kind, after);
    }
    run(after);
}

void lorawan_mac::impl::close_window_locked(bool got_frame) {
    const window_kind kind = window.kind;
    window.kind = window_kind::none;
    apply_listen_locked();
    log("lorawan_rx_window", {{"which", std::string(window_name(kind))}, {"state", std::string("closed")},
                              {"got_frame", got_frame}});
}

/// A window ended without a frame for this device.
void lorawan_mac::impl::window_timed_out_locked(window_kind kind, after_unlock& after) {
    if (!cyc) {
        return;
    }
    if (kind == window_kind::rx2 || (kind == window_kind::rx1 && cyc->rx2_skipped)) {
        windows_over_locked(after);
    }
}

/// Both windows of a transmission are over: retry, repeat, or end the cycle.
void lorawan_mac::impl::windows_over_locked(after_unlock& after) {
    cycle& c = *cyc;
    c.windows_done = true;
    if (c.kind == cycle_kind::join) {
        end_cycle_locked();  // the retry timer sends the next request
        pump_locked(after);
        return;
    }
    if (c.confirmed) {
        if (c.acked) {
            finish_data_locked(lorawan_mac::send_status::sent, after);
        } else if (c.trial < c.max_trials) {
            // LoRaMac AckTimeoutTimer: RX2 delay + ACK_TIMEOUT + uniform(-1 s, +1 s) after TX-done.
            const auto span = static_cast<std::uint64_t>(2 * ack_timeout_random_us + 1);
            const time_us jitter = static_cast<time_us>(w.random_u64() % span) - ack_timeout_random_us;
            const time_us at = std::max(w.now_us(), c.tx_end_us + c.rx2_delay_us + ack_timeout_us + jitter);
            std::weak_ptr<impl> weak = shared_from_this();
            w.schedule_at(at, [weak, id = c.id, trial = c.trial] {
                if (const auto self = weak.lock()) {
                    self->retransmit(id, trial);
                }
            });
        } else {
            finish_data_locked(lorawan_mac::send_status::failed, after);
        }
        return;
    }
    if (!c.got_downlink && c.trial < c.max_trials) {
        ++c.trial;  // NbTrans repetition, same FCnt
        transmit_locked(after);
        return;
    }
    finish_data_locked(c.empty_uplink ? lorawan_mac::send_status::too_large : lorawan_mac::send_status::sent, after);
}

void lorawan_mac::impl::retransmit(std::uint64_t cycle_id, int trial) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (closed || !cyc || cyc->id != cycle_id || cyc->trial != trial) {
            return;
        }
        ++cyc->trial;
        transmit_locked(after);
    }
    run(after);
}

void lorawan_mac::impl::finish_data_locked(lorawan_mac::send_status status, after_unlock& after) {
    cycle& c = *cyc;
    if (window.kind != window_kind::none) {
        close_window_locked(false);
    }
    ++session.fcnt_up;
    after.uplink = lora_radio::uplink_info{c.dr, c.trial, c.tx_power_index,
                                           firmware_airtime_ms(c.modulation, c.phy.size()), c.fcnt, c.frequency_hz};
    after.events |= status == lorawan_mac::send_status::failed ? lora_event::tx_failed : lora_event::tx_packet;
    c.request->result = status;
    after.notify = true;
    log("lorawan_uplink_done", {{"fcnt", std::int64_t{c.fcnt}}, {"status", std::string(send_status_name(status))},
                                {"trials", std::int64_t{c.trial}}});
    end_cycle_locked();
    apply_listen_locked();
    pump_locked(after);
}

/// The MAC could not send at all (no channel for the DR, no LoRa modulation, device off).
void lorawan_mac::impl::fail_cycle_locked(const char* reason, after_unlock& after) {
    cycle& c = *cyc;
    log("lorawan_uplink_failed", {{"reason", std::string(reason)}, {"dr", std::int64_t{c.dr}}});
    if (c.kind == cycle_kind::join) {
        end_cycle_locked();
        return;
    }
    c.request->result = lorawan_mac::send_status::failed;
    after.events |= lora_event::tx_failed;
    after.notify = true;
    end_cycle_locked();
    pump_locked(after);
}

void lorawan_mac::impl::on_receive(const lora_reception& rx) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (closed || !rx.payload) {
            return;
        }
        const window_kind where = window.kind;
        if (where == window_kind::none && settings.device_class != lorawan_device_class::c) {
            return;
        }
        const int dr = where == window_kind::none ? p.rx2_dr : window.dr;
        const lw::bytes& phy = *rx.payload;
        bool handled = false;
        if (const auto hdr = lw::parse_mhdr(phy)) {
            if (hdr->type == lw::mtype::join_accept) {
                handled = cyc && cyc->kind == cycle_kind::join && joining && accept_join_locked(phy, after);
            } else if (hdr->type == lw::mtype::unconfirmed_data_down || hdr->type == lw::mtype::confirmed_data_down) {
                handled = session.joined && accept_data_locked(phy, rx, dr, where, after);
            }
        }
        if (!handled) {
            log("lorawan_downlink_ignored", {{"size", static_cast<std::int64_t>(phy.size())},
                                             {"window", std::string(window_name(where))}});
            if (where != window_kind::none && window.kind == where) {
                close_window_locked(true);
                window_timed_out_locked(where, after);
            }
        }
    }
    run(after);
}

bool lorawan_mac::impl::accept_join_locked(const lw::bytes& phy, after_unlock& after) {
    const otaa_join j = *joining;
    const auto accept = lw::decode_join_accept(phy, j.app_key);
    if (!accept) {
        return false;
    }
    const lw::join_accept& a = *accept;
    reset_mac_locked();
    session.keys = lw::derive_session_keys(j.app_key, a.app_nonce, a.net_id, j.dev_nonce);
    session.dev_addr = a.dev_addr;
    session.net_id = a.net_id;
    session.joined = true;
    session.otaa = true;
    if (rx1_dr_offset_valid(reg, a.rx1_dr_offset)) {
        p.rx1_dr_offset = a.rx1_dr_offset;
    }
    p.rx2_dr = a.rx2_data_rate;
    p.rx1_delay_us = rx_delay_us(a.rx_delay);
    p.dr = j.dr;
    if (a.cf_list && cflist_first_channel(reg) >= 0) {
        const auto freqs = lw::cf_list_frequencies_hz(*a.cf_list);
        for (std::size_t i = 0; i < freqs.size(); ++i) {
            const int index = cflist_first_channel(reg) + static_cast<int>(i);
            if (index >= static_cast<int>(p.channels.size())) {
                break;
            }
            channel& ch = p.channels[static_cast<std::size_t>(index)];
            auto& word = p.mask[static_cast<std::size_t>(index / 16)];
            const auto bit = static_cast<std::uint16_t>(1U << (index % 16));
            if (freqs[i] != 0 && channel_frequency_valid(reg, freqs[i])) {
                ch = channel{freqs[i], 0, 5, 0};
                word = static_cast<std::uint16_t>(word | bit);
            } else {
                ch = channel{};
                word = static_cast<std::uint16_t>(word & ~bit);
            }
        }
    }
    joining.reset();
    join_due = false;
    ++join_epoch;
    close_window_locked(true);
    end_cycle_locked();
    compliance_joined(compliance);
    log("lorawan_joined", {{"dev_addr", std::int64_t{session.dev_addr}}, {"net_id", std::int64_t{session.net_id}},
                           {"rx1_dr_offset", std::int64_t{p.rx1_dr_offset}}, {"rx2_dr", std::int64_t{p.rx2_dr}},
                           {"rx1_delay_us", p.rx1_delay_us}});
    after.notify = true;
    apply_listen_locked();
    pump_locked(after);
    return true;
}

bool lorawan_mac::impl::accept_data_locked(const lw::bytes& phy, const lora_reception& rx, int dr, window_kind where,
                                           after_unlock& after) {
    const auto fields = lw::parse_data_frame(phy);
    if (!fields) {
        return false;
    }
    if (fields->dev_addr != session.dev_addr) {
        return accept_multicast_locked(phy, fields->dev_addr, rx, dr, where, after);
    }
    const std::uint32_t reference = session.downlink_received ? session.fcnt_down + 1 : 0;
    const auto frame = lw::decode_data_frame(phy, session.keys, reference);
    if (!frame) {
        return false;
    }
    if (frame->fcnt - reference >= max_fcnt_gap) {
        log("lorawan_downlink_ignored", {{"reason", std::string("fcnt_gap")}, {"fcnt", std::int64_t{frame->fcnt}}});
        return false;
    }
    const lw::data_frame& f = *frame;
    session.fcnt_down = f.fcnt;
    session.downlink_received = true;
    session.adr_ack_counter = 0;
    if (lw::is_confirmed(f.type)) {
        srv_ack_requested = true;
    }
    // Sticky answers stop with this downlink; its own commands may add new ones.
    answers.erase(std::remove_if(answers.begin(), answers.end(), [](const mac_answer& a) { return a.sticky; }),
                  answers.end());
    process_mac_commands_locked(f.fport == 0 ? f.frm_payload : f.fopts, rx.snr_db);
    downlink_accepted_locked(f, rx, dr, where, false, after);
    return true;
}

/// A frame for another DevAddr: one of the multicast groups', or not ours. LoRaMac 4.4's
/// rules: the group's counter starts at 0, a frame repeating the stored counter is dropped
/// unless that counter is 0 (so a second copy of FCnt 0 is accepted again, as on the
/// device), and gaps of max_fcnt_gap or more are dropped. A multicast frame is never
/// confirmed and carries no MAC commands (LoRaWAN 1.0.2 section 4.3.1.6 forbids both),
/// so its FOpts are not run.
bool lorawan_mac::impl::accept_multicast_locked(const lw::bytes& phy, std::uint32_t address, const lora_reception& rx,
                                                int dr, window_kind where, after_unlock& after) {
    const auto group = std::find_if(multicast_groups.begin(), multicast_groups.end(),
                                    [&](const mac_detail::multicast_group& g) { return g.address == address; });
    if (group == multicast_groups.end()) {
        return false;
    }
    const auto frame = lw::decode_data_frame(phy, group->keys, group->fcnt_down);
    if (!frame) {
        return false;
    }
    if (frame->fcnt - group->fcnt_down >= max_fcnt_gap ||
        (frame->fcnt == group->fcnt_down && group->fcnt_down != 0)) {
        log("lorawan_downlink_ignored", {{"reason", std::string("multicast_fcnt")}, {"fcnt", std::int64_t{frame->fcnt}},
                                         {"mc_addr", std::int64_t{address}}});
        return false;
    }
    group->fcnt_down = frame->fcnt;
    downlink_accepted_locked(*frame, rx, dr, where, true, after);
    return true;
}

void lorawan_mac::impl::downlink_accepted_locked(const lw::data_frame& f, const lora_reception& rx, int dr,
                                                 window_kind where, bool multicast, after_unlock& after) {
    const lora_radio::received_info info{rx.end_us, rx.rssi_dbm, rx.snr_db, dr};
    const bool deliverable = f.fport && *f.fport >= 1 && *f.fport <= 223 && !f.frm_payload.empty();
    if (f.fport && *f.fport == compliance_test_port) {
        compliance_downlink_locked(f.frm_payload, info, after);
    }
    if (deliverable) {
        after.deliveries.push_back({f.frm_payload, *f.fport, info});
    }
    log("lorawan_downlink", {{"fcnt", std::int64_t{f.fcnt}}, {"port", f.fport ? std::int64_t{*f.fport} : std::int64_t{-1}},
                             {"ack", f.fctrl.ack}, {"size", static_cast<std::int64_t>(f.frm_payload.size())},
                             {"confirmed", lw::is_confirmed(f.type)}, {"window", std::string(window_name(where))},
                             {"delivered", deliverable}, {"multicast", multicast}});
    if (where != window_kind::none) {
        close_window_locked(true);
    }
    if (cyc && cyc->kind == cycle_kind::data && !cyc->on_air && !cyc->windows_done) {
        cycle& c = *cyc;
        c.got_downlink = true;
        if (c.confirmed && f.fctrl.ack) {
            c.acked = true;
        }
        if (where == window_kind::rx1) {
            c.rx2_skipped = true;
        }
        if (!c.confirmed || c.acked) {
            finish_data_locked(c.empty_uplink ? lorawan_mac::send_status::too_large : lorawan_mac::send_status::sent,
                               after);
        } else if (where != window_kind::none) {
            windows_over_locked(after);  // a downlink without the ACK: the ACK timeout runs
        }
    }
}

void lorawan_mac::impl::compliance_downlink_locked(const lw::bytes& payload, const lora_radio::received_info& info,
                                                   after_unlock& after) {
    const std::optional<int> max_n = max_payload_n(reg, p.dr, p.uplink_dwell_time);
    const bool echo_fits = max_n && payload.size() <= static_cast<std::size_t>(*max_n);
    const compliance_actions a = compliance_downlink(compliance, payload, echo_fits, settings.adr);
    if (a.flush_receive_queue) {
        after.flush_received = true;
        after.deliveries.clear();
    }
    if (a.adr) {
        adr_on = *a.adr;
    }
    if (a.duty_cycle) {
        duty_cycle_on = *a.duty_cycle;
    }
    if (a.echo) {
        after.deliveries.push_back({payload, 0, info, true});
    }
    if (a.request_link_check) {
        answers.push_back(mac_detail::mac_answer{{cid_link_check_req}, false});
    }
    if (a.leave_network) {
        session.joined = false;  // lora_obj.joined only: the script sees it and joins again
    }
    if (compliance.enabled) {
        log("lorawan_compliance", {{"state", std::int64_t{compliance.state}}, {"running", compliance.running},
                                   {"downlink_counter", std::int64_t{compliance.downlink_counter}}});
    }
}

// --- the public face ------------------------------------------------------------------

lorawan_mac::lorawan_mac(lora_medium& medium, std::shared_ptr<lora_radio> shared, std::string name, position_m where,
                         lorawan_mac_settings settings)
    : impl_(std::make_shared<impl>(medium, std::move(shared), std::move(name), settings)) {
    std::weak_ptr<impl> weak = impl_;
    impl_->radio = medium.attach(impl_->name, where, [weak](const lora_reception& rx) {
        if (const auto self = weak.lock()) {
            self->on_receive(rx);
        }
    });
}

lorawan_mac::~lorawan_mac() { close(); }

const lorawan_mac_settings& lorawan_mac::settings() const noexcept { return impl_->settings; }
const lorawan_region& lorawan_mac::region() const noexcept { return impl_->reg; }

void lorawan_mac::join_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lorawan::aes_key& app_key, int dr) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& m = *impl_;
        if (m.closed) {
            return;
        }
        m.abort_all_locked(send_status::failed, after);
        m.reset_mac_locked();
        m.joining = mac_detail::otaa_join{dev_eui, app_eui, app_key, dr, 0};
        ++m.join_epoch;
        m.join_due = true;
        m.apply_listen_locked();
        m.pump_locked(after);
    }
    impl_->run(after);
}

void lorawan_mac::join_abp(std::uint32_t dev_addr, const lorawan::aes_key& nwk_s_key, const lorawan::aes_key& app_s_key) {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& m = *impl_;
        if (m.closed) {
            return;
        }
        m.abort_all_locked(send_status::failed, after);
        m.reset_mac_locked();
        m.joining.reset();
        m.join_due = false;
        ++m.join_epoch;
        m.session.dev_addr = dev_addr;
        m.session.keys = lorawan::session_keys{nwk_s_key, app_s_key};
        m.session.joined = true;
        m.compliance.state = 1;  // lora_join() for ABP sets only the state
        m.log("lorawan_joined", {{"dev_addr", std::int64_t{dev_addr}}, {"abp", true}});
        m.apply_listen_locked();
    }
    impl_->run(after);
}

void lorawan_mac::stop_join() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    ++impl_->join_epoch;
    impl_->join_due = false;
}

bool lorawan_mac::joined() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->session.joined;
}

wait_status lorawan_mac::wait_joined(std::optional<time_us> wait_us) {
    impl& m = *impl_;
    std::optional<time_us> deadline;
    if (wait_us) {
        deadline = m.w.now_us() + std::max<time_us>(*wait_us, 0);
    }
    for (;;) {
        const std::uint64_t seen = m.changed.generation();
        {
            std::lock_guard<std::mutex> lock(m.mutex);
            if (m.session.joined) {
                return wait_status::ready;
            }
            if (m.closed) {
                return wait_status::halted;
            }
        }
        if (deadline && *deadline <= m.w.now_us()) {
            return wait_status::timed_out;
        }
        const wait_status st = m.changed.wait(seen, deadline);
        if (st != wait_status::ready) {
            return st;
        }
    }
}

lorawan_mac::send_status lorawan_mac::send(std::vector<std::uint8_t> payload, int fport, bool confirmed, int socket_dr,
                                           std::optional<time_us> queue_wait_us, bool wait_done) {
    impl& m = *impl_;
    std::optional<time_us> deadline;
    if (queue_wait_us) {
        deadline = m.w.now_us() + std::max<time_us>(*queue_wait_us, 0);
    }
    mac_detail::request_ptr req;
    for (;;) {
        const std::uint64_t seen = m.changed.generation();
        after_unlock after;
        {
            std::lock_guard<std::mutex> lock(m.mutex);
            if (m.closed) {
                return send_status::halted;
            }
            if (!m.session.joined) {
                return send_status::not_joined;
            }
            if (m.queue.size() < queue_depth) {
                req = std::make_shared<mac_detail::uplink_request>();
                // lorawan_send(): while the compliance test runs every uplink is a test frame.
                const bool test_frame = m.compliance.enabled && m.compliance.running;
                req->fport = test_frame ? compliance_test_port : fport;
                req->confirmed = test_frame ? m.compliance.tx_confirmed : confirmed;
                req->socket_dr = socket_dr;
                const auto max_n = max_payload_n(m.reg, socket_dr, m.p.uplink_dwell_time);
                req->too_large = !max_n || payload.size() > static_cast<std::size_t>(*max_n);
                req->payload = std::move(payload);
                m.queue.push_back(req);
                m.pump_locked(after);
            }
        }
        m.run(after);
        if (req) {
            break;
        }
        if (deadline && *deadline <= m.w.now_us()) {
            return send_status::queue_full;  // no wait (and no device thread needed)
        }
        const wait_status st = m.changed.wait(seen, deadline);
        if (st == wait_status::halted) {
            return send_status::halted;
        }
        if (st == wait_status::timed_out) {
            return send_status::queue_full;
        }
    }
    if (req->too_large) {
        return send_status::too_large;
    }
    if (!wait_done) {
        return send_status::queued;
    }
    for (;;) {
        const std::uint64_t seen = m.changed.generation();
        {
            std::lock_guard<std::mutex> lock(m.mutex);
            if (req->result) {
                return *req->result;
            }
            if (m.closed) {
                return send_status::halted;
            }
        }
        if (m.changed.wait(seen, std::nullopt) == wait_status::halted) {
            return send_status::halted;
        }
    }
}

bool lorawan_mac::can_queue() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->queue.size() < queue_depth;
}

channel_add_status lorawan_mac::add_channel(int index, std::int64_t frequency_hz, int dr_min, int dr_max) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl& m = *impl_;
    const channel ch{frequency_hz, dr_min, dr_max, 0};
    const channel_add_status st = manual_channel_add(m.reg, index, ch);
    if (st == channel_add_status::ok && index >= 0 && index < static_cast<int>(m.p.channels.size())) {
        m.p.channels[static_cast<std::size_t>(index)] = ch;
        auto& word = m.p.mask[static_cast<std::size_t>(index / 16)];
        word = static_cast<std::uint16_t>(word | (1U << (index % 16)));
    }
    return st;
}

bool lorawan_mac::remove_channel(int index) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl& m = *impl_;
    if (!manual_channel_remove(m.reg, index) || index < 0 || index >= static_cast<int>(m.p.channels.size())) {
        return false;
    }
    if (m.reg.plan == channel_plan_kind::dynamic) {
        m.p.channels[static_cast<std::size_t>(index)] = channel{};
    }
    auto& word = m.p.mask[static_cast<std::size_t>(index / 16)];
    word = static_cast<std::uint16_t>(word & ~(1U << (index % 16)));
    return true;
}

void lorawan_mac::set_battery_level(int level) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->battery_level = std::clamp(level, 0, 255);
}

void lorawan_mac::request_link_check() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->answers.push_back(mac_detail::mac_answer{{cid_link_check_req}, false});
}

lorawan_compliance lorawan_mac::compliance() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->compliance;
}

void lorawan_mac::set_compliance(bool enable, std::optional<int> state, std::optional<bool> link_check) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl& m = *impl_;
    if (const auto adr = ::usocket::sim::set_compliance(m.compliance, enable, state, link_check, m.settings.adr)) {
        m.adr_on = *adr;
    }
}

void lorawan_mac::carry_compliance(const lorawan_compliance& test) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->compliance = test;
}

bool lorawan_mac::join_multicast_group(std::uint32_t address, const lorawan::aes_key& nwk_s_key,
                                       const lorawan::aes_key& app_s_key) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl& m = *impl_;
    if (m.cyc) {
        return false;  // LORAMAC_STATUS_BUSY while an uplink cycle runs
    }
    m.multicast_groups.push_back(mac_detail::multicast_group{address, lorawan::session_keys{nwk_s_key, app_s_key}, 0});
    m.log("lorawan_multicast_joined", {{"mc_addr", std::int64_t{address}}});
    return true;
}

bool lorawan_mac::leave_multicast_group(std::uint32_t address) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl& m = *impl_;
    const auto g = std::find_if(m.multicast_groups.begin(), m.multicast_groups.end(),
                                [&](const mac_detail::multicast_group& x) { return x.address == address; });
    if (g == m.multicast_groups.end() || m.cyc) {
        return false;  // LoRaMacMulticastChannelUnlink: no such group, or busy
    }
    m.multicast_groups.erase(g);
    m.log("lorawan_multicast_left", {{"mc_addr", std::int64_t{address}}});
    return true;
}

std::vector<std::uint32_t> lorawan_mac::multicast_groups() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<std::uint32_t> out;
    for (const auto& g : impl_->multicast_groups) {
        out.push_back(g.address);
    }
    return out;
}

std::optional<lorawan_link_check> lorawan_mac::last_link_check() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->link_check;
}

lorawan_session lorawan_mac::session() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->session;
}

lorawan_mac_params lorawan_mac::params() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->p;
}

void lorawan_mac::set_frame_counters(std::uint32_t fcnt_up, std::uint32_t fcnt_down) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->session.fcnt_up = fcnt_up;
    impl_->session.fcnt_down = fcnt_down;
    impl_->session.downlink_received = true;
}

std::vector<std::uint8_t> lorawan_mac::save_state() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->save_locked();
}

bool lorawan_mac::restore_state(const std::vector<std::uint8_t>& blob) {
    after_unlock after;
    bool ok = false;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& m = *impl_;
        if (m.closed) {
            return false;
        }
        ok = m.restore_locked(blob);
        if (ok) {
            after.notify = true;
            m.apply_listen_locked();
        }
    }
    impl_->run(after);
    return ok;
}

void lorawan_mac::share_chip(std::shared_ptr<radio_mutex> chip) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->chip.share(std::move(chip));
}

void lorawan_mac::close() {
    after_unlock after;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& m = *impl_;
        if (m.closed) {
            return;
        }
        m.abort_all_locked(send_status::halted, after);
        m.joining.reset();
        ++m.join_epoch;
        m.closed = true;
        m.chip.release();
        m.medium.detach(m.radio);
    }
    impl_->changed.notify_all();
}

}  // namespace usocket::sim
