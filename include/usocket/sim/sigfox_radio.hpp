// usocket/sim/sigfox_radio.hpp: one device's Sigfox radio as the Pycom firmware's Sigfox task
// and the Sigfox library drive it (esp32/sigfox/modsigfox.c TASK_Sigfox, manufacturer_api.c;
// pycom-api.md 5.3, radio.md 5.3): a command queue of 2, a receive queue of 3, messages of
// 3 frames (1 + tx_repeat with a downlink request) on random frequencies of the macro
// channel, the downlink wait and listen window, the OOB ack, the FCC spacing, LBT, and the
// SiPy's point-to-point FSK. Sockets live above this (src/sigfox_backend.cpp); the medium
// below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/sigfox_medium.hpp"
#include "usocket/sim/radio_mutex.hpp"
#include "usocket/sim/sigfox_phy.hpp"
#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// Sigfox.SIGFOX and Sigfox.FSK.
enum class sigfox_mode : int { sigfox = 0, fsk = 1 };

/// One send as a socket asks for it (its SOL_SIGFOX options at the time of the call).
struct sigfox_send_request {
    std::vector<std::uint8_t> payload;  ///< empty: the bit frame (SIGFOX mode)
    bool bit_value = false;             ///< SO_BIT, for the bit frame
    bool oob = false;                   ///< SO_OOB: an out-of-band frame, payload ignored
    bool downlink = false;              ///< SO_RX: request a downlink
    int tx_repeat = 2;                  ///< SO_TX_REPEAT, used only with a downlink request
};

/// What the radio did so far (for tests and the log).
struct sigfox_radio_stats {
    std::uint64_t messages_sent = 0;  ///< uplink messages, OOB acks included
    std::uint64_t frames_sent = 0;
    std::uint64_t downlinks_received = 0;
    std::uint64_t failures = 0;       ///< transactions that ended in error
    std::uint16_t last_sequence_number = 0;
    /// Frequencies of the frames of the last uplink message, in order.
    std::vector<std::int64_t> last_frame_frequencies_hz;
    time_us last_transaction_start_us = 0;
    time_us last_transaction_end_us = 0;
};

class sigfox_radio {
public:
    /// SIGFOX_CMD_QUEUE_SIZE_MAX: commands waiting for the task (one more may be in progress).
    static constexpr std::size_t command_queue_depth = 2;
    /// SIGFOX_DATA_QUEUE_SIZE_MAX: downlinks / FSK frames waiting for recv(); more are dropped.
    static constexpr std::size_t receive_queue_depth = 3;
    /// TASK_Sigfox loops with vTaskDelay(2 ms): a queued command starts at the next tick.
    static constexpr time_us task_tick_us = 2'000;

    /// MANUF_API_delay (manufacturer_api.c), which Pycom's port implements with fixed values
    /// where the Sigfox specification gives ranges (radio.md 5.3): SFX_DLY_INTER_FRAME_TX
    /// (uplink only, ETSI; the spec says random 0-2 s) is 1000 + 1 ms...
    static constexpr time_us inter_frame_tx_us = 1'001'000;
    /// ...SFX_DLY_INTER_FRAME_TRX (downlink request, and every FCC frame) is 500 + 1 ms minus
    /// the ramp time: 25 ms in ETSI zones, 1 ms in frequency-hopping ones...
    static constexpr time_us inter_frame_trx_etsi_us = 476'000;
    static constexpr time_us inter_frame_trx_fh_us = 500'000;
    /// ...and 50 + 1 ms for both in LBT zones (ARIB minimum).
    static constexpr time_us inter_frame_lbt_us = 51'000;
    /// SFX_DLY_OOB_ACK: 2000 + 1 ms from the downlink to the OOB ack uplink.
    static constexpr time_us oob_ack_delay_us = 2'001'000;

    /// The library's downlink timers (radio.md 5.3): a 20 s wait counted from the end of the
    /// first uplink frame, then a listen window of up to 25 s.
    static constexpr time_us downlink_wait_us = sigfox_downlink_wait_us;
    static constexpr time_us listen_window_us = sigfox_listen_window_us;
    /// The device accepts a downlink within this much of the frequency it expects (the
    /// uplink's offset carried to the downlink band).
    static constexpr double downlink_tolerance_hz = 1'500.0;

    /// modsigfox.c SFX_RESET_FCC_MIN_DELAY_S: after a macro-channel reset (RCZ2/RCZ4), at
    /// least 23 s since the previous send started (the firmware's tx_timestamp)...
    static constexpr time_us fcc_reset_min_spacing_us = 23'000'000;
    /// ...which happens when no micro channel of the default macro channel is free: 6 of them
    /// (radio.md 5.1), none reused within 20 s. So two messages of 3 frames, then a wait.
    static constexpr int fcc_micro_channels = 6;
    static constexpr time_us fcc_micro_channel_reuse_us = 20'000'000;

