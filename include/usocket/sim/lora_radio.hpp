// usocket/sim/lora_radio.hpp: one device's LoRa radio in raw mode, as the Pycom firmware's
// LoRa task drives it (pycom-api.md 3.5, 3.7, 4.5): a command queue of 7 frames sent one
// by one after listen-before-talk, a receive queue of 7 frames shared by every socket,
// statistics and events. Sockets live above this (src/lora_backend.cpp); the medium below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/radio_mutex.hpp"
#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// LoRa.ALWAYS_ON, TX_ONLY, SLEEP.
enum class lora_power_mode : int { always_on = 0, tx_only = 1, sleep = 2 };

/// Sync words the firmware programs for public=True / public=False (SX127x register 0x39).
inline constexpr std::uint8_t public_sync_word = 0x34;
inline constexpr std::uint8_t private_sync_word = 0x12;

/// The radio settings of LoRa.init() in raw mode.
struct lora_radio_settings {
    std::int64_t frequency_hz = 868000000;
    int tx_power_dbm = 14;
    std::int64_t bandwidth_hz = 125000;
    int spreading_factor = 7;
    int preamble_symbols = 8;
    int coding_rate = 1;  ///< 1..4 for 4/5..4/8
    bool tx_iq = false;   ///< transmit with inverted IQ
    bool rx_iq = false;   ///< receive inverted IQ
    bool public_network = true;
    lora_power_mode power_mode = lora_power_mode::always_on;
};

/// lora.stats() in the firmware's field order.
struct lora_radio_stats {
    std::int64_t rx_timestamp_us = 0;
    int rssi_dbm = 0;
    double snr_db = 0;
    int sf_rx = 0;
    int sf_tx = 0;
    int tx_trials = 0;
    int tx_power_dbm = 0;
    std::uint32_t tx_time_on_air_ms = 0;
    std::uint32_t tx_counter = 0;
    std::int64_t tx_frequency_hz = 0;
};

/// LoRa.RX_PACKET_EVENT, TX_PACKET_EVENT, TX_FAILED_EVENT.
namespace lora_event {
inline constexpr int rx_packet = 1;
inline constexpr int tx_packet = 2;
inline constexpr int tx_failed = 4;
}  // namespace lora_event

class lora_radio {
public:
    /// Frames the command queue holds (modlora.c xQueueCreate(LORA_CMD_QUEUE_SIZE_MAX = 7)).
    static constexpr std::size_t command_queue_depth = 7;
    /// Frames the receive queue holds; more are dropped (LORA_DATA_QUEUE_SIZE_MAX = 7).
    static constexpr std::size_t receive_queue_depth = 7;
    static constexpr std::size_t max_payload_bytes = 255;
    /// Listen-before-talk: the task samples RSSI this long before each frame...
    static constexpr time_us lbt_sample_us = 1000;
    /// ...and, if it was above this, tries again one task tick later.
    static constexpr double lbt_threshold_dbm = -85.0;
    static constexpr time_us lbt_retry_us = 2000;

    /// A radio on `medium`, named `name` in the event log. stats().rx_timestamp counts
    /// microseconds from `clock_origin_us` (the device's boot).
    lora_radio(lora_medium& medium, std::string name, position_m where, time_us clock_origin_us);
    ~lora_radio();
    lora_radio(const lora_radio&) = delete;
    lora_radio& operator=(const lora_radio&) = delete;

    /// Re-initialises the radio with `settings`: ALWAYS_ON listens, TX_ONLY and SLEEP sleep.
    /// Queued frames and received frames are kept.
    void configure(const lora_radio_settings& settings);
    lora_radio_settings settings() const;
    void set_power_mode(lora_power_mode mode);
    lora_power_mode power_mode() const;
    /// The radio's own stand-in for the SX127x reset: re-runs configure() with its settings.
    void reset();
    /// Leaves the air for good (the device reboots); waits end as halted.
    /// LoPy4/FiPy: the SX1276 this radio shares with Sigfox; a raw frame holds it from its
    /// listen-before-talk to its end (none: a chip of its own).
    void share_chip(std::shared_ptr<radio_mutex> chip);

