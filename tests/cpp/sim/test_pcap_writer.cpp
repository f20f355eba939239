// tests/cpp/sim/test_pcap_writer.cpp: the pcap capture of the air: libpcap framing, LoRaTap
// v0 headers byte for byte (interop.md 1.1, 1.2 and the worked example of 1.6), the file
// the writer leaves, and the medium's frame observer that feeds it.
#include "usocket/sim/pcap_writer.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/world.hpp"

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::loratap_v0_header;
using usocket::sim::lora_frame;
using usocket::sim::lora_listen_settings;
using usocket::sim::lora_medium;
using usocket::sim::lora_observed_frame;
using usocket::sim::noise_floor_dbm;
using usocket::sim::pcap_global_header;
using usocket::sim::pcap_record;
using usocket::sim::pcap_writer;
using usocket::sim::time_mode;
using usocket::sim::time_on_air_us;
using usocket::sim::time_us;
using usocket::sim::world;
using usocket::sim::world_options;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes from_hex(const std::string& hex) {
    bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

template <typename Container>
bytes as_bytes(const Container& c) {
    return bytes(c.begin(), c.end());
}

/// radio.md 3.3 V1: the lora-packet uplink (DevAddr 0x49BE7DF1, FCnt 2, "test").
const std::string v1_uplink = "40f17dbe4900020001954378762b11ff0d";

/// The frame of interop.md 1.6's mkpcap.py: 868.1 MHz, 125 kHz, SF7, RSSI -60 dBm,
/// SNR 7.5 dB, sync word 0x34, timestamp 1700000000 s.
lora_observed_frame worked_example() {
    lora_observed_frame f;
    f.frequency_hz = 868100000;
    f.modulation.spreading_factor = 7;
    f.modulation.bandwidth_hz = 125000;
    f.sync_word = 0x34;
    f.start_us = 1'700'000'000'000'000 - 41'216;
    f.end_us = 1'700'000'000'000'000;
    f.payload = std::make_shared<const bytes>(from_hex(v1_uplink));
    f.best_reception = lora_observed_frame::reception_quality{-60.0, 7.5};
    return f;
}

bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A fresh path in the temporary folder, removed at the end of the test.
class temp_path {
public:
    explicit temp_path(const std::string& name)
        : path_((std::filesystem::temp_directory_path() / ("usocket-pcap-test-" + name)).string()) {
        std::filesystem::remove(path_);
    }
    ~temp_path() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    temp_path(const temp_path&) = delete;
    temp_path& operator=(const temp_path&) = delete;
    const std::string& str() const { return path_; }

private:
    std::string path_;
};

lora_frame frame_of(bytes payload, std::int64_t frequency_hz = 868100000, int sf = 7) {
    lora_frame f;
    f.frequency_hz = frequency_hz;
    f.modulation.spreading_factor = sf;
    f.modulation.bandwidth_hz = 125000;
    f.payload = std::move(payload);
    return f;
}

lora_listen_settings listening(std::int64_t frequency_hz = 868100000, int sf = 7) {
    lora_listen_settings l;
    l.frequency_hz = frequency_hz;
    l.spreading_factor = sf;
    l.bandwidth_hz = 125000;
    return l;
}

}  // namespace

TEST_CASE("the global header is classic libpcap, little-endian, link type 270", "[pcap]") {
    CHECK(as_bytes(pcap_global_header()) ==
          from_hex("d4c3b2a1" "0200" "0400" "00000000" "00000000" "ffff0000" "0e010000"));
}

TEST_CASE("interop.md 1.6's worked example, byte for byte", "[pcap]") {
    const auto f = worked_example();
    // struct.pack(">BBHIBBBBBBB", 0, 0, 15, 868100000, 1, 7, 139 - 60, 255, 255, 30, 0x34)
    CHECK(as_bytes(loratap_v0_header(f)) == from_hex("0000000f33be27a001074fffff1e34"));
    // struct.pack("<IIII", 1700000000, 0, 32, 32) + header + PHYPayload
    CHECK(pcap_record(f) == from_hex("00f15365" "00000000" "20000000" "20000000"
                                     "0000000f33be27a001074fffff1e34" + v1_uplink));
}

