// tests/cpp/sim/test_sigfox_lbt.cpp: RCZ3 listen-before-talk of the Sigfox radio (radio.md
// 5.1): the 200 kHz channel clear (-80 dBm) for 5 ms before each frame; before the first
// frame of a message config word 0's retries, 501 ms apart; before a later one a sliding
// window of word 1 ms from the end of the previous frame (sigfox_api.h).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sigfox_test_support.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/stack.hpp"

using namespace sigfox_test;
namespace family = usocket::family;
namespace sock_type = usocket::sock_type;

namespace {

constexpr std::uint32_t node_id = 0x003C4D5E;
constexpr position_m node_at{100, 0, 0};
using status = sigfox_radio::send_status;

// The radio's timing (sigfox_radio.hpp), spelled out so a change there shows here.
constexpr time_us tick_us = 2'000;      // task_tick_us
constexpr time_us sense_us = 5'000;     // lbt_sense_us
constexpr time_us retry_us = 501'000;   // lbt_retry_us (SFX_DLY_CS_SLEEP)
constexpr time_us gap_us = 51'000;      // inter_frame_lbt_us
constexpr time_us frame_us = 2'080'000; // a 12-byte frame (class E) at 100 bit/s
/// One busy carrier sense and its sleep.
constexpr time_us busy_us = sense_us + retry_us;
/// A 12-byte RCZ3 uplink on a clear channel: tick, then sense + frame three times, two gaps.
constexpr time_us clear_uplink_us = tick_us + 3 * (sense_us + frame_us) + 2 * gap_us;

constexpr std::int64_t rcz3_uplink_hz = 923'200'000;
/// Well over the -80 dBm threshold at the node.
constexpr double loud_dbm = -60.0;

/// A transmitter that is not a Sigfox device: it puts carriers of a chosen duration, level
/// (as heard at the node) and frequency on the air.
struct jammer {
    jammer(sigfox_world& world, const std::string& name, position_m where)
        : s(world), at(where), id(world.air.attach(name, where, {})) {}

    void on_air(time_us start_us, time_us airtime_us, double rssi_at_node_dbm = loud_dbm,
                std::int64_t frequency_hz = rcz3_uplink_hz) {
        sigfox_frame f;
        f.modulation = sigfox_modulation::fsk;  // no base station decodes it
        f.bit_rate_bps = fsk_bit_rate_bps;
        f.frequency_hz = frequency_hz;
        f.tx_power_dbm = rssi_at_node_dbm + s.air.path_loss_db(at, node_at);
        f.airtime_us = airtime_us;
        s.w.schedule_at(start_us, [this, f] { s.air.transmit(id, f); });
    }

    sigfox_world& s;
    position_m at;
    sigfox_medium::radio_id id;
};

/// Where the value of `key` starts in a flat JSON log line.
std::size_t value_at(const std::string& line, const std::string& key) {
    const std::string tag = "\"" + key + "\": ";
    const auto at = line.find(tag);
    REQUIRE(at != std::string::npos);
    return at + tag.size();
}

/// An integer field of a log line.
std::int64_t integer(const std::string& line, const std::string& key) {
    return std::stoll(line.substr(value_at(line, key)));
}

/// A floating-point field of a log line.
double number(const std::string& line, const std::string& key) { return std::stod(line.substr(value_at(line, key))); }

/// A string field of a flat JSON log line (no escapes in what these tests read).
std::string text(const std::string& line, const std::string& key) {
    const std::string tag = "\"" + key + "\": \"";
    const auto at = line.find(tag);
    REQUIRE(at != std::string::npos);
    const auto from = at + tag.size();
    return line.substr(from, line.find('"', from) - from);
}

struct outcome {
    status st{};
    time_us took_us = 0;
    int frames_sent = 0;   // info() bits 0-2
    int cs_attempts = 0;   // info() bits 3-7
};

/// One RCZ3 device 100 m from a base station; send() runs one blocking 12-byte send from t = 0.
struct lbt_world {
    lbt_world() {
        s.w.keep_log_in_memory(true);
        s.network.add_station("bs", {0, 0, 0});
        node = s.device("node", node_at, node_id, sigfox_zone::rcz3);
    }

    outcome send(std::optional<std::array<std::uint32_t, 3>> config_words = std::nullopt) {
        if (config_words) {
            node->set_config_words(*config_words);
        }
        outcome out;
        s.spawn([&] {
            sigfox_send_request r;
            r.payload = bytes_of("twelve bytes");
            out.st = node->send(r, std::nullopt, true);
            out.took_us = s.w.now_us();
            const std::uint8_t info = node->info_byte();
            out.frames_sent = info & 0x07;
            out.cs_attempts = info >> 3;
        });
        s.run();
        return out;
    }

