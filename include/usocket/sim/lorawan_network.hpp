// usocket/sim/lorawan_network.hpp: the network side of LoRaWAN 1.0.2 in an emulated world:
// gateways that hear uplinks through the shared lora_medium and send downlinks through it,
// and an embedded network server (deduplication, join, MIC and frame-counter checks, MAC
// commands, class A RX1/RX2 scheduling, class C) with an API for tests and the Python layer.
//
// The server talks to devices only through real LoRaWAN frames on the medium (radio.md 3,
// interop.md 4 and 5), so any device MAC that follows the specification works with it.
//
// A gateway is an 8-channel SX1301-like concentrator: it hears every uplink channel of the
// region at every uplink LoRa data rate at once (normal IQ, the configured sync word),
// modelled as one medium radio per (channel, SF, bandwidth) at its position, plus one radio
// that transmits downlinks (inverted IQ, CRC off). In dynamic plans every channel is heard at
// every LoRa uplink DR of the region (EU868 DR0-DR6, SF7/250 kHz included); channels a
// NewChannelReq adds are heard from when it is queued. FSK DRs (EU868 DR7) are not heard:
// the medium models LoRa only. It is half duplex: frames that overlap one
// of its own downlinks are lost (counted in lost_while_transmitting).
//
// Threads and locks: every method may be called from any thread. The medium's receptions and
// the scheduled transmissions run in world events (the thread that runs world::run()). The
// network holds its own lock only while it touches its state; it calls the medium and the
// world (which take their own locks) under it, never the other way round. The uplink callback
// runs without the network's lock, so it may call any method of the network (queue_downlink()
// from the callback lands in the RX1/RX2 window of that very uplink).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_region.hpp"

