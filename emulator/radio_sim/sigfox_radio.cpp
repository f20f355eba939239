// sigfox_radio.cpp: the firmware's Sigfox task and the Sigfox library's send sequence as
// world events.
//
// A transaction is one command of the queue: in SIGFOX mode an uplink message (frames and
// gaps), the downlink wait, window and OOB ack when asked for; in FSK mode one frame. Every
// step is a world event that checks the radio's epoch first, so a re-open or close() drops
// what an old transaction had scheduled. Lock order: radio, then medium, then world; the
// signal is notified after the radio's lock is released.
#include "usocket/sim/sigfox_radio.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

#include "usocket/sim/power_units.hpp"

namespace usocket::sim {
namespace {

/// The unknown-yet micro channel use time: free.
constexpr time_us never_used = -(time_us{1} << 60);

/// The SiPy FSK export's "TX power = 15" (cc1125PreferredSettings comment).
constexpr double fsk_tx_power_dbm = 15.0;

/// The OOB frame's status bytes (MANUF_API_get_voltage_temperature: 3300 mV idle and in TX,
/// 0.0 degrees), then the last downlink RSSI + 100 and a pad. The byte layout is the
/// emulator's own: only its size (8 bytes, class D) shapes the air.
std::vector<std::uint8_t> oob_status(int rssi_dbm) {
    constexpr std::uint16_t voltage_mv = 3300;
    const auto hi = static_cast<std::uint8_t>(voltage_mv >> 8);
    const auto lo = static_cast<std::uint8_t>(voltage_mv & 0xFF);
    return {hi, lo, hi, lo, 0, 0, static_cast<std::uint8_t>(static_cast<std::int8_t>(rssi_dbm + 100)), 0};
}

/// The carrier-sense channel's level over [from_us, to_us], rebuilt from a snapshot of the
/// medium at each end: a frame listed in either is on the air over [start_us, end_us), and
/// the level (noise plus those frames) only changes where one starts or ends.
struct channel_profile {
    double max_dbm = 0;                    ///< the highest level at any instant of it
    double now_dbm = 0;                    ///< the level at to_us
    std::optional<time_us> clear_from_us;  ///< at or below the LBT threshold from then to to_us
};

channel_profile profile_between(const sigfox_channel_snapshot& at_from, time_us from_us,
                                const sigfox_channel_snapshot& at_to, time_us to_us) {
    std::vector<sigfox_channel_use> uses = at_from.uses;
    for (const auto& u : at_to.uses) {
        if (std::none_of(uses.begin(), uses.end(), [&](const sigfox_channel_use& v) { return v.frame_id == u.frame_id; })) {
            uses.push_back(u);
        }
    }
    std::vector<time_us> points{from_us, to_us};
    for (const auto& u : uses) {
        for (const time_us t : {u.start_us, u.end_us}) {
            if (t > from_us && t < to_us) {
                points.push_back(t);
            }
        }
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::vector<double> level_dbm;
    level_dbm.reserve(points.size());
    for (const time_us t : points) {
        double mw = dbm_to_mw(at_to.noise_dbm);
        for (const auto& u : uses) {
            if (u.start_us <= t && t < u.end_us) {
                mw += dbm_to_mw(u.rssi_dbm);
            }
        }
        level_dbm.push_back(mw_to_dbm(mw));
    }
    channel_profile out;
    out.max_dbm = *std::max_element(level_dbm.begin(), level_dbm.end());
    out.now_dbm = level_dbm.back();
    for (std::size_t i = points.size(); i-- > 0 && level_dbm[i] <= sigfox_radio::lbt_threshold_dbm;) {
        out.clear_from_us = points[i];
    }
    return out;
}

struct received {
    std::vector<std::uint8_t> payload;
    std::size_t offset = 0;
};

/// The message being sent.
struct message {
    sigfox_frame_class cls = sigfox_frame_class::a;
    int frames = 3;
    int sent = 0;
    std::uint16_t sequence_number = 0;
    bool ack = false;  // the OOB ack after a downlink
    bool oob = false;
    bool downlink = false;
    bool bit_frame = false;
    bool bit_value = false;
    std::vector<std::uint8_t> payload;
    time_us first_frame_end_us = 0;
    time_us last_frame_end_us = 0;  // LBT: a later frame's wait counts from here
    std::int64_t first_frequency_hz = 0;
};

}  // namespace

struct sigfox_radio::impl : std::enable_shared_from_this<impl> {
    impl(sigfox_medium& m, std::string n, std::uint32_t id)
        : medium(m), w(m.owner()), name(std::move(n)), device_id(id), changed(w), rng(w.random_u64()) {
        micro_used_at.fill(never_used);
    }

