// sigfox_backend.cpp: modsigfox.c's socket functions.
#include "sigfox_backend.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "stack_state.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/sim/sigfox_radio.hpp"

namespace usocket::detail {
sigfox_backend::sigfox_backend(std::shared_ptr<stack_state> stack) : stack_(std::move(stack)) {}

std::shared_ptr<sim::sigfox_radio> sigfox_backend::nic() const {
    std::lock_guard<std::mutex> lock(stack_->mutex);
    return stack_->sigfox_radio;
}

// Like LoRa sockets, Sigfox sockets have no lwIP descriptor.
int sigfox_backend::fileno() const noexcept { return -1; }

// The Sigfox NIC has no bind/sendto/recvfrom driver: on LoPy4 and FiPy the methods exist and
// call a NULL function pointer (the device crashes); the emulator refuses them instead
// (pycom-api.md 5.3). On the SiPy the Python layer hides them.
void sigfox_backend::bind(const inet_address& /*local*/, std::error_code& ec) { ec = errc::eopnotsupp; }
void sigfox_backend::bind_port(std::int64_t /*port*/, std::error_code& ec) { ec = errc::eopnotsupp; }
void sigfox_backend::listen(int /*backlog*/, std::error_code& ec) { ec = errc::eopnotsupp; }

std::unique_ptr<socket_backend> sigfox_backend::accept(inet_address& /*peer*/, std::error_code& ec) {
    ec = errc::eopnotsupp;
    return nullptr;
}

void sigfox_backend::connect(const inet_address& /*peer*/, std::error_code& ec) { ec = errc::eopnotsupp; }

std::size_t sigfox_backend::sendto(const void* /*data*/, std::size_t /*size*/, const inet_address& /*peer*/,
                                   std::error_code& ec) {
    ec = errc::eopnotsupp;
    return 0;
}

std::size_t sigfox_backend::recvfrom(void* /*data*/, std::size_t /*size*/, inet_address& /*from*/, std::error_code& ec) {
    ec = errc::eopnotsupp;
    return 0;
}

std::size_t sigfox_backend::send(const void* data, std::size_t size, std::error_code& ec) {
    // sigfox_socket_send, in the firmware's order (after the closed-socket check above us).
    const auto radio = nic();
    if (!radio || !radio->is_open()) {
        ec = errc::enetdown;
        return 0;
    }
    const bool fsk = radio->mode() == sim::sigfox_mode::fsk;
    if (size > (fsk ? sim::fsk_max_payload_bytes : sim::sigfox_max_uplink_bytes)) {
        ec = errc::emsgsize;
        return 0;
    }
    sim::sigfox_send_request request;
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    request.payload.assign(bytes, bytes + size);
    request.bit_value = bit() != 0;
    request.oob = oob();
    request.downlink = rx();
    request.tx_repeat = tx_repeat();
    // The timeout bounds queueing only; a blocking or timed socket then waits for the end of
    // the transaction without limit.
    using status = sim::sigfox_radio::send_status;
    switch (radio->send(std::move(request), timeout_.wait_us(), !timeout_.is_non_blocking())) {
    case status::done:
    case status::queued: return size;
    case status::queue_full: ec = errc::eagain; return 0;  // TimeoutError on a socket with a timeout
    case status::failed:
    case status::not_open: ec = errc::enetdown; return 0;
    case status::halted: ec = failure::device_halted; return 0;
    }
    return 0;
}

std::size_t sigfox_backend::recv(void* data, std::size_t size, std::error_code& ec) {
    const auto radio = nic();
    if (!radio) {
        ec = errc::enetdown;
        return 0;
    }
    std::vector<std::uint8_t> got;
    switch (radio->receive(timeout_.wait_us(), size, got)) {
    case sim::wait_status::ready:
        if (!got.empty()) {
            std::memcpy(data, got.data(), got.size());
        }
        return got.size();
    case sim::wait_status::timed_out:
        // sigfox_recv: b'' on a non-blocking socket, EAGAIN (TimeoutError) with a timeout.
        if (!timeout_.is_non_blocking()) {
            ec = errc::eagain;
        }
        return 0;
    case sim::wait_status::halted: ec = failure::device_halted; return 0;
    }
    return 0;
}

void sigfox_backend::setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                                std::error_code& ec) {
    if (level != sockopt::sol_sigfox) {
        ec = errc::eopnotsupp;
        return;
    }
    // The firmware reads *(uint8_t *)optval: the value's low byte.
    std::uint8_t v = 0;
    if (size > 0) {
        std::memcpy(&v, value, 1);
    }
    const std::uint32_t b = v;
    if (option == sockopt::so_rx) {
        word_ = (word_ & 0xFFFF00FFu) | (b << 8);
    } else if (option == sockopt::so_tx_repeat) {
        if (v > 2) {
            ec = errc::eopnotsupp;
            return;
        }
        word_ = (word_ & 0xFF00FFFFu) | (b << 16);
    } else if (option == sockopt::so_oob) {
        word_ = (word_ & 0xF0FFFFFFu) | (b << 24);
    } else if (option == sockopt::so_bit) {
        word_ = (word_ & 0x0FFFFFFFu) | (b << 28);
    } else {
        ec = errc::eopnotsupp;
    }
}

std::optional<int> sigfox_backend::ready_events(int wanted) const {
    constexpr int readable = 0x0001;
    constexpr int writable = 0x0004;
    int ready = 0;
    const auto radio = nic();
    if (!radio) {
        return ready;
    }
    if ((wanted & readable) != 0 && radio->received_pending() > 0) {
        ready |= readable;
    }
    if ((wanted & writable) != 0 && radio->can_queue()) {
        ready |= writable;
    }
    return ready;
}

void sigfox_backend::settimeout(timeout t, std::error_code& /*ec*/) { timeout_ = t; }

}  // namespace usocket::detail