namespace usocket::sim {

/// How the network server behaves.
struct lorawan_network_options {
    /// NetID (24 bits), sent in every join accept; its 7 least significant bits are the NwkID
    /// in the 7 most significant bits of every DevAddr the server assigns. The default is The
    /// Things Network's NetID 0x000013, so assigned DevAddrs read 26xxxxxx/27xxxxxx as on TTN.
    std::uint32_t net_id = 0x000013;
    /// false (default): every device the world's scripts activate is accepted with the keys
    /// its script uses (offer_otaa()/offer_abp() register them). true: only devices registered
    /// with register_otaa()/register_abp() (scenario file, test API); offers are ignored, so a
    /// wrong key fails as on a real network.
    bool strict = false;
    /// How long the server waits after the first copy of an uplink for copies from other
    /// gateways before it processes the frame once. 200 ms is ChirpStack's default
    /// deduplication delay. On the medium every gateway gets its copy at the same instant (the
    /// frame's end; no backhaul latency is modelled), so any positive window collects them
    /// all; 200 ms leaves 800 ms before RX1. It must stay below RECEIVE_DELAY1 (1 s) for RX1
    /// to be reachable.
    time_us dedup_window_us = 200'000;
    /// Downlink EIRP in dBm; empty: default_downlink_tx_power_dbm(region).
    std::optional<double> downlink_tx_power_dbm;
    /// false: a class A downlink goes in RX1 if the gateway is free then, else RX2; true: RX2
    /// first (as some networks do for robustness), RX1 if RX2 is impossible.
    bool prefer_rx2 = false;
    /// The CFList of join accepts (five extra uplink frequencies in Hz, 0 for none) for regions
    /// with a dynamic channel plan; empty: default_cf_list_hz(region) (EU868: 867.1, 867.3,
    /// 867.5, 867.7, 867.9 MHz, the plan of TTN and ChirpStack; other regions none). Fixed
    /// plans (US915, AU915, CN470) never send one: 1.0.2 has no CFList for them (radio.md 2.3).
    /// Gateways also listen on these frequencies (at every LoRa uplink DR, as on every channel).
    std::optional<std::vector<std::int64_t>> cf_list_hz;
    /// Transmissions of a confirmed downlink (each with a new FCntDown) before the server gives
    /// up when the device's uplinks do not acknowledge it.
    int confirmed_downlink_max_transmissions = 8;
    /// Uplink and downlink sync word: 0x34 is LoRaWAN's public network.
    std::uint8_t sync_word = 0x34;
    /// Pause between two class C downlinks to one device.
    time_us class_c_gap_us = 10'000;
    /// Network-side ADR, on by default as on TTN and ChirpStack: once 20 uplinks of a device
    /// with the ADR bit are heard, the server moves its DR up and its TX power down by the
    /// best SNR of those 20 (Semtech's recommended algorithm, 10 dB installation margin) with
    /// a LinkADRReq, and raises the power again when the margin went negative. false: the
    /// server sends LinkADRReq only when asked (link_adr_req()); ADRACKReq is answered anyway.
    bool adr = true;
    /// Fault injection: the fraction of downlinks (join accepts and ACKs included) lost
    /// between the server and its gateways, drawn from a stream seeded by the world. The
    /// server believes it sent them (a confirmed downlink waits for its ACK as usual); they
    /// count in downlinks_dropped and are logged lorawan_ns_dropped. In [0, 1].
    double downlink_loss = 0.0;
};

/// Downlink power when the options give none: 14 dBm in the dynamic-plan regions (EU868's RX1
/// limit, capped at the region's max EIRP), 27 dBm in US915 and AU915 (a typical 8-channel
/// gateway's maximum), 19 dBm in CN470.
double default_downlink_tx_power_dbm(region_id id) noexcept;

/// The CFList a region's join accepts carry by default (see lorawan_network_options).
std::vector<std::int64_t> default_cf_list_hz(region_id id);

/// A device, by DevEUI (OTAA) or by DevAddr (ABP, or an OTAA device's current session).
struct lorawan_device_ref {
    bool by_eui = true;
    std::uint64_t value = 0;
    static lorawan_device_ref eui(std::uint64_t dev_eui) noexcept { return {true, dev_eui}; }
    static lorawan_device_ref addr(std::uint32_t dev_addr) noexcept { return {false, dev_addr}; }
};

/// One gateway's copy of an uplink.
struct lorawan_gateway_copy {
    std::string gateway;
    double rssi_dbm = 0;
    double snr_db = 0;
};

/// One MAC command: its CID and the bytes after it.
struct lorawan_mac_command {
    std::uint8_t cid = 0;
    lorawan::bytes payload;
};

/// A data uplink the server accepted (new frame counter; confirmed retransmissions are
/// re-acknowledged but not recorded again).
struct lorawan_uplink_record {
    time_us t_us = 0;        ///< the frame's end (when the gateways got it)
    time_us start_us = 0;    ///< the frame's start
    std::optional<std::uint64_t> dev_eui;  ///< OTAA devices
    std::uint32_t dev_addr = 0;
    std::uint32_t fcnt = 0;  ///< the full 32-bit FCntUp
    std::optional<std::uint8_t> port;
    lorawan::bytes payload;  ///< FRMPayload decrypted (MAC commands for port 0)
    bool confirmed = false;
    bool adr = false;
    bool adr_ack_req = false;
    bool ack = false;        ///< the device acknowledged a confirmed downlink
    int dr = 0;
    std::int64_t frequency_hz = 0;
    double rssi_dbm = 0;     ///< best copy
    double snr_db = 0;       ///< best copy
    std::vector<lorawan_gateway_copy> gateways;  ///< best RSSI first
    std::vector<lorawan_mac_command> mac_commands;  ///< FOpts or the port-0 payload
};

/// Which receive window a downlink went in.
enum class lorawan_window : std::uint8_t { rx1, rx2, class_c };
const char* window_name(lorawan_window w) noexcept;

/// A join request the server accepted, and what it answered.
struct lorawan_join_record {
    time_us t_us = 0;  ///< the join request's end
    std::uint64_t dev_eui = 0;
    std::uint64_t app_eui = 0;
    std::uint16_t dev_nonce = 0;
    std::uint32_t app_nonce = 0;
    std::uint32_t net_id = 0;
    std::uint32_t dev_addr = 0;
    lorawan::session_keys keys;
    int dr = 0;
    std::int64_t frequency_hz = 0;
    double rssi_dbm = 0;
    double snr_db = 0;
    std::vector<lorawan_gateway_copy> gateways;
    lorawan_window window = lorawan_window::rx1;  ///< where the join accept goes
    time_us accept_at_us = 0;                      ///< when the join accept starts
};

/// A downlink the server put on the air (join accepts included).
struct lorawan_downlink_record {
    time_us t_us = 0;  ///< start of transmission
    std::uint32_t dev_addr = 0;
    std::optional<std::uint64_t> dev_eui;
    bool join_accept = false;
    std::uint32_t fcnt = 0;  ///< FCntDown (data downlinks)
    std::optional<std::uint8_t> port;
    lorawan::bytes payload;  ///< FRMPayload in clear
    bool confirmed = false;
    bool ack = false;
    bool f_pending = false;
    std::vector<lorawan_mac_command> mac_commands;
    std::optional<std::uint64_t> queued_id;  ///< the queue_downlink()/queue_multicast() id it carries
    bool multicast = false;  ///< a multicast group's frame: dev_addr is the group's address
    lorawan_window window = lorawan_window::rx1;
    std::int64_t frequency_hz = 0;
    int dr = 0;
    std::string gateway;
    lorawan::bytes phy;  ///< the PHYPayload as sent
};

/// What became of a queue_downlink() request.
enum class lorawan_downlink_state : std::uint8_t {
    unknown,       ///< no such id
    queued,        ///< waiting for a window
    sent,          ///< on the air (unconfirmed: done)
    acknowledged,  ///< confirmed and acknowledged by the device
    failed,        ///< confirmed, never acknowledged after the maximum transmissions
};

/// The last DevStatusAns of a device.
struct lorawan_device_status {
    time_us t_us = 0;
    int battery = 0;  ///< 0 external power, 1..254 level, 255 unknown
    int margin_db = 0;  ///< -32..31
};

/// A multicast group the server sends to. LoRaWAN 1.0.2 defines no protocol to set one up
/// (section 4.3.1.6 only says multicast frames are unconfirmed and carry no MAC commands):
/// the group's address and session keys reach the devices out of band, as the script's
/// LoRa.join_multicast_group() gives them to the device.
struct lorawan_multicast_group_info {
    std::uint32_t mc_addr = 0;
    lorawan::session_keys keys;
    int dr = 0;                    ///< the group's downlink DR (default: the region's RX2 DR)
    std::int64_t frequency_hz = 0; ///< default: the region's RX2 frequency (where class C devices listen)
    std::uint32_t fcnt_down = 0;   ///< the next frame's FCntDown
};

/// A device's current session as the server keeps it.
struct lorawan_session_info {
    std::optional<std::uint64_t> dev_eui;
    std::uint32_t dev_addr = 0;
    lorawan::session_keys keys;
    std::optional<std::uint32_t> fcnt_up;  ///< last accepted FCntUp
    std::uint32_t fcnt_down = 0;            ///< next FCntDown
    int rx1_dr_offset = 0;
    int rx2_dr = 0;
    std::int64_t rx2_frequency_hz = 0;
    time_us rx1_delay_us = receive_delay1_us;
    bool class_c = false;
};

/// Counters of the whole server.
struct lorawan_network_counters {
    std::uint64_t received_frames = 0;          ///< copies the gateways received
    std::uint64_t lost_while_transmitting = 0;  ///< copies a gateway lost to its own downlink
    std::uint64_t unique_frames = 0;            ///< frames after deduplication
    std::uint64_t duplicates = 0;               ///< copies merged into an earlier one
    std::uint64_t uplinks_accepted = 0;         ///< data uplinks recorded
    std::uint64_t retransmissions = 0;          ///< confirmed uplinks repeated, re-acknowledged
    std::uint64_t bad_mic = 0;
    std::uint64_t replays = 0;
    std::uint64_t unknown_devices = 0;
    std::uint64_t devnonce_reused = 0;
    std::uint64_t malformed = 0;         ///< not an uplink frame the server reads
    std::uint64_t joins_accepted = 0;
    std::uint64_t downlinks_sent = 0;    ///< join accepts and data downlinks on the air
    std::uint64_t downlinks_missed = 0;  ///< something to send but no gateway free in any window
    std::uint64_t downlinks_dropped = 0; ///< lost on the way to the gateway (options.downlink_loss)
};

class lorawan_network {
public:
    using uplink_callback = std::function<void(const lorawan_uplink_record&)>;

