// usocket/sim/lorawan_mac.hpp: the device side of LoRaWAN 1.0.2 as the Pycom firmware 1.20.2
// runs it (its LoRaMac-node 4.4 generation): OTAA and ABP activation, the uplink queue and
// its MAC cycles (transmission, RX1, RX2, confirmed retries, ADR back-off), downlinks, the
// MAC commands a device answers, class A and class C, and the state nvram_save() keeps.
//
// Sources: spec/pycom-api.md 3.4, 3.7, 4.2, 4.4-4.6, 4.8; spec/radio.md 2 and 3;
// spec/interop.md 4 and 5. Frames and keys come from lorawan_frame.hpp, regional rules
// from lorawan_region.hpp; nothing here knows of sockets or Python.
//
// The MAC owns one radio of the medium (attached under `name` at `where`) and drives it:
// uplinks with normal IQ and CRC on, RX windows listening with inverted IQ. The device's
// raw-mode lora_radio (`shared`) stays the firmware's one receive queue, event word and
// stats block: the MAC delivers downlinks (FPort 1..223 with a payload) there, records each
// finished uplink cycle there and raises TX_PACKET_EVENT / TX_FAILED_EVENT there. The owner
// keeps the raw radio off the air in LoRaWAN mode (power mode SLEEP, or detached).
//
// Threads: every MAC action runs in world events; device threads only queue work and wait
// (send, wait_joined) on a world signal, as lora_radio does. Lock order: MAC, then medium,
// then world; lora_radio is only called with the MAC's lock released.
//
// Timing model of an RX window (LoRaMac RxWindowSetup): the radio listens from the window's
// start (uplink end + RX delay, exactly) for rx_window_symbols symbols of the window's DR;
// if a frame it can receive is then on the air (lora_medium::receiving) it stays on until
// that frame ends or is lost; otherwise it closes. Window openings are scheduled when the
// uplink starts, so a network answering at exactly uplink end + 1 s (scheduled at the
// uplink's end) finds the receiver already listening.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_compliance.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_region.hpp"
#include "usocket/sim/radio_mutex.hpp"
#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// LoRa.CLASS_A = 0, LoRa.CLASS_C = 2 (there is no class B in 1.20.2).
enum class lorawan_device_class : std::uint8_t { a = 0, c = 2 };

/// What LoRa.init(mode=LoRa.LORAWAN, ...) gives the MAC (pycom-api.md 4.2).
struct lorawan_mac_settings {
    region_id region = region_id::eu868;
    bool adr = false;
    bool public_network = true;  ///< sync word 0x34 (public) or 0x12 (private)
    int tx_retries = 2;          ///< confirmed uplinks: tx_retries + 1 transmissions, at most 8
    lorawan_device_class device_class = lorawan_device_class::a;
    /// Enforce the regional duty-cycle sub-bands (and the join back-off). The firmware turns
    /// this off (LoRaMacTestSetDutyCycleOn(false)); a world option may turn it on.
    bool duty_cycle_enforced = false;
};

/// The session of an activation (what the network shares with the device).
struct lorawan_session {
    bool joined = false;
    bool otaa = false;
    std::uint32_t dev_addr = 0;
    std::uint32_t net_id = 0;
    lorawan::session_keys keys{};
    std::uint32_t fcnt_up = 0;         ///< the counter of the next new uplink
    std::uint32_t fcnt_down = 0;       ///< the last downlink counter accepted
    bool downlink_received = false;    ///< false: no downlink accepted yet (any counter is new)
    std::uint32_t adr_ack_counter = 0; ///< uplinks since the last downlink (ADR_ACK_CNT)
};

/// The MAC parameters the network may change (LoRaMacParams_t).
struct lorawan_mac_params {
    int dr = 0;               ///< the MAC's DR (used with ADR on; with ADR off the socket DR)
    int tx_power_index = 0;   ///< TXPower index, 0 = max EIRP
    int nb_trans = 1;         ///< transmissions of an unconfirmed uplink (LinkADRReq NbTrans)
    int rx1_dr_offset = 0;
    int rx2_dr = 0;
    std::int64_t rx2_frequency_hz = 0;
    time_us rx1_delay_us = receive_delay1_us;  ///< RX2 opens 1 s later
    int max_duty_cycle = 0;   ///< DutyCycleReq MaxDCycle: aggregated limit 1/2^n (0 none, 255 off)
    bool uplink_dwell_time = false;
    bool downlink_dwell_time = false;
    std::vector<channel> channels;  ///< max_channels long; frequency 0 = undefined
    channel_mask mask{};
};

