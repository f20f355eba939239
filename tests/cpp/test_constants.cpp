// tests/cpp/test_constants.cpp: usocket/constants.hpp: the module's constants and which boards export them.
#include "usocket/constants.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"

using usocket::requires_feature;

// The C++ names carry the device's numbers.
static_assert(usocket::family::inet == 2);
static_assert(usocket::family::lora == 160);
static_assert(usocket::family::sigfox == 161);
static_assert(usocket::sock_type::stream == 1);
static_assert(usocket::sock_type::dgram == 2);
static_assert(usocket::sock_type::raw == 3);
static_assert(usocket::ipproto::ip == 0);
static_assert(usocket::ipproto::icmp == 1);
static_assert(usocket::ipproto::tcp == 6);
static_assert(usocket::ipproto::udp == 17);
static_assert(usocket::ipproto::ipv6 == 41);
static_assert(usocket::ipproto::raw == 255);
static_assert(usocket::sockopt::sol_socket == 4095);
static_assert(usocket::sockopt::so_reuseaddr == 4);
static_assert(usocket::sockopt::ip_add_membership == 3);
static_assert(usocket::sockopt::sol_lora == 1048325);
static_assert(usocket::sockopt::sol_sigfox == 1048326);
static_assert(usocket::sockopt::so_confirmed == 983042);
static_assert(usocket::sockopt::so_dr == 983043);
static_assert(usocket::sockopt::so_rx == 983044);
static_assert(usocket::sockopt::so_tx_repeat == 983045);
static_assert(usocket::sockopt::so_oob == 983046);
static_assert(usocket::sockopt::so_bit == 983047);

namespace {

struct spec_constant {
    std::int64_t value;
    requires_feature needs;
};

// Spec §2.1, the whole table: name, value, which boards have it.
const std::map<std::string_view, spec_constant> spec_table = {
    {"AF_INET", {2, requires_feature::none}},
    {"AF_LORA", {160, requires_feature::lora}},
    {"AF_SIGFOX", {161, requires_feature::sigfox}},
    {"SOCK_STREAM", {1, requires_feature::none}},
    {"SOCK_DGRAM", {2, requires_feature::none}},
    {"SOCK_RAW", {3, requires_feature::raw_sockets}},
    {"IPPROTO_IP", {0, requires_feature::none}},
    {"IPPROTO_ICMP", {1, requires_feature::none}},
    {"IPPROTO_TCP", {6, requires_feature::none}},
    {"IPPROTO_UDP", {17, requires_feature::none}},
    {"IPPROTO_IPV6", {41, requires_feature::none}},
    {"IPPROTO_RAW", {255, requires_feature::none}},
    {"IP_ADD_MEMBERSHIP", {3, requires_feature::none}},
    {"SOL_SOCKET", {4095, requires_feature::none}},
    {"SO_REUSEADDR", {4, requires_feature::none}},
    {"SOL_LORA", {1048325, requires_feature::lora}},
    {"SOL_SIGFOX", {1048326, requires_feature::sigfox}},
    {"SO_CONFIRMED", {983042, requires_feature::lora}},
    {"SO_DR", {983043, requires_feature::lora}},
    {"SO_RX", {983044, requires_feature::sigfox}},
    {"SO_TX_REPEAT", {983045, requires_feature::sigfox}},
    {"SO_OOB", {983046, requires_feature::sigfox}},
    {"SO_BIT", {983047, requires_feature::sigfox}},
};

std::vector<usocket::module_constant> table() {
    return {usocket::module_constants_begin(), usocket::module_constants_end()};
}

const usocket::module_constant* find(std::string_view name) {
    for (auto it = usocket::module_constants_begin(); it != usocket::module_constants_end(); ++it) {
        if (it->name == name) {
            return it;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("every spec 2.1 constant is in the table with the device's value", "[constants]") {
    for (const auto& [name, want] : spec_table) {
        CAPTURE(name);
        const usocket::module_constant* c = find(name);
        REQUIRE(c != nullptr);
        CHECK(c->value == want.value);
        CHECK(c->needs == want.needs);
    }
}

TEST_CASE("the table holds nothing the module does not have", "[constants]") {
    const auto constants = table();
    std::set<std::string_view> names;
    for (const auto& c : constants) {
        CAPTURE(c.name);
        CHECK(spec_table.count(c.name) == 1);
        CHECK(names.insert(c.name).second);  // no duplicates
    }
    CHECK(constants.size() == spec_table.size());
    // Spec §2: no SOL_TCP, TCP_NODELAY or SO_BROADCAST in usocket.
    CHECK(find("SOL_TCP") == nullptr);
    CHECK(find("TCP_NODELAY") == nullptr);
    CHECK(find("SO_BROADCAST") == nullptr);
}

TEST_CASE("board_exports follows each board's radios", "[constants][board]") {
    using usocket::board;
    using usocket::profile_of;
    for (const auto& c : table()) {
        CAPTURE(c.name);
        for (const board b : {board::lopy, board::lopy4, board::fipy, board::sipy, board::wipy}) {
            const usocket::board_profile& p = profile_of(b);
            CAPTURE(p.name);
            bool want = true;
            switch (c.needs) {
                case requires_feature::none: want = true; break;
                case requires_feature::lora: want = p.has_lora; break;
                case requires_feature::sigfox: want = p.has_sigfox; break;
                case requires_feature::raw_sockets: want = p.has_raw_sockets; break;
            }
            CHECK(usocket::board_exports(p, c) == want);
        }
    }
}

TEST_CASE("board_exports for the constants scripts trip over", "[constants][board]") {
    using usocket::board;
    const auto exports = [](board b, std::string_view name) {
        const usocket::module_constant* c = find(name);
        REQUIRE(c != nullptr);
        return usocket::board_exports(usocket::profile_of(b), *c);
    };
    SECTION("LoPy: LoRa, no Sigfox") {
        CHECK(exports(board::lopy, "AF_LORA"));
        CHECK(exports(board::lopy, "SO_DR"));
        CHECK_FALSE(exports(board::lopy, "AF_SIGFOX"));
        CHECK_FALSE(exports(board::lopy, "SO_RX"));
        CHECK(exports(board::lopy, "SOCK_RAW"));
    }
    SECTION("SiPy: Sigfox, no LoRa") {
        CHECK(exports(board::sipy, "AF_SIGFOX"));
        CHECK(exports(board::sipy, "SO_BIT"));
        CHECK_FALSE(exports(board::sipy, "AF_LORA"));
        CHECK_FALSE(exports(board::sipy, "SO_CONFIRMED"));
        CHECK(exports(board::sipy, "SOCK_RAW"));
    }
    SECTION("LoPy4 and FiPy: everything") {
        for (const board b : {board::lopy4, board::fipy}) {
            for (const auto& c : table()) {
                CAPTURE(c.name);
                CHECK(usocket::board_exports(usocket::profile_of(b), c));
            }
        }
    }
    SECTION("WiPy: no radio, no SOCK_RAW, AF_INET as everywhere") {
        CHECK(exports(board::wipy, "AF_INET"));
        CHECK(exports(board::wipy, "SOL_SOCKET"));
        CHECK_FALSE(exports(board::wipy, "SOCK_RAW"));
        CHECK_FALSE(exports(board::wipy, "AF_LORA"));
        CHECK_FALSE(exports(board::wipy, "AF_SIGFOX"));
    }
}
