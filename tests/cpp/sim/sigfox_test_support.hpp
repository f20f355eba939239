// tests/cpp/sim/sigfox_test_support.hpp: a Sigfox world for the Sigfox tests: the LoRa medium
// it takes propagation from, the Sigfox medium and network, and device threads.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/sigfox_medium.hpp"
#include "usocket/sim/sigfox_network.hpp"
#include "usocket/sim/sigfox_radio.hpp"
#include "usocket/sim/world.hpp"

namespace sigfox_test {

using namespace usocket::sim;

constexpr time_us second_us = 1'000'000;

/// One virtual-time world with the Sigfox air and network; spawn() runs a body on a device
/// thread (reserved first, so the clock waits for it). The destructor halts and joins.
struct sigfox_world {
    explicit sigfox_world(std::uint64_t seed = 7, sigfox_network_options options = {},
                          time_mode mode = time_mode::virtual_time)
        : w(world_options{mode, seed}), lora(w), air(lora), network(air, options) {}

    ~sigfox_world() {
        w.halt();
        join();
    }
    sigfox_world(const sigfox_world&) = delete;
    sigfox_world& operator=(const sigfox_world&) = delete;

    std::shared_ptr<sigfox_radio> device(const std::string& name, position_m where, std::uint32_t id,
                                         sigfox_zone zone = sigfox_zone::rcz1) {
        auto r = std::make_shared<sigfox_radio>(air, name, where, id);
        r->open(sigfox_mode::sigfox, zone, 0);
        return r;
    }

    void spawn(std::function<void()> body) {
        const device_id dev = w.add_device();
        w.reserve_thread(dev);
        threads.emplace_back([this, dev, body = std::move(body)] {
            w.attach_thread(dev);
            try {
                body();
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex);
                errors.push_back(std::current_exception());
            }
            w.detach_thread();
        });
    }

    /// Runs the world until nothing can happen (or `until_us`), joins the threads and
    /// rethrows the first exception a body threw.
    void run(std::optional<time_us> until_us = std::nullopt) {
        w.run(until_us);
        if (!until_us) {
            join();
            std::lock_guard<std::mutex> lock(mutex);
            if (!errors.empty()) {
                std::rethrow_exception(errors.front());
            }
        }
    }

    void join() {
        for (auto& t : threads) {
            if (t.joinable()) {
                t.join();
            }
        }
    }

    world w;
    lora_medium lora;
    sigfox_medium air;
    sigfox_network network;
    std::mutex mutex;
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors;
};

inline std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

}  // namespace sigfox_test
