// tests/cpp/sim/test_lorawan_mac.cpp: the device-side LoRaWAN MAC (pycom-api.md 3.4, 3.7,
// 4.4-4.8; radio.md 2, 3; interop.md 4) against a small test network in the same file: radios
// of the medium that listen as a gateway would (normal IQ, every uplink channel and DR), decode
// with lorawan_frame and answer with inverted IQ at exactly uplink end + 1 s / 2 s (data) or
// + 5 s / 6 s (joins). Everything runs in virtual time; blocking calls run on device threads.
#include "usocket/sim/lorawan_mac.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_frame.hpp"
#include "usocket/sim/lorawan_region.hpp"
#include "usocket/sim/world.hpp"

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

namespace sim = usocket::sim;
namespace lw = usocket::sim::lorawan;
using sim::lorawan_mac;
using sim::region_id;
using sim::time_us;
using status = sim::lorawan_mac::send_status;

namespace {

constexpr lw::aes_key app_key{0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                              0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
constexpr lw::aes_key nwk_key{0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                              0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
constexpr lw::aes_key app_s_key{0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                                0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};
constexpr std::uint64_t dev_eui = 0x70B3D54990000001ULL;
constexpr std::uint64_t app_eui = 0x70B3D57ED0000001ULL;
constexpr std::uint32_t abp_addr = 0x26011BDAU;
constexpr time_us second = 1'000'000;

lw::bytes to_bytes(const std::string& s) { return lw::bytes(s.begin(), s.end()); }

/// The DR of an uplink modulation in region `r`.
int uplink_dr_of(const sim::lorawan_region& r, int sf, std::int64_t bw) {
    for (int dr = r.uplink_drs.min_dr; dr <= r.uplink_drs.max_dr; ++dr) {
        const auto& d = sim::data_rate_of(r, dr);
        if (d.kind == sim::data_rate_kind::lora && d.spreading_factor == sf && d.bandwidth_hz == bw) {
            return dr;
        }
    }
    return -1;
}

/// One frame the network heard.
struct heard {
    time_us start_us = 0;
    time_us end_us = 0;
    std::int64_t frequency_hz = 0;
    int dr = 0;
    lw::bytes phy;
    std::optional<lw::join_request> join;
    std::optional<lw::data_frame> data;  // decoded with the session keys
};

/// A downlink the test wants sent after the next uplink.
struct planned {
    std::optional<std::uint8_t> port;
    lw::bytes payload;
    lw::bytes fopts;
    bool confirmed = false;
    int window = 0;  // 0: the network's data_window
    std::optional<std::uint32_t> fcnt;  // override (replays, 32-bit counters)
};

/// The test network: gateways listening on every uplink channel and DR of the region.
class test_network {
public:
    test_network(sim::lora_medium& m, region_id id, sim::position_m where, std::vector<std::int64_t> extra_hz = {})
        : medium_(m), w_(m.owner()), reg_(sim::region(id)) {
        std::set<std::pair<std::int64_t, std::int64_t>> freqs;  // frequency, bandwidth
        for (const auto& ch : sim::initial_channels(reg_)) {
            if (ch.frequency_hz != 0) {
                freqs.insert({ch.frequency_hz, sim::data_rate_of(reg_, ch.dr_min).bandwidth_hz});
            }
        }
        for (const auto f : extra_hz) {
            freqs.insert({f, 125000});
        }
        for (const auto& [f, bw] : freqs) {
            for (int dr = reg_.uplink_drs.min_dr; dr <= reg_.uplink_drs.max_dr; ++dr) {
                const auto& d = sim::data_rate_of(reg_, dr);
                if (d.kind != sim::data_rate_kind::lora || d.bandwidth_hz != bw) {
                    continue;
                }
                const auto id_ = m.attach("gw", where, [this](const sim::lora_reception& rx) { on_uplink(rx); });
                m.listen(id_, sim::lora_listen_settings{f, d.spreading_factor, bw, false, 0x34});
            }
        }
        tx_ = m.attach("gw_tx", where, {});
    }

    // Configuration.
    bool answer_joins = true;
    int join_window = 1;
    std::uint8_t accept_rx1_dr_offset = 0;
    std::optional<std::uint8_t> accept_rx2_dr;
    std::uint8_t accept_rx_delay = 0;
    std::optional<lw::cf_list_bytes> cf_list;
    bool ack_confirmed = true;
    int data_window = 1;
    time_us data_rx1_delay_us = second;
    int rx1_dr_offset = 0;
    std::optional<int> rx2_dr;
    std::optional<std::int64_t> rx2_frequency_hz;
    std::deque<planned> pending;

    // Session.
    bool has_session = false;
    lw::session_keys keys{};
    std::uint32_t dev_addr = 0;
    std::uint32_t next_up = 0;  // the smallest acceptable FCntUp (the last one: retransmissions)
    std::uint32_t fcnt_down = 0;

    std::vector<heard> uplinks;
    std::vector<time_us> downlink_ends;

    void set_abp(std::uint32_t addr, const lw::aes_key& nwk, const lw::aes_key& app) {
        has_session = true;
        dev_addr = addr;
        keys = {nwk, app};
    }

    /// Sends a downlink now on RX2's frequency and DR (class C tests).
    void send_now_rx2(planned d) {
        transmit(make_data(std::move(d), false), rx2_frequency_hz.value_or(reg_.rx2_frequency_hz),
                 rx2_dr.value_or(reg_.rx2_dr));
    }

    std::vector<heard> data_uplinks() const {
        std::vector<heard> out;
        for (const auto& h : uplinks) {
            if (h.data) {
                out.push_back(h);
            }
        }
        return out;
    }

private:
    void on_uplink(const sim::lora_reception& rx) {
        heard h;
        h.start_us = rx.start_us;
        h.end_us = rx.end_us;
        h.frequency_hz = rx.frequency_hz;
        h.dr = uplink_dr_of(reg_, rx.spreading_factor, rx.bandwidth_hz);
        h.phy = *rx.payload;
        const auto hdr = lw::parse_mhdr(h.phy);
        if (!hdr) {
            return;
        }
        if (hdr->type == lw::mtype::join_request) {
            const auto req = lw::decode_join_request(h.phy, app_key);
            if (!req) {
                return;
            }
            h.join = *req;
            uplinks.push_back(h);
            if (answer_joins) {
                answer_join(h);
            }
            return;
        }
        if (!has_session) {
            uplinks.push_back(h);
            return;
        }
        const auto f = lw::decode_data_frame(h.phy, keys, next_up);
        if (f && f->dev_addr == dev_addr) {
            h.data = *f;
            next_up = f->fcnt;  // a retransmission keeps its counter
        }
        uplinks.push_back(h);
        if (!h.data) {
            return;
        }
        const bool ack = lw::is_confirmed(f->type) && ack_confirmed;
        if (pending.empty() && !ack) {
            return;
        }
        planned d = pending.empty() ? planned{} : pending.front();
        if (!pending.empty()) {
            pending.pop_front();
        }
        const int window = d.window != 0 ? d.window : data_window;
        const lw::bytes phy = make_data(std::move(d), ack);
        schedule(h, phy, window, data_rx1_delay_us, rx1_dr_offset, rx2_frequency_hz.value_or(reg_.rx2_frequency_hz),
                 rx2_dr.value_or(reg_.rx2_dr));
    }

    lw::bytes make_data(planned d, bool ack) {
        lw::data_frame f;
        f.type = lw::data_mtype(lw::direction::downlink, d.confirmed);
        f.dev_addr = dev_addr;
        f.fctrl.ack = ack;
        f.fcnt = d.fcnt.value_or(fcnt_down);
        fcnt_down = f.fcnt + 1;
        f.fopts = d.fopts;
        f.fport = d.port;
        f.frm_payload = d.payload;
        return lw::encode_data_frame(f, keys);
    }

    void answer_join(const heard& h) {
        lw::join_accept a;
        a.app_nonce = 0x000100 + static_cast<std::uint32_t>(uplinks.size());
        a.net_id = 0x000013;
        a.dev_addr = 0x26000000U | (static_cast<std::uint32_t>(uplinks.size()) & 0xFFFF);
        a.rx1_dr_offset = accept_rx1_dr_offset;
        a.rx2_data_rate = accept_rx2_dr.value_or(static_cast<std::uint8_t>(reg_.rx2_dr));
        a.rx_delay = accept_rx_delay;
        a.cf_list = cf_list;
        keys = lw::derive_session_keys(app_key, a.app_nonce, a.net_id, h.join->dev_nonce);
        dev_addr = a.dev_addr;
        has_session = true;
        next_up = 0;
        fcnt_down = 0;
        // The join accept uses the default RX parameters (offset 0, region RX2).
        schedule(h, lw::encode_join_accept(a, app_key), join_window, sim::join_accept_delay1_us, 0,
                 reg_.rx2_frequency_hz, reg_.rx2_dr);
        rx1_dr_offset = accept_rx1_dr_offset;
        if (accept_rx2_dr) {
            rx2_dr = *accept_rx2_dr;
        }
        data_rx1_delay_us = sim::rx_delay_us(accept_rx_delay);
    }

    void schedule(const heard& h, lw::bytes phy, int window, time_us rx1_delay, int offset, std::int64_t rx2_hz,
                  int rx2_dr_) {
        std::int64_t f = rx2_hz;
        int dr = rx2_dr_;
        time_us at = h.end_us + rx1_delay + second;
        if (window == 1) {
            int index = 0;
            const auto channels = sim::initial_channels(reg_);
            for (std::size_t i = 0; i < channels.size(); ++i) {
                if (channels[i].frequency_hz == h.frequency_hz) {
                    index = static_cast<int>(i);
                }
            }
            sim::channel ch;
            ch.frequency_hz = h.frequency_hz;
            f = sim::rx1_frequency_hz(reg_, index, ch);
            dr = sim::rx1_data_rate(reg_, h.dr, offset);
            at = h.end_us + rx1_delay;
        }
        w_.schedule_at(at, [this, phy = std::move(phy), f, dr] { transmit(phy, f, dr); });
    }

    void transmit(lw::bytes phy, std::int64_t frequency_hz, int dr) {
        sim::lora_frame frame;
        frame.frequency_hz = frequency_hz;
        frame.modulation = *sim::lorawan_modulation(reg_, dr, false);
        frame.iq_inverted = true;
        frame.sync_word = 0x34;
        frame.tx_power_dbm = 20;
        frame.payload = std::move(phy);
        downlink_ends.push_back(w_.now_us() + sim::time_on_air_us(frame.modulation, frame.payload.size()));
        medium_.transmit(tx_, std::move(frame));
    }

    sim::lora_medium& medium_;
    sim::world& w_;
    const sim::lorawan_region& reg_;
    sim::lora_medium::radio_id tx_ = 0;
};

/// One device (raw radio asleep + MAC) and the test network, 10 m apart.
struct bench {
    explicit bench(sim::lorawan_mac_settings s = {}, std::uint64_t seed = 1, std::vector<std::int64_t> extra_hz = {})
        : w(sim::world_options{sim::time_mode::virtual_time, seed}),
          medium(w),
          radio(std::make_shared<sim::lora_radio>(medium, "dev_raw", sim::position_m{}, 0)),
          mac(medium, radio, "dev", sim::position_m{}, s),
          net(medium, s.region, sim::position_m{10, 0, 0}, std::move(extra_hz)) {
        w.keep_log_in_memory(true);
        radio->set_power_mode(sim::lora_power_mode::sleep);
    }
    ~bench() {
        if (std::getenv("MAC_TEST_DUMP") != nullptr) {
            for (const auto& line : w.logged_lines()) {
                std::fprintf(stderr, "%s\n", line.c_str());
            }
        }
    }
    bench(const bench&) = delete;
    bench& operator=(const bench&) = delete;
    void abp() {
        mac.join_abp(abp_addr, nwk_key, app_s_key);
        net.set_abp(abp_addr, nwk_key, app_s_key);
    }
    /// Non-blocking send from the test thread (never waits).
    status send(const std::string& text, int port = 2, bool confirmed = false, int dr = 5) {
        return mac.send(to_bytes(text), port, confirmed, dr, time_us{0}, false);
    }
    void run_until(time_us t) {
        const auto st = w.run(t);
        REQUIRE((st == sim::run_status::until_reached || st == sim::run_status::idle));
    }
    void run_idle() { REQUIRE(w.run(std::nullopt) == sim::run_status::idle); }

    sim::world w;
    sim::lora_medium medium;
    std::shared_ptr<sim::lora_radio> radio;
    lorawan_mac mac;
    test_network net;
};

/// Device threads of one test (as in test_world.cpp): reserved before start, halted and
/// joined at the end.
class device_threads {
public:
    explicit device_threads(sim::world& w) : w_(w) {}
    ~device_threads() {
        if (!joined_) {
            w_.halt();
        }
        join();
    }
    device_threads(const device_threads&) = delete;
    device_threads& operator=(const device_threads&) = delete;
    void spawn(std::function<void()> body) {
        const auto dev = w_.add_device();
        w_.reserve_thread(dev);
        threads_.emplace_back([this, dev, body = std::move(body)] {
            w_.attach_thread(dev);
            try {
                body();
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                errors_.push_back(std::current_exception());
            }
            w_.detach_thread();
        });
    }
    void join() {
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        joined_ = true;
        if (!errors_.empty()) {
            std::rethrow_exception(errors_.front());
        }
    }

private:
    sim::world& w_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
    std::vector<std::exception_ptr> errors_;
    bool joined_ = false;
};

/// Emulated times of the logged events named `event`, optionally with `field` in the line.
std::vector<time_us> event_times(const sim::world& w, const std::string& event, const std::string& field = {}) {
    std::vector<time_us> out;
    const std::string key = "\"event\": \"" + event + "\"";
    for (const auto& line : w.logged_lines()) {
        if (line.find(key) != std::string::npos && (field.empty() || line.find(field) != std::string::npos)) {
            out.push_back(std::stoll(line.substr(line.find(':') + 1)));
        }
    }
    return out;
}

time_us airtime(region_id r, int dr, std::size_t size, bool uplink) {
    return sim::time_on_air_us(*sim::lorawan_modulation(sim::region(r), dr, uplink), size);
}

time_us window_us(region_id r, int dr) {
    const auto m = *sim::lorawan_modulation(sim::region(r), dr, false);
    return lorawan_mac::rx_window_symbols * sim::symbol_time_us(m.spreading_factor, m.bandwidth_hz);
}

lw::bytes fopts_of(const heard& h) { return h.data ? h.data->fopts : lw::bytes{}; }

}  // namespace

// --- activation ---------------------------------------------------------------------------

TEST_CASE("lorawan_mac: OTAA joins with the JoinAccept in RX1 at +5 s", "[mac]") {
    bench b;
    CHECK_FALSE(b.mac.joined());
    b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
    b.run_until(30 * second);
    REQUIRE(b.mac.joined());
    REQUIRE(b.net.uplinks.size() == 1);  // accepted: no more requests
    const heard& req = b.net.uplinks[0];
    REQUIRE(req.join);
    CHECK(req.start_us == 0);
    CHECK(req.dr == 5);
    CHECK(req.phy.size() == lw::join_request_size);
    CHECK(req.join->dev_eui == dev_eui);
    CHECK(req.join->app_eui == app_eui);
    CHECK(lw::verify_join_request(req.phy, app_key));
    CHECK((req.frequency_hz == 868100000 || req.frequency_hz == 868300000 || req.frequency_hz == 868500000));
    const time_us accept_end = req.end_us + sim::join_accept_delay1_us + airtime(region_id::eu868, 5, 17, false);
    CHECK(event_times(b.w, "lorawan_joined") == std::vector<time_us>{accept_end});
    const auto s = b.mac.session();
    CHECK(s.otaa);
    CHECK(s.dev_addr == b.net.dev_addr);
    CHECK(s.net_id == 0x13);
    CHECK(s.keys.nwk_s_key == b.net.keys.nwk_s_key);
    CHECK(s.keys.app_s_key == b.net.keys.app_s_key);
    CHECK(s.fcnt_up == 0);
}

TEST_CASE("lorawan_mac: OTAA JoinAccept in RX2 at +6 s on the region's RX2 frequency and DR", "[mac]") {
    bench b;
    b.net.join_window = 2;
    b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
    b.run_until(9 * second);
    REQUIRE(b.mac.joined());
    const heard& req = b.net.uplinks.at(0);
    CHECK(event_times(b.w, "lorawan_joined") ==
          std::vector<time_us>{req.end_us + sim::join_accept_delay2_us + airtime(region_id::eu868, 0, 17, false)});
    // RX1 opened at +5 s and closed after 8 symbols of DR5 with nothing; RX2 got the accept.
    CHECK(event_times(b.w, "lorawan_rx_window", "\"which\": \"rx1\", \"state\": \"opened\"") ==
          std::vector<time_us>{req.end_us + 5 * second});
    CHECK(event_times(b.w, "lorawan_rx_window", "\"which\": \"rx1\", \"state\": \"closed\", \"got_frame\": false") ==
          std::vector<time_us>{req.end_us + 5 * second + window_us(region_id::eu868, 5)});
    CHECK(event_times(b.w, "lorawan_rx_window", "\"which\": \"rx2\", \"state\": \"opened\", \"dr\": 0, \"frequency_hz\": 869525000") ==
          std::vector<time_us>{req.end_us + 6 * second});
}

TEST_CASE("lorawan_mac: without an answer a JoinRequest goes every 10 s with a fresh DevNonce", "[mac]") {
    bench b;
    b.net.answer_joins = false;
    b.mac.join_otaa(dev_eui, app_eui, app_key, 0);
    b.run_until(35 * second);
    CHECK_FALSE(b.mac.joined());
    REQUIRE(b.net.uplinks.size() == 4);
    std::set<std::uint16_t> nonces;
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(b.net.uplinks[i].start_us == static_cast<time_us>(i) * 10 * second);
        CHECK(b.net.uplinks[i].dr == 0);  // the join DR is forced on every request
        nonces.insert(b.net.uplinks[i].join->dev_nonce);
    }
    CHECK(nonces.size() == 4);
    CHECK(b.send("x") == status::not_joined);
    b.mac.stop_join();
    b.run_until(80 * second);
    CHECK(b.net.uplinks.size() == 4);
}

TEST_CASE("lorawan_mac: wait_joined blocks until the accept, or times out", "[mac]") {
    bench b;
    SECTION("accepted") {
        sim::wait_status st{};
        time_us at = 0;
        device_threads threads(b.w);
        threads.spawn([&] {
            b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
            st = b.mac.wait_joined(std::nullopt);
            at = b.w.now_us();
            b.mac.stop_join();
        });
        b.run_until(60 * second);
        threads.join();
        CHECK(st == sim::wait_status::ready);
        CHECK(at == event_times(b.w, "lorawan_joined").at(0));
    }
    SECTION("timed out") {
        b.net.answer_joins = false;
        sim::wait_status st{};
        time_us at = 0;
        device_threads threads(b.w);
        threads.spawn([&] {
            b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
            st = b.mac.wait_joined(3 * second);
            at = b.w.now_us();
            b.mac.stop_join();
        });
        b.run_until(60 * second);
        threads.join();
        CHECK(st == sim::wait_status::timed_out);
        CHECK(at == 3 * second);
        CHECK(b.net.uplinks.size() == 1);
    }
}

TEST_CASE("lorawan_mac: US915 joins at the forced DR on 125 kHz channels, accept in RX1 per the US table", "[mac]") {
    sim::lorawan_mac_settings s;
    s.region = region_id::us915;
    bench b(s);
    b.mac.join_otaa(dev_eui, app_eui, app_key, 0);
    b.run_until(9 * second);
    REQUIRE(b.mac.joined());
    const heard& req = b.net.uplinks.at(0);
    CHECK(req.dr == 0);
    const int channel = static_cast<int>((req.frequency_hz - 902300000) / 200000);
    CHECK(req.frequency_hz == 902300000 + 200000 * channel);
    CHECK(event_times(b.w, "lorawan_rx_window",
                      "\"which\": \"rx1\", \"state\": \"opened\", \"dr\": 10, \"frequency_hz\": " +
                          std::to_string(923300000 + 600000 * (channel % 8))) == std::vector<time_us>{req.end_us + 5 * second});
}

// --- uplinks ------------------------------------------------------------------------------

TEST_CASE("lorawan_mac: ABP uplinks carry DevAddr, FCnt, FPort and the encrypted payload, MIC verified", "[mac]") {
    bench b;
    CHECK(b.send("abc") == status::not_joined);
    b.abp();
    CHECK(b.mac.joined());
    CHECK(b.send("abc", 2) == status::queued);
    CHECK(b.send("defg", 7) == status::queued);
    CHECK(b.send("h", 99) == status::queued);
    b.run_idle();
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 3);
    const std::vector<std::pair<std::string, std::uint8_t>> sent{{"abc", 2}, {"defg", 7}, {"h", 99}};
    for (std::uint32_t i = 0; i < 3; ++i) {
        lw::data_frame f;
        f.type = lw::mtype::unconfirmed_data_up;
        f.dev_addr = abp_addr;
        f.fcnt = i;
        f.fport = sent[i].second;
        f.frm_payload = to_bytes(sent[i].first);
        CHECK(ups[i].phy == lw::encode_data_frame(f, {nwk_key, app_s_key}));
        CHECK(ups[i].phy.size() == 13 + sent[i].first.size());
        CHECK(ups[i].phy[0] == 0x40);
        CHECK(ups[i].phy[1] == 0xDA);  // DevAddr little-endian
        CHECK(ups[i].phy[4] == 0x26);
        CHECK(ups[i].data->frm_payload == to_bytes(sent[i].first));
        CHECK(ups[i].dr == 5);
    }
    // Back to back: each next uplink starts when the previous cycle's RX2 closed.
    CHECK(ups[1].start_us == ups[0].end_us + 2 * second + window_us(region_id::eu868, 0));
    CHECK(ups[2].start_us == ups[1].end_us + 2 * second + window_us(region_id::eu868, 0));
    const auto st = b.radio->stats();
    CHECK(st.sf_tx == 5);
    CHECK(st.tx_trials == 1);
    CHECK(st.tx_power_dbm == 0);
    CHECK(st.tx_counter == 2);
    CHECK(st.tx_time_on_air_ms == sim::firmware_airtime_ms(*sim::lorawan_modulation(b.mac.region(), 5, true), 14));
    CHECK(st.tx_frequency_hz == ups[2].frequency_hz);
    CHECK(b.mac.session().fcnt_up == 3);
    CHECK(b.radio->take_events() == sim::lora_event::tx_packet);
}

