// examples/cpp/tcp_echo_selftest/main.cpp: the echo server and client in one process, for ctest.
//
// Usage: tcp_echo_selftest [message]
//
// Runs the tcp_echo_server loop in a thread and the tcp_echo_client steps on the main
// thread, over 127.0.0.1. Exits 0 when the echo matches. It finds a free port with the
// usocket API alone: there is no getsockname() on the device, so it tries ports until
// bind() and listen() succeed.

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "usocket/usocket.hpp"

namespace {

/// Binds and listens on the first free port from a random start.
std::pair<usocket::socket, std::uint16_t> listen_somewhere(usocket::stack& device) {
    std::random_device rd;
    const auto first = static_cast<std::uint16_t>(20000 + rd() % 30000);
    for (std::uint16_t port = first; port < first + 200; ++port) {
        usocket::socket listener(device);
        std::error_code ec;
        listener.bind(usocket::make_inet_address("127.0.0.1", port), ec);
        if (!ec) {
            listener.listen(1, ec);
        }
        if (!ec) {
            return {std::move(listener), port};
        }
        if (ec != usocket::errc::eaddrinuse) {
            usocket::throw_if(ec, "bind/listen");
        }
        // EADDRINUSE: somebody has this port; SO_REUSEADDR may let bind pass, listen cannot.
    }
    throw std::runtime_error("no free port found");
}

/// The tcp_echo_server loop for one connection.
void serve_one(usocket::socket& listener) {
    auto [conn, peer] = listener.accept();
    std::cout << "[server] connection from " << peer.ip_string() << ":" << peer.port << "\n";
    char buf[usocket::socket::max_recv_size];
    for (;;) {
        const std::size_t n = conn.recv(buf, sizeof buf);
        if (n == 0) {
            break;
        }
        conn.send(buf, n);
    }
    std::cout << "[server] client closed\n";
}

}  // namespace

int main(int argc, char* argv[]) {
    const std::string message = argc > 1 ? argv[1] : std::string("hello from the selftest");
    try {
        usocket::stack device;

        // 1. The server's listening socket. A timeout on it bounds accept(): if the client
        //    never comes, accept() gives EAGAIN and the thread ends.
        auto [listener, port] = listen_somewhere(device);
        listener.settimeout(usocket::timeout::from_seconds(10.0));
        std::cout << "[server] listening on 127.0.0.1:" << port << "\n";

        // 2. The server loop runs in a thread; an exception there is carried back.
        std::exception_ptr server_error;
        std::thread server([&listener = listener, &server_error] {
            try {
                serve_one(listener);
            } catch (...) {
                server_error = std::current_exception();
            }
        });

        // 3. The client: connect, send, read the echo back, close.
        std::string echo;
        try {
            usocket::socket client(device);
            client.settimeout(usocket::timeout::from_seconds(5.0));
            client.connect(usocket::make_inet_address("127.0.0.1", port));
            std::cout << "[client] connected, sending: " << message << "\n";
            client.send(message.data(), message.size());
            char buf[usocket::socket::max_recv_size];
            while (echo.size() < message.size()) {
                const std::size_t n = client.recv(buf, sizeof buf);
                if (n == 0) {
                    break;
                }
                echo.append(buf, n);
            }
            std::cout << "[client] received: " << echo << "\n";
        } catch (...) {
            server.join();  // the server thread ends at EOF or when accept() times out
            throw;
        }
        // The client socket is closed here (end of scope), which ends the server's loop.

        // 4. Wait for the server and check.
        server.join();
        if (server_error) {
            std::rethrow_exception(server_error);
        }
        if (echo != message) {
            std::cerr << "FAIL: the echo does not match\n";
            return EXIT_FAILURE;
        }
        std::cout << "PASS\n";
        return EXIT_SUCCESS;
    } catch (const std::system_error& e) {
        std::cerr << "FAIL: " << e.what() << " [" << e.code().category().name() << " " << e.code().value() << "]\n";
    } catch (const std::exception& e) {
        std::cerr << "FAIL: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
