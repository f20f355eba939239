// tests/cpp/sim/test_lorawan_adr.cpp: the network server's ADR (Semtech's algorithm over the
// last 20 uplinks), gateways hearing every uplink DR, and channels added by NewChannelReq,
// with a real device MAC on the medium, in virtual time.
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/lorawan_network.hpp"
#include "usocket/sim/world.hpp"

using namespace usocket::sim;

namespace {

constexpr time_us second_us = 1000000;
constexpr std::uint64_t dev_eui = 0x70B3D54990445566ULL;
constexpr std::uint64_t app_eui = 0x70B3D57ED0000001ULL;
constexpr std::uint32_t dev_addr = 0x26011ADF;
const lorawan::aes_key key = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                              0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
/// Uplinks between two sends: an SF12 cycle (about 1.5 s on air, RX2 at +2 s) is long over.
constexpr time_us uplink_interval_us = 10 * second_us;

/// A gateway at the origin and one LoPy `distance_m` away on EU868; every frame the LoPy
/// sends is recorded as the medium saw it.
struct adr_setup {
    adr_setup(double distance_m, bool device_adr, lorawan_network_options options = {})
        : where{distance_m, 0, 0}, medium(w), network(medium, region_id::eu868, options),
          radio(std::make_shared<lora_radio>(medium, "node", where, 0)),
          mac(medium, radio, "node", where, settings(device_adr)) {
        network.add_gateway("gw", position_m{0, 0, 0});
        lora_radio_settings off;
        off.power_mode = lora_power_mode::sleep;  // in LoRaWAN mode the MAC drives the air
        radio->configure(off);
        medium.set_frame_observer([this](const lora_observed_frame& f) {
            if (f.sender == "node") {
                std::lock_guard<std::mutex> lock(frames_mutex);
                frames.push_back(f);
            }
        });
    }

    static lorawan_mac_settings settings(bool adr) {
        lorawan_mac_settings s;
        s.region = region_id::eu868;
        s.adr = adr;
        return s;
    }

    /// OTAA at `dr`; the MAC's ADR then starts from that DR.
    void join(int dr) {
        REQUIRE(network.offer_otaa(dev_eui, app_eui, key));
        w.schedule_at(w.now_us(), [this, dr] { mac.join_otaa(dev_eui, app_eui, key, dr); });
        w.run(w.now_us() + 10 * second_us);  // SF12: accept at +5 s, ~1.8 s on air
        REQUIRE(mac.joined());
    }

    void abp() {
        REQUIRE(network.offer_abp(dev_addr, key, key));
        mac.join_abp(dev_addr, key, key);
        REQUIRE(mac.joined());
    }

    /// `count` unconfirmed uplinks, one every uplink_interval_us from now (socket DR `dr`,
    /// which only counts with the device's ADR off), then runs until the last cycle is over.
    void uplinks(int count, int dr, bool confirmed = false) {
        const time_us start = w.now_us() + second_us;
        for (int i = 0; i < count; ++i) {
            w.schedule_at(start + i * uplink_interval_us, [this, dr, confirmed] {
                CHECK(mac.send({'a', 'd', 'r'}, 2, confirmed, dr, time_us{0}, false) ==
                      lorawan_mac::send_status::queued);
            });
        }
        w.run(start + count * uplink_interval_us);
    }

    /// SNR at the gateway of an uplink sent with TXPower index `index`: the medium's
    /// log-distance path loss, the 125 kHz noise floor (no shadowing in the default model).
    double expected_snr_db(int index) const {
        const lorawan_region& r = network.region();
        return radio_tx_power_dbm(r, index) - medium.path_loss_db(where, position_m{0, 0, 0}) -
               noise_floor_dbm(125000);
    }

    std::vector<lora_observed_frame> sent_frames() {
        std::lock_guard<std::mutex> lock(frames_mutex);
        return frames;
    }

