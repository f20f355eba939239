// bench/lora_medium_bench.cpp: what the shared LoRa medium costs per transmission.
//
// The scenario is the ALOHA test's largest (tests/cpp/sim/test_lora_aloha.cpp), LoRaSim
// experiment 0's traffic: N = 1000 nodes uniform in a 50 m disc around one listening
// receiver, 20-byte frames at SF12/125 kHz/CR 4/8 (1712.128 ms), each node waiting
// Exp(mean 10^6 ms) after its previous frame ends, 10^8 ms of emulated time: about 100,000
// transmissions. The reference, timed in the same run, is the same scenario in a minimal
// hand-written event loop (std::priority_queue, LoRaSim's simple collision check at the one
// receiver): the floor of what simulating this traffic costs. With the simple model both
// see the same draws in the same order, so they must deliver exactly the same frames.
//
// Build it Release (bench/README.md): cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/world.hpp"

namespace sim = usocket::sim;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double avg_send_us = 1e9;                  // 10^6 ms
constexpr sim::time_us horizon_us = 100'000'000'000;  // 10^8 ms
constexpr double disc_radius_m = 50.0;

struct options {
    int nodes = 1000;
    int runs = 5;
    std::uint64_t seed = 42;
    std::string json_path;  // --json FILE: the results for bench/run as well
};

struct outcome {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    double seconds = 0;
    std::size_t peak_heap_bytes = 0;  // heap in use at its highest, sampled (memory runs only)
};

sim::lora_frame experiment0_frame() {
    sim::lora_frame f;
    f.frequency_hz = 868000000;
    f.modulation.spreading_factor = 12;
    f.modulation.bandwidth_hz = 125000;
    f.modulation.coding_rate = 4;
    f.tx_power_dbm = 14.0;
    f.payload.assign(20, 0x5a);
    return f;
}

std::vector<sim::position_m> place(std::mt19937_64& rng, int nodes) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<sim::position_m> where;
    where.reserve(static_cast<std::size_t>(nodes));
    for (int i = 0; i < nodes; ++i) {
        const double r = disc_radius_m * std::sqrt(unit(rng));
        const double a = 2.0 * pi * unit(rng);
        where.push_back({r * std::cos(a), r * std::sin(a), 0});
    }
    return where;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size = 0;
    std::size_t resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --- the emulator: world + lora_medium -------------------------------------------------------

outcome run_medium(const options& o, bool capture, bool sample_heap, std::size_t* setup_heap_bytes = nullptr) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t heap0 = sample_heap ? heap_in_use() : 0;
    outcome out;
    {
        sim::world w(sim::world_options{sim::time_mode::virtual_time, o.seed});
        sim::lora_model model;
        model.capture = capture;
        sim::lora_medium m(w, model);
        sim::lora_listen_settings listen;
        listen.spreading_factor = 12;
        const auto receiver = m.attach("gw", {0, 0, 0}, [&out](const sim::lora_reception&) { ++out.received; });
        m.listen(receiver, listen);

        std::mt19937_64 rng(o.seed);
        const auto where = place(rng, o.nodes);
        std::vector<sim::lora_medium::radio_id> ids;
        ids.reserve(where.size());
        for (std::size_t i = 0; i < where.size(); ++i) {
            ids.push_back(m.attach("n" + std::to_string(i), where[i], {}));
        }
        const sim::lora_frame frame = experiment0_frame();
        std::exponential_distribution<double> wait(1.0 / avg_send_us);
        std::function<void(std::size_t)> wait_then_send = [&](std::size_t i) {
            const sim::time_us at = w.now_us() + std::llround(wait(rng));
            if (at >= horizon_us) {
                return;
            }
            w.schedule_at(at, [&, i] {
                ++out.sent;
                m.transmit(ids[i], frame, [&, i] {
                    if (sample_heap && out.sent % 256 == 0) {
                        out.peak_heap_bytes = std::max(out.peak_heap_bytes, heap_in_use() - heap0);
                    }
                    wait_then_send(i);
                });
            });
        };
        for (std::size_t i = 0; i < ids.size(); ++i) {
            wait_then_send(i);
        }
        if (setup_heap_bytes != nullptr) {
            *setup_heap_bytes = heap_in_use() - heap0;
        }
        w.run(horizon_us + sim::time_on_air_us(frame.modulation, frame.payload.size()) + 1);
    }
    out.seconds = seconds_since(t0);
    return out;
}

// --- the reference: a minimal event loop ------------------------------------------------------

