// address.cpp: dotted IPv4 parsing exactly as the firmware's netutils does it.
#include "usocket/address.hpp"

#include <fmt/format.h>

#include "usocket/error.hpp"

namespace usocket {

std::string inet_address::ip_string() const { return fmt::format("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]); }

std::optional<std::array<std::uint8_t, 4>> parse_device_ipv4(std::string_view host) noexcept {
    std::array<std::uint8_t, 4> ip{};
    if (host.empty()) {
        return ip;  // '' means INADDR_ANY
    }
    // netutils_parse_ipv4_addr: four fields separated by '.', each accumulated as
    // `val = val * 10 + c - '0'` without checking that c is a digit; then truncated to a byte.
    std::size_t pos = 0;
    for (std::size_t field = 0; field < 4; ++field) {
        std::uint32_t value = 0;
        for (; pos < host.size() && host[pos] != '.'; ++pos) {
            value = value * 10u + static_cast<std::uint32_t>(static_cast<unsigned char>(host[pos])) - '0';
        }
        ip[field] = static_cast<std::uint8_t>(value);
        if (field == 3 && pos == host.size()) {
            return ip;
        }
        if (field < 3 && pos < host.size() && host[pos] == '.') {
            ++pos;
            continue;
        }
        return std::nullopt;
    }
    return std::nullopt;
}

inet_address make_inet_address(std::string_view host, std::int64_t port, std::error_code& ec) noexcept {
    ec.clear();
    const auto ip = parse_device_ipv4(host);
    if (!ip) {
        ec = failure::invalid_arguments;
        return {};
    }
    // lwipsocket.c's MAKE_SOCKADDR stores `port >> 8` and `port` as bytes: 16 bits survive.
    return inet_address{*ip, static_cast<std::uint16_t>(port & 0xFFFF)};
}

inet_address make_inet_address(std::string_view host, std::int64_t port) {
    std::error_code ec;
    auto address = make_inet_address(host, port, ec);
    throw_if(ec, "address");
    return address;
}

}  // namespace usocket
