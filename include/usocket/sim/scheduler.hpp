// usocket/sim/scheduler.hpp: a deterministic event queue in integer microseconds.
//
// Events run in (time, insertion order); a cancelled event never runs. The scheduler is
// single-threaded: world serialises access to it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace usocket::sim {

/// Emulated time: microseconds since the world started.
using time_us = std::int64_t;

/// Names one scheduled event; 0 is never a valid id.
using event_id = std::uint64_t;

class scheduler {
public:
    using action = std::function<void()>;

    /// Schedules `fn` at `at_us` (clamped to now, so time never runs backwards).
    event_id schedule(time_us at_us, action fn);

    /// Removes a pending event; false if it already ran or was cancelled.
    bool cancel(event_id id);

    /// Time of the next pending event, if any.
    std::optional<time_us> next_time();

    /// Pops the next pending event, moves the clock to its time and returns its action.
    /// Empty when nothing is pending.
    action pop_next();

    /// The scheduler's clock: the time of the last event popped, or what advance_to() set.
    time_us now_us() const noexcept { return now_us_; }

    /// Moves the clock forward to `t_us` without running anything (never backwards).
    void advance_to(time_us t_us) noexcept;

    /// Pending (not cancelled) events.
    std::size_t pending() const noexcept { return actions_.size(); }

private:
    struct entry {
        time_us at_us;
        event_id id;  // ids grow with insertion, so they order ties
        bool operator>(const entry& other) const noexcept {
            return at_us != other.at_us ? at_us > other.at_us : id > other.id;
        }
    };

    void drop_cancelled();

    std::priority_queue<entry, std::vector<entry>, std::greater<>> queue_;
    std::unordered_map<event_id, action> actions_;
    event_id last_id_ = 0;
    time_us now_us_ = 0;
};

}  // namespace usocket::sim