outcome run_reference(const options& o, bool sample_heap) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t heap0 = sample_heap ? heap_in_use() : 0;
    outcome out;
    {
        std::mt19937_64 rng(o.seed);
        const auto where = place(rng, o.nodes);
        const sim::lora_frame frame = experiment0_frame();
        const sim::time_us airtime = sim::time_on_air_us(frame.modulation, frame.payload.size());
        const double sensitivity = sim::sensitivity_dbm(12, 125000);
        std::exponential_distribution<double> wait(1.0 / avg_send_us);

        struct event {
            sim::time_us at;
            std::uint64_t seq;  // insertion order breaks ties, as the world's scheduler does
            std::uint32_t node;
            bool end;
            bool operator>(const event& e) const { return at != e.at ? at > e.at : seq > e.seq; }
        };
        struct in_air {
            std::uint32_t node;
            sim::time_us end;
            bool collided;
        };
        std::priority_queue<event, std::vector<event>, std::greater<>> queue;
        std::vector<in_air> at_receiver;
        std::uint64_t seq = 0;
        sim::time_us now = 0;
        auto wait_then_send = [&](std::uint32_t node) {
            const sim::time_us at = now + std::llround(wait(rng));
            if (at < horizon_us) {
                queue.push({at, ++seq, node, false});
            }
        };
        for (std::uint32_t i = 0; i < where.size(); ++i) {
            wait_then_send(i);
        }
        while (!queue.empty()) {
            const event e = queue.top();
            queue.pop();
            now = e.at;
            if (!e.end) {
                ++out.sent;
                // The same path loss as the medium's (radio.md 4.3), and its sensitivity check.
                const auto& p = where[e.node];
                const double d = std::max(std::sqrt(p.x_m * p.x_m + p.y_m * p.y_m + p.z_m * p.z_m), 1.0);
                const double rssi = 14.0 - (127.41 + 10.0 * 2.08 * std::log10(d / 40.0));
                queue.push({now + airtime, ++seq, e.node, true});
                if (rssi < sensitivity) {
                    continue;
                }
                at_receiver.erase(std::remove_if(at_receiver.begin(), at_receiver.end(),
                                                 [&](const in_air& a) { return a.end <= now; }),
                                  at_receiver.end());
                bool collided = false;
                for (auto& a : at_receiver) {  // LoRaSim's simple model: any overlap kills both
                    a.collided = true;
                    collided = true;
                }
                at_receiver.push_back({e.node, now + airtime, collided});
            } else {
                const auto it = std::find_if(at_receiver.begin(), at_receiver.end(),
                                             [&](const in_air& a) { return a.node == e.node; });
                if (it != at_receiver.end()) {
                    out.received += it->collided ? 0 : 1;
                    at_receiver.erase(it);
                }
                if (sample_heap && out.sent % 256 == 0) {
                    out.peak_heap_bytes = std::max(out.peak_heap_bytes, heap_in_use() - heap0);
                }
                wait_then_send(e.node);
            }
        }
    }
    out.seconds = seconds_since(t0);
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--nodes N] [--runs R] [--seed S] [--json FILE]\n", argv0);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            usage(argv[0]);
        }
        const char* value = argv[++i];
        if (arg == "--nodes") {
            o.nodes = std::atoi(value);
        } else if (arg == "--runs") {
            o.runs = std::atoi(value);
        } else if (arg == "--seed") {
            o.seed = std::strtoull(value, nullptr, 10);
        } else if (arg == "--json") {
            o.json_path = value;
        } else {
            usage(argv[0]);
        }
    }
    if (o.nodes < 2 || o.runs < 1) {
        usage(argv[0]);
    }
#ifndef NDEBUG
    std::printf("warning: built without NDEBUG (not Release): the numbers mean little\n");
