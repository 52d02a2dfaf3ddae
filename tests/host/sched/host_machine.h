// A small SMP machine made of host threads, to run the real scheduler (sched/) with real
// context switches: each host thread plays one CPU and runs Scheduler::idle_loop on its own
// stack (its idle thread); test threads are user-level stacks allocated here and switched to
// with sched/arch/x86_64/context_switch.S. Interrupts do not exist on the host, so test threads
// call poll() at their preemption points, where pending "timer ticks" from the driver are
// delivered (Scheduler::tick) and need_resched is honoured.
//
// Under ThreadSanitizer every stack is a TSan fiber and the switch hook tells TSan about each
// switch (the annotations live here, in test support, not in sched/).
//
// Every wait is bounded: wait_until() reports the state of every thread and aborts on timeout.
//
// The machine's scheduler is the installed one (sched/current_scheduler.h) from construction to
// destruction: the blocking primitives (sched/sync/) its threads use block on it. One machine
// at a time; a machine built inside another's lifetime takes over and gives it back.
//
// Explore mode (built against the explore variant of the libraries, PLEIADES_EXPLORE): the
// CPUs are the interleaving explorer's CPUs (smp/platform/host/explorer.h) instead of free host
// threads: each runs explored_cpu() as its schedule body, ticks arrive when the schedule's coin
// says so, and the clock is the explorer's virtual clock. A lost thread shows as a schedule that
// never ends.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sched/current_scheduler.h"
#include "sched/run_queue.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sched::test {

class HostMachine {
 public:
  static constexpr std::size_t kStackBytes = 256 * 1024;

  explicit HostMachine(std::uint32_t cpus);
  ~HostMachine();
  HostMachine(const HostMachine&) = delete;
  HostMachine& operator=(const HostMachine&) = delete;

  Scheduler& scheduler() { return *scheduler_; }
  std::uint32_t cpus() const { return cpus_; }

  // Starts the CPU host threads; returns once every CPU has initialised its runqueue.
  void boot();
  // Explore mode: the schedule body of CPU `cpu`. Initialises the CPU; CPU 0 then waits for the
  // others, runs `setup` (create and start threads) and every CPU runs its idle loop until
  // every thread created has exited. One tick in `tick_odds` idle or poll() passes, per CPU.
  void explored_cpu(std::uint32_t cpu, const std::function<void()>& setup,
                    std::uint32_t tick_odds = 16);
  // Creates a thread running `body` (then exiting) with its own stack; not started yet.
  Thread& create(const ThreadParams& params, std::function<void()> body);
  // Scheduler::start from the driver.
  void start(Thread& t) { scheduler_->start(t); }

  // Driver: a timer tick for every CPU, delivered at its next poll (or in its idle loop).
  void tick_all();
  // Driver: forces a reschedule on CPU `index` at its next preemption point.
  void preempt(std::uint32_t index) { scheduler_->request_resched(platform::CpuNumber{index}); }

  // Test hook: the scheduler's clock becomes a counter that only advance_clock() moves
  // (before boot()). Lets a test make time stand still, e.g. a yield loop that costs no
  // measurable time, deterministically. Otherwise the clock is the host's steady clock.
  void use_manual_clock() { manual_clock_.store(true, std::memory_order_relaxed); }
  void advance_clock(std::uint64_t ns) { manual_ns_.fetch_add(ns, std::memory_order_relaxed); }
  std::uint64_t clock_ns() const { return now_ns(const_cast<HostMachine*>(this)); }

  // Test hook: every switch away from `t` first sleeps `micros` on its CPU, widening the window
  // in which `t` is off the runqueue but its context is not yet saved (on_cpu still set).
  void slow_switch_from(Thread* t, std::uint32_t micros) {
    slow_micros_.store(micros, std::memory_order_relaxed);
    slow_thread_.store(t, std::memory_order_relaxed);
  }

  // How many slow switches have begun (the thread is off its runqueue, on_cpu still set).
  std::uint64_t slow_switches() const { return slow_switches_.load(std::memory_order_acquire); }

  // Test threads: a preemption point (delivers this CPU's pending tick first).
  void poll();
  // Test threads: the CPU running the caller right now.
  static std::uint32_t this_cpu();

  // Driver: runs `driver_step` (ticks, preemptions) every ~200 us until `done()` or `limit`
  // passes. On timeout prints every thread's state and aborts: a hang is a failure.
  void wait_until(const std::function<bool()>& done, const std::function<void()>& driver_step,
                  std::chrono::seconds limit = std::chrono::seconds(120));
  bool all_exited() const;
  // Stops the CPUs (they return from their idle loops) and joins them. Needs all_exited().
  void shutdown();

 private:
  struct Cpu {
    Thread idle;
    std::atomic<bool> tick_pending{false};
    std::thread host;
  };
  struct Record {
    Thread thread;
    std::unique_ptr<std::byte[]> stack;
    std::function<void()> body;
  };

  static void entry(void* record);
  static std::uint64_t now_ns(void* self);
  static void before_switch(Thread* from, Thread* to, void* self);
  static void idle_wait(const std::atomic<bool>& need_resched, void* self);
  static bool should_stop(void* self);
  void deliver_tick();
  void cpu_main(std::uint32_t cpu);
  std::string describe() const;

  std::uint32_t cpus_;
  std::unique_ptr<RunQueue[]> runqueues_;
  std::unique_ptr<Cpu[]> cpu_;
  std::unique_ptr<Scheduler> scheduler_;
  std::optional<ScopedScheduler> installed_;  // after scheduler_: uninstalled before it goes
  std::deque<Record> records_;
  std::atomic<std::uint32_t> ready_{0};
  std::atomic<bool> stop_{false};
  // Relaxed: a test knob set before the threads involved start (start() publishes it).
  std::atomic<Thread*> slow_thread_{nullptr};
  std::atomic<std::uint32_t> slow_micros_{0};
  std::atomic<std::uint64_t> slow_switches_{0};
  // Relaxed: the clock is read under runqueue locks, which order it enough for a test knob.
  std::atomic<bool> manual_clock_{false};
  std::atomic<std::uint64_t> manual_ns_{0};
  bool booted_ = false;
  // Explore mode: the CPUs stop once setup ran and every thread exited.
  bool explored_ = false;
  bool setup_done_ = false;
  std::uint32_t tick_odds_ = 16;
};

}  // namespace sched::test
