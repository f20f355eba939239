// socket.cpp: what modusocket.c and py/stream.c do on top of the backend.
#include "usocket/socket.hpp"

#include <algorithm>
#include <string>

#include "backend.hpp"
#include "stack_state.hpp"
#include "usocket/error.hpp"

namespace usocket {
namespace {

// Stream reads of unknown length grow by this much (py/stream.c DEFAULT_BUFFER_SIZE).
constexpr std::size_t stream_read_chunk = 256;

bool is_would_block(const std::error_code& ec) noexcept { return ec == errc::eagain; }

}  // namespace

socket::socket(stack& owner, int family, int type, int proto) {
    std::error_code ec;
    *this = open(owner, family, type, proto, ec);
    throw_if(ec, "socket");
}

socket socket::closed(stack& owner) { return socket(owner.state(), nullptr, family::inet, sock_type::stream, ipproto::tcp); }

socket socket::open(stack& owner, int family, int type, int proto, std::error_code& ec) {
    const auto& state = owner.state();
    // modusocket.c: AF_LORA and AF_SIGFOX make a raw socket whose type must be SOCK_RAW.
    if ((family == family::lora || family == family::sigfox) && type != sock_type::raw) {
        ec = failure::incorrect_socket_type;
        return socket(state, nullptr, family, type, proto);
    }
    std::shared_ptr<detail::socket_backend> backend = state->open_backend(family, type, proto, ec);
    socket s(state, ec ? nullptr : std::move(backend), family, type, proto);
    s.noted(ec);
    return s;
}

socket::socket(std::shared_ptr<detail::stack_state> owner, std::shared_ptr<detail::socket_backend> backend,
               int family, int type, int proto)
    : stack_(std::move(owner)), backend_(std::move(backend)), family_(family), type_(type), proto_(proto) {
    if (backend_) {
        stack_->open_sockets.fetch_add(1);
    }
}

// A moved-from socket stays a valid closed socket of its stack (EBADF on every call), so
// the stack is shared, not moved: _core.Socket.adopt() left a socket without a stack that
// crashed the interpreter on its next use (an API fuzz finding).
socket::socket(socket&& other) noexcept
    : stack_(other.stack_),
      backend_(std::atomic_exchange(&other.backend_, {})),
      family_(other.family_),
      type_(other.type_),
      proto_(other.proto_),
      timeout_(other.timeout_.load()) {}

socket& socket::operator=(socket&& other) noexcept {
    if (this != &other) {
        close();
        stack_ = other.stack_;
        std::atomic_store(&backend_, std::atomic_exchange(&other.backend_, {}));
        family_ = other.family_;
        type_ = other.type_;
        proto_ = other.proto_;
        timeout_ = other.timeout_.load();
    }
    return *this;
}

socket::~socket() { close(); }

void socket::close() noexcept {
    if (auto b = std::atomic_exchange(&backend_, {})) {
        b->shut();
        stack_->open_sockets.fetch_sub(1);
    }
}

bool socket::is_open() const noexcept { return std::atomic_load(&backend_) != nullptr; }

int socket::fileno() const noexcept {
    const auto b = std::atomic_load(&backend_);
    return b ? b->fileno() : -1;
}

std::optional<int> socket::ready_events(int wanted, std::error_code& ec) const {
    if (const auto b = open_backend(ec)) {
        return b->ready_events(wanted);
    }
    return std::nullopt;
}

std::shared_ptr<detail::socket_backend> socket::open_backend(std::error_code& ec) const {
    auto b = std::atomic_load(&backend_);
    if (!b) {
        noted(ec = errc::ebadf);
    }
    return b;
}

// lwIP's set_errno() keeps the last non-zero errno, which send(b'') later reports.
const std::error_code& socket::noted(const std::error_code& ec) const noexcept {
    if (ec && ec.category() == device_category()) {
        stack_->note_errno(ec.value());
    }
    return ec;
}

void socket::timeout_from_would_block(std::error_code& ec) const noexcept {
    if (is_would_block(noted(ec)) && timeout_.load().has_deadline()) {
        ec = failure::timed_out;
    }
}

void socket::bind(const inet_address& local, std::error_code& ec) {
    if (const auto b = open_backend(ec)) {
        b->bind(local, ec);
        noted(ec);
    }
}

void socket::bind_port(std::int64_t port, std::error_code& ec) {
    if (const auto b = open_backend(ec)) {
        b->bind_port(port, ec);
        noted(ec);
    }
}

void socket::bind_port(std::int64_t port) {
    std::error_code ec;
    bind_port(port, ec);
    throw_if(ec, "bind");
}

void socket::bind(const inet_address& local) {
    std::error_code ec;
    bind(local, ec);
    throw_if(ec, "bind");
}

void socket::listen(std::int64_t backlog, std::error_code& ec) {
    if (const auto b = open_backend(ec)) {
        // modusocket.c clamps a negative backlog to 0; lwIP clamps to 255.
        b->listen(static_cast<int>(std::clamp<std::int64_t>(backlog, 0, 255)), ec);
        noted(ec);
    }
}

void socket::listen(std::int64_t backlog) {
    std::error_code ec;
    listen(backlog, ec);
    throw_if(ec, "listen");
}

std::pair<socket, inet_address> socket::accept(std::error_code& ec) {
    inet_address peer;
    std::shared_ptr<detail::socket_backend> client;
    if (const auto b = open_backend(ec)) {
        client = b->accept(peer, ec);
        noted(ec);
    }
    if (client && stack_->at_socket_limit()) {
        // lwip_accept() finds no free socket: the connection is dropped and ENFILE raised.
        client.reset();
        noted(ec = errc::enfile);
    }
    return {socket(stack_, std::move(client), family_, type_, proto_), peer};
}

std::pair<socket, inet_address> socket::accept() {
    std::error_code ec;
    auto result = accept(ec);
    throw_if(ec, "accept");
    return result;
}

void socket::connect(const inet_address& peer, std::error_code& ec) {
    const auto b = open_backend(ec);
    if (!b) {
        return;
    }
    b->connect(peer, ec);
    noted(ec);
    if (ec && timeout_.load().has_deadline() && ec != failure::interrupted) {
        // modusocket.c's timed connect closes the socket on expiry and on error.
        close();
        if (ec == errc::etimedout) {
            ec = failure::timed_out;
        }
    }
}

void socket::connect(const inet_address& peer) {
    std::error_code ec;
    connect(peer, ec);
    throw_if(ec, "connect");
}

std::size_t socket::send(const void* data, std::size_t size, std::error_code& ec) {
    const auto b = open_backend(ec);
    if (!b) {
        return 0;
    }
    if (size == 0 && family_ == family::inet) {
        // lwipsocket_socket_send() sends nothing and raises whatever errno was left over
        // (firmware quirk). Before any failure there is none; EIO stands in for it.
        const int stale = stack_->last_errno.load();
        ec = stale != 0 ? std::error_code(stale, device_category()) : std::error_code(errc::eio);
        return 0;
    }
    const std::size_t n = b->send(data, size, ec);
    timeout_from_would_block(ec);
    return n;
}

std::size_t socket::send(const void* data, std::size_t size) {
    std::error_code ec;
    const std::size_t n = send(data, size, ec);
    throw_if(ec, "send");
    return n;
}

std::size_t socket::recv(void* data, std::size_t size, std::error_code& ec) {
    const auto b = open_backend(ec);
    if (!b) {
        return 0;
    }
    const std::size_t n = b->recv(data, std::min(size, max_recv_size), ec);
    timeout_from_would_block(ec);
    if (is_would_block(ec)) {
        ec.clear();  // a non-blocking recv() with nothing there returns b''
    }
    return n;
}

std::size_t socket::recv(void* data, std::size_t size) {
    std::error_code ec;
    const std::size_t n = recv(data, size, ec);
    throw_if(ec, "recv");
    return n;
}

std::size_t socket::sendto(const void* data, std::size_t size, const inet_address& peer, std::error_code& ec) {
    ec.clear();
    if (size == 0) {
        return 0;  // lwipsocket_socket_sendto() returns before touching the descriptor
    }
    const auto b = open_backend(ec);
    if (!b) {
        return 0;
    }
    const std::size_t n = b->sendto(data, size, peer, ec);
    timeout_from_would_block(ec);
    return n;
}

std::size_t socket::sendto(const void* data, std::size_t size, const inet_address& peer) {
    std::error_code ec;
    const std::size_t n = sendto(data, size, peer, ec);
    throw_if(ec, "sendto");
    return n;
}

std::size_t socket::recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec) {
    const auto b = open_backend(ec);
    if (!b) {
        return 0;
    }
    const std::size_t n = b->recvfrom(data, std::min(size, max_recv_size), from, ec);
    timeout_from_would_block(ec);
    return n;
}

