// usocket/sim/lora_medium.hpp: the air all LoRa radios of one world share.
//
// Every frame is a transmission with a start time, an exact duration, a frequency, a
// modulation, an IQ polarity, a sync word and a power. A radio that listens with matching
// settings, is not transmitting and receives it above its sensitivity gets the frame at
// its end, unless a collision destroyed it (radio.md section 4, LoRaSim's rules, applied
// at each receiver with that receiver's received powers). The medium knows radios, not
// devices or sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// A place in the world, in metres.
struct position_m {
    double x_m = 0;
    double y_m = 0;
    double z_m = 0;
};

/// The physical model; every constant is named after its source and can be changed per world.
struct lora_model {
    // Log-distance path loss PL(d) = PL(d0) + 10 gamma log10(d / d0) + X_sigma, with the
    // parameters Bor et al. fitted to their measurements (radio.md 4.3, LoRaSim 0.2.1).
    double reference_distance_m = 40.0;
    double reference_path_loss_db = 127.41;
    double path_loss_exponent = 2.08;
    /// Log-normal shadowing standard deviation; LoRaSim measured 3.57 dB but simulates 0.
    double shadowing_sigma_db = 0.0;
    /// Distances below this count as this (the log-distance model has no meaning at 0 m).
    double minimum_distance_m = 1.0;

    /// Full LoRaSim collision model (capture and preamble lock); false: any overlap of two
    /// frames on one channel and SF destroys both ("simple model", LoRaSim collision=0).
    bool capture = true;
    /// A frame at least this much stronger survives a collision (LoRaSim powerThreshold).
    double capture_threshold_db = 6.0;
    /// A new frame survives an older one that ends within its first this many symbols: the
    /// receiver needs the last 5 of 8 preamble symbols clean (LoRaSim timingCollision).
    int preamble_lock_grace_symbols = 3;
    /// Frames of different SFs interfere only with this on, by the Goursaud & Gorce (2015)
    /// co-channel rejection table (as used by the ns-3 lorawan module); off, SFs are
    /// orthogonal, as in LoRaSim.
    bool inter_sf_interference = false;
    /// Frequencies closer than this interact (LoRaSim frequencyCollision, in Hz as the
    /// paper meant it): 30 kHz at 125 kHz bandwidth, 60 at 250, 120 at 500.
    double channel_overlap_125khz_hz = 30000;
    double channel_overlap_250khz_hz = 60000;
    double channel_overlap_500khz_hz = 120000;
};

/// What a radio listens for.
struct lora_listen_settings {
    std::int64_t frequency_hz = 868000000;
    int spreading_factor = 7;
    std::int64_t bandwidth_hz = 125000;
    bool iq_inverted = false;
    std::uint8_t sync_word = 0x34;
};

/// One frame put on the air.
struct lora_frame {
    std::int64_t frequency_hz = 868000000;
    lora_modulation modulation;
    bool iq_inverted = false;
    std::uint8_t sync_word = 0x34;
    double tx_power_dbm = 14.0;
    std::vector<std::uint8_t> payload;
};

/// A frame as a receiver got it.
struct lora_reception {
    std::uint64_t frame_id = 0;
    std::string sender;
    std::int64_t frequency_hz = 0;
    int spreading_factor = 0;
    std::int64_t bandwidth_hz = 0;
    double rssi_dbm = 0;
    double snr_db = 0;
    time_us start_us = 0;
    time_us end_us = 0;
    std::shared_ptr<const std::vector<std::uint8_t>> payload;
};

/// A frame that was on the air, as a sniffer listening on every channel would record it
/// (set_frame_observer): what was sent, and how well the best receiver got it.
struct lora_observed_frame {
    std::uint64_t frame_id = 0;
    std::string sender;
    time_us start_us = 0;
    time_us end_us = 0;
    std::int64_t frequency_hz = 0;
    lora_modulation modulation;
    bool iq_inverted = false;
    std::uint8_t sync_word = 0;
    double tx_power_dbm = 0;
    std::shared_ptr<const std::vector<std::uint8_t>> payload;

