// tests/cpp/test_socket_tcp.cpp: usocket/socket.hpp over TCP on loopback: echo, timeouts, errors, stream methods.
#include "usocket/socket.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "usocket/error.hpp"
#include "usocket/stack.hpp"
#include "usocket/timeout.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using usocket::errc;
using usocket::failure;
using usocket::timeout;
namespace ut = usocket_test;

TEST_CASE("a new socket is open, blocking, AF_INET/SOCK_STREAM/IPPROTO_TCP", "[socket][inet]") {
    usocket::stack st;
    usocket::socket s(st);
    CHECK(s.is_open());
    CHECK(s.fileno() >= 0);
    CHECK(s.family() == 2);
    CHECK(s.type() == 1);
    CHECK(s.proto() == 6);
    CHECK(s.gettimeout() == timeout::blocking());
    CHECK(st.open_sockets() == 1);
}

TEST_CASE("families other than AF_INET have no network card here", "[socket][inet]") {
    usocket::stack st;
    std::error_code ec;
    usocket::socket s = usocket::socket::open(st, 10, usocket::sock_type::stream, usocket::ipproto::tcp, ec);
    CHECK(ec == failure::network_card_not_available);
    CHECK_FALSE(s.is_open());
    CHECK(s.fileno() == -1);
    CHECK(ut::thrown_code([&] { usocket::socket t(st, 10); }) == failure::network_card_not_available);
    CHECK(st.open_sockets() == 0);
}

TEST_CASE("TCP echo over loopback between two usocket sockets", "[socket][inet]") {
    usocket::stack st;
    auto [listener, port] = ut::tcp_listener(st);
    usocket::socket client(st);
    client.connect(ut::loopback(port));
    auto [server, peer] = listener.accept();

    CHECK(server.is_open());
    CHECK(server.fileno() >= 0);
    CHECK(server.fileno() != client.fileno());
    CHECK(peer.ip == ut::loopback_ip);
    CHECK(peer.port != 0);
    CHECK(peer.port != port);

    SECTION("throwing forms") {
        CHECK(ut::send_text(client, "hello") == 5);
        CHECK(ut::recv_exact(server, 5) == "hello");
        CHECK(ut::send_text(server, "world!") == 6);
        CHECK(ut::recv_exact(client, 6) == "world!");
    }
    SECTION("error_code forms") {
        std::error_code ec;
        const std::string msg = "ping";
        CHECK(client.send(msg.data(), msg.size(), ec) == 4);
        CHECK_FALSE(ec);
        char buf[16] = {};
        const std::size_t n = server.recv(buf, sizeof buf, ec);
        CHECK_FALSE(ec);
        CHECK(std::string(buf, n) == "ping");
        CHECK(server.send(buf, n, ec) == n);
        CHECK_FALSE(ec);
        CHECK(ut::recv_exact(client, n) == "ping");
    }
    SECTION("a peer that closes gives end of stream: recv returns 0, no error") {
        client.close();
        std::error_code ec;
        char buf[16];
        CHECK(server.recv(buf, sizeof buf, ec) == 0);
        CHECK_FALSE(ec);
    }
}

TEST_CASE("the accepted socket is blocking whatever the listener's timeout", "[socket][inet]") {
    usocket::stack st;
    auto [listener, port] = ut::tcp_listener(st);
    listener.settimeout(timeout::milliseconds(5000));
    usocket::socket client(st);
    client.connect(ut::loopback(port));
    auto accepted = listener.accept();
    CHECK(accepted.first.gettimeout().is_blocking());
    CHECK(listener.gettimeout() == timeout::milliseconds(5000));
}

