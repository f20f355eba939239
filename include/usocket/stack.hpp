// usocket/stack.hpp: one device's network stack: board, profile, sockets, resolver, DNS.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/board.hpp"

namespace usocket {

namespace detail {
struct stack_state;
}
namespace sim {
class lora_radio;
class lorawan_mac;
class sigfox_radio;
}

/// How a device's stack behaves.
struct stack_options {
    board board_id = board::lopy4;
    /// Firmware 1.20.2 exactly, gaps included: no `with`, no readall(), at most
    /// `firmware_max_sockets` sockets (ENFILE beyond).
    bool strict_firmware = false;
};

/// CONFIG_LWIP_MAX_SOCKETS of the firmware's sdkconfig.h.
inline constexpr std::size_t firmware_max_sockets = 10;

/// One entry of getaddrinfo()'s answer: (family, type, proto, canonname, address).
struct address_info {
    int family;
    int socktype;
    int proto;
    std::string canonname;
    inet_address address;
};

/// A device's network stack. Copies share the same stack; sockets keep it alive.
class stack {
public:
    /// Called while a call blocks, at least every interrupt_poll_interval_ms; returning
    /// true makes the call give up with failure::interrupted.
    using interrupt_check = std::function<bool()>;

    /// Longest time a blocked call goes without asking the interrupt check.
    static constexpr int interrupt_poll_interval_ms = 50;

    explicit stack(stack_options options = {});

    const stack_options& options() const noexcept;
    const board_profile& board() const noexcept;

    /// Sockets of this stack that are open now.
    std::size_t open_sockets() const noexcept;

    /// Whether an IP interface (the device's WLAN, standing for the host's network) is up.
    /// While none is, socket(AF_INET, ...) fails with 'Network card not available'.
    void set_ip_interface_up(bool up) noexcept;
    bool ip_interface_up() const noexcept;

    /// Registers the device's LoRa radio as a NIC, so AF_LORA sockets can be made; `region`
    /// is the Pycom region code (LoRa.EU868 = 5, ...) their SO_DR rules follow. A null radio
    /// unregisters it (sockets made before keep theirs).
    void set_lora_radio(std::shared_ptr<sim::lora_radio> radio, int region);
    bool has_lora_radio() const;
    /// In LoRaWAN mode, the MAC AF_LORA sockets send through (null: raw mode).
    void set_lorawan_mac(std::shared_ptr<sim::lorawan_mac> mac);

    /// Registers the device's Sigfox radio as a NIC (network.Sigfox made it), so AF_SIGFOX
    /// sockets can be made; a null radio unregisters it (sockets made before keep working
    /// on whatever is registered when they are used).
    void set_sigfox_radio(std::shared_ptr<sim::sigfox_radio> radio);
    bool has_sigfox_radio() const;

    /// Installs the check blocked calls make (for Ctrl-C); empty means never interrupted.
    void set_interrupt_check(interrupt_check check);

    /// Called with true before a call blocks waiting on the host's network, and with false
    /// after (from the blocked thread), so an emulated world can go on meanwhile.
    using blocking_hook = std::function<void(bool)>;
    /// Installs the hook; empty means none.
    void set_blocking_hook(blocking_hook hook);

    /// Resolves `host` through the host's resolver as the device's getaddrinfo(): one IPv4
    /// stream entry. Failures: errc::eai_fail (lookup failed), errc::eai_service (bad port).
    std::vector<address_info> getaddrinfo(std::string_view host, std::int64_t port, std::error_code& ec) const;
    /// Throwing form of getaddrinfo.
    std::vector<address_info> getaddrinfo(std::string_view host, std::int64_t port) const;

    /// The two DNS servers as dotted strings ("0.0.0.0" when unset).
    std::array<std::string, 2> dns_servers() const;
    /// One DNS server: (index, dotted). `index` as the firmware checks it.
    std::pair<int, std::string> dns_server(std::int64_t index, std::error_code& ec) const;
    /// Sets one DNS server (kept for dnsserver(); the host's resolver is what resolves).
    void set_dns_server(std::int64_t index, std::string_view host, std::error_code& ec);

    /// Shared state, for the socket layer.
    const std::shared_ptr<detail::stack_state>& state() const noexcept { return state_; }

private:
    std::shared_ptr<detail::stack_state> state_;
};

}  // namespace usocket
