// inet_backend.hpp: AF_INET over Boost.Asio, behaving as lwIP does on the device (private).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "backend.hpp"
#include "wait.hpp"

namespace usocket::detail {

struct stack_state;

/// A TCP or UDP socket of the host. Asio owns the descriptor, kept in non-blocking mode:
/// every call tries once and, when it would block, waits with wait_ready() so that
/// timeouts follow the firmware (SO_RCVTIMEO-style, per call) and Ctrl-C gets through.
class inet_backend final : public socket_backend {
public:
    /// Opens a socket of `type` (SOCK_STREAM or SOCK_DGRAM) with SO_REUSEADDR on, as
    /// lwipsocket_socket_socket() does.
    static std::unique_ptr<socket_backend> open(std::shared_ptr<stack_state> stack, int type, std::error_code& ec);

    ~inet_backend() override;

    int fileno() const noexcept override { return fd_; }
    void shut() noexcept override;
    void bind(const inet_address& local, std::error_code& ec) override;
    void listen(int backlog, std::error_code& ec) override;
    std::unique_ptr<socket_backend> accept(inet_address& peer, std::error_code& ec) override;
    void connect(const inet_address& peer, std::error_code& ec) override;
    std::size_t send(const void* data, std::size_t size, std::error_code& ec) override;
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) override;
    std::size_t sendto(const void* data, std::size_t size, const inet_address& peer, std::error_code& ec) override;
    std::size_t recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec) override;
    void setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                    std::error_code& ec) override;
    void settimeout(timeout t, std::error_code& ec) override;

private:
    using tcp = boost::asio::ip::tcp;
    using udp = boost::asio::ip::udp;

    inet_backend(std::shared_ptr<stack_state> stack, int type);

    /// Retries `attempt` (which returns bytes and sets a boost error) until it stops
    /// blocking, the deadline passes or the call is interrupted.
    template <class Attempt>
    std::size_t retry(readiness what, const deadline& until, Attempt&& attempt, std::error_code& ec);

    std::shared_ptr<stack_state> stack_;
    const int type_;
    std::optional<tcp::socket> stream_;      ///< TCP before listen()
    std::optional<tcp::acceptor> acceptor_;  ///< TCP after listen()
    std::optional<udp::socket> datagram_;    ///< UDP
    int fd_ = -1;                            ///< the descriptor all three share, for poll(2)
    std::atomic<timeout> timeout_{timeout::blocking()};
    std::atomic<bool> shut_{false};
    bool connecting_ = false;  ///< a connect() started and may have completed since
    bool connected_ = false;   ///< lwIP's netconn is connected: connect() is EISCONN
    /// An error a partial send() met after queueing some bytes: the host reports it once
    /// (Linux clears sk_err), lwIP on the next call, so it waits here for that call.
    std::mutex pending_mutex_;
    std::error_code pending_error_;

    bool take_pending_error(std::error_code& ec);
};

}  // namespace usocket::detail
