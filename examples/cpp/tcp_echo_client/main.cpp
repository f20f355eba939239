// examples/cpp/tcp_echo_client/main.cpp: a blocking TCP echo client on the usocket API.
//
// Usage: tcp_echo_client <port> [message]
//
// Connects to 127.0.0.1:<port>, sends <message> (default "hello, usocket"), reads the
// same number of bytes back, prints them and exits 0 when the echo matches.

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <system_error>

#include "usocket/usocket.hpp"

int main(int argc, char* argv[]) {
    if (argc < 2 || argc > 3) {
        std::cerr << "Usage: tcp_echo_client <port> [message]\n"
                  << "Example:\n    tcp_echo_client 8080 \"hello, usocket\"\n";
        return EXIT_FAILURE;
    }
    try {
        const std::int64_t port = std::stoll(argv[1]);
        const std::string message = argc == 3 ? argv[2] : "hello, usocket";

        // One emulated device and one TCP socket on it.
        usocket::stack device;
        usocket::socket sock(device);

        // Give up rather than hang if the server never answers: settimeout(5.0).
        sock.settimeout(usocket::timeout::from_seconds(5.0));

        // connect(('127.0.0.1', port)). A refused connection is ECONNRESET on the device.
        sock.connect(usocket::make_inet_address("127.0.0.1", port));
        std::cout << "connected to 127.0.0.1:" << port << "\n";

        // send() the message. An empty message is not sent at all: the device's send(b'')
        // fails with a stale errno.
        if (!message.empty()) {
            sock.send(message.data(), message.size());
        }
        std::cout << "sent:     " << message << "\n";

        // recv() until the whole echo is back; each call gives at most 2048 bytes.
        std::string echo;
        char buf[usocket::socket::max_recv_size];
        while (echo.size() < message.size()) {
            const std::size_t n = sock.recv(buf, sizeof buf);
            if (n == 0) {
                break;  // the server closed early
            }
            echo.append(buf, n);
        }
        std::cout << "received: " << echo << "\n";

        sock.close();
        if (echo != message) {
            std::cerr << "error: the echo does not match\n";
            return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
    } catch (const std::system_error& e) {
        std::cerr << "error: " << e.what() << " [" << e.code().category().name() << " " << e.code().value()
                  << "]\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
