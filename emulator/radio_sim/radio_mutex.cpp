// radio_mutex.cpp: the chip's mutex on the world's clock (usocket/sim/radio_mutex.hpp).
#include "usocket/sim/radio_mutex.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>

namespace usocket::sim {

struct radio_mutex::state : std::enable_shared_from_this<state> {
    explicit state(world& wld) : w(wld) {}

    struct waiter {
        owner_id owner = 0;
        std::function<void()> granted;
    };

    world& w;
    mutable std::mutex mutex;
    owner_id next_owner = 1;
    std::optional<owner_id> holder;
    std::deque<waiter> line;
    std::uint64_t handovers = 0;

    /// Passes the free mutex to the first in line; its `granted` runs in a world event now.
    void hand_over_locked() {
        if (holder || line.empty()) {
            return;
        }
        waiter next = std::move(line.front());
        line.pop_front();
        holder = next.owner;
        ++handovers;
        std::weak_ptr<state> weak = shared_from_this();
        w.schedule_after(0, [weak, owner = next.owner, granted = std::move(next.granted)] {
            const auto self = weak.lock();
            if (!self) {
                return;
            }
            {
                std::lock_guard<std::mutex> lock(self->mutex);
                if (self->holder != owner) {
                    return;  // it let go before its turn came
                }
            }
            granted();
        });
    }
};

radio_mutex::radio_mutex(world& w) : state_(std::make_shared<state>(w)) {}

radio_mutex::~radio_mutex() = default;

radio_mutex::owner_id radio_mutex::new_owner() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->next_owner++;
}

bool radio_mutex::lock_or_wait(owner_id owner, std::function<void()> granted) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state& s = *state_;
    if (s.holder == owner) {
        return true;
    }
    if (!s.holder && s.line.empty()) {
        s.holder = owner;
        return true;
    }
    const auto in_line = std::find_if(s.line.begin(), s.line.end(), [&](const state::waiter& x) { return x.owner == owner; });
    if (in_line != s.line.end()) {
        in_line->granted = std::move(granted);
    } else {
        s.line.push_back(state::waiter{owner, std::move(granted)});
    }
    return false;
}

void radio_mutex::unlock(owner_id owner) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state& s = *state_;
    s.line.erase(std::remove_if(s.line.begin(), s.line.end(), [&](const state::waiter& x) { return x.owner == owner; }),
                 s.line.end());
    if (s.holder == owner) {
        s.holder.reset();
        s.hand_over_locked();
    }
}

bool radio_mutex::held_by(owner_id owner) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->holder == owner;
}

bool radio_mutex::waiting(owner_id owner) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto& line = state_->line;
    return std::any_of(line.begin(), line.end(), [&](const state::waiter& x) { return x.owner == owner; });
}

std::uint64_t radio_mutex::handovers() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->handovers;
}

}  // namespace usocket::sim
