// tests/cpp/support.hpp: helpers shared by usocket_tests: free ports, loopback pairs, bounded joins.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <catch2/catch.hpp>

#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/stack.hpp"

namespace Catch {

/// Prints codes as `category:value (message)` so a failed comparison says which error it got.
template <>
struct StringMaker<std::error_code> {
    static std::string convert(const std::error_code& ec) {
        return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
    }
};

/// Prints addresses as the device does: `('127.0.0.1', 80)`.
template <>
struct StringMaker<usocket::inet_address> {
    static std::string convert(const usocket::inet_address& a) {
        return "('" + a.ip_string() + "', " + std::to_string(a.port) + ")";
    }
};

}  // namespace Catch

namespace usocket_test {

using ip4 = std::array<std::uint8_t, 4>;

/// The only network target of the tests.
inline constexpr ip4 loopback_ip{127, 0, 0, 1};

/// 127.0.0.1:port.
inline usocket::inet_address loopback(std::uint16_t port) { return usocket::inet_address{loopback_ip, port}; }

/// A loopback port nobody uses right now: the API has no getsockname(), so a POSIX socket
/// binds port 0, reads the kernel's choice back and releases it.
inline std::uint16_t free_port(int posix_type = SOCK_STREAM) {
    const int fd = ::socket(AF_INET, posix_type, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        const int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(), "bind/getsockname");
    }
    ::close(fd);
    return ntohs(sa.sin_port);
}

/// The code a throwing call threw, or an empty code when it returned normally.
template <class F>
std::error_code thrown_code(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const std::system_error& e) {
        return e.code();
    }
    return {};
}

/// Waits for a worker at most `limit`. A worker still blocked then means a socket call
/// hung; abort so Catch reports a fatal error on the current case instead of hanging.
template <class T>
T join_within(std::future<T>& f, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    if (f.wait_for(limit) != std::future_status::ready) {
        std::fputs("usocket_tests: a worker thread did not finish in time (blocked socket call)\n", stderr);
        std::abort();
    }
    return f.get();
}

/// A listening TCP socket on 127.0.0.1 and its port. Retries when the free port was taken
/// between free_port() and bind().
inline std::pair<usocket::socket, std::uint16_t> tcp_listener(usocket::stack& st, std::int64_t backlog = 4) {
    for (int attempt = 0;; ++attempt) {
        usocket::socket listener(st);
        const std::uint16_t port = free_port();
        std::error_code ec;
        listener.bind(loopback(port), ec);
        if (!ec) {
            listener.listen(backlog, ec);
        }
        if (!ec) {
            return {std::move(listener), port};
        }
        if (ec != usocket::errc::eaddrinuse || attempt == 20) {
            throw std::system_error(ec, "tcp_listener");
        }
    }
}

/// A bound UDP socket on 127.0.0.1 and its port.
inline std::pair<usocket::socket, std::uint16_t> udp_bound(usocket::stack& st) {
    for (int attempt = 0;; ++attempt) {
        usocket::socket s(st, usocket::family::inet, usocket::sock_type::dgram, usocket::ipproto::udp);
        const std::uint16_t port = free_port(SOCK_DGRAM);
        std::error_code ec;
        s.bind(loopback(port), ec);
        if (!ec) {
            return {std::move(s), port};
        }
        if (ec != usocket::errc::eaddrinuse || attempt == 20) {
            throw std::system_error(ec, "udp_bound");
        }
    }
}

/// Both ends of a loopback TCP connection; the listener is closed once it has accepted.
struct tcp_pair {
    usocket::socket client;
    usocket::socket server;
};

/// Connects a client to a fresh listener and accepts it (the kernel completes the
/// handshake from the backlog, so no thread is needed).
inline tcp_pair connect_pair(usocket::stack& st) {
    auto [listener, port] = tcp_listener(st);
    usocket::socket client(st);
    client.connect(loopback(port));
    auto accepted = listener.accept();
    return tcp_pair{std::move(client), std::move(accepted.first)};
}

/// send() of a string; returns what send() returned.
inline std::size_t send_text(usocket::socket& s, std::string_view text) { return s.send(text.data(), text.size()); }

/// One recv() of at most `max` bytes, as a string.
inline std::string recv_text(usocket::socket& s, std::size_t max) {
    std::string buf(max, '\0');
    buf.resize(s.recv(buf.data(), buf.size()));
    return buf;
}

/// recv() until exactly `n` bytes or end of stream.
inline std::string recv_exact(usocket::socket& s, std::size_t n) {
    std::string out;
    std::string buf(usocket::socket::max_recv_size, '\0');
    while (out.size() < n) {
        const std::size_t got = s.recv(buf.data(), std::min(buf.size(), n - out.size()));
        if (got == 0) {
            break;
        }
        out.append(buf.data(), got);
    }
    return out;
}

/// A recognisable byte pattern of `n` bytes.
inline std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

}  // namespace usocket_test
