// The scheduler core: per-CPU runqueues (sched/run_queue.h), context switches, the
// block/wake protocol with the on-CPU flag, directed yield, ticks, idle stealing and periodic
// balancing. One Scheduler object serves all CPUs; each CPU touches its own runqueue and takes
// another CPU's runqueue lock only to wake, place or move a thread (docs/scheduling.md).
//
// The machine is reached through the platform contract (current_cpu, interrupts, preemption,
// cycles) and the hooks below, which the caller supplies: the kernel (IPIs, hlt) or the host
// test machine (tests/host/sched/host_machine.h: host threads as CPUs, TSan fiber switches).
// The scheduler allocates nothing: runqueues, threads and stacks come from the caller.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/placement.h"
#include "sched/run_queue.h"
#include "sched/thread.h"
#include "smp/platform/platform.h"

namespace sched {

struct SchedulerHooks {
  // Makes `cpu` notice its need_resched flag soon (kernel: reschedule IPI). May be null when
  // CPUs poll (host). Called with no runqueue lock held.
  void (*kick)(platform::CpuNumber cpu, void* context) = nullptr;
  // The idle thread's wait for work. Kernel: disable interrupts, re-check `need_resched`, then
  // sti; hlt (so a wake-up between the check and the halt is not missed). Host: pause.
  // Null: spin.
  void (*idle_wait)(const std::atomic<bool>& need_resched, void* context) = nullptr;
  // Runs on the switching CPU just before the switch from `from` to `to` (host tests: TSan
  // fiber annotation). Null: nothing.
  void (*before_switch)(Thread* from, Thread* to, void* context) = nullptr;
  // The scheduler clock in nanoseconds. Null: platform::cycles() scaled by cycles_per_second().
  std::uint64_t (*now_ns)(void* context) = nullptr;
  // The calling CPU's running thread, read in one step that stays right however the caller
  // migrates (kernel: the GS-relative current pointer). Null: read under the runqueue lock.
  Thread* (*current)(void* context) = nullptr;
  void* context = nullptr;
};

// Periodic balancing runs every this many ticks on each CPU.
inline constexpr std::uint32_t kBalanceEveryTicks = 4;

class Scheduler {
 public:
  // `runqueues[0..count)` serve CPUs 0..count-1 and must outlive the scheduler.
  Scheduler(RunQueue* runqueues, std::uint32_t count, const SchedulerHooks& hooks);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  std::uint32_t cpu_count() const { return count_; }
  RunQueue& runqueue(platform::CpuNumber cpu) { return runqueues_[platform::to_index(cpu)]; }

  // ---- Set-up -------------------------------------------------------------------------------

  // On the CPU itself, once, before it schedules: the running context becomes the CPU's idle
  // thread `idle` (its Context is filled in by the first switch away from it).
  void init_cpu(Thread& idle);
  // Fills in a new thread (state kNew) with its stack; it runs entry(arg) once started, and
  // exits when entry returns. Takes no lock; `t` must not be visible to other CPUs yet.
  void init_thread(Thread& t, std::uint64_t id, const ThreadParams& params, void* stack,
                   std::size_t stack_size, ThreadEntry entry, void* arg);
  // kNew -> kRunnable on the least loaded online CPU its affinity allows. Takes that runqueue's
  // lock. Reported (kAffinityViolated) if no allowed CPU is online.
  void start(Thread& t);

  // ---- The running thread ----------------------------------------------------------------

