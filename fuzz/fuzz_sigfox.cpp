// fuzz/fuzz_sigfox.cpp: the Sigfox side of a world hearing arbitrary frames: the backend
// (sigfox_network: merging repetitions and stations, daily limits, downlink answers) hearing
// uplink frames with any fields, and a device's radio (sigfox_radio) hearing downlinks of any
// length and device ID in its listen window, and FSK frames of any length in FSK mode.
//
// Sigfox frames on the medium are structures (sigfox_frame), not bytes: what a foreign
// transmitter controls is every field of one. Each input builds a fresh world: one backend
// with one or two stations, one device (SIGFOX or FSK mode, any zone) and a transmitter
// standing for other devices and base stations; then steps: foreign uplinks, device sends
// (with or without a downlink request), foreign downlinks near the frequency the device
// listens on, FSK frames, partial receives, queued downlinks and answers of any length, limits,
// configuration, idle time.
//
// Properties: no crash, no sanitizer report, no exception out of the world; the records match
// the counters; the receive queue never holds more than its depth.
#include <memory>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "usocket/sim/sigfox_medium.hpp"
#include "usocket/sim/sigfox_network.hpp"
#include "usocket/sim/sigfox_phy.hpp"
#include "usocket/sim/sigfox_radio.hpp"
#include "usocket/sim/world.hpp"

namespace {

using namespace fuzz;

constexpr int max_steps = 20;

class harness {
public:
    harness(FuzzedDataProvider& in, std::uint64_t seed)
        : in_(in),
          w_(sim::world_options{sim::time_mode::virtual_time, seed}),
          lm_(w_),
          sm_(lm_),
          net_(sm_, options(in)),
          rogue_(sm_.attach("rogue", {in.ConsumeIntegralInRange<int>(0, 5000) * 1.0, 0, 0},
                            [](const sim::sigfox_reception&) {})) {
        net_.add_station("bs0", {in.ConsumeIntegralInRange<int>(1, 20000) * 1.0, 0, 0});
        if (in.ConsumeBool()) {
            net_.add_station("bs1", {0, in.ConsumeIntegralInRange<int>(1, 20000) * 1.0, 0});
        }
        for (int i = in.ConsumeIntegralInRange<int>(0, 4); i > 0; --i) {
            answers_.push_back(take_bytes(in, 16));
        }
        net_.set_callback([this](const sim::sigfox_message_record&) -> std::optional<std::vector<std::uint8_t>> {
            if (answers_.empty()) {
                return std::nullopt;
            }
            auto a = std::move(answers_.back());
            answers_.pop_back();
            return a;
        });

        id_ = in.ConsumeIntegral<std::uint32_t>();
        zone_ = static_cast<sim::sigfox_zone>(in.ConsumeIntegralInRange<int>(0, 3));
        fsk_ = in.ConsumeBool();
        fsk_hz_ = sim::zone_params(zone_).uplink_hz + in.ConsumeIntegralInRange<std::int64_t>(-100'000, 100'000);
        dev_ = std::make_unique<sim::sigfox_radio>(sm_, "dev", sim::position_m{}, id_);
        (void)dev_->open(fsk_ ? sim::sigfox_mode::fsk : sim::sigfox_mode::sigfox, zone_, fsk_hz_);
    }

    ~harness() { dev_->close(); }

    void run() {
        for (int step = 0; step < max_steps && in_.remaining_bytes() > 0; ++step) {
            switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
            case 0:
            case 1: foreign_uplink(); break;
            case 2: device_send(); break;
            case 3: foreign_downlink(); break;
            case 4: fsk_frame(); break;
            case 5: receive(); break;
            case 6: queue_downlink(); break;
            case 7:
                net_.set_limits(in_.ConsumeIntegralInRange<int>(0, 200), in_.ConsumeIntegralInRange<int>(0, 10));
                net_.set_echo(in_.ConsumeBool());
                break;
            case 8: configure(); break;
            default: idle(); break;
            }
            check();
        }
        w_.run(w_.now_us() + 60 * second);
        check();
    }

private:
    static sim::sigfox_network_options options(FuzzedDataProvider& in) {
        sim::sigfox_network_options o;
        o.uplinks_per_day = in.ConsumeIntegralInRange<int>(0, 200);
        o.downlinks_per_day = in.ConsumeIntegralInRange<int>(0, 10);
        o.echo = in.ConsumeBool();
        return o;
    }

