// fuzz/fuzz_mac.cpp: the device's LoRaWAN MAC (lorawan_mac) hearing arbitrary downlinks from the
// medium: its join-accept and data-frame decoding, the MAC commands it answers
// (lorawan_mac_commands.cpp), the certification test on FPort 224 (lorawan_compliance) and
// multicast groups, in any region, class A or C, OTAA or ABP.
//
// Each input builds a fresh world (so a crash replays from its input alone): one device MAC
// and a transmitter standing for the network. The input then drives a sequence of steps:
// uplinks whose RX1 or RX2 window gets a downlink, frames sent at once to a class C device,
// API calls a script makes (compliance test, multicast, battery, link check, nvram save and
// restore, frame counters) and idle time. Downlinks are raw bytes, frames made with the right
// keys (so that MIC-protected paths are reached: MAC commands, FPort 224, join accepts with
// any field), or such frames with one bit flipped.
//
// Properties: no crash, no sanitizer report, no exception out of the world; the frame
// counters never go back within one session; save_state() then restore_state() gives the same
// session and blob back.
#include <memory>

#include "fuzz_support.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/world.hpp"

namespace {

using namespace fuzz;

constexpr int max_steps = 24;

class harness {
public:
    harness(FuzzedDataProvider& in, sim::region_id region, std::uint64_t seed)
        : in_(in),
          w_(sim::world_options{sim::time_mode::virtual_time, seed}),
          m_(w_),
          reg_(sim::region(region)),
          gw_(m_, "gw", {in.ConsumeIntegralInRange<int>(1, 3000) * 1.0, 0, 0}) {
        sim::lorawan_mac_settings s;
        s.region = region;
        s.adr = in.ConsumeBool();
        s.device_class = in.ConsumeBool() ? sim::lorawan_device_class::c : sim::lorawan_device_class::a;
        s.tx_retries = in.ConsumeIntegralInRange<int>(0, 7);
        s.duty_cycle_enforced = in.ConsumeBool();
        raw_ = std::make_shared<sim::lora_radio>(m_, "dev", sim::position_m{}, 0);
        sim::lora_radio_settings off;
        off.power_mode = sim::lora_power_mode::sleep;
        raw_->configure(off);
        raw_->set_mac_mode(true);
        mac_ = std::make_unique<sim::lorawan_mac>(m_, raw_, "dev", sim::position_m{}, s);
        m_.set_frame_observer([this](const sim::lora_observed_frame& f) { observed(f); });

        otaa_ = in.ConsumeBool();
        app_key_ = take_key(in);
        if (otaa_) {
            int dr = in.ConsumeIntegralInRange<int>(0, 15);
            if (!sim::join_dr_valid(reg_, dr)) {
                dr = reg_.join_dr_default;
            }
            mac_->join_otaa(in.ConsumeIntegral<std::uint64_t>(), in.ConsumeIntegral<std::uint64_t>(), app_key_, dr);
        } else {
            mac_->join_abp(in.ConsumeIntegral<std::uint32_t>(), take_key(in), take_key(in));
        }
        remember();
    }

    ~harness() { mac_->close(); }

    void run() {
        static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;  // print the steps of a replay
        static const char* const names[] = {"exchange", "exchange", "exchange", "class_c_downlink", "idle",
                                            "compliance", "multicast", "battery+link_check", "save_restore",
                                            "drain", "set_frame_counters"};
        for (int step = 0; step < max_steps && in_.remaining_bytes() > 0; ++step) {
            const int what = in_.ConsumeIntegralInRange<int>(0, 10);
            if (trace) {
                std::fprintf(stderr, "step %d at %lld us: %s (joined %d)\n", step,
                             static_cast<long long>(w_.now_us()), names[what], mac_->joined() ? 1 : 0);
            }
            switch (what) {
            case 0:
            case 1:
            case 2: exchange(); break;
            case 3: class_c_downlink(); break;
            case 4: idle(); break;
            case 5: compliance(); break;
            case 6: multicast(); break;
            case 7:
                mac_->set_battery_level(in_.ConsumeIntegralInRange<int>(0, 255));
                mac_->request_link_check();
                break;
            case 8: save_restore(); break;
            case 9: drain(); break;
            default:
                mac_->set_frame_counters(in_.ConsumeIntegral<std::uint32_t>(), in_.ConsumeIntegral<std::uint32_t>());
                remember();
                break;
            }
            check_counters();
        }
    }

private:
    struct response {
        lw::bytes phy;
        bool rx2 = false;
    };

    // --- the network's side ------------------------------------------------------------

