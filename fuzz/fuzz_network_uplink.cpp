// fuzz/fuzz_network_uplink.cpp: the embedded network server (lorawan_network) hearing arbitrary
// uplinks through two gateways: deduplication, join requests, data frames, the frame-counter
// and MIC checks, the device's MAC answers (ns_mac::parse_uplink_commands), ADR, confirmed
// downlinks, class C and multicast scheduling.
//
// Each input builds a fresh world: a network of any region with options drawn from the input
// (within what the Python layer accepts: python/usocket_emu/_network.py check_options), two
// gateways, one registered ABP device and one OTAA device, and a transmitter standing for the
// devices. Steps: raw uplink bytes; data uplinks made with a device's keys (any FCnt: next,
// repeated, old, far ahead; FOpts or FPort-0 MAC answers; confirmed or not); join requests
// with the right or a wrong key; the API calls that queue downlinks and MAC requests (so the
// answers have something to match); idle time.
//
// Properties: no crash, no sanitizer report, no exception out of the world; the counters add
// up; the records match the counters; a session's FCntUp never goes back.
#include <memory>
#include <optional>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "usocket/sim/lorawan_network.hpp"
#include "usocket/sim/world.hpp"

namespace {

using namespace fuzz;

constexpr int max_steps = 24;

sim::lorawan_network_options take_options(FuzzedDataProvider& in) {
    sim::lorawan_network_options o;
    o.net_id = in.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFFFF);
    o.strict = in.ConsumeBool();
    o.dedup_window_us = in.ConsumeIntegralInRange<sim::time_us>(0, 999'999);
    if (in.ConsumeBool()) {
        o.downlink_tx_power_dbm = in.ConsumeFloatingPointInRange<double>(-30.0, 40.0);
    }
    o.prefer_rx2 = in.ConsumeBool();
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
        // Any integers: the constructor refuses what a CFList cannot carry or the region
        // cannot use (the two findings in fuzz/regressions/fuzz_network_uplink/ were values it
        // let through), and the harness then stops at once.
        std::vector<std::int64_t> cf(in.ConsumeIntegralInRange<std::size_t>(0, 5));
        for (auto& f : cf) {
            f = in.ConsumeBool() ? in.ConsumeIntegral<std::int64_t>()
                                 : 100 * in.ConsumeIntegralInRange<std::int64_t>(4'000'000, 10'000'000);
        }
        o.cf_list_hz = cf;
    }
    o.confirmed_downlink_max_transmissions = in.ConsumeIntegralInRange<int>(1, 255);
    o.class_c_gap_us = in.ConsumeIntegralInRange<sim::time_us>(0, 10 * second);
    o.adr = in.ConsumeBool();
    o.downlink_loss = in.ConsumeBool() ? 0.0 : in.ConsumeProbability<double>();
    return o;
}

struct device {
    bool otaa = false;
    std::uint64_t dev_eui = 0;
    std::uint64_t app_eui = 0;
    lw::aes_key app_key{};
    std::uint32_t dev_addr = 0;
    lw::session_keys keys{};
    std::uint32_t fcnt = 0;
    std::uint16_t dev_nonce = 0;
};

class harness {
public:
    harness(FuzzedDataProvider& in, sim::region_id region, std::uint64_t seed)
        : in_(in),
          w_(sim::world_options{sim::time_mode::virtual_time, seed}),
          m_(w_),
          ns_(m_, region, take_options(in)),
          tx_(m_, "dev", {0, 0, 0}) {
        ns_.add_gateway("gw0", {in.ConsumeIntegralInRange<int>(1, 2000) * 1.0, 0, 0});
        ns_.add_gateway("gw1", {0, in.ConsumeIntegralInRange<int>(1, 2000) * 1.0, 0});
        ns_.set_echo(in.ConsumeBool());

        abp_.dev_addr = in.ConsumeIntegral<std::uint32_t>();
        abp_.keys = {take_key(in), take_key(in)};
        ns_.register_abp(abp_.dev_addr, abp_.keys.nwk_s_key, abp_.keys.app_s_key);

        otaa_.otaa = true;
        otaa_.dev_eui = in.ConsumeIntegral<std::uint64_t>();
        otaa_.app_eui = in.ConsumeIntegral<std::uint64_t>();
        otaa_.app_key = take_key(in);
        if (in.ConsumeBool()) {
            ns_.register_otaa(otaa_.dev_eui, otaa_.app_eui, otaa_.app_key);
        } else {
            (void)ns_.offer_otaa(otaa_.dev_eui, otaa_.app_eui, otaa_.app_key);
        }
    }

