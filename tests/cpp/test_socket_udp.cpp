// tests/cpp/test_socket_udp.cpp: usocket/socket.hpp over UDP on loopback: datagrams, timeouts, errors.
#include "usocket/socket.hpp"

#include <chrono>
#include <cstddef>
#include <future>
#include <string>
#include <system_error>

#include "usocket/error.hpp"
#include "usocket/stack.hpp"
#include "usocket/timeout.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using usocket::errc;
using usocket::failure;
using usocket::timeout;
namespace ut = usocket_test;

namespace {

usocket::socket udp_socket(usocket::stack& st) {
    return usocket::socket(st, usocket::family::inet, usocket::sock_type::dgram, usocket::ipproto::udp);
}

/// One recvfrom() as a string and the sender.
std::pair<std::string, usocket::inet_address> recv_datagram(usocket::socket& s, std::size_t max = 4096) {
    std::string buf(max, '\0');
    usocket::inet_address from;
    buf.resize(s.recvfrom(buf.data(), buf.size(), from));
    return {buf, from};
}

}  // namespace

TEST_CASE("a UDP socket", "[socket][inet]") {
    usocket::stack st;
    usocket::socket s = udp_socket(st);
    CHECK(s.is_open());
    CHECK(s.fileno() >= 0);
    CHECK(s.type() == 2);
    CHECK(s.proto() == 17);
    CHECK(s.gettimeout().is_blocking());
}

TEST_CASE("UDP echo over loopback between two usocket sockets", "[socket][inet]") {
    usocket::stack st;
    auto [server, port] = ut::udp_bound(st);
    usocket::socket client = udp_socket(st);

    SECTION("throwing forms") {
        const std::string ping = "ping";
        CHECK(client.sendto(ping.data(), ping.size(), ut::loopback(port)) == 4);
        const auto [data, from] = recv_datagram(server);
        CHECK(data == "ping");
        CHECK(from.ip == ut::loopback_ip);
        CHECK(from.port != 0);
        CHECK(from.port != port);

        CHECK(server.sendto("pong!", 5, from) == 5);
        const auto [reply, replier] = recv_datagram(client);
        CHECK(reply == "pong!");
        CHECK(replier == ut::loopback(port));
    }
    SECTION("error_code forms") {
        std::error_code ec;
        CHECK(client.sendto("abc", 3, ut::loopback(port), ec) == 3);
        CHECK_FALSE(ec);
        char buf[16];
        usocket::inet_address from;
        CHECK(server.recvfrom(buf, sizeof buf, from, ec) == 3);
        CHECK_FALSE(ec);
        CHECK(std::string(buf, 3) == "abc");
        CHECK(from.ip == ut::loopback_ip);
    }
    SECTION("datagram boundaries are kept") {
        client.sendto("one", 3, ut::loopback(port));
        client.sendto("two!", 4, ut::loopback(port));
        CHECK(recv_datagram(server).first == "one");
        CHECK(recv_datagram(server).first == "two!");
    }
    SECTION("recv() works on UDP and drops the address") {
        client.sendto("plain", 5, ut::loopback(port));
        CHECK(ut::recv_text(server, 64) == "plain");
    }
    SECTION("a connected UDP socket sends with send()") {
        client.connect(ut::loopback(port));
        CHECK(ut::send_text(client, "via connect") == 11);
        CHECK(recv_datagram(server).first == "via connect");
    }
}

TEST_CASE("socket(AF_INET, SOCK_DGRAM) keeps proto 6 and still works as UDP", "[socket][inet]") {
    usocket::stack st;
    usocket::socket a(st, usocket::family::inet, usocket::sock_type::dgram);
    CHECK(a.proto() == 6);
    CHECK(a.type() == 2);
    auto [b, port] = ut::udp_bound(st);
    CHECK(a.sendto("x", 1, ut::loopback(port)) == 1);
    CHECK(recv_datagram(b).first == "x");
}

