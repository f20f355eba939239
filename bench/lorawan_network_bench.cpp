// bench/lorawan_network_bench.cpp: what the embedded LoRaWAN network server costs.
//
// The scenario (issue 5's performance target): N = 1000 OTAA devices, each the firmware's
// device MAC (lorawan_mac; --frame-devices swaps in the bench's own frame-level devices), uniform in a 150 m
// disc around one gateway (EU868, DR5 = SF7/125 kHz, 14 dBm: SF7's range under the medium's
// log-distance model is about 170 m), each joining and then sending 10 uplinks of 10 bytes on
// FPort 1, every 5th one confirmed. The devices are world events, not threads: a device sends
// its join request at a random time in the first hour (a fleet powering up) on a random
// default channel, opens RX1 at end + 5 s and RX2 at end + 6 s (inverted IQ), re-sends a join
// request 10 s after the last one while not joined (as the firmware does), then sends its
// uplinks on one of the eight channels (three default, five from the CFList) 600-660 s apart
// (a sensor reporting every 10 minutes), opening RX1 and RX2 after each. Faster traffic
// (joins within 600 s, uplinks a minute apart) collapses on one half-duplex gateway: SF12
// downlinks in RX2 make it deaf for seconds and failed joins retry every 10 s; wall time
// hardly depends on these rates, only the number of frames does. Everything goes through the medium (collisions, capture) and the server
// (dedup window, MIC, FCnt, keys, ACKs in RX1/RX2).
//
// The reference, timed in the same run, is the LoRaWAN work of the same frames alone: per
// device one join request encoded and verified, one join accept encoded and decoded, the
// session keys derived on both sides, and per uplink the frame encoded and decoded (MIC and
// payload), with the ACK encoded and decoded for confirmed ones. ratio = emulator / reference.
//
// Build it Release (bench/README.md): cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_network.hpp"
#include "usocket/sim/lorawan_region.hpp"
#include "usocket/sim/world.hpp"

namespace sim = usocket::sim;
namespace lw = usocket::sim::lorawan;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr sim::time_us second = 1'000'000;
constexpr std::uint64_t app_eui = 0x70B3D57ED0000001ULL;

struct options {
    int devices = 1000;
    int uplinks = 10;
    int confirmed_every = 5;  // every n-th uplink confirmed; 0: none
    int gateways = 1;
    int runs = 5;
    std::uint64_t seed = 42;
    double radius_m = 150.0;
    bool frame_devices = false;  // --frame-devices: the bench's own frame-level devices, not lorawan_mac
    std::string json_path;       // --json FILE: the results for bench/run as well
};

struct outcome {
    double seconds = 0;
    std::uint64_t joins = 0;
    std::uint64_t join_requests = 0;
    std::uint64_t uplinks_sent = 0;
    std::uint64_t uplinks_recorded = 0;
    std::uint64_t acks_received = 0;
    std::uint64_t downlinks = 0;
    std::uint64_t collisions = 0;
    std::uint64_t gateway_deaf = 0;  // uplink copies lost while the gateway transmitted
    std::uint64_t rx2_downlinks = 0;
    sim::time_us virtual_end_us = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

lw::aes_key key_of(std::uint64_t index) {
    lw::aes_key k{};
    for (std::size_t b = 0; b < k.size(); ++b) {
        k[b] = static_cast<std::uint8_t>((index * 131 + b * 17 + 5) & 0xFF);
    }
    return k;
}

std::uint64_t eui_of(std::uint64_t index) { return 0x70B3D54900000000ULL | index; }

// --- the emulator ---------------------------------------------------------------------------

class scenario {
public:
    explicit scenario(const options& o)
        : o_(o),
          w_(sim::world_options{sim::time_mode::virtual_time, o.seed}),
          m_(w_),
          ns_(m_, sim::region_id::eu868),
          r_(sim::region(sim::region_id::eu868)),
          rng_(o.seed),
          up_mod_(*sim::lorawan_modulation(r_, 5, true)) {
        for (int g = 0; g < o.gateways; ++g) {
            ns_.add_gateway("gw" + std::to_string(g), {g * 100.0, 0, 0});
        }
        for (const auto& l : ns_.gateway_listen_settings()) {
            if (l.spreading_factor == 7 && std::find(channels_.begin(), channels_.end(), l.frequency_hz) == channels_.end()) {
                channels_.push_back(l.frequency_hz);
            }
        }
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        devices_.resize(static_cast<std::size_t>(o.devices));
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            device& d = devices_[i];
            d.eui = eui_of(i);
            d.app_key = key_of(i);
            ns_.offer_otaa(d.eui, app_eui, d.app_key);
            const double rad = o.radius_m * std::sqrt(unit(rng_));
            const double a = 2.0 * pi * unit(rng_);
            d.radio = m_.attach("dev" + std::to_string(i), {rad * std::cos(a), rad * std::sin(a), 0},
                                [this, i](const sim::lora_reception& rx) { on_receive(i, rx); });
            const auto at = static_cast<sim::time_us>(unit(rng_) * 3600.0 * second);
            w_.schedule_at(at, [this, i] { join(i); });
        }
    }