#endif

    const double t_ms = static_cast<double>(sim::time_on_air_us(experiment0_frame().modulation, 20)) / 1000.0;
    const double g = (o.nodes - 1) * t_ms / (avg_send_us / 1000.0 + t_ms);
    std::printf("lora_medium_bench: %d nodes, SF12/125 CR4/8 20 B (%.3f ms), Exp(10^6 ms) waits, 10^8 ms emulated\n",
                o.nodes, t_ms);
    std::printf("pure ALOHA: G = %.4f, exp(-2G) = %.4f\n\n", g, std::exp(-2 * g));

    // Memory first, in a fresh process state: heap in use (glibc mallinfo2().uordblks) after
    // the set-up (world, medium, N radios attached, each node's first wait scheduled), and
    // its peak sampled every 256 transmissions during the run; plus the process's RSS growth
    // over that first run (RSS never shrinks back, so only the first run shows it).
    const std::size_t rss0 = rss_bytes();
    std::size_t setup_heap = 0;
    const outcome mem_medium = run_medium(o, false, true, &setup_heap);
    const std::size_t rss1 = rss_bytes();
    const outcome mem_reference = run_reference(o, true);
    const double n = o.nodes;

    std::vector<double> medium_s;
    std::vector<double> capture_s;
    std::vector<double> reference_s;
    outcome medium;
    outcome capture;
    outcome reference;
    (void)run_medium(o, false, false);  // warm-up
    for (int r = 0; r < o.runs; ++r) {  // alternate, so drift hits all alike
        medium = run_medium(o, false, false);
        medium_s.push_back(medium.seconds);
        reference = run_reference(o, false);
        reference_s.push_back(reference.seconds);
        capture = run_medium(o, true, false);
        capture_s.push_back(capture.seconds);
    }
    const double med_medium = median(medium_s);
    const double med_capture = median(capture_s);
    const double med_reference = median(reference_s);
    auto per_tx_ns = [](double s, const outcome& x) { return s * 1e9 / static_cast<double>(x.sent); };

    std::printf("%-34s %10s %12s %10s %8s\n", "median of runs", "wall (s)", "transmissions", "ns / tx", "DER");
    std::printf("%-34s %10.4f %12llu %10.0f %8.4f\n", "lora_medium, simple model", med_medium,
                static_cast<unsigned long long>(medium.sent), per_tx_ns(med_medium, medium),
                static_cast<double>(medium.received) / static_cast<double>(medium.sent));
    std::printf("%-34s %10.4f %12llu %10.0f %8.4f\n", "lora_medium, capture (default)", med_capture,
                static_cast<unsigned long long>(capture.sent), per_tx_ns(med_capture, capture),
                static_cast<double>(capture.received) / static_cast<double>(capture.sent));
    std::printf("%-34s %10.4f %12llu %10.0f %8.4f\n", "reference event loop, simple", med_reference,
                static_cast<unsigned long long>(reference.sent), per_tx_ns(med_reference, reference),
                static_cast<double>(reference.received) / static_cast<double>(reference.sent));
    std::printf("\nratio medium / reference (simple model, lower is better): %.2f\n", med_medium / med_reference);
    std::printf("same frames delivered as the reference: %s\n",
                medium.sent == reference.sent && medium.received == reference.received ? "yes" : "NO");
    std::printf("runs: %d each (plus one warm-up of the medium), emulated/wall: %.0fx\n\n", o.runs,
                1e5 / med_medium);

    std::printf("memory (glibc mallinfo2 heap in use, first run; RSS from /proc/self/statm):\n");
    std::printf("  medium set-up (world, medium, %d radios, first events): %.0f B per node\n", o.nodes,
                static_cast<double>(setup_heap) / n);
    std::printf("  medium peak heap during the run:                        %.0f B per node\n",
                static_cast<double>(mem_medium.peak_heap_bytes) / n);
    std::printf("  reference peak heap during the run:                     %.0f B per node\n",
                static_cast<double>(mem_reference.peak_heap_bytes) / n);
    const std::size_t rss_growth = rss1 > rss0 ? rss1 - rss0 : 0;
    std::printf("  RSS growth over the first medium run:                   %.0f B per node (%zu KiB)\n",
                static_cast<double>(rss_growth) / n, rss_growth / 1024);
    if (!o.json_path.empty()) {
        std::FILE* f = std::fopen(o.json_path.c_str(), "w");
        if (f == nullptr) {
            std::perror(o.json_path.c_str());
            return 1;
        }
        const auto line = [&](const char* name, double wall_s, bool with_reference, bool last) {
            std::fprintf(f,
                         "  {\"benchmark\": \"%s\", \"wall_s\": %.4f, \"target_s\": 1.0, \"reference_s\": %s, "
                         "\"ratio\": %s, \"transmissions\": %llu, \"ns_per_tx\": %.0f, \"pass\": %s}%s\n",
                         name, wall_s, with_reference ? std::to_string(med_reference).c_str() : "null",
                         with_reference ? std::to_string(wall_s / med_reference).c_str() : "null",
                         static_cast<unsigned long long>(medium.sent), per_tx_ns(wall_s, medium),
                         wall_s < 1.0 ? "true" : "false", last ? "" : ",");
        };
        std::fprintf(f, "[\n");
        line("lora_medium: 1000 nodes, SF12 20 B, 10^8 ms emulated, simple model", med_medium, true, false);
        line("lora_medium: the same with capture (default model)", med_capture, false, true);
        std::fprintf(f, "]\n");
        std::fclose(f);
    }
    return 0;
}