/// The last LinkCheckAns.
struct lorawan_link_check {
    int margin_db = 0;
    int gateway_count = 0;
    time_us at_us = 0;
};

class lorawan_mac {
public:
    /// How send() ended.
    enum class send_status {
        sent,        ///< the cycle completed (unconfirmed: windows closed; confirmed: ACKed)
        queued,      ///< queued; the caller did not wait (non-blocking socket)
        queue_full,  ///< no room within queue_wait_us: EAGAIN or socket.timeout
        not_joined,  ///< ENETDOWN
        too_large,   ///< EMSGSIZE: over max_payload_n at the socket DR (returned at once), or
                     ///< with the pending MAC answers at the transmission DR (after the cycle);
                     ///< an empty uplink without FPort is sent instead (pycom-api.md 3.4)
        failed,      ///< the confirmed uplink was never ACKed, or the MAC could not send (EAGAIN)
        halted,      ///< the device or the MAC was closed/halted while waiting
    };

    /// Uplinks waiting behind the one in its cycle (LORA_CMD_QUEUE_SIZE_MAX).
    static constexpr std::size_t queue_depth = 7;
    /// An OTAA join request is repeated this often until accepted (pycom-api.md 4.4, 7.2).
    static constexpr time_us join_retry_interval_us = 10'000'000;
    /// An RX window stays open this many symbols of its DR unless a frame is then being
    /// received: the LoRaWAN preamble length (lorawan_preamble_symbols), so a downlink whose
    /// preamble starts at the window's start is detected well within it. LoRaMac-node 4.4
    /// computes 6..8 symbols (MinRxSymbols 6 plus the clock-error margin); 8 is its upper end.
    static constexpr int rx_window_symbols = 8;
    /// Battery level before set_battery_level(): 255, "unable to measure" (interop.md 4).
    static constexpr int default_battery_level = 255;
    /// Version of the save_state() blob.
    static constexpr std::uint8_t state_version = 1;

    lorawan_mac(lora_medium& medium, std::shared_ptr<lora_radio> shared, std::string name, position_m where,
                lorawan_mac_settings settings);
    ~lorawan_mac();
    lorawan_mac(const lorawan_mac&) = delete;
    lorawan_mac& operator=(const lorawan_mac&) = delete;

    const lorawan_mac_settings& settings() const noexcept;
    const lorawan_region& region() const noexcept;

    // --- activation (pycom-api.md 4.4) -----------------------------------------------

