// lora_backend.cpp: modlora.c's socket functions in raw LoRa mode.
#include "lora_backend.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "stack_state.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"

namespace usocket::detail {
namespace lora_region {

int default_data_rate(int region) noexcept {
    switch (region) {
    case us915:
    case au915: return 4;
    case in865: return 0;
    default: return 5;
    }
}

int max_data_rate(int region) noexcept { return region == us915 ? 4 : 6; }

}  // namespace lora_region

lora_backend::lora_backend(std::shared_ptr<stack_state> stack)
    : stack_(std::move(stack)), data_rate_(lora_region::default_data_rate(nic().region)) {}

lora_backend::lora_nic lora_backend::nic() const {
    std::lock_guard<std::mutex> lock(stack_->mutex);
    return {stack_->lora_radio, stack_->lora_region, stack_->lorawan_mac};
}

// LoRa sockets have no lwIP descriptor; the firmware numbers them apart from IP sockets.
int lora_backend::fileno() const noexcept { return -1; }

void lora_backend::bind(const inet_address& local, std::error_code& ec) { bind_port(local.port, ec); }

void lora_backend::bind_port(std::int64_t port, std::error_code& ec) {
    // lora_socket_bind: only the port matters; above 224 (the compliance-test port) is refused.
    if (port > 224) {
        ec = errc::eopnotsupp;
        return;
    }
    fport_ = static_cast<std::uint8_t>(port);
}

void lora_backend::listen(int /*backlog*/, std::error_code& ec) { ec = errc::eopnotsupp; }

std::unique_ptr<socket_backend> lora_backend::accept(inet_address& /*peer*/, std::error_code& ec) {
    ec = errc::eopnotsupp;
    return nullptr;
}

void lora_backend::connect(const inet_address& /*peer*/, std::error_code& ec) { ec = errc::eopnotsupp; }

std::size_t lora_backend::send(const void* data, std::size_t size, std::error_code& ec) {
    // lora_socket_send, in the firmware's order (after the closed-socket check above us).
    const auto [radio, region, mac] = nic();
    (void)region;
    if (radio->power_mode() == sim::lora_power_mode::sleep) {
        ec = errc::enetdown;
        return 0;
    }
    if (size > sim::lora_radio::max_payload_bytes) {
        ec = errc::emsgsize;
        return 0;
    }
    if (size == 0) {
        return 0;
    }
    if (mac) {
        return send_lorawan(*mac, data, size, ec);
    }
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    std::vector<std::uint8_t> payload(bytes, bytes + size);
    // Blocking and timed sockets wait for TX-done without limit: the timeout bounds queueing only.
    const bool wait_sent = !timeout_.is_non_blocking();
    switch (radio->send(std::move(payload), timeout_.wait_us(), wait_sent)) {
    case sim::lora_radio::send_status::sent:
    case sim::lora_radio::send_status::queued: return size;
    case sim::lora_radio::send_status::queue_full: ec = errc::eagain; return 0;
    case sim::lora_radio::send_status::halted: ec = failure::device_halted; return 0;
    }
    return 0;
}

std::size_t lora_backend::send_lorawan(sim::lorawan_mac& mac, const void* data, std::size_t size,
                                       std::error_code& ec) {
    // pycom-api.md 3.4: ENETDOWN before the join; the timeout bounds queueing only; a
    // blocking or timed socket waits for the end of the MAC cycle.
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    std::vector<std::uint8_t> payload(bytes, bytes + size);
    using status = sim::lorawan_mac::send_status;
    switch (mac.send(std::move(payload), fport_, confirmed_, data_rate_, timeout_.wait_us(), !timeout_.is_non_blocking())) {
    case status::sent:
    case status::queued: return size;
    case status::not_joined: ec = errc::enetdown; return 0;
    case status::too_large: ec = errc::emsgsize; return 0;
    case status::queue_full:
    case status::failed: ec = errc::eagain; return 0;  // TimeoutError on a socket with a timeout
    case status::halted: ec = failure::device_halted; return 0;
    }
    return 0;
}

std::size_t lora_backend::receive(void* data, std::size_t size, int& port, std::error_code& ec) {
    std::vector<std::uint8_t> got;
    switch (nic().radio->receive(timeout_.wait_us(), size, got, port)) {
    case sim::wait_status::ready:
        if (!got.empty()) {
            std::memcpy(data, got.data(), got.size());
        }
        return got.size();
    case sim::wait_status::timed_out:
        // Nothing came: b'' on a non-blocking socket, TimeoutError with a timeout (the
        // socket layer turns EAGAIN into it).
        if (!timeout_.is_non_blocking()) {
            ec = errc::eagain;
        }
        return 0;
    case sim::wait_status::halted: ec = failure::device_halted; return 0;
    }
    return 0;
}

std::size_t lora_backend::recv(void* data, std::size_t size, std::error_code& ec) {
    int port = 0;
    return receive(data, size, port, ec);
}

std::size_t lora_backend::sendto(const void* /*data*/, std::size_t /*size*/, const inet_address& /*peer*/,
                                 std::error_code& ec) {
    ec = errc::eopnotsupp;  // only LoRa Mesh sockets have sendto
    return 0;
}

std::size_t lora_backend::recvfrom(void* data, std::size_t size, inet_address& from, std::error_code& ec) {
    // Raw mode reports the port variable the task never sets for raw frames: 0.
    int port = 0;
    const std::size_t n = receive(data, size, port, ec);
    from = inet_address{};
    from.port = static_cast<std::uint16_t>(port);
    return n;
}

void lora_backend::setsockopt(std::int64_t level, std::int64_t option, const void* value, std::size_t size,
                              std::error_code& ec) {
    if (level != sockopt::sol_lora) {
        ec = errc::eopnotsupp;
        return;
    }
    // The firmware reads the option through a pointer: an int arrives as 4 bytes, a buffer as is.
    std::int32_t v = 0;
    std::memcpy(&v, value, std::min(size, sizeof v));
    if (option == sockopt::so_confirmed) {
        confirmed_ = (v & 0xFF) != 0;  // the firmware stores one byte
    } else if (option == sockopt::so_dr) {
        if (v < 0 || v > lora_region::max_data_rate(nic().region)) {
            ec = errc::eopnotsupp;
            return;
        }
        data_rate_ = v;
    } else {
        ec = errc::eopnotsupp;
    }
}

std::optional<int> lora_backend::ready_events(int wanted) const {
    constexpr int readable = 0x0001;
    constexpr int writable = 0x0004;
    int ready = 0;
    const auto [radio, region, mac] = nic();
    (void)region;
    if ((wanted & readable) != 0 && radio->received_pending() > 0) {
        ready |= readable;
    }
    if ((wanted & writable) != 0 && (mac ? mac->can_queue() : radio->can_queue())) {
        ready |= writable;
    }
    return ready;
}

void lora_backend::settimeout(timeout t, std::error_code& /*ec*/) { timeout_ = t; }

}  // namespace usocket::detail