    outcome run() {
        const auto t0 = std::chrono::steady_clock::now();
        w_.run(std::nullopt);
        outcome out = out_;
        out.seconds = seconds_since(t0);
        const auto c = ns_.counters();
        out.joins = c.joins_accepted;
        out.uplinks_recorded = c.uplinks_accepted;
        out.downlinks = c.downlinks_sent;
        out.collisions = m_.counters().collisions;
        out.gateway_deaf = c.lost_while_transmitting;
        for (const auto& d : ns_.downlinks()) {
            out.rx2_downlinks += d.window == sim::lorawan_window::rx2 ? 1 : 0;
        }
        out.virtual_end_us = w_.now_us();
        return out;
    }

private:
    struct device {
        std::uint64_t eui = 0;
        lw::aes_key app_key{};
        sim::lora_medium::radio_id radio = 0;
        std::uint16_t dev_nonce = 0;
        bool joined = false;
        std::uint32_t dev_addr = 0;
        lw::session_keys keys{};
        std::uint32_t fcnt = 0;
        std::uint32_t fcnt_down = 0;
        int sent = 0;
        bool answered = false;  // the current RX windows got a frame
        std::uint64_t generation = 0;
    };

    sim::lora_listen_settings rx_settings(std::int64_t frequency_hz, int dr) const {
        const auto mod = *sim::lorawan_modulation(r_, dr, false);
        return {frequency_hz, mod.spreading_factor, mod.bandwidth_hz, true, 0x34};
    }

    std::int64_t random_channel(int count) {
        return channels_[static_cast<std::size_t>(rng_() % static_cast<std::uint64_t>(count))];
    }

