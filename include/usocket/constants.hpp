// usocket/constants.hpp: the usocket module's constants with the device's values (spec §2.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "usocket/board.hpp"

// The host's <sys/socket.h> defines AF_INET and friends as macros, so the C++ names are
// lower case; the table below keeps Pycom's spelling for the Python module.
namespace usocket {

namespace family {
inline constexpr int inet = 2;
inline constexpr int lora = 160;    ///< 0xA0
inline constexpr int sigfox = 161;  ///< 0xA1
}  // namespace family

namespace sock_type {
inline constexpr int stream = 1;
inline constexpr int dgram = 2;
inline constexpr int raw = 3;
}  // namespace sock_type

namespace ipproto {
inline constexpr int ip = 0;
inline constexpr int icmp = 1;
inline constexpr int tcp = 6;
inline constexpr int udp = 17;
inline constexpr int ipv6 = 41;
inline constexpr int raw = 255;
}  // namespace ipproto

/// Socket option levels and names as lwIP and Pycom number them.
namespace sockopt {
inline constexpr std::int64_t sol_socket = 0xFFF;
inline constexpr std::int64_t so_reuseaddr = 0x0004;
inline constexpr std::int64_t so_keepalive = 0x0008;
inline constexpr std::int64_t so_broadcast = 0x0020;
inline constexpr std::int64_t so_rcvbuf = 0x1002;
inline constexpr std::int64_t ip_tos = 1;
inline constexpr std::int64_t ip_ttl = 2;
inline constexpr std::int64_t ip_add_membership = 3;
inline constexpr std::int64_t ip_drop_membership = 4;
inline constexpr std::int64_t ip_multicast_ttl = 5;
inline constexpr std::int64_t ip_multicast_if = 6;
inline constexpr std::int64_t ip_multicast_loop = 7;
inline constexpr std::int64_t tcp_nodelay = 0x01;
inline constexpr std::int64_t tcp_keepidle = 0x03;
inline constexpr std::int64_t tcp_keepintvl = 0x04;
inline constexpr std::int64_t tcp_keepcnt = 0x05;
inline constexpr std::int64_t sol_lora = 0xFFF05;
inline constexpr std::int64_t sol_sigfox = 0xFFF06;
inline constexpr std::int64_t so_confirmed = 0xF0002;
inline constexpr std::int64_t so_dr = 0xF0003;
inline constexpr std::int64_t so_rx = 0xF0004;
inline constexpr std::int64_t so_tx_repeat = 0xF0005;
inline constexpr std::int64_t so_oob = 0xF0006;
inline constexpr std::int64_t so_bit = 0xF0007;
}  // namespace sockopt

/// Which boards export a constant.
enum class requires_feature { none, lora, sigfox, raw_sockets };

/// One constant of the usocket module.
struct module_constant {
    std::string_view name;  ///< Pycom's spelling, e.g. "AF_LORA"
    std::int64_t value;
    requires_feature needs;
};

/// The usocket module's constants in the firmware's table order.
const module_constant* module_constants_begin() noexcept;
const module_constant* module_constants_end() noexcept;

/// True when `b` exports constant `c` (absent constants raise AttributeError on the device).
bool board_exports(const board_profile& b, const module_constant& c) noexcept;

}  // namespace usocket