TEST_CASE("a megabyte each way, and recv never returns more than 2048 bytes", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    const std::string data = ut::pattern(1 << 20);

    // Client to server: a blocking TCP send queues everything; a thread drains it.
    auto reader = std::async(std::launch::async, [&server = p.server, n = data.size()] {
        std::string got;
        std::size_t largest = 0;
        std::string buf(8192, '\0');
        while (got.size() < n) {
            const std::size_t k = server.recv(buf.data(), buf.size());
            if (k == 0) {
                break;
            }
            largest = std::max(largest, k);
            got.append(buf.data(), k);
        }
        return std::make_pair(got, largest);
    });
    CHECK(p.client.send(data.data(), data.size()) == data.size());
    const auto [received, largest_recv] = ut::join_within(reader);
    CHECK(received.size() == data.size());
    CHECK(received == data);
    CHECK(largest_recv <= usocket::socket::max_recv_size);
    CHECK(largest_recv > 0);

    // Server to client, same again the other way.
    auto writer = std::async(std::launch::async, [&server = p.server, &data] {
        std::error_code ec;
        const std::size_t n = server.send(data.data(), data.size(), ec);
        return std::make_pair(n, ec);
    });
    std::string back;
    std::string buf(8192, '\0');
    bool capped = true;
    while (back.size() < data.size()) {
        const std::size_t k = p.client.recv(buf.data(), buf.size());
        if (k == 0) {
            break;
        }
        capped = capped && k <= usocket::socket::max_recv_size;
        back.append(buf.data(), k);
    }
    const auto [sent, send_ec] = ut::join_within(writer);
    CHECK_FALSE(send_ec);
    CHECK(sent == data.size());
    CHECK(back == data);
    CHECK(capped);
}

TEST_CASE("recv honours the socket's timeout", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    char buf[64];

    SECTION("an expired deadline is failure::timed_out, and the socket stays open") {
        p.client.settimeout(timeout::milliseconds(50));
        std::error_code ec;
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(p.client.recv(buf, sizeof buf, ec) == 0);
        CHECK(ec == failure::timed_out);
        CHECK(std::chrono::steady_clock::now() - t0 >= 40ms);
        CHECK(ut::thrown_code([&] { p.client.recv(buf, sizeof buf); }) == failure::timed_out);
        CHECK(p.client.is_open());
    }
    SECTION("data already there is returned before the deadline") {
        p.client.settimeout(timeout::milliseconds(2000));
        ut::send_text(p.server, "quick");
        CHECK(ut::recv_exact(p.client, 5) == "quick");
    }
    SECTION("non-blocking with nothing there returns 0 and no error (the device's b'')") {
        p.client.settimeout(timeout::non_blocking());
        std::error_code ec;
        CHECK(p.client.recv(buf, sizeof buf, ec) == 0);
        CHECK_FALSE(ec);
        CHECK(p.client.recv(buf, sizeof buf) == 0);
    }
    SECTION("settimeout round-trips") {
        p.client.settimeout(timeout::from_seconds(1.5));
        CHECK(p.client.gettimeout() == timeout::milliseconds(1500));
        std::error_code ec;
        p.client.settimeout(timeout::non_blocking(), ec);
        CHECK_FALSE(ec);
        CHECK(p.client.gettimeout().is_non_blocking());
        p.client.settimeout(timeout::blocking(), ec);
        CHECK_FALSE(ec);
        CHECK(p.client.gettimeout().is_blocking());
    }
}

TEST_CASE("accept without a waiting client", "[socket][inet]") {
    usocket::stack st;
    auto [listener, port] = ut::tcp_listener(st);
    SECTION("non-blocking: EAGAIN") {
        listener.settimeout(timeout::non_blocking());
        std::error_code ec;
        auto accepted = listener.accept(ec);
        CHECK(ec == errc::eagain);
        CHECK_FALSE(accepted.first.is_open());
        CHECK(ut::thrown_code([&l = listener] { l.accept(); }) == errc::eagain);
    }
    SECTION("an expired timeout: EAGAIN too, accept has no TimeoutError") {
        listener.settimeout(timeout::milliseconds(50));
        std::error_code ec;
        listener.accept(ec);
        CHECK(ec == errc::eagain);
        CHECK(listener.is_open());
    }
}