    std::vector<lorawan_downlink_record> link_adr_downlinks() const {
        std::vector<lorawan_downlink_record> out;
        for (const auto& d : network.downlinks()) {
            for (const auto& c : d.mac_commands) {
                if (c.cid == 0x03) {
                    out.push_back(d);
                    break;
                }
            }
        }
        return out;
    }

    position_m where;
    world w{world_options{time_mode::virtual_time, 5}};
    lora_medium medium;
    lorawan_network network;
    std::shared_ptr<lora_radio> radio;
    lorawan_mac mac;
    std::mutex frames_mutex;
    std::vector<lora_observed_frame> frames;
};

/// Semtech's nstep for an uplink at `sf` heard at `snr_db` (10 dB installation margin).
int nstep_of(double snr_db, int sf) {
    return static_cast<int>(std::floor((snr_db - demodulation_floor_snr_db(sf) - 10.0) / 3.0));
}

bool answered_link_adr(const lorawan_uplink_record& u, std::uint8_t status) {
    for (const auto& c : u.mac_commands) {
        if (c.cid == 0x03 && c.payload == lorawan::bytes{status}) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("ADR: a strong SF12 device is moved to DR5 and lower power after 20 uplinks", "[lorawan][adr]") {
    // 13 m: path loss 127.41 + 20.8 log10(13/40) = 117.26 dB; at 13 dBm (index 0) the SNR is
    // 13 - 117.26 + 117.03 = 12.77 dB; margin 12.77 + 20 - 10 = 22.77 dB, nstep 7: DR0 -> DR5
    // (5 steps), then TXPower index 0 -> 2 (2 steps, 16 - 4 = 12 dBm EIRP, 9 dBm at the radio).
    adr_setup s(13.0, true);
    s.join(0);
    REQUIRE(nstep_of(s.expected_snr_db(0), 12) == 7);
    s.uplinks(25, 0);

    const auto ups = s.network.uplinks();
    REQUIRE(ups.size() == 25);
    for (std::size_t k = 0; k < 20; ++k) {
        INFO("uplink " << k);
        CHECK(ups[k].adr);
        CHECK(ups[k].dr == 0);
        CHECK(ups[k].snr_db == Approx(s.expected_snr_db(0)));
    }
    // The 20th uplink's RX1 carries one LinkADRReq: DR5, TXPower 2, the channels the device
    // has (three defaults + five from the CFList: 0x00FF), NbTrans 1.
    const auto adr = s.link_adr_downlinks();
    REQUIRE(adr.size() == 1);
    CHECK(adr[0].t_us == ups[19].t_us + receive_delay1_us);
    CHECK(adr[0].window == lorawan_window::rx1);
    REQUIRE(adr[0].mac_commands.size() == 1);
    CHECK(adr[0].mac_commands[0].payload == lorawan::bytes{0x52, 0xFF, 0x00, 0x01});
    // The device accepts it all and answers in its next uplink, already at DR5.
    CHECK(answered_link_adr(ups[20], 0x07));
    for (std::size_t k = 20; k < ups.size(); ++k) {
        INFO("uplink " << k);
        CHECK(ups[k].dr == 5);
        CHECK(ups[k].snr_db == Approx(s.expected_snr_db(2)));
    }
    const auto p = s.mac.params();
    CHECK(p.dr == 5);
    CHECK(p.tx_power_index == 2);
    const auto frames = s.sent_frames();
    REQUIRE(frames.size() == 26);  // the join request and 25 uplinks
    for (std::size_t k = 1; k <= 20; ++k) {
        CHECK(frames[k].modulation.spreading_factor == 12);
        CHECK(frames[k].tx_power_dbm == 13.0);
    }
    for (std::size_t k = 21; k < frames.size(); ++k) {
        CHECK(frames[k].modulation.spreading_factor == 7);
        CHECK(frames[k].modulation.bandwidth_hz == 125000);
        CHECK(frames[k].tx_power_dbm == 9.0);
    }
}

TEST_CASE("ADR: no LinkADRReq before 20 uplinks, for a weak signal, or with ADR off", "[lorawan][adr]") {
    SECTION("19 strong uplinks are not enough") {
        adr_setup s(13.0, true);
        s.join(0);
        s.uplinks(19, 0);
        CHECK(s.network.uplinks().size() == 19);
        CHECK(s.link_adr_downlinks().empty());
        CHECK(s.mac.params().dr == 0);
    }
    SECTION("a weak signal: margin under one step") {
        // 150 m: path loss 139.35 dB, SNR 13 - 139.35 + 117.03 = -9.32 dB, margin 0.68 dB,
        // nstep 0 (and the power is at its maximum already).
        adr_setup s(150.0, true);
        s.join(0);
        REQUIRE(nstep_of(s.expected_snr_db(0), 12) == 0);
        s.uplinks(25, 0);
        const auto ups = s.network.uplinks();
        REQUIRE(ups.size() == 25);
        for (const auto& u : ups) {
            CHECK(u.dr == 0);
        }
        CHECK(s.link_adr_downlinks().empty());
        CHECK(s.network.downlinks().size() == 1);  // the join accept only
        CHECK(s.mac.params().tx_power_index == 0);
    }
    SECTION("the device's ADR bit is off") {
        adr_setup s(13.0, false);
        s.join(0);
        s.uplinks(25, 0);
        const auto ups = s.network.uplinks();
        REQUIRE(ups.size() == 25);
        for (const auto& u : ups) {
            CHECK_FALSE(u.adr);
            CHECK(u.dr == 0);
        }
        CHECK(s.link_adr_downlinks().empty());
    }
    SECTION("the network's ADR option is off") {
        lorawan_network_options o;
        o.adr = false;
        adr_setup s(13.0, true, o);
        s.join(0);
        s.uplinks(25, 0);
        REQUIRE(s.network.uplinks().size() == 25);
        CHECK(s.link_adr_downlinks().empty());
        CHECK(s.mac.params().dr == 0);
    }
}

TEST_CASE("ADR: a negative margin raises the power back", "[lorawan][adr]") {
    // The application puts the ABP device on DR0 at TXPower 5 (16 - 10 = 6 dBm EIRP, 3 dBm
    // at the radio). 85 m: path loss 134.22 dB, SNR 3 - 134.22 + 117.03 = -14.19 dB, margin
    // -14.19 + 20 - 10 = -4.19 dB, nstep -2: TXPower 5 -> 3 (7 dBm at the radio), DR0 kept.
    adr_setup s(85.0, true);
    s.abp();
    s.network.link_adr_req(lorawan_device_ref::addr(dev_addr), 0, 5, 0x0007, 0, 1);
    REQUIRE(nstep_of(s.expected_snr_db(5), 12) == -2);
    s.uplinks(25, 5);

    const auto ups = s.network.uplinks();
    REQUIRE(ups.size() == 25);
    CHECK(ups[0].dr == 5);  // before the application's LinkADRReq arrived
    CHECK(answered_link_adr(ups[1], 0x07));
    const auto adr = s.link_adr_downlinks();
    REQUIRE(adr.size() == 2);
    // Uplinks 1..20 at the new settings fill the history; the 20th (index 20) triggers ADR.
    CHECK(adr[1].t_us == ups[20].t_us + receive_delay1_us);
    CHECK(adr[1].mac_commands[0].payload == lorawan::bytes{0x03, 0x07, 0x00, 0x01});
    CHECK(answered_link_adr(ups[21], 0x07));
    for (std::size_t k = 1; k < ups.size(); ++k) {
        INFO("uplink " << k);
        CHECK(ups[k].dr == 0);
        CHECK(ups[k].snr_db == Approx(s.expected_snr_db(k <= 20 ? 5 : 3)));
    }
    const auto frames = s.sent_frames();
    REQUIRE(frames.size() == 25);
    CHECK(frames[20].tx_power_dbm == 3.0);
    CHECK(frames[21].tx_power_dbm == 7.0);
    CHECK(s.mac.params().tx_power_index == 3);
}

TEST_CASE("gateways hear EU868 DR6 (SF7/250 kHz) and answer in RX1 at DR6", "[lorawan][adr]") {
    adr_setup s(50.0, false);
    s.abp();
    // Channel 3 on a CFList frequency the gateways listen on, allowing DR0-DR6.
    REQUIRE(s.mac.add_channel(3, 867100000, 0, 6) == channel_add_status::ok);
    s.uplinks(1, 6, true);

    const auto ups = s.network.uplinks();
    REQUIRE(ups.size() == 1);
    CHECK(ups[0].dr == 6);
    CHECK(ups[0].frequency_hz == 867100000);
    CHECK(ups[0].payload == lorawan::bytes{'a', 'd', 'r'});
    const auto frames = s.sent_frames();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].modulation.spreading_factor == 7);
    CHECK(frames[0].modulation.bandwidth_hz == 250000);
    // The ACK went in RX1 at DR6 and the device took it: the cycle ended as sent.
    const auto downs = s.network.downlinks();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].ack);
    CHECK(downs[0].dr == 6);
    const int events = s.radio->take_events();
    CHECK((events & lora_event::tx_packet) != 0);
    CHECK((events & lora_event::tx_failed) == 0);
}

