// fuzz/fuzz_address.cpp: the host strings a script passes as an address (connect(), bind(),
// sendto(): usocket/address.hpp), parsed as the firmware's netutils does.
//
// Properties: parse_device_ipv4 never throws and agrees with make_inet_address; the throwing
// form throws std::system_error exactly when the other reports an error; an address printed
// with ip_string() parses back to itself; the port keeps its low 16 bits.
#include <cstring>
#include <string_view>
#include <system_error>

#include "fuzz_support.hpp"
#include "usocket/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto port = in.ConsumeIntegral<std::int64_t>();
    const std::string host = in.ConsumeRemainingBytesAsString();

    const auto ip = usocket::parse_device_ipv4(host);
    std::error_code ec;
    const usocket::inet_address a = usocket::make_inet_address(host, port, ec);
    FUZZ_CHECK(ip.has_value() == !ec);
    if (host.empty()) {
        FUZZ_CHECK(ip && *ip == (std::array<std::uint8_t, 4>{}));
    }
    bool threw = false;
    try {
        (void)usocket::make_inet_address(host, port);
    } catch (const std::system_error&) {
        threw = true;
    }
    FUZZ_CHECK(threw == static_cast<bool>(ec));
    if (ip) {
        FUZZ_CHECK(a.ip == *ip);
        FUZZ_CHECK(a.port == static_cast<std::uint16_t>(port & 0xFFFF));
        const std::string printed = a.ip_string();
        const auto again = usocket::parse_device_ipv4(printed);
        FUZZ_CHECK(again && *again == *ip);
        // "" (INADDR_ANY) or exactly four dot-separated fields.
        std::size_t dots = 0;
        for (const char c : host) {
            dots += c == '.' ? 1 : 0;
        }
        FUZZ_CHECK(host.empty() || dots == 3);
    }
    return 0;
}
