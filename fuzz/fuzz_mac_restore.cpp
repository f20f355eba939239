// fuzz/fuzz_mac_restore.cpp: nvram_restore() of an arbitrary blob. The blob comes from the
// device's state folder on disk (state.json "extra" -> "mac", python/usocket_emu/device/_lora.py),
// so any bytes may reach lorawan_mac::saved_region() and restore_state().
//
// The input is the blob. A MAC of the blob's region (EU868 if it names none) restores it; the
// class and ADR setting come from a hash of the blob, so seeds stay plain saved states
// (fuzz_seed_gen writes them). A restored MAC then sends uplinks with the restored parameters,
// channels and pending MAC answers, and runs through its RX windows and retries.
//
// Properties: restore never throws or crashes; it refuses (false, nothing changed) what is not
// a joined state of its region; a restored state saves and restores again to the same blob.
#include <memory>

#include "fuzz_support.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/world.hpp"

namespace {

using namespace fuzz;


std::uint32_t fnv1a(const std::vector<std::uint8_t>& b) {
    std::uint32_t h = 2166136261u;
    for (const std::uint8_t c : b) {
        h = (h ^ c) * 16777619u;
    }
    return h;
}

}  // namespace


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> blob(data, data + size);
    // The RX1 delay and max EIRP findings (fuzz/regressions/fuzz_mac_restore/) are fixed:
    // restore_state() refuses what the MAC could not have saved, so no guard is needed.
    const std::optional<sim::region_id> saved = sim::lorawan_mac::saved_region(blob);
    const std::uint32_t h = fnv1a(blob);

    sim::world w(sim::world_options{sim::time_mode::virtual_time, h});
    sim::lora_medium m(w);
    auto raw = std::make_shared<sim::lora_radio>(m, "dev", sim::position_m{}, 0);
    raw->set_mac_mode(true);
    sim::lorawan_mac_settings s;
    s.region = saved.value_or(sim::region_id::eu868);
    s.device_class = (h & 1) != 0 ? sim::lorawan_device_class::c : sim::lorawan_device_class::a;
    s.adr = (h & 2) != 0;
    s.duty_cycle_enforced = (h & 4) != 0;
    sim::lorawan_mac mac(m, raw, "dev", sim::position_m{}, s);

    const std::vector<std::uint8_t> fresh = mac.save_state();
    const bool restored = mac.restore_state(blob);
    if (!restored) {
        FUZZ_CHECK(!mac.joined());
        FUZZ_CHECK(mac.save_state() == fresh);  // nothing changed
        mac.close();
        return 0;
    }
    FUZZ_CHECK(saved == s.region);
    FUZZ_CHECK(mac.joined());

    // Idempotent: what a restored MAC saves restores to itself.
    const std::vector<std::uint8_t> again = mac.save_state();
    FUZZ_CHECK(mac.restore_state(again));
    FUZZ_CHECK(mac.save_state() == again);

    // The restored session at work: uplinks (one confirmed), windows, retries, class C RX2.
    const sim::lorawan_region& reg = mac.region();
    const int dr = std::clamp(mac.params().dr, 0, reg.so_dr_max);
    (void)mac.send({0x01, 0x02, 0x03}, 1, false, dr, 0, false);
    (void)mac.send({}, 2, true, dr, 0, false);
    (void)mac.send({0x04}, 0, false, reg.default_socket_dr, 0, false);
    w.run(w.now_us() + 60 * second);
    const sim::lorawan_session after = mac.session();
    FUZZ_CHECK(after.joined);
    mac.close();
    return 0;
}
