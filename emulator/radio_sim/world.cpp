// world.cpp: the clock, the device threads' accounting and their waits.
//
// Every device thread is a participant. `active` counts participants that run (plus threads
// reserved but not yet attached); a participant that waits on the world does not count. In
// virtual time, whichever thread brings `active` to zero runs the due events itself (events
// run without the lock) until one of them wakes a thread, so a lone device that sleeps never
// switches threads. In real time run() fires events when the wall clock reaches them.
//
// In virtual time device threads also run one at a time: a thread woken while another one
// runs waits in `ready`, in the order of the wakes, until the running one waits on the world
// again (or ends). One event that wakes two threads (a MAC cycle that posts a callback and
// ends a blocking send) so gives the same interleaving, hence the same output, on every run.
// A woken thread that was kept waiting for ready_fallback (a thread that spins on a flag
// another thread sets, or blocks on a lock outside the world) runs anyway: liveness first.
#include "usocket/sim/world.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace usocket::sim {
namespace {

using steady = std::chrono::steady_clock;

/// How often run() asks its interrupt check while it waits.
constexpr auto interrupt_poll_interval = std::chrono::milliseconds(50);

constexpr time_us no_limit = std::numeric_limits<time_us>::max();

/// How long a woken thread waits for the running one before it runs regardless (see above).
constexpr auto ready_fallback = std::chrono::milliseconds(100);

}  // namespace

struct participant {
    device_id dev = 0;
    std::condition_variable cv;
    bool waiting = false;
    bool woken = false;
    bool released = false;            // woken and allowed to run (not held in `ready`)
    wait_status status = wait_status::ready;
    std::uint64_t wait_seq = 0;       // names the current wait, so a stale event cannot end a later one
    std::int64_t token = 0;           // what a mailbox handed over
    event_id wake_event = 0;          // the pending sleep or deadline event
    mailbox::waiting* waiting_on = nullptr;
    bool waiting_outside = false;     // blocked in I/O outside the world (outside_wait_hook)
};

struct mailbox::waiting {
    std::deque<std::int64_t> tokens;
    std::deque<std::shared_ptr<participant>> waiters;
};

namespace {

struct device_state {
    std::shared_ptr<std::atomic<bool>> halted = std::make_shared<std::atomic<bool>>(false);
    std::vector<std::shared_ptr<participant>> threads;
    int reserved = 0;
};

struct timer_state {
    std::shared_ptr<mailbox> box;
    time_us first_us;
    time_us period_us;
    std::int64_t token;
    std::uint64_t fired = 0;
    event_id pending = 0;
};

}  // namespace

struct world::state {
    explicit state(world_options o) : options(o), rng(o.seed) {}

    world_options options;
    mutable std::mutex mutex;
    std::condition_variable driver_cv;
    scheduler sched;
    std::mt19937_64 rng;
    std::vector<device_state> devices;
    int active = 0;    // running device threads, reservations included, and those in `ready`
    std::deque<participant*> ready;  // virtual time: woken threads waiting for their turn
    int attached = 0;  // device threads, reservations included
    int outside = 0;   // device threads blocked outside the world (real I/O)
    // While some are, virtual time runs at the wall clock's pace from this point on.
    time_us outside_base_us = 0;
    steady::time_point outside_base_wall{};
    bool advancing = false;
    bool halted_all = false;
    // The first exception an event threw: run() stops and throws it (an emulator bug must
    // surface, never leave the clock stuck).
    std::exception_ptr event_error;
    bool running = false;
    time_us limit_us = 0;
    steady::time_point real_zero{};  // the wall time of emulated 0 while running in real time
    std::unordered_map<timer_id, timer_state> timers;
    timer_id last_timer = 0;

    std::mutex log_mutex;
    std::ofstream log_file;
    bool keep_log = false;
    std::vector<std::string> log_lines;

    /// Virtual time while a thread waits on real I/O: how far the clock may have come.
    time_us paced_limit_locked() const {
        const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - outside_base_wall).count();
        return outside_base_us + wall;
    }

    time_us now_locked() const {
        if (options.mode == time_mode::real && running) {
            const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - real_zero).count();
            return std::clamp<time_us>(wall, sched.now_us(), limit_us);
        }
        return sched.now_us();
    }

    device_state& device(device_id dev) {
        if (dev >= devices.size()) {
            throw std::out_of_range("no such device in this world");
        }
        return devices[dev];
    }
};