TEST_CASE("connect failures", "[socket][inet]") {
    usocket::stack st;
    const std::uint16_t nobody = ut::free_port();

    SECTION("a refused blocking connect is ECONNRESET, as lwIP reports the RST") {
        usocket::socket s(st);
        std::error_code ec;
        s.connect(ut::loopback(nobody), ec);
        CHECK(ec == errc::econnreset);
        usocket::socket t(st);
        CHECK(ut::thrown_code([&] { t.connect(ut::loopback(nobody)); }) == errc::econnreset);
    }
    SECTION("with a timeout, an error closes the socket") {
        usocket::socket s(st);
        s.settimeout(timeout::milliseconds(2000));
        std::error_code ec;
        s.connect(ut::loopback(nobody), ec);
        CHECK(ec == errc::econnreset);
        CHECK_FALSE(s.is_open());
        CHECK(s.fileno() == -1);
        CHECK(st.open_sockets() == 0);
    }
    SECTION("a host name is not an address") {
        std::error_code ec;
        const usocket::inet_address a = usocket::make_inet_address("localhost", nobody, ec);
        CHECK(ec == failure::invalid_arguments);
        CHECK(a.port == 0);
    }
}

TEST_CASE("a non-blocking connect is EINPROGRESS and completes on its own", "[socket][inet]") {
    usocket::stack st;
    auto [listener, port] = ut::tcp_listener(st);
    usocket::socket client(st);
    client.settimeout(timeout::non_blocking());
    std::error_code ec;
    client.connect(ut::loopback(port), ec);
    CHECK(ec == errc::einprogress);
    CHECK(client.is_open());

    auto accepted = listener.accept();  // the kernel finishes the handshake
    client.settimeout(timeout::blocking());
    CHECK(ut::send_text(client, "late") == 4);
    CHECK(ut::recv_exact(accepted.first, 4) == "late");
}

TEST_CASE("a connect with a timeout that succeeds keeps the timeout", "[socket][inet]") {
    usocket::stack st;
    auto [listener, port] = ut::tcp_listener(st);
    usocket::socket client(st);
    client.settimeout(timeout::milliseconds(3000));
    client.connect(ut::loopback(port));
    CHECK(client.is_open());
    CHECK(client.gettimeout() == timeout::milliseconds(3000));
    auto accepted = listener.accept();
    CHECK(ut::send_text(accepted.first, "ok") == 2);
    CHECK(ut::recv_exact(client, 2) == "ok");
}

TEST_CASE("bind and listen", "[socket][inet]") {
    usocket::stack st;
    SECTION("binding the port of a listener is EADDRINUSE (112)") {
        auto [listener, port] = ut::tcp_listener(st);
        usocket::socket other(st);
        std::error_code ec;
        other.bind(ut::loopback(port), ec);
        if (!ec) {
            other.listen(0, ec);  // SO_REUSEADDR may let bind pass; listen cannot
        }
        CHECK(ec == errc::eaddrinuse);
    }
    SECTION("listen() without a backlog, and a negative one, work") {
        usocket::socket a(st);
        a.bind(ut::loopback(ut::free_port()));
        CHECK_NOTHROW(a.listen());
        usocket::socket b(st);
        b.bind(ut::loopback(ut::free_port()));
        std::error_code ec;
        b.listen(-5, ec);
        CHECK_FALSE(ec);
    }
    SECTION("SO_REUSEADDR is on from the start: a port is bindable again right after use") {
        std::uint16_t port = 0;
        {
            auto p = ut::tcp_listener(st);
            port = p.second;
            usocket::socket c(st);
            c.connect(ut::loopback(port));
            auto accepted = p.first.accept();
            accepted.first.close();  // the server side closes first: TIME_WAIT on the port
        }
        usocket::socket again(st);
        std::error_code ec;
        again.bind(ut::loopback(port), ec);
        CHECK_FALSE(ec);
        again.listen(1, ec);
        CHECK_FALSE(ec);
    }
}