    /// LBT (RCZ3, radio.md 5.1): the 200 kHz Sigfox channel must be below -80 dBm...
    static constexpr double lbt_threshold_dbm = -80.0;
    static constexpr double lbt_channel_width_hz = 200'000.0;
    /// ...continuously for the minimum carrier-sense time (assumed 5 ms; cs_min is a library
    /// parameter). Before the first frame of a message a busy channel is tried again after
    /// SFX_DLY_CS_SLEEP (500 + 1 ms), up to the config word's retries (RC3_CONFIG word 0:
    /// 3, radio.md 5.1 "3 carrier-sense retries before the first frame")...
    static constexpr time_us lbt_sense_us = 5'000;
    static constexpr time_us lbt_retry_us = 501'000;
    static constexpr int lbt_default_retries = 3;
    /// ...and a later frame listens without a break in a sliding window (sigfox_api.h: word
    /// 1 is the "maximum carrier sense sliding window"; RC3_CONFIG word 1: 0x1388 = 5000 ms,
    /// radio.md 5.1 "up to 5000 ms between frames"), counted from the end of the previous
    /// frame: it goes once the channel has been clear for lbt_sense_us, if that is within
    /// word 1 ms of that end.
    static constexpr time_us lbt_default_max_between_frames_us = 5'000'000;

    /// Sequence numbers have 12 bits.
    static constexpr std::uint16_t sequence_modulo = 4096;

    /// A radio on `medium` for the device whose Sigfox ID is `device_id` (id() read big-endian),
    /// named `name` in the event log. Closed until open().
    sigfox_radio(sigfox_medium& medium, std::string name, position_m where, std::uint32_t device_id);
    ~sigfox_radio();
    sigfox_radio(const sigfox_radio&) = delete;
    sigfox_radio& operator=(const sigfox_radio&) = delete;

    /// E_SIGFOX_CMD_INIT: SIGFOX mode opens the library in `zone` (RCZ2/RCZ4 start on the
    /// default macro channel, all micro channels free); FSK mode tunes to `fsk_frequency_hz`
    /// and listens while idle. Queued commands stay. False if the radio was closed.
    bool open(sigfox_mode mode, sigfox_zone zone, std::int64_t fsk_frequency_hz);
    bool is_open() const;
    sigfox_mode mode() const;
    sigfox_zone zone() const;
    std::uint32_t device_id() const noexcept;
    /// Leaves the air for good (the device reboots); waits end as halted.
    void close();

    /// LoPy4/FiPy: the SX1276 this radio shares with LoRa; each message holds it from start
    /// to end (none: the radio has a chip of its own, as on the SiPy).
    void share_chip(std::shared_ptr<radio_mutex> chip);

    /// SIGFOX_API_set_std_config: RCZ3 takes the first frame's carrier-sense retries from
    /// word 0 (low 8 bits) and a later frame's sliding window from word 1 (ms).
    void set_config_words(const std::array<std::uint32_t, 3>& words);
    /// SIGFOX_API_get_info: RCZ2/RCZ4: bits 0-3 "channel not default", bits 4-7 free micro
    /// channels; RCZ3: bits 0-2 frames sent, bits 3-7 carrier-sense attempts of the last
    /// message (each sense before the first frame, and one per later frame's sliding
    /// window); RCZ1: 0.
    std::uint8_t info_byte() const;
    /// SIGFOX_API_reset (RCZ2/RCZ4): back to the default macro channel, all micro channels free.
    void reset_macro_channel();
    /// The RSSI of the last downlink received, rounded, in dBm; nullopt before one.
    std::optional<int> last_downlink_rssi_dbm() const;
    /// The next message's sequence number (SFX_SEQ in the Sigfox NVM), and setting it.
    std::uint16_t sequence_number() const;
    void set_sequence_number(std::uint16_t value);
    /// freq_offset(): Hz added to every frequency the radio tunes to.
    void set_freq_offset_hz(int offset_hz);

    enum class send_status {
        done,        ///< waited: the transaction it waited for ended well
        queued,      ///< not waited
        queue_full,  ///< no room within the wait (EAGAIN)
        failed,      ///< waited: the transaction ended in error (ENETDOWN)
        not_open,    ///< the library is not open
        halted,
    };
    /// Queues a send, waiting up to `queue_wait_us` for room (none: for ever; 0: no wait);
    /// then, if `wait_done`, waits without limit for the next transaction end, as
    /// sigfox_socket_send waits for the task's event bits: a blocking send queued behind a
    /// non-blocking one returns when that one ends. Device threads only, when they may wait.
    send_status send(sigfox_send_request request, std::optional<time_us> queue_wait_us, bool wait_done);

    /// Takes up to `max_bytes` of the oldest received frame; the rest waits for the next call
    /// (the firmware's sigfox_partial_rx_packet). Waits up to `wait_us` (none: for ever).
    wait_status receive(std::optional<time_us> wait_us, std::size_t max_bytes, std::vector<std::uint8_t>& out);
    std::size_t received_pending() const;
    bool can_queue() const;

    sigfox_radio_stats stats() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