TEST_CASE("recvfrom returns at most 2048 bytes of a datagram", "[socket][inet]") {
    usocket::stack st;
    auto [server, port] = ut::udp_bound(st);
    usocket::socket client = udp_socket(st);
    const std::string big = ut::pattern(3000);
    CHECK(client.sendto(big.data(), big.size(), ut::loopback(port)) == big.size());
    const auto [data, from] = recv_datagram(server, 8192);
    CHECK(data.size() == usocket::socket::max_recv_size);
    CHECK(data == big.substr(0, usocket::socket::max_recv_size));
    (void)from;
}

TEST_CASE("sendto of an empty datagram returns 0 and sends nothing", "[socket][inet]") {
    usocket::stack st;
    auto [server, port] = ut::udp_bound(st);
    usocket::socket client = udp_socket(st);
    std::error_code ec;
    CHECK(client.sendto("", 0, ut::loopback(port), ec) == 0);
    CHECK_FALSE(ec);
    CHECK(client.sendto("", 0, ut::loopback(port)) == 0);
    client.sendto("after", 5, ut::loopback(port));
    // Had an empty datagram gone out, it would be first in the queue.
    CHECK(recv_datagram(server).first == "after");
}

TEST_CASE("recvfrom without data", "[socket][inet]") {
    usocket::stack st;
    auto [server, port] = ut::udp_bound(st);
    (void)port;
    char buf[64];
    usocket::inet_address from;
    std::error_code ec;
    SECTION("non-blocking: EAGAIN (unlike recv)") {
        server.settimeout(timeout::non_blocking());
        server.recvfrom(buf, sizeof buf, from, ec);
        CHECK(ec == errc::eagain);
        CHECK(ut::thrown_code([&s = server, &buf, &from] { s.recvfrom(buf, sizeof buf, from); }) == errc::eagain);
    }
    SECTION("non-blocking recv: 0 and no error") {
        server.settimeout(timeout::non_blocking());
        CHECK(server.recv(buf, sizeof buf, ec) == 0);
        CHECK_FALSE(ec);
    }
    SECTION("an expired timeout: failure::timed_out") {
        server.settimeout(timeout::milliseconds(50));
        const auto t0 = std::chrono::steady_clock::now();
        server.recvfrom(buf, sizeof buf, from, ec);
        CHECK(ec == failure::timed_out);
        CHECK(std::chrono::steady_clock::now() - t0 >= 40ms);
        CHECK(ut::thrown_code([&s = server, &buf, &from] { s.recvfrom(buf, sizeof buf, from); }) ==
              failure::timed_out);
        ec.clear();
        server.recv(buf, sizeof buf, ec);
        CHECK(ec == failure::timed_out);
    }
    SECTION("a blocking recvfrom is interrupted by the interrupt check") {
        st.set_interrupt_check([] { return true; });
        auto blocked = std::async(std::launch::async, [&s = server] {
            char b[16];
            usocket::inet_address f;
            std::error_code e;
            s.recvfrom(b, sizeof b, f, e);
            return e;
        });
        CHECK(ut::join_within(blocked) == failure::interrupted);
    }
}

TEST_CASE("a blocking recvfrom waits for a datagram sent later", "[socket][inet]") {
    usocket::stack st;
    auto [server, port] = ut::udp_bound(st);
    auto waiting = std::async(std::launch::async, [&s = server] { return recv_datagram(s).first; });
    usocket::socket client = udp_socket(st);
    client.sendto("late", 4, ut::loopback(port));
    CHECK(ut::join_within(waiting) == "late");
}

TEST_CASE("a closed UDP socket fails with EBADF", "[socket][inet]") {
    usocket::stack st;
    usocket::socket s = udp_socket(st);
    s.close();
    CHECK(s.fileno() == -1);
    char buf[8];
    usocket::inet_address from;
    std::error_code ec;
    s.sendto("x", 1, ut::loopback(9), ec);
    CHECK(ec == errc::ebadf);
    ec.clear();
    s.recvfrom(buf, sizeof buf, from, ec);
    CHECK(ec == errc::ebadf);
    CHECK(ut::thrown_code([&] { s.sendto("x", 1, ut::loopback(9)); }) == errc::ebadf);
}
