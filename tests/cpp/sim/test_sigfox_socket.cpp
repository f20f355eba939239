// tests/cpp/sim/test_sigfox_socket.cpp: AF_SIGFOX sockets (src/sigfox_backend.cpp) through the
// public socket API, over a Sigfox radio registered with the stack.
#include <catch2/catch.hpp>

#include "sigfox_test_support.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/stack.hpp"
#include "usocket/timeout.hpp"

using namespace sigfox_test;
using usocket::errc;
using usocket::failure;
namespace family = usocket::family;
namespace sock_type = usocket::sock_type;
namespace sockopt = usocket::sockopt;

namespace {

constexpr std::uint32_t node_id = 0x00ABCDEF;

struct node {
    explicit node(sigfox_world& s, sigfox_zone zone = sigfox_zone::rcz1) : radio(s.device("node", {100, 0, 0}, node_id, zone)) {
        net.set_sigfox_radio(radio);
    }
    usocket::stack net;
    std::shared_ptr<sigfox_radio> radio;
};

std::error_code send_text(usocket::socket& s, const std::string& text, std::size_t& n) {
    std::error_code ec;
    n = s.send(text.data(), text.size(), ec);
    return ec;
}

}  // namespace

TEST_CASE("sigfox socket: needs the NIC, and only SOCK_RAW", "[sigfox][socket]") {
    usocket::stack bare;
    std::error_code ec;
    auto none = usocket::socket::open(bare, family::sigfox, sock_type::raw, 0, ec);
    CHECK(ec == failure::network_card_not_available);
    CHECK_FALSE(bare.has_sigfox_radio());

    sigfox_world s;
    node n(s);
    CHECK(n.net.has_sigfox_radio());
    auto wrong = usocket::socket::open(n.net, family::sigfox, sock_type::dgram, 0, ec);
    CHECK(ec == failure::incorrect_socket_type);
    std::error_code fine;
    auto ok = usocket::socket::open(n.net, family::sigfox, sock_type::raw, 0, fine);
    CHECK_FALSE(fine);
    CHECK(ok.is_open());
}

TEST_CASE("sigfox socket: setsockopt levels, options and values", "[sigfox][socket]") {
    sigfox_world s;
    node n(s);
    usocket::socket sock(n.net, family::sigfox, sock_type::raw);
    std::error_code ec;
    sock.setsockopt(sockopt::sol_lora, sockopt::so_rx, 1, ec);
    CHECK(ec == errc::eopnotsupp);
    sock.setsockopt(sockopt::sol_sigfox, sockopt::so_dr, 1, ec);
    CHECK(ec == errc::eopnotsupp);
    sock.setsockopt(sockopt::sol_sigfox, sockopt::so_tx_repeat, 3, ec);
    CHECK(ec == errc::eopnotsupp);
    for (const int v : {0, 1, 2, 0x102}) {  // the low byte counts: 0x102 is 2
        ec.clear();
        sock.setsockopt(sockopt::sol_sigfox, sockopt::so_tx_repeat, v, ec);
        CHECK_FALSE(ec);
    }
    for (const auto opt : {sockopt::so_rx, sockopt::so_oob, sockopt::so_bit}) {
        ec.clear();
        sock.setsockopt(sockopt::sol_sigfox, opt, 1, ec);
        CHECK_FALSE(ec);
    }
    sock.close();
    sock.setsockopt(sockopt::sol_sigfox, sockopt::so_rx, 1, ec);
    CHECK(ec == errc::ebadf);
}

