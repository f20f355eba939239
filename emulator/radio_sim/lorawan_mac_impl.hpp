// lorawan_mac_impl.hpp (private to radio_sim): the state of one device's LoRaWAN MAC,
// shared by lorawan_mac.cpp (activation, uplink cycles, RX windows, downlinks) and
// lorawan_mac_commands.cpp (MAC commands, saved state).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "usocket/sim/lorawan_compliance.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/radio_mutex.hpp"

namespace usocket::sim {
namespace mac_detail {

namespace lw = lorawan;

/// One send() waiting in the queue or in its cycle.
struct uplink_request {
    lw::bytes payload;
    int fport = 2;
    bool confirmed = false;
    int socket_dr = 0;
    bool too_large = false;  // over max_payload_n at the socket DR: goes as an empty uplink
    std::optional<lorawan_mac::send_status> result;
};
using request_ptr = std::shared_ptr<uplink_request>;

enum class cycle_kind { join, data };
enum class window_kind { none, rx1, rx2 };

/// A MAC answer waiting for the next uplink; sticky ones (RXParamSetupAns,
/// RXTimingSetupAns, DlChannelAns) repeat until a downlink arrives (interop.md 4).
struct mac_answer {
    lw::bytes bytes;
    bool sticky = false;
};

struct otaa_join {
    std::uint64_t dev_eui = 0;
    std::uint64_t app_eui = 0;
    lw::aes_key app_key{};
    int dr = 0;
    std::uint16_t dev_nonce = 0;  // of the request in flight
};

/// One uplink (or join request) from its first transmission to the end of its last windows.
struct cycle {
    std::uint64_t id = 0;
    cycle_kind kind = cycle_kind::data;
    request_ptr request;  // data cycles
    lw::bytes phy;
    bool confirmed = false;
    bool empty_uplink = false;  // the too-large quirk: the result is too_large
    std::uint32_t fcnt = 0;
    int trial = 0;       // transmissions so far (1-based while on the air)
    int max_trials = 1;  // NbTrials (confirmed) or NbTrans (unconfirmed)
    int first_dr = 0;
    int dr = 0;  // of the current transmission
    int channel_index = 0;
    std::int64_t frequency_hz = 0;
    int tx_power_index = 0;
    lora_modulation modulation;
    time_us tx_start_us = 0;
    time_us tx_end_us = 0;
    time_us rx2_delay_us = 0;
    bool on_air = false;
    bool acked = false;
    bool got_downlink = false;  // a valid downlink in this transmission's windows
    bool rx2_skipped = false;   // RX1 got a frame (or was still receiving at RX2's start)
    bool windows_done = false;
};

/// join_multicast_group(): a multicast DevAddr with its session keys (LoRaMac
/// MulticastParams_t); its counter starts at 0 and a repeated counter is rejected.
struct multicast_group {
    std::uint32_t address = 0;
    lw::session_keys keys{};
    std::uint32_t fcnt_down = 0;
};

struct rx_window {
    window_kind kind = window_kind::none;
    std::uint64_t id = 0;
    int dr = 0;
    lora_listen_settings listen;
};

/// What runs after the MAC's lock is released: the shared lora_radio, waiters.
struct after_unlock {
    bool notify = false;
    struct delivery {
        lw::bytes payload;
        int port = 0;
        lora_radio::received_info info;
        bool compliance_echo = false;  // queued quietly with the stale port
    };
    bool flush_received = false;  // before the deliveries
    std::vector<delivery> deliveries;
    std::optional<lora_radio::uplink_info> uplink;
    int events = 0;
};

}  // namespace mac_detail

struct lorawan_mac::impl : std::enable_shared_from_this<lorawan_mac::impl> {
    impl(lora_medium& m, std::shared_ptr<lora_radio> s, std::string n, lorawan_mac_settings st);

    lora_medium& medium;
    world& w;
    const std::shared_ptr<lora_radio> shared;
    const std::string name;
    const lorawan_mac_settings settings;
    const lorawan_region& reg;
    const std::uint8_t sync_word;
    const time_us start_us;  // for the join back-off
    signal changed;          // joined, queue room, results

    mutable std::mutex mutex;
    lora_medium::radio_id radio = 0;
    bool closed = false;

