// error.cpp: the device errno category, the failure category and host errno translation.
#include "usocket/error.hpp"

#include <cerrno>
#include <string>

#include <fmt/format.h>

namespace usocket {
namespace {

class device_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "usocket.device"; }
    std::string message(int value) const override {
        const std::string_view n = errno_name(value);
        return n.empty() ? fmt::format("{}", value) : fmt::format("[Errno {}] {}", value, n);
    }
};

class failure_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "usocket.failure"; }
    std::string message(int value) const override {
        switch (static_cast<failure>(value)) {
        case failure::timed_out: return "timed out";
        case failure::network_card_not_available: return "Network card not available";
        case failure::incorrect_socket_type: return "incorrect socket type";
        case failure::connection_failed: return "Connection failed";
        case failure::invalid_arguments: return "invalid arguments";
        case failure::invalid_argument_value: return "invalid argument(s) value";
        case failure::invalid_argument_num_type: return "invalid argument(s) num/type";
        case failure::index_out_of_range: return "Index out of range!\n";
        case failure::interrupted: return "interrupted";
        case failure::device_halted: return "device halted";
        }
        return "unknown failure";
    }
};

}  // namespace

const std::error_category& device_category() noexcept {
    static const device_category_impl instance;
    return instance;
}

const std::error_category& failure_category() noexcept {
    static const failure_category_impl instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), device_category()}; }

std::error_code make_error_code(failure f) noexcept { return {static_cast<int>(f), failure_category()}; }

// The names of firmware 1.20's uerrno module (its errorcode dict), which is what
// MicroPython consults when it prints an OSError; other numbers print bare.
std::string_view errno_name(int device_errno) noexcept {
    switch (static_cast<errc>(device_errno)) {
    case errc::eperm: return "EPERM";
    case errc::enoent: return "ENOENT";
    case errc::eio: return "EIO";
    case errc::ebadf: return "EBADF";
    case errc::eagain: return "EAGAIN";
    case errc::enomem: return "ENOMEM";
    case errc::eacces: return "EACCES";
    case errc::eexist: return "EEXIST";
    case errc::enodev: return "ENODEV";
    case errc::eisdir: return "EISDIR";
    case errc::einval: return "EINVAL";
    case errc::emsgsize: return "EMSGSIZE";
    case errc::eopnotsupp: return "EOPNOTSUPP";
    case errc::eaddrinuse: return "EADDRINUSE";
    case errc::enetdown: return "ENETDOWN";
    case errc::econnaborted: return "ECONNABORTED";
    case errc::econnreset: return "ECONNRESET";
    case errc::enobufs: return "ENOBUFS";
    case errc::enotconn: return "ENOTCONN";
    case errc::etimedout: return "ETIMEDOUT";
    case errc::econnrefused: return "ECONNREFUSED";
    case errc::ehostunreach: return "EHOSTUNREACH";
    case errc::ealready: return "EALREADY";
    case errc::einprogress: return "EINPROGRESS";
    case errc::eai_noname: return "EAI_NONAME";
    case errc::eai_service: return "EAI_SERVICE";
    case errc::eai_fail: return "EAI_FAIL";
    case errc::eai_memory: return "EAI_MEMORY";
    case errc::eai_family: return "EAI_FAMILY";
    default: return {};
    }
}

errc errc_from_host(int host_errno) noexcept {
    switch (host_errno) {
    case EPERM: return errc::eperm;
    case ENOENT: return errc::enoent;
    case EINTR: return errc::eintr;
    case EIO: return errc::eio;
    case EBADF: return errc::ebadf;
    case EAGAIN: return errc::eagain;
    case ENOMEM: return errc::enomem;
    case EACCES: return errc::eacces;
    case EFAULT: return errc::efault;
    case EEXIST: return errc::eexist;
    case ENODEV: return errc::enodev;
    case EISDIR: return errc::eisdir;
    case EINVAL: return errc::einval;
    case ENFILE: return errc::enfile;
    case EMFILE: return errc::emfile;
    // lwIP has no EPIPE: writing to a closed connection is ERR_CLSD, i.e. ENOTCONN.
    case EPIPE: return errc::enotconn;
    case ENOSYS: return errc::enosys;
    case EOPNOTSUPP: return errc::eopnotsupp;
    case ECONNRESET: return errc::econnreset;
    case ENOBUFS: return errc::enobufs;
    case EAFNOSUPPORT: return errc::eafnosupport;
    case EPROTOTYPE: return errc::eprototype;
    case ENOTSOCK: return errc::enotsock;
    case ENOPROTOOPT: return errc::enoprotoopt;
    case ECONNREFUSED: return errc::econnrefused;
    case EADDRINUSE: return errc::eaddrinuse;
    case ECONNABORTED: return errc::econnaborted;
    case ENETUNREACH: return errc::enetunreach;
    case ENETDOWN: return errc::enetdown;
    case ETIMEDOUT: return errc::etimedout;
    case EHOSTDOWN: return errc::ehostdown;
    case EHOSTUNREACH: return errc::ehostunreach;
    case EINPROGRESS: return errc::einprogress;
    case EALREADY: return errc::ealready;
    case EDESTADDRREQ: return errc::edestaddrreq;
    case EMSGSIZE: return errc::emsgsize;
    case EPROTONOSUPPORT: return errc::eprotonosupport;
    case EADDRNOTAVAIL: return errc::eaddrnotavail;
    case ENETRESET: return errc::enetreset;
    case EISCONN: return errc::eisconn;
    case ENOTCONN: return errc::enotconn;
    default: return errc::eio;
    }
}

void throw_if(const std::error_code& ec, const char* what) {
    if (ec) {
        throw std::system_error(ec, what);
    }
}

}  // namespace usocket