TEST_CASE("gateways listen on a channel a NewChannelReq adds", "[lorawan][adr]") {
    constexpr std::int64_t new_hz = 868800000;  // not a default or CFList frequency
    adr_setup s(50.0, false);
    const auto heard_on = [&](std::int64_t hz) {
        int n = 0;
        for (const auto& l : s.network.gateway_listen_settings()) {
            n += l.frequency_hz == hz ? 1 : 0;
        }
        return n;
    };
    REQUIRE(heard_on(new_hz) == 0);
    s.abp();
    const auto ref = lorawan_device_ref::addr(dev_addr);
    s.network.new_channel_req(ref, 3, new_hz, 0, 5);
    // Only channel 3 enabled, so every later uplink uses the new frequency.
    s.network.link_adr_req(ref, 5, 0, 0x0008, 0, 1);
    CHECK(heard_on(new_hz) == 7);  // DR0-DR6, the gateway's radios included
    s.uplinks(6, 5);

    const auto ups = s.network.uplinks();
    REQUIRE(ups.size() == 6);
    REQUIRE(ups[1].mac_commands.size() == 2);
    CHECK(ups[1].mac_commands[0].cid == 0x07);
    CHECK(ups[1].mac_commands[0].payload == lorawan::bytes{0x03});
    CHECK(answered_link_adr(ups[1], 0x07));
    for (std::size_t k = 1; k < ups.size(); ++k) {
        INFO("uplink " << k);
        CHECK(ups[k].frequency_hz == new_hz);
        CHECK(ups[k].gateways.size() == 1);
    }
    CHECK(s.sent_frames().size() == 6);  // none sent that the gateway missed
}

TEST_CASE("a gateway added after a NewChannelReq hears its channel too", "[lorawan][adr]") {
    adr_setup s(50.0, false);
    s.abp();
    const auto ref = lorawan_device_ref::addr(dev_addr);
    s.network.new_channel_req(ref, 3, 868800000, 0, 5);
    s.network.link_adr_req(ref, 5, 0, 0x0008, 0, 1);
    s.network.add_gateway("gw2", position_m{100, 0, 0});
    s.uplinks(3, 5);
    const auto ups = s.network.uplinks();
    REQUIRE(ups.size() == 3);
    CHECK(ups[2].frequency_hz == 868800000);
    CHECK(ups[2].gateways.size() == 2);
}
