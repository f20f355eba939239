// fuzz/fuzz_seed_gen.cpp: writes the seeds that only the library can make: nvram_save() blobs
// of joined MACs (fuzz_mac_restore), one per region and a few variants, so the seeds follow
// the state format as it changes. Usage: fuzz_seed_gen <dir>. tools/fuzz.sh runs it.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/world.hpp"

namespace sim = usocket::sim;

namespace {

void write(const std::string& path, const std::vector<std::uint8_t>& blob) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
}

std::vector<std::uint8_t> saved(sim::region_id region, int variant) {
    sim::world w(sim::world_options{sim::time_mode::virtual_time, 1});
    sim::lora_medium m(w);
    auto raw = std::make_shared<sim::lora_radio>(m, "dev", sim::position_m{}, 0);
    raw->set_mac_mode(true);
    sim::lorawan_mac_settings s;
    s.region = region;
    sim::lorawan_mac mac(m, raw, "dev", sim::position_m{}, s);
    sim::lorawan::aes_key nwk{};
    sim::lorawan::aes_key app{};
    nwk.fill(0x02);
    app.fill(0x01);
    mac.join_abp(0x26011234, nwk, app);
    if (variant >= 1) {
        mac.set_frame_counters(0x0001FFF0, 0x00000010);
        mac.request_link_check();
    }
    if (variant >= 2) {
        (void)mac.add_channel(3, 867100000, 0, 5);
        mac.set_battery_level(200);
    }
    auto blob = mac.save_state();
    mac.close();
    return blob;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir for fuzz_mac_restore>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    for (const sim::region_id r : sim::all_regions) {
        for (int variant = 0; variant < (r == sim::region_id::eu868 ? 3 : 1); ++variant) {
            write(dir + "/saved_" + sim::region(r).name + "_" + std::to_string(variant) + ".bin", saved(r, variant));
        }
    }
    return 0;
}