TEST_CASE("lorawan_mac: a blocking unconfirmed send lasts airtime + RX1 + RX2 windows", "[mac]") {
    bench b;
    b.abp();
    status st{};
    time_us took = -1;
    device_threads threads(b.w);
    threads.spawn([&] {
        const time_us t0 = b.w.now_us();
        st = b.mac.send(to_bytes("hello"), 2, false, 5, std::nullopt, true);
        took = b.w.now_us() - t0;
    });
    b.run_idle();
    threads.join();
    CHECK(st == status::sent);
    CHECK(took == airtime(region_id::eu868, 5, 18, true) + 2 * second + window_us(region_id::eu868, 0));
    CHECK(b.radio->take_events() == sim::lora_event::tx_packet);
}

TEST_CASE("lorawan_mac: a confirmed uplink ACKed in RX1 ends the cycle with TX_PACKET", "[mac]") {
    bench b;
    b.abp();
    status st{};
    time_us done = 0;
    device_threads threads(b.w);
    threads.spawn([&] {
        st = b.mac.send(to_bytes("conf"), 2, true, 5, std::nullopt, true);
        done = b.w.now_us();
    });
    b.run_idle();
    threads.join();
    CHECK(st == status::sent);
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 1);
    CHECK(ups[0].phy[0] == 0x80);
    REQUIRE(b.net.downlink_ends.size() == 1);
    CHECK(done == b.net.downlink_ends[0]);
    CHECK(done == ups[0].end_us + second + airtime(region_id::eu868, 5, 12, false));
    CHECK(b.radio->take_events() == sim::lora_event::tx_packet);
    CHECK(b.radio->received_pending() == 0);  // an ACK-only downlink is not delivered
    CHECK(b.radio->stats().tx_trials == 1);
    CHECK(b.mac.session().fcnt_down == 0);
}