namespace {

struct current_thread {
    const world::state* owner = nullptr;
    std::shared_ptr<participant> self;
};
thread_local current_thread tl_current;

participant& current_participant(const world::state& s) {
    if (tl_current.owner != &s || !tl_current.self) {
        throw std::logic_error("only a device thread of this world can wait on it");
    }
    return *tl_current.self;
}

/// Device threads that run now (not waiting, not held in `ready`).
int executing_locked(const world::state& s) { return s.active - static_cast<int>(s.ready.size()); }

/// Lets the longest-held woken thread run once no other device thread runs.
void release_next_locked(world::state& s) {
    if (s.ready.empty() || executing_locked(s) > 0) {
        return;
    }
    participant* next = s.ready.front();
    s.ready.pop_front();
    next->released = true;
    next->cv.notify_one();
}

void wake_locked(world::state& s, participant& p, wait_status status) {
    if (!p.waiting || p.woken) {
        return;
    }
    p.woken = true;
    p.status = status;
    // Virtual time: hold it while another thread runs (one thread at a time, in wake order).
    p.released = s.options.mode != time_mode::virtual_time || executing_locked(s) == 0;
    ++s.active;
    if (!p.released) {
        s.ready.push_back(&p);
    }
    if (p.wake_event != 0) {
        s.sched.cancel(p.wake_event);
        p.wake_event = 0;
    }
    if (p.waiting_on != nullptr) {
        auto& waiters = p.waiting_on->waiters;
        waiters.erase(std::remove_if(waiters.begin(), waiters.end(), [&](const auto& w) { return w.get() == &p; }),
                      waiters.end());
        p.waiting_on = nullptr;
    }
    p.cv.notify_one();
}

/// Pops the next event and runs it without the lock. The action is destroyed before the lock
/// is taken again: it may own the last reference to a mailbox, whose destructor locks.
void run_next_unlocked(std::unique_lock<std::mutex>& lock, world::state& s) {
    auto fn = s.sched.pop_next();
    lock.unlock();
    std::exception_ptr error;
    try {
        fn();
    } catch (...) {
        error = std::current_exception();
    }
    fn = nullptr;
    lock.lock();
    if (error && !s.event_error) {
        s.event_error = error;
        s.driver_cv.notify_all();
    }
}

/// Virtual time: while no device thread runs, run the due events (one thread at a time), but
/// only while run() runs: between runs the world is paused. Returns true if it stopped because
/// the wall clock reached `budget_end` (so run() can ask its interrupt check).
bool advance_locked(std::unique_lock<std::mutex>& lock, world::state& s,
                    steady::time_point budget_end = steady::time_point::max()) {
    if (s.options.mode != time_mode::virtual_time || s.advancing) {
        return false;
    }
    const bool budgeted = budget_end != steady::time_point::max();
    bool out_of_budget = false;
    s.advancing = true;
    while (s.active == 0 && !s.halted_all && s.running && !s.event_error) {
        const auto next = s.sched.next_time();
        if (!next || *next > s.limit_us || (s.outside > 0 && *next > s.paced_limit_locked())) {
            break;
        }
        if (budgeted && steady::now() >= budget_end) {
            out_of_budget = true;
            break;
        }
        run_next_unlocked(lock, s);
    }
    s.advancing = false;
    if (s.active == 0) {
        s.driver_cv.notify_all();
    }
    return out_of_budget;
}

/// An event that ends wait `seq` of `p` with `status`, if that wait is still on.
std::function<void()> wake_event(world::state& s, const std::shared_ptr<participant>& p, wait_status status) {
    return [&s, p, seq = p->wait_seq, status] {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (p->wait_seq == seq) {
            p->wake_event = 0;
            wake_locked(s, *p, status);
        }
    };
}

/// Blocks the calling device thread until something wakes it.
wait_status block_locked(std::unique_lock<std::mutex>& lock, world::state& s, participant& p) {
    p.waiting = true;
    p.woken = false;
    p.released = false;
    --s.active;
    release_next_locked(s);  // a woken thread runs before any further event
    advance_locked(lock, s);
    if (s.active == 0) {
        s.driver_cv.notify_all();
    }
    while (!(p.woken && p.released)) {
        if (!p.woken) {
            p.cv.wait(lock);
        } else if (p.cv.wait_for(lock, ready_fallback) == std::cv_status::timeout && !p.released) {
            s.ready.erase(std::remove(s.ready.begin(), s.ready.end(), &p), s.ready.end());
            p.released = true;  // the running thread does not come back to the world: run anyway
        }
    }
    p.waiting = false;
    return p.status;
}

void fire_timer(world::state& s, timer_id id);

void schedule_timer_locked(world::state& s, timer_id id, timer_state& t) {
    const time_us at = t.first_us + static_cast<time_us>(t.fired) * t.period_us;
    t.pending = s.sched.schedule(at, [&s, id] { fire_timer(s, id); });
    s.driver_cv.notify_all();
}

void fire_timer(world::state& s, timer_id id) {
    std::shared_ptr<mailbox> box;
    std::int64_t token = 0;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        auto it = s.timers.find(id);
        if (it == s.timers.end()) {
            return;
        }
        timer_state& t = it->second;
        box = t.box;
        token = t.token;
        ++t.fired;
        if (t.period_us > 0) {
            schedule_timer_locked(s, id, t);
        } else {
            s.timers.erase(it);
        }
    }
    (void)box->post(token);  // a full IRQ queue drops the tick, as the firmware's does
}

}  // namespace

