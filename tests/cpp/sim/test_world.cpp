// tests/cpp/sim/test_world.cpp: the emulated world: clock, device threads, waits, mailboxes,
// timers, halting, real time, seeds and the event log.
//
// Catch2 v2 assertions are not thread-safe, so device threads only record what they see (under
// a mutex); the test thread checks it after run() returned or the threads were joined.
#include "usocket/sim/world.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

#include "usocket/sim/event_log.hpp"

namespace sim = usocket::sim;
using sim::device_id;
using sim::mailbox;
using sim::run_status;
using sim::time_us;
using sim::wait_status;
using sim::world;

namespace Catch {

template <>
struct StringMaker<wait_status> {
    static std::string convert(wait_status s) {
        switch (s) {
        case wait_status::ready: return "ready";
        case wait_status::timed_out: return "timed_out";
        case wait_status::halted: return "halted";
        }
        return "?";
    }
};

template <>
struct StringMaker<run_status> {
    static std::string convert(run_status s) {
        switch (s) {
        case run_status::until_reached: return "until_reached";
        case run_status::idle: return "idle";
        case run_status::interrupted: return "interrupted";
        case run_status::halted: return "halted";
        }
        return "?";
    }
};

}  // namespace Catch

namespace {

using wall = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// A vector that several threads append to.
template <typename T>
class recorder {
public:
    void push(T value) {
        std::lock_guard<std::mutex> lock(mutex_);
        values_.push_back(std::move(value));
    }
    std::vector<T> values() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return values_;
    }
    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return values_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<T> values_;
};

/// The device threads of one test. spawn() reserves the thread before starting it, so the
/// clock cannot move before it attaches; the body runs attached and the thread detaches after
/// it. If the test ends early (a failed REQUIRE), the destructor halts the world so every
/// wait returns and the threads can be joined. Declare it after the world.
class device_threads {
public:
    explicit device_threads(world& w) : w_(w) {}
    ~device_threads() {
        if (!joined_) {
            w_.halt();
        }
        join();
    }
    device_threads(const device_threads&) = delete;
    device_threads& operator=(const device_threads&) = delete;

    /// Starts a thread of `dev` running `body`; safe to call from a device thread too.
    void spawn(device_id dev, std::function<void()> body) {
        w_.reserve_thread(dev);
        std::lock_guard<std::mutex> lock(mutex_);
        threads_.emplace_back([this, dev, body = std::move(body)] {
            w_.attach_thread(dev);
            try {
                body();
            } catch (...) {
                std::lock_guard<std::mutex> elock(mutex_);
                errors_.push_back(std::current_exception());
            }
            w_.detach_thread();
        });
    }

    /// Joins every thread, those spawned by other threads included.
    void join() {
        for (;;) {
            std::thread t;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                auto it = std::find_if(threads_.begin(), threads_.end(), [](const std::thread& x) { return x.joinable(); });
                if (it == threads_.end()) {
                    break;
                }
                t = std::move(*it);
            }
            t.join();
        }
        joined_ = true;
    }

    /// Rethrows the first exception a body threw (call after join()).
    void rethrow() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!errors_.empty()) {
            std::rethrow_exception(errors_.front());
        }
    }

private:
    world& w_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
    std::vector<std::exception_ptr> errors_;
    bool joined_ = false;
};

/// A temporary file name, removed at the end of the test.
class temp_path {
public:
    temp_path() {
        static std::atomic<int> counter{0};
        path_ = "/tmp/usocket_world_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".jsonl";
    }
    ~temp_path() { std::remove(path_.c_str()); }
    temp_path(const temp_path&) = delete;
    temp_path& operator=(const temp_path&) = delete;
    const std::string& str() const { return path_; }

private:
    std::string path_;
};

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

/// Runs `run` on another thread so the test can check on the world meanwhile.
std::future<run_status> run_async(world& w, std::optional<time_us> until = std::nullopt,
                                  std::function<bool()> interrupted = {}) {
    return std::async(std::launch::async, [&w, until, interrupted = std::move(interrupted)] {
        return w.run(until, interrupted);
    });
}

/// Waits for a future with a generous bound; on time-out halts the world so the test fails
/// instead of hanging.
run_status get_bounded(world& w, std::future<run_status>& f, std::chrono::seconds bound = std::chrono::seconds(10)) {
    if (f.wait_for(bound) != std::future_status::ready) {
        w.halt();
        FAIL_CHECK("run() did not return in time");
    }
    return f.get();
}

using timed = std::pair<time_us, wait_status>;

}  // namespace

// --- clock and sleeping ---------------------------------------------------------------------

TEST_CASE("world: a new world is paused at time 0 with its options", "[radio_sim][world]") {
    world w({sim::time_mode::virtual_time, 77});
    CHECK(w.now_us() == 0);
    CHECK(w.mode() == sim::time_mode::virtual_time);
    CHECK(w.seed() == 77);
    CHECK_FALSE(w.current_device().has_value());
    CHECK(w.add_device() == 0);
    CHECK(w.add_device() == 1);
    CHECK_FALSE(w.device_halted(0));
    CHECK_THROWS_AS(w.device_halted(2), std::out_of_range);
    CHECK_THROWS_AS(w.halt_flag(2), std::out_of_range);
    CHECK_THROWS_AS(w.halt_device(2), std::out_of_range);
    CHECK_THROWS_AS(w.reserve_thread(2), std::out_of_range);

    world real({sim::time_mode::real, 0});
    CHECK(real.mode() == sim::time_mode::real);
    CHECK(real.now_us() == 0);
}

TEST_CASE("world: run with nothing to do returns idle at once", "[radio_sim][world]") {
    world w;
    CHECK(w.run(std::nullopt) == run_status::idle);
    CHECK(w.now_us() == 0);
    w.add_device();
    CHECK(w.run(std::nullopt) == run_status::idle);
    CHECK(w.now_us() == 0);
}

TEST_CASE("world: an event that throws stops run(), which throws it; the world goes on after", "[radio_sim][world]") {
    // A resource test finding: an exception from an event left the clock stuck and run() hung.
    world w(sim::world_options{sim::time_mode::virtual_time, 1});
    std::vector<time_us> ran;
    w.schedule_at(10, [&] { ran.push_back(w.now_us()); });
    w.schedule_at(20, [] { throw std::logic_error("an emulator bug"); });
    w.schedule_at(30, [&] { ran.push_back(w.now_us()); });
    CHECK_THROWS_WITH(w.run(std::nullopt), "an emulator bug");
    CHECK(ran == std::vector<time_us>{10});
    CHECK(w.now_us() == 20);
    CHECK(w.run(std::nullopt) == run_status::idle);  // not stuck: the next run goes on
    CHECK(ran == std::vector<time_us>{10, 30});
}

