// scheduler.cpp: binary heap plus a live-action table; cancelling drops the action and the
// heap entry is skipped lazily when it reaches the top.
#include "usocket/sim/scheduler.hpp"

#include <algorithm>
#include <utility>

namespace usocket::sim {

event_id scheduler::schedule(time_us at_us, action fn) {
    const event_id id = ++last_id_;
    queue_.push(entry{std::max(at_us, now_us_), id});
    actions_.emplace(id, std::move(fn));
    return id;
}

bool scheduler::cancel(event_id id) { return actions_.erase(id) > 0; }

void scheduler::drop_cancelled() {
    while (!queue_.empty() && actions_.find(queue_.top().id) == actions_.end()) {
        queue_.pop();
    }
}

std::optional<time_us> scheduler::next_time() {
    drop_cancelled();
    if (queue_.empty()) {
        return std::nullopt;
    }
    return queue_.top().at_us;
}

scheduler::action scheduler::pop_next() {
    drop_cancelled();
    if (queue_.empty()) {
        return {};
    }
    const entry next = queue_.top();
    queue_.pop();
    auto it = actions_.find(next.id);
    action fn = std::move(it->second);
    actions_.erase(it);
    now_us_ = std::max(now_us_, next.at_us);
    return fn;
}

void scheduler::advance_to(time_us t_us) noexcept { now_us_ = std::max(now_us_, t_us); }

}  // namespace usocket::sim