    sigfox_medium& medium;
    world& w;
    const std::string name;
    const std::uint32_t device_id;
    signal changed;

    mutable std::mutex mutex;
    std::mt19937_64 rng;
    sigfox_medium::radio_id radio = 0;
    bool closed = false;
    bool opened = false;
    std::uint64_t epoch = 0;  // bumped by open() and close(): stale events do nothing
    sigfox_mode mode = sigfox_mode::sigfox;
    sigfox_zone zone = sigfox_zone::rcz1;
    std::int64_t fsk_frequency_hz = 0;
    int freq_offset_hz = 0;
    int lbt_retries = lbt_default_retries;                                  // config word 0
    time_us lbt_max_between_frames_us = lbt_default_max_between_frames_us;  // config word 1

    chip_share chip;  // LoPy4/FiPy: the SX1276 LoRa shares (share_chip)
    time_us on_air_until_us = 0;  // the end of the last frame put on the air

    std::deque<sigfox_send_request> commands;
    bool busy = false;            // the task holds a command
    bool pick_scheduled = false;  // a task tick will take the next command
    sigfox_send_request current;
    message msg;
    bool awaiting_downlink = false;
    event_id window_close = 0;
    std::int64_t expected_downlink_hz = 0;
    std::optional<std::vector<std::uint8_t>> downlink_payload;
    std::uint16_t next_sequence = 0;

    std::array<time_us, fcc_micro_channels> micro_used_at{};
    bool channel_not_default = false;
    std::optional<time_us> last_send_start_us;  // the firmware's tx_timestamp
    int last_frames_sent = 0;
    int cs_attempts = 0;       // senses before the first frame + later frames' windows (info())
    int frame_cs_retries = 0;  // retries for the first frame, waiting for the channel
    // A later frame's sliding window: when it expires, since when the channel has been clear
    // (none: busy), and the last look at the channel.
    time_us cs_window_deadline_us = 0;
    std::optional<time_us> cs_clear_since_us;
    std::shared_ptr<const sigfox_channel_snapshot> cs_last_look;
    time_us cs_last_look_us = 0;
    std::optional<int> last_rssi_dbm;

    std::deque<received> inbox;
    std::uint64_t done_count = 0;
    std::uint64_t fail_count = 0;
    sigfox_radio_stats stats;
    bool notify = false;  // set under the lock, acted on after it

    const sigfox_zone_params& params() const noexcept { return zone_params(zone); }

    /// Runs `step` in a world event after `delay_us`, under the lock, if the radio's epoch is
    /// still the one of now.
    void later_locked(time_us delay_us, std::function<void(impl&)> step) {
        std::weak_ptr<impl> weak = shared_from_this();
        const std::uint64_t e = epoch;
        w.schedule_after(delay_us, [weak, e, step = std::move(step)] {
            if (const auto self = weak.lock()) {
                self->run_if_current(e, step);
            }
        });
    }

    void run_if_current(std::uint64_t e, const std::function<void(impl&)>& step) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (closed || epoch != e) {
                return;
            }
            step(*this);
        }
        flush();
    }