TEST_CASE("send edge cases", "[socket][inet]") {
    usocket::stack st;
    SECTION("send of zero bytes fails (the firmware's stale-errno quirk)") {
        auto p = ut::connect_pair(st);
        std::error_code ec;
        p.client.send("", 0, ec);
        CHECK(ec);
        CHECK(ut::thrown_code([&] { p.client.send("", 0); }));
    }
    SECTION("send on an unconnected TCP socket is ENOTCONN (128)") {
        usocket::socket s(st);
        std::error_code ec;
        s.send("x", 1, ec);
        CHECK(ec == errc::enotconn);
    }
    SECTION("a non-blocking send with full buffers is EAGAIN") {
        auto p = ut::connect_pair(st);
        p.client.settimeout(timeout::non_blocking());
        const std::string block = ut::pattern(1 << 16);
        std::error_code ec;
        std::size_t total = 0;
        for (int i = 0; i < 4096 && !ec; ++i) {  // at most 256 MiB: far beyond any socket buffer
            total += p.client.send(block.data(), block.size(), ec);
        }
        CHECK(ec == errc::eagain);
        CHECK(total > 0);
    }
}

TEST_CASE("setsockopt", "[socket][inet]") {
    usocket::stack st;
    usocket::socket s(st);
    std::error_code ec;
    s.setsockopt(usocket::sockopt::sol_socket, usocket::sockopt::so_reuseaddr, 1, ec);
    CHECK_FALSE(ec);
    s.setsockopt(usocket::ipproto::tcp, usocket::sockopt::tcp_nodelay, 1, ec);
    CHECK_FALSE(ec);
    CHECK_NOTHROW(s.setsockopt(usocket::sockopt::sol_socket, usocket::sockopt::so_keepalive, 1));
    const std::int32_t one = 1;
    s.setsockopt(usocket::sockopt::sol_socket, usocket::sockopt::so_reuseaddr, &one, sizeof one, ec);
    CHECK_FALSE(ec);
    SECTION("an unknown option is ENOPROTOOPT (109)") {
        s.setsockopt(usocket::sockopt::sol_socket, 0x7777, 1, ec);
        CHECK(ec == errc::enoprotoopt);
        CHECK(ut::thrown_code([&] { s.setsockopt(usocket::sockopt::sol_socket, 0x7777, 1); }) ==
              errc::enoprotoopt);
    }
}

