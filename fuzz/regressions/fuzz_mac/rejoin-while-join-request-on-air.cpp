// Directed reproducer (not a fuzz input) of the same bug as restore-state-while-uplink-on-air:
// join_otaa() while the previous join request is still on the air throws std::logic_error
// "a radio sends one frame at a time" out of join_otaa(). Build against build/fuzz radio_sim:
// clang++ -std=c++17 -fsanitize=fuzzer-no-link,address,undefined -Iinclude THIS build/fuzz/emulator/radio_sim/libradio_sim.a -lfmt -lcrypto
#include <cstdio>
#include <memory>
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/world.hpp"
namespace sim = usocket::sim;
int main() {
    sim::world w(sim::world_options{sim::time_mode::virtual_time, 1});
    sim::lora_medium m(w);
    auto raw = std::make_shared<sim::lora_radio>(m, "dev", sim::position_m{}, 0);
    raw->set_mac_mode(true);
    sim::lorawan_mac mac(m, raw, "dev", sim::position_m{}, sim::lorawan_mac_settings{});
    sim::lorawan::aes_key k{};
    mac.join_otaa(1, 2, k, 0);           // a join request at DR0 (SF12): ~1.5 s on air
    w.run(500'000);
    try {
        mac.join_otaa(1, 2, k, 0);       // the script calls join() again while it is on air
        std::puts("second join_otaa: no exception");
    } catch (const std::exception& e) {
        std::printf("second join_otaa threw: %s\n", e.what());
    }
    mac.close();
}
