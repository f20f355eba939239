// usocket/sim/world.hpp: one emulated world: its clock, its event scheduler, the threads of
// its devices and the waits they make.
//
// Time is an integer in microseconds owned by the world. In virtual time the clock jumps to
// the next event as soon as every device thread waits on the world (sleeping, a timer, a
// mailbox); a thread that computes holds the clock. While a thread waits outside the world
// (real TCP/UDP I/O, announced with outside_wait_hook()), virtual time runs at the wall
// clock's pace: what the I/O waits for may take real time, and other threads and devices
// (a client device that sleeps a second, then connects) keep going meanwhile. In real time the clock follows the wall clock while run() runs. Either way the
// clock only moves while run() lets it: between run() calls the world is paused.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "usocket/sim/event_log.hpp"
#include "usocket/sim/scheduler.hpp"

namespace usocket::sim {

enum class time_mode { real, virtual_time };

struct world_options {
    time_mode mode = time_mode::virtual_time;
    /// Seeds the world's random generator: the same seed gives the same world.
    std::uint64_t seed = 0;
};

/// How a wait ended.
enum class wait_status {
    ready,      ///< what was waited for happened
    timed_out,  ///< the deadline passed first
    halted,     ///< the device (or the world) was halted: unwind
};

/// Why run() returned.
enum class run_status {
    until_reached,  ///< the clock reached the requested time
    idle,           ///< no event is pending and no device thread runs: nothing can happen
    interrupted,    ///< the interrupt check asked to stop (Ctrl-C)
    halted,         ///< halt() was called
};

/// A device of the world; threads and waits belong to one.
using device_id = std::uint32_t;
/// A timer started with start_timer().
using timer_id = std::uint64_t;

class mailbox;
class signal;

class world {
public:
    explicit world(world_options options = {});
    ~world();
    world(const world&) = delete;
    world& operator=(const world&) = delete;

    time_mode mode() const noexcept;
    std::uint64_t seed() const noexcept;

    /// The emulated time now.
    time_us now_us() const;

    /// Schedules `fn` (run without the world's lock held) at an emulated time.
    event_id schedule_at(time_us at_us, std::function<void()> fn);
    event_id schedule_after(time_us delay_us, std::function<void()> fn);
    /// False if the event already ran or was cancelled.
    bool cancel(event_id id);

    /// Posts `token` into `box` after `delay_us`, then every `period_us` if it is positive
    /// (at start + k * period, so a periodic timer does not drift). A full mailbox drops it.
    timer_id start_timer(std::shared_ptr<mailbox> box, time_us delay_us, time_us period_us, std::int64_t token);
    /// False if the timer already fired (one-shot) or was stopped.
    bool stop_timer(timer_id id);

    /// The next number of the world's seeded generator.
    std::uint64_t random_u64();

    // --- devices and their threads --------------------------------------------------

    device_id add_device();
    /// Wakes every wait of the device's threads with wait_status::halted; until
    /// resume_device(), its waits return halted at once.
    void halt_device(device_id dev);
    void resume_device(device_id dev);
    bool device_halted(device_id dev) const;
    /// A flag that is true while the device is halted, for checks that must not lock.
    std::shared_ptr<const std::atomic<bool>> halt_flag(device_id dev) const;

    /// Counts a thread that is about to start as running, so the clock cannot move before
    /// it attaches. Its attach_thread() consumes the reservation.
    void reserve_thread(device_id dev);
    /// Undoes reserve_thread() when the thread could not be started.
    void cancel_reservation(device_id dev);
    /// Makes the calling thread one of the device's threads: it holds the clock whenever it
    /// is not waiting on the world.
    void attach_thread(device_id dev);
    /// The calling thread stops being a device thread.
    void detach_thread();
    /// The device of the calling thread, if it is attached to this world.
    std::optional<device_id> current_device() const;

    // --- waits (device threads only) -----------------------------------------------

    wait_status sleep_until(time_us at_us);
    wait_status sleep_for(time_us duration_us);

    /// A hook for blocking calls outside the world (real TCP/UDP I/O): hook(true) before the
    /// calling thread blocks, hook(false) after. While a device thread of this world blocks
    /// so, virtual time advances no faster than the wall clock, and other threads go on (a
    /// server device's accept() does not stop its client device). On any other thread the
    /// hook does nothing. It holds the world's state weakly, so it may outlive the world.
    std::function<void(bool)> outside_wait_hook() const;

    // --- running ---------------------------------------------------------------------

    /// Lets the clock run until `until_us` (or for ever), until nothing can happen any more,
    /// or until `interrupted` (asked at least every 50 ms, without the world's lock) says so.
    run_status run(std::optional<time_us> until_us, const std::function<bool()>& interrupted = {});
    /// Halts every device and makes run() return.
    void halt();

    // --- event log -------------------------------------------------------------------

    /// Appends one JSON object per event to `path` (truncated first).
    void open_log(const std::string& path);
    /// Also keeps every logged line in memory (for tests).
    void keep_log_in_memory(bool keep);
    std::vector<std::string> logged_lines() const;
    /// True when log() writes anywhere: callers skip building fields otherwise.
    bool logging() const;
    /// Logs an event at the current emulated time.
    void log(std::string_view event, std::string_view device, const log_fields& fields = {});

    struct state;  // shared with mailbox

private:
    std::shared_ptr<state> state_;
    friend class mailbox;
    friend class signal;
};

/// A bounded queue of integer tokens that device threads wait on: IRQ queues, locks.
class mailbox {
public:
    mailbox(world& w, std::size_t capacity);
    ~mailbox();
    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;

    /// Hands `token` to the longest-waiting thread, or queues it; false if the queue is full.
    bool post(std::int64_t token);
    /// Takes a token without waiting.
    std::optional<std::int64_t> try_take();
    /// Waits for a token until `deadline_us` (none: for ever). Device threads only.
    wait_status take(std::optional<time_us> deadline_us, std::int64_t& token);

    std::size_t size() const;
    std::size_t capacity() const noexcept { return capacity_; }

    struct waiting;

private:
    std::shared_ptr<world::state> world_;
    std::size_t capacity_;
    std::unique_ptr<waiting> waiting_;
};

/// A condition device threads wait on: wait() returns once notify_all() was called after
/// the generation the caller saw, so a notification between checking a condition and
/// waiting is never lost. The condition itself lives with the caller (a radio's queues).
class signal {
public:
    explicit signal(world& w);
    ~signal();
    signal(const signal&) = delete;
    signal& operator=(const signal&) = delete;

    /// Read before checking the condition; pass to wait().
    std::uint64_t generation() const;
    /// Wakes every waiter and starts a new generation. Any thread, or an event.
    void notify_all();
    /// Waits until the generation moves past `seen` or `deadline_us` passes (none: for
    /// ever). Device threads only.
    wait_status wait(std::uint64_t seen, std::optional<time_us> deadline_us);

private:
    std::shared_ptr<world::state> world_;
    std::uint64_t generation_ = 0;  // guarded by the world's lock
    std::unique_ptr<mailbox::waiting> waiting_;
};

}  // namespace usocket::sim
