// wait.cpp: poll(2) in slices so a blocked call notices its deadline and Ctrl-C.
#include "wait.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "stack_state.hpp"
#include "usocket/error.hpp"

namespace usocket::detail {

deadline deadline::after(timeout t) noexcept {
    deadline d;
    if (t.is_blocking()) {
        return d;
    }
    d.at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(t.ms());
    return d;
}

bool deadline::passed() const noexcept { return at_ && std::chrono::steady_clock::now() >= *at_; }

int deadline::next_wait_ms(int cap_ms) const noexcept {
    if (!at_) {
        return cap_ms;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*at_ - std::chrono::steady_clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, cap_ms));
}

namespace {

/// Tells the stack's blocking hook that this thread blocks, for as long as it lives.
class blocking_scope {
public:
    explicit blocking_scope(const stack_state& stack) : hook_(stack.blocking_hook_now()) {
        if (hook_) {
            (*hook_)(true);
        }
    }
    ~blocking_scope() {
        if (hook_) {
            (*hook_)(false);
        }
    }
    blocking_scope(const blocking_scope&) = delete;
    blocking_scope& operator=(const blocking_scope&) = delete;

private:
    std::shared_ptr<const stack::blocking_hook> hook_;
};

}  // namespace

std::error_code wait_ready(int fd, readiness what, const deadline& until, const stack_state& stack) {
    // Even an expired deadline polls once: no need to announce a wait for that.
    std::optional<blocking_scope> blocking;
    if (!until.passed()) {
        blocking.emplace(stack);
    }
    pollfd p{};
    p.fd = fd;
    p.events = what == readiness::readable ? POLLIN : POLLOUT;
    for (;;) {
        const int wait_ms = until.next_wait_ms(stack::interrupt_poll_interval_ms);
        p.revents = 0;
        const int n = ::poll(&p, 1, wait_ms);
        if (n > 0) {
            // Errors and hang-ups count as ready: the next call reports them.
            return {};
        }
        if (n < 0 && errno != EINTR) {
            return errc_from_host(errno);
        }
        // A slice ended or a signal arrived: time to ask whether to stop.
        if (stack.interrupted()) {
            return failure::interrupted;
        }
        if (until.passed()) {
            return errc::eagain;
        }
    }
}

}  // namespace usocket::detail