    /// A downlink for the device as it is now: raw bytes, or a frame made with its keys.
    lw::bytes downlink() {
        const sim::lorawan_session s = mac_->session();
        const int kind = in_.ConsumeIntegralInRange<int>(0, 3);
        if (kind == 0) {
            return take_bytes(in_, lw::max_phy_payload_size);
        }
        lw::bytes phy;
        if (kind == 3 && !groups_.empty()) {
            const auto& g = groups_[in_.ConsumeIntegralInRange<std::size_t>(0, groups_.size() - 1)];
            lw::data_frame f = take_data_frame(in_, lw::direction::downlink, g.first,
                                               in_.ConsumeIntegralInRange<std::uint32_t>(0, 20000));
            phy = try_encode(f, g.second).value_or(lw::bytes{});
        } else if (!s.joined && otaa_) {
            lw::join_accept a;
            a.app_nonce = in_.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFFFF);
            a.net_id = in_.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFFFF);
            a.dev_addr = in_.ConsumeIntegral<std::uint32_t>();
            a.rx1_dr_offset = in_.ConsumeIntegralInRange<std::uint8_t>(0, 7);
            a.rx2_data_rate = in_.ConsumeIntegralInRange<std::uint8_t>(0, 15);
            a.rx_delay = in_.ConsumeIntegralInRange<std::uint8_t>(0, 15);
            if (in_.ConsumeBool()) {
                lw::cf_list_bytes cf{};
                const auto b = in_.ConsumeBytes<std::uint8_t>(cf.size());
                std::copy(b.begin(), b.end(), cf.begin());
                a.cf_list = cf;
            }
            phy = lw::encode_join_accept(a, app_key_);
        } else {
            std::uint32_t fcnt = 0;
            switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
            case 0: fcnt = s.fcnt_down + 1; break;
            case 1: fcnt = s.fcnt_down; break;
            case 2: fcnt = s.fcnt_down + in_.ConsumeIntegralInRange<std::uint32_t>(2, 70000); break;
            default: fcnt = in_.ConsumeIntegral<std::uint32_t>(); break;
            }
            const std::uint32_t addr = in_.ConsumeIntegralInRange<int>(0, 7) == 0 ? in_.ConsumeIntegral<std::uint32_t>()
                                                                                  : s.dev_addr;
            lw::data_frame f = take_data_frame(in_, lw::direction::downlink, addr, fcnt);
            phy = try_encode(f, s.keys).value_or(lw::bytes{});
        }
        if (kind == 2 && !phy.empty()) {
            const auto bit = in_.ConsumeIntegralInRange<std::size_t>(0, phy.size() * 8 - 1);
            phy[bit / 8] = static_cast<std::uint8_t>(phy[bit / 8] ^ (1U << (bit % 8)));
        }
        return phy;
    }

    /// The device's frame ended: send the prepared answer in the window it opens.
    void observed(const sim::lora_observed_frame& f) {
        if (f.sender != "dev" || !pending_ || !f.payload || f.payload->empty()) {
            return;
        }
        response r = std::move(*pending_);
        pending_.reset();
        const sim::lorawan_mac_params p = mac_->params();
        const bool join = ((*f.payload)[0] >> 5) == 0;
        const sim::time_us rx1_delay = join ? sim::join_accept_delay1_us : p.rx1_delay_us;
        sim::time_us at = f.end_us + rx1_delay;
        std::int64_t frequency_hz = p.rx2_frequency_hz;
        int dr = p.rx2_dr;
        if (r.rx2) {
            at += second;
        } else {
            const auto up_dr = uplink_dr_of(reg_, f.modulation.spreading_factor, f.modulation.bandwidth_hz);
            if (!up_dr) {
                return;
            }
            for (std::size_t i = 0; i < p.channels.size(); ++i) {
                if (p.channels[i].frequency_hz == f.frequency_hz) {
                    frequency_hz = sim::rx1_frequency_hz(reg_, static_cast<int>(i), p.channels[i]);
                    break;
                }
            }
            dr = sim::rx1_data_rate(reg_, *up_dr, p.rx1_dr_offset, p.downlink_dwell_time);
        }
        const auto mod = dr >= 0 ? sim::lorawan_modulation(reg_, dr, false) : std::nullopt;
        if (!mod) {
            return;
        }
        w_.schedule_at(at, [this, phy = std::move(r.phy), frequency_hz, mod = *mod]() mutable {
            gw_.send(std::move(phy), frequency_hz, mod, true);
        });
    }

    // --- steps -------------------------------------------------------------------------

    /// An uplink (or the pending join request) and a downlink in its RX1 or RX2.
    void exchange() {
        pending_ = response{downlink(), in_.ConsumeBool()};
        if (mac_->joined()) {
            int port = in_.ConsumeIntegralInRange<int>(1, 223);
            switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
            case 0: port = 0; break;
            case 1: port = sim::compliance_test_port; break;
            default: break;
            }
            int dr = in_.ConsumeIntegralInRange<int>(0, reg_.so_dr_max);
            (void)mac_->send(take_bytes(in_, 64), port, in_.ConsumeBool(), dr, 0, false);
        }
        w_.run(w_.now_us() + 12 * second);
        pending_.reset();
    }

    /// A frame sent at once where a class C device listens between uplinks (RX2).
    void class_c_downlink() {
        const sim::lorawan_mac_params p = mac_->params();
        const auto mod = sim::lorawan_modulation(reg_, p.rx2_dr, false);
        lw::bytes phy = downlink();
        if (!mod) {
            return;
        }
        const sim::time_us airtime = sim::time_on_air_us(*mod, phy.size());
        gw_.send(std::move(phy), p.rx2_frequency_hz, *mod, true);
        w_.run(w_.now_us() + airtime + 10'000);
    }

    void idle() { w_.run(w_.now_us() + in_.ConsumeIntegralInRange<sim::time_us>(0, 30 * second)); }

    void compliance() {
        std::optional<int> state;
        std::optional<bool> link_check;
        const bool enable = in_.ConsumeBool();
        if (in_.ConsumeBool()) {
            state = in_.ConsumeIntegralInRange<int>(0, 255);
        }
        if (in_.ConsumeBool()) {
            link_check = in_.ConsumeBool();
        }
        mac_->set_compliance(enable, state, link_check);
    }

    void multicast() {
        if (!groups_.empty() && in_.ConsumeBool()) {
            const std::size_t i = in_.ConsumeIntegralInRange<std::size_t>(0, groups_.size() - 1);
            if (mac_->leave_multicast_group(groups_[i].first)) {
                groups_.erase(groups_.begin() + static_cast<std::ptrdiff_t>(i));
            }
            return;
        }
        const auto addr = in_.ConsumeIntegral<std::uint32_t>();
        const lw::session_keys keys{take_key(in_), take_key(in_)};
        if (mac_->join_multicast_group(addr, keys.nwk_s_key, keys.app_s_key)) {
            groups_.emplace_back(addr, keys);
        }
    }

    /// nvram_save() then nvram_restore(): the same session and the same blob, at any moment
    /// (a restore while the MAC's frame is on the air was a finding: fuzz/regressions/fuzz_mac/).
    void save_restore() {
        const std::vector<std::uint8_t> blob = mac_->save_state();
        const sim::lorawan_session before = mac_->session();
        FUZZ_CHECK(sim::lorawan_mac::saved_region(blob) == reg_.id);
        const bool restored = mac_->restore_state(blob);
        FUZZ_CHECK(restored == before.joined);
        if (restored) {
            const sim::lorawan_session after = mac_->session();
            FUZZ_CHECK(after.dev_addr == before.dev_addr && after.fcnt_up == before.fcnt_up &&
                       after.fcnt_down == before.fcnt_down && after.keys.nwk_s_key == before.keys.nwk_s_key &&
                       after.keys.app_s_key == before.keys.app_s_key);
            FUZZ_CHECK(mac_->save_state() == blob);
        }
        remember();
    }

    void drain() {
        std::vector<std::uint8_t> out;
        int port = 0;
        const std::size_t max = in_.ConsumeIntegralInRange<std::size_t>(0, 300);
        if (raw_->received_pending() > 0) {  // an empty queue would wait: device threads only
            FUZZ_CHECK(raw_->receive(0, max, out, port) == sim::wait_status::ready);
            FUZZ_CHECK(out.size() <= max);
        }
    }

    // --- properties --------------------------------------------------------------------

    void remember() { last_ = mac_->session(); }

    /// Within one session (same DevAddr and keys) the counters only go forward (away from
    /// the 32-bit wrap, which set_frame_counters() can bring near).
    void check_counters() {
        const sim::lorawan_session now = mac_->session();
        constexpr std::uint32_t wrap_zone = 0xFFFE0000u;
        if (now.joined && last_.joined && now.dev_addr == last_.dev_addr && last_.fcnt_up < wrap_zone &&
            last_.fcnt_down < wrap_zone &&
            now.keys.nwk_s_key == last_.keys.nwk_s_key && now.keys.app_s_key == last_.keys.app_s_key) {
            FUZZ_CHECK(now.fcnt_up >= last_.fcnt_up);
            if (last_.downlink_received) {
                FUZZ_CHECK(now.downlink_received && now.fcnt_down >= last_.fcnt_down);
            }
        }
        last_ = now;
    }

    FuzzedDataProvider& in_;
    sim::world w_;
    sim::lora_medium m_;
    const sim::lorawan_region& reg_;
    transmitter gw_;
    std::shared_ptr<sim::lora_radio> raw_;
    std::unique_ptr<sim::lorawan_mac> mac_;
    bool otaa_ = false;
    lw::aes_key app_key_{};
    std::vector<std::pair<std::uint32_t, lw::session_keys>> groups_;
    std::optional<response> pending_;
    sim::lorawan_session last_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const sim::region_id region = take_region(in);
    const auto seed = in.ConsumeIntegral<std::uint64_t>();
    harness h(in, region, seed);
    h.run();
    return 0;
}