TEST_CASE("world: a lone device thread that sleeps moves the clock exactly", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    recorder<timed> seen;
    recorder<std::optional<device_id>> who;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        who.push(w.current_device());
        auto note = [&](wait_status s) { seen.push({w.now_us(), s}); };
        for (const time_us d : {1000, 2000, 3000, 4000, 5000}) {
            note(w.sleep_for(d));
        }
        note(w.sleep_until(20000));
        note(w.sleep_until(5));     // the past: wakes at once, now stays
        note(w.sleep_for(0));       // no time
        note(w.sleep_for(-100));    // negative: no time
        note(w.sleep_until(20001));
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<timed> expected{
        {1000, wait_status::ready},  {3000, wait_status::ready},  {6000, wait_status::ready},
        {10000, wait_status::ready}, {15000, wait_status::ready}, {20000, wait_status::ready},
        {20000, wait_status::ready}, {20000, wait_status::ready}, {20000, wait_status::ready},
        {20001, wait_status::ready},
    };
    CHECK(seen.values() == expected);
    CHECK(who.values() == std::vector<std::optional<device_id>>{dev});
    CHECK(w.now_us() == 20001);
    CHECK_FALSE(w.current_device().has_value());
}

TEST_CASE("world: run(until) stops the clock at until and a later run continues", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    recorder<time_us> woke;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        for (int i = 0; i < 10; ++i) {
            if (w.sleep_for(1000) != wait_status::ready) {
                return;
            }
            woke.push(w.now_us());
        }
    });

    CHECK(w.run(2500) == run_status::until_reached);
    CHECK(w.now_us() == 2500);
    CHECK(woke.values() == std::vector<time_us>{1000, 2000});

    // Paused: nothing moves between runs.
    CHECK(w.now_us() == 2500);
    CHECK(woke.size() == 2);

    // The same limit again, or one in the past: returns at once, the clock stays.
    CHECK(w.run(2500) == run_status::until_reached);
    CHECK(w.now_us() == 2500);
    CHECK(w.run(100) == run_status::until_reached);
    CHECK(w.now_us() == 2500);

    // An event exactly at the limit runs.
    CHECK(w.run(3000) == run_status::until_reached);
    CHECK(w.now_us() == 3000);
    CHECK(woke.values() == std::vector<time_us>{1000, 2000, 3000});

    CHECK(w.run(7777) == run_status::until_reached);
    CHECK(w.now_us() == 7777);
    CHECK(woke.values() == std::vector<time_us>{1000, 2000, 3000, 4000, 5000, 6000, 7000});

    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    CHECK(w.now_us() == 10000);
    CHECK(woke.values() == std::vector<time_us>{1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000});
}

TEST_CASE("world: devices sleeping to the same instant wake in insertion order, one at a time",
          "[radio_sim][world]") {
    constexpr int n = 6;
    using entry = std::tuple<int, int, time_us>;  // round, thread, time
    std::vector<entry> first_order;
    for (int rep = 0; rep < 20; ++rep) {
        INFO("repetition " << rep);
        world w;
        recorder<entry> order;
        std::atomic<int> running{0};
        std::atomic<bool> overlap{false};
        device_threads threads(w);
        for (int i = 0; i < n; ++i) {
            const device_id dev = w.add_device();
            threads.spawn(dev, [&, i] {
                // Distinct first wake-ups fix the order in which the shared instant is booked,
                // whatever order the OS starts the threads in.
                if (w.sleep_until(i + 1) != wait_status::ready) {
                    return;
                }
                for (int round = 0; round < 3; ++round) {
                    if (w.sleep_until(1000 * (round + 1)) != wait_status::ready) {
                        return;
                    }
                    if (running.fetch_add(1) != 0) {
                        overlap = true;
                    }
                    order.push({round, i, w.now_us()});
                    std::this_thread::yield();  // give another thread a chance to run, wrongly
                    running.fetch_sub(1);
                }
            });
        }
        REQUIRE(w.run(std::nullopt) == run_status::idle);
        threads.join();
        threads.rethrow();
        CHECK_FALSE(overlap);
        std::vector<entry> expected;
        for (int round = 0; round < 3; ++round) {
            for (int i = 0; i < n; ++i) {
                expected.emplace_back(round, i, 1000 * (round + 1));
            }
        }
        const auto got = order.values();
        CHECK(got == expected);
        if (rep == 0) {
            first_order = got;
        }
        CHECK(got == first_order);
        CHECK(w.now_us() == 3000);
    }
}