    struct reception_quality {
        double rssi_dbm = 0;
        double snr_db = 0;
    };
    /// RSSI and SNR at the radio that received the frame with the highest RSSI; nullopt
    /// when no radio received it (nobody listened, or every receiver lost it).
    std::optional<reception_quality> best_reception;
};

/// Why a receiver that listened did not get a frame (logged as "reason").
enum class lora_loss {
    collision,
    below_sensitivity,
    wrong_iq,
    wrong_sync_word,
    deaf_while_transmitting,  ///< the receiver started transmitting during the frame
    receiver_off,             ///< it stopped listening or changed channel during the frame
};
const char* loss_name(lora_loss loss) noexcept;

/// Counters of the whole medium.
struct lora_medium_counters {
    std::uint64_t transmissions = 0;
    std::uint64_t receptions = 0;
    std::uint64_t collisions = 0;
    std::uint64_t below_sensitivity = 0;
    std::uint64_t other_losses = 0;
};

class lora_medium {
public:
    using radio_id = std::uint32_t;
    using receive_handler = std::function<void(const lora_reception&)>;
    using frame_observer = std::function<void(const lora_observed_frame&)>;

    /// Draws its shadowing from a generator seeded by the world's (seeded) generator.
    lora_medium(world& w, lora_model model = {});
    ~lora_medium();
    lora_medium(const lora_medium&) = delete;
    lora_medium& operator=(const lora_medium&) = delete;

    const lora_model& model() const noexcept;
    world& owner() const noexcept;

    /// A radio at `where`; `on_receive` runs (in a world event, no lock held) for each
    /// frame it gets. `name` appears in the event log.
    radio_id attach(std::string name, position_m where, receive_handler on_receive);
    /// The radio leaves the air; frames it was receiving are dropped, its own frame stays.
    void detach(radio_id radio);
    void move(radio_id radio, position_m where);

    /// Starts listening (or changes what it listens for); nullopt stops. Frames already
    /// being received under other settings are lost (receiver_off).
    void listen(radio_id radio, std::optional<lora_listen_settings> settings);

    /// Puts a frame on the air now; the radio cannot receive until it ends. `on_done` runs
    /// in the world event at its end. Returns the frame's id.
    std::uint64_t transmit(radio_id radio, lora_frame frame, std::function<void()> on_done = {});
    /// True while the radio's own frame is on the air.
    bool transmitting(radio_id radio) const;
    /// True while a frame the radio listens for (its frequency, SF and bandwidth, its IQ
    /// polarity and sync word, above its sensitivity, heard since it began and not yet lost)
    /// is on the air at it: a receiver that detected a preamble and keeps its window open.
    bool receiving(radio_id radio) const;

    /// Received power at `radio` of everything on the air overlapping `frequency_hz` and
    /// `bandwidth_hz`, noise included (what an RSSI reading shows).
    double channel_rssi_dbm(radio_id radio, std::int64_t frequency_hz, std::int64_t bandwidth_hz) const;

    /// Carrier sense over a window: start_sensing() begins, stop_sensing() returns the
    /// highest RSSI seen since (frames on the air at the start count).
    using sense_id = std::uint64_t;
    sense_id start_sensing(radio_id radio, std::int64_t frequency_hz, std::int64_t bandwidth_hz);
    double stop_sensing(sense_id id);

    /// Path loss in dB between two points (no shadowing).
    double path_loss_db(position_m a, position_m b) const noexcept;

    lora_medium_counters counters() const;

    /// `observer` runs once for every frame, at its end (in the world event that decides
    /// its receptions, no lock held, before the receivers get it); empty: none. One at a
    /// time: a new one replaces the old.
    void set_frame_observer(frame_observer observer);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