    void flush() {
        bool wake = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            wake = std::exchange(notify, false);
        }
        if (wake) {
            changed.notify_all();
        }
    }

    // --- the task's loop ---------------------------------------------------------------

    void schedule_pick_locked() {
        if (busy || pick_scheduled || commands.empty() || !opened || closed) {
            return;
        }
        pick_scheduled = true;
        later_locked(task_tick_us, [](impl& r) { r.pick_locked(); });
    }

    void pick_locked() {
        pick_scheduled = false;
        if (busy || commands.empty()) {
            return;
        }
        current = std::move(commands.front());
        commands.pop_front();
        busy = true;
        notify = true;  // room in the queue
        if (chip_ours_locked()) {
            start_current_locked();
        }
    }

    /// LoPy4/FiPy: the task holds the SX1276 for the whole message (modsigfox_sfx_send takes
    /// xLoRaSigfoxSem after it took the command off the queue); while LoRa has it, it waits
    /// and the grant starts the message.
    bool chip_ours_locked() {
        const bool ours = chip.take_or_wait<impl>(weak_from_this(), [](impl& self) {
            {
                std::lock_guard<std::mutex> lock(self.mutex);
                if (self.closed || !self.busy) {
                    self.chip.release();
                } else {
                    self.start_current_locked();
                }
            }
            self.flush();
        });
        if (!ours && w.logging()) {
            w.log("sigfox_radio_wait", name, {{"for", std::string("lora")}});
        }
        return ours;
    }

    void start_current_locked() {
        stats.last_transaction_start_us = w.now_us();
        if (mode == sigfox_mode::fsk) {
            send_fsk_locked();
        } else {
            begin_sigfox_locked();
        }
    }

    void finish_locked(bool ok) {
        busy = false;
        chip.release();
        ++done_count;
        if (!ok) {
            ++fail_count;
            ++stats.failures;
        }
        if (ok && downlink_payload) {
            push_inbox_locked(std::move(*downlink_payload), "downlink");
        }
        downlink_payload.reset();
        stats.last_transaction_end_us = w.now_us();
        notify = true;
        listen_idle_locked();
        schedule_pick_locked();
    }

    void push_inbox_locked(std::vector<std::uint8_t> payload, const char* what) {
        // xQueueSend(xRxQueue, ..., 0): a full queue drops it.
        if (inbox.size() < receive_queue_depth) {
            inbox.push_back(received{std::move(payload), 0});
            notify = true;
        } else if (w.logging()) {
            w.log("sigfox_rx_dropped", name, {{"what", std::string(what)}, {"reason", std::string("receive_queue_full")}});
        }
    }

    /// FSK mode listens whenever it does not transmit; SIGFOX mode only in a downlink window.
    void listen_idle_locked() {
        if (closed) {
            return;
        }
        if (opened && mode == sigfox_mode::fsk && !busy) {
            sigfox_band band;
            band.modulation = sigfox_modulation::fsk;
            band.centre_hz = fsk_frequency_hz + freq_offset_hz;
            band.width_hz = fsk_rx_filter_bandwidth_hz;
            band.bit_rate_bps = fsk_bit_rate_bps;
            band.sensitivity_dbm = medium.model().fsk_sensitivity_dbm;
            medium.listen(radio, {band});
        } else if (!awaiting_downlink) {
            medium.listen(radio, {});
        }
    }

    // --- FSK -----------------------------------------------------------------------------

    void send_fsk_locked() {
        medium.listen(radio, {});  // the CC1125 leaves RX to transmit
        sigfox_frame f;
        f.modulation = sigfox_modulation::fsk;
        f.frequency_hz = fsk_frequency_hz + freq_offset_hz;
        f.bit_rate_bps = fsk_bit_rate_bps;
        f.tx_power_dbm = fsk_tx_power_dbm;
        f.airtime_us = fsk_frame_us(current.payload.size());
        f.device_id = device_id;
        f.payload = current.payload;
        ++stats.frames_sent;
        transmit_locked(std::move(f), [](impl& r) { r.finish_locked(true); });
    }

    void transmit_locked(sigfox_frame f, std::function<void(impl&)> on_done) {
        const time_us now = w.now_us();
        if (on_air_until_us > now) {
            // A re-init ended the message whose frame is still on the air: the chip finishes
            // that frame before it sends the next (a resource test finding: the medium refused
            // the second frame and the world stopped).
            if (w.logging()) {
                w.log("sigfox_tx_wait", name, {{"wait_us", on_air_until_us - now}});
            }
            later_locked(on_air_until_us - now, [f = std::move(f), on_done = std::move(on_done)](impl& r) mutable {
                r.transmit_locked(std::move(f), std::move(on_done));
            });
            return;
        }
        on_air_until_us = now + f.airtime_us;
        std::weak_ptr<impl> weak = shared_from_this();
        const std::uint64_t e = epoch;
        medium.transmit(radio, std::move(f), [weak, e, on_done = std::move(on_done)] {
            if (const auto self = weak.lock()) {
                self->run_if_current(e, on_done);
            }
        });
    }

    // --- SIGFOX mode ---------------------------------------------------------------------

    int free_micro_channels_locked(time_us now) const {
        return static_cast<int>(std::count_if(micro_used_at.begin(), micro_used_at.end(), [now](time_us t) {
            return now - t >= fcc_micro_channel_reuse_us;
        }));
    }

    void reset_micro_channels_locked() {
        micro_used_at.fill(never_used);
        channel_not_default = false;
    }

    void begin_sigfox_locked() {
        const time_us now = w.now_us();
        time_us wait_us = 0;
        // modsigfox_sfx_send: in the FCC zones, off the default macro channel or out of free
        // micro channels, reset and keep 23 s since the previous send started.
        if (params().access == sigfox_access::frequency_hopping &&
            (channel_not_default || free_micro_channels_locked(now) == 0)) {
            reset_micro_channels_locked();
            if (last_send_start_us && now - *last_send_start_us < fcc_reset_min_spacing_us) {
                wait_us = fcc_reset_min_spacing_us - (now - *last_send_start_us);
                if (w.logging()) {
                    w.log("sigfox_fcc_wait", name, {{"wait_us", wait_us}});
                }
            }
        }
        last_send_start_us = now;  // taken before the wait, as the firmware's tx_timestamp
        const bool oob = current.oob;
        std::vector<std::uint8_t> payload = oob ? oob_status(last_rssi_dbm.value_or(0)) : current.payload;
        later_locked(wait_us, [oob, payload = std::move(payload)](impl& r) mutable {
            r.start_message_locked(false, oob, std::move(payload));
        });
    }

    void start_message_locked(bool ack, bool oob, std::vector<std::uint8_t> payload) {
        msg = message{};
        msg.ack = ack;
        msg.oob = oob;
        // SIGFOX_API_send_outofband never asks for a downlink; frame/bit sends do if SO_RX.
        msg.downlink = !ack && !oob && current.downlink;
        msg.bit_frame = !oob && payload.empty();
        msg.bit_value = current.bit_value;
        msg.cls = frame_class(payload.size());
        msg.frames = msg.downlink ? 1 + std::clamp(current.tx_repeat, 0, 2) : 3;
        msg.payload = std::move(payload);
        msg.sequence_number = next_sequence;
        next_sequence = static_cast<std::uint16_t>((next_sequence + 1) % sequence_modulo);
        cs_attempts = 0;
        ++stats.messages_sent;
        stats.last_sequence_number = msg.sequence_number;
        stats.last_frame_frequencies_hz.clear();
        send_frame_locked();
    }

    // LBT (radio.md 5.1: "RCZ3 config words give 3 carrier-sense retries before the first
    // frame and up to 5000 ms between frames"; the library's RC3_CONFIG {3, 0x1388, 0}).
    //
    // The first frame of a message: a carrier sense of lbt_sense_us; a busy channel is
    // sensed again after SFX_DLY_CS_SLEEP, up to word 0's retries (so 1 + 3 senses with the
    // default words), and the message fails when they run out (reason "retries"). Word 1
    // plays no part: sigfox_api.h gives SFX_DLY_CS_SLEEP as "the delay between several
    // attempts of Carrier Sense for the first frame".
    //
    // A later frame: after the inter-frame gap the radio listens without a break, with no
    // SFX_DLY_CS_SLEEP, and transmits as soon as the channel has been clear for
    // lbt_sense_us without interruption, within a sliding window of word 1 ms (sigfox_api.h:
    // config_word[1] is the "maximum carrier sense sliding window (in ms)"; Pycom's
    // MANUF_API_wait_for_clear_channel "continues to listen to the channel till the
    // expiration of the carrier sense maximum window"). The window is counted from the end
    // of the previous frame (the inter-frame gap is in it; radio.md's "up to 5000 ms between
    // frames"): the frame may start at most word 1 ms after that end. If it cannot, the
    // message fails when the window expires (reason "max_time_between_frames"); the frames
    // sent so far stay sent. info() counts one attempt per sense before the first frame and
    // one per later frame's window (one MANUF_API_wait_for_clear_channel call each).
    //
    // "Clear" is exact in virtual time: the channel's level only changes when a frame starts
    // or ends, the medium tells when each frame on the air started and will end
    // (sigfox_medium::channel_uses), and the radio looks again at each of those ends and at
    // the end of each clear stretch of lbt_sense_us; from the snapshots at both ends of a
    // stretch it rebuilds the level at every instant in between. What no snapshot sees is a
    // frame that starts and ends between two of them, which would last less than
    // lbt_sense_us: no Sigfox, downlink or FSK frame is that short.
    void send_frame_locked() {
        if (params().access != sigfox_access::listen_before_talk) {
            transmit_frame_locked();
            return;
        }
        if (msg.sent == 0) {
            frame_cs_retries = 0;
            carrier_sense_locked();
        } else {
            open_cs_window_locked();
        }
    }

    sigfox_channel_snapshot channel_now_locked() const {
        return medium.channel_uses(radio, params().uplink_hz, lbt_channel_width_hz);
    }

    // --- the first frame: senses and retries -----------------------------------------------

    void carrier_sense_locked() {
        ++cs_attempts;
        auto at_start = std::make_shared<const sigfox_channel_snapshot>(channel_now_locked());
        const time_us from_us = w.now_us();
        later_locked(lbt_sense_us, [at_start, from_us](impl& r) { r.carrier_sense_done_locked(*at_start, from_us); });
    }

    void carrier_sense_done_locked(const sigfox_channel_snapshot& at_start, time_us from_us) {
        const channel_profile seen = profile_between(at_start, from_us, channel_now_locked(), w.now_us());
        if (seen.max_dbm <= lbt_threshold_dbm) {
            transmit_frame_locked();
            return;
        }
        if (frame_cs_retries < lbt_retries) {
            ++frame_cs_retries;
            later_locked(lbt_retry_us, [](impl& r) { r.carrier_sense_locked(); });
            return;
        }
        lbt_failed_locked(seen.max_dbm, frame_cs_retries + 1, "retries");
    }

    // --- a later frame: the sliding window -------------------------------------------------

    void open_cs_window_locked() {
        ++cs_attempts;
        cs_window_deadline_us = msg.last_frame_end_us + lbt_max_between_frames_us;
        cs_clear_since_us.reset();
        cs_last_look.reset();
        cs_look_locked();
    }

    /// One look at the channel during the window: is it clear, since when, and when to look
    /// again (the end of the clear stretch, or the next end of a frame on the air).
    void cs_look_locked() {
        const time_us now = w.now_us();
        auto snapshot = std::make_shared<const sigfox_channel_snapshot>(channel_now_locked());
        const channel_profile seen = cs_last_look ? profile_between(*cs_last_look, cs_last_look_us, *snapshot, now)
                                                   : profile_between(*snapshot, now, *snapshot, now);
        if (!seen.clear_from_us) {
            cs_clear_since_us.reset();  // busy now
        } else if (!cs_clear_since_us || *seen.clear_from_us > cs_last_look_us) {
            // Clear from then on (a clear stretch is kept only if nothing broke it since).
            cs_clear_since_us = seen.clear_from_us;
        }
        cs_last_look = snapshot;
        cs_last_look_us = now;
        if (cs_clear_since_us && now - *cs_clear_since_us >= lbt_sense_us) {
            transmit_frame_locked();
            return;
        }
        std::optional<time_us> look_at_us;
        std::optional<time_us> go_at_us;
        if (cs_clear_since_us) {
            look_at_us = *cs_clear_since_us + lbt_sense_us;
            go_at_us = look_at_us;
        } else {
            for (const auto& u : snapshot->uses) {
                if (u.end_us > now && (!look_at_us || u.end_us < *look_at_us)) {
                    look_at_us = u.end_us;
                }
            }
            if (look_at_us) {
                go_at_us = *look_at_us + lbt_sense_us;  // the earliest it could go
            }
        }
        if (!go_at_us || *go_at_us > cs_window_deadline_us) {
            // Nothing can make it clear sooner: listen on until the window expires.
            later_locked(std::max<time_us>(cs_window_deadline_us - now, 0), [](impl& r) { r.cs_window_expired_locked(); });
            return;
        }
        later_locked(*look_at_us - now, [](impl& r) { r.cs_look_locked(); });
    }

    void cs_window_expired_locked() {
        const time_us now = w.now_us();
        const sigfox_channel_snapshot snapshot = channel_now_locked();
        const double now_dbm = profile_between(snapshot, now, snapshot, now).now_dbm;
        cs_last_look.reset();
        lbt_failed_locked(now_dbm, 1, "max_time_between_frames");
    }

    void lbt_failed_locked(double rssi_dbm, int attempts, const char* reason) {
        if (w.logging()) {
            w.log("sigfox_lbt_failed", name,
                  {{"rssi_dbm", rssi_dbm},
                   {"repetition", std::int64_t{msg.sent}},
                   {"attempts", std::int64_t{attempts}},
                   {"reason", std::string(reason)}});
        }
        last_frames_sent = msg.sent;
        finish_locked(false);
    }

    std::int64_t pick_frequency_locked(time_us now) {
        const sigfox_zone_params& p = params();
        const auto guard = static_cast<std::int64_t>(uplink_signal_bandwidth_hz(p.uplink_bps));
        std::int64_t low = p.uplink_hz - p.macro_channel_hz / 2;
        std::int64_t width = p.macro_channel_hz;
        if (p.access == sigfox_access::frequency_hopping) {
            std::vector<int> free;
            for (int i = 0; i < fcc_micro_channels; ++i) {
                if (now - micro_used_at[static_cast<std::size_t>(i)] >= fcc_micro_channel_reuse_us) {
                    free.push_back(i);
                }
            }
            if (free.empty()) {
                channel_not_default = true;  // the library would hop off the default channel
                for (int i = 0; i < fcc_micro_channels; ++i) {
                    free.push_back(i);
                }
            }
            const int m = free[std::uniform_int_distribution<std::size_t>(0, free.size() - 1)(rng)];
            micro_used_at[static_cast<std::size_t>(m)] = now;
            width = p.macro_channel_hz / fcc_micro_channels;
            low += m * width;
        }
        return std::uniform_int_distribution<std::int64_t>(low + guard, low + width - guard)(rng) + freq_offset_hz;
    }

    void transmit_frame_locked() {
        const time_us now = w.now_us();
        const sigfox_zone_params& p = params();
        sigfox_frame f;
        f.modulation = sigfox_modulation::uplink_dbpsk;
        f.frequency_hz = pick_frequency_locked(now);
        f.bit_rate_bps = p.uplink_bps;
        f.tx_power_dbm = p.eirp_dbm;
        f.airtime_us = uplink_frame_us(msg.cls, p.uplink_bps);
        f.device_id = device_id;
        f.sequence_number = msg.sequence_number;
        f.repetition = msg.sent;
        f.frames_in_message = msg.frames;
        f.frame_type = frame_type(msg.cls, msg.sent);
        f.bit_frame = msg.bit_frame;
        f.bit_value = msg.bit_value;
        f.oob = msg.oob || msg.ack;
        f.downlink_request = msg.downlink;
        f.zone = zone;
        // Frames after the first know when it ended; the first one ends now + its airtime.
        f.first_frame_end_us = msg.sent == 0 ? now + f.airtime_us : msg.first_frame_end_us;
        f.payload = msg.payload;
        if (msg.sent == 0) {
            msg.first_frame_end_us = f.first_frame_end_us;
            msg.first_frequency_hz = f.frequency_hz;
        }
        stats.last_frame_frequencies_hz.push_back(f.frequency_hz);
        transmit_locked(std::move(f), [](impl& r) { r.frame_done_locked(); });
    }

    time_us gap_locked() const {
        const sigfox_access access = params().access;
        if (access == sigfox_access::listen_before_talk) {
            return inter_frame_lbt_us;
        }
        if (access == sigfox_access::frequency_hopping) {
            return inter_frame_trx_fh_us;
        }
        return msg.downlink ? inter_frame_trx_etsi_us : inter_frame_tx_us;
    }

    void frame_done_locked() {
        ++stats.frames_sent;
        ++msg.sent;
        msg.last_frame_end_us = w.now_us();
        last_frames_sent = msg.sent;
        if (msg.sent < msg.frames) {
            later_locked(gap_locked(), [](impl& r) { r.send_frame_locked(); });
            return;
        }
        if (msg.ack) {
            finish_locked(true);
        } else if (msg.downlink) {
            const time_us open_at = std::max(w.now_us(), msg.first_frame_end_us + downlink_wait_us);
            later_locked(open_at - w.now_us(), [](impl& r) { r.open_window_locked(); });
        } else {
            if (msg.oob && current.downlink) {
                // modsigfox.c queues rx_data whenever SO_RX was set; send_outofband leaves its
                // 8 zero-initialised bytes untouched.
                downlink_payload = std::vector<std::uint8_t>(sigfox_downlink_bytes, 0);
            }
            finish_locked(true);
        }
    }

    void open_window_locked() {
        const sigfox_zone_params& p = params();
        awaiting_downlink = true;
        // The downlink keeps the uplink's offset in the band (freq_offset already in it).
        expected_downlink_hz = msg.first_frequency_hz + (p.downlink_hz - p.uplink_hz);
        sigfox_band band;
        band.modulation = sigfox_modulation::downlink_gfsk;
        band.centre_hz = expected_downlink_hz;
        band.width_hz = 2 * downlink_tolerance_hz;
        band.bit_rate_bps = downlink_bps;
        band.sensitivity_dbm = medium.model().device_downlink_sensitivity_dbm;
        medium.listen(radio, {band});
        std::weak_ptr<impl> weak = shared_from_this();
        const std::uint64_t e = epoch;
        window_close = w.schedule_after(listen_window_us, [weak, e] {
            if (const auto self = weak.lock()) {
                self->run_if_current(e, [](impl& r) { r.close_window_locked(); });
            }
        });
    }

    void close_window_locked() {
        if (!awaiting_downlink) {
            return;
        }
        awaiting_downlink = false;
        window_close = 0;
        medium.listen(radio, {});
        if (w.logging()) {
            w.log("sigfox_downlink_timeout", name, {{"seq", std::int64_t{msg.sequence_number}}});
        }
        finish_locked(false);
    }

    void on_receive(const sigfox_reception& rx) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (closed || !opened) {
                return;
            }
            const sigfox_frame& f = *rx.frame;
            if (f.modulation == sigfox_modulation::downlink_gfsk && awaiting_downlink && f.device_id == device_id) {
                awaiting_downlink = false;
                if (window_close != 0) {
                    w.cancel(window_close);
                    window_close = 0;
                }
                medium.listen(radio, {});
                last_rssi_dbm = static_cast<int>(std::lround(rx.rssi_dbm));
                std::vector<std::uint8_t> data = f.payload;
                data.resize(sigfox_downlink_bytes, 0);
                downlink_payload = std::move(data);
                ++stats.downlinks_received;
                // SFX_DLY_OOB_ACK, then the out-of-band "control/ack" uplink.
                const int rssi = *last_rssi_dbm;
                later_locked(oob_ack_delay_us,
                             [rssi](impl& r) { r.start_message_locked(true, true, oob_status(rssi)); });
            } else if (f.modulation == sigfox_modulation::fsk && mode == sigfox_mode::fsk && !busy) {
                push_inbox_locked(f.payload, "fsk");
            }
        }
        flush();
    }
};

