// constants.cpp: the usocket module's constant table, in modusocket.c's order.
#include "usocket/constants.hpp"

#include <array>

namespace usocket {
namespace {

using rf = requires_feature;

constexpr std::array<module_constant, 23> constants{{
    {"AF_INET", family::inet, rf::none},
    {"AF_LORA", family::lora, rf::lora},
    {"AF_SIGFOX", family::sigfox, rf::sigfox},
    {"SOCK_STREAM", sock_type::stream, rf::none},
    {"SOCK_DGRAM", sock_type::dgram, rf::none},
    {"SOCK_RAW", sock_type::raw, rf::raw_sockets},
    {"IPPROTO_IP", ipproto::ip, rf::none},
    {"IPPROTO_ICMP", ipproto::icmp, rf::none},
    {"IPPROTO_TCP", ipproto::tcp, rf::none},
    {"IPPROTO_UDP", ipproto::udp, rf::none},
    {"IPPROTO_IPV6", ipproto::ipv6, rf::none},
    {"IPPROTO_RAW", ipproto::raw, rf::none},
    {"IP_ADD_MEMBERSHIP", sockopt::ip_add_membership, rf::none},
    {"SOL_LORA", sockopt::sol_lora, rf::lora},
    {"SOL_SIGFOX", sockopt::sol_sigfox, rf::sigfox},
    {"SOL_SOCKET", sockopt::sol_socket, rf::none},
    {"SO_REUSEADDR", sockopt::so_reuseaddr, rf::none},
    {"SO_CONFIRMED", sockopt::so_confirmed, rf::lora},
    {"SO_DR", sockopt::so_dr, rf::lora},
    {"SO_RX", sockopt::so_rx, rf::sigfox},
    {"SO_TX_REPEAT", sockopt::so_tx_repeat, rf::sigfox},
    {"SO_OOB", sockopt::so_oob, rf::sigfox},
    {"SO_BIT", sockopt::so_bit, rf::sigfox},
}};

}  // namespace

const module_constant* module_constants_begin() noexcept { return constants.data(); }
const module_constant* module_constants_end() noexcept { return constants.data() + constants.size(); }

bool board_exports(const board_profile& b, const module_constant& c) noexcept {
    switch (c.needs) {
    case rf::none: return true;
    case rf::lora: return b.has_lora;
    case rf::sigfox: return b.has_sigfox;
    case rf::raw_sockets: return b.has_raw_sockets;
    }
    return false;
}

}  // namespace usocket