    void send(std::size_t i, lw::bytes phy, std::int64_t frequency_hz, sim::time_us rx1_delay,
              std::function<void()> after) {
        device& d = devices_[i];
        const std::uint64_t gen = ++d.generation;
        d.answered = false;
        m_.listen(d.radio, std::nullopt);
        sim::lora_frame f;
        f.frequency_hz = frequency_hz;
        f.modulation = up_mod_;
        f.payload = std::move(phy);
        m_.transmit(d.radio, std::move(f), [this, i, gen, frequency_hz, rx1_delay, after = std::move(after)] {
            const sim::time_us end = w_.now_us();
            device& dv = devices_[i];
            // RX1 opens 1 ms early and closes after 100 ms unless a frame is coming in.
            w_.schedule_at(end + rx1_delay - 1000, [this, i, gen, frequency_hz] {
                if (devices_[i].generation == gen) {
                    m_.listen(devices_[i].radio, rx_settings(frequency_hz, 5));
                }
            });
            w_.schedule_at(end + rx1_delay + 100'000, [this, i, gen] {
                if (devices_[i].generation == gen) {
                    m_.listen(devices_[i].radio, std::nullopt);
                }
            });
            w_.schedule_at(end + rx1_delay + second - 1000, [this, i, gen] {
                if (devices_[i].generation == gen && !devices_[i].answered) {
                    m_.listen(devices_[i].radio, rx_settings(r_.rx2_frequency_hz, r_.rx2_dr));
                }
            });
            w_.schedule_at(end + rx1_delay + 3 * second, [this, i, gen, after] {
                if (devices_[i].generation == gen) {
                    m_.listen(devices_[i].radio, std::nullopt);
                    after();
                }
            });
            (void)dv;
        });
    }

    void join(std::size_t i) {
        device& d = devices_[i];
        d.dev_nonce = static_cast<std::uint16_t>(rng_());
        ++out_.join_requests;
        const sim::time_us start = w_.now_us();
        send(i, lw::encode_join_request({app_eui, d.eui, d.dev_nonce}, d.app_key), random_channel(3),
             sim::join_accept_delay1_us, [this, i, start] {
                 device& dv = devices_[i];
                 if (dv.joined) {
                     w_.schedule_after(std::uniform_int_distribution<sim::time_us>(second, 60 * second)(rng_),
                                       [this, i] { uplink(i); });
                 } else {
                     w_.schedule_at(std::max(w_.now_us(), start + 10 * second), [this, i] { join(i); });
                 }
             });
    }

    void uplink(std::size_t i) {
        device& d = devices_[i];
        lw::data_frame f;
        const int n = d.sent + 1;
        f.type = o_.confirmed_every > 0 && n % o_.confirmed_every == 0 ? lw::mtype::confirmed_data_up
                                                                        : lw::mtype::unconfirmed_data_up;
        f.dev_addr = d.dev_addr;
        f.fcnt = d.fcnt++;
        f.fport = 1;
        f.frm_payload.assign(10, static_cast<std::uint8_t>(n));
        ++d.sent;
        ++out_.uplinks_sent;
        send(i, lw::encode_data_frame(f, d.keys), random_channel(static_cast<int>(channels_.size())),
             sim::receive_delay1_us, [this, i] {
                 if (devices_[i].sent < o_.uplinks) {
                     w_.schedule_after(600 * second + static_cast<sim::time_us>(rng_() % (60 * second)),
                                       [this, i] { uplink(i); });
                 }
             });
    }

    void on_receive(std::size_t i, const sim::lora_reception& rx) {
        device& d = devices_[i];
        if (!d.joined) {
            const auto accept = lw::decode_join_accept(*rx.payload, d.app_key);
            if (!accept) {
                return;  // another device's
            }
            d.joined = true;
            d.answered = true;
            d.dev_addr = accept->dev_addr;
            d.keys = lw::derive_session_keys(d.app_key, accept->app_nonce, accept->net_id, d.dev_nonce);
            m_.listen(d.radio, std::nullopt);
            return;
        }
        const auto down = lw::decode_data_frame(*rx.payload, d.keys, d.fcnt_down);
        if (!down || down->dev_addr != d.dev_addr) {
            return;
        }
        d.fcnt_down = down->fcnt + 1;
        d.answered = true;
        if (down->fctrl.ack) {
            ++out_.acks_received;
        }
        m_.listen(d.radio, std::nullopt);
    }

    const options o_;
    sim::world w_;
    sim::lora_medium m_;
    sim::lorawan_network ns_;
    const sim::lorawan_region& r_;
    std::mt19937_64 rng_;
    sim::lora_modulation up_mod_;
    std::vector<std::int64_t> channels_;
    std::vector<device> devices_;
    outcome out_;
};

// --- the emulator with the device MAC -------------------------------------------------------