  // The current CPU's current thread. Needs preemption or interrupts off to stay meaningful,
  // except when a thread asks for itself (it is current wherever it runs).
  Thread* current();
  // Gives up the CPU: the current thread goes back to its queue if still kRunning, or leaves
  // the runqueue if kBlocked or kExited; the next thread runs. Needs: preempt_count() == 0 and
  // no lock held (reported as kScheduleWhileAtomic). Takes the current runqueue's lock.
  void schedule();
  // schedule(), queueing the current thread behind its equals.
  void yield();
  // Directed yield: hands the CPU to `target` if it is runnable and waiting (pulling it here
  // from another CPU when its affinity allows and it is fully switched out). Returns whether
  // `target` ran next. `target` must stay allocated for the call. Per-CPU state only.
  bool yield_to(Thread& target);
  // Gives the current thread the affinity `affinity` (empty: every CPU). If this CPU is not
  // in it, the thread then sleeps for 1 ms, again until it runs on a CPU the new set allows: a
  // wake-up places it there (sched/placement.h). On return it runs on such a CPU. Needs: `affinity` has an online CPU (callers check
  // with usable()), and a schedulable context. Takes the current runqueue's lock.
  void set_current_affinity(const smp::CpuSet& affinity);
  // Gives `t` (any thread; the current one too) the affinity `affinity` under the lock of its
  // runqueue. Does not move it: returns whether the CPU it is on (or queued on) is still
  // allowed; if not, the caller arranges for it to move (the current thread: as
  // set_current_affinity does).
  bool set_affinity(Thread& t, const smp::CpuSet& affinity);
  // `affinity` restricted to online CPUs (empty `affinity`: every online CPU).
  smp::CpuSet usable_cpus(const smp::CpuSet& affinity) const {
    return usable(affinity.empty() ? smp::CpuSet::all(count_) : affinity);
  }
  // Ends the current thread (kExited); its stack may be freed once its on_cpu flag is clear.
  [[noreturn]] void exit_current();
  // A preemption point: calls schedule() if this CPU's need_resched is set and preemption is
  // allowed (count 0, interrupts on). Called by the blocking primitives after their wake-ups
  // (sched/sync/) and, on the host, where test threads poll (the kernel's interrupt return and
  // preempt_enable() have their own, in kernel/threads/kernel_scheduler.cc).
  void preempt_point();

  // ---- Waking -------------------------------------------------------------------------------

  // Wakes `t` if it is kBlocked; returns false if it was not (already woken, or never slept).
  // If `t` has not switched away yet it simply stays on its CPU (kRunning); otherwise the waker
  // waits for `t`'s on_cpu flag to clear, then places it (sched/placement.h) and may preempt
  // the target CPU. Takes runqueue locks one at a time; callable with a wait-queue lock held.
  bool wake(Thread& t);

  // ---- Priority inheritance and timers ------------------------------------------------------

  // Makes `t` run at the inherited RT priority `priority` (kNoInheritedPriority: its own again)
  // wherever it is: re-queued under its runqueue's lock if queued, changed in place if running,
  // recorded for its next activation if blocked. A thread being woken (claimed, not yet queued)
  // is waited for, bounded by the waker's own progress. May preempt the CPU concerned.
  // Callers: the mutex's PI code (sched/sync/mutex.h), with the mutex-pi lock held. Takes
  // runqueue locks one at a time.
  void set_inherited_priority(Thread& t, int priority);

  // The current CPU's timer queue. Needs interrupts or preemption off to stay this CPU's.
  TimerQueue& local_timers() { return runqueue(this_cpu()).timers; }
  // Wakes the threads whose timers on this CPU have expired (tick() does it). Returns how many.
  std::uint32_t expire_timers();
  // Blocks the current thread until now() >= deadline (at once if it already is). Woken by the
  // tick of the CPU it went to sleep on. Needs a schedulable context. Resolution: one tick.
  void sleep_until(std::uint64_t deadline);

  // ---- Interrupt-driven -------------------------------------------------------------------

  // The timer tick on the current CPU: charges the current thread, sets need_resched when it
  // should be preempted, every kBalanceEveryTicks runs balance(), then expires this CPU's
  // timers.
  void tick();
  // Asks `cpu` to reschedule at its next preemption point (sets need_resched, kicks).
  void request_resched(platform::CpuNumber cpu);

  // ---- Balancing ------------------------------------------------------------------------------