std::size_t socket::recvfrom(void* data, std::size_t size, inet_address& from) {
    std::error_code ec;
    const std::size_t n = recvfrom(data, size, from, ec);
    throw_if(ec, "recvfrom");
    return n;
}

void socket::setsockopt(std::int64_t level, std::int64_t option, std::int32_t value, std::error_code& ec) {
    setsockopt(level, option, &value, sizeof value, ec);
}

void socket::setsockopt(std::int64_t level, std::int64_t option, std::int32_t value) {
    std::error_code ec;
    setsockopt(level, option, value, ec);
    throw_if(ec, "setsockopt");
}

void socket::setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                        std::error_code& ec) {
    if (const auto b = open_backend(ec)) {
        b->setsockopt(level, option, value, size, ec);
        noted(ec);
    }
}

void socket::setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size) {
    std::error_code ec;
    setsockopt(level, option, value, size, ec);
    throw_if(ec, "setsockopt");
}

void socket::do_handshake(std::error_code& ec) {
    if (open_backend(ec)) {
        noted(ec = errc::eopnotsupp);
    }
}

void socket::do_handshake() {
    std::error_code ec;
    do_handshake(ec);
    throw_if(ec, "do_handshake");
}

void socket::settimeout(timeout t, std::error_code& ec) {
    if (const auto b = open_backend(ec)) {
        b->settimeout(t, ec);
        if (!noted(ec)) {
            timeout_ = t;
        }
    }
}

