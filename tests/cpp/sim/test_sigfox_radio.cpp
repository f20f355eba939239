// tests/cpp/sim/test_sigfox_radio.cpp: a device's Sigfox radio on the medium, with the
// network's base stations: frames, gaps, durations, downlinks, queues, FCC spacing, FSK.
#include "usocket/sim/sigfox_radio.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include <catch2/catch.hpp>

#include "sigfox_test_support.hpp"

using namespace sigfox_test;

namespace {

constexpr std::uint32_t node_id = 0x001C2A3B;
using status = sigfox_radio::send_status;

sigfox_send_request uplink(const std::string& text, bool downlink = false) {
    sigfox_send_request r;
    r.payload = bytes_of(text);
    r.downlink = downlink;
    return r;
}

/// 2 ms task tick + 3 frames of 2.08 s + 2 gaps of 1.001 s (RCZ1, 12 bytes, uplink only).
constexpr time_us rcz1_12_byte_uplink_us = 2'000 + 3 * 2'080'000 + 2 * 1'001'000;

}  // namespace

TEST_CASE("sigfox radio: a 12-byte RCZ1 uplink is 3 frames, deduplicated across 2 stations", "[sigfox][radio]") {
    sigfox_world s;
    s.w.keep_log_in_memory(true);
    s.network.add_station("bs1", {0, 0, 0});
    s.network.add_station("bs2", {300, 0, 0});
    auto node = s.device("node", {100, 0, 0}, node_id);
    status got{};
    time_us took = 0;
    s.spawn([&] {
        got = node->send(uplink("hello world!"), std::nullopt, true);
        took = s.w.now_us();
    });
    s.run();
    CHECK(got == status::done);
    CHECK(took == rcz1_12_byte_uplink_us);

    const auto st = node->stats();
    CHECK(st.frames_sent == 3);
    REQUIRE(st.last_frame_frequencies_hz.size() == 3);
    for (const auto f : st.last_frame_frequencies_hz) {
        CHECK(f > 868'130'000 - 96'000);
        CHECK(f < 868'130'000 + 96'000);
    }
    CHECK(std::set<std::int64_t>(st.last_frame_frequencies_hz.begin(), st.last_frame_frequencies_hz.end()).size() == 3);

    const auto messages = s.network.messages();
    REQUIRE(messages.size() == 1);
    const auto& m = messages[0];
    CHECK(m.device_id == node_id);
    CHECK(m.sequence_number == 0);
    CHECK(m.payload == bytes_of("hello world!"));
    CHECK(m.frames_received == 3);
    CHECK(m.stations == 2);
    CHECK(m.best_station == "bs1");  // 100 m away, bs2 200 m
    CHECK(m.rssi_dbm == Approx(16.0 - s.lora.path_loss_db({100, 0, 0}, {0, 0, 0})));
    CHECK(m.received_us == 2'000 + 2'080'000);
    CHECK_FALSE(m.downlink_requested);
    CHECK_FALSE(m.over_limit);
    CHECK(s.network.counters().frames == 6);

    const auto lines = s.w.logged_lines();
    const auto count = [&](const std::string& what) {
        return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != l.npos; });
    };
    CHECK(count("\"event\": \"sigfox_tx\"") == 3);
    CHECK(count("\"event\": \"sigfox_rx\"") == 6);
    CHECK(count("\"event\": \"sigfox_message\"") == 1);
}

TEST_CASE("sigfox radio: gaps, frame counts and sequence numbers", "[sigfox][radio]") {
    sigfox_world s;
    s.network.add_station("bs", {0, 0, 0});
    auto node = s.device("node", {50, 0, 0}, node_id);
    std::vector<time_us> ends;
    s.spawn([&] {
        sigfox_send_request bit;  // empty: the bit frame, 1.12 s
        bit.bit_value = true;
        REQUIRE(node->send(bit, std::nullopt, true) == status::done);
        ends.push_back(s.w.now_us());
        // With a downlink request, 1 + tx_repeat frames and 476 ms gaps; none comes here
        // (no answer), so it fails after the 20 s wait and the 25 s window.
        sigfox_send_request one = uplink("x", true);
        one.tx_repeat = 0;
        REQUIRE(node->send(one, std::nullopt, true) == status::failed);
        ends.push_back(s.w.now_us());
        node->set_sequence_number(4095);
        REQUIRE(node->send(uplink("ab"), std::nullopt, true) == status::done);
        REQUIRE(node->send(uplink("cd"), std::nullopt, true) == status::done);
    });
    s.run();
    REQUIRE(ends.size() == 2);
    CHECK(ends[0] == 2'000 + 3 * 1'120'000 + 2 * 1'001'000);
    const time_us second_start = ends[0] + 2'000;
    CHECK(ends[1] == second_start + 1'200'000 + 20'000'000 + 25'000'000);
    const auto messages = s.network.messages();
    REQUIRE(messages.size() == 4);
    CHECK(messages[0].bit_frame);
    CHECK(messages[0].bit_value);
    CHECK(messages[0].payload.empty());
    CHECK(messages[0].frames_received == 3);
    CHECK(messages[1].frames_received == 1);
    CHECK(messages[1].downlink_requested);
    CHECK_FALSE(messages[1].downlink_answered);
    CHECK(messages[0].sequence_number == 0);
    CHECK(messages[1].sequence_number == 1);
    CHECK(messages[2].sequence_number == 4095);
    CHECK(messages[3].sequence_number == 0);  // 12 bits wrap
    CHECK(node->sequence_number() == 1);
    CHECK(node->stats().failures == 1);
}

TEST_CASE("sigfox radio: SO_RX with a queued downlink, then the OOB ack", "[sigfox][radio][downlink]") {
    sigfox_world s;
    s.network.add_station("bs", {0, 0, 0});
    auto node = s.device("node", {100, 0, 0}, node_id);
    s.network.queue_downlink(node_id, {1, 2, 3, 4, 5, 6, 7, 8});
    status got{};
    time_us took = 0;
    std::vector<std::uint8_t> first, rest;
    s.spawn([&] {
        got = node->send(uplink("hello world!", true), std::nullopt, true);
        took = s.w.now_us();
        REQUIRE(node->receive(time_us{0}, 3, first) == wait_status::ready);
        REQUIRE(node->receive(time_us{0}, 64, rest) == wait_status::ready);
    });
    s.run();
    CHECK(got == status::done);
    // First frame ends at 2.082 s; the station sends at +20 s +1.5 s for 373.333 ms; the ack
    // waits 2.001 s, then 3 OOB frames (class D, 1.76 s) with 1.001 s gaps.
    constexpr time_us first_end = 2'000 + 2'080'000;
    constexpr time_us downlink_end = first_end + 20'000'000 + 1'500'000 + 373'333;
    CHECK(took == downlink_end + 2'001'000 + 3 * 1'760'000 + 2 * 1'001'000);
    CHECK(first == std::vector<std::uint8_t>{1, 2, 3});
    CHECK(rest == std::vector<std::uint8_t>{4, 5, 6, 7, 8});
    CHECK(node->received_pending() == 0);
    REQUIRE(node->last_downlink_rssi_dbm().has_value());
    CHECK(*node->last_downlink_rssi_dbm() == static_cast<int>(std::lround(27.0 - s.lora.path_loss_db({0, 0, 0}, {100, 0, 0}))));

    const auto messages = s.network.messages();
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].downlink_requested);
    CHECK(messages[0].downlink_answered);
    CHECK(messages[0].downlink_payload == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(messages[0].frames_received == 3);  // tx_repeat 2
    CHECK(messages[1].oob);                   // the ack
    CHECK(messages[1].sequence_number == 1);
    CHECK(s.network.pending_downlinks(node_id) == 0);
    CHECK(node->stats().downlinks_received == 1);
}

TEST_CASE("sigfox radio: echo and callback answers", "[sigfox][radio][downlink]") {
    sigfox_world s;
    s.network.add_station("bs", {0, 0, 0});
    auto node = s.device("node", {100, 0, 0}, node_id);
    std::vector<sigfox_message_record> seen;
    s.network.set_echo(true);
    std::vector<std::uint8_t> echoed, answered;
    s.spawn([&] {
        REQUIRE(node->send(uplink("hello", true), std::nullopt, true) == status::done);
        REQUIRE(node->receive(time_us{0}, 64, echoed) == wait_status::ready);
        s.w.sleep_for(second_us);  // the ack's record closes in an event of the same time
        s.network.set_callback([&](const sigfox_message_record& m) -> std::optional<std::vector<std::uint8_t>> {
            seen.push_back(m);
            if (m.oob) {
                return std::nullopt;
            }
            return std::vector<std::uint8_t>{9, 9};
        });
        REQUIRE(node->send(uplink("again", true), std::nullopt, true) == status::done);
        REQUIRE(node->receive(time_us{0}, 64, answered) == wait_status::ready);
        REQUIRE(node->send(uplink("plain"), std::nullopt, true) == status::done);
    });
    s.run();
    CHECK(echoed == std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o', 0, 0, 0});
    CHECK(answered == std::vector<std::uint8_t>{9, 9, 0, 0, 0, 0, 0, 0});  // the callback wins over echo
    REQUIRE(seen.size() == 3);  // "again", its ack, "plain"
    CHECK(seen[0].payload == bytes_of("again"));
    CHECK(seen[0].downlink_requested);
    CHECK(seen[1].oob);
    CHECK(seen[2].payload == bytes_of("plain"));
}

TEST_CASE("sigfox radio: a command queue of 2, EAGAIN when full", "[sigfox][radio]") {
    sigfox_world s;
    auto node = s.device("node", {0, 0, 0}, node_id);
    std::vector<status> got;
    s.spawn([&] {
        // The clock stands still while this thread runs: the task has not taken any yet.
        for (int i = 0; i < 3; ++i) {
            got.push_back(node->send(uplink("q"), time_us{0}, false));
        }
        CHECK_FALSE(node->can_queue());
        // With a wait for room, the first one's pick frees a slot at the next task tick.
        got.push_back(node->send(uplink("q"), time_us{10'000}, false));
        CHECK(s.w.now_us() == 2'000);
    });
    s.run();
    CHECK(got == std::vector<status>{status::queued, status::queued, status::queue_full, status::queued});
    CHECK(node->stats().messages_sent == 3);
}

TEST_CASE("sigfox radio: a blocking send queued behind another returns when that one ends", "[sigfox][radio]") {
    sigfox_world s;
    auto node = s.device("node", {0, 0, 0}, node_id);
    time_us returned = 0;
    s.spawn([&] {
        REQUIRE(node->send(uplink("first"), time_us{0}, false) == status::queued);
        REQUIRE(node->send(uplink("second"), std::nullopt, true) == status::done);
        returned = s.w.now_us();
    });
    s.run();
    // The firmware waits for the next event bits, which the first transaction sets.
    CHECK(returned == 2'000 + 3 * 1'760'000 + 2 * 1'001'000);
}

TEST_CASE("sigfox radio: RCZ2 keeps 23 s after two messages", "[sigfox][radio][fcc]") {
    sigfox_world s;
    s.w.keep_log_in_memory(true);
    s.network.add_station("bs", {0, 0, 0});
    auto node = s.device("node", {50, 0, 0}, node_id, sigfox_zone::rcz2);
    std::vector<time_us> ends;
    std::vector<int> free_channels;
    s.spawn([&] {
        free_channels.push_back(node->info_byte() >> 4);
        for (int i = 0; i < 3; ++i) {
            REQUIRE(node->send(uplink("abcdefghijkl"), std::nullopt, true) == status::done);
            ends.push_back(s.w.now_us());
            free_channels.push_back(node->info_byte() >> 4);
        }
    });
    s.run();
    // 600 bit/s: 346.667 ms frames, 500 ms gaps.
    constexpr time_us message_us = 3 * 346'667 + 2 * 500'000;
    REQUIRE(ends.size() == 3);
    CHECK(ends[0] == 2'000 + message_us);
    const time_us second_start = ends[0] + 2'000;
    CHECK(ends[1] == second_start + message_us);
    CHECK(ends[2] == second_start + 23'000'000 + message_us);
    CHECK(free_channels == std::vector<int>{6, 3, 0, 3});
    const auto lines = s.w.logged_lines();
    CHECK(std::count_if(lines.begin(), lines.end(),
                        [](const std::string& l) { return l.find("sigfox_fcc_wait") != l.npos; }) == 1);
    CHECK(s.network.messages().size() == 3);
}

TEST_CASE("sigfox network: 140 uplinks a day, the 141st is flagged; 4 downlinks", "[sigfox][network][limits]") {
    sigfox_world s;
    s.w.keep_log_in_memory(true);
    s.network.add_station("bs", {0, 0, 0});
    s.network.set_echo(true);
    auto node = s.device("node", {50, 0, 0}, node_id);
    int delivered = 0;
    s.network.set_callback([&](const sigfox_message_record& m) -> std::optional<std::vector<std::uint8_t>> {
        if (!m.oob) {
            ++delivered;
        }
        return std::nullopt;
    });
    std::vector<status> downlinks;
    s.spawn([&] {
        for (int i = 0; i < 5; ++i) {
            downlinks.push_back(node->send(uplink("dl", true), std::nullopt, true));
        }
        sigfox_send_request bit;
        for (int i = 0; i < 136; ++i) {
            REQUIRE(node->send(bit, std::nullopt, true) == status::done);
        }
    });
    s.run();
    // Downlinks 1-4 come with their acks; the 5th is over the limit: no downlink, ENETDOWN.
    CHECK(downlinks == std::vector<status>{status::done, status::done, status::done, status::done, status::failed});
    const auto messages = s.network.messages();
    std::vector<sigfox_message_record> uplinks;
    std::copy_if(messages.begin(), messages.end(), std::back_inserter(uplinks),
                 [](const sigfox_message_record& m) { return !m.oob; });
    REQUIRE(uplinks.size() == 141);
    CHECK(uplinks[3].downlink_answered);
    CHECK(uplinks[4].downlink_over_limit);
    CHECK_FALSE(uplinks[4].downlink_answered);
    CHECK_FALSE(uplinks[139].over_limit);
    CHECK(uplinks[140].over_limit);
    CHECK(delivered == 140);
    CHECK(s.network.counters().over_limit == 1);
    CHECK(s.network.counters().downlinks_sent == 4);
    const auto lines = s.w.logged_lines();
    CHECK(std::count_if(lines.begin(), lines.end(),
                        [](const std::string& l) { return l.find("\"sigfox_over_limit\"") != l.npos; }) == 1);
}

TEST_CASE("sigfox network: a far base station hears nothing", "[sigfox][network]") {
    sigfox_world s;
    s.network.add_station("far", {100'000, 0, 0});
    auto node = s.device("node", {0, 0, 0}, node_id);
    s.spawn([&] { REQUIRE(node->send(uplink("lost"), std::nullopt, true) == status::done); });
    s.run();
    CHECK(s.network.messages().empty());
    CHECK(s.air.counters().below_sensitivity == 3);
    CHECK(s.air.counters().receptions == 0);
}

TEST_CASE("sigfox medium: ultra-narrowband collisions and capture", "[sigfox][medium]") {
    sigfox_world s;
    std::vector<std::string> heard;
    const auto rx = s.air.attach("rx", {0, 0, 0}, [&](const sigfox_reception& r) { heard.push_back(r.sender); });
    sigfox_band band;
    band.centre_hz = 868'130'000;
    band.width_hz = 192'000;
    band.bit_rate_bps = 100;
    band.sensitivity_dbm = -142;
    s.air.listen(rx, {band});
    const auto a = s.air.attach("a", {100, 0, 0}, {});
    const auto b = s.air.attach("b", {0, 100, 0}, {});
    const auto c = s.air.attach("c", {0, 10, 0}, {});
    const auto frame = [](std::int64_t f, double power) {
        sigfox_frame x;
        x.frequency_hz = f;
        x.tx_power_dbm = power;
        x.airtime_us = 2'080'000;
        return x;
    };
    // Same distance, 50 Hz apart at 100 bit/s (~100 Hz wide): both lost.
    s.w.schedule_at(0, [&] {
        s.air.transmit(a, frame(868'100'000, 14));
        s.air.transmit(b, frame(868'100'050, 14));
    });
    // 150 Hz apart: no overlap, both received.
    s.w.schedule_at(10 * second_us, [&] {
        s.air.transmit(a, frame(868'100'000, 14));
        s.air.transmit(b, frame(868'100'150, 14));
    });
    // Overlapping, c much closer: c captures, a is lost.
    s.w.schedule_at(20 * second_us, [&] {
        s.air.transmit(a, frame(868'100'000, 14));
        s.air.transmit(c, frame(868'100'000, 14));
    });
    s.run();
    CHECK(heard == std::vector<std::string>{"a", "b", "c"});
    CHECK(s.air.counters().collisions == 3);
}

TEST_CASE("sigfox radio: two devices at once collide only when their frames meet", "[sigfox][radio]") {
    // Two devices at the same distance send 3 frames at once on random frequencies of the
    // 192 kHz macro channel: whatever the draws, the station gets a frame unless another
    // one overlapped it within the signal bandwidth; with two seeds the counts add up.
    for (const std::uint64_t seed : {1u, 2u}) {
        sigfox_world s(seed);
        s.network.add_station("bs", {0, 0, 0});
        auto one = s.device("one", {100, 0, 0}, 1);
        auto two = s.device("two", {0, 100, 0}, 2);
        s.spawn([&] { REQUIRE(one->send(uplink("a"), std::nullopt, true) == status::done); });
        s.spawn([&] { REQUIRE(two->send(uplink("b"), std::nullopt, true) == status::done); });
        s.run();
        const auto c = s.air.counters();
        CHECK(c.receptions + c.collisions == 6);
        CHECK(s.network.messages().size() == 2);
    }
}

TEST_CASE("sigfox radio: SiPy FSK point-to-point frames", "[sigfox][radio][fsk]") {
    sigfox_world s;
    auto a = std::make_shared<sigfox_radio>(s.air, "a", position_m{0, 0, 0}, 1);
    auto b = std::make_shared<sigfox_radio>(s.air, "b", position_m{50, 0, 0}, 2);
    auto other = std::make_shared<sigfox_radio>(s.air, "other", position_m{10, 0, 0}, 3);
    a->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'000'000);
    b->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'000'000);
    other->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'100'000);  // another channel
    std::vector<std::uint8_t> payload(64);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<std::uint8_t>(i);
    }
    time_us sent_at = 0;
    std::vector<std::uint8_t> got, tail, reply;
    s.spawn([&] {
        sigfox_send_request r;
        r.payload = payload;
        REQUIRE(a->send(r, std::nullopt, true) == status::done);
        sent_at = s.w.now_us();
        REQUIRE(a->receive(5 * second_us, 64, reply) == wait_status::ready);
    });
    s.spawn([&] {
        REQUIRE(b->receive(std::nullopt, 60, got) == wait_status::ready);
        REQUIRE(b->receive(time_us{0}, 60, tail) == wait_status::ready);
        sigfox_send_request r;
        r.payload = bytes_of("pong");
        REQUIRE(b->send(r, std::nullopt, true) == status::done);
    });
    s.run();
    CHECK(sent_at == 2'000 + 500'000);
    CHECK(got == std::vector<std::uint8_t>(payload.begin(), payload.begin() + 60));
    CHECK(tail == std::vector<std::uint8_t>(payload.begin() + 60, payload.end()));
    CHECK(reply == bytes_of("pong"));
    CHECK(other->received_pending() == 0);
}

TEST_CASE("sigfox radio: real time paces a blocking FSK send by the wall clock", "[sigfox][radio][fsk][real]") {
    sigfox_world s(7, {}, time_mode::real);
    auto a = std::make_shared<sigfox_radio>(s.air, "a", position_m{0, 0, 0}, 1);
    auto b = std::make_shared<sigfox_radio>(s.air, "b", position_m{50, 0, 0}, 2);
    a->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'000'000);
    b->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'000'000);
    time_us sent_at = 0;
    std::vector<std::uint8_t> got;
    const auto wall_start = std::chrono::steady_clock::now();
    s.spawn([&] {
        sigfox_send_request r;
        r.payload = bytes_of("real");
        REQUIRE(a->send(r, std::nullopt, true) == status::done);
        sent_at = s.w.now_us();
    });
    s.spawn([&] { REQUIRE(b->receive(2 * second_us, 64, got) == wait_status::ready); });
    s.run();
    const auto wall_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - wall_start).count();
    CHECK(sent_at >= 2'000 + fsk_frame_us(4));
    CHECK(wall_us >= fsk_frame_us(4));
    CHECK(got == bytes_of("real"));
}