    void idle() { w_.run(w_.now_us() + in_.ConsumeIntegralInRange<sim::time_us>(0, 60 * second)); }

    void transmit(sim::sigfox_frame f) {
        if (sm_.transmitting(rogue_)) {
            return;
        }
        const sim::time_us airtime = f.airtime_us;
        sm_.transmit(rogue_, std::move(f));
        w_.run(w_.now_us() + std::max<sim::time_us>(airtime, 0) + in_.ConsumeIntegralInRange<sim::time_us>(0, 50 * second));
    }

    /// An uplink frame of another device (or of this one: a replay), any field.
    void foreign_uplink() {
        sim::sigfox_frame f;
        const auto zone = static_cast<sim::sigfox_zone>(in_.ConsumeIntegralInRange<int>(0, 3));
        const sim::sigfox_zone_params& p = sim::zone_params(zone);
        f.modulation = in_.ConsumeIntegralInRange<int>(0, 7) == 0 ? sim::sigfox_modulation::fsk
                                                                  : sim::sigfox_modulation::uplink_dbpsk;
        f.frequency_hz = p.uplink_hz + in_.ConsumeIntegralInRange<std::int64_t>(-p.macro_channel_hz, p.macro_channel_hz);
        f.bit_rate_bps = in_.ConsumeBool() ? p.uplink_bps : (in_.ConsumeBool() ? 100 : 600);
        f.tx_power_dbm = in_.ConsumeFloatingPointInRange<double>(-20.0, 30.0);
        f.device_id = in_.ConsumeBool() ? id_ : in_.ConsumeIntegral<std::uint32_t>();
        f.sequence_number = in_.ConsumeIntegral<std::uint16_t>();
        f.repetition = in_.ConsumeIntegralInRange<int>(-3, 5);
        f.frames_in_message = in_.ConsumeIntegralInRange<int>(-2, 6);
        f.frame_type = in_.ConsumeIntegral<std::uint16_t>();
        f.bit_frame = in_.ConsumeBool();
        f.bit_value = in_.ConsumeBool();
        f.oob = in_.ConsumeBool();
        f.downlink_request = in_.ConsumeBool();
        f.zone = zone;
        f.payload = take_bytes(in_, 24);
        f.airtime_us = in_.ConsumeBool() ? sim::uplink_frame_us(sim::frame_class(f.payload.size()), f.bit_rate_bps)
                                         : in_.ConsumeIntegralInRange<sim::time_us>(0, 5 * second);
        f.first_frame_end_us =
            w_.now_us() + f.airtime_us + in_.ConsumeIntegralInRange<sim::time_us>(-10 * second, 10 * second);
        transmit(std::move(f));
    }

    void device_send() {
        sim::sigfox_send_request r;
        r.payload = take_bytes(in_, in_.ConsumeBool() ? sim::sigfox_max_uplink_bytes : sim::fsk_max_payload_bytes);
        r.bit_value = in_.ConsumeBool();
        r.oob = in_.ConsumeBool();
        r.downlink = in_.ConsumeBool();
        r.tx_repeat = in_.ConsumeIntegralInRange<int>(0, 2);
        if (dev_->can_queue()) {  // a full queue would wait: device threads only
            (void)dev_->send(std::move(r), 0, false);
        }
        idle();
    }

