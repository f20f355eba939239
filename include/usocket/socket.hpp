// usocket/socket.hpp: the device's socket: modusocket.c semantics over a backend.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "usocket/address.hpp"
#include "usocket/constants.hpp"
#include "usocket/stack.hpp"
#include "usocket/timeout.hpp"

namespace usocket {

namespace detail {
class socket_backend;
}

/// A socket as Pycom device code sees it (spec §2). Every fallible call has a throwing
/// form (std::system_error with device_category() or failure_category()) and a form
/// that sets an std::error_code. Blocking calls honour the socket's timeout and return
/// failure::interrupted when the stack's interrupt check asks them to.
class socket {
public:
    /// Opens a socket as `usocket.socket(family, type, proto)` does.
    socket(stack& owner, int family = family::inet, int type = sock_type::stream, int proto = ipproto::tcp);
    /// The type socket(family) gets when none is given: SOCK_RAW for AF_LORA and
    /// AF_SIGFOX, SOCK_STREAM otherwise (modusocket.c socket_make_new).
    static constexpr int default_type(int family) noexcept {
        return family == family::lora || family == family::sigfox ? sock_type::raw : sock_type::stream;
    }
    /// A socket of `owner` that is already closed: every call fails with EBADF. A place to
    /// move an open socket into.
    static socket closed(stack& owner);
    /// Opens a socket; on failure sets ec and returns a closed socket.
    static socket open(stack& owner, int family, int type, int proto, std::error_code& ec);

    socket(socket&&) noexcept;
    socket& operator=(socket&&) noexcept;
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    /// Closes the socket (the device's GC finaliser).
    ~socket();

    /// Closes; idempotent. Later calls fail with errc::ebadf.
    void close() noexcept;
    bool is_open() const noexcept;
    /// The descriptor, -1 once closed (and for radio sockets, which have none).
    int fileno() const noexcept;
    /// For radio sockets: which of `wanted` (1 readable, 4 writable) hold now; nullopt for
    /// sockets with a descriptor to poll. EBADF once closed.
    std::optional<int> ready_events(int wanted, std::error_code& ec) const;
    int family() const noexcept { return family_; }
    int type() const noexcept { return type_; }
    int proto() const noexcept { return proto_; }

    void bind(const inet_address& local, std::error_code& ec);
    void bind(const inet_address& local);
    /// bind(port) of AF_LORA and AF_SIGFOX sockets: a port alone (the uplink FPort).
    void bind_port(std::int64_t port, std::error_code& ec);
    void bind_port(std::int64_t port);

    /// listen([backlog]): the firmware passes 0 when omitted and clamps negatives to 0.
    void listen(std::int64_t backlog, std::error_code& ec);
    void listen(std::int64_t backlog = 0);

    /// Waits for a connection. The new socket is blocking. A listener's timeout expiring
    /// gives errc::eagain (accept has no TimeoutError on the device).
    std::pair<socket, inet_address> accept(std::error_code& ec);
    std::pair<socket, inet_address> accept();

    /// Connects. Blocking: waits; non-blocking: errc::einprogress; with a timeout: on
    /// expiry the socket is closed and failure::timed_out returned, on error it is closed.
    void connect(const inet_address& peer, std::error_code& ec);
    void connect(const inet_address& peer);

    /// Sends; returns bytes queued (blocking TCP sends all). Empty `size` fails with the
    /// stack's last errno, as the firmware's stale-errno quirk does. Would-block is
    /// errc::eagain, an expired timeout failure::timed_out.
    std::size_t send(const void* data, std::size_t size, std::error_code& ec);
    std::size_t send(const void* data, std::size_t size);

    /// Receives at most min(size, max_recv_size) bytes. Returns 0 at end of stream and,
    /// on a non-blocking socket, when nothing is there (no error: the device returns b'').
    std::size_t recv(void* data, std::size_t size, std::error_code& ec);
    std::size_t recv(void* data, std::size_t size);

    /// Sends a datagram; an empty one returns 0 without sending.
    std::size_t sendto(const void* data, std::size_t size, const inet_address& peer, std::error_code& ec);
    std::size_t sendto(const void* data, std::size_t size, const inet_address& peer);

    /// Receives with the sender's address. Non-blocking with nothing there: errc::eagain.
    std::size_t recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec);
    std::size_t recvfrom(void* data, std::size_t size, inet_address& from);

    /// setsockopt with an integer (passed as 32 bits) or raw bytes; lwIP numbering.
    void setsockopt(std::int64_t level, std::int64_t option, std::int32_t value, std::error_code& ec);
    void setsockopt(std::int64_t level, std::int64_t option, std::int32_t value);
    void setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                    std::error_code& ec);
    void setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size);

    /// do_handshake(): the SSL handshake. Only SSL sockets have one; ussl is not emulated,
    /// so on a plain socket it fails with errc::eopnotsupp (EBADF once closed).
    void do_handshake(std::error_code& ec);
    void do_handshake();

    void settimeout(timeout t, std::error_code& ec);
    void settimeout(timeout t);
    timeout gettimeout() const noexcept { return timeout_.load(); }

    // Stream methods, as MicroPython's py/stream.c runs them over this socket. An empty
    // optional is the device's None: the call would block (or its timeout expired)
    // before any byte moved.

    /// read() / readall(): until end of stream; what was read if it would block later.
    std::optional<std::string> read_all(std::error_code& ec);
    /// read(n) / readinto(): loops until `size` bytes, end of stream or would-block.
    std::optional<std::size_t> read_into(void* data, std::size_t size, std::error_code& ec);
    /// readline([limit]): byte by byte up to and including '\n'; limit < 0 means none.
    std::optional<std::string> readline(std::int64_t limit, std::error_code& ec);
    /// write(): loops until all is written.
    std::optional<std::size_t> write(const void* data, std::size_t size, std::error_code& ec);

    /// lwIP's per-call cap on recv/recvfrom (WLAN_MAX_RX_SIZE in lwipsocket.c).
    static constexpr std::size_t max_recv_size = 2048;

private:
    socket(std::shared_ptr<detail::stack_state> owner, std::shared_ptr<detail::socket_backend> backend,
           int family, int type, int proto);
    /// The backend, or empty with ec = EBADF once closed (lwIP on descriptor -1).
    std::shared_ptr<detail::socket_backend> open_backend(std::error_code& ec) const;
    /// Records a device errno as the stack's stale errno and passes ec through.
    const std::error_code& noted(const std::error_code& ec) const noexcept;
    /// modusocket.c: EAGAIN from the backend while a timeout is set is TimeoutError.
    void timeout_from_would_block(std::error_code& ec) const noexcept;

    std::shared_ptr<detail::stack_state> stack_;
    /// Shared with calls in flight, so close() from another thread never frees it under them.
    /// While set, the socket holds one of the stack's socket slots.
    std::shared_ptr<detail::socket_backend> backend_;
    int family_ = family::inet;
    int type_ = sock_type::stream;
    int proto_ = ipproto::tcp;
    std::atomic<timeout> timeout_{timeout::blocking()};
};

}  // namespace usocket