    /// Logged lines of `event` by `device`.
    std::vector<std::string> events(const std::string& event, const std::string& device = "node") const {
        std::vector<std::string> out;
        for (const auto& line : s.w.logged_lines()) {
            if (line.find("\"event\": \"" + event + "\"") != std::string::npos &&
                line.find("\"device\": \"" + device + "\"") != std::string::npos) {
                out.push_back(line);
            }
        }
        return out;
    }

    /// Start times of the node's frames.
    std::vector<time_us> frame_starts_us() const {
        std::vector<time_us> out;
        for (const auto& line : events("sigfox_tx")) {
            out.push_back(integer(line, "t_us"));
        }
        return out;
    }

    sigfox_world s;
    std::shared_ptr<sigfox_radio> node;
};

/// Frame k starts at `first_us` plus k frames, gaps and (clear) senses when no later frame waits.
std::vector<time_us> clear_after(time_us first_us) {
    return {first_us, first_us + frame_us + gap_us + sense_us, first_us + 2 * (frame_us + gap_us + sense_us)};
}

}  // namespace

TEST_CASE("sigfox lbt: the test's timing is the radio's", "[sigfox][lbt]") {
    CHECK(tick_us == sigfox_radio::task_tick_us);
    CHECK(sense_us == sigfox_radio::lbt_sense_us);
    CHECK(retry_us == sigfox_radio::lbt_retry_us);
    CHECK(gap_us == sigfox_radio::inter_frame_lbt_us);
    CHECK(frame_us == uplink_frame_us(sigfox_frame_class::e, zone_params(sigfox_zone::rcz3).uplink_bps));
    CHECK(sigfox_radio::lbt_threshold_dbm == -80.0);
    CHECK(sigfox_radio::lbt_channel_width_hz == 200'000.0);
    CHECK(sigfox_radio::lbt_default_retries == 3);
    CHECK(sigfox_radio::lbt_default_max_between_frames_us == 5'000'000);
    CHECK(clear_uplink_us == 6'359'000);
}

TEST_CASE("sigfox lbt: a clear channel: 5 ms of carrier sense before each frame, 51 ms between", "[sigfox][lbt]") {
    lbt_world t;
    const outcome got = t.send();
    CHECK(got.st == status::done);
    CHECK(got.took_us == clear_uplink_us);
    CHECK(got.frames_sent == 3);
    CHECK(got.cs_attempts == 3);  // one sense per frame

    // Sense from the task's tick, transmit 5 ms later; 51 ms after a frame, the next sense.
    const auto starts = t.frame_starts_us();
    CHECK(starts == clear_after(tick_us + sense_us));
    REQUIRE(starts.size() == 3);
    for (std::size_t k = 1; k < starts.size(); ++k) {
        CHECK(starts[k] - (starts[k - 1] + frame_us) == gap_us + sense_us);
    }
    for (const auto& line : t.events("sigfox_tx")) {
        CHECK(integer(line, "airtime_us") == frame_us);
        CHECK(number(line, "frequency_hz") == Approx(rcz3_uplink_hz).margin(18'000));  // 36 kHz macro channel
    }
    CHECK(t.events("sigfox_lbt_failed").empty());
    const auto messages = t.s.network.messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].frames_received == 3);
}

TEST_CASE("sigfox lbt: busy before the first frame, then clear", "[sigfox][lbt]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});
    // Busy at the senses of 2, 508 and 1014 ms; clear at 1520 ms: all 3 retries.
    jam.on_air(0, 1'200'000);
    const outcome got = t.send();
    CHECK(got.st == status::done);
    CHECK(got.took_us == clear_uplink_us + 3 * busy_us);
    CHECK(got.took_us == 7'877'000);
    CHECK(got.frames_sent == 3);
    CHECK(got.cs_attempts == 4 + 1 + 1);
    CHECK(t.frame_starts_us() == clear_after(tick_us + 3 * busy_us + sense_us));
    CHECK(t.frame_starts_us().front() == 1'525'000);
    CHECK(t.events("sigfox_lbt_failed").empty());
    REQUIRE(t.s.network.messages().size() == 1);
    CHECK(t.s.network.messages()[0].frames_received == 3);
}

TEST_CASE("sigfox lbt: a later frame listens in a sliding window", "[sigfox][lbt]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});
    jammer other(t.s, "jam2", {100, 1, 0});
    // Frame 1 from 7 ms to 2.087 s; the second frame listens from 2.138 s on, without
    // SFX_DLY_CS_SLEEPs, and goes once the channel has been clear for 5 ms.
    const time_us first_us = tick_us + sense_us;
    const time_us listen_us = first_us + frame_us + gap_us;
    CHECK(listen_us == 2'138'000);
    time_us second_us = 0;
    bool sent = false;  // the section ran the send itself

    SECTION("it goes 5 ms after the channel clears") {
        // Busy from 2.1 s to 3.6 s (tests/python/device/test_sigfox_traffic.py does the same
        // with an FSK SiPy).
        jam.on_air(2'100'000, 1'500'000);
        second_us = 3'600'000 + sense_us;
    }
    SECTION("a clear stretch shorter than the sense time does not count") {
        jam.on_air(2'100'000, 500'000);
        jam.on_air(2'600'000 + sense_us - 1, 400'000);  // 4.999 ms of quiet at 2.6 s
        second_us = 3'000'000 + sense_us - 1 + sense_us;
    }
    SECTION("a carrier that starts while the channel is clear starts the stretch again") {
        jam.on_air(listen_us + 2'000, 300'000);  // 2 ms into the first clear stretch
        second_us = listen_us + 2'000 + 300'000 + sense_us;
    }
    SECTION("two carriers below the threshold each, over it while they overlap") {
        // -82.9 dBm until 2.141 s, another -82.9 dBm from 2.139 s: -79.9 dBm from 2.139 to
        // 2.141 s, inside the stretch from 2.138 s, which neither end of it sees.
        jam.on_air(first_us + frame_us + 3'000, 51'000, -82.9);
        other.on_air(listen_us + 1'000, 461'000, -82.9, rcz3_uplink_hz + 60'000);
        second_us = listen_us + 3'000 + sense_us;
        CHECK(second_us == 2'146'000);
    }
    SECTION("after a first frame that used all its retries") {
        // Busy at 2, 508, 1014 ms; frame 1 from 1.525 s to 3.605 s; busy from 3.62 s to 5.1 s.
        jam.on_air(0, 1'200'000);
        jam.on_air(3'620'000, 1'480'000);
        const time_us late_first_us = tick_us + 3 * busy_us + sense_us;
        const outcome got = t.send();
        sent = true;
        second_us = 5'100'000 + sense_us;
        CHECK(got.st == status::done);
        CHECK(got.took_us == second_us + 2 * frame_us + gap_us + sense_us);
        CHECK(got.took_us == 9'321'000);
        CHECK(got.frames_sent == 3);
        CHECK(got.cs_attempts == 4 + 1 + 1);
        CHECK(t.frame_starts_us() ==
              std::vector<time_us>{late_first_us, second_us, second_us + frame_us + gap_us + sense_us});
    }
    if (!sent) {
        const outcome got = t.send();
        const time_us third_us = second_us + frame_us + gap_us + sense_us;
        CHECK(got.st == status::done);
        CHECK(got.took_us == third_us + frame_us);
        CHECK(got.took_us == clear_uplink_us + (second_us - (listen_us + sense_us)));
        CHECK(got.frames_sent == 3);
        CHECK(got.cs_attempts == 1 + 1 + 1);  // one sense, then one window per later frame
        CHECK(t.frame_starts_us() == std::vector<time_us>{first_us, second_us, third_us});
    }
    CHECK(t.events("sigfox_lbt_failed").empty());
    REQUIRE(t.s.network.messages().size() == 1);
    CHECK(t.s.network.messages()[0].frames_received == 3);
}

TEST_CASE("sigfox lbt: a channel busy past every retry fails the message", "[sigfox][lbt]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});

    SECTION("before the first frame: nothing goes on the air") {
        jam.on_air(0, 3'000'000);
        const outcome got = t.send();
        const time_us failed_us = tick_us + 3 * busy_us + sense_us;  // after the 4th sense
        CHECK(got.st == status::failed);
        CHECK(got.took_us == failed_us);
        CHECK(got.took_us == 1'525'000);
        CHECK(got.frames_sent == 0);
        CHECK(got.cs_attempts == 4);
        CHECK(t.frame_starts_us().empty());
        CHECK(t.s.network.messages().empty());
        const auto st = t.node->stats();
        CHECK(st.frames_sent == 0);
        CHECK(st.failures == 1);
        const auto failed = t.events("sigfox_lbt_failed");
        REQUIRE(failed.size() == 1);
        CHECK(integer(failed[0], "t_us") == failed_us);
        CHECK(number(failed[0], "rssi_dbm") == Approx(loud_dbm).margin(0.01));
        CHECK(integer(failed[0], "repetition") == 0);
        CHECK(integer(failed[0], "attempts") == 4);
        CHECK(text(failed[0], "reason") == "retries");
    }

    SECTION("before a later frame: busy past word 1, the frames so far stay sent") {
        // Frame 1 ends at 2.087 s; the channel is busy from 2.1 s to 8.1 s, so the second
        // frame's window (5000 ms from that end) expires at 7.087 s.
        jam.on_air(2'100'000, 6'000'000);
        const outcome got = t.send();
        const time_us failed_us = tick_us + sense_us + frame_us + sigfox_radio::lbt_default_max_between_frames_us;
        CHECK(got.st == status::failed);
        CHECK(got.took_us == failed_us);
        CHECK(got.took_us == 7'087'000);
        CHECK(got.frames_sent == 1);
        CHECK(got.cs_attempts == 1 + 1);
        CHECK(t.frame_starts_us() == std::vector<time_us>{tick_us + sense_us});
        const auto failed = t.events("sigfox_lbt_failed");
        REQUIRE(failed.size() == 1);
        CHECK(integer(failed[0], "t_us") == failed_us);
        CHECK(number(failed[0], "rssi_dbm") == Approx(loud_dbm).margin(0.01));
        CHECK(integer(failed[0], "repetition") == 1);
        CHECK(integer(failed[0], "attempts") == 1);
        CHECK(text(failed[0], "reason") == "max_time_between_frames");
        REQUIRE(t.s.network.messages().size() == 1);
        CHECK(t.s.network.messages()[0].frames_received == 1);
    }
}

TEST_CASE("sigfox lbt: a socket's send fails with ENETDOWN when the channel stays busy", "[sigfox][lbt][socket]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});
    jam.on_air(0, 3'000'000);
    usocket::stack net;
    net.set_sigfox_radio(t.node);
    std::error_code ec;
    std::size_t sent = 99;
    time_us at_us = 0;
    t.s.spawn([&] {
        usocket::socket sock(net, family::sigfox, sock_type::raw);
        const std::string data = "twelve bytes";
        sent = sock.send(data.data(), data.size(), ec);
        at_us = t.s.w.now_us();
    });
    t.s.run();
    CHECK(ec == usocket::errc::enetdown);
    CHECK(sent == 0);
    CHECK(at_us == 1'525'000);
    CHECK(t.events("sigfox_lbt_failed").size() == 1);
}

TEST_CASE("sigfox lbt: config word 0 gives the first frame's retries, word 1 a later frame's window",
          "[sigfox][lbt][config]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});
    // Frame 1 from 7 ms to 2.087 s when the channel is clear before it.
    const time_us first_us = tick_us + sense_us;
    const time_us first_end_us = first_us + frame_us;
    const time_us listen_us = first_end_us + gap_us;

    /// The whole message when the second frame starts at `second_us`.
    const auto done_with_second_at = [&](const outcome& got, time_us second_us) {
        const time_us third_us = second_us + frame_us + gap_us + sense_us;
        CHECK(got.st == status::done);
        CHECK(got.took_us == third_us + frame_us);
        CHECK(got.frames_sent == 3);
        CHECK(got.cs_attempts == 1 + 1 + 1);
        CHECK(t.frame_starts_us() == std::vector<time_us>{first_us, second_us, third_us});
        CHECK(t.events("sigfox_lbt_failed").empty());
    };
    /// The message failing when the second frame's window of `window_us` expires.
    const auto failed_at_window_end = [&](const outcome& got, time_us window_us) {
        const time_us failed_us = first_end_us + window_us;
        CHECK(got.st == status::failed);
        CHECK(got.took_us == failed_us);
        CHECK(got.frames_sent == 1);
        CHECK(got.cs_attempts == 1 + 1);
        CHECK(t.frame_starts_us() == std::vector<time_us>{first_us});
        const auto failed = t.events("sigfox_lbt_failed");
        REQUIRE(failed.size() == 1);
        CHECK(integer(failed[0], "t_us") == failed_us);
        CHECK(integer(failed[0], "repetition") == 1);
        CHECK(integer(failed[0], "attempts") == 1);
        CHECK(text(failed[0], "reason") == "max_time_between_frames");
    };

    SECTION("10 retries: the first frame may wait longer than word 1") {
        // Busy at the senses 2 + k x 506 ms for k = 0..9; clear at k = 10 (5.062 s).
        jam.on_air(0, 5'000'000);
        const outcome got = t.send(std::array<std::uint32_t, 3>{10, 5000, 0});
        CHECK(got.st == status::done);
        CHECK(got.took_us == clear_uplink_us + 10 * busy_us);
        CHECK(got.cs_attempts == 11 + 1 + 1);
        CHECK(t.frame_starts_us().front() == tick_us + 10 * busy_us + sense_us);
        CHECK(t.frame_starts_us().front() > 5'000'000);
    }

    SECTION("10 retries do not lengthen a later frame's window") {
        jam.on_air(2'100'000, 9'000'000);
        failed_at_window_end(t.send(std::array<std::uint32_t, 3>{10, 5000, 0}), 5'000'000);
    }

    SECTION("word 0 of 0 leaves a later frame its window") {
        jam.on_air(2'100'000, 400'000);
        done_with_second_at(t.send(std::array<std::uint32_t, 3>{0, 5000, 0}), 2'500'000 + sense_us);
    }

    SECTION("word 1 of 5000 ms: clear 5 ms before the window ends is in time") {
        const time_us window_end_us = first_end_us + 5'000'000;
        jam.on_air(2'100'000, window_end_us - sense_us - 2'100'000);
        done_with_second_at(t.send(), window_end_us);
        CHECK(window_end_us - first_end_us == 5'000'000);
    }

    SECTION("word 1 of 5000 ms: clear 1 us later is too late") {
        const time_us window_end_us = first_end_us + 5'000'000;
        jam.on_air(2'100'000, window_end_us - sense_us - 2'100'000 + 1);
        failed_at_window_end(t.send(), 5'000'000);
    }

    SECTION("word 1 of 1000 ms: a shorter window") {
        jam.on_air(2'100'000, 3'000'000);
        failed_at_window_end(t.send(std::array<std::uint32_t, 3>{3, 1000, 0}), 1'000'000);
        CHECK(first_end_us + 1'000'000 == 3'087'000);
    }

    SECTION("word 1 of 1000 ms: a channel that clears in time") {
        jam.on_air(2'100'000, 400'000);
        done_with_second_at(t.send(std::array<std::uint32_t, 3>{3, 1000, 0}), 2'500'000 + sense_us);
    }

    SECTION("word 1 of 1000 ms: a channel that clears 1 us too late") {
        jam.on_air(2'100'000, first_end_us + 1'000'000 - sense_us - 2'100'000 + 1);
        failed_at_window_end(t.send(std::array<std::uint32_t, 3>{3, 1000, 0}), 1'000'000);
    }

    SECTION("word 0 of 0: one sense before the first frame") {
        jam.on_air(0, 100'000);
        const outcome got = t.send(std::array<std::uint32_t, 3>{0, 5000, 0});
        CHECK(got.st == status::failed);
        CHECK(got.took_us == tick_us + sense_us);
        CHECK(got.cs_attempts == 1);
        CHECK(t.frame_starts_us().empty());
    }
    CHECK(listen_us == 2'138'000);
}

TEST_CASE("sigfox lbt: -80 dBm in the 200 kHz channel", "[sigfox][lbt][threshold]") {
    lbt_world t;
    jammer jam(t.s, "jam", {101, 0, 0});
    jammer other(t.s, "jam2", {100, 1, 0});
    // The carrier covers the first sense (2-7 ms) only: blocked, the first frame goes after
    // one retry, at 513 ms.
    const time_us blocked_first_us = tick_us + busy_us + sense_us;
    const time_us clear_first_us = tick_us + sense_us;
    time_us want_first_us = 0;

    SECTION("just below the threshold does not block") {
        jam.on_air(0, 400'000, -80.1);  // -80.0986 dBm with the channel's noise
        want_first_us = clear_first_us;
    }
    SECTION("just above it does") {
        jam.on_air(0, 400'000, -79.9);
        want_first_us = blocked_first_us;
    }
    SECTION("two signals below it each, over it together, do") {
        jam.on_air(0, 400'000, -82.9);
        other.on_air(0, 400'000, -82.9, rcz3_uplink_hz + 60'000);  // -79.9 dBm in all
        want_first_us = blocked_first_us;
    }
    SECTION("a strong signal outside the 200 kHz channel does not count") {
        jam.on_air(0, 400'000, -40.0, rcz3_uplink_hz + 150'000);
        want_first_us = clear_first_us;
    }
    SECTION("one inside its edge does") {
        jam.on_air(0, 400'000, -79.0, rcz3_uplink_hz - 99'000);
        want_first_us = blocked_first_us;
    }
    const outcome got = t.send();
    CHECK(got.st == status::done);
    REQUIRE_FALSE(t.frame_starts_us().empty());
    CHECK(t.frame_starts_us().front() == want_first_us);
    CHECK(got.took_us == clear_uplink_us + (want_first_us - clear_first_us));
    CHECK(got.cs_attempts == (want_first_us == clear_first_us ? 3 : 4));
}