// The same fleet with the firmware's device side: each device is a lorawan_mac (with its raw
// lora_radio as receive queue and stats block) driven by world events, as a script's
// non-blocking socket would drive it: join_otaa() at power-up (the MAC repeats the request
// every 10 s), a check every 10 s until joined, then send() every 600-660 s. The MAC picks
// channels, opens RX1/RX2, decodes join accepts and downlinks, answers MAC commands.
class mac_scenario {
public:
    explicit mac_scenario(const options& o)
        : o_(o), w_(sim::world_options{sim::time_mode::virtual_time, o.seed}), m_(w_),
          ns_(m_, sim::region_id::eu868), rng_(o.seed) {
        for (int g = 0; g < o.gateways; ++g) {
            ns_.add_gateway("gw" + std::to_string(g), {g * 100.0, 0, 0});
        }
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        sim::lora_radio_settings off;
        off.power_mode = sim::lora_power_mode::sleep;  // in LoRaWAN mode the MAC drives the air
        devices_.reserve(static_cast<std::size_t>(o.devices));
        for (int i = 0; i < o.devices; ++i) {
            const auto idx = static_cast<std::uint64_t>(i);
            const std::string name = "dev" + std::to_string(i);
            const double rad = o.radius_m * std::sqrt(unit(rng_));
            const double a = 2.0 * pi * unit(rng_);
            const sim::position_m where{rad * std::cos(a), rad * std::sin(a), 0};
            auto radio = std::make_shared<sim::lora_radio>(m_, name, where, 0);
            radio->configure(off);
            device d{eui_of(idx), key_of(idx), radio, std::make_unique<sim::lorawan_mac>(m_, radio, name, where, sim::lorawan_mac_settings{}), 0};
            ns_.offer_otaa(d.eui, app_eui, d.app_key);
            devices_.push_back(std::move(d));
            const auto at = static_cast<sim::time_us>(unit(rng_) * 3600.0 * second);
            w_.schedule_at(at, [this, i] {
                device& dv = devices_[static_cast<std::size_t>(i)];
                dv.mac->join_otaa(dv.eui, app_eui, dv.app_key, 5);
                w_.schedule_after(10 * second, [this, i] { check_joined(static_cast<std::size_t>(i)); });
            });
        }
    }

    outcome run() {
        w_.run(std::nullopt);
        outcome out = out_;
        const auto c = ns_.counters();
        out.joins = c.joins_accepted;
        out.join_requests = ns_.joins().size();  // the requests the server answered
        out.uplinks_recorded = c.uplinks_accepted;
        out.downlinks = c.downlinks_sent;
        out.collisions = m_.counters().collisions;
        out.gateway_deaf = c.lost_while_transmitting;
        for (const auto& d : ns_.downlinks()) {
            out.rx2_downlinks += d.window == sim::lorawan_window::rx2 ? 1 : 0;
            out.acks_received += d.ack ? 1 : 0;
        }
        out.virtual_end_us = w_.now_us();
        for (auto& d : devices_) {
            d.mac->close();
        }
        return out;
    }

private:
    struct device {
        std::uint64_t eui;
        lw::aes_key app_key;
        std::shared_ptr<sim::lora_radio> radio;
        std::unique_ptr<sim::lorawan_mac> mac;
        int sent;
    };

    void check_joined(std::size_t i) {
        if (devices_[i].mac->joined()) {
            w_.schedule_after(std::uniform_int_distribution<sim::time_us>(second, 60 * second)(rng_), [this, i] { uplink(i); });
        } else {
            w_.schedule_after(10 * second, [this, i] { check_joined(i); });
        }
    }

    void uplink(std::size_t i) {
        device& d = devices_[i];
        const int n = ++d.sent;
        const bool confirmed = o_.confirmed_every > 0 && n % o_.confirmed_every == 0;
        const auto status = d.mac->send(std::vector<std::uint8_t>(10, static_cast<std::uint8_t>(n)), 1, confirmed, 5,
                                        sim::time_us{0}, false);
        out_.uplinks_sent += status == sim::lorawan_mac::send_status::queued ? 1 : 0;
        if (d.sent < o_.uplinks) {
            w_.schedule_after(600 * second + static_cast<sim::time_us>(rng_() % (60 * second)), [this, i] { uplink(i); });
        }
    }