TEST_CASE("lorawan_mac: a confirmed uplink never ACKed: tx_retries + 1 transmissions, DR steps, TX_FAILED", "[mac]") {
    int retries = 2;
    std::vector<int> drs{5, 5, 4};
    SECTION("default tx_retries 2") {}
    SECTION("tx_retries 7: eight transmissions") {
        retries = 7;
        drs = {5, 5, 4, 4, 3, 3, 2, 2};
    }
    SECTION("tx_retries 20 is capped at eight transmissions") {
        retries = 20;
        drs = {5, 5, 4, 4, 3, 3, 2, 2};
    }
    sim::lorawan_mac_settings s;
    s.tx_retries = retries;
    bench b(s);
    b.abp();
    b.net.ack_confirmed = false;
    status st{};
    time_us done = 0;
    device_threads threads(b.w);
    threads.spawn([&] {
        st = b.mac.send(to_bytes("never"), 2, true, 5, std::nullopt, true);
        done = b.w.now_us();
    });
    b.run_idle();
    threads.join();
    CHECK(st == status::failed);
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == drs.size());
    for (std::size_t i = 0; i < ups.size(); ++i) {
        CHECK(ups[i].dr == drs[i]);
        CHECK(ups[i].data->fcnt == 0);  // retransmissions keep the counter
        if (i > 0) {
            // ACK timeout: RX2 delay (2 s) + 2 s +- 1 s after the previous transmission's end.
            const time_us gap = ups[i].start_us - ups[i - 1].end_us;
            CHECK(gap >= 3 * second);
            CHECK(gap <= 5 * second);
        }
    }
    CHECK(done == ups.back().end_us + 2 * second + window_us(region_id::eu868, 0));
    CHECK(b.radio->take_events() == sim::lora_event::tx_failed);
    CHECK(b.radio->stats().tx_trials == static_cast<int>(drs.size()));
    CHECK(b.radio->stats().sf_tx == drs.back());
    CHECK(b.mac.session().fcnt_up == 1);
}