sigfox_radio::sigfox_radio(sigfox_medium& medium, std::string name, position_m where, std::uint32_t device_id)
    : impl_(std::make_shared<impl>(medium, std::move(name), device_id)) {
    std::weak_ptr<impl> weak = impl_;
    impl_->radio = medium.attach(impl_->name, where, [weak](const sigfox_reception& rx) {
        if (const auto self = weak.lock()) {
            self->on_receive(rx);
        }
    });
}

sigfox_radio::~sigfox_radio() { close(); }

bool sigfox_radio::open(sigfox_mode mode, sigfox_zone zone, std::int64_t fsk_frequency_hz) {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl& r = *impl_;
        if (r.closed) {
            return false;
        }
        ++r.epoch;  // SIGFOX_API_close: a transaction in progress ends here, in error
        if (r.busy) {
            r.awaiting_downlink = false;
            r.finish_locked(false);
        }
        r.pick_scheduled = false;
        r.mode = mode;
        if (mode == sigfox_mode::sigfox) {
            r.zone = zone;
            r.lbt_retries = lbt_default_retries;
            r.lbt_max_between_frames_us = lbt_default_max_between_frames_us;
            r.reset_micro_channels_locked();
        } else {
            r.fsk_frequency_hz = fsk_frequency_hz;
        }
        r.opened = true;
        r.awaiting_downlink = false;
        r.medium.listen(r.radio, {});
        r.listen_idle_locked();
        r.schedule_pick_locked();
    }
    impl_->flush();
    return true;
}

