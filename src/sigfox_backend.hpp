// sigfox_backend.hpp: AF_SIGFOX sockets over a device's Sigfox radio (pycom-api.md 5.3;
// esp32/sigfox/modsigfox.c sigfox_socket_*). Private.
#pragma once

#include <cstdint>
#include <memory>
#include <system_error>

#include "backend.hpp"

namespace usocket::sim {
class sigfox_radio;
}

namespace usocket::detail {

struct stack_state;

class sigfox_backend final : public socket_backend {
public:
    /// A socket over the stack's Sigfox NIC; every call reaches the NIC registered now.
    explicit sigfox_backend(std::shared_ptr<stack_state> stack);

    int fileno() const noexcept override;
    void shut() noexcept override {}

    void bind(const inet_address& local, std::error_code& ec) override;
    void bind_port(std::int64_t port, std::error_code& ec) override;
    void listen(int backlog, std::error_code& ec) override;
    std::unique_ptr<socket_backend> accept(inet_address& peer, std::error_code& ec) override;
    void connect(const inet_address& peer, std::error_code& ec) override;
    std::size_t send(const void* data, std::size_t size, std::error_code& ec) override;
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) override;
    std::size_t sendto(const void* data, std::size_t size, const inet_address& peer, std::error_code& ec) override;
    std::size_t recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec) override;
    void setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                    std::error_code& ec) override;
    void settimeout(timeout t, std::error_code& ec) override;
    /// sigfox_socket_ioctl's MP_IOCTL_POLL: readable while a received frame (or the rest of
    /// one) waits, writable while the command queue has room.
    std::optional<int> ready_events(int wanted) const override;

    /// The socket's options as the firmware packs them into its descriptor word.
    bool rx() const noexcept { return ((word_ >> 8) & 0xFF) != 0; }
    int tx_repeat() const noexcept { return static_cast<int>((word_ >> 16) & 0xFF); }
    bool oob() const noexcept { return ((word_ >> 24) & 0x0F) != 0; }
    int bit() const noexcept { return static_cast<int>((word_ >> 28) & 0x0F); }

private:
    std::shared_ptr<sim::sigfox_radio> nic() const;

    std::shared_ptr<stack_state> stack_;
    /// sock_base.u.sd of sigfox_socket_socket: 1 with SO_RX False, SO_TX_REPEAT 2, SO_OOB
    /// False set by the SIGFOX_SOCKET_SET_* macros (SO_BIT 0 by the zero bits). setsockopt
    /// keeps the macros' arithmetic, high nibbles leaking into the next field included.
    std::uint32_t word_ = 1u | (2u << 16);
    timeout timeout_ = timeout::blocking();
};

}  // namespace usocket::detail