TEST_CASE("lorawan_mac: EMSGSIZE by the socket DR, and the empty uplink still sent", "[mac]") {
    bench b;
    b.abp();
    SECTION("over max_payload_n of the socket DR: at once") {
        status st{};
        time_us at = -1;
        device_threads threads(b.w);
        threads.spawn([&] {
            st = b.mac.send(lw::bytes(52, 0xAA), 2, false, 0, std::nullopt, true);  // DR0: N = 51
            at = b.w.now_us();
        });
        b.run_idle();
        threads.join();
        CHECK(st == status::too_large);
        CHECK(at == 0);
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 1);
        CHECK(ups[0].phy.size() == 12);  // no FPort, no payload
        CHECK(ups[0].phy[0] == 0x40);
        CHECK_FALSE(ups[0].data->fport);
        CHECK(ups[0].dr == 0);
        CHECK(b.mac.session().fcnt_up == 1);
    }
    SECTION("fits alone but not with the pending MAC answers: after the cycle") {
        b.mac.request_link_check();
        status st{};
        device_threads threads(b.w);
        threads.spawn([&] { st = b.mac.send(lw::bytes(51, 0xAA), 2, false, 0, std::nullopt, true); });
        b.run_idle();
        threads.join();
        CHECK(st == status::too_large);
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 1);
        CHECK(ups[0].phy.size() == 13);
        CHECK(fopts_of(ups[0]) == lw::bytes{0x02});
    }
    SECTION("exactly N fits") {
        CHECK(b.mac.send(lw::bytes(51, 0xAA), 2, false, 0, time_us{0}, false) == status::queued);
        b.run_idle();
        REQUIRE(b.net.data_uplinks().size() == 1);
        CHECK(b.net.data_uplinks()[0].phy.size() == 64);
    }
}

