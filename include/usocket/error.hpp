// usocket/error.hpp: the device's error numbers and the outcomes it reports otherwise.
#pragma once

#include <string_view>
#include <system_error>

namespace usocket {

/// Errno values as Pycom firmware 1.20 raises them (newlib numbering, spec §1.1).
/// Values stay fixed forever: scripts compare against them.
enum class errc : int {
    eperm = 1,
    enoent = 2,
    eintr = 4,
    eio = 5,
    ebadf = 9,
    eagain = 11,  ///< would block, lwIP SO_RCVTIMEO expiry, full command queue
    enomem = 12,
    eacces = 13,
    efault = 14,
    eexist = 17,
    enodev = 19,
    eisdir = 21,
    einval = 22,
    enfile = 23,  ///< lwIP: more than 10 sockets open
    emfile = 24,
    epipe = 32,
    enosys = 88,
    eopnotsupp = 95,
    econnreset = 104,  ///< TCP RST, also what a refused connect gives on lwIP
    enobufs = 105,
    eafnosupport = 106,
    eprototype = 107,
    enotsock = 108,
    enoprotoopt = 109,
    econnrefused = 111,
    eaddrinuse = 112,
    econnaborted = 113,
    enetunreach = 114,
    enetdown = 115,
    etimedout = 116,
    ehostdown = 117,
    ehostunreach = 118,
    einprogress = 119,
    ealready = 120,
    edestaddrreq = 121,
    emsgsize = 122,
    eprotonosupport = 123,
    eaddrnotavail = 125,
    enetreset = 126,
    eisconn = 127,
    enotconn = 128,
    eai_noname = 200,
    eai_service = 201,
    eai_fail = 202,
    eai_memory = 203,
    eai_family = 204,
};

/// Category whose values are device errno numbers.
const std::error_category& device_category() noexcept;

/// Makes an error_code of device_category().
std::error_code make_error_code(errc e) noexcept;

/// The name the device prints for an errno (`[Errno 11] EAGAIN`), or "" when the
/// firmware's uerrno module does not name it (then the device prints the bare number).
std::string_view errno_name(int device_errno) noexcept;

/// The device's number for a host (Linux) errno: same-named errors map to each other,
/// except EPIPE, which lwIP never raises: writing to a closed connection is ENOTCONN there.
/// Host errors the device cannot raise at all become EIO.
errc errc_from_host(int host_errno) noexcept;

/// Outcomes the device reports as something other than OSError(errno).
enum class failure : int {
    timed_out = 1,               ///< TimeoutError('timed out')
    network_card_not_available,  ///< OSError('Network card not available')
    incorrect_socket_type,       ///< OSError('incorrect socket type')
    connection_failed,           ///< OSError('Connection failed')
    invalid_arguments,           ///< ValueError('invalid arguments'), e.g. a host name as address
    invalid_argument_value,      ///< ValueError('invalid argument(s) value')
    invalid_argument_num_type,   ///< ValueError('invalid argument(s) num/type')
    index_out_of_range,          ///< ValueError('Index out of range!\n')
    interrupted,                 ///< the interrupt check asked a blocking call to return
    device_halted,               ///< the emulated device was halted (reboot, end of run) while a call waited
};

/// Category of usocket::failure values.
const std::error_category& failure_category() noexcept;

/// Makes an error_code of failure_category().
std::error_code make_error_code(failure f) noexcept;

/// Throws std::system_error(ec, what) when ec is set; the one throwing point of the library.
void throw_if(const std::error_code& ec, const char* what);

}  // namespace usocket

namespace std {
template <>
struct is_error_code_enum<usocket::errc> : true_type {};
template <>
struct is_error_code_enum<usocket::failure> : true_type {};
}  // namespace std