    /// A downlink near where the device listens after its last uplink, any length and ID.
    void foreign_downlink() {
        const sim::sigfox_radio_stats s = dev_->stats();
        const sim::sigfox_zone_params& p = sim::zone_params(zone_);
        const std::int64_t first = s.last_frame_frequencies_hz.empty() ? p.uplink_hz : s.last_frame_frequencies_hz.front();
        sim::sigfox_frame f;
        f.modulation = sim::sigfox_modulation::downlink_gfsk;
        f.frequency_hz = first + (p.downlink_hz - p.uplink_hz) + in_.ConsumeIntegralInRange<std::int64_t>(-2000, 2000);
        f.bit_rate_bps = in_.ConsumeBool() ? sim::downlink_bps : 100;
        f.tx_power_dbm = in_.ConsumeFloatingPointInRange<double>(-20.0, 30.0);
        f.airtime_us = sim::downlink_frame_us();
        f.device_id = in_.ConsumeIntegralInRange<int>(0, 3) == 0 ? in_.ConsumeIntegral<std::uint32_t>() : id_;
        f.zone = zone_;
        f.payload = take_bytes(in_, 32);
        transmit(std::move(f));
    }

    void fsk_frame() {
        sim::sigfox_frame f;
        f.modulation = sim::sigfox_modulation::fsk;
        f.frequency_hz = fsk_hz_ + in_.ConsumeIntegralInRange<std::int64_t>(-20'000, 20'000);
        f.bit_rate_bps = in_.ConsumeBool() ? sim::fsk_bit_rate_bps : in_.ConsumeIntegralInRange<int>(1, 100'000);
        f.tx_power_dbm = in_.ConsumeFloatingPointInRange<double>(-20.0, 30.0);
        f.payload = take_bytes(in_, 255);
        f.airtime_us = sim::fsk_frame_us(f.payload.size());
        f.device_id = in_.ConsumeIntegral<std::uint32_t>();
        transmit(std::move(f));
    }

    void receive() {
        std::vector<std::uint8_t> out;
        const std::size_t max = in_.ConsumeIntegralInRange<std::size_t>(0, 300);
        if (dev_->received_pending() > 0) {  // an empty queue would wait: device threads only
            FUZZ_CHECK(dev_->receive(0, max, out) == sim::wait_status::ready);
            FUZZ_CHECK(out.size() <= max);
        }
    }

    void queue_downlink() {
        const std::uint32_t id = in_.ConsumeBool() ? id_ : in_.ConsumeIntegral<std::uint32_t>();
        std::vector<std::uint8_t> payload = take_bytes(in_, 10);
        const bool ok = payload.size() == sim::sigfox_downlink_bytes;
        try {
            net_.queue_downlink(id, std::move(payload));
            FUZZ_CHECK(ok);
        } catch (const std::invalid_argument&) {
            FUZZ_CHECK(!ok);
        }
    }

    void configure() {
        switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
        case 0:
            dev_->set_config_words({in_.ConsumeIntegral<std::uint32_t>(), in_.ConsumeIntegral<std::uint32_t>(),
                                    in_.ConsumeIntegral<std::uint32_t>()});
            break;
        case 1: dev_->reset_macro_channel(); break;
        case 2: dev_->set_sequence_number(in_.ConsumeIntegral<std::uint16_t>()); break;
        default: dev_->set_freq_offset_hz(in_.ConsumeIntegralInRange<int>(-50'000, 50'000)); break;
        }
    }

    void check() {
        const sim::sigfox_network_counters c = net_.counters();
        FUZZ_CHECK(net_.messages().size() == c.messages);
        FUZZ_CHECK(c.over_limit <= c.messages);
        FUZZ_CHECK(dev_->received_pending() <= sim::sigfox_radio::receive_queue_depth);
        (void)dev_->info_byte();
    }

    FuzzedDataProvider& in_;
    sim::world w_;
    sim::lora_medium lm_;
    sim::sigfox_medium sm_;
    sim::sigfox_network net_;
    sim::sigfox_medium::radio_id rogue_;
    std::vector<std::vector<std::uint8_t>> answers_;
    std::uint32_t id_ = 0;
    sim::sigfox_zone zone_ = sim::sigfox_zone::rcz1;
    bool fsk_ = false;
    std::int64_t fsk_hz_ = 0;
    std::unique_ptr<sim::sigfox_radio> dev_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto seed = in.ConsumeIntegral<std::uint64_t>();
    harness h(in, seed);
    h.run();
    return 0;
}