TEST_CASE("lorawan_mac: the queue holds 7 behind the uplink in its cycle", "[mac]") {
    bench b;
    b.abp();
    for (int i = 0; i < 8; ++i) {
        CHECK(b.send("q" + std::to_string(i)) == status::queued);
    }
    CHECK_FALSE(b.mac.can_queue());
    CHECK(b.send("full") == status::queue_full);
    status st{};
    time_us queued_at = -1;
    device_threads threads(b.w);
    threads.spawn([&] {
        st = b.mac.send(to_bytes("late"), 2, false, 5, std::nullopt, false);  // waits for room
        queued_at = b.w.now_us();
    });
    b.run_idle();
    threads.join();
    CHECK(st == status::queued);
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 9);
    CHECK(queued_at == ups[1].start_us);  // room when the second frame left the queue
    CHECK(ups[8].data->frm_payload == to_bytes("late"));
}

TEST_CASE("lorawan_mac: FCnt is 32 bits, 16 on the air", "[mac]") {
    bench b;
    b.abp();
    b.mac.set_frame_counters(0x0001FFFF, 0x0001FFFE);
    b.net.next_up = 0x0001FFFF;
    b.net.fcnt_down = 0x0001FFFF;
    b.net.pending.push_back(planned{std::uint8_t{3}, to_bytes("dl"), {}, false, 0, std::nullopt});
    CHECK(b.send("one") == status::queued);
    CHECK(b.send("two") == status::queued);
    b.run_idle();
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 2);
    CHECK(ups[0].phy[6] == 0xFF);
    CHECK(ups[0].phy[7] == 0xFF);
    CHECK(ups[0].data->fcnt == 0x0001FFFF);
    CHECK(lw::verify_data_frame(ups[0].phy, nwk_key, 0x0001FFFF));
    CHECK(ups[1].phy[6] == 0x00);
    CHECK(ups[1].phy[7] == 0x00);
    CHECK(ups[1].data->fcnt == 0x00020000);
    CHECK(lw::verify_data_frame(ups[1].phy, nwk_key, 0x00020000));
    CHECK_FALSE(lw::verify_data_frame(ups[1].phy, nwk_key, 0));
    CHECK(b.mac.session().fcnt_down == 0x0001FFFF);
    CHECK(b.radio->received_pending() == 1);
    CHECK(b.radio->stats().tx_counter == 0x00020000);
}

// --- downlinks ----------------------------------------------------------------------------

TEST_CASE("lorawan_mac: downlinks with FPort 1..223 reach lora_radio's queue, RX_PACKET before TX_PACKET", "[mac]") {
    bench b;
    b.abp();
    b.net.pending.push_back(planned{std::uint8_t{7}, to_bytes("hi"), {}, false, 0, std::nullopt});
    status st{};
    time_us done = 0;
    std::size_t pending_at_return = 0;
    int events_at_return = 0;
    device_threads threads(b.w);
    threads.spawn([&] {
        st = b.mac.send(to_bytes("up"), 2, false, 5, std::nullopt, true);
        done = b.w.now_us();
        pending_at_return = b.radio->received_pending();
        events_at_return = b.radio->take_events();
    });
    b.run_idle();
    threads.join();
    CHECK(st == status::sent);
    CHECK(done == b.net.downlink_ends.at(0));  // RX1 got it: no RX2, the cycle ends
    CHECK(pending_at_return == 1);
    CHECK(events_at_return == (sim::lora_event::rx_packet | sim::lora_event::tx_packet));
    std::vector<std::uint8_t> data;
    int port = 0;
    CHECK(b.radio->receive(time_us{0}, 255, data, port) == sim::wait_status::ready);
    CHECK(data == to_bytes("hi"));
    CHECK(port == 7);
    const auto stats = b.radio->stats();
    CHECK(stats.sf_rx == 5);  // the RX1 DR
    CHECK(stats.rx_timestamp_us == done);
    CHECK(event_times(b.w, "lorawan_downlink", "\"port\": 7").size() == 1);
}

TEST_CASE("lorawan_mac: port 0, MAC-only, ACK-only and port 224 downlinks are not delivered", "[mac]") {
    bench b;
    b.abp();
    b.net.pending.push_back(planned{std::uint8_t{0}, {0x06}, {}, false, 0, std::nullopt});   // DevStatusReq in FRMPayload
    b.net.pending.push_back(planned{std::nullopt, {}, {0x06}, false, 0, std::nullopt});      // in FOpts, no FPort
    b.net.pending.push_back(planned{std::uint8_t{224}, to_bytes("t"), {}, false, 0, std::nullopt});
    b.net.pending.push_back(planned{std::uint8_t{223}, to_bytes("ok"), {}, false, 0, std::nullopt});
    for (int i = 0; i < 5; ++i) {
        CHECK(b.send("u") == status::queued);
    }
    b.run_idle();
    CHECK(b.radio->received_pending() == 1);
    std::vector<std::uint8_t> data;
    int port = 0;
    REQUIRE(b.radio->receive(time_us{0}, 255, data, port) == sim::wait_status::ready);
    CHECK(port == 223);
    // The FPort-0 and FOpts DevStatusReqs were answered in the next uplinks.
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 5);
    CHECK(fopts_of(ups[1]).at(0) == 0x06);
    CHECK(fopts_of(ups[2]).at(0) == 0x06);
    CHECK(b.mac.session().fcnt_down == 3);
}

TEST_CASE("lorawan_mac: RX1 data rate and frequency per region", "[mac]") {
    SECTION("EU868: RX1DROffset 2 from the JoinAccept, uplink frequency") {
        bench b;
        b.net.accept_rx1_dr_offset = 2;
        b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
        b.run_until(8 * second);
        REQUIRE(b.mac.joined());
        b.mac.stop_join();
        CHECK(b.mac.params().rx1_dr_offset == 2);
        b.net.pending.push_back(planned{std::uint8_t{1}, to_bytes("x"), {}, false, 0, std::nullopt});
        CHECK(b.send("u") == status::queued);
        b.run_until(20 * second);
        const auto up = b.net.data_uplinks().at(0);
        CHECK(event_times(b.w, "lorawan_rx_window",
                          "\"which\": \"rx1\", \"state\": \"opened\", \"dr\": 3, \"frequency_hz\": " +
                              std::to_string(up.frequency_hz)) == std::vector<time_us>{up.end_us + second});
        CHECK(b.radio->received_pending() == 1);
        CHECK(b.radio->stats().sf_rx == 3);
    }
    SECTION("US915: RX1 on 923.3 + 0.6 (ch % 8) MHz at DR10 for DR0; RX2 923.3 MHz DR8") {
        sim::lorawan_mac_settings s;
        s.region = region_id::us915;
        bench b(s);
        b.abp();
        b.net.pending.push_back(planned{std::uint8_t{1}, to_bytes("rx1"), {}, false, 1, std::nullopt});
        b.net.pending.push_back(planned{std::uint8_t{2}, to_bytes("rx2"), {}, false, 2, std::nullopt});
        CHECK(b.send("a", 2, false, 0) == status::queued);
        CHECK(b.send("b", 2, false, 0) == status::queued);
        b.run_idle();
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 2);
        const int ch = static_cast<int>((ups[0].frequency_hz - 902300000) / 200000);
        CHECK(event_times(b.w, "lorawan_rx_window",
                          "\"which\": \"rx1\", \"state\": \"opened\", \"dr\": 10, \"frequency_hz\": " +
                              std::to_string(923300000 + 600000 * (ch % 8))).at(0) == ups[0].end_us + second);
        CHECK(event_times(b.w, "lorawan_rx_window",
                          "\"which\": \"rx2\", \"state\": \"opened\", \"dr\": 8, \"frequency_hz\": 923300000").at(0) ==
              ups[1].end_us + 2 * second);
        REQUIRE(b.radio->received_pending() == 2);
        std::vector<std::uint8_t> data;
        int port = 0;
        b.radio->receive(time_us{0}, 255, data, port);
        CHECK(data == to_bytes("rx1"));
        b.radio->receive(time_us{0}, 255, data, port);
        CHECK(data == to_bytes("rx2"));
        CHECK(port == 2);
        CHECK(b.radio->stats().sf_rx == 8);
    }
}