    const options o_;
    sim::world w_;
    sim::lora_medium m_;
    sim::lorawan_network ns_;
    std::mt19937_64 rng_;
    std::vector<device> devices_;
    outcome out_;
};

outcome run_emulator(const options& o) {
    const auto t0 = std::chrono::steady_clock::now();
    outcome out;
    if (o.frame_devices) {
        scenario s(o);  // set-up (attaching radios, registering devices) counts too
        out = s.run();
    } else {
        mac_scenario s(o);
        out = s.run();
    }
    out.seconds = seconds_since(t0);
    return out;
}

// --- the reference: the same frames' LoRaWAN work alone ------------------------------------

double run_reference(const options& o, std::uint64_t& checksum) {
    const auto t0 = std::chrono::steady_clock::now();
    std::mt19937_64 rng(o.seed);
    for (int i = 0; i < o.devices; ++i) {
        const auto key = key_of(static_cast<std::uint64_t>(i));
        const lw::join_request jr{app_eui, eui_of(static_cast<std::uint64_t>(i)), static_cast<std::uint16_t>(rng())};
        const lw::bytes req = lw::encode_join_request(jr, key);
        checksum += lw::verify_join_request(req, key) ? 1 : 0;
        lw::join_accept ja;
        ja.app_nonce = static_cast<std::uint32_t>(rng() & 0xFFFFFF);
        ja.net_id = 0x13;
        ja.dev_addr = 0x26000000u | static_cast<std::uint32_t>(i);
        ja.cf_list = lw::make_cf_list({867100000, 867300000, 867500000, 867700000, 867900000});
        const lw::bytes acc = lw::encode_join_accept(ja, key);
        const auto got = lw::decode_join_accept(acc, key);
        const auto ns_keys = lw::derive_session_keys(key, ja.app_nonce, ja.net_id, jr.dev_nonce);
        const auto dev_keys = lw::derive_session_keys(key, got->app_nonce, got->net_id, jr.dev_nonce);
        checksum += dev_keys.app_s_key[0];
        for (int n = 1; n <= o.uplinks; ++n) {
            lw::data_frame f;
            const bool confirmed = o.confirmed_every > 0 && n % o.confirmed_every == 0;
            f.type = confirmed ? lw::mtype::confirmed_data_up : lw::mtype::unconfirmed_data_up;
            f.dev_addr = ja.dev_addr;
            f.fcnt = static_cast<std::uint32_t>(n - 1);
            f.fport = 1;
            f.frm_payload.assign(10, static_cast<std::uint8_t>(n));
            const lw::bytes up = lw::encode_data_frame(f, dev_keys);
            const auto dec = lw::decode_data_frame(up, ns_keys, f.fcnt);
            checksum += dec->frm_payload[0];
            if (confirmed) {
                lw::data_frame a;
                a.type = lw::mtype::unconfirmed_data_down;
                a.dev_addr = ja.dev_addr;
                a.fcnt = static_cast<std::uint32_t>(n / o.confirmed_every - 1);
                a.fctrl.ack = true;
                const lw::bytes down = lw::encode_data_frame(a, ns_keys);
                checksum += lw::decode_data_frame(down, dev_keys, a.fcnt)->fctrl.ack ? 1 : 0;
            }
        }
    }
    return seconds_since(t0);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> long long {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return std::atoll(argv[++i]);
        };
        if (a == "--devices") {
            o.devices = static_cast<int>(value());
        } else if (a == "--uplinks") {
            o.uplinks = static_cast<int>(value());
        } else if (a == "--confirmed-every") {
            o.confirmed_every = static_cast<int>(value());
        } else if (a == "--gateways") {
            o.gateways = static_cast<int>(value());
        } else if (a == "--runs") {
            o.runs = static_cast<int>(value());
        } else if (a == "--seed") {
            o.seed = static_cast<std::uint64_t>(value());
        } else if (a == "--frame-devices") {
            o.frame_devices = true;
        } else if (a == "--json" && i + 1 < argc) {
            o.json_path = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: %s [--devices N] [--uplinks N] [--confirmed-every N] [--gateways N] [--runs N] "
                         "[--seed S] [--frame-devices] [--json FILE]\n",
                         argv[0]);
            std::exit(2);
        }
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    std::printf("lorawan_network_bench: %d OTAA devices x (join + %d uplinks), every %d-th confirmed, %d gateway(s), "
                "EU868 DR5, median of %d runs\n",
                o.devices, o.uplinks, o.confirmed_every, o.gateways, o.runs);
