// examples/cpp/tcp_echo_server/main.cpp: a blocking TCP echo server on the usocket API.
//
// Usage: tcp_echo_server <port> [connections]
//
// Listens on 127.0.0.1:<port>, serves <connections> clients (default 1) one after the
// other, echoing every byte back until the client closes, then exits. This is the shape
// of a Pycom script's server loop: socket(), bind(), listen(), accept(), recv()/send().

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <system_error>

#include "usocket/usocket.hpp"

int main(int argc, char* argv[]) {
    if (argc < 2 || argc > 3) {
        std::cerr << "Usage: tcp_echo_server <port> [connections]\n"
                  << "Example:\n    tcp_echo_server 8080 3\n";
        return EXIT_FAILURE;
    }
    try {
        const std::int64_t port = std::stoll(argv[1]);
        const long connections = argc == 3 ? std::stol(argv[2]) : 1;

        // Every socket belongs to a stack: one emulated device (a LoPy4 by default).
        usocket::stack device;

        // socket(AF_INET, SOCK_STREAM), the defaults, then bind and listen. The address is
        // made as the device makes it from ('127.0.0.1', port).
        usocket::socket listener(device);
        listener.bind(usocket::make_inet_address("127.0.0.1", port));
        listener.listen(1);
        std::cout << "listening on 127.0.0.1:" << port << ", serving " << connections << " connection(s)\n";

        for (long served = 0; served < connections; ++served) {
            // accept() gives a new, blocking socket and the peer's address.
            auto [conn, peer] = listener.accept();
            std::cout << "connection from " << peer.ip_string() << ":" << peer.port << "\n";

            // recv() returns at most 2048 bytes per call, as lwIP on the device does, and 0
            // once the client has closed its side.
            char buf[usocket::socket::max_recv_size];
            std::size_t total = 0;
            for (;;) {
                const std::size_t n = conn.recv(buf, sizeof buf);
                if (n == 0) {
                    break;
                }
                // A blocking TCP send queues everything before it returns.
                conn.send(buf, n);
                total += n;
            }
            std::cout << "echoed " << total << " byte(s); client closed\n";
            conn.close();
        }
        std::cout << "done\n";
        return EXIT_SUCCESS;
    } catch (const std::system_error& e) {
        // The code is the device's errno (or a usocket::failure such as timed_out).
        std::cerr << "error: " << e.what() << " [" << e.code().category().name() << " " << e.code().value()
                  << "]\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