TEST_CASE("lorawan_mac: class C receives on RX2 outside the windows; class A does not", "[mac]") {
    sim::lorawan_mac_settings s;
    const bool class_c = GENERATE(true, false);
    s.device_class = class_c ? sim::lorawan_device_class::c : sim::lorawan_device_class::a;
    bench b(s);
    b.abp();
    b.w.schedule_at(30 * second, [&] { b.net.send_now_rx2(planned{std::uint8_t{9}, to_bytes("cc"), {}, false, 0, std::nullopt}); });
    // An uplink first: class C stays on RX2 after its windows too.
    CHECK(b.send("u") == status::queued);
    b.w.schedule_at(60 * second, [&] { b.net.send_now_rx2(planned{std::uint8_t{9}, to_bytes("c2"), {}, false, 0, std::nullopt}); });
    b.run_idle();
    CHECK(b.radio->received_pending() == (class_c ? 2U : 0U));
}

// --- MAC commands -------------------------------------------------------------------------

TEST_CASE("lorawan_mac: MAC commands are answered in the next uplink", "[mac]") {
    sim::lorawan_mac_settings s;
    s.adr = true;
    bench b(s, 1, {867100000});
    b.abp();
    SECTION("LinkADRReq: DR3, TXPower 2, channels 0-2 -> LinkADRAns 0x07, applied") {
        b.net.pending.push_back(planned{std::nullopt, {}, {0x03, 0x32, 0x07, 0x00, 0x01}, false, 0, std::nullopt});
        CHECK(b.send("a") == status::queued);
        CHECK(b.send("b") == status::queued);
        b.run_idle();
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 2);
        CHECK(ups[0].data->fctrl.adr);
        CHECK(ups[0].dr == 5);
        CHECK(fopts_of(ups[1]) == lw::bytes{0x03, 0x07});
        CHECK(ups[1].dr == 3);
        CHECK(b.mac.params().tx_power_index == 2);
        CHECK(b.radio->stats().tx_power_dbm == 2);
        // EIRP 16 dBm - 2 * 2 dB, minus the 2.15 dB antenna gain, floored (RegionCommonComputeTxPower).
        const int dbm = sim::radio_tx_power_dbm(b.mac.region(), 2);
        CHECK(dbm == 9);
        CHECK(event_times(b.w, "lora_tx", "\"tx_power_dbm\": " + std::to_string(dbm) + ".0").size() == 1);
    }
    SECTION("DevStatusReq -> battery and SNR margin") {
        b.mac.set_battery_level(100);
        b.net.pending.push_back(planned{std::nullopt, {}, {0x06}, false, 0, std::nullopt});
        CHECK(b.send("a") == status::queued);
        CHECK(b.send("b") == status::queued);
        b.run_idle();
        const double snr = 20.0 - b.medium.path_loss_db({}, {10, 0, 0}) - sim::noise_floor_dbm(125000);
        const auto margin = static_cast<std::uint8_t>(std::clamp(std::lround(snr), -32L, 31L) & 0x3F);
        CHECK(fopts_of(b.net.data_uplinks().at(1)) == lw::bytes{0x06, 100, margin});
    }
    SECTION("RXParamSetupReq -> sticky RXParamSetupAns until a downlink") {
        // RX1DROffset 1, RX2 DR3, 869.525 MHz (0x84B6C4 * 100 Hz... little endian 24 bits)
        const std::uint32_t f = 869525000 / 100;
        b.net.pending.push_back(planned{std::nullopt, {}, {0x05, 0x13, static_cast<std::uint8_t>(f), static_cast<std::uint8_t>(f >> 8), static_cast<std::uint8_t>(f >> 16)}, false, 0, std::nullopt});
        for (int i = 0; i < 3; ++i) {
            CHECK(b.send("u") == status::queued);
        }
        b.run_idle();
        const auto p = b.mac.params();
        CHECK(p.rx1_dr_offset == 1);
        CHECK(p.rx2_dr == 3);
        CHECK(p.rx2_frequency_hz == 869525000);
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 3);
        CHECK(fopts_of(ups[1]) == lw::bytes{0x05, 0x07});
        CHECK(fopts_of(ups[2]) == lw::bytes{0x05, 0x07});  // repeated: no downlink since
        b.net.rx1_dr_offset = 1;
        b.net.pending.push_back(planned{std::uint8_t{1}, to_bytes("x"), {}, false, 0, std::nullopt});
        CHECK(b.send("u") == status::queued);
        CHECK(b.send("u") == status::queued);
        b.run_idle();
        const auto more = b.net.data_uplinks();
        REQUIRE(more.size() == 5);
        CHECK(fopts_of(more[3]) == lw::bytes{0x05, 0x07});
        CHECK(fopts_of(more[4]).empty());  // the downlink to the 4th stopped it
        CHECK(b.radio->stats().sf_rx == 4);  // RX1 at DR5 - 1
    }
    SECTION("NewChannelReq -> channel 3 on 867.1 MHz used") {
        const std::uint32_t f = 867100000 / 100;
        b.net.pending.push_back(planned{std::nullopt, {}, {0x07, 3, static_cast<std::uint8_t>(f), static_cast<std::uint8_t>(f >> 8), static_cast<std::uint8_t>(f >> 16), 0x50}, false, 0, std::nullopt});
        for (int round = 0; round < 2; ++round) {
            for (int i = 0; i < 8; ++i) {
                CHECK(b.send("u") == status::queued);
            }
            b.run_idle();
        }
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 16);
        CHECK(fopts_of(ups[1]) == lw::bytes{0x07, 0x03});
        const auto p = b.mac.params();
        CHECK(p.channels[3].frequency_hz == 867100000);
        CHECK(p.channels[3].dr_max == 5);
        CHECK(sim::mask_has(p.mask, 3));
        std::set<std::int64_t> used;
        for (std::size_t i = 1; i < ups.size(); ++i) {
            used.insert(ups[i].frequency_hz);
        }
        CHECK(used.count(867100000) == 1);
    }
    SECTION("RXTimingSetupReq -> RX1 at +3 s, sticky answer") {
        b.net.pending.push_back(planned{std::nullopt, {}, {0x08, 0x03}, false, 0, std::nullopt});
        CHECK(b.send("a") == status::queued);
        b.run_idle();
        CHECK(b.mac.params().rx1_delay_us == 3 * second);
        b.net.data_rx1_delay_us = 3 * second;
        b.net.pending.push_back(planned{std::uint8_t{5}, to_bytes("late"), {}, false, 0, std::nullopt});
        CHECK(b.send("b") == status::queued);
        b.run_idle();
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 2);
        CHECK(fopts_of(ups[1]) == lw::bytes{0x08});
        CHECK(event_times(b.w, "lorawan_rx_window", "\"which\": \"rx1\", \"state\": \"opened\"").back() ==
              ups[1].end_us + 3 * second);
        CHECK(b.radio->received_pending() == 1);
    }
    SECTION("DutyCycleReq -> DutyCycleAns, and the aggregated limit delays uplinks") {
        b.net.pending.push_back(planned{std::nullopt, {}, {0x04, 0x07}, false, 0, std::nullopt});  // 1/128
        CHECK(b.send("a") == status::queued);
        CHECK(b.send("b") == status::queued);
        CHECK(b.send("c") == status::queued);
        b.run_idle();
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 3);
        CHECK(fopts_of(ups[1]) == lw::bytes{0x04});
        CHECK(b.mac.params().max_duty_cycle == 7);
        const time_us t = ups[1].end_us - ups[1].start_us;
        CHECK(ups[2].start_us == ups[1].end_us + sim::duty_cycle_off_time_us(128, t));
        CHECK(event_times(b.w, "lorawan_duty_cycle_wait", "\"reason\": \"aggregated\"").size() == 1);
    }
    SECTION("LinkCheckReq -> LinkCheckAns") {
        b.mac.request_link_check();
        b.net.pending.push_back(planned{std::nullopt, {}, {0x02, 20, 1}, false, 0, std::nullopt});
        CHECK(b.send("a") == status::queued);
        b.run_idle();
        CHECK(fopts_of(b.net.data_uplinks().at(0)) == lw::bytes{0x02});
        const auto lc = b.mac.last_link_check();
        REQUIRE(lc);
        CHECK(lc->margin_db == 20);
        CHECK(lc->gateway_count == 1);
    }
}