    void run() {
        for (int step = 0; step < max_steps && in_.remaining_bytes() > 0; ++step) {
            switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
            case 0: uplink(take_bytes(in_, lw::max_phy_payload_size)); break;
            case 1:
            case 2:
            case 3: data_uplink(); break;
            case 4: join_request(); break;
            case 5: queue_downlink(); break;
            case 6: mac_request(); break;
            case 7: class_c_and_multicast(); break;
            case 8: w_.run(w_.now_us() + in_.ConsumeIntegralInRange<sim::time_us>(0, 20 * second)); break;
            default: {
                const bool reset = in_.ConsumeBool();
                ns_.register_abp(abp_.dev_addr, abp_.keys.nwk_s_key, abp_.keys.app_s_key, reset);
                if (reset) {
                    abp_last_.reset();  // a device that restarted from FCnt 0
                }
                break;
            }
            }
            check();
        }
        w_.run(w_.now_us() + 10 * second);
        check();
    }

private:
    device& pick() { return in_.ConsumeBool() ? abp_ : otaa_; }

    sim::lorawan_device_ref ref(const device& d) const {
        return d.otaa ? sim::lorawan_device_ref::eui(d.dev_eui) : sim::lorawan_device_ref::addr(d.dev_addr);
    }

    /// Puts `phy` on the air on one of the gateways' (frequency, SF, bandwidth) settings.
    void uplink(lw::bytes phy) {
        const std::vector<sim::lora_listen_settings> heard = ns_.gateway_listen_settings();
        if (heard.empty()) {
            return;
        }
        const auto& l = heard[in_.ConsumeIntegralInRange<std::size_t>(0, heard.size() - 1)];
        sim::lora_modulation mod;
        mod.spreading_factor = l.spreading_factor;
        mod.bandwidth_hz = l.bandwidth_hz;
        const sim::time_us airtime = sim::time_on_air_us(mod, phy.size());
        tx_.send(std::move(phy), l.frequency_hz, mod, false, in_.ConsumeFloatingPointInRange<double>(-20.0, 20.0));
        // The frame, the dedup window, RX1 and RX2 (and their downlinks) go by.
        w_.run(w_.now_us() + airtime + in_.ConsumeIntegralInRange<sim::time_us>(0, 8 * second));
    }

    void data_uplink() {
        device& d = pick();
        if (d.otaa) {
            const auto s = ns_.session(ref(d));
            if (!s) {
                uplink(take_bytes(in_, 64));
                return;
            }
            d.dev_addr = s->dev_addr;
            d.keys = s->keys;
        }
        switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
        case 0: break;  // the same counter again (a retransmission, or a replay)
        case 1: d.fcnt -= in_.ConsumeIntegralInRange<std::uint32_t>(1, 70000); break;
        case 2: d.fcnt += in_.ConsumeIntegralInRange<std::uint32_t>(2, 70000); break;
        case 3: d.fcnt = in_.ConsumeIntegral<std::uint32_t>(); break;
        default: ++d.fcnt; break;
        }
        lw::session_keys keys = d.keys;
        if (in_.ConsumeIntegralInRange<int>(0, 15) == 0) {
            keys.nwk_s_key[0] ^= 1;  // a bad MIC
        }
        const lw::data_frame f = take_data_frame(in_, lw::direction::uplink, d.dev_addr, d.fcnt);
        if (auto phy = try_encode(f, keys)) {
            uplink(std::move(*phy));
        }
    }

    void join_request() {
        lw::join_request r;
        r.app_eui = otaa_.app_eui;
        r.dev_eui = otaa_.dev_eui;
        r.dev_nonce = in_.ConsumeBool() ? ++otaa_.dev_nonce : in_.ConsumeIntegral<std::uint16_t>();
        lw::aes_key key = otaa_.app_key;
        switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: key[3] ^= 0x80; break;
        case 1: r.app_eui ^= 1; break;
        case 2: r.dev_eui = in_.ConsumeIntegral<std::uint64_t>(); break;
        default: break;
        }
        uplink(lw::encode_join_request(r, key));
    }

    void queue_downlink() {
        const device& d = pick();
        std::uint8_t port = in_.ConsumeIntegralInRange<std::uint8_t>(1, 224);
        lw::bytes payload = take_bytes(in_, 242);
        try {
            (void)ns_.queue_downlink(ref(d), port, std::move(payload), in_.ConsumeBool());
        } catch (const std::invalid_argument&) {
            // documented: an unknown DevAddr
        }
    }

    void mac_request() {
        const device& d = pick();
        const sim::lorawan_device_ref r = ref(d);
        try {
            switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
            case 0:
                ns_.link_adr_req(r, in_.ConsumeIntegralInRange<int>(0, 15), in_.ConsumeIntegralInRange<int>(0, 15),
                                 in_.ConsumeIntegral<std::uint16_t>(), in_.ConsumeIntegralInRange<int>(0, 7),
                                 in_.ConsumeIntegralInRange<int>(0, 15));
                break;
            case 1: ns_.duty_cycle_req(r, in_.ConsumeIntegralInRange<int>(0, 15)); break;
            case 2:
                ns_.rx_param_setup_req(r, in_.ConsumeIntegralInRange<int>(0, 7), in_.ConsumeIntegralInRange<int>(0, 15),
                                       100 * in_.ConsumeIntegralInRange<std::int64_t>(0, 0xFFFFFF));
                break;
            case 3: ns_.dev_status_req(r); break;
            case 4:
                ns_.new_channel_req(r, in_.ConsumeIntegralInRange<int>(0, 255),
                                    100 * in_.ConsumeIntegralInRange<std::int64_t>(0, 0xFFFFFF),
                                    in_.ConsumeIntegralInRange<int>(0, 15), in_.ConsumeIntegralInRange<int>(0, 15));
                break;
            case 5: ns_.rx_timing_setup_req(r, in_.ConsumeIntegralInRange<int>(0, 15)); break;
            default:
                ns_.queue_mac_command(r, in_.ConsumeIntegral<std::uint8_t>(), take_bytes(in_, 15));
                break;
            }
        } catch (const std::invalid_argument&) {
            // documented for out-of-range fields and unknown devices
        }
    }

    void class_c_and_multicast() {
        try {
            switch (in_.ConsumeIntegralInRange<int>(0, 2)) {
            case 0: ns_.set_class_c(ref(pick()), in_.ConsumeBool()); break;
            case 1: {
                const auto addr = in_.ConsumeIntegral<std::uint32_t>();
                std::optional<int> dr;
                if (in_.ConsumeBool()) {
                    dr = in_.ConsumeIntegralInRange<int>(0, 15);
                }
                ns_.add_multicast_group(addr, take_key(in_), take_key(in_), dr);
                groups_.push_back(addr);
                break;
            }
            default:
                if (!groups_.empty()) {
                    const auto addr = groups_[in_.ConsumeIntegralInRange<std::size_t>(0, groups_.size() - 1)];
                    (void)ns_.queue_multicast(addr, in_.ConsumeIntegralInRange<std::uint8_t>(1, 223),
                                              take_bytes(in_, 64));
                }
                break;
            }
        } catch (const std::invalid_argument&) {
            // documented: address taken, DR or frequency invalid, payload too long
        }
    }

    void check() {
        const sim::lorawan_network_counters c = ns_.counters();
        FUZZ_CHECK(c.received_frames == c.unique_frames + c.duplicates + c.lost_while_transmitting);
        FUZZ_CHECK(ns_.uplinks().size() == c.uplinks_accepted);
        FUZZ_CHECK(ns_.joins().size() == c.joins_accepted);
        FUZZ_CHECK(c.uplinks_accepted + c.retransmissions + c.joins_accepted <= c.unique_frames);
        check_session(abp_, abp_last_);
        check_session(otaa_, otaa_last_);
    }

    /// Within one session (same DevAddr) FCntUp only goes forward (away from the 32-bit wrap).
    void check_session(const device& d, std::optional<std::pair<std::uint32_t, std::uint32_t>>& last) {
        const auto s = ns_.session(ref(d));
        if (!s || !s->fcnt_up) {
            last.reset();
            return;
        }
        if (last && last->first == s->dev_addr && last->second < 0xFFFE0000u) {
            FUZZ_CHECK(*s->fcnt_up >= last->second);
        }
        last = std::pair{s->dev_addr, *s->fcnt_up};
    }

    FuzzedDataProvider& in_;
    sim::world w_;
    sim::lora_medium m_;
    sim::lorawan_network ns_;
    transmitter tx_;
    device abp_;
    device otaa_;
    std::vector<std::uint32_t> groups_;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> abp_last_;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> otaa_last_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const sim::region_id region = take_region(in);
    const auto seed = in.ConsumeIntegral<std::uint64_t>();
    std::optional<harness> h;
    try {
        h.emplace(in, region, seed);
    } catch (const std::invalid_argument&) {
        return 0;  // options the network's constructor refused, as documented
    }
    h->run();  // anything escaping from here on is a finding
    return 0;
}