    // Activation.
    lorawan_session session;
    std::optional<mac_detail::otaa_join> joining;
    bool join_due = false;
    std::uint64_t join_epoch = 0;  // a new join or stop cancels the retry timer
    bool srv_ack_requested = false;

    // MAC parameters and answers.
    lorawan_mac_params p;
    std::vector<mac_detail::mac_answer> answers;
    int battery_level = lorawan_mac::default_battery_level;
    std::optional<lorawan_link_check> link_check;
    double max_eirp_dbm = 0;
    bool adr_on = false;         // MIB_ADR: the setting, or on while the compliance test runs
    bool duty_cycle_on = false;  // LoRaMacTestSetDutyCycleOn: the world option, or the test's
    lorawan_compliance compliance;
    std::vector<mac_detail::multicast_group> multicast_groups;

    // Duty cycle.
    std::array<time_us, max_duty_bands> band_open_us{};
    time_us aggregated_open_us = 0;
    time_us radio_busy_until_us = 0;  // the end of the last frame put on the air
    chip_share chip;  // LoPy4/FiPy: the SX1276 Sigfox shares (share_chip)

    // Uplinks.
    std::deque<mac_detail::request_ptr> queue;
    std::optional<mac_detail::cycle> cyc;
    std::uint64_t cycle_counter = 0;
    mac_detail::rx_window window;
    std::uint64_t window_counter = 0;

    // --- lorawan_mac.cpp -----------------------------------------------------------
    void log(std::string_view event, const log_fields& fields) const;
    void run(mac_detail::after_unlock& after);
    void reset_mac_locked();
    void abort_all_locked(lorawan_mac::send_status why, mac_detail::after_unlock& after);
    void apply_listen_locked();
    void pump_locked(mac_detail::after_unlock& after);
    bool chip_ours_locked();
    void end_cycle_locked();
    void start_join_locked();
    void start_data_locked(mac_detail::after_unlock& after);
    void transmit_locked(mac_detail::after_unlock& after);
    void tx_done(std::uint64_t cycle_id, int trial);
    void open_window(mac_detail::window_kind kind, std::uint64_t cycle_id, int trial);
    void check_window(std::uint64_t window_id);
    void close_window_locked(bool got_frame);
    void window_timed_out_locked(mac_detail::window_kind kind, mac_detail::after_unlock& after);
    void windows_over_locked(mac_detail::after_unlock& after);
    void retransmit(std::uint64_t cycle_id, int trial);
    void finish_data_locked(lorawan_mac::send_status status, mac_detail::after_unlock& after);
    void fail_cycle_locked(const char* reason, mac_detail::after_unlock& after);
    void on_receive(const lora_reception& rx);
    bool accept_join_locked(const lorawan::bytes& phy, mac_detail::after_unlock& after);
    bool accept_data_locked(const lorawan::bytes& phy, const lora_reception& rx, int dr,
                            mac_detail::window_kind where, mac_detail::after_unlock& after);
    int tx_power_dbm_locked(int index) const;
    bool accept_multicast_locked(const lorawan::bytes& phy, std::uint32_t address, const lora_reception& rx, int dr,
                                 mac_detail::window_kind where, mac_detail::after_unlock& after);
    /// A valid downlink (unicast or multicast): deliveries, the log, its window and cycle.
    void downlink_accepted_locked(const lorawan::data_frame& f, const lora_reception& rx, int dr,
                                  mac_detail::window_kind where, bool multicast, mac_detail::after_unlock& after);
    /// A test-port downlink while the compliance test is enabled (lorawan_compliance.hpp).
    void compliance_downlink_locked(const lorawan::bytes& payload, const lora_radio::received_info& info,
                                    mac_detail::after_unlock& after);

    // --- lorawan_mac_commands.cpp --------------------------------------------------
    /// Runs the MAC commands of a downlink (FOpts or an FPort-0 payload), queueing answers.
    void process_mac_commands_locked(const lorawan::bytes& commands, double snr_db);
    /// The FOpts of the next uplink (at most 15 bytes of whole answers); removes the
    /// non-sticky answers it took.
    lorawan::bytes take_fopts_locked(std::size_t max_bytes);
    /// The pending answers' size, as take_fopts_locked would send them.
    std::size_t fopts_size_locked(std::size_t max_bytes) const;
    lorawan::bytes save_locked() const;
    bool restore_locked(const std::vector<std::uint8_t>& blob);
};

}  // namespace usocket::sim
