// One CPU's runqueue: the real-time class above the fair class above the idle thread, the
// current thread, and the counters the placement policy reads. Every member function needs
// `lock` held (TA_REQ); only the published load and need_resched are read without it.
// The current thread is outside its class's queue while it runs (on_rq stays true).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/fair_queue.h"
#include "sched/placement.h"
#include "sched/rt_queue.h"
#include "sched/sched_locks.h"
#include "sched/thread.h"
#include "sched/timer_queue.h"
#include "smp/locks/thread_annotations.h"

namespace sched {

// How a thread joins a runqueue (decides its fair-class placement).
enum class Join : std::uint8_t {
  kStart,    // a new thread: lag 0, half a request to its first deadline
  kWakeup,   // after sleeping: keeps the lag it had when it blocked
  kMigrate,  // moved from another CPU: keeps the lag it had there
};

class alignas(64) RunQueue {
 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Names the CPU this runqueue serves; by the Scheduler's constructor, before any CPU runs.
  void assign_cpu(platform::CpuNumber cpu) { cpu_ = cpu; }
  // Before the CPU schedules: `idle` becomes the current thread (it is never queued).
  void init(Thread& idle) TA_REQ(lock);

  // Puts `t` (not on any runqueue, state kRunnable) on this runqueue.
  void activate(Thread& t, Join how, std::uint64_t now) TA_REQ(lock);
  // Takes `t` (on this runqueue, queued or current) off it, saving its fair lag.
  void deactivate(Thread& t, std::uint64_t now) TA_REQ(lock);
  // The current thread, still runnable, goes back into its queue: a preempted FIFO thread to
  // the head of its priority, a yielding or expired round-robin one to the tail; a yielding fair
  // thread forfeits the rest of its request (FairQueue::yield: vruntime to its deadline, then a
  // deadline one request later).
  void put_prev(Thread& prev, bool yielding) TA_REQ(lock);
  // Removes and returns the next thread to run: highest RT priority, else the EEVDF pick, else
  // the idle thread. Does not change curr (set_curr does).
  Thread* pick_next() TA_REQ(lock);
  // Removes the queued thread `t` from its queue to run it next (directed yield).
  void take(Thread& t) TA_REQ(lock);
  void set_curr(Thread& t, std::uint64_t now) TA_REQ(lock);

  // Charges the current thread for the time since it last was. Returns true when its slice or
  // request is over (the caller decides whether anyone else should run).
  bool update_curr(std::uint64_t now) TA_REQ(lock);
  // Tick accounting; true when the current thread should be preempted.
  bool tick(std::uint64_t now) TA_REQ(lock);
  // Priority inheritance: `t` (of this runqueue: queued, current, or off it while blocked) now
  // runs at the inherited RT priority `priority` (kNoInheritedPriority: its own class and
  // priority again). A queued thread is taken out of its class's queue and put back in the new
  // one (fair lag kept); the current one changes class in place. Returns true when the
  // current thread should now be preempted (a queued thread rose above it, or it fell below
  // a queued one).
  bool set_inherited_priority(Thread& t, int priority, std::uint64_t now) TA_REQ(lock);

  // Whether `woken`, just activated here, should preempt the current thread.
  bool wakeup_preempts(const Thread& woken) const TA_REQ(lock);

  // A queued thread that may move to `dst`: allowed there by its affinity and not on a CPU
  // (its context fully saved). Real-time threads first (highest priority first), then fair
  // threads from the latest deadline backwards. Null if none.
  Thread* find_migratable(platform::CpuNumber dst) const TA_REQ(lock);

  Thread* curr() const TA_REQ(lock) { return curr_; }
  Thread* idle() const { return idle_; }  // set once by init()
  platform::CpuNumber cpu() const { return cpu_; }
  std::uint32_t nr_running() const TA_REQ(lock) { return nr_running_; }
  std::uint32_t nr_queued() const TA_REQ(lock) { return fair_.count() + rt_.count(); }
  const FairQueue& fair() const TA_REQ(lock) { return fair_; }
  const RtQueue& rt() const TA_REQ(lock) { return rt_; }

  // Lock-free snapshot for placement decisions (a hint: see sched/placement.h).
  CpuLoad published_load() const;

  RunqueueLock lock;

  // This CPU's timers (sleeps and timed waits), expired by its tick (Scheduler::expire_timers).
  // Its own lock, taken outside runqueue locks.
  TimerQueue timers;

  // Set (release) by the CPU once init() is done; placement only chooses online CPUs (acquire),
  // so no thread is queued where nobody will run it.
  std::atomic<bool> online{false};

  // Set by any CPU that wants this CPU to call schedule() (wake-up preemption, tick); cleared by
  // this CPU in schedule() under the lock. Relaxed everywhere: it only triggers schedule(),
  // which takes the lock and sees every change made under it.
  std::atomic<bool> need_resched{false};

  // This CPU's own bookkeeping, touched only by this CPU with interrupts off:
  Thread* switch_prev = nullptr;  // the thread being switched away from, for finish_switch
  std::uint32_t ticks = 0;        // ticks since boot, paces periodic balancing

 private:
  FairEntity* fair_curr() const TA_REQ(lock);
  // Reports BugKind::kWrongRunqueue when t.cpu does not name this runqueue.
  void check_mine(const Thread& t) const TA_REQ(lock);
  // Whether a queued thread should run before the current one.
  bool queued_beats_curr() const TA_REQ(lock);
  void publish() TA_REQ(lock);
  static std::uint64_t load_weight(const Thread& t);

  FairQueue fair_ TA_GUARDED(lock);
  RtQueue rt_ TA_GUARDED(lock);
  Thread* curr_ TA_GUARDED(lock) = nullptr;
  Thread* idle_ = nullptr;
  platform::CpuNumber cpu_{0};
  std::uint64_t exec_start_ TA_GUARDED(lock) = 0;
  std::uint32_t nr_running_ TA_GUARDED(lock) = 0;
  std::uint64_t weight_ TA_GUARDED(lock) = 0;
  // Published copies of nr_running_ and weight_: relaxed stores under the lock, relaxed loads
  // anywhere; they are hints, and each value is a single word (no torn reads).
  std::atomic<std::uint32_t> published_nr_{0};
  std::atomic<std::uint64_t> published_weight_{0};
};

}  // namespace sched