// --- world ---------------------------------------------------------------------------------

world::world(world_options options) : state_(std::make_shared<state>(options)) {}

world::~world() {
    halt();
    // Timers and pending events may own mailboxes, which own the state: drop them so the
    // state is freed, after the lock, since a mailbox's destructor takes it.
    std::unordered_map<timer_id, timer_state> timers;
    scheduler events;
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        timers.swap(state_->timers);
        events = std::exchange(state_->sched, scheduler{});
    }
}

time_mode world::mode() const noexcept { return state_->options.mode; }
std::uint64_t world::seed() const noexcept { return state_->options.seed; }

time_us world::now_us() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->now_locked();
}

event_id world::schedule_at(time_us at_us, std::function<void()> fn) {
    if (!fn) {
        throw std::invalid_argument("schedule_at needs a function");  // running it would wedge the world
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    const event_id id = state_->sched.schedule(std::max(at_us, state_->now_locked()), std::move(fn));
    state_->driver_cv.notify_all();
    return id;
}

event_id world::schedule_after(time_us delay_us, std::function<void()> fn) {
    if (!fn) {
        throw std::invalid_argument("schedule_after needs a function");
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    const event_id id = state_->sched.schedule(state_->now_locked() + std::max<time_us>(delay_us, 0), std::move(fn));
    state_->driver_cv.notify_all();
    return id;
}

bool world::cancel(event_id id) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->sched.cancel(id);
}

timer_id world::start_timer(std::shared_ptr<mailbox> box, time_us delay_us, time_us period_us, std::int64_t token) {
    if (!box) {
        throw std::invalid_argument("start_timer needs a mailbox");
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    const timer_id id = ++state_->last_timer;
    timer_state t{std::move(box), state_->now_locked() + std::max<time_us>(delay_us, 0), std::max<time_us>(period_us, 0),
                  token};
    auto& stored = state_->timers.emplace(id, std::move(t)).first->second;
    schedule_timer_locked(*state_, id, stored);
    return id;
}

bool world::stop_timer(timer_id id) {
    std::shared_ptr<mailbox> box;  // released after the lock: it may be the last reference
    std::lock_guard<std::mutex> lock(state_->mutex);
    auto it = state_->timers.find(id);
    if (it == state_->timers.end()) {
        return false;
    }
    state_->sched.cancel(it->second.pending);
    box = std::move(it->second.box);
    state_->timers.erase(it);
    return true;
}

std::uint64_t world::random_u64() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->rng();
}

device_id world::add_device() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->devices.emplace_back();
    return static_cast<device_id>(state_->devices.size() - 1);
}

void world::halt_device(device_id dev) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    device_state& d = state_->device(dev);
    d.halted->store(true);
    for (const auto& p : d.threads) {
        wake_locked(*state_, *p, wait_status::halted);
    }
}

void world::resume_device(device_id dev) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (!state_->halted_all) {
        state_->device(dev).halted->store(false);
    }
}

