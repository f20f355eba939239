// wait.hpp: waiting for a descriptor with a timeout, interruptible (private).
#pragma once

#include <chrono>
#include <optional>
#include <system_error>

#include "usocket/timeout.hpp"

namespace usocket::detail {

struct stack_state;

/// When a wait gives up: never (blocking) or at a point of the steady clock.
class deadline {
public:
    /// The deadline of one call made under `t` (non-blocking: already passed).
    static deadline after(timeout t) noexcept;
    bool passed() const noexcept;
    /// Milliseconds to wait next: at most `cap_ms`, 0 once passed.
    int next_wait_ms(int cap_ms) const noexcept;

private:
    std::optional<std::chrono::steady_clock::time_point> at_;
};

/// What wait_ready() wants from the descriptor.
enum class readiness { readable, writable };

/// Waits until `fd` is ready or `until` passes, asking the stack's interrupt check at
/// least every stack::interrupt_poll_interval_ms. Returns {} when ready, errc::eagain when
/// the deadline passed (lwIP's SO_RCVTIMEO expiry), failure::interrupted when asked to stop.
std::error_code wait_ready(int fd, readiness what, const deadline& until, const stack_state& stack);

}  // namespace usocket::detail
