// lorawan_network_adr.hpp (private to radio_sim): what the network server believes of a
// device's radio settings, and its network-side ADR: Semtech's recommended algorithm
// ("LoRaWAN - simple rate adaptation recommended algorithm", rev. 1.0, 2016), as The Things
// Network and ChirpStack run it. interop.md 4 gives the LinkADRReq fields and the SNR floors;
// it says nothing more about the algorithm, so the constants below are Semtech's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "usocket/sim/lorawan_crypto.hpp"
#include "usocket/sim/lorawan_region.hpp"

namespace usocket::sim::ns_adr {

/// Uplinks whose best SNR the algorithm looks at (Semtech's algorithm; TTN and ChirpStack: 20).
inline constexpr std::size_t history_uplinks = 20;
/// Margin kept above the demodulation floor for fading the last 20 uplinks did not show
/// (Semtech's algorithm and ChirpStack's installation_margin default: 10 dB).
inline constexpr double installation_margin_db = 10.0;
/// SNR one step (one DR up, or one TXPower index, 2 dB, down) costs (Semtech's algorithm).
inline constexpr double step_margin_db = 3.0;

/// The SNR a LoRa spreading factor needs to demodulate: the Semtech SX1276/77/78/79
/// datasheet's "LoRa demodulator SNR" (rev. 7, table 13, "Range of spreading factors"):
/// SF7 -7.5, SF8 -10, SF9 -12.5, SF10 -15, SF11 -17.5, SF12 -20 dB; SF outside 7..12 clamped.
double required_snr_db(int spreading_factor) noexcept;

/// The fastest DR ADR moves a device to: the region's fastest 125 kHz LoRa uplink DR (EU868,
/// AS923, AU915, CN470, IN865, EU433: DR5, SF7; US915: DR3), as TTN's per-band ADR limits.
int max_adr_dr(const lorawan_region& r) noexcept;

/// A device's DR and TXPower index after one ADR decision.
struct adr_settings {
    int dr = 0;
    int tx_power_index = 0;
};

/// Semtech's algorithm: margin_db = max_snr_db - required_snr_db(SF of `dr`) -
/// installation_margin_db, nstep = floor(margin_db / step_margin_db); while nstep > 0 raise
/// the DR up to max_adr_dr(), then lower the power (raise the index) down to the region's
/// lowest; while nstep < 0 raise the power back toward index 0. The DR never goes down (the
/// device's own ADR back-off does that). `dr` must be a LoRa DR at most max_adr_dr().
adr_settings decide(const lorawan_region& r, int dr, int tx_power_index, double max_snr_db) noexcept;

/// What the server believes of one device: the settings of the requests it acknowledged
/// (the channel list and mask, TXPower, NbTrans) and the SNR of its last uplinks.
struct device_radio {
    std::vector<channel> channels;  ///< max_channels long, as the device keeps them
    channel_mask mask{};
    int tx_power_index = 0;
    int nb_trans = 1;
    std::deque<double> snr_history_db;  ///< best SNR over the gateways, one per uplink

    /// A new session: the region's initial channels, full power, no history.
    void reset(const lorawan_region& r);
    /// The channels a join accept's CFList defines (and enables), as the device applies them.
    void apply_cf_list(const lorawan_region& r, const std::vector<std::int64_t>& cf_list_hz);
    /// The device accepted (LinkADRAns 0x07) the LinkADRReq with this payload (after the CID):
    /// its mask, TXPower and NbTrans now hold, and the SNR history starts over.
    void link_adr_accepted(const lorawan_region& r, const lorawan::bytes& request);
    /// The device accepted (NewChannelAns 0x03) the NewChannelReq with this payload.
    void new_channel_accepted(const lorawan::bytes& request);
    /// One more uplink's SNR; only the last history_uplinks are kept.
    void record_snr(double snr_db);
};

/// The LinkADRReq ADR wants after an uplink at `uplink_dr` with the ADR bit set: empty while
/// fewer than history_uplinks SNRs are recorded, for a DR ADR does not manage (over
/// max_adr_dr(), FSK) or when nothing would change. It carries the device's current mask as
/// ChMaskCntl 0 (channels 0-15; a fixed plan's other channels stay as they are) and NbTrans.
std::optional<link_adr_req> next_link_adr(const lorawan_region& r, const device_radio& d, int uplink_dr);

}  // namespace usocket::sim::ns_adr