bool world::device_halted(device_id dev) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (dev >= state_->devices.size()) {
        throw std::out_of_range("no such device in this world");
    }
    return state_->devices[dev].halted->load();
}

std::shared_ptr<const std::atomic<bool>> world::halt_flag(device_id dev) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (dev >= state_->devices.size()) {
        throw std::out_of_range("no such device in this world");
    }
    return state_->devices[dev].halted;
}

void world::reserve_thread(device_id dev) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    ++state_->device(dev).reserved;
    ++state_->active;
    ++state_->attached;
}

void world::cancel_reservation(device_id dev) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    device_state& d = state_->device(dev);
    if (d.reserved == 0) {
        throw std::logic_error("no thread reservation to cancel");
    }
    --d.reserved;
    --state_->active;
    --state_->attached;
    release_next_locked(*state_);
    advance_locked(lock, *state_);
    state_->driver_cv.notify_all();
}

void world::attach_thread(device_id dev) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (tl_current.self) {
        throw std::logic_error("this thread is already a device thread");
    }
    device_state& d = state_->device(dev);
    if (d.reserved > 0) {
        --d.reserved;
    } else {
        ++state_->active;
        ++state_->attached;
    }
    auto p = std::make_shared<participant>();
    p->dev = dev;
    d.threads.push_back(p);
    tl_current = current_thread{state_.get(), std::move(p)};
}

void world::detach_thread() {
    std::unique_lock<std::mutex> lock(state_->mutex);
    participant& p = current_participant(*state_);
    auto& threads = state_->devices[p.dev].threads;
    threads.erase(std::remove(threads.begin(), threads.end(), tl_current.self), threads.end());
    tl_current = current_thread{};
    --state_->active;
    --state_->attached;
    release_next_locked(*state_);
    advance_locked(lock, *state_);
    state_->driver_cv.notify_all();
}

std::optional<device_id> world::current_device() const {
    if (tl_current.owner != state_.get() || !tl_current.self) {
        return std::nullopt;
    }
    return tl_current.self->dev;
}

wait_status world::sleep_until(time_us at_us) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    participant& p = current_participant(*state_);
    if (state_->devices[p.dev].halted->load()) {
        return wait_status::halted;
    }
    ++p.wait_seq;
    p.wake_event = state_->sched.schedule(std::max(at_us, state_->now_locked()),
                                          wake_event(*state_, tl_current.self, wait_status::ready));
    state_->driver_cv.notify_all();
    return block_locked(lock, *state_, p);
}

std::function<void(bool)> world::outside_wait_hook() const {
    return [weak = std::weak_ptr<state>(state_)](bool begins) {
        const auto s = weak.lock();
        if (!s || tl_current.owner != s.get() || !tl_current.self) {
            return;  // not a device thread of this world (or the world is gone)
        }
        std::unique_lock<std::mutex> lock(s->mutex);
        participant& p = *tl_current.self;
        if (begins == p.waiting_outside) {
            return;
        }
        p.waiting_outside = begins;
        if (begins) {
            --s->active;
            if (s->outside++ == 0) {
                s->outside_base_us = s->sched.now_us();
                s->outside_base_wall = steady::now();
            }
            release_next_locked(*s);
            advance_locked(lock, *s);  // what is due now runs while this thread blocks
        } else {
            ++s->active;
            --s->outside;
        }
        s->driver_cv.notify_all();
    };
}

wait_status world::sleep_for(time_us duration_us) { return sleep_until(now_us() + std::max<time_us>(duration_us, 0)); }