bool sigfox_radio::is_open() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->opened && !impl_->closed;
}

sigfox_mode sigfox_radio::mode() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->mode;
}

sigfox_zone sigfox_radio::zone() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->zone;
}

std::uint32_t sigfox_radio::device_id() const noexcept { return impl_->device_id; }

void sigfox_radio::close() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->closed) {
            return;
        }
        impl_->closed = true;
        ++impl_->epoch;
        impl_->chip.release();
        impl_->medium.detach(impl_->radio);
    }
    impl_->changed.notify_all();
}

void sigfox_radio::share_chip(std::shared_ptr<radio_mutex> chip) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->chip.share(std::move(chip));
}

void sigfox_radio::set_config_words(const std::array<std::uint32_t, 3>& words) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->zone == sigfox_zone::rcz3) {
        impl_->lbt_retries = static_cast<int>(words[0] & 0xFF);  // "lower 8 bits"
        impl_->lbt_max_between_frames_us = static_cast<time_us>(words[1]) * 1'000;
    }
}

std::uint8_t sigfox_radio::info_byte() const {
    const time_us now = impl_->w.now_us();
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const impl& r = *impl_;
    switch (r.params().access) {
    case sigfox_access::frequency_hopping:
        return static_cast<std::uint8_t>((r.free_micro_channels_locked(now) << 4) | (r.channel_not_default ? 1 : 0));
    case sigfox_access::listen_before_talk:
        return static_cast<std::uint8_t>(((std::min(r.cs_attempts, 31) << 3) | (r.last_frames_sent & 0x07)) & 0xFF);
    case sigfox_access::duty_cycle: return 0;
    }
    return 0;
}