TEST_CASE("lorawan_mac: ADR sets ADRACKReq after ADR_ACK_LIMIT uplinks, lowers the DR after ADR_ACK_DELAY", "[mac]") {
    sim::lorawan_mac_settings s;
    s.adr = true;
    bench b(s);
    b.abp();
    device_threads threads(b.w);
    threads.spawn([&] {
        for (int i = 0; i < 100; ++i) {
            b.mac.send(to_bytes("adr"), 2, false, 5, std::nullopt, true);
        }
    });
    b.run_idle();
    threads.join();
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 100);
    for (std::size_t k = 0; k < ups.size(); ++k) {
        INFO("uplink " << k);
        CHECK(ups[k].data->fctrl.adr_ack_req == (k >= 64));
        CHECK(ups[k].dr == (k >= 97 ? 4 : 5));
    }
}

// --- channels, duty cycle -----------------------------------------------------------------

TEST_CASE("lorawan_mac: add_channel and remove_channel", "[mac]") {
    bench b({}, 3, {867100000});
    b.abp();
    CHECK(b.mac.add_channel(3, 867100000, 0, 5) == sim::channel_add_status::ok);
    CHECK(b.mac.add_channel(4, 800000000, 0, 5) == sim::channel_add_status::frequency_invalid);
    CHECK_FALSE(b.mac.remove_channel(0));  // a default channel: ignored
    CHECK(b.mac.remove_channel(1) == false);
    for (int i = 0; i < 8; ++i) {
        CHECK(b.send("u") == status::queued);
    }
    b.run_idle();
    std::set<std::int64_t> used;
    for (const auto& u : b.net.data_uplinks()) {
        used.insert(u.frequency_hz);
    }
    CHECK(used.count(867100000) == 1);
    CHECK(b.mac.remove_channel(3));
    used.clear();
    b.net.uplinks.clear();
    for (int i = 0; i < 8; ++i) {
        CHECK(b.send("u") == status::queued);
    }
    b.run_idle();
    for (const auto& u : b.net.data_uplinks()) {
        used.insert(u.frequency_hz);
    }
    CHECK(used.count(867100000) == 0);
}

TEST_CASE("lorawan_mac: duty cycle is off by default; enforced, EU868 bands delay uplinks and log the wait", "[mac]") {
    sim::lorawan_mac_settings s;
    s.duty_cycle_enforced = GENERATE(false, true);
    bench b(s);
    b.abp();
    CHECK(b.send("one") == status::queued);
    CHECK(b.send("two") == status::queued);
    b.run_idle();
    const auto ups = b.net.data_uplinks();
    REQUIRE(ups.size() == 2);
    const time_us t = ups[0].end_us - ups[0].start_us;
    if (s.duty_cycle_enforced) {
        // 868.1/868.3/868.5 share one 1 % band: closed for 99 T after the first uplink.
        CHECK(ups[1].start_us == ups[0].end_us + sim::duty_cycle_off_time_us(100, t));
        CHECK(event_times(b.w, "lorawan_duty_cycle_wait").size() == 1);
    } else {
        CHECK(ups[1].start_us == ups[0].end_us + 2 * second + window_us(region_id::eu868, 0));
        CHECK(event_times(b.w, "lorawan_duty_cycle_wait").empty());
    }
}

// --- state ---------------------------------------------------------------------------------

TEST_CASE("lorawan_mac: save_state / restore_state round trip (nvram)", "[mac]") {
    std::vector<std::uint8_t> blob;
    {
        bench b({}, 5, {867100000});
        b.abp();
        CHECK(b.mac.add_channel(3, 867100000, 0, 5) == sim::channel_add_status::ok);
        b.net.pending.push_back(planned{std::nullopt, {}, {0x08, 0x02}, false, 0, std::nullopt});  // sticky answer pending
        CHECK(b.send("a") == status::queued);
        CHECK(b.send("b") == status::queued);
        b.run_idle();
        blob = b.mac.save_state();
        CHECK(lorawan_mac::saved_region(blob) == region_id::eu868);
    }
    bench b2({}, 6, {867100000});
    CHECK_FALSE(b2.mac.joined());
    REQUIRE(b2.mac.restore_state(blob));
    CHECK(b2.mac.joined());
    const auto s = b2.mac.session();
    CHECK(s.dev_addr == abp_addr);
    CHECK(s.fcnt_up == 2);
    CHECK(s.fcnt_down == 0);
    CHECK(s.keys.nwk_s_key == nwk_key);
    const auto p = b2.mac.params();
    CHECK(p.channels[3].frequency_hz == 867100000);
    CHECK(sim::mask_has(p.mask, 3));
    CHECK(p.rx1_delay_us == 2 * second);
    b2.net.set_abp(abp_addr, nwk_key, app_s_key);
    b2.net.next_up = 2;
    CHECK(b2.send("c") == status::queued);
    b2.run_idle();
    const auto ups = b2.net.data_uplinks();
    REQUIRE(ups.size() == 1);
    CHECK(ups[0].data->fcnt == 2);
    CHECK(ups[0].data->frm_payload == to_bytes("c"));
    CHECK(fopts_of(ups[0]) == lw::bytes{0x08});  // the sticky RXTimingSetupAns survived

    SECTION("another region, a truncated blob, an unjoined state: refused") {
        sim::lorawan_mac_settings us;
        us.region = region_id::us915;
        bench b3(us);
        CHECK_FALSE(b3.mac.restore_state(blob));
        CHECK_FALSE(b3.mac.joined());
        bench b4;
        CHECK_FALSE(b4.mac.restore_state(std::vector<std::uint8_t>(blob.begin(), blob.end() - 1)));
        CHECK_FALSE(b4.mac.restore_state(b4.mac.save_state()));
        CHECK_FALSE(lorawan_mac::saved_region({1, 2, 3}));
        CHECK_FALSE(b4.mac.joined());
    }
}