    void close();

    /// Whole milliseconds on air of a `payload_bytes` frame now, as the firmware reports it.
    std::uint32_t airtime_ms(std::size_t payload_bytes) const;
    /// Exact time on air of a `payload_bytes` frame now.
    time_us airtime_us(std::size_t payload_bytes) const;

    lora_radio_stats stats() const;
    /// Returns and clears the accumulated event bits (they accumulate whatever the trigger).
    int take_events();
    /// Events in `trigger` post `token` into `box` (the device's IRQ queue); a null box
    /// turns the callback off.
    void set_callback(int trigger, std::shared_ptr<mailbox> box, std::int64_t token);

    enum class send_status { sent, queued, queue_full, halted };
    /// Queues a frame, waiting up to `queue_wait_us` for room (none: for ever; 0: no wait;
    /// queue_full when none came); then, if `wait_sent`, waits without limit until the frame
    /// has been on the air. Device threads only, when they may wait.
    send_status send(std::vector<std::uint8_t> payload, std::optional<time_us> queue_wait_us, bool wait_sent);

    /// Takes up to `max_bytes` of the oldest received frame; a longer frame keeps its rest
    /// for the next call. Waits up to `wait_us` (none: for ever; 0: no wait) for one.
    wait_status receive(std::optional<time_us> wait_us, std::size_t max_bytes, std::vector<std::uint8_t>& out,
                        int& port);
    /// Frames (or partial frames) waiting in the receive queue.
    std::size_t received_pending() const;
    /// True while the command queue has room.
    bool can_queue() const;

    /// lora.ischannel_free(): listens `duration_us` on the current frequency; `free` is
    /// true when the RSSI stayed below `threshold_dbm`.
    wait_status channel_free(double threshold_dbm, time_us duration_us, bool& free);

    // --- for the LoRaWAN MAC, which drives the air in LoRaWAN mode ---------------------

    /// In LoRaWAN mode the MAC has the air: the raw task neither listens nor sends, while
    /// power_mode() keeps the script's setting (SLEEP still makes sends fail).
    void set_mac_mode(bool on);
    // The firmware keeps one receive queue, one event word and one stats block whatever the
    // mode: the MAC hands its downlinks and its uplink results to them here.

    /// What a received frame leaves in stats(): in LoRaWAN mode sfrx is the downlink's DR.
    struct received_info {
        time_us end_us = 0;
        double rssi_dbm = 0;
        double snr_db = 0;
        int sf_or_dr = 0;
    };
    /// Queues a downlink's FRMPayload with its FPort (dropped, and logged, when the queue
    /// is full), updates stats() and raises RX_PACKET_EVENT for a queued one.
    void deliver(std::vector<std::uint8_t> payload, int port, const received_info& info);
    /// The compliance test's echo (command 4): queued with the port the last downlink left
    /// (the firmware's rx_data_isr keeps it), without RX_PACKET_EVENT.
    void queue_echo(std::vector<std::uint8_t> payload, const received_info& info);
    /// Empties the receive queue (the compliance test starts: xQueueReset).
    void flush_received();
    /// What an uplink cycle leaves in stats() (pycom-api.md 4.5, LoRaWAN meanings).
    struct uplink_info {
        int dr = 0;
        int trials = 0;
        int tx_power_index = 0;
        std::uint32_t time_on_air_ms = 0;
        std::uint32_t fcnt_up = 0;
        std::int64_t frequency_hz = 0;
    };
    void record_uplink(const uplink_info& info);
    /// Raises event bits (TX_PACKET_EVENT, TX_FAILED_EVENT) and runs the callback if asked.
    void raise_events(int events);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