  // An idle CPU pulls one waiting thread from the busiest CPU (affinity and on_cpu respected).
  // Takes the two runqueue locks only if both are free (try-lock: it never queues on a busy
  // CPU's lock). Returns whether it pulled one (need_resched is then set here).
  bool steal();
  // Periodic balance for the current CPU (sched/placement.h plan_balance); returns the number
  // of threads pulled.
  std::uint32_t balance();
  // Moves up to `max` migratable threads from `src` to `dst` under both locks (ascending CPU
  // order). Returns how many moved.
  std::uint32_t pull(platform::CpuNumber src, platform::CpuNumber dst, std::uint32_t max);

  // The idle thread's loop (after init_cpu): runs queued threads, steals when empty, waits in
  // hooks.idle_wait otherwise; returns when `should_stop(context)` is true.
  void idle_loop(bool (*should_stop)(void*), void* context);

  std::uint64_t now() const;

  // Lock-free view of all CPUs' published loads (for the placement functions), indexed by
  // platform::to_index of the CPU number.
  struct LoadView {
    const Scheduler* scheduler;
    std::uint32_t size() const { return scheduler->count_; }
    CpuLoad operator[](std::uint32_t index) const {
      return scheduler->runqueues_[index].published_load();
    }
  };
  LoadView loads() const { return LoadView{this}; }

 private:
  // `affinity` restricted to online CPUs.
  smp::CpuSet usable(const smp::CpuSet& affinity) const;
  bool schedule_internal(Thread* preferred, bool yielding);
  void finish_switch();
  void enqueue_woken(Thread& t, platform::CpuNumber cpu, Join how);
  void migrate_locked(Thread& t, RunQueue& src, RunQueue& dst, std::uint64_t now)
      TA_REQ(src.lock, dst.lock);
  void wait_off_cpu(Thread& t);
  // hooks_.kick, or a note in the running thread's KickBatch when it has one open.
  void kick(platform::CpuNumber cpu);
  static void thread_start(void* scheduler, void* thread);
  friend class KickBatch;
  platform::CpuNumber this_cpu() const { return platform::current_cpu(); }

  RunQueue* runqueues_;
  std::uint32_t count_;
  SchedulerHooks hooks_;
};

// The kicks (reschedule IPIs) of the wake-ups made while it is open, sent when it closes: a waker
// that wakes threads under a lock opens one before taking the lock, so the woken threads' CPUs
// hear of it only after the lock is free. Otherwise a woken thread can start at once and spin on
// the lock its waker still holds; on virtual CPUs, whose host may stop the waker right after
// its IPI, that spin lasts until the host runs the waker again (Linux wakes through a wake_q
// after unlocking for the same reason). Preemption is off while it is open, so the kicks go out
// as soon as it closes. Nested batches leave the sending to the outermost. Only where the
// scheduler has the `current` hook (the kernel); elsewhere kicks go out at once.
class KickBatch {
 public:
  explicit KickBatch(Scheduler& s);
  ~KickBatch();
  KickBatch(const KickBatch&) = delete;
  KickBatch& operator=(const KickBatch&) = delete;

 private:
  friend class Scheduler;
  // A wake-up wakes one thread or a few: more CPUs than this are kicked at once.
  static constexpr std::uint32_t kSlots = 4;
  // Takes a slot for `cpu` (false: it is there already, or no slot is left). An interrupt on
  // this CPU may note too: it runs to the end before the thread goes on, so a slot the thread
  // has claimed (count_) but not yet filled is filled before anyone reads it.
  bool note(platform::CpuNumber cpu);

  Scheduler& s_;
  Thread* self_ = nullptr;  // null: not the outermost (or no current hook): sends nothing
  std::atomic<std::uint32_t> count_{0};
  // kNoCpu until filled: a claimed slot an interrupt finds unfilled matches no CPU.
  platform::CpuNumber cpus_[kSlots] = {kNoCpu, kNoCpu, kNoCpu, kNoCpu};
};

}  // namespace sched