TEST_CASE("LoRaTap v0 fields: bandwidth steps, SF, sync word, RSSI and SNR encodings", "[pcap]") {
    lora_observed_frame f = worked_example();

    SECTION("bandwidth in 125 kHz steps, SF as is") {
        f.modulation.bandwidth_hz = 250000;
        f.modulation.spreading_factor = 12;
        CHECK(loratap_v0_header(f)[8] == 2);
        CHECK(loratap_v0_header(f)[9] == 12);
        f.modulation.bandwidth_hz = 500000;
        f.modulation.spreading_factor = 8;
        CHECK(loratap_v0_header(f)[8] == 4);
        CHECK(loratap_v0_header(f)[9] == 8);
    }
    SECTION("frequency is big-endian Hz") {
        f.frequency_hz = 923300000;  // US915 RX1 channel 0: 0x370870a0
        const auto h = loratap_v0_header(f);
        CHECK(bytes(h.begin() + 4, h.begin() + 8) == from_hex("370870a0"));
    }
    SECTION("private sync word") {
        f.sync_word = 0x12;
        CHECK(loratap_v0_header(f)[14] == 0x12);
    }
    SECTION("a negative SNR is two's complement in quarter dB; RSSI stays -139 + value") {
        f.best_reception = lora_observed_frame::reception_quality{-121.687, -10.0};
        const auto h = loratap_v0_header(f);
        CHECK(h[10] == 17);    // round(-121.687 + 139)
        CHECK(h[13] == 0xD8);  // -40
        f.best_reception = lora_observed_frame::reception_quality{-117.3, -0.1};
        CHECK(loratap_v0_header(f)[13] == 0);  // round(-0.4) = 0
        f.best_reception = lora_observed_frame::reception_quality{-130.0, -7.13};
        CHECK(loratap_v0_header(f)[13] == 0xE3);  // round(-28.52) = -29
    }
    SECTION("values out of range are clamped") {
        f.best_reception = lora_observed_frame::reception_quality{-150.0, -40.0};
        CHECK(loratap_v0_header(f)[10] == 0);
        CHECK(loratap_v0_header(f)[13] == 0x80);  // -128
        f.best_reception = lora_observed_frame::reception_quality{200.0, 40.0};
        CHECK(loratap_v0_header(f)[10] == 254);  // 255 means "none"
        CHECK(loratap_v0_header(f)[13] == 127);
    }
    SECTION("a frame nobody received: RSSI N/A (255), SNR 0") {
        f.best_reception.reset();
        CHECK(as_bytes(loratap_v0_header(f)) == from_hex("0000000f33be27a00107ffffff0034"));
    }
}

TEST_CASE("record timestamps are the frame's end in world time, split in s and us", "[pcap]") {
    lora_observed_frame f = worked_example();
    f.start_us = 3'400'000;
    f.end_us = 3'456'789;
    f.payload = std::make_shared<const bytes>(from_hex("0102"));
    const auto r = pcap_record(f);
    REQUIRE(r.size() == 16 + 15 + 2);
    CHECK(bytes(r.begin(), r.begin() + 16) == from_hex("03000000" "55f80600" "11000000" "11000000"));
    CHECK(bytes(r.end() - 2, r.end()) == from_hex("0102"));

    f.payload.reset();  // an empty frame has a record too
    CHECK(pcap_record(f).size() == 16 + 15);
}

TEST_CASE("the writer's file: the global header, then one flushed record per frame", "[pcap]") {
    temp_path path("writer.pcap");
    pcap_writer writer(path.str());
    CHECK(writer.path() == path.str());
    CHECK(read_file(path.str()) == as_bytes(pcap_global_header()));

    const auto first = worked_example();
    lora_observed_frame second = worked_example();
    second.end_us += 1'500'000;
    second.best_reception.reset();
    writer.write(first);
    writer.write(second);
    // Read while the writer is still open: every record is on disk already.
    bytes expected = as_bytes(pcap_global_header());
    for (const auto& r : {pcap_record(first), pcap_record(second)}) {
        expected.insert(expected.end(), r.begin(), r.end());
    }
    CHECK(read_file(path.str()) == expected);
    CHECK(writer.records() == 2);
    CHECK_FALSE(writer.failed());

    writer.close();
    writer.close();
    writer.write(first);  // ignored after close
    CHECK(read_file(path.str()) == expected);
    CHECK(writer.records() == 2);
}