TEST_CASE("world: a computing thread holds the clock", "[radio_sim][world]") {
    world w;
    const device_id computer = w.add_device();
    const device_id sleeper = w.add_device();
    std::atomic<bool> go{false};
    std::atomic<bool> sleeper_started{false};
    recorder<time_us> computer_saw;
    recorder<time_us> sleeper_woke;
    device_threads threads(w);
    threads.spawn(computer, [&] {
        computer_saw.push(w.now_us());
        while (!go.load()) {
            std::this_thread::yield();  // computes: never waits on the world
        }
        computer_saw.push(w.now_us());
        computer_saw.push(w.sleep_for(50) == wait_status::ready ? w.now_us() : -1);
    });
    threads.spawn(sleeper, [&] {
        sleeper_started = true;
        for (int i = 0; i < 10; ++i) {
            if (w.sleep_for(100) != wait_status::ready) {
                return;
            }
            sleeper_woke.push(w.now_us());
        }
    });
    auto ran = run_async(w);
    while (!sleeper_started.load()) {
        std::this_thread::yield();
    }
    // The sleeper waits on the world, the computer does not: for 30 ms of wall time the
    // clock must not move (this is the check, not a synchronisation).
    bool moved = false;
    const auto stop = wall::now() + milliseconds(30);
    while (wall::now() < stop) {
        moved = moved || w.now_us() != 0;
        std::this_thread::yield();
    }
    CHECK_FALSE(moved);
    CHECK(sleeper_woke.size() == 0);
    CHECK(ran.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    go = true;
    CHECK(get_bounded(w, ran) == run_status::idle);
    threads.join();
    threads.rethrow();
    CHECK(computer_saw.values() == std::vector<time_us>{0, 0, 50});
    CHECK(sleeper_woke.values() == std::vector<time_us>{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000});
    CHECK(w.now_us() == 1000);
}

TEST_CASE("world: a thread waiting outside the world paces virtual time at the wall clock", "[radio_sim][world]") {
    world w;
    const device_id io = w.add_device();
    const device_id sleeper = w.add_device();
    const auto hook = w.outside_wait_hook();
    std::promise<void> io_done;
    recorder<time_us> sleeper_woke;
    std::atomic<wall::rep> sleep_wall_ms{0};
    // Pacing counts from when the first thread began to wait outside, which is after this.
    const auto start = wall::now();
    device_threads threads(w);
    threads.spawn(io, [&] {
        hook(true);   // blocks on "real I/O": the other device's wait ends it
        io_done.get_future().wait();
        hook(false);
        hook(false);  // a second end is ignored
    });
    threads.spawn(sleeper, [&] {
        for (int i = 0; i < 3; ++i) {
            if (w.sleep_for(20'000) != wait_status::ready) {
                return;
            }
            sleeper_woke.push(w.now_us());
        }
        sleep_wall_ms = std::chrono::duration_cast<milliseconds>(wall::now() - start).count();
        io_done.set_value();
    });
    auto ran = run_async(w);
    CHECK(get_bounded(w, ran) == run_status::idle);
    threads.join();
    threads.rethrow();
    // The sleeper's 60 ms of emulated sleep took at least 60 ms of wall time: while the other
    // thread waited outside, the clock could not jump, yet it moved (no deadlock).
    CHECK(sleeper_woke.values() == std::vector<time_us>{20'000, 40'000, 60'000});
    CHECK(sleep_wall_ms.load() >= 60);
}

TEST_CASE("world: the outside-wait hook does nothing on a thread that is not a device thread", "[radio_sim][world]") {
    world w;
    auto hook = w.outside_wait_hook();
    hook(true);
    CHECK(w.run(std::nullopt) == run_status::idle);  // nothing counts as waiting outside
    hook(false);
    {
        world gone;
        auto stale = gone.outside_wait_hook();
        hook.swap(stale);
    }
    hook(true);  // the world is gone: the hook holds it weakly and does nothing
    hook(false);
}

TEST_CASE("world: a reserved thread keeps run() from going idle until it attaches", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    std::promise<void> gate;
    auto opened = gate.get_future();
    recorder<time_us> woke;
    w.reserve_thread(dev);
    std::thread late([&] {
        opened.wait();  // not yet attached: the reservation stands for it
        w.attach_thread(dev);
        if (w.sleep_for(100) == wait_status::ready) {
            woke.push(w.now_us());
        }
        w.detach_thread();
    });
    int polls = 0;
    const run_status status = w.run(std::nullopt, [&] {
        if (polls++ == 0) {
            gate.set_value();
        }
        return false;
    });
    late.join();
    CHECK(status == run_status::idle);
    CHECK(polls >= 1);  // run() had to wait for the thread, so it polled
    CHECK(woke.values() == std::vector<time_us>{100});
    CHECK(w.now_us() == 100);
}

TEST_CASE("world: cancel_reservation undoes reserve_thread", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    SECTION("before run") {
        w.reserve_thread(dev);
        w.cancel_reservation(dev);
        CHECK(w.run(std::nullopt) == run_status::idle);
    }
    SECTION("while run() waits for the thread") {
        w.reserve_thread(dev);
        w.reserve_thread(dev);
        int cancelled = 0;
        const run_status status = w.run(std::nullopt, [&] {
            if (cancelled < 2) {
                w.cancel_reservation(dev);  // the first poll cancels one, the second the other
                ++cancelled;
            }
            return false;
        });
        CHECK(status == run_status::idle);
        CHECK(cancelled == 2);
    }
    SECTION("without a reservation it throws") {
        CHECK_THROWS_AS(w.cancel_reservation(dev), std::logic_error);
        w.reserve_thread(dev);
        w.cancel_reservation(dev);
        CHECK_THROWS_AS(w.cancel_reservation(dev), std::logic_error);
        CHECK(w.run(std::nullopt) == run_status::idle);
    }
    SECTION("an unknown device throws") {
        CHECK_THROWS_AS(w.cancel_reservation(dev + 1), std::out_of_range);
    }
}

// --- scheduled events -----------------------------------------------------------------------

TEST_CASE("world: scheduled events run at their emulated time", "[radio_sim][world]") {
    world w;
    recorder<std::pair<int, time_us>> ran;
    w.schedule_at(500, [&] { ran.push({1, w.now_us()}); });
    w.schedule_after(200, [&] { ran.push({2, w.now_us()}); });
    const sim::event_id gone = w.schedule_at(300, [&] { ran.push({99, w.now_us()}); });
    w.schedule_at(500, [&] {
        ran.push({3, w.now_us()});
        w.schedule_after(0, [&] { ran.push({5, w.now_us()}); });     // same instant, after 4
        w.schedule_at(-1, [&] { ran.push({6, w.now_us()}); });       // the past: now
        w.schedule_after(250, [&] { ran.push({7, w.now_us()}); });
    });
    w.schedule_at(500, [&] { ran.push({4, w.now_us()}); });
    CHECK(w.cancel(gone));
    CHECK_FALSE(w.cancel(gone));
    CHECK(w.now_us() == 0);  // nothing runs before run()
    CHECK(ran.size() == 0);

    CHECK(w.run(std::nullopt) == run_status::idle);
    const std::vector<std::pair<int, time_us>> expected{{2, 200}, {1, 500}, {3, 500}, {4, 500},
                                                        {5, 500}, {6, 500}, {7, 750}};
    CHECK(ran.values() == expected);
    CHECK(w.now_us() == 750);
}

TEST_CASE("world: scheduling an empty function is refused", "[radio_sim][world]") {
    world w;
    CHECK_THROWS_AS(w.schedule_at(10, {}), std::invalid_argument);
    CHECK_THROWS_AS(w.schedule_after(10, std::function<void()>{}), std::invalid_argument);
    // Nothing was queued: the world is still usable and idle.
    CHECK(w.run(std::nullopt) == run_status::idle);
    CHECK(w.now_us() == 0);
}

TEST_CASE("world: run(until) with events only stops between events", "[radio_sim][world]") {
    world w;
    std::atomic<int> ticks{0};
    std::function<void()> tick = [&] {
        ++ticks;
        w.schedule_after(10, tick);
    };
    w.schedule_at(0, tick);
    CHECK(w.run(100000) == run_status::until_reached);
    CHECK(ticks == 10001);  // at 0, 10, ..., 100000
    CHECK(w.now_us() == 100000);
    CHECK(w.run(100005) == run_status::until_reached);
    CHECK(ticks == 10001);
    CHECK(w.now_us() == 100005);
}

// --- mailboxes ------------------------------------------------------------------------------

TEST_CASE("world: mailbox queues tokens in order up to its capacity", "[radio_sim][world][mailbox]") {
    world w;
    mailbox box(w, 3);
    CHECK(box.capacity() == 3);
    CHECK(box.size() == 0);
    CHECK_FALSE(box.try_take().has_value());
    CHECK(box.post(10));
    CHECK(box.post(-11));
    CHECK(box.post(12));
    CHECK(box.size() == 3);
    CHECK_FALSE(box.post(13));  // full: dropped
    CHECK(box.size() == 3);
    CHECK(box.try_take() == std::int64_t{10});
    CHECK(box.post(14));
    CHECK(box.try_take() == std::int64_t{-11});
    CHECK(box.try_take() == std::int64_t{12});
    CHECK(box.try_take() == std::int64_t{14});
    CHECK_FALSE(box.try_take().has_value());
    CHECK(box.size() == 0);

    mailbox none(w, 0);
    CHECK_FALSE(none.post(1));  // nobody waits and there is no room
    CHECK(none.size() == 0);
}

TEST_CASE("world: take gets a token posted before it without waiting", "[radio_sim][world][mailbox]") {
    world w;
    const device_id dev = w.add_device();
    mailbox box(w, 4);
    REQUIRE(box.post(7));
    REQUIRE(box.post(8));
    recorder<std::tuple<wait_status, std::int64_t, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        std::int64_t token = -1;
        wait_status s = box.take(std::nullopt, token);
        got.push({s, token, w.now_us()});
        token = -1;
        s = box.take(w.now_us(), token);  // a token is there: the deadline does not matter
        got.push({s, token, w.now_us()});
        got.push({wait_status::ready, box.try_take().value_or(-2), w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::tuple<wait_status, std::int64_t, time_us>> expected{
        {wait_status::ready, 7, 0}, {wait_status::ready, 8, 0}, {wait_status::ready, -2, 0}};
    CHECK(got.values() == expected);
}

TEST_CASE("world: take waits until another device posts", "[radio_sim][world][mailbox]") {
    world w;
    const device_id rx = w.add_device();
    const device_id tx = w.add_device();
    mailbox box(w, 0);  // no room: every token is handed over to a waiter
    recorder<std::tuple<wait_status, std::int64_t, time_us>> got;
    recorder<bool> posted;
    device_threads threads(w);
    threads.spawn(rx, [&] {
        for (int i = 0; i < 3; ++i) {
            std::int64_t token = 0;
            const wait_status s = box.take(std::nullopt, token);
            got.push({s, token, w.now_us()});
        }
    });
    threads.spawn(tx, [&] {
        for (int i = 1; i <= 3; ++i) {
            w.sleep_for(500);
            posted.push(box.post(100 + i));
        }
        w.sleep_for(10);
        posted.push(box.post(999));  // the receiver is gone: nowhere to go
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::tuple<wait_status, std::int64_t, time_us>> expected{
        {wait_status::ready, 101, 500}, {wait_status::ready, 102, 1000}, {wait_status::ready, 103, 1500}};
    CHECK(got.values() == expected);
    CHECK(posted.values() == std::vector<bool>{true, true, true, false});
    CHECK(w.now_us() == 1510);
}

TEST_CASE("world: waiters on a mailbox are served first come, first served", "[radio_sim][world][mailbox]") {
    constexpr int n = 5;
    world w;
    mailbox box(w, 1);
    recorder<std::tuple<int, std::int64_t, time_us>> got;
    recorder<bool> posted;
    device_threads threads(w);
    for (int i = 0; i < n; ++i) {
        threads.spawn(w.add_device(), [&, i] {
            w.sleep_until(10 * (n - i));  // queue up in the order n-1, ..., 0
            std::int64_t token = 0;
            if (box.take(std::nullopt, token) == wait_status::ready) {
                got.push({i, token, w.now_us()});
            }
        });
    }
    threads.spawn(w.add_device(), [&] {
        w.sleep_until(1000);
        for (int k = 0; k < n + 2; ++k) {
            posted.push(box.post(k));  // n go to waiters, one is queued, one is dropped
        }
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    std::vector<std::tuple<int, std::int64_t, time_us>> expected;
    for (int k = 0; k < n; ++k) {
        expected.emplace_back(n - 1 - k, k, 1000);
    }
    // The woken threads record concurrently: order the records by token.
    auto values = got.values();
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return std::get<1>(a) < std::get<1>(b); });
    CHECK(values == expected);
    CHECK(posted.values() == std::vector<bool>{true, true, true, true, true, true, false});
    CHECK(box.size() == 1);
    CHECK(box.try_take() == std::int64_t{n});
}

TEST_CASE("world: take with a deadline times out at exactly the deadline", "[radio_sim][world][mailbox]") {
    world w;
    const device_id dev = w.add_device();
    mailbox box(w, 2);
    recorder<std::tuple<wait_status, std::int64_t, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        std::int64_t token = 55;
        wait_status s = box.take(750, token);
        got.push({s, token, w.now_us()});  // token untouched on time-out
        s = box.take(w.now_us() + 1, token);
        got.push({s, token, w.now_us()});
        // A post before the deadline wins and cancels the deadline.
        w.schedule_after(100, [&] { box.post(66); });
        s = box.take(w.now_us() + 1000, token);
        got.push({s, token, w.now_us()});
        // The cancelled deadline of the last wait does not end this one early.
        s = box.take(w.now_us() + 5000, token);
        got.push({s, token, w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::tuple<wait_status, std::int64_t, time_us>> expected{
        {wait_status::timed_out, 55, 750},
        {wait_status::timed_out, 55, 751},
        {wait_status::ready, 66, 851},
        {wait_status::timed_out, 66, 5851},
    };
    CHECK(got.values() == expected);
}

TEST_CASE("world: a deadline that has passed times out at once", "[radio_sim][world][mailbox]") {
    world w;
    const device_id dev = w.add_device();
    mailbox box(w, 2);
    recorder<std::pair<wait_status, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(300);
        std::int64_t token = 0;
        got.push({box.take(w.now_us(), token), w.now_us()});
        got.push({box.take(10, token), w.now_us()});
        got.push({box.take(-5, token), w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::pair<wait_status, time_us>> expected{
        {wait_status::timed_out, 300}, {wait_status::timed_out, 300}, {wait_status::timed_out, 300}};
    CHECK(got.values() == expected);
    CHECK(w.now_us() == 300);
}

TEST_CASE("world: a thread waiting for ever on a mailbox does not keep run() busy", "[radio_sim][world][mailbox]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 1);
    recorder<std::pair<wait_status, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        std::int64_t token = 0;
        got.push({box->take(std::nullopt, token), w.now_us()});
    });
    // Nothing is scheduled and the only thread waits: nothing can happen any more.
    CHECK(w.run(std::nullopt) == run_status::idle);
    CHECK(got.size() == 0);
    SECTION("a post from outside wakes it") {
        CHECK(box->post(3));
        CHECK(w.run(std::nullopt) == run_status::idle);
        threads.join();
        CHECK(got.values() == std::vector<std::pair<wait_status, time_us>>{{wait_status::ready, 0}});
    }
    SECTION("destroying the mailbox wakes it with halted") {
        box.reset();
        CHECK(w.run(std::nullopt) == run_status::idle);
        threads.join();
        CHECK(got.values() == std::vector<std::pair<wait_status, time_us>>{{wait_status::halted, 0}});
    }
    threads.rethrow();
}

// --- timers ---------------------------------------------------------------------------------

TEST_CASE("world: a one-shot timer posts its token once, at its time", "[radio_sim][world][timer]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 4);
    CHECK_THROWS_AS(w.start_timer(nullptr, 1, 0, 1), std::invalid_argument);
    recorder<std::tuple<wait_status, std::int64_t, time_us>> got;
    recorder<bool> stopped;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(200);
        const sim::timer_id id = w.start_timer(box, 300, 0, 42);
        std::int64_t token = 0;
        wait_status s = box->take(std::nullopt, token);
        got.push({s, token, w.now_us()});
        stopped.push(w.stop_timer(id));  // already fired
        token = 0;
        s = box->take(w.now_us() + 10000, token);  // no second tick
        got.push({s, token, w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::tuple<wait_status, std::int64_t, time_us>> expected{
        {wait_status::ready, 42, 500}, {wait_status::timed_out, 0, 10500}};
    CHECK(got.values() == expected);
    CHECK(stopped.values() == std::vector<bool>{false});
}

TEST_CASE("world: a periodic timer ticks at start + k * period without drift", "[radio_sim][world][timer]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 4);
    recorder<std::pair<std::int64_t, time_us>> ticks;
    recorder<std::pair<wait_status, time_us>> after;
    recorder<bool> stopped;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(1000);
        const sim::timer_id id = w.start_timer(box, 100, 250, 9);
        for (int k = 0; k < 12; ++k) {
            std::int64_t token = 0;
            if (box->take(std::nullopt, token) != wait_status::ready) {
                return;
            }
            ticks.push({token, w.now_us()});
            w.sleep_for(37 + k);  // handling the tick takes a while, but less than a period
        }
        stopped.push(w.stop_timer(id));
        stopped.push(w.stop_timer(id));
        std::int64_t token = 0;
        after.push({box->take(w.now_us() + 5000, token), w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    std::vector<std::pair<std::int64_t, time_us>> expected;
    for (time_us k = 0; k < 12; ++k) {
        expected.emplace_back(9, 1100 + k * 250);
    }
    CHECK(ticks.values() == expected);
    CHECK(stopped.values() == std::vector<bool>{true, false});
    const time_us last_tick = 1100 + 11 * 250;
    CHECK(after.values() == std::vector<std::pair<wait_status, time_us>>{{wait_status::timed_out, last_tick + 48 + 5000}});
}

TEST_CASE("world: a timer whose mailbox is full drops its ticks", "[radio_sim][world][timer]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 2);
    recorder<std::pair<std::size_t, time_us>> sizes;
    recorder<std::optional<std::int64_t>> taken;
    recorder<time_us> next_tick;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        const sim::timer_id id = w.start_timer(box, 100, 100, 5);
        w.sleep_until(1050);  // ten ticks went by; two fit
        sizes.push({box->size(), w.now_us()});
        taken.push(box->try_take());
        taken.push(box->try_take());
        taken.push(box->try_take());
        std::int64_t token = 0;
        if (box->take(std::nullopt, token) == wait_status::ready) {
            next_tick.push(w.now_us());
        }
        w.stop_timer(id);
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    CHECK(sizes.values() == std::vector<std::pair<std::size_t, time_us>>{{2, 1050}});
    CHECK(taken.values() == std::vector<std::optional<std::int64_t>>{5, 5, std::nullopt});
    CHECK(next_tick.values() == std::vector<time_us>{1100});
}

TEST_CASE("world: a stopped timer never fires", "[radio_sim][world][timer]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 2);
    const sim::timer_id one_shot = w.start_timer(box, 500, 0, 1);
    const sim::timer_id periodic = w.start_timer(box, 100, 100, 2);
    const sim::timer_id kept = w.start_timer(box, 700, 0, 3);
    CHECK(one_shot != periodic);
    CHECK(w.stop_timer(one_shot));
    recorder<std::tuple<wait_status, std::int64_t, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        std::int64_t token = 0;
        wait_status s = box->take(std::nullopt, token);  // the periodic timer's first tick
        got.push({s, token, w.now_us()});
        w.stop_timer(periodic);
        s = box->take(1000, token);
        got.push({s, token, w.now_us()});
        s = box->take(2000, token);
        got.push({s, token, w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    const std::vector<std::tuple<wait_status, std::int64_t, time_us>> expected{
        {wait_status::ready, 2, 100}, {wait_status::ready, 3, 700}, {wait_status::timed_out, 3, 2000}};
    CHECK(got.values() == expected);
    CHECK_FALSE(w.stop_timer(kept));
    CHECK_FALSE(w.stop_timer(12345));
}

TEST_CASE("world: a timer with a zero or negative delay fires at once", "[radio_sim][world][timer]") {
    world w;
    const device_id dev = w.add_device();
    auto box = std::make_shared<mailbox>(w, 4);
    recorder<std::pair<std::int64_t, time_us>> got;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(40);
        w.start_timer(box, -10, 0, 1);
        w.start_timer(box, 0, 0, 2);
        for (int i = 0; i < 2; ++i) {
            std::int64_t token = 0;
            box->take(std::nullopt, token);
            got.push({token, w.now_us()});
        }
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    CHECK(got.values() == std::vector<std::pair<std::int64_t, time_us>>{{1, 40}, {2, 40}});
}

// --- halting --------------------------------------------------------------------------------

TEST_CASE("world: halt_device wakes that device's waits only, until resume_device", "[radio_sim][world][halt]") {
    world w;
    const device_id victim = w.add_device();
    const device_id bystander = w.add_device();
    const device_id control = w.add_device();
    mailbox victim_box(w, 1);
    mailbox bystander_box(w, 1);
    const auto flag = w.halt_flag(victim);
    REQUIRE(flag);
    CHECK_FALSE(flag->load());

    recorder<std::tuple<std::string, wait_status, time_us>> seen;
    recorder<std::pair<std::string, bool>> flags;
    device_threads threads(w);

    threads.spawn(victim, [&] {
        seen.push({"victim sleep", w.sleep_for(1'000'000), w.now_us()});
        seen.push({"victim sleep again", w.sleep_for(10), w.now_us()});
        std::int64_t token = 0;
        seen.push({"victim take again", victim_box.take(std::nullopt, token), w.now_us()});
        seen.push({"victim sleep_until past", w.sleep_until(0), w.now_us()});
    });
    threads.spawn(victim, [&] {
        std::int64_t token = 0;
        seen.push({"victim take", victim_box.take(std::nullopt, token), w.now_us()});
    });
    threads.spawn(victim, [&] {
        std::int64_t token = 0;
        seen.push({"victim take deadline", victim_box.take(50'000, token), w.now_us()});
    });
    threads.spawn(bystander, [&] {
        seen.push({"bystander sleep", w.sleep_until(5000), w.now_us()});
    });
    threads.spawn(bystander, [&] {
        std::int64_t token = 0;
        seen.push({"bystander take", bystander_box.take(6000, token), w.now_us()});
    });
    threads.spawn(control, [&] {
        w.sleep_until(1000);
        w.halt_device(victim);
        flags.push({"flag after halt", flag->load()});
        flags.push({"halted after halt", w.device_halted(victim)});
        flags.push({"bystander halted", w.device_halted(bystander)});
        w.sleep_until(2000);
        // A thread the halted device starts now fails its waits at once.
        threads.spawn(victim, [&] { seen.push({"victim late thread", w.sleep_for(5), w.now_us()}); });
        w.sleep_until(3000);
        w.resume_device(victim);
        flags.push({"flag after resume", flag->load()});
        flags.push({"halted after resume", w.device_halted(victim)});
        threads.spawn(victim, [&] { seen.push({"victim resumed thread", w.sleep_for(100), w.now_us()}); });
    });

    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();

    auto values = seen.values();
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    const std::vector<std::tuple<std::string, wait_status, time_us>> expected{
        {"bystander sleep", wait_status::ready, 5000},
        {"bystander take", wait_status::timed_out, 6000},
        {"victim late thread", wait_status::halted, 2000},
        {"victim resumed thread", wait_status::ready, 3100},
        {"victim sleep", wait_status::halted, 1000},
        {"victim sleep again", wait_status::halted, 1000},
        {"victim sleep_until past", wait_status::halted, 1000},
        {"victim take", wait_status::halted, 1000},
        {"victim take again", wait_status::halted, 1000},
        {"victim take deadline", wait_status::halted, 1000},
    };
    CHECK(values == expected);
    const std::vector<std::pair<std::string, bool>> expected_flags{
        {"flag after halt", true},    {"halted after halt", true},    {"bystander halted", false},
        {"flag after resume", false}, {"halted after resume", false},
    };
    CHECK(flags.values() == expected_flags);
    CHECK(w.now_us() == 6000);
}

TEST_CASE("world: halt_device and resume_device from outside between runs", "[radio_sim][world][halt]") {
    world w;
    const device_id dev = w.add_device();
    const auto flag = w.halt_flag(dev);
    recorder<std::pair<wait_status, time_us>> seen;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        for (;;) {
            const wait_status s = w.sleep_for(1000);
            seen.push({s, w.now_us()});
            if (s != wait_status::ready) {
                return;
            }
        }
    });
    CHECK(w.run(2500) == run_status::until_reached);
    w.halt_device(dev);
    CHECK(flag->load());
    CHECK(w.device_halted(dev));
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    const std::vector<std::pair<wait_status, time_us>> expected{
        {wait_status::ready, 1000}, {wait_status::ready, 2000}, {wait_status::halted, 2500}};
    CHECK(seen.values() == expected);
    w.resume_device(dev);
    CHECK_FALSE(flag->load());
    CHECK_FALSE(w.device_halted(dev));
}

TEST_CASE("world: halt() stops every device and makes run() return halted", "[radio_sim][world][halt]") {
    world w;
    const device_id a = w.add_device();
    const device_id b = w.add_device();
    mailbox box(w, 1);
    recorder<std::tuple<char, wait_status, time_us>> seen;
    device_threads threads(w);
    threads.spawn(a, [&] { seen.push({'a', w.sleep_until(1'000'000'000), w.now_us()}); });
    threads.spawn(b, [&] {
        std::int64_t token = 0;
        seen.push({'b', box.take(std::nullopt, token), w.now_us()});
    });
    threads.spawn(w.add_device(), [&] {
        w.sleep_until(500);
        w.halt();
        seen.push({'c', w.sleep_for(1), w.now_us()});
    });
    CHECK(w.run(std::nullopt) == run_status::halted);
    threads.join();
    threads.rethrow();
    auto values = seen.values();
    std::sort(values.begin(), values.end());
    const std::vector<std::tuple<char, wait_status, time_us>> expected{
        {'a', wait_status::halted, 500}, {'b', wait_status::halted, 500}, {'c', wait_status::halted, 500}};
    CHECK(values == expected);
    CHECK(w.device_halted(a));
    CHECK(w.device_halted(b));
    // For good: run() returns at once and resume_device cannot undo it.
    CHECK(w.run(std::nullopt) == run_status::halted);
    w.resume_device(a);
    CHECK(w.device_halted(a));
    CHECK(w.halt_flag(a)->load());
    CHECK(w.now_us() == 500);
}

TEST_CASE("world: halt() from a device thread that then ends still makes run() return halted",
          "[radio_sim][world][halt]") {
    // run() runs the wake-up event itself; the woken thread halts the world and detaches before
    // run() looks again, when no thread runs and nothing is pending. Halted must win over idle.
    int wrong = 0;
    for (int rep = 0; rep < 300; ++rep) {
        world w;
        device_threads threads(w);
        threads.spawn(w.add_device(), [&] {
            w.sleep_until(100);
            w.halt();
        });
        if (w.run(std::nullopt) != run_status::halted) {
            ++wrong;
        }
        threads.join();
        threads.rethrow();
    }
    CHECK(wrong == 0);
}

// --- misuse ---------------------------------------------------------------------------------

TEST_CASE("world: waits from a thread that is not attached throw std::logic_error", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    mailbox box(w, 1);
    std::int64_t token = 0;
    CHECK_THROWS_AS(w.sleep_for(10), std::logic_error);
    CHECK_THROWS_AS(w.sleep_until(10), std::logic_error);
    CHECK_THROWS_AS(box.take(std::nullopt, token), std::logic_error);
    CHECK_THROWS_AS(box.take(5, token), std::logic_error);
    CHECK_THROWS_AS(w.detach_thread(), std::logic_error);
    // try_take and post need no device thread.
    CHECK(box.post(1));
    CHECK(box.try_take() == std::int64_t{1});
    // None of this left the world thinking a thread runs.
    CHECK(w.run(std::nullopt) == run_status::idle);
    (void)dev;
}

TEST_CASE("world: attaching twice throws, and a thread belongs to one world", "[radio_sim][world]") {
    world w;
    world other;
    const device_id dev = w.add_device();
    const device_id other_dev = other.add_device();
    CHECK_THROWS_AS(w.attach_thread(dev + 1), std::out_of_range);
    CHECK_FALSE(w.current_device().has_value());

    w.attach_thread(dev);
    CHECK(w.current_device() == dev);
    CHECK_THROWS_AS(w.attach_thread(dev), std::logic_error);
    CHECK_THROWS_AS(other.attach_thread(other_dev), std::logic_error);
    CHECK_FALSE(other.current_device().has_value());
    CHECK_THROWS_AS(other.sleep_for(1), std::logic_error);
    CHECK_THROWS_AS(other.detach_thread(), std::logic_error);
    w.detach_thread();
    CHECK_FALSE(w.current_device().has_value());
    CHECK_THROWS_AS(w.detach_thread(), std::logic_error);

    // Attaching again after detaching is fine, to either world.
    other.attach_thread(other_dev);
    CHECK(other.current_device() == other_dev);
    other.detach_thread();
    CHECK(w.run(std::nullopt) == run_status::idle);
    CHECK(other.run(std::nullopt) == run_status::idle);
}

// --- interrupting ---------------------------------------------------------------------------

TEST_CASE("world: run() returns interrupted when the check says so", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    w.reserve_thread(dev);  // a thread that never comes: run() cannot go idle
    std::vector<wall::time_point> polls;
    const auto start = wall::now();
    const run_status status = w.run(std::nullopt, [&] {
        polls.push_back(wall::now());
        return polls.size() == 2;
    });
    CHECK(status == run_status::interrupted);
    REQUIRE(polls.size() == 2);
    // Asked at least every 50 ms (with scheduling slack).
    auto previous = start;
    for (const auto& t : polls) {
        CHECK(t - previous < milliseconds(400));
        previous = t;
    }
    w.cancel_reservation(dev);
    CHECK(w.run(std::nullopt) == run_status::idle);
}

TEST_CASE("world: the interrupt check is asked while events keep the clock busy", "[radio_sim][world]") {
    world w;
    std::atomic<std::int64_t> ticks{0};
    std::function<void()> tick = [&] {
        ++ticks;
        w.schedule_after(1, tick);
    };
    w.schedule_at(0, tick);
    std::atomic<int> polls{0};
    auto ran = run_async(w, std::nullopt, [&] {
        ++polls;
        return true;
    });
    CHECK(get_bounded(w, ran, std::chrono::seconds(5)) == run_status::interrupted);
    CHECK(polls == 1);
    CHECK(ticks.load() > 0);
    // Paused again: no event runs between runs.
    const time_us now = w.now_us();
    const std::int64_t ticked = ticks.load();
    CHECK(now == ticked - 1);
    CHECK(w.run(now + 10) == run_status::until_reached);
    CHECK(ticks.load() == ticked + 10);
    CHECK(w.now_us() == now + 10);
}

TEST_CASE("world: the virtual clock is frozen after an interrupted run", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    std::atomic<std::int64_t> wakes{0};
    device_threads threads(w);
    threads.spawn(dev, [&] {
        while (w.sleep_for(1000) == wait_status::ready) {
            ++wakes;
        }
    });
    std::atomic<int> polls{0};
    auto ran = run_async(w, std::nullopt, [&] { return ++polls >= 2; });
    CHECK(get_bounded(w, ran, std::chrono::seconds(5)) == run_status::interrupted);
    const time_us frozen = w.now_us();
    const std::int64_t woken = wakes.load();
    // Between runs nothing may move, although the device thread only ever sleeps. 20 ms of
    // wall time is the observation window, not a synchronisation.
    std::this_thread::sleep_for(milliseconds(20));
    CHECK(w.now_us() == frozen);
    // A wake-up already popped when run() returned may still be counted, but no more.
    CHECK(wakes.load() <= woken + 1);
    CHECK(w.run(frozen + 5000) == run_status::until_reached);
    CHECK(w.now_us() == frozen + 5000);
    w.halt();
    threads.join();
    threads.rethrow();
}

TEST_CASE("world: a sleep made before run() waits for run()", "[radio_sim][world]") {
    world w;
    const device_id dev = w.add_device();
    recorder<time_us> woke;
    std::mutex m;
    std::condition_variable cv;
    bool started = false;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        {
            std::lock_guard<std::mutex> lock(m);
            started = true;
        }
        cv.notify_all();
        w.sleep_for(0);
        woke.push(w.now_us());
        w.sleep_for(10);
        woke.push(w.now_us());
    });
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return started; });
    }
    // Observation window, not synchronisation: the paused world runs nothing.
    std::this_thread::sleep_for(milliseconds(10));
    CHECK(woke.size() == 0);
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    CHECK(woke.values() == std::vector<time_us>{0, 10});
}

// --- real time ------------------------------------------------------------------------------

TEST_CASE("world: in real time a sleep takes its wall time", "[radio_sim][world][real_time]") {
    world w({sim::time_mode::real, 0});
    const device_id dev = w.add_device();
    recorder<std::tuple<wait_status, time_us, time_us, wall::duration>> seen;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        const time_us before = w.now_us();
        const auto t0 = wall::now();
        const wait_status s = w.sleep_for(20000);
        seen.push({s, before, w.now_us(), wall::now() - t0});
    });
    const auto t0 = wall::now();
    CHECK(w.run(std::nullopt) == run_status::idle);
    const auto elapsed = wall::now() - t0;
    threads.join();
    threads.rethrow();
    const auto values = seen.values();
    REQUIRE(values.size() == 1);
    const auto& [status, before, after, took] = values[0];
    CHECK(status == wait_status::ready);
    CHECK(after - before >= 20000);
    CHECK(after - before < 500000);
    CHECK(took >= milliseconds(20));
    CHECK(took < milliseconds(500));
    CHECK(elapsed >= milliseconds(20));
    // Between runs the clock does not move.
    const time_us frozen = w.now_us();
    CHECK(frozen >= 20000);
    CHECK(frozen < 500000);
}

TEST_CASE("world: run(until) in real time reaches until and then freezes the clock", "[radio_sim][world][real_time]") {
    world w({sim::time_mode::real, 0});
    const device_id dev = w.add_device();
    recorder<time_us> woke;
    device_threads threads(w);
    threads.spawn(dev, [&] {
        time_us next = 10000;
        while (w.sleep_until(next) == wait_status::ready) {
            woke.push(w.now_us());
            next += 10000;
        }
    });
    const auto t0 = wall::now();
    CHECK(w.run(30000) == run_status::until_reached);
    const auto took = wall::now() - t0;
    CHECK(w.now_us() == 30000);
    CHECK(took >= milliseconds(30));
    CHECK(took < milliseconds(500));
    {
        // How many wake-ups a loaded machine lets the thread record varies; when they came
        // does not: never before their time, never after the limit.
        const auto values = woke.values();
        CHECK(values.size() <= 3);
        for (std::size_t k = 0; k < values.size(); ++k) {
            CHECK(values[k] >= static_cast<time_us>(10000 * (k + 1)));
            CHECK(values[k] <= 30000);
        }
    }
    // Frozen between runs: an observation window, not a synchronisation.
    std::this_thread::sleep_for(milliseconds(20));
    CHECK(w.now_us() == 30000);

    // The next run continues from 30 ms, not from the wall time since the world began.
    const auto t1 = wall::now();
    CHECK(w.run(40000) == run_status::until_reached);
    const auto took2 = wall::now() - t1;
    CHECK(w.now_us() == 40000);
    CHECK(took2 >= milliseconds(10));
    CHECK(took2 < milliseconds(500));
    w.halt();
    threads.join();
    threads.rethrow();
    const auto values = woke.values();
    CHECK(values.size() <= 4);
    for (std::size_t k = 0; k < values.size(); ++k) {
        CHECK(values[k] >= static_cast<time_us>(10000 * (k + 1)));
        CHECK(values[k] <= 40000);
    }
}

// --- seeds ----------------------------------------------------------------------------------

TEST_CASE("world: the same seed gives the same random numbers", "[radio_sim][world]") {
    auto draw = [](std::uint64_t seed) {
        world w({sim::time_mode::virtual_time, seed});
        std::vector<std::uint64_t> out;
        for (int i = 0; i < 100; ++i) {
            out.push_back(w.random_u64());
        }
        return out;
    };
    const auto a = draw(42);
    CHECK(a == draw(42));
    CHECK(a != draw(43));
    CHECK(draw(0) == draw(0));
    CHECK(draw(0) != a);
    // Not a constant sequence.
    CHECK(std::adjacent_find(a.begin(), a.end()) == a.end());
    // The mode does not change the sequence.
    world real({sim::time_mode::real, 42});
    std::vector<std::uint64_t> b;
    for (int i = 0; i < 100; ++i) {
        b.push_back(real.random_u64());
    }
    CHECK(a == b);
}

// --- event log ------------------------------------------------------------------------------

TEST_CASE("world: the log is off by default", "[radio_sim][world][event_log]") {
    world w;
    w.log("boot", "dev0");
    CHECK(w.logged_lines().empty());
}

TEST_CASE("world: the in-memory log stamps lines with emulated time", "[radio_sim][world][event_log]") {
    world w;
    w.keep_log_in_memory(true);
    const device_id dev = w.add_device();
    w.log("boot", "dev0", {{"seed", std::int64_t{0}}});
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(1500);
        w.log("tx", "dev0", {{"len", std::int64_t{12}}, {"ok", true}});
        w.sleep_for(250);
        w.log("rx", "dev0", {{"rssi", -80.5}, {"text", std::string("hi \"there\"")}});
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    w.log("end", "world");
    const std::vector<std::string> expected{
        sim::format_log_line(0, "boot", "dev0", {{"seed", std::int64_t{0}}}),
        sim::format_log_line(1500, "tx", "dev0", {{"len", std::int64_t{12}}, {"ok", true}}),
        sim::format_log_line(1750, "rx", "dev0", {{"rssi", -80.5}, {"text", std::string("hi \"there\"")}}),
        sim::format_log_line(1750, "end", "world", {}),
    };
    CHECK(w.logged_lines() == expected);
    CHECK(expected[1] == R"({"t_us": 1500, "event": "tx", "device": "dev0", "len": 12, "ok": true})");

    w.keep_log_in_memory(false);
    w.log("ignored", "world");
    CHECK(w.logged_lines().size() == expected.size());
}

TEST_CASE("world: open_log writes JSON lines to a file", "[radio_sim][world][event_log]") {
    temp_path path;
    world w;
    const device_id dev = w.add_device();
    w.open_log(path.str());
    device_threads threads(w);
    threads.spawn(dev, [&] {
        w.sleep_until(42);
        w.log("a", "d\n1", {{"x", std::int64_t{1}}});
        w.sleep_until(43);
        w.log("b", "d1");
    });
    CHECK(w.run(std::nullopt) == run_status::idle);
    threads.join();
    threads.rethrow();
    // Written (and flushed) line by line: readable while the world lives.
    const std::vector<std::string> expected{
        R"({"t_us": 42, "event": "a", "device": "d\n1", "x": 1})",
        R"({"t_us": 43, "event": "b", "device": "d1"})",
    };
    CHECK(read_lines(path.str()) == expected);
    CHECK(w.logged_lines().empty());  // the file only, unless asked

    SECTION("opening the log again truncates it") {
        w.open_log(path.str());
        w.log("c", "d1");
        CHECK(read_lines(path.str()) == std::vector<std::string>{R"({"t_us": 43, "event": "c", "device": "d1"})"});
    }
    SECTION("file and memory together") {
        w.keep_log_in_memory(true);
        w.log("c", "d1");
        CHECK(w.logged_lines() == std::vector<std::string>{R"({"t_us": 43, "event": "c", "device": "d1"})"});
        CHECK(read_lines(path.str()).size() == 3);
    }
}

TEST_CASE("world: open_log on a path that cannot be written throws", "[radio_sim][world][event_log]") {
    world w;
    CHECK_THROWS_AS(w.open_log("/nonexistent-dir-usocket/x/log.jsonl"), std::runtime_error);
}

// --- lifetime -------------------------------------------------------------------------------

TEST_CASE("world: a world with a running timer or pending events frees its mailboxes", "[radio_sim][world][timer]") {
    std::weak_ptr<mailbox> timer_box;
    std::weak_ptr<mailbox> event_box;
    {
        world w;
        auto box = std::make_shared<mailbox>(w, 1);
        auto box2 = std::make_shared<mailbox>(w, 1);
        timer_box = box;
        event_box = box2;
        w.start_timer(box, 10, 10, 1);
        w.schedule_at(1'000'000, [box2] { box2->post(1); });
        CHECK(w.run(55) == run_status::until_reached);
        CHECK(box->size() == 1);
    }
    CHECK(timer_box.expired());
    CHECK(event_box.expired());
}

TEST_CASE("world: a timer or event holding the last reference to its mailbox can end", "[radio_sim][world][timer]") {
    world w;
    SECTION("stop_timer") {
        auto box = std::make_shared<mailbox>(w, 1);
        std::weak_ptr<mailbox> weak = box;
        const sim::timer_id id = w.start_timer(std::move(box), 100, 100, 1);
        CHECK(w.stop_timer(id));
        CHECK(weak.expired());
    }
    SECTION("a one-shot timer that fires") {
        auto box = std::make_shared<mailbox>(w, 1);
        std::weak_ptr<mailbox> weak = box;
        w.start_timer(std::move(box), 100, 0, 1);
        CHECK(w.run(std::nullopt) == run_status::idle);
        CHECK(weak.expired());
    }
    SECTION("an event that runs") {
        auto box = std::make_shared<mailbox>(w, 1);
        std::weak_ptr<mailbox> weak = box;
        w.schedule_at(100, [box = std::move(box)] { box->post(1); });
        CHECK(w.run(std::nullopt) == run_status::idle);
        CHECK(weak.expired());
        CHECK(w.now_us() == 100);
    }
}
