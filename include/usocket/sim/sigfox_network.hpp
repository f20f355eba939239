// usocket/sim/sigfox_network.hpp: the Sigfox network of a world: base stations that hear
// uplinks through the medium, and the backend behind them, which merges the repetitions and
// the stations of one message into one record, applies the daily limits, and answers
// downlink requests through the best station (from a per-device queue, a callback, or echo).
//
// Times: the daily limits count in windows of 24 h of emulated time from t = 0 (day k is
// [k x 86400 s, (k+1) x 86400 s)), by the end of the message's first frame. A downlink starts
// `downlink_delay_us` after the device's listen window opened (20 s after the end of its
// first frame), so a blocking send with SO_RX in RCZ1 returns ~31 s after it started.
//
// Lock order: the network's lock is never held while calling the medium's transmit or the
// callback; the callback may call queue_downlink().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/sigfox_medium.hpp"

namespace usocket::sim {

struct sigfox_network_options {
    /// Commercial daily limits (radio.md 5.3): 140 uplinks, 4 downlinks per device and day.
    int uplinks_per_day = 140;
    int downlinks_per_day = 4;
    /// No queued downlink and no callback answer: send back the uplink's first 8 bytes
    /// (zero-padded).
    bool echo = false;
    /// From the device's window opening to the downlink's start (the backend's processing;
    /// an assumption, well inside the 25 s window).
    time_us downlink_delay_us = 1'500'000;
    /// A message whose last repetition was lost is closed this long after its first frame
    /// ended (3 frames of 2.08 s and two 1 s gaps end 6.2 s after it).
    time_us close_after_us = 10'000'000;
};

/// One uplink message as the backend recorded it.
struct sigfox_message_record {
    std::uint32_t device_id = 0;
    std::uint16_t sequence_number = 0;
    std::vector<std::uint8_t> payload;
    bool bit_frame = false;
    bool bit_value = false;
    bool oob = false;
    sigfox_zone zone = sigfox_zone::rcz1;
    /// When the backend got the message: the end of the first frame a station heard.
    time_us received_us = 0;
    /// The end of the message's first frame (heard or not): the downlink timing reference.
    time_us first_frame_end_us = 0;
    double rssi_dbm = 0;  ///< the best of every frame at every station
    int stations = 0;     ///< stations that heard at least one frame
    int frames_received = 0;  ///< distinct repetitions heard
    std::vector<std::string> station_names;
    std::string best_station;
    bool downlink_requested = false;
    bool downlink_answered = false;  ///< a station transmitted the downlink
    std::vector<std::uint8_t> downlink_payload;
    /// Over the day's uplink limit: recorded, not delivered (no callback, no downlink).
    bool over_limit = false;
    /// A downlink was due but the day's 4 were used: not sent.
    bool downlink_over_limit = false;
};

struct sigfox_network_counters {
    std::uint64_t messages = 0;
    std::uint64_t frames = 0;  ///< frame receptions, every station counted
    std::uint64_t over_limit = 0;
    std::uint64_t downlinks_sent = 0;
    std::uint64_t downlinks_over_limit = 0;
};

class sigfox_network {
public:
    /// Called once per delivered message (not over the limit), when it is complete; a value
    /// returned answers a downlink request (used only if none was queued; 8 bytes, shorter
    /// ones are zero-padded, longer ones cut).
    using message_callback = std::function<std::optional<std::vector<std::uint8_t>>(const sigfox_message_record&)>;

    explicit sigfox_network(sigfox_medium& medium, sigfox_network_options options = {});
    ~sigfox_network();
    sigfox_network(const sigfox_network&) = delete;
    sigfox_network& operator=(const sigfox_network&) = delete;

    const sigfox_network_options& options() const noexcept;
    void set_echo(bool on);
    bool echo() const;
    void set_limits(int uplinks_per_day, int downlinks_per_day);

    /// A base station at `where`, listening to the uplink band of every zone. Returns its index.
    std::size_t add_station(std::string name, position_m where);
    std::vector<std::string> station_names() const;

    /// Every message so far, in order of first reception.
    std::vector<sigfox_message_record> messages() const;
    /// Queues an 8-byte downlink for the device's next downlink request (FIFO per device);
    /// std::invalid_argument if not 8 bytes.
    void queue_downlink(std::uint32_t sigfox_id, std::vector<std::uint8_t> payload);
    std::size_t pending_downlinks(std::uint32_t sigfox_id) const;
    /// Replaces the callback; empty: none.
    void set_callback(message_callback callback);

    sigfox_network_counters counters() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