TEST_CASE("a pcap file that cannot be created throws", "[pcap]") {
    CHECK_THROWS_AS(pcap_writer("/nonexistent-folder-of-usocket-emu/x.pcap"), std::runtime_error);
}

TEST_CASE("the medium reports every frame once, at its end, with its best reception", "[pcap]") {
    world w(world_options{time_mode::virtual_time, 1});
    lora_medium m(w);
    std::vector<lora_observed_frame> seen;
    std::vector<time_us> seen_at;
    std::vector<std::uint64_t> receptions_when_seen;
    std::vector<std::uint64_t> got;  // frames the near radio received
    m.set_frame_observer([&](const lora_observed_frame& f) {
        seen.push_back(f);
        seen_at.push_back(w.now_us());
        receptions_when_seen.push_back(m.counters().receptions);  // the medium is not locked here
    });
    const auto sender = m.attach("sender", {0, 0, 0}, {});
    const auto near = m.attach("near", {10, 0, 0}, [&](const usocket::sim::lora_reception& rx) {
        got.push_back(rx.frame_id);
        CHECK(seen.size() == got.size());  // the observer ran before the receivers got it
    });
    const auto far = m.attach("far", {100, 0, 0}, {});
    m.listen(near, listening());
    m.listen(far, listening());

    const bytes payload = from_hex(v1_uplink);
    const time_us airtime = time_on_air_us(frame_of(payload).modulation, payload.size());
    w.schedule_at(1'000'000, [&] { m.transmit(sender, frame_of(payload)); });
    // Nobody listens on 868.3 MHz: no reception, still a frame on the air.
    w.schedule_at(2'000'000, [&] { m.transmit(sender, frame_of(bytes{0x01, 0x02}, 868300000)); });
    w.run(10'000'000);

    REQUIRE(seen.size() == 2);
    CHECK(got.size() == 1);
    const auto& a = seen[0];
    CHECK(a.frame_id == 1);
    CHECK(a.sender == "sender");
    CHECK(a.start_us == 1'000'000);
    CHECK(a.end_us == 1'000'000 + airtime);
    CHECK(seen_at[0] == a.end_us);
    CHECK(a.frequency_hz == 868100000);
    CHECK(a.modulation.spreading_factor == 7);
    CHECK(a.modulation.bandwidth_hz == 125000);
    CHECK(a.sync_word == 0x34);
    CHECK_FALSE(a.iq_inverted);
    CHECK(a.tx_power_dbm == 14.0);
    REQUIRE(a.payload);
    CHECK(*a.payload == payload);
    REQUIRE(a.best_reception);
    // The near radio's reception (10 m), not the far one's (100 m).
    const double near_rssi = 14.0 - m.path_loss_db({0, 0, 0}, {10, 0, 0});
    CHECK(a.best_reception->rssi_dbm == Approx(near_rssi));
    CHECK(a.best_reception->snr_db == Approx(near_rssi - noise_floor_dbm(125000)));
    CHECK(receptions_when_seen[0] == 2);

    const auto& b = seen[1];
    CHECK(b.frame_id == 2);
    CHECK(b.frequency_hz == 868300000);
    CHECK_FALSE(b.best_reception);
    CHECK(b.end_us - b.start_us == time_on_air_us(frame_of(bytes(2)).modulation, 2));

    m.set_frame_observer({});  // none: frames go on without a report
    w.schedule_at(11'000'000, [&] { m.transmit(sender, frame_of(payload)); });
    w.run(20'000'000);
    CHECK(seen.size() == 2);
    CHECK(got.size() == 2);
}