    /// A network server for `region` on `medium`; no gateway yet. Throws std::invalid_argument
    /// for a NetID over 24 bits, a dedup window not in [0, RECEIVE_DELAY1) or a downlink loss
    /// outside [0, 1].
    lorawan_network(lora_medium& medium, region_id region, lorawan_network_options options = {});
    ~lorawan_network();
    lorawan_network(const lorawan_network&) = delete;
    lorawan_network& operator=(const lorawan_network&) = delete;

    const lorawan_region& region() const noexcept;
    const lorawan_network_options& options() const noexcept;

    // --- gateways ---------------------------------------------------------------------

    /// A gateway at `where`, listening from now on (see the file comment); returns its index.
    std::size_t add_gateway(std::string name, position_m where);
    /// The gateways in service, in the order they were added.
    std::vector<std::string> gateway_names() const;
    /// Takes a gateway out of service at once (a gateway that goes away): it hears nothing
    /// more, and downlinks scheduled through it are missed. False if there is no such gateway.
    bool remove_gateway(const std::string& name);
    /// The (frequency, SF, bandwidth) combinations every gateway listens on (grows when a
    /// NewChannelReq names a new frequency).
    std::vector<lora_listen_settings> gateway_listen_settings() const;

    // --- devices ----------------------------------------------------------------------