    /// Drops any session (has_joined() false), fails queued uplinks, resets the MAC
    /// parameters to the region's defaults, then sends a JoinRequest at `dr` now (DevNonce
    /// from the world's seeded generator) and every join_retry_interval_us until a
    /// JoinAccept arrives in RX1 (+5 s) or RX2 (+6 s), stop_join(), another join or close().
    void join_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lorawan::aes_key& app_key, int dr);
    /// Activates at once with fresh counters (FCntUp 0) and default MAC parameters.
    void join_abp(std::uint32_t dev_addr, const lorawan::aes_key& nwk_s_key, const lorawan::aes_key& app_s_key);
    /// Stops repeating join requests (join(timeout=) ran out); a request in flight still
    /// completes if its accept arrives.
    void stop_join();
    bool joined() const;
    /// Waits until joined (ready), `wait_us` passed (timed_out; none: for ever) or halted.
    /// Device threads only.
    wait_status wait_joined(std::optional<time_us> wait_us);

    // --- uplinks (pycom-api.md 3.4) --------------------------------------------------

    /// Queues an uplink of `payload` on `fport` (0..224; 0 sends it as MAC commands
    /// encrypted with NwkSKey, without FOpts), waiting up to `queue_wait_us` for room (none:
    /// for ever; 0: no wait). Not joined: not_joined. Then: over max_payload_n at
    /// `socket_dr`: too_large at once (the frame stays queued and goes as an empty uplink);
    /// `wait_done` false: queued; otherwise waits, without limit, for the end of its cycle.
    /// With ADR off the frame is sent at `socket_dr`, with ADR on at the MAC's DR.
    /// An empty `payload` is sent as an empty frame (the socket layer returns 0 before).
    /// Each cycle ends with record_uplink() and TX_PACKET_EVENT (sent, and the empty uplink
    /// of too_large, an ordinary unconfirmed cycle) or TX_FAILED_EVENT (failed); downlinks
    /// of the cycle were delivered before (RX_PACKET_EVENT first, pycom-api.md 3.7).
    /// A queued frame leaves the queue when its cycle starts: one in its cycle plus
    /// queue_depth waiting.
    /// Device threads only when it may wait.
    send_status send(std::vector<std::uint8_t> payload, int fport, bool confirmed, int socket_dr,
                     std::optional<time_us> queue_wait_us, bool wait_done);
    /// True while the queue has room.
    bool can_queue() const;

    // --- channels and other methods (pycom-api.md 4.5) --------------------------------

    /// The MAC part of add_channel() (after check_add_channel()): manual_channel_add();
    /// on ok the channel is defined and enabled. The binding ignores any other status.
    channel_add_status add_channel(int index, std::int64_t frequency_hz, int dr_min, int dr_max);
    /// The MAC part of remove_channel(): false (ignored) for a default channel.
    bool remove_channel(int index);
    /// 0 external power, 1..254 level, 255 unknown: DevStatusAns's battery byte.
    void set_battery_level(int level);
    /// Puts a LinkCheckReq in the next uplink (the compliance test's link_check).
    void request_link_check();
    std::optional<lorawan_link_check> last_link_check() const;

    // --- certification test and multicast (pycom-api.md 4.5) -------------------------

    /// lora.compliance_test() (lorawan_compliance.hpp).
    lorawan_compliance compliance() const;
    /// lora.compliance_test(enable[, state[, link_check]]).
    void set_compliance(bool enable, std::optional<int> state, std::optional<bool> link_check);
    /// A LoRa re-init makes a new MAC, but the firmware's test state lives on (lora_obj).
    void carry_compliance(const lorawan_compliance& test);
    /// LoRaMacMulticastChannelLink(): false while an uplink cycle runs (LORAMAC_STATUS_BUSY);
    /// the same address may be linked twice, as on the device (the first one matches).
    bool join_multicast_group(std::uint32_t address, const lorawan::aes_key& nwk_s_key,
                              const lorawan::aes_key& app_s_key);
    /// LoRaMacMulticastChannelUnlink(): false for an unknown group or while a cycle runs.
    bool leave_multicast_group(std::uint32_t address);
    std::vector<std::uint32_t> multicast_groups() const;

    // --- state -----------------------------------------------------------------------

    lorawan_session session() const;
    lorawan_mac_params params() const;
    /// Sets the frame counters (scenarios and tests: a long-lived session). `fcnt_down` is
    /// taken as the last downlink received.
    void set_frame_counters(std::uint32_t fcnt_up, std::uint32_t fcnt_down);

    /// nvram_save(): a versioned blob of the joined flag, region, DevAddr, keys, NetID,
    /// FCntUp/FCntDown, ADR ack counter, server-ACK-requested flag, MAC parameters,
    /// channels and mask, and the pending MAC answers (pycom-api.md 4.8).
    std::vector<std::uint8_t> save_state() const;
    /// The region a blob was saved for; empty for a blob that is not one.
    static std::optional<region_id> saved_region(const std::vector<std::uint8_t>& blob);
    /// nvram_restore(): when `blob` holds a joined session of this MAC's region, drops what
    /// the MAC was doing and restores it ABP-style (joined() true) and returns true; false
    /// (and nothing changed) for another region, an unjoined state or a malformed blob.
    bool restore_state(const std::vector<std::uint8_t>& blob);

    /// Leaves the air for good: waits end halted, nothing more is sent. Idempotent.
    /// LoPy4/FiPy: the SX1276 this MAC shares with Sigfox; each join's or uplink's cycle
    /// holds it from its first transmission to its end (none: a chip of its own).
    void share_chip(std::shared_ptr<radio_mutex> chip);

    void close();

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

/// "sent", "queued", ... for logs and messages.
const char* send_status_name(lorawan_mac::send_status status) noexcept;

}  // namespace usocket::sim
