// lora_backend.hpp: AF_LORA sockets in raw LoRa mode over a device's radio (pycom-api.md
// section 3; modlora.c lora_socket_*). Private.
#pragma once

#include <cstdint>
#include <memory>
#include <system_error>
#include <utility>

#include "backend.hpp"

namespace usocket::sim {
class lora_radio;
class lorawan_mac;
}

namespace usocket::detail {

struct stack_state;

class lora_backend final : public socket_backend {
public:
    /// A socket over the stack's LoRa NIC. Every call reaches the NIC registered now (the
    /// firmware's sockets share the module-level radio state, re-init included); the
    /// socket's DR starts at the default of the region registered when it was made.
    explicit lora_backend(std::shared_ptr<stack_state> stack);

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
    /// modlora.c's MP_STREAM_POLL: readable while the receive queue holds a frame,
    /// writable while the command queue has room.
    std::optional<int> ready_events(int wanted) const override;

    /// What the socket would send with (LoRaWAN uses them; raw mode keeps them only).
    int fport() const noexcept { return fport_; }
    int data_rate() const noexcept { return data_rate_; }
    bool confirmed() const noexcept { return confirmed_; }

private:
    std::size_t receive(void* data, std::size_t size, int& port, std::error_code& ec);
    struct lora_nic {
        std::shared_ptr<sim::lora_radio> radio;
        int region;
        std::shared_ptr<sim::lorawan_mac> mac;  ///< LoRaWAN mode
    };
    /// The NIC registered now.
    lora_nic nic() const;
    std::size_t send_lorawan(sim::lorawan_mac& mac, const void* data, std::size_t size, std::error_code& ec);

    std::shared_ptr<stack_state> stack_;
    int fport_ = 2;  // modlora.c: every LoRa socket starts on FPort 2
    int data_rate_;
    bool confirmed_ = false;
    timeout timeout_ = timeout::blocking();
};

/// The Pycom region codes (LoRa.AS923 ... LoRa.US915) and what sockets need of them.
namespace lora_region {
inline constexpr int as923 = 0, au915 = 1, cn470 = 2, eu433 = 4, eu868 = 5, in865 = 7, us915 = 8;
/// The socket's default SO_DR (modlora.c lora_socket_socket): DR5 in most regions, DR4 in
/// US915/AU915, DR0 in IN865 (not in the firmware's switch).
int default_data_rate(int region) noexcept;
/// The highest DR SO_DR accepts: 4 in US915, 6 elsewhere.
int max_data_rate(int region) noexcept;
}  // namespace lora_region

}  // namespace usocket::detail