    /// Registers (or re-keys) an OTAA device; it joins with this AppEUI and AppKey.
    void register_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lorawan::aes_key& app_key);
    /// Registers an ABP session. Registering the same DevAddr again with the same keys keeps
    /// its frame counters unless `reset_counters` (a device that restarted from FCnt 0);
    /// other keys start a new session.
    void register_abp(std::uint32_t dev_addr, const lorawan::aes_key& nwk_s_key, const lorawan::aes_key& app_s_key,
                      bool reset_counters = false);
    /// The keys a device's script passes to join(): registered in default mode (returns true),
    /// ignored in strict mode (false). What the Python layer calls before the device transmits.
    bool offer_otaa(std::uint64_t dev_eui, std::uint64_t app_eui, const lorawan::aes_key& app_key);
    bool offer_abp(std::uint32_t dev_addr, const lorawan::aes_key& nwk_s_key, const lorawan::aes_key& app_s_key,
                   bool reset_counters = false);

    /// The device's current session; empty before an OTAA device joined or for unknown devices.
    std::optional<lorawan_session_info> session(const lorawan_device_ref& device) const;

    /// Class C (true): queued downlinks go out at once on the RX2 frequency and DR through the
    /// gateway that heard the device best last; class A (false) waits for uplinks.
    void set_class_c(const lorawan_device_ref& device, bool on);

    // --- downlinks and MAC commands --------------------------------------------------