TEST_CASE("frames lost by every receiver are reported with no reception", "[pcap]") {
    world w(world_options{time_mode::virtual_time, 1});
    lora_medium m(w);
    std::vector<lora_observed_frame> seen;
    m.set_frame_observer([&](const lora_observed_frame& f) { seen.push_back(f); });
    const auto a = m.attach("a", {-50, 0, 0}, {});
    const auto b = m.attach("b", {50, 0, 0}, {});
    const auto rx = m.attach("rx", {0, 0, 0}, {});
    m.listen(rx, listening());
    // Same power, same distance, same start: both destroyed at the only receiver.
    w.schedule_at(1'000'000, [&] {
        m.transmit(a, frame_of(bytes(10, 0xAA)));
        m.transmit(b, frame_of(bytes(10, 0xBB)));
    });
    w.run(5'000'000);
    REQUIRE(seen.size() == 2);
    CHECK(m.counters().collisions == 2);
    CHECK_FALSE(seen[0].best_reception);
    CHECK_FALSE(seen[1].best_reception);
    CHECK(loratap_v0_header(seen[0])[10] == 255);
}

TEST_CASE("medium -> observer -> writer: records in end order with emulated timestamps", "[pcap]") {
    temp_path path("medium.pcap");
    world w(world_options{time_mode::virtual_time, 1});
    lora_medium m(w);
    auto writer = std::make_shared<pcap_writer>(path.str());
    m.set_frame_observer([writer](const lora_observed_frame& f) { writer->write(f); });
    const auto ping = m.attach("ping", {0, 0, 0}, {});
    const auto pong = m.attach("pong", {0, 40, 0}, {});
    const auto other = m.attach("other", {0, 80, 0}, {});
    m.listen(pong, listening(868100000, 9));
    // A long SF9 frame at t = 1 s and a short SF7 one starting later but ending first.
    w.schedule_at(1'000'000, [&] { m.transmit(ping, frame_of(bytes(40, 0x11), 868100000, 9)); });
    w.schedule_at(1'010'000, [&] { m.transmit(other, frame_of(bytes{0x22}, 868500000, 7)); });
    w.run(5'000'000);
    m.set_frame_observer({});
    writer->close();

    const bytes file = read_file(path.str());
    const time_us long_end = 1'000'000 + time_on_air_us(frame_of(bytes(40), 868100000, 9).modulation, 40);
    const time_us short_end = 1'010'000 + time_on_air_us(frame_of(bytes(1)).modulation, 1);
    REQUIRE(short_end < long_end);
    REQUIRE(file.size() == 24 + (16 + 15 + 1) + (16 + 15 + 40));
    auto le32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(file[at]) | static_cast<std::uint32_t>(file[at + 1]) << 8 |
               static_cast<std::uint32_t>(file[at + 2]) << 16 | static_cast<std::uint32_t>(file[at + 3]) << 24;
    };
    // Record 1: other's SF7 frame on 868.5 MHz, heard by nobody.
    CHECK(le32(24) == static_cast<std::uint32_t>(short_end / 1000000));
    CHECK(le32(28) == static_cast<std::uint32_t>(short_end % 1000000));
    CHECK(le32(32) == 16);
    CHECK(bytes(file.begin() + 40, file.begin() + 55) == from_hex("0000000f33c4422001" "07" "ffffff" "00" "34"));
    CHECK(file[55] == 0x22);
    // Record 2: ping's SF9 frame, received by pong at 40 m.
    const std::size_t r2 = 24 + 16 + 15 + 1;
    CHECK(le32(r2) == static_cast<std::uint32_t>(long_end / 1000000));
    CHECK(le32(r2 + 4) == static_cast<std::uint32_t>(long_end % 1000000));
    CHECK(le32(r2 + 8) == 55);
    CHECK(file[r2 + 16 + 9] == 9);
    const double rssi = 14.0 - m.path_loss_db({0, 0, 0}, {0, 40, 0});  // -113.41 dBm
    CHECK(file[r2 + 16 + 10] == static_cast<std::uint8_t>(std::lround(rssi + 139)));
    CHECK(static_cast<std::int8_t>(file[r2 + 16 + 13]) ==
          static_cast<std::int8_t>(std::lround((rssi - noise_floor_dbm(125000)) * 4)));
    CHECK(bytes(file.begin() + static_cast<std::ptrdiff_t>(r2 + 31), file.end()) == bytes(40, 0x11));
}
