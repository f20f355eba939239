// usocket/sim/sigfox_medium.hpp: the air Sigfox radios and base stations of one world share.
//
// Sigfox frames are ultra-narrowband, so they get their own medium with its own collision
// rule: two frames collide at a receiver when they overlap in time and their frequencies lie
// closer than half the sum of their signal bandwidths (~100 Hz at 100 bit/s, ~600 Hz at 600
// bit/s); the stronger survives by the capture threshold, else both are lost. Propagation is
// the world's: path loss comes from the LoRa medium's log-distance model (lora_medium::
// path_loss_db, which knows nothing of Sigfox) and shadowing uses its sigma, drawn from a
// generator seeded by the world. Sigfox and LoRa frames do not interfere with each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/sigfox_phy.hpp"
#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// The receiver-side figures of the Sigfox model; every one can be changed per world.
struct sigfox_model {
    /// Base-station sensitivity at 100 bit/s: the -142 dBm commonly quoted for Sigfox UNB
    /// reception (e.g. iotclass.org "Sigfox Technology Deep Dive": "100 Hz channels achieving
    /// -142 dBm sensitivity").
    double station_sensitivity_100bps_dbm = -142.0;
    /// At 600 bit/s the noise bandwidth is 6 times wider: -142 + 10 log10(6) (derived).
    double station_sensitivity_600bps_dbm = -134.2;
    /// Device sensitivity for the 600 bit/s GFSK downlink (an assumption: radio.md gives none;
    /// typical sub-GHz transceivers reach -126 dBm at this rate).
    double device_downlink_sensitivity_dbm = -126.0;
    /// SiPy CC1125 at 1.2 kbit/s 2-GFSK behind a 15.6 kHz filter (assumed, conservative).
    double fsk_sensitivity_dbm = -120.0;
    /// A frame this much stronger than an overlapping one survives it (as LoRaSim's 6 dB).
    double capture_threshold_db = 6.0;
    /// Downlink transmit power of a base station: 27 dBm, the 500 mW ERP ETSI allows in the
    /// 869.4-869.65 MHz sub-band of the RC1 downlink (an assumption for the other zones).
    double station_tx_power_dbm = 27.0;
};

/// What a Sigfox frame is on the air.
enum class sigfox_modulation { uplink_dbpsk, downlink_gfsk, fsk };
const char* modulation_name(sigfox_modulation m) noexcept;

/// One frame put on the air: the physical part, then what it carries.
struct sigfox_frame {
    sigfox_modulation modulation = sigfox_modulation::uplink_dbpsk;
    std::int64_t frequency_hz = 0;
    int bit_rate_bps = 100;
    double tx_power_dbm = 14.0;
    time_us airtime_us = 0;

    std::uint32_t device_id = 0;  ///< uplink: sender; downlink: addressee
    std::uint16_t sequence_number = 0;
    int repetition = 0;         ///< 0, 1, 2: which transmission of the message
    int frames_in_message = 1;  ///< 3, or 1 + tx_repeat with a downlink request
    std::uint16_t frame_type = 0;
    bool bit_frame = false;
    bool bit_value = false;
    bool oob = false;
    bool downlink_request = false;
    sigfox_zone zone = sigfox_zone::rcz1;
    /// End of the message's first frame: the protocol's timing reference (the downlink
    /// window opens 20 s after it), which a real network derives from the frame type.
    time_us first_frame_end_us = 0;
    std::vector<std::uint8_t> payload;
};

/// A frame as a receiver got it.
struct sigfox_reception {
    std::uint64_t frame_id = 0;
    std::string sender;
    double rssi_dbm = 0;
    time_us start_us = 0;
    time_us end_us = 0;
    std::shared_ptr<const sigfox_frame> frame;
};

/// A stretch of spectrum a receiver demodulates.
struct sigfox_band {
    sigfox_modulation modulation = sigfox_modulation::uplink_dbpsk;
    std::int64_t centre_hz = 0;
    double width_hz = 0;
    int bit_rate_bps = 0;  ///< frames of another rate are not received (they still interfere)
    double sensitivity_dbm = -142.0;
};

/// Why a receiver did not get a frame it listened for (logged as "reason").
enum class sigfox_loss { collision, below_sensitivity, deaf_while_transmitting, receiver_off };
const char* loss_name(sigfox_loss loss) noexcept;

/// One frame on the air as a radio's carrier sense hears it (sigfox_medium::channel_uses).
struct sigfox_channel_use {
    std::uint64_t frame_id = 0;
    time_us start_us = 0;
    time_us end_us = 0;    ///< on the air over [start_us, end_us)
    double rssi_dbm = 0;   ///< received power at the listening radio (no shadowing)
};

/// What is on a channel at one instant: the noise floor and each frame in it.
struct sigfox_channel_snapshot {
    double noise_dbm = 0;
    std::vector<sigfox_channel_use> uses;
};

struct sigfox_medium_counters {
    std::uint64_t transmissions = 0;
    std::uint64_t receptions = 0;
    std::uint64_t collisions = 0;
    std::uint64_t below_sensitivity = 0;
    std::uint64_t other_losses = 0;
};

class sigfox_medium {
public:
    using radio_id = std::uint32_t;
    using receive_handler = std::function<void(const sigfox_reception&)>;

    /// Shares `propagation`'s path loss and shadowing sigma (and its world).
    explicit sigfox_medium(const lora_medium& propagation, sigfox_model model = {});
    ~sigfox_medium();
    sigfox_medium(const sigfox_medium&) = delete;
    sigfox_medium& operator=(const sigfox_medium&) = delete;

    const sigfox_model& model() const noexcept;
    world& owner() const noexcept;

    /// A radio at `where`; `on_receive` runs in a world event (no lock held) for each frame
    /// it gets. `name` appears in the event log.
    radio_id attach(std::string name, position_m where, receive_handler on_receive);
    void detach(radio_id radio);
    void move(radio_id radio, position_m where);

    /// Listens on `bands` (empty: stops). Frames being received are lost (receiver_off).
    void listen(radio_id radio, std::vector<sigfox_band> bands);

    /// Puts a frame on the air now for frame.airtime_us; the radio cannot receive until it
    /// ends. `on_done` runs in the world event at its end. Returns the frame's id.
    std::uint64_t transmit(radio_id radio, sigfox_frame frame, std::function<void()> on_done = {});
    bool transmitting(radio_id radio) const;

    /// Received power at `radio` of everything on the air within `width_hz` around
    /// `centre_hz`, noise floor included (carrier sense).
    double channel_rssi_dbm(radio_id radio, std::int64_t centre_hz, double width_hz) const;
    /// The parts of that sum: the noise floor and every frame of another radio on the air
    /// now within `width_hz` around `centre_hz`, with when it started and when it ends (a
    /// frame whose end is now, but whose end event has not run yet, is still listed). For
    /// a carrier sense that must know when the channel clears.
    sigfox_channel_snapshot channel_uses(radio_id radio, std::int64_t centre_hz, double width_hz) const;

    double path_loss_db(position_m a, position_m b) const;
    sigfox_medium_counters counters() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace usocket::sim