    /// Queues an application downlink (FPort 1..223, or 224: the certification test's; at most 242 bytes: throws
    /// std::invalid_argument otherwise) for the device's next window; returns its id. A device
    /// known by DevEUI may be queued for before it registers or joins; by DevAddr it must exist
    /// (std::invalid_argument).
    std::uint64_t queue_downlink(const lorawan_device_ref& device, std::uint8_t port, lorawan::bytes payload,
                                 bool confirmed = false);
    lorawan_downlink_state downlink_state(std::uint64_t id) const;
    /// Application downlinks waiting for the device (the confirmed one awaiting its ACK included).
    std::size_t pending_downlinks(const lorawan_device_ref& device) const;

    /// Each data uplink with an FPort 1..223 is queued back to the device on the same port.
    void set_echo(bool on);

    /// Queues a MAC command request (CID and payload bytes) for the device's next downlink;
    /// the server re-sends it after an uplink that does not answer it.
    void queue_mac_command(const lorawan_device_ref& device, std::uint8_t cid, lorawan::bytes payload);
    /// LinkADRReq (0x03): DR, TXPower index, ChMask, ChMaskCntl, NbTrans.
    void link_adr_req(const lorawan_device_ref& device, int dr, int tx_power_index, std::uint16_t ch_mask,
                      int ch_mask_cntl = 0, int nb_trans = 0);
    /// DutyCycleReq (0x04): aggregated duty cycle 1 / 2^max_duty_cycle.
    void duty_cycle_req(const lorawan_device_ref& device, int max_duty_cycle);
    /// RXParamSetupReq (0x05); applied to the device's downlinks once it answers 0x07.
    void rx_param_setup_req(const lorawan_device_ref& device, int rx1_dr_offset, int rx2_dr,
                            std::int64_t rx2_frequency_hz);
    /// DevStatusReq (0x06); the answer shows in device_status().
    void dev_status_req(const lorawan_device_ref& device);
    /// NewChannelReq (0x07): frequency 0 removes channel `index`. The gateways listen on a new
    /// frequency from now on.
    void new_channel_req(const lorawan_device_ref& device, int index, std::int64_t frequency_hz, int min_dr,
                         int max_dr);
    /// RXTimingSetupReq (0x08): RX1 delay in s (0 and 1 mean 1); applied once answered.
    void rx_timing_setup_req(const lorawan_device_ref& device, int delay_s);

    /// The device's last DevStatusAns.
    std::optional<lorawan_device_status> device_status(const lorawan_device_ref& device) const;

    // --- multicast (class C groups) ----------------------------------------------------

    /// Adds a group; `dr` and `frequency_hz` default to the region's RX2. Throws
    /// std::invalid_argument for an address that is already a group's or a device's, a DR
    /// the region cannot send downlinks at, or a frequency outside the region's band.
    void add_multicast_group(std::uint32_t mc_addr, const lorawan::aes_key& nwk_s_key,
                             const lorawan::aes_key& app_s_key, std::optional<int> dr = std::nullopt,
                             std::optional<std::int64_t> frequency_hz = std::nullopt);
    /// False if there was no such group. Frames already scheduled still go out.
    bool remove_multicast_group(std::uint32_t mc_addr);
    std::vector<lorawan_multicast_group_info> multicast_groups() const;
    /// Sends an unconfirmed data downlink to the group now, from every gateway in turn (each
    /// copy after the previous one's end plus class_c_gap_us, as a network server without
    /// gateway timing sends it: one FCntDown for all copies), and returns its id for
    /// downlink_state(). Throws std::invalid_argument for an unknown group, a port outside
    /// 1..223 or a payload over the region's limit at the group's DR.
    std::uint64_t queue_multicast(std::uint32_t mc_addr, std::uint8_t port, lorawan::bytes payload);

    // --- what happened -----------------------------------------------------------------

    /// Runs for each recorded uplink (see the file comment for the lock rules); empty: none.
    void set_uplink_callback(uplink_callback callback);

    std::vector<lorawan_uplink_record> uplinks() const;
    std::vector<lorawan_join_record> joins() const;
    std::vector<lorawan_downlink_record> downlinks() const;
    lorawan_network_counters counters() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