TEST_CASE("a closed socket: fileno -1, every call EBADF", "[socket][inet]") {
    usocket::stack st;
    usocket::socket s(st);
    s.close();
    CHECK_FALSE(s.is_open());
    CHECK(s.fileno() == -1);
    CHECK(st.open_sockets() == 0);
    CHECK_NOTHROW(s.close());  // idempotent

    char buf[16];
    usocket::inet_address from;
    const usocket::inet_address somewhere = ut::loopback(9);
    std::error_code ec;
    SECTION("error_code forms") {
        s.bind(somewhere, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.listen(1, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        auto accepted = s.accept(ec);
        CHECK(ec == errc::ebadf);
        CHECK_FALSE(accepted.first.is_open());
        ec.clear();
        s.connect(somewhere, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.send("x", 1, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        CHECK(s.recv(buf, sizeof buf, ec) == 0);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.sendto("x", 1, somewhere, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.recvfrom(buf, sizeof buf, from, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.setsockopt(usocket::sockopt::sol_socket, usocket::sockopt::so_reuseaddr, 1, ec);
        CHECK(ec == errc::ebadf);
        ec.clear();
        s.settimeout(timeout::milliseconds(10), ec);
        CHECK(ec == errc::ebadf);
    }
    SECTION("stream methods") {
        CHECK_FALSE(s.read_into(buf, sizeof buf, ec).has_value());
        CHECK(ec == errc::ebadf);
        ec.clear();
        CHECK_FALSE(s.readline(-1, ec).has_value());
        CHECK(ec == errc::ebadf);
        ec.clear();
        CHECK_FALSE(s.read_all(ec).has_value());
        CHECK(ec == errc::ebadf);
        ec.clear();
        CHECK_FALSE(s.write("x", 1, ec).has_value());
        CHECK(ec == errc::ebadf);
    }
    SECTION("throwing forms") {
        CHECK(ut::thrown_code([&] { s.bind(somewhere); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.listen(); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.accept(); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.connect(somewhere); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.send("x", 1); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.recv(buf, sizeof buf); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.sendto("x", 1, somewhere); }) == errc::ebadf);
        CHECK(ut::thrown_code([&] { s.recvfrom(buf, sizeof buf, from); }) == errc::ebadf);
    }
}

TEST_CASE("stream read_into: exactly n, end of stream, or would-block", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    char buf[32] = {};
    std::error_code ec;

    SECTION("loops until exactly n bytes") {
        ut::send_text(p.server, "abcdef");
        auto n = p.client.read_into(buf, 4, ec);
        CHECK_FALSE(ec);
        CHECK(n == std::optional<std::size_t>(4));
        CHECK(std::string(buf, 4) == "abcd");
    }
    SECTION("n bytes sent in pieces arrive as one read") {
        auto writer = std::async(std::launch::async, [&server = p.server] {
            for (const char* piece : {"ab", "cd", "ef", "gh"}) {
                server.send(piece, 2);
                std::this_thread::sleep_for(10ms);  // pacing only: separate segments
            }
        });
        auto n = p.client.read_into(buf, 8, ec);
        ut::join_within(writer);
        CHECK_FALSE(ec);
        CHECK(n == std::optional<std::size_t>(8));
        CHECK(std::string(buf, 8) == "abcdefgh");
    }
    SECTION("end of stream: the short count, then 0") {
        ut::send_text(p.server, "xyz");
        p.server.close();
        CHECK(p.client.read_into(buf, sizeof buf, ec) == std::optional<std::size_t>(3));
        CHECK_FALSE(ec);
        CHECK(std::string(buf, 3) == "xyz");
        CHECK(p.client.read_into(buf, sizeof buf, ec) == std::optional<std::size_t>(0));
        CHECK_FALSE(ec);
    }
    SECTION("data, then an expired timeout: what was read") {
        p.client.settimeout(timeout::milliseconds(100));
        ut::send_text(p.server, "ef");
        CHECK(p.client.read_into(buf, sizeof buf, ec) == std::optional<std::size_t>(2));
        CHECK_FALSE(ec);
        CHECK(std::string(buf, 2) == "ef");
    }
    SECTION("nothing before the timeout: None, no error") {
        p.client.settimeout(timeout::milliseconds(50));
        CHECK_FALSE(p.client.read_into(buf, sizeof buf, ec).has_value());
        CHECK_FALSE(ec);
    }
    SECTION("non-blocking with nothing there: None, no error") {
        p.client.settimeout(timeout::non_blocking());
        CHECK_FALSE(p.client.read_into(buf, sizeof buf, ec).has_value());
        CHECK_FALSE(ec);
    }
}

TEST_CASE("stream readline: byte by byte up to and including newline", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    ut::send_text(p.server, "one\ntwo\nthr");
    p.server.close();
    std::error_code ec;
    CHECK(p.client.readline(-1, ec) == std::optional<std::string>("one\n"));
    CHECK(p.client.readline(2, ec) == std::optional<std::string>("tw"));
    CHECK(p.client.readline(-1, ec) == std::optional<std::string>("o\n"));
    CHECK(p.client.readline(-1, ec) == std::optional<std::string>("thr"));  // end of stream ends the line
    CHECK(p.client.readline(-1, ec) == std::optional<std::string>(""));
    CHECK_FALSE(ec);
}

TEST_CASE("stream readline without data", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    std::error_code ec;
    p.client.settimeout(timeout::non_blocking());
    CHECK_FALSE(p.client.readline(-1, ec).has_value());
    CHECK_FALSE(ec);
}

TEST_CASE("stream read_all: until end of stream", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    std::error_code ec;
    SECTION("everything the peer sent before closing, beyond recv's 2048 cap") {
        const std::string data = ut::pattern(10000);
        CHECK(p.server.send(data.data(), data.size()) == data.size());
        p.server.close();
        CHECK(p.client.read_all(ec) == std::optional<std::string>(data));
        CHECK_FALSE(ec);
    }
    SECTION("a peer that closed at once: empty, not None") {
        p.server.close();
        CHECK(p.client.read_all(ec) == std::optional<std::string>(""));
        CHECK_FALSE(ec);
    }
    SECTION("data then an expired timeout: what was read") {
        p.client.settimeout(timeout::milliseconds(100));
        ut::send_text(p.server, "partial");
        CHECK(p.client.read_all(ec) == std::optional<std::string>("partial"));
        CHECK_FALSE(ec);
    }
    SECTION("non-blocking with nothing there: None") {
        p.client.settimeout(timeout::non_blocking());
        CHECK_FALSE(p.client.read_all(ec).has_value());
        CHECK_FALSE(ec);
    }
}

TEST_CASE("stream write: loops until all is written", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);
    std::error_code ec;
    SECTION("blocking: all of a megabyte while the peer reads") {
        const std::string data = ut::pattern(1 << 20);
        auto reader = std::async(std::launch::async, [&server = p.server, n = data.size()] {
            return ut::recv_exact(server, n);
        });
        CHECK(p.client.write(data.data(), data.size(), ec) == std::optional<std::size_t>(data.size()));
        CHECK_FALSE(ec);
        CHECK(ut::join_within(reader) == data);
    }
    SECTION("non-blocking: a partial count, then None once nothing fits") {
        p.client.settimeout(timeout::non_blocking());
        const std::string big = ut::pattern(64u << 20);  // far beyond the socket buffers
        const auto first = p.client.write(big.data(), big.size(), ec);
        CHECK_FALSE(ec);
        REQUIRE(first.has_value());
        CHECK(*first > 0);
        CHECK(*first < big.size());
        const auto second = p.client.write(big.data(), big.size(), ec);
        CHECK_FALSE(ec);
        CHECK_FALSE(second.has_value());
    }
}

TEST_CASE("the interrupt check stops blocking calls", "[socket][inet]") {
    usocket::stack st;
    auto p = ut::connect_pair(st);

    SECTION("a check that says yes: recv returns failure::interrupted (both forms)") {
        st.set_interrupt_check([] { return true; });
        auto by_code = std::async(std::launch::async, [&client = p.client] {
            char buf[8];
            std::error_code ec;
            client.recv(buf, sizeof buf, ec);
            return ec;
        });
        CHECK(ut::join_within(by_code) == failure::interrupted);
        auto by_throw = std::async(std::launch::async, [&client = p.client] {
            return ut::thrown_code([&client] {
                char buf[8];
                client.recv(buf, sizeof buf);
            });
        });
        CHECK(ut::join_within(by_throw) == failure::interrupted);
        CHECK(p.client.is_open());
    }
    SECTION("a flag raised while recv is blocked") {
        std::atomic<bool> flag{false};
        std::atomic<int> asked{0};
        st.set_interrupt_check([&flag, &asked] {
            ++asked;
            return flag.load();
        });
        auto blocked = std::async(std::launch::async, [&client = p.client] {
            char buf[8];
            std::error_code ec;
            client.recv(buf, sizeof buf, ec);
            return ec;
        });
        std::this_thread::sleep_for(150ms);  // let recv block and poll a few times; not an assertion
        flag = true;
        CHECK(ut::join_within(blocked) == failure::interrupted);
        CHECK(asked.load() >= 1);
    }
    SECTION("a timed recv is interrupted before its deadline") {
        st.set_interrupt_check([] { return true; });
        p.client.settimeout(timeout::milliseconds(30000));
        auto timed = std::async(std::launch::async, [&client = p.client] {
            char buf[8];
            std::error_code ec;
            client.recv(buf, sizeof buf, ec);
            return ec;
        });
        CHECK(ut::join_within(timed, 5s) == failure::interrupted);
    }
    SECTION("a blocking accept is interrupted too") {
        auto [listener, port] = ut::tcp_listener(st);
        (void)port;
        st.set_interrupt_check([] { return true; });
        auto waiting = std::async(std::launch::async, [&l = listener] {
            std::error_code ec;
            l.accept(ec);
            return ec;
        });
        CHECK(ut::join_within(waiting) == failure::interrupted);
    }
    SECTION("an empty check removes it: a timed recv times out") {
        st.set_interrupt_check([] { return true; });
        st.set_interrupt_check({});
        p.client.settimeout(timeout::milliseconds(50));
        auto timed = std::async(std::launch::async, [&client = p.client] {
            char buf[8];
            std::error_code ec;
            client.recv(buf, sizeof buf, ec);
            return ec;
        });
        CHECK(ut::join_within(timed) == failure::timed_out);
    }
}
