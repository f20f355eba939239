// usocket/sim/radio_mutex.hpp: the mutex by which the stacks of one chip take turns on it.
// A LoPy4's or FiPy's LoRa and Sigfox share one SX1276 (pycom-api.md 4.10; modlora.c and
// modsigfox.c take xLoRaSigfoxSem around a LoRaWAN uplink's or join's cycle and a Sigfox
// message), so neither goes on the air, or listens, during the other's turn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "usocket/sim/world.hpp"

namespace usocket::sim {

/// A mutex on the world's clock: first come, first served (one FreeRTOS mutex between two
/// tasks that do not raise their priorities). Thread-safe; it never calls a user back
/// inline, so a user may call it with its own lock held.
class radio_mutex {
public:
    using owner_id = std::uint64_t;

    explicit radio_mutex(world& w);
    ~radio_mutex();
    radio_mutex(const radio_mutex&) = delete;
    radio_mutex& operator=(const radio_mutex&) = delete;

    /// A new user's identity.
    owner_id new_owner();

    /// True if the mutex was free (it is `owner`'s now) or is `owner`'s already. Otherwise
    /// `owner` waits in line and false: when its turn comes the mutex is `owner`'s and
    /// `granted` runs in a world event at that time (a user that no longer needs it then
    /// must unlock). Asking again while in line keeps the place; the newer `granted` counts.
    bool lock_or_wait(owner_id owner, std::function<void()> granted);
    /// `owner` lets go (nothing if it does not hold it) and leaves the line: the next in line
    /// gets the mutex now.
    void unlock(owner_id owner);

    bool held_by(owner_id owner) const;
    bool waiting(owner_id owner) const;
    /// How many times the mutex passed to a user that had to wait (for tests and the log).
    std::uint64_t handovers() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

/// One user's share of a chip: a LoRa radio's, a LoRaWAN MAC's or a Sigfox radio's. Without
/// a mutex (a board with a radio each) every take succeeds at once.
class chip_share {
public:
    /// Lets go of the previous chip and shares `mutex` (none: a chip of its own).
    void share(std::shared_ptr<radio_mutex> mutex) {
        release();
        mutex_ = std::move(mutex);
        owner_ = mutex_ ? mutex_->new_owner() : 0;
    }

    /// True if the chip is this user's now. Otherwise false, and when its turn comes
    /// `granted(user)` runs in a world event (it must release if it no longer needs the
    /// chip); a user that is gone by then lets go.
    template <class User>
    bool take_or_wait(std::weak_ptr<User> user, std::function<void(User&)> granted) {
        if (!mutex_) {
            return true;
        }
        return mutex_->lock_or_wait(owner_, [mutex = mutex_, owner = owner_, user = std::move(user),
                                             granted = std::move(granted)] {
            if (const auto self = user.lock()) {
                granted(*self);
            } else {
                mutex->unlock(owner);
            }
        });
    }

    /// Lets go (or leaves the line); nothing without a mutex or a hold.
    void release() {
        if (mutex_) {
            mutex_->unlock(owner_);
        }
    }

private:
    std::shared_ptr<radio_mutex> mutex_;
    radio_mutex::owner_id owner_ = 0;
};

}  // namespace usocket::sim