TEST_CASE("sigfox socket: send sizes, blocking duration, bit frames, failures", "[sigfox][socket]") {
    sigfox_world s;
    s.network.add_station("bs", {0, 0, 0});
    node n(s);
    std::vector<time_us> at;
    std::vector<std::error_code> errors;
    std::vector<std::size_t> sizes;
    s.spawn([&] {
        usocket::socket sock(n.net, family::sigfox, sock_type::raw);
        std::size_t sent = 0;
        errors.push_back(send_text(sock, "0123456789abc", sent));  // 13 bytes
        errors.push_back(send_text(sock, "0123456789ab", sent));
        sizes.push_back(sent);
        at.push_back(s.w.now_us());
        errors.push_back(send_text(sock, "", sent));  // the bit frame
        sizes.push_back(sent);
        sock.setsockopt(sockopt::sol_sigfox, sockopt::so_rx, 1);
        errors.push_back(send_text(sock, "hi", sent));  // nobody answers: ENETDOWN
        sock.close();
        errors.push_back(send_text(sock, "hi", sent));
    });
    s.run();
    REQUIRE(errors.size() == 5);
    CHECK(errors[0] == errc::emsgsize);
    CHECK_FALSE(errors[1]);
    CHECK(sizes[0] == 12);
    CHECK(at[0] == 2'000 + 3 * 2'080'000 + 2 * 1'001'000);
    CHECK_FALSE(errors[2]);
    CHECK(sizes[1] == 0);
    CHECK(errors[3] == errc::enetdown);
    CHECK(errors[4] == errc::ebadf);
    const auto messages = s.network.messages();
    REQUIRE(messages.size() == 3);
    CHECK(messages[1].bit_frame);
    CHECK(messages[2].downlink_requested);
    CHECK(messages[2].frames_received == 3);  // SO_TX_REPEAT 2 by default
}

TEST_CASE("sigfox socket: non-blocking queueing, EAGAIN and the timeout error", "[sigfox][socket]") {
    sigfox_world s;
    node n(s);
    std::vector<std::error_code> errors;
    std::vector<int> writable;
    s.spawn([&] {
        usocket::socket sock(n.net, family::sigfox, sock_type::raw);
        sock.settimeout(usocket::timeout::non_blocking());
        std::size_t sent = 0;
        for (int i = 0; i < 3; ++i) {
            errors.push_back(send_text(sock, "q", sent));
            CHECK(sent == (errors.back() ? 0u : 1u));
        }
        std::error_code ec;
        writable.push_back(sock.ready_events(4, ec).value_or(-1));
        // With a timeout, a full queue that stays full raises TimeoutError.
        sock.settimeout(usocket::timeout::milliseconds(1));
        errors.push_back(send_text(sock, "q", sent));
        sock.settimeout(usocket::timeout::milliseconds(10));
        errors.push_back(send_text(sock, "q", sent));  // room at the 2 ms task tick; then waits
        writable.push_back(sock.ready_events(4, ec).value_or(-1));
    });
    s.run();
    REQUIRE(errors.size() == 5);
    CHECK_FALSE(errors[0]);
    CHECK_FALSE(errors[1]);
    CHECK(errors[2] == errc::eagain);
    CHECK(errors[3] == failure::timed_out);
    CHECK_FALSE(errors[4]);
    CHECK(writable == std::vector<int>{0, 0});  // the waited-for slot is taken again
}

TEST_CASE("sigfox socket: recv of the 8-byte downlink, partial reads, timeouts", "[sigfox][socket]") {
    sigfox_world s;
    s.network.add_station("bs", {0, 0, 0});
    node n(s);
    s.network.queue_downlink(node_id, {1, 2, 3, 4, 5, 6, 7, 8});
    std::vector<std::vector<std::uint8_t>> got;
    std::vector<std::error_code> errors;
    std::vector<int> readable;
    s.spawn([&] {
        usocket::socket sock(n.net, family::sigfox, sock_type::raw);
        std::error_code ec;
        std::uint8_t buf[64];
        sock.settimeout(usocket::timeout::non_blocking());
        std::size_t k = sock.recv(buf, sizeof buf, ec);
        errors.push_back(ec);  // b'' and no error
        got.emplace_back(buf, buf + k);
        sock.settimeout(usocket::timeout::milliseconds(100));
        k = sock.recv(buf, sizeof buf, ec);
        errors.push_back(ec);
        sock.settimeout(usocket::timeout::blocking());
        sock.setsockopt(sockopt::sol_sigfox, sockopt::so_rx, 1);
        sock.send("ping", 4);
        readable.push_back(sock.ready_events(1, ec).value_or(-1));
        k = sock.recv(buf, 3, ec);
        got.emplace_back(buf, buf + k);
        k = sock.recv(buf, 64, ec);
        got.emplace_back(buf, buf + k);
        readable.push_back(sock.ready_events(1, ec).value_or(-1));
        // bind, sendto and recvfrom have no Sigfox driver.
        sock.bind_port(1, ec);
        errors.push_back(ec);
        sock.sendto("x", 1, usocket::inet_address{}, ec);
        errors.push_back(ec);
        sock.recvfrom(buf, 8, *std::make_unique<usocket::inet_address>(), ec);
        errors.push_back(ec);
    });
    s.run();
    REQUIRE(errors.size() == 5);
    CHECK_FALSE(errors[0]);
    CHECK(got[0].empty());
    CHECK(errors[1] == failure::timed_out);
    CHECK(got[1] == std::vector<std::uint8_t>{1, 2, 3});
    CHECK(got[2] == std::vector<std::uint8_t>{4, 5, 6, 7, 8});
    CHECK(readable == std::vector<int>{1, 0});
    CHECK(errors[2] == errc::eopnotsupp);
    CHECK(errors[3] == errc::eopnotsupp);
    CHECK(errors[4] == errc::eopnotsupp);
}

TEST_CASE("sigfox socket: FSK mode takes up to 64 bytes", "[sigfox][socket][fsk]") {
    sigfox_world s;
    node n(s);
    n.radio->open(sigfox_mode::fsk, sigfox_zone::rcz1, 869'000'000);
    std::vector<std::error_code> errors;
    s.spawn([&] {
        usocket::socket sock(n.net, family::sigfox, sock_type::raw);
        std::size_t sent = 0;
        errors.push_back(send_text(sock, std::string(65, 'x'), sent));
        errors.push_back(send_text(sock, std::string(64, 'x'), sent));
        CHECK(sent == 64);
    });
    s.run();
    CHECK(errors[0] == errc::emsgsize);
    CHECK_FALSE(errors[1]);
}