run_status world::run(std::optional<time_us> until_us, const std::function<bool()>& interrupted) {
    state& s = *state_;
    std::unique_lock<std::mutex> lock(s.mutex);
    if (s.running) {
        throw std::logic_error("the world is already running");
    }
    const time_us start = s.sched.now_us();
    s.limit_us = until_us ? std::max(*until_us, start) : no_limit;
    s.running = true;
    s.real_zero = steady::now() - std::chrono::microseconds(start);
    const bool real = s.options.mode == time_mode::real;
    auto finish = [&](run_status status) {
        if (real) {
            s.sched.advance_to(s.now_locked());
        }
        s.running = false;
        if (s.event_error) {
            std::rethrow_exception(std::exchange(s.event_error, nullptr));
        }
        return status;
    };

    for (;;) {
        if (s.event_error) {
            return finish(run_status::halted);  // throws it
        }
        if (s.halted_all) {
            return finish(run_status::halted);
        }
        if (real) {
            const time_us now = s.now_locked();
            for (auto next = s.sched.next_time(); next && *next <= now && !s.halted_all && !s.event_error;
                 next = s.sched.next_time()) {
                run_next_unlocked(lock, s);
            }
            if (s.halted_all) {  // an event's thread called halt()
                return finish(run_status::halted);
            }
            if (now >= s.limit_us) {
                return finish(run_status::until_reached);
            }
        } else if (advance_locked(lock, s, steady::now() + interrupt_poll_interval)) {
            // Events kept the clock busy for a whole poll interval: ask the check now.
            if (interrupted) {
                lock.unlock();
                const bool stop = interrupted();
                lock.lock();
                if (stop) {
                    return finish(run_status::interrupted);
                }
            }
            continue;
        }
        if (s.halted_all) {  // halt() while the events ran: it wins over idle and until_reached
            return finish(run_status::halted);
        }
        if (!real && s.active == 0 && s.outside > 0 && !s.advancing && s.paced_limit_locked() >= s.limit_us) {
            // Paced by a wait on real I/O up to the limit; what is due by then runs first.
            const auto next = s.sched.next_time();
            if (!next || *next > s.limit_us) {
                s.sched.advance_to(s.limit_us);
                return finish(run_status::until_reached);
            }
            continue;
        }
        if (s.active == 0 && s.outside == 0 && !s.advancing) {
            const auto next = s.sched.next_time();
            if (!next) {
                return finish(run_status::idle);
            }
            if (!real && *next > s.limit_us) {
                s.sched.advance_to(s.limit_us);
                return finish(run_status::until_reached);
            }
        }
        auto wake_at = steady::now() + interrupt_poll_interval;
        if (!real && s.outside > 0) {  // wake when the paced clock reaches the next event
            const time_us target = std::min(s.sched.next_time().value_or(no_limit), s.limit_us);
            if (target != no_limit) {
                wake_at = std::min(wake_at, s.outside_base_wall + std::chrono::microseconds(target - s.outside_base_us));
            }
        }
        if (real) {
            const auto next = s.sched.next_time();
            const time_us target = std::min(next.value_or(no_limit), s.limit_us);
            if (target != no_limit) {
                wake_at = std::min(wake_at, s.real_zero + std::chrono::microseconds(target));
            }
        }
        s.driver_cv.wait_until(lock, wake_at);
        if (interrupted) {
            lock.unlock();
            const bool stop = interrupted();
            lock.lock();
            if (stop) {
                return finish(run_status::interrupted);
            }
        }
    }
}

void world::halt() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->halted_all = true;
    for (auto& d : state_->devices) {
        d.halted->store(true);
        for (const auto& p : d.threads) {
            wake_locked(*state_, *p, wait_status::halted);
        }
    }
    state_->driver_cv.notify_all();
}

// --- event log -------------------------------------------------------------------------------

void world::open_log(const std::string& path) {
    std::lock_guard<std::mutex> lock(state_->log_mutex);
    state_->log_file = std::ofstream(path, std::ios::out | std::ios::trunc);
    if (!state_->log_file) {
        throw std::runtime_error("cannot write the event log " + path);
    }
}

void world::keep_log_in_memory(bool keep) {
    std::lock_guard<std::mutex> lock(state_->log_mutex);
    state_->keep_log = keep;
}

std::vector<std::string> world::logged_lines() const {
    std::lock_guard<std::mutex> lock(state_->log_mutex);
    return state_->log_lines;
}

bool world::logging() const {
    std::lock_guard<std::mutex> lock(state_->log_mutex);
    return state_->log_file.is_open() || state_->keep_log;
}

void world::log(std::string_view event, std::string_view device, const log_fields& fields) {
    const time_us t = now_us();
    std::lock_guard<std::mutex> lock(state_->log_mutex);
    if (!state_->log_file.is_open() && !state_->keep_log) {
        return;
    }
    std::string line = format_log_line(t, event, device, fields);
    if (state_->log_file.is_open()) {
        state_->log_file << line << '\n';
        state_->log_file.flush();
    }
    if (state_->keep_log) {
        state_->log_lines.push_back(std::move(line));
    }
}