TEST_CASE("lorawan_mac: the same seed gives the same world", "[mac]") {
    const auto scenario = [](std::uint64_t seed) {
        bench b({}, seed);
        b.net.ack_confirmed = false;
        b.mac.join_otaa(dev_eui, app_eui, app_key, 5);
        b.run_until(7 * second);
        b.mac.send(to_bytes("a"), 2, true, 5, time_us{0}, false);
        b.mac.send(to_bytes("b"), 2, false, 5, time_us{0}, false);
        b.run_until(60 * second);
        return b.w.logged_lines();
    };
    const auto one = scenario(7);
    CHECK(one == scenario(7));
    CHECK(one != scenario(8));
}

TEST_CASE("lorawan_mac: close() ends a waiting send as halted", "[mac]") {
    bench b;
    b.abp();
    b.net.ack_confirmed = false;
    status st{};
    device_threads threads(b.w);
    threads.spawn([&] { st = b.mac.send(to_bytes("x"), 2, true, 5, std::nullopt, true); });
    b.w.schedule_at(2 * second, [&] { b.mac.close(); });
    b.run_idle();
    threads.join();
    CHECK(st == status::halted);
    CHECK(b.net.data_uplinks().size() == 1);
    CHECK(b.send("y") == status::halted);
}

TEST_CASE("lora_medium: receiving() is true while a receivable frame is on the air", "[mac][lora_medium]") {
    sim::world w;
    sim::lora_medium m(w);
    const auto tx = m.attach("tx", {}, {});
    const auto rx = m.attach("rx", {10, 0, 0}, {});
    const auto late = m.attach("late", {10, 0, 0}, {});
    const auto wrong_iq = m.attach("wrong_iq", {10, 0, 0}, {});
    const sim::lora_listen_settings normal{868100000, 7, 125000, false, 0x34};
    sim::lora_listen_settings inverted = normal;
    inverted.iq_inverted = true;
    m.listen(rx, normal);
    m.listen(wrong_iq, inverted);
    sim::lora_frame f;
    f.frequency_hz = 868100000;
    f.payload = lw::bytes(20, 1);
    const time_us toa = sim::time_on_air_us(f.modulation, f.payload.size());
    CHECK_FALSE(m.receiving(rx));
    std::vector<std::pair<std::string, bool>> seen;
    w.schedule_at(1000, [&] { m.transmit(tx, f); });
    w.schedule_at(2000, [&] {
        m.listen(late, normal);  // began after the frame: cannot receive it
        seen.push_back({"rx", m.receiving(rx)});
        seen.push_back({"late", m.receiving(late)});
        seen.push_back({"wrong_iq", m.receiving(wrong_iq)});
        seen.push_back({"tx", m.receiving(tx)});
    });
    w.schedule_at(1000 + toa, [&] { seen.push_back({"rx_end", m.receiving(rx)}); });
    REQUIRE(w.run(std::nullopt) == sim::run_status::idle);
    CHECK(seen == std::vector<std::pair<std::string, bool>>{
                      {"rx", true}, {"late", false}, {"wrong_iq", false}, {"tx", false}, {"rx_end", false}});
    CHECK_FALSE(m.receiving(99));
}

// --- fuzz findings (fuzz/regressions/fuzz_mac*, fuzz/README.md) ------------------------------

TEST_CASE("lorawan_mac: a join or a restore while a frame is on the air waits for its end", "[mac][fuzz]") {
    SECTION("join_otaa() again while the join request is on the air") {
        bench b;
        b.mac.join_otaa(dev_eui, app_eui, app_key, 0);  // DR0: about 1.5 s on the air
        b.run_until(500'000);
        CHECK_NOTHROW(b.mac.join_otaa(dev_eui, app_eui, app_key, 0));
        b.run_until(30 * second);
        std::vector<heard> joins;
        for (const auto& h : b.net.uplinks) {
            if (h.join) {
                joins.push_back(h);
            }
        }
        REQUIRE(joins.size() >= 2);
        CHECK(joins[0].end_us > 500'000);             // the second join() came while it was on the air
        CHECK(joins[1].start_us == joins[0].end_us);  // and its request starts when the first ends
    }
    SECTION("restore_state() while an uplink is on the air, then a send") {
        std::vector<std::uint8_t> blob;
        {
            bench saved;
            saved.abp();
            blob = saved.mac.save_state();
        }
        bench b;
        b.abp();
        CHECK(b.send("first", 2, false, 0) == status::queued);
        b.run_until(500'000);
        REQUIRE(b.mac.restore_state(blob));
        CHECK(b.send("second") == status::queued);
        CHECK_NOTHROW(b.run_idle());
        const auto ups = b.net.data_uplinks();
        REQUIRE(ups.size() == 2);
        CHECK(ups[1].start_us == ups[0].end_us);
    }
}

TEST_CASE("lorawan_mac: restore_state() refuses values the MAC could not have saved", "[mac][fuzz]") {
    std::vector<std::uint8_t> blob;
    {
        bench saved;
        saved.abp();
        blob = saved.mac.save_state();
    }
    // Little-endian fields of the blob (lorawan_mac_commands.cpp restore_locked): the RX1
    // delay at offset 74, the max EIRP (centi-dBm) at 85.
    const auto with_i64 = [&](std::size_t offset, std::int64_t v) {
        auto b = blob;
        for (int k = 0; k < 8; ++k) {
            b[offset + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * k));
        }
        return b;
    };
    bench b;
    REQUIRE(b.mac.restore_state(with_i64(74, 2 * second)));  // the offsets are right
    CHECK(b.mac.params().rx1_delay_us == 2 * second);
    bench c;
    CHECK_FALSE(c.mac.restore_state(with_i64(74, -1'000'000)));
    CHECK_FALSE(c.mac.restore_state(with_i64(74, 16 * second)));
    CHECK_FALSE(c.mac.restore_state(with_i64(85, std::int64_t{1} << 62)));
    CHECK_FALSE(c.mac.restore_state(with_i64(85, -100)));
    CHECK_FALSE(c.mac.joined());
}