void sigfox_radio::reset_macro_channel() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->reset_micro_channels_locked();
}

std::optional<int> sigfox_radio::last_downlink_rssi_dbm() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->last_rssi_dbm;
}

std::uint16_t sigfox_radio::sequence_number() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->next_sequence;
}

void sigfox_radio::set_sequence_number(std::uint16_t value) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->next_sequence = static_cast<std::uint16_t>(value % sequence_modulo);
}

void sigfox_radio::set_freq_offset_hz(int offset_hz) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->freq_offset_hz = offset_hz;
    impl_->listen_idle_locked();
}

sigfox_radio::send_status sigfox_radio::send(sigfox_send_request request, std::optional<time_us> queue_wait_us,
                                             bool wait_done) {
    impl& r = *impl_;
    std::optional<time_us> queue_deadline_us;
    if (queue_wait_us) {
        queue_deadline_us = r.w.now_us() + std::max<time_us>(*queue_wait_us, 0);
    }
    std::uint64_t done_seen = 0;
    std::uint64_t fail_seen = 0;
    for (;;) {
        const std::uint64_t seen = r.changed.generation();
        {
            std::lock_guard<std::mutex> lock(r.mutex);
            if (r.closed) {
                return send_status::halted;
            }
            if (!r.opened) {
                return send_status::not_open;
            }
            if (r.commands.size() < command_queue_depth) {
                // xEventGroupClearBits before the queueing: only later ends count.
                done_seen = r.done_count;
                fail_seen = r.fail_count;
                r.commands.push_back(std::move(request));
                r.schedule_pick_locked();
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
    if (!wait_done) {
        return send_status::queued;
    }
    for (;;) {
        const std::uint64_t seen = r.changed.generation();
        {
            std::lock_guard<std::mutex> lock(r.mutex);
            if (r.done_count > done_seen) {
                // The event bits OR together: any error since the call made it fail.
                return r.fail_count > fail_seen ? send_status::failed : send_status::done;
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

wait_status sigfox_radio::receive(std::optional<time_us> wait_us, std::size_t max_bytes, std::vector<std::uint8_t>& out) {
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

std::size_t sigfox_radio::received_pending() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->inbox.size();
}

bool sigfox_radio::can_queue() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->opened && impl_->commands.size() < command_queue_depth;
}

sigfox_radio_stats sigfox_radio::stats() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->stats;
}

}  // namespace usocket::sim
