// tests/cpp/test_address.cpp: usocket/address.hpp: netutils' IPv4 parsing, port truncation, printing.
#include "usocket/address.hpp"

#include <optional>
#include <string>
#include <system_error>

#include "support.hpp"

using usocket::failure;
using usocket::inet_address;
using usocket::parse_device_ipv4;
using usocket_test::ip4;

TEST_CASE("parse_device_ipv4 accepts what the firmware accepts", "[address]") {
    SECTION("the empty string is 0.0.0.0") {
        CHECK(parse_device_ipv4("") == ip4{0, 0, 0, 0});
    }
    SECTION("dotted IPv4") {
        CHECK(parse_device_ipv4("127.0.0.1") == ip4{127, 0, 0, 1});
        CHECK(parse_device_ipv4("192.168.4.1") == ip4{192, 168, 4, 1});
        CHECK(parse_device_ipv4("255.255.255.255") == ip4{255, 255, 255, 255});
        CHECK(parse_device_ipv4("0.0.0.0") == ip4{0, 0, 0, 0});
    }
    SECTION("fields are not validated: val * 10 + (c - '0'), kept to 8 bits") {
        // 'a' - '0' == 49, 'b' - '0' == 50, ...
        CHECK(parse_device_ipv4("a.b.c.d") == ip4{49, 50, 51, 52});
        CHECK(parse_device_ipv4("256.1.1.1") == ip4{0, 1, 1, 1});
        CHECK(parse_device_ipv4("300.0.0.1") == ip4{44, 0, 0, 1});
    }
    SECTION("an empty field is 0: four fields are four fields") {
        CHECK(parse_device_ipv4("1.2.3.") == ip4{1, 2, 3, 0});
        CHECK(parse_device_ipv4("...") == ip4{0, 0, 0, 0});
    }
    SECTION("anything but four fields is not an address") {
        CHECK_FALSE(parse_device_ipv4("example.com").has_value());
        CHECK_FALSE(parse_device_ipv4("localhost").has_value());
        CHECK_FALSE(parse_device_ipv4("1.2.3").has_value());
        CHECK_FALSE(parse_device_ipv4("1.2.3.4.5").has_value());
        CHECK_FALSE(parse_device_ipv4("1").has_value());
    }
}

TEST_CASE("make_inet_address builds (host, port) as lwIP sees it", "[address]") {
    SECTION("a dotted host and a port") {
        const inet_address a = usocket::make_inet_address("127.0.0.1", 8080);
        CHECK(a.ip == ip4{127, 0, 0, 1});
        CHECK(a.port == 8080);
        CHECK(a == usocket_test::loopback(8080));
    }
    SECTION("the empty host is INADDR_ANY") {
        CHECK(usocket::make_inet_address("", 80).ip == ip4{0, 0, 0, 0});
    }
    SECTION("the port is truncated to 16 bits, not range-checked") {
        CHECK(usocket::make_inet_address("127.0.0.1", 70000).port == 4464);
        CHECK(usocket::make_inet_address("127.0.0.1", 65536).port == 0);
        CHECK(usocket::make_inet_address("127.0.0.1", -1).port == 65535);
    }
    SECTION("a host name is failure::invalid_arguments") {
        std::error_code ec;
        usocket::make_inet_address("example.com", 80, ec);
        CHECK(ec == failure::invalid_arguments);
        CHECK(usocket_test::thrown_code([] { usocket::make_inet_address("example.com", 80); }) ==
              failure::invalid_arguments);
    }
    SECTION("as in Asio, the error_code form clears ec on success") {
        std::error_code ec = make_error_code(usocket::errc::eagain);
        const inet_address a = usocket::make_inet_address("10.0.0.2", 53, ec);
        CHECK_FALSE(ec);
        CHECK(a.ip == ip4{10, 0, 0, 2});
    }
}

TEST_CASE("inet_address prints dotted and compares by value", "[address]") {
    CHECK(inet_address{{127, 0, 0, 1}, 80}.ip_string() == "127.0.0.1");
    CHECK(inet_address{{255, 255, 255, 255}, 0}.ip_string() == "255.255.255.255");
    CHECK(inet_address{}.ip_string() == "0.0.0.0");
    CHECK(inet_address{}.port == 0);

    const inet_address a{{10, 1, 2, 3}, 5000};
    CHECK(a == inet_address{{10, 1, 2, 3}, 5000});
    CHECK(a != inet_address{{10, 1, 2, 3}, 5001});
    CHECK(a != inet_address{{10, 1, 2, 4}, 5000});
}
