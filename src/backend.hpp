// backend.hpp: the transport interface under a socket, the counterpart of Pycom's NIC
// table (mod_network_nic_type_t in modnetwork.h). Private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/timeout.hpp"

namespace usocket::detail {

/// One transport socket. Each call reports errors as device errno values the way the
/// firmware's backend (lwIP for AF_INET) does: would-block and an expired timeout are
/// both errc::eagain; the socket layer turns them into what modusocket.c raises.
class socket_backend {
public:
    virtual ~socket_backend() = default;

    /// The descriptor; for select()/poll() and fileno().
    virtual int fileno() const noexcept = 0;
    /// Wakes calls blocked in other threads and refuses new ones; the descriptor itself
    /// is released by the destructor once no call uses it.
    virtual void shut() noexcept = 0;

    virtual void bind(const inet_address& local, std::error_code& ec) = 0;
    /// Radio sockets have no descriptor to poll(2): which of `wanted` (1 readable, 4
    /// writable: the device's POLLIN/POLLOUT) hold now. Descriptor sockets return nullopt.
    virtual std::optional<int> ready_events(int /*wanted*/) const { return std::nullopt; }
    /// bind(port) of radio sockets (LoRa, Sigfox), which take a bare port; IP sockets refuse it.
    virtual void bind_port(std::int64_t /*port*/, std::error_code& ec) { ec = errc::einval; }
    virtual void listen(int backlog, std::error_code& ec) = 0;
    virtual std::unique_ptr<socket_backend> accept(inet_address& peer, std::error_code& ec) = 0;
    /// Connects under the backend's timeout; a deadline passing gives errc::etimedout.
    virtual void connect(const inet_address& peer, std::error_code& ec) = 0;
    virtual std::size_t send(const void* data, std::size_t size, std::error_code& ec) = 0;
    virtual std::size_t recv(void* data, std::size_t size, std::error_code& ec) = 0;
    virtual std::size_t sendto(const void* data, std::size_t size, const inet_address& peer,
                               std::error_code& ec) = 0;
    virtual std::size_t recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec) = 0;
    virtual void setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                            std::error_code& ec) = 0;
    virtual void settimeout(timeout t, std::error_code& ec) = 0;
};

}  // namespace usocket::detail