#ifndef NDEBUG
    std::printf("warning: assertions on (not a Release build): the numbers mean little\n");
#endif
    std::vector<double> emu;
    std::vector<double> ref;
    outcome last;
    std::uint64_t checksum = 0;
    for (int run = 0; run < o.runs; ++run) {
        last = run_emulator(o);
        emu.push_back(last.seconds);
        ref.push_back(run_reference(o, checksum));
        std::printf("  run %d: emulator %.3f s, reference %.3f s\n", run + 1, emu.back(), ref.back());
    }
    const double e = median(emu);
    const double r = median(ref);
    const double per_uplink_us = last.uplinks_recorded > 0 ? e / static_cast<double>(last.uplinks_recorded) * 1e6 : 0;
    std::printf("traffic (last run): %llu join requests, %llu joins accepted, %llu uplinks sent, %llu recorded by the "
                "server, %llu ACKs, %llu downlinks (%llu in RX2), %llu collisions, %llu lost to gateway TX, %.0f s of virtual time\n",
                static_cast<unsigned long long>(last.join_requests), static_cast<unsigned long long>(last.joins),
                static_cast<unsigned long long>(last.uplinks_sent),
                static_cast<unsigned long long>(last.uplinks_recorded),
                static_cast<unsigned long long>(last.acks_received), static_cast<unsigned long long>(last.downlinks),
                static_cast<unsigned long long>(last.rx2_downlinks),
                static_cast<unsigned long long>(last.collisions),
                static_cast<unsigned long long>(last.gateway_deaf), static_cast<double>(last.virtual_end_us) / 1e6);
    std::printf("emulator:  %.3f s wall (target < 2 s: %s), %.1f us per recorded uplink (joins included)\n", e,
                e < 2.0 ? "PASS" : "FAIL", per_uplink_us);
    std::printf("reference: %.3f s (the same frames' encode/decode/MIC/key work alone; checksum %llu)\n", r,
                static_cast<unsigned long long>(checksum % 1000));
    std::printf("ratio emulator / reference: %.1f\n", r > 0 ? e / r : 0.0);
    if (!o.json_path.empty()) {
        std::FILE* f = std::fopen(o.json_path.c_str(), "w");
        if (f == nullptr) {
            std::perror(o.json_path.c_str());
            return 1;
        }
        std::fprintf(f,
                     "[{\"benchmark\": \"%d OTAA device MACs x (join + %d uplinks) through the network server\", "
                     "\"wall_s\": %.4f, \"target_s\": 2.0, \"reference_s\": %.4f, \"ratio\": %.2f, "
                     "\"joins\": %llu, \"uplinks_recorded\": %llu, \"acks\": %llu, \"pass\": %s}]\n",
                     o.devices, o.uplinks, e, r, r > 0 ? e / r : 0.0, static_cast<unsigned long long>(last.joins),
                     static_cast<unsigned long long>(last.uplinks_recorded),
                     static_cast<unsigned long long>(last.acks_received), e < 2.0 ? "true" : "false");
        std::fclose(f);
    }
    return 0;
}
