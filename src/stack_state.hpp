// stack_state.hpp: what a device's stack shares with its sockets (private).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>

#include <boost/asio/io_context.hpp>

#include "usocket/stack.hpp"

namespace usocket::detail {

class socket_backend;

struct stack_state : std::enable_shared_from_this<stack_state> {
    explicit stack_state(stack_options opts) : options(opts) {}

    /// Opens a backend for (family, type, proto) as the firmware's socket() selects a NIC.
    std::unique_ptr<socket_backend> open_backend(int family, int type, int proto, std::error_code& ec);

    /// The strict profile's lwIP socket table is full (CONFIG_LWIP_MAX_SOCKETS).
    bool at_socket_limit() const noexcept {
        return options.strict_firmware && open_sockets.load() >= firmware_max_sockets;
    }

    /// Asks the interrupt check; true means a blocked call must give up.
    bool interrupted() const;

    /// The blocking hook, or null (see stack::set_blocking_hook).
    std::shared_ptr<const stack::blocking_hook> blocking_hook_now() const {
        std::lock_guard<std::mutex> lock(mutex);
        return blocking_hook;
    }

    /// Records the errno of the stack's latest socket call (0 on success), as lwIP does.
    void note_errno(int device_errno) noexcept { last_errno.store(device_errno, std::memory_order_relaxed); }

    const stack_options options;
    /// Owns the Asio sockets; never run: calls wait with poll(2) so that they can time out
    /// and be interrupted.
    boost::asio::io_context io;
    std::atomic<std::size_t> open_sockets{0};
    std::atomic<int> last_errno{0};
    /// An IP interface (WLAN, Ethernet, LTE) is up: AF_INET sockets have a NIC.
    std::atomic<bool> ip_interface_up{true};

    mutable std::mutex mutex;  ///< guards the members below
    std::array<std::array<std::uint8_t, 4>, 2> dns_servers{};
    std::shared_ptr<const stack::interrupt_check> interrupt_check;
    std::shared_ptr<const stack::blocking_hook> blocking_hook;
    std::shared_ptr<sim::lora_radio> lora_radio;  ///< the LoRa NIC, once network.LoRa made it
    int lora_region = 5;
    std::shared_ptr<sim::lorawan_mac> lorawan_mac;  ///< set in LoRaWAN mode
    std::shared_ptr<sim::sigfox_radio> sigfox_radio;  ///< the Sigfox NIC, once network.Sigfox made it
};

}  // namespace usocket::detail
