// usocket/timeout.hpp: the one timeout type: blocking, non-blocking or whole milliseconds.
#pragma once

#include <cstdint>
#include <optional>

namespace usocket {

/// A socket's timeout as the firmware keeps it: -1 blocking, 0 non-blocking, else ms.
class timeout {
public:
    /// Waits as long as it takes (the state of every new socket).
    static constexpr timeout blocking() noexcept { return timeout(-1); }
    /// Never waits.
    static constexpr timeout non_blocking() noexcept { return timeout(0); }
    /// Waits at most `ms`; zero or less means non-blocking.
    static constexpr timeout milliseconds(std::int64_t ms) noexcept { return timeout(ms > 0 ? ms : 0); }
    /// The firmware's settimeout() rule: None blocks; otherwise int32(1000 * seconds),
    /// where 0 (including 0 < seconds < 0.001) is non-blocking and a negative value blocks.
    static timeout from_seconds(std::optional<double> seconds) noexcept;

    constexpr bool is_blocking() const noexcept { return ms_ < 0; }
    constexpr bool is_non_blocking() const noexcept { return ms_ == 0; }
    /// True when calls wait but give up after ms().
    constexpr bool has_deadline() const noexcept { return ms_ > 0; }
    /// Milliseconds to wait when has_deadline().
    constexpr std::int64_t ms() const noexcept { return ms_; }
    /// The wait in microseconds that the radio layers take: none while blocking, 0 when
    /// non-blocking, else ms() * 1000.
    constexpr std::optional<std::int64_t> wait_us() const noexcept {
        if (is_blocking()) {
            return std::nullopt;
        }
        return ms_ * 1000;
    }
    /// The firmware's integer: -1, 0 or milliseconds.
    constexpr std::int64_t device_value() const noexcept { return ms_; }
    /// Seconds as Python shows them (None for blocking).
    std::optional<double> seconds() const noexcept;

    friend constexpr bool operator==(timeout a, timeout b) noexcept { return a.ms_ == b.ms_; }
    friend constexpr bool operator!=(timeout a, timeout b) noexcept { return a.ms_ != b.ms_; }

private:
    constexpr explicit timeout(std::int64_t ms) noexcept : ms_(ms) {}
    std::int64_t ms_;
};

}  // namespace usocket
