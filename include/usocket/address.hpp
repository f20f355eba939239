// usocket/address.hpp: IPv4 socket addresses as the firmware parses and prints them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace usocket {

/// An IPv4 address and port, the device's `(dotted_ipv4, port)`.
struct inet_address {
    std::array<std::uint8_t, 4> ip{};  ///< in network order: ip[0] is the first field
    std::uint16_t port = 0;

    /// Dotted form, e.g. "127.0.0.1".
    std::string ip_string() const;

    friend bool operator==(const inet_address& a, const inet_address& b) noexcept {
        return a.ip == b.ip && a.port == b.port;
    }
    friend bool operator!=(const inet_address& a, const inet_address& b) noexcept { return !(a == b); }
};

/// Parses a host as the firmware's netutils does: "" is 0.0.0.0; otherwise exactly four
/// dot-separated fields, each accumulated as decimal digits without validation (so
/// "a.b.c.d" parses to garbage, as on the device). Anything else (a host name) is empty.
std::optional<std::array<std::uint8_t, 4>> parse_device_ipv4(std::string_view host) noexcept;

/// Builds an address from a device `(host, port)`; the port is truncated to 16 bits as
/// lwIP does. A host that is not dotted IPv4 gives failure::invalid_arguments.
inet_address make_inet_address(std::string_view host, std::int64_t port, std::error_code& ec) noexcept;
/// Throwing form of make_inet_address.
inet_address make_inet_address(std::string_view host, std::int64_t port);

}  // namespace usocket