// --- mailbox ---------------------------------------------------------------------------------

mailbox::mailbox(world& w, std::size_t capacity)
    : world_(w.state_), capacity_(capacity), waiting_(std::make_unique<waiting>()) {}

mailbox::~mailbox() {
    std::lock_guard<std::mutex> lock(world_->mutex);
    while (!waiting_->waiters.empty()) {
        const auto p = waiting_->waiters.front();
        wake_locked(*world_, *p, wait_status::halted);
    }
}

bool mailbox::post(std::int64_t token) {
    std::lock_guard<std::mutex> lock(world_->mutex);
    if (!waiting_->waiters.empty()) {
        const auto p = waiting_->waiters.front();
        p->token = token;
        wake_locked(*world_, *p, wait_status::ready);
        return true;
    }
    if (waiting_->tokens.size() >= capacity_) {
        return false;
    }
    waiting_->tokens.push_back(token);
    return true;
}

std::optional<std::int64_t> mailbox::try_take() {
    std::lock_guard<std::mutex> lock(world_->mutex);
    if (waiting_->tokens.empty()) {
        return std::nullopt;
    }
    const std::int64_t token = waiting_->tokens.front();
    waiting_->tokens.pop_front();
    return token;
}

wait_status mailbox::take(std::optional<time_us> deadline_us, std::int64_t& token) {
    world::state& s = *world_;
    std::unique_lock<std::mutex> lock(s.mutex);
    participant& p = current_participant(s);
    if (s.devices[p.dev].halted->load()) {
        return wait_status::halted;
    }
    if (!waiting_->tokens.empty()) {
        token = waiting_->tokens.front();
        waiting_->tokens.pop_front();
        return wait_status::ready;
    }
    if (deadline_us && *deadline_us <= s.now_locked()) {
        return wait_status::timed_out;
    }
    ++p.wait_seq;
    p.waiting_on = waiting_.get();
    waiting_->waiters.push_back(tl_current.self);
    if (deadline_us) {
        p.wake_event = s.sched.schedule(*deadline_us, wake_event(s, tl_current.self, wait_status::timed_out));
        s.driver_cv.notify_all();
    }
    const wait_status status = block_locked(lock, s, p);
    if (status == wait_status::ready) {
        token = p.token;
    }
    return status;
}

std::size_t mailbox::size() const {
    std::lock_guard<std::mutex> lock(world_->mutex);
    return waiting_->tokens.size();
}

// --- signal ----------------------------------------------------------------------------------

signal::signal(world& w) : world_(w.state_), waiting_(std::make_unique<mailbox::waiting>()) {}

signal::~signal() {
    std::lock_guard<std::mutex> lock(world_->mutex);
    while (!waiting_->waiters.empty()) {
        const auto p = waiting_->waiters.front();
        wake_locked(*world_, *p, wait_status::halted);
    }
}

std::uint64_t signal::generation() const {
    std::lock_guard<std::mutex> lock(world_->mutex);
    return generation_;
}

void signal::notify_all() {
    std::lock_guard<std::mutex> lock(world_->mutex);
    ++generation_;
    while (!waiting_->waiters.empty()) {
        const auto p = waiting_->waiters.front();
        wake_locked(*world_, *p, wait_status::ready);
    }
}

wait_status signal::wait(std::uint64_t seen, std::optional<time_us> deadline_us) {
    world::state& s = *world_;
    std::unique_lock<std::mutex> lock(s.mutex);
    participant& p = current_participant(s);
    if (s.devices[p.dev].halted->load()) {
        return wait_status::halted;
    }
    if (generation_ != seen) {
        return wait_status::ready;
    }
    if (deadline_us && *deadline_us <= s.now_locked()) {
        return wait_status::timed_out;
    }
    ++p.wait_seq;
    p.waiting_on = waiting_.get();
    waiting_->waiters.push_back(tl_current.self);
    if (deadline_us) {
        p.wake_event = s.sched.schedule(*deadline_us, wake_event(s, tl_current.self, wait_status::timed_out));
        s.driver_cv.notify_all();
    }
    return block_locked(lock, s, p);
}

}  // namespace usocket::sim