void socket::settimeout(timeout t) {
    std::error_code ec;
    settimeout(t, ec);
    throw_if(ec, "settimeout");
}

// The stream methods follow MicroPython 1.11's py/stream.c: a would-block (EAGAIN, which
// is also how an expired SO_RCVTIMEO shows) before any byte is None; after some bytes it
// ends the call with what moved. Each step is one backend call, as on the device.

std::optional<std::string> socket::read_all(std::error_code& ec) {
    std::string out;
    for (;;) {
        const auto b = open_backend(ec);
        if (!b) {
            return std::nullopt;
        }
        const std::size_t old_size = out.size();
        out.resize(old_size + stream_read_chunk);
        const std::size_t n = b->recv(out.data() + old_size, stream_read_chunk, ec);
        out.resize(old_size + n);
        if (noted(ec)) {
            if (!is_would_block(ec)) {
                return std::nullopt;
            }
            ec.clear();
            return out.empty() ? std::nullopt : std::optional<std::string>(std::move(out));
        }
        if (n == 0) {
            return out;
        }
    }
}

std::optional<std::size_t> socket::read_into(void* data, std::size_t size, std::error_code& ec) {
    auto* bytes = static_cast<std::uint8_t*>(data);
    std::size_t done = 0;
    ec.clear();
    while (done < size) {
        const auto b = open_backend(ec);
        if (!b) {
            return std::nullopt;
        }
        const std::size_t n = b->recv(bytes + done, std::min(size - done, max_recv_size), ec);
        if (noted(ec)) {
            if (!is_would_block(ec)) {
                return std::nullopt;
            }
            ec.clear();
            return done == 0 ? std::nullopt : std::optional<std::size_t>(done);
        }
        if (n == 0) {
            break;
        }
        done += n;
    }
    return done;
}

std::optional<std::string> socket::readline(std::int64_t limit, std::error_code& ec) {
    std::string line;
    ec.clear();
    while (limit < 0 || static_cast<std::int64_t>(line.size()) < limit) {
        const auto b = open_backend(ec);
        if (!b) {
            return std::nullopt;
        }
        char c = 0;
        const std::size_t n = b->recv(&c, 1, ec);
        if (noted(ec)) {
            if (!is_would_block(ec)) {
                return std::nullopt;
            }
            ec.clear();
            if (line.empty()) {
                return std::nullopt;
            }
            break;
        }
        if (n == 0) {
            break;
        }
        line.push_back(c);
        if (c == '\n') {
            break;
        }
    }
    return line;
}

std::optional<std::size_t> socket::write(const void* data, std::size_t size, std::error_code& ec) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    std::size_t done = 0;
    ec.clear();
    while (done < size) {
        const auto b = open_backend(ec);
        if (!b) {
            return std::nullopt;
        }
        const std::size_t n = b->send(bytes + done, size - done, ec);
        if (noted(ec)) {
            if (!is_would_block(ec)) {
                return std::nullopt;
            }
            ec.clear();
            return done == 0 ? std::nullopt : std::optional<std::size_t>(done);
        }
        if (n == 0) {
            break;
        }
        done += n;
    }
    return done;
}

}  // namespace usocket
