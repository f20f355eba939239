// fuzz/fuzz_support.hpp: what the libFuzzer targets share: a check that aborts (so libFuzzer
// records a crash and its input), FuzzedDataProvider helpers, and a transmitter that puts
// arbitrary LoRa frames on a medium. Only the project's public headers.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_region.hpp"

namespace fuzz {

namespace sim = usocket::sim;
namespace lw = usocket::sim::lorawan;

constexpr sim::time_us second = 1'000'000;

/// A property the target checks: on failure, print it and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond)                                                                             \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__);     \
            std::abort();                                                                            \
        }                                                                                            \
    } while (0)

/// Up to `max` bytes of the input.
inline lw::bytes take_bytes(FuzzedDataProvider& in, std::size_t max) {
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, max);
    return in.ConsumeBytes<std::uint8_t>(n);
}

/// 16 bytes of the input (zero-padded when it runs out).
inline lw::aes_key take_key(FuzzedDataProvider& in) {
    lw::aes_key k{};
    const auto b = in.ConsumeBytes<std::uint8_t>(k.size());
    for (std::size_t i = 0; i < b.size(); ++i) {
        k[i] = b[i];
    }
    return k;
}

/// One of the regions the firmware exports.
inline sim::region_id take_region(FuzzedDataProvider& in) {
    return sim::all_regions[in.ConsumeIntegralInRange<std::size_t>(0, sim::all_regions.size() - 1)];
}

/// A 1.0.2 data frame with fields drawn from the input: any data MType of `dir` (confirmed or
/// not), FCtrl bits valid in that direction, FOpts or an FPort-0 payload of MAC commands, or
/// an application payload. The result may still be unsendable (too long): encode_data_frame
/// then throws std::invalid_argument, which the callers treat as "no frame".
inline lw::data_frame take_data_frame(FuzzedDataProvider& in, lw::direction dir, std::uint32_t dev_addr,
                                      std::uint32_t fcnt) {
    lw::data_frame f;
    f.type = lw::data_mtype(dir, in.ConsumeBool());
    f.dev_addr = dev_addr;
    f.fcnt = fcnt;
    f.fctrl.adr = in.ConsumeBool();
    f.fctrl.ack = in.ConsumeBool();
    if (dir == lw::direction::uplink) {
        f.fctrl.adr_ack_req = in.ConsumeBool();
        f.fctrl.class_b = in.ConsumeBool();
    } else {
        f.fctrl.f_pending = in.ConsumeBool();
    }
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:  // MAC commands in FOpts, maybe an application payload too
        f.fopts = take_bytes(in, lw::max_fopts_size);
        if (in.ConsumeBool()) {
            f.fport = in.ConsumeIntegralInRange<std::uint8_t>(1, 255);
            f.frm_payload = take_bytes(in, 64);
        }
        break;
    case 1:  // MAC commands in an FPort-0 payload
        f.fport = 0;
        f.frm_payload = take_bytes(in, 64);
        break;
    case 2:  // the certification test port
        f.fport = 224;
        f.frm_payload = take_bytes(in, 32);
        break;
    default:  // an application payload, or nothing at all
        if (in.ConsumeBool()) {
            f.fport = in.ConsumeIntegral<std::uint8_t>();
            f.frm_payload = take_bytes(in, 242);
        }
        if (f.fport == 0) {
            f.fopts.clear();
        }
        break;
    }
    return f;
}

/// encode_data_frame, or nothing when the fields cannot be sent.
inline std::optional<lw::bytes> try_encode(const lw::data_frame& f, const lw::session_keys& keys) {
    try {
        return lw::encode_data_frame(f, keys);
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

/// The uplink DR of a region whose modulation is (sf, bw): the first match.
inline std::optional<int> uplink_dr_of(const sim::lorawan_region& r, int sf, std::int64_t bw) {
    for (int dr = 0; dr < 16; ++dr) {
        const auto mod = sim::lorawan_modulation(r, dr, true);
        if (mod && mod->spreading_factor == sf && mod->bandwidth_hz == bw) {
            return dr;
        }
    }
    return std::nullopt;
}

/// A radio of the medium that only transmits what the target gives it.
class transmitter {
public:
    transmitter(sim::lora_medium& medium, std::string name, sim::position_m where)
        : medium_(medium), id_(medium.attach(std::move(name), where, [](const sim::lora_reception&) {})) {}

    /// Puts `payload` on the air now (nothing if the radio is still sending).
    void send(lw::bytes payload, std::int64_t frequency_hz, const sim::lora_modulation& mod, bool iq_inverted,
              double tx_power_dbm = 14.0) {
        if (medium_.transmitting(id_)) {
            return;
        }
        sim::lora_frame f;
        f.frequency_hz = frequency_hz;
        f.modulation = mod;
        f.iq_inverted = iq_inverted;
        f.sync_word = sim::public_sync_word;
        f.tx_power_dbm = tx_power_dbm;
        f.payload = std::move(payload);
        medium_.transmit(id_, std::move(f));
    }

private:
    sim::lora_medium& medium_;
    sim::lora_medium::radio_id id_;
};

}  // namespace fuzz
