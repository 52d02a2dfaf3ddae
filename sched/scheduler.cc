#include "sched/scheduler.h"

#include "sched/arch/x86_64/xsave.h"
#include "sched/config.h"
#include "sched/runqueue_pair.h"
#include "sched/weight.h"
#include "smp/irq_guard.h"
#include "smp/locks/spin_wait.h"

namespace sched {
namespace {

void report(BugKind kind, const Thread* t, ThreadState from, ThreadState to) {
  report_bug(BugReport{kind, t, from, to, platform::to_index(platform::current_cpu())});
}

}  // namespace

Scheduler::Scheduler(RunQueue* runqueues, std::uint32_t count, const SchedulerHooks& hooks)
    : runqueues_(runqueues), count_(count), hooks_(hooks) {
  for (std::uint32_t c = 0; c < count; ++c) runqueues_[c].assign_cpu(platform::CpuNumber{c});
}

smp::CpuSet Scheduler::usable(const smp::CpuSet& affinity) const {
  smp::CpuSet result;
  for (std::uint32_t c = affinity.next(0); c < count_; c = affinity.next(c + 1)) {
    // Acquire: pairs with the release in init_cpu; the runqueue's initialisation is visible.
    if (runqueues_[c].online.load(std::memory_order_acquire)) result.add(platform::CpuNumber{c});
  }
  return result;
}

std::uint64_t Scheduler::now() const {
  if (hooks_.now_ns) return hooks_.now_ns(hooks_.context);
  std::uint64_t c = platform::cycles();
  std::uint64_t hz = platform::cycles_per_second();
  // Split so that c * 10^9 cannot overflow.
  return c / hz * 1'000'000'000ull + c % hz * 1'000'000'000ull / hz;
}

// ---- Set-up -------------------------------------------------------------------------------

void Scheduler::init_cpu(Thread& idle) {
  platform::CpuNumber cpu = this_cpu();
  idle.name = "idle";
  idle.affinity = smp::CpuSet{};
  idle.affinity.add(cpu);
  // Relaxed: the idle thread is not visible to other CPUs before the runqueue lock below is
  // released, which publishes these stores.
  idle.state.store(ThreadState::kRunning, std::memory_order_relaxed);
  idle.on_cpu.store(true, std::memory_order_relaxed);
  idle.cpu.store(cpu, std::memory_order_relaxed);
  RunQueue& rq = runqueue(cpu);
  {
    smp::Guard g{rq.lock};
    rq.init(idle);
    rq.set_curr(idle, now());
  }
  // Release: whoever sees the CPU online sees its runqueue initialised.
  rq.online.store(true, std::memory_order_release);
}

void Scheduler::init_thread(Thread& t, std::uint64_t id, const ThreadParams& params, void* stack,
                            std::size_t stack_size, ThreadEntry entry, void* arg) {
  t.id = id;
  t.name = params.name;
  t.entry = entry;
  t.arg = arg;
  t.policy = params.policy;
  t.nice = params.nice;
  t.rt_priority = params.rt_priority < kRtPriorities ? params.rt_priority : kRtPriorities - 1;
  t.affinity = params.affinity;
  if (t.affinity.empty()) t.affinity = smp::CpuSet::all(count_);
  t.fair = FairEntity{};
  t.fair.weight = weight_of_nice(params.nice);
  t.fair.slice_ns = params.slice_ns ? params.slice_ns : kDefaultSliceNs;
  t.fair.thread = &t;
  t.rt = RtEntity{};
  t.rt.priority = t.rt_priority;
  t.rt.round_robin = params.policy == SchedPolicy::kRoundRobin;
  t.rt.thread = &t;
  t.pi_priority = kNoInheritedPriority;
  t.pi = PiState{};
  // Relaxed: `t` is private to the caller until start() publishes it under a runqueue lock.
  t.state.store(ThreadState::kNew, std::memory_order_relaxed);
  t.on_cpu.store(false, std::memory_order_relaxed);
  t.on_rq.store(false, std::memory_order_relaxed);
  const std::uint32_t first = t.affinity.next(0);
  t.cpu.store(platform::CpuNumber{first < count_ ? first : 0}, std::memory_order_relaxed);
  init_context(t.context, stack, stack_size, &Scheduler::thread_start, this, &t);
}

void Scheduler::start(Thread& t) {
  platform::CpuNumber cpu = select_start_cpu(usable(t.affinity), loads());
  if (cpu == kNoCpu) {
    report(BugKind::kAffinityViolated, &t, ThreadState::kNew, ThreadState::kRunnable);
    return;
  }
  enqueue_woken(t, cpu, Join::kStart);
}

// Puts `t` (kNew, or kRunnable, on no runqueue and claimed by this caller) on `cpu`, preempting
// there if it should. t.cpu changes only with the lock of the runqueue it names held
// (docs/scheduling.md, "Which lock covers t.cpu"), so the old runqueue's lock is held as well as
// the new one's: a CPU that holds the old lock and has seen t.cpu name it knows that t.cpu and
// on_rq stay as they are until it lets go.
void Scheduler::enqueue_woken(Thread& t, platform::CpuNumber cpu, Join how) {
  RunQueue& rq = runqueue(cpu);
  // Relaxed: nobody else writes t.cpu while `t` is in transit (the claim shuts out other wakers;
  // the balancer and directed yield move only queued threads), so this is our own last value.
  RunQueue& old = runqueue(t.cpu.load(std::memory_order_relaxed));
  bool preempt = false;
  {
    RunqueuePair pair{old, rq};
    if constexpr (kChecks) {
      if (!t.affinity.contains(cpu)) {
        report(BugKind::kAffinityViolated, &t, t.state.load(std::memory_order_relaxed),
               ThreadState::kRunnable);
      }
    }
    if (how == Join::kStart) transition(t, ThreadState::kNew, ThreadState::kRunnable);
    // Relaxed: readers re-check it under the lock of the runqueue it names (both are held).
    t.cpu.store(cpu, std::memory_order_relaxed);
    rq.activate(t, how, now());
    preempt = rq.wakeup_preempts(t);
    if (preempt) rq.need_resched.store(true, std::memory_order_relaxed);
  }
  if (preempt && cpu != this_cpu()) kick(cpu);
}

// ---- Switching ------------------------------------------------------------------------------

void Scheduler::kick(platform::CpuNumber cpu) {
  if (hooks_.kick == nullptr) return;
  if (hooks_.current != nullptr) {
    // The thread itself, or an interrupt on its CPU (which the batch's fences order).
    Thread* self = hooks_.current(hooks_.context);
    KickBatch* batch = self != nullptr ? self->kick_batch.load(std::memory_order_relaxed) : nullptr;
    if (batch != nullptr && batch->note(cpu)) return;
  }
  hooks_.kick(cpu, hooks_.context);
}

KickBatch::KickBatch(Scheduler& s) : s_(s) {
  platform::preempt_disable();  // this thread stays on this CPU, and the kicks go out on close
  if (s.hooks_.current == nullptr || s.hooks_.kick == nullptr) return;
  Thread* self = s.hooks_.current(s.hooks_.context);
  if (self == nullptr || self->kick_batch.load(std::memory_order_relaxed) != nullptr) return;
  self_ = self;
  self->kick_batch.store(this, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

KickBatch::~KickBatch() {
  if (self_ != nullptr) {
    self_->kick_batch.store(nullptr, std::memory_order_relaxed);
    // An interrupt from here on kicks at once; what one noted before is read below.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const std::uint32_t n = count_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n && i < kSlots; ++i) s_.hooks_.kick(cpus_[i], s_.hooks_.context);
  }
  platform::preempt_enable();
}

bool KickBatch::note(platform::CpuNumber cpu) {
  const std::uint32_t n = count_.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < n && i < kSlots; ++i) {
    if (cpus_[i] == cpu) return true;  // kicked once when the batch closes
  }
  if (n >= kSlots) return false;
  // Relaxed: only this CPU touches the batch (the thread, or an interrupt that runs to its end).
  const std::uint32_t slot = count_.fetch_add(1, std::memory_order_relaxed);
  if (slot >= kSlots) return false;  // an interrupt took the last one meanwhile
  cpus_[slot] = cpu;
  return true;
}

Thread* Scheduler::current() {
  if (hooks_.current != nullptr) return hooks_.current(hooks_.context);
  smp::IrqGuard irq;  // the CPU number and its curr stay together
  RunQueue& rq = runqueue(this_cpu());
  smp::Guard g{rq.lock};
  return rq.curr();
}

void Scheduler::schedule() { schedule_internal(nullptr, false); }
void Scheduler::yield() { schedule_internal(nullptr, true); }

bool Scheduler::schedule_internal(Thread* preferred, bool yielding) {
  if constexpr (kChecks) {
    if (platform::preempt_count() != 0) {
      report(BugKind::kScheduleWhileAtomic, nullptr, ThreadState::kRunning, ThreadState::kRunning);
    }
  }
  // Interrupts stay off from here through the switch to the matching restore in the thread
  // that resumes (or thread_start): a half-saved context must not be interrupted into another
  // schedule(). Preemption count 1 across every switch, for the same reason on the host.
  platform::IrqState irq = platform::irq_save_disable();
  platform::preempt_disable();
  platform::CpuNumber cpu = this_cpu();
  RunQueue& rq = runqueue(cpu);
  Thread* prev;
  Thread* next = nullptr;
  bool took_preferred = false;
  {
    smp::Guard g{rq.lock};
    std::uint64_t t = now();
    rq.need_resched.store(false, std::memory_order_relaxed);  // served by this pick
    prev = rq.curr();
    rq.update_curr(t);
    if (prev != rq.idle()) {
      ThreadState s = prev->state.load(std::memory_order_relaxed);
      if (s == ThreadState::kRunning) {
        transition(*prev, ThreadState::kRunning, ThreadState::kRunnable);
        rq.put_prev(*prev, yielding);
      } else {
        // kBlocked (no waker got here first: a waker holding this lock would have made it
        // kRunning) or kExited. Its on_cpu flag stays set until finish_switch.
        rq.deactivate(*prev, t);
      }
    }
    // t.cpu first: once it names this CPU, under this lock, on_rq and state are ours to read.
    if (preferred && preferred != prev &&
        preferred->cpu.load(std::memory_order_relaxed) == cpu &&
        preferred->on_rq.load(std::memory_order_relaxed) &&
        preferred->state.load(std::memory_order_relaxed) == ThreadState::kRunnable) {
      rq.take(*preferred);
      next = preferred;
      took_preferred = true;
    } else {
      next = rq.pick_next();
    }
    if (next != rq.idle()) transition(*next, ThreadState::kRunnable, ThreadState::kRunning);
    rq.set_curr(*next, t);
    if (next != prev) {
      // Acquire: pairs with the release in finish_switch on whichever CPU switched `next` out
      // last, so the context it saved is visible before we load it. It must have been clear:
      // wakers wait for it and the balancer skips threads with it set.
      if (next->on_cpu.exchange(true, std::memory_order_acquire)) {
        report(BugKind::kOnCpuTwice, next, ThreadState::kRunnable, ThreadState::kRunning);
      }
      rq.switch_prev = prev;
    }
  }
  if (next != prev) {
    if (hooks_.before_switch) hooks_.before_switch(prev, next, hooks_.context);
    if constexpr (kSwitchExtendedState) {
      // Both here, on this CPU, before the switch: nothing between this and `next` resuming
      // touches the FPU (the kernel is general-registers-only), so `next` finds its registers.
      if (prev->extended_state) arch::save_state(prev->extended_state);
      if (next->extended_state) arch::restore_state(next->extended_state);
    }
    switch_context(&prev->context, &next->context);
    // Back in `prev`, maybe on another CPU, switched to by someone's schedule_internal.
    finish_switch();
  }
  platform::preempt_enable();
  platform::irq_restore(irq);
  return took_preferred;
}

// Runs first in the thread switched to, on the CPU that switched: the thread switched away
// from is now fully saved.
void Scheduler::finish_switch() {
  RunQueue& rq = runqueue(this_cpu());
  Thread* prev = rq.switch_prev;
  rq.switch_prev = nullptr;
  // Release: this CPU's saving of prev (registers pushed on prev's stack, rsp stored in
  // prev->context) happens-before any acquire load that sees false: the waker or balancer may
  // then let another CPU load that context, and an exited thread's stack may be freed.
  prev->on_cpu.store(false, std::memory_order_release);
}

void Scheduler::thread_start(void* scheduler, void* thread) {
  auto& self = *static_cast<Scheduler*>(scheduler);
  auto& t = *static_cast<Thread*>(thread);
  // The other half of the schedule_internal() that switched here.
  self.finish_switch();
  platform::preempt_enable();
  platform::irq_restore(platform::IrqState{true});
  t.entry(t.arg);
  self.exit_current();
}

void Scheduler::exit_current() {
  {
    smp::IrqGuard irq;
    RunQueue& rq = runqueue(this_cpu());
    smp::Guard g{rq.lock};
    transition(*rq.curr(), ThreadState::kRunning, ThreadState::kExited);
  }
  schedule();
  // Nobody switches back to an exited thread.
  report(BugKind::kInvalidTransition, nullptr, ThreadState::kExited, ThreadState::kRunning);
  for (;;) __builtin_trap();
}

void Scheduler::preempt_point() {
  if (platform::preempt_count() != 0 || !platform::irqs_enabled()) return;
  bool resched;
  {
    // The CPU number and its flag stay together. Not a preemption guard: in the kernel, its
    // preempt_enable is itself a preemption point, which would switch before the one below.
    smp::IrqGuard irq;
    resched = runqueue(this_cpu()).need_resched.load(std::memory_order_relaxed);
  }
  if (resched) schedule();
}

bool Scheduler::yield_to(Thread& target) {
  {
    smp::IrqGuard irq;  // this CPU stays this CPU until schedule_internal
    platform::CpuNumber here = this_cpu();
    RunQueue& mine = runqueue(here);
    for (;;) {
      // Relaxed: a hint, re-checked once both locks are held.
      platform::CpuNumber there = target.cpu.load(std::memory_order_relaxed);
      RunqueuePair pair{mine, runqueue(there)};
      if (target.cpu.load(std::memory_order_relaxed) != there) continue;  // moved meanwhile
      if (&target == mine.curr()) return false;
      // With `there` locked and t.cpu naming it, t.cpu and on_rq cannot change under us.
      if (!target.on_rq.load(std::memory_order_relaxed) ||
          target.state.load(std::memory_order_relaxed) != ThreadState::kRunnable) {
        return false;  // running elsewhere, blocked, being woken, or exited
      }
      if (there != here) {
        if (!target.affinity.contains(here) ||
            // Acquire: as in RunQueue::find_migratable.
            target.on_cpu.load(std::memory_order_acquire)) {
          return false;
        }
        migrate_locked(target, runqueue(there), mine, now());
      }
      break;
    }
  }
  return schedule_internal(&target, true);
}

// ---- Waking ---------------------------------------------------------------------------------

bool Scheduler::wake(Thread& t) {
  smp::IrqGuard irq;  // as Linux's try_to_wake_up: no interrupt between claim and enqueue
  for (;;) {
    // Relaxed: a hint, re-checked under that runqueue's lock (a migration changes it under
    // both its old and new runqueue's locks, a waker's enqueue under the new one's).
    platform::CpuNumber cpu = t.cpu.load(std::memory_order_relaxed);
    RunQueue& rq = runqueue(cpu);
    smp::Guard g{rq.lock};
    // Once t.cpu names this runqueue under its lock it stays so until we unlock (enqueue_woken
    // and migrations hold the old runqueue's lock to change it).
    if (t.cpu.load(std::memory_order_relaxed) != cpu) continue;
    if (t.state.load(std::memory_order_relaxed) != ThreadState::kBlocked) return false;
    if (t.on_rq.load(std::memory_order_relaxed)) {
      // Still current on `cpu`, between marking itself blocked and schedule(), which takes this
      // lock after us and will see kRunning: it keeps running. Nothing else to do.
      transition(t, ThreadState::kBlocked, ThreadState::kRunning);
      return true;
    }
    // Off the runqueue: claim the wake-up (later wakers see kRunnable and return false; the
    // balancer never sees a thread that is on no runqueue), then place it.
    transition(t, ThreadState::kBlocked, ThreadState::kRunnable);
    break;
  }
  wait_off_cpu(t);
  platform::CpuNumber prev = t.cpu.load(std::memory_order_relaxed);
  platform::CpuNumber target = select_wake_cpu(prev, usable(t.affinity), loads());
  if (target == kNoCpu) target = prev;  // no online CPU allowed: its old one (it was online)
  enqueue_woken(t, target, Join::kWakeup);
  return true;
}

// The on-CPU protocol (docs/scheduling.md): a thread that blocked may still be in the middle of
// being switched away from on its old CPU. Until that CPU clears on_cpu, its registers are not
// all saved, and no other CPU may switch to it.
void Scheduler::wait_off_cpu(Thread& t) {
  // Acquire: pairs with the release in finish_switch; after it, t's saved context is visible
  // to this CPU and, through the runqueue lock we take next, to the CPU that will run t.
  if (!t.on_cpu.load(std::memory_order_acquire)) return;
  smp::SpinWait wait(&t, nullptr, nullptr);  // pause, serve cross-CPU requests, stall check
  std::uint64_t started = platform::cycles();
  bool reported = false;
  while (t.on_cpu.load(std::memory_order_acquire)) {
    wait.pause();
    if constexpr (kChecks && smp::kSpinCheck) {
      if (!reported && platform::cycles() - started > smp::spin_limit()) {
        report(BugKind::kOnCpuStall, &t, ThreadState::kRunnable, ThreadState::kRunnable);
        reported = true;
      }
    }
  }
}

// ---- Ticks and balancing ------------------------------------------------------------------

void Scheduler::tick() {
  smp::IrqGuard irq;  // as in the timer interrupt
  platform::CpuNumber cpu = this_cpu();
  RunQueue& rq = runqueue(cpu);
  bool preempt;
  bool balance_now;
  {
    smp::Guard g{rq.lock};
    preempt = rq.tick(now());
    balance_now = ++rq.ticks % kBalanceEveryTicks == 0;
  }
  if (preempt) rq.need_resched.store(true, std::memory_order_relaxed);
  if (balance_now) balance();
  expire_timers();
}

std::uint32_t Scheduler::expire_timers() {
  smp::IrqGuard irq;  // this CPU's queue stays this CPU's
  return runqueue(this_cpu()).timers.expire(now(), [this](Thread& t) { wake(t); });
}

void Scheduler::sleep_until(std::uint64_t deadline) {
  if (now() >= deadline) return;
  Thread* self = current();
  TimerEntry entry;
  TimerQueue* q;
  {
    smp::IrqGuard irq;  // a queue that is ours; any CPU's would do (its tick expires it)
    q = &runqueue(this_cpu()).timers;
  }
  for (;;) {
    {
      smp::Guard g{q->lock};
      if (now() >= deadline) {
        q->remove(entry);
        return;
      }
      if (!entry.queued) {
        entry.thread = self;
        entry.deadline = deadline;
        q->insert(entry);
      }
      // Under the timer lock, which expiry holds to wake: it finds us blocked, or we were
      // woken (then we are not blocked here and schedule() returns at once).
      transition(*self, ThreadState::kRunning, ThreadState::kBlocked);
    }
    schedule();
  }
}

bool Scheduler::set_affinity(Thread& t, const smp::CpuSet& affinity) {
  smp::IrqGuard irq;
  for (;;) {
    const platform::CpuNumber cpu = t.cpu.load(std::memory_order_acquire);
    RunQueue& rq = runqueue(cpu);
    smp::Guard g{rq.lock};
    if (t.cpu.load(std::memory_order_relaxed) != cpu) continue;  // moved meanwhile: again
    t.affinity = affinity;
    return usable_cpus(affinity).contains(cpu);
  }
}

void Scheduler::set_current_affinity(const smp::CpuSet& affinity) {
  Thread* self = current();
  bool move;
  {
    smp::IrqGuard irq;
    RunQueue& rq = runqueue(this_cpu());
    smp::Guard g{rq.lock};  // `affinity` changes under the lock of the thread's runqueue
    self->affinity = affinity;
    move = !usable_cpus(affinity).contains(this_cpu());
  }
  // A sleep that really blocks (a deadline already past would return at once): its wake-up
  // goes through placement, which now respects the new affinity. But a timer that fires
  // between sleep_until marking us blocked and its schedule() (a long interrupt, or a stalled
  // virtual CPU, in that window) wakes us while still current here: we keep running on this
  // CPU and the sleep returns with its deadline past. So sleep again until on an allowed CPU;
  // each round that really blocks ends there, and the thread never leaves an allowed CPU for
  // a disallowed one afterwards (wakes, the balancer and directed yields check the affinity).
  constexpr std::uint64_t kMigrationSleepNs = 1'000'000;
  while (move) {
    sleep_until(now() + kMigrationSleepNs);
    smp::IrqGuard irq;  // the CPU number stays ours while we look at it
    move = !usable_cpus(affinity).contains(this_cpu());
  }
}

void Scheduler::set_inherited_priority(Thread& t, int priority) {
  smp::IrqGuard irq;
  smp::SpinWait wait(&t, nullptr, nullptr);
  platform::CpuNumber cpu;
  bool preempt;
  for (;;) {
    // Relaxed: a hint, re-checked under the lock (as in wake()).
    cpu = t.cpu.load(std::memory_order_relaxed);
    RunQueue& rq = runqueue(cpu);
    {
      smp::Guard g{rq.lock};
      if (t.cpu.load(std::memory_order_relaxed) != cpu) continue;
      // kRunnable and on no runqueue: a waker has claimed it and is about to queue it
      // elsewhere under another lock; wait for that to finish (it needs none of our locks).
      // t.cpu is stable now (see wake()); a thread in transit still names its old CPU.
      const bool in_transit = !t.on_rq.load(std::memory_order_relaxed) &&
                              t.state.load(std::memory_order_relaxed) == ThreadState::kRunnable;
      if (!in_transit) {
        preempt = rq.set_inherited_priority(t, priority, now());
        if (preempt) rq.need_resched.store(true, std::memory_order_relaxed);
        break;
      }
    }
    wait.pause();
  }
  if (preempt && cpu != this_cpu()) kick(cpu);
}

void Scheduler::request_resched(platform::CpuNumber cpu) {
  runqueue(cpu).need_resched.store(true, std::memory_order_relaxed);
  kick(cpu);
}

void Scheduler::migrate_locked(Thread& t, RunQueue& src, RunQueue& dst, std::uint64_t now) {
  src.deactivate(t, now);
  // Relaxed: written with both runqueue locks held (see wake()).
  t.cpu.store(dst.cpu(), std::memory_order_relaxed);
  dst.activate(t, Join::kMigrate, now);
  if (dst.wakeup_preempts(t)) dst.need_resched.store(true, std::memory_order_relaxed);
}

std::uint32_t Scheduler::pull(platform::CpuNumber src, platform::CpuNumber dst,
                              std::uint32_t max) {
  if (src == dst || platform::to_index(src) >= count_ || platform::to_index(dst) >= count_ ||
      max == 0) {
    return 0;
  }
  RunQueue& from = runqueue(src);
  RunQueue& to = runqueue(dst);
  std::uint32_t moved = 0;
  {
    RunqueuePair pair{from, to};
    std::uint64_t t = now();
    while (moved < max) {
      Thread* victim = from.find_migratable(dst);
      if (victim == nullptr) break;
      migrate_locked(*victim, from, to, t);
      ++moved;
    }
  }
  if (moved && dst != this_cpu()) kick(dst);
  return moved;
}

bool Scheduler::steal() {
  smp::IrqGuard irq;
  platform::CpuNumber self = this_cpu();
  platform::CpuNumber src = select_steal_source(self, loads());
  if (src == kNoCpu) return false;
  RunQueue& from = runqueue(src);
  RunQueue& to = runqueue(self);
  {
    // Only if both locks are free right now. An idle CPU that queued on a busy CPU's FIFO lock
    // would hold up that CPU's own tick and schedule() behind every idle CPU doing the same, and
    // behind any of them whose (virtual) CPU is not running when its turn comes: the next
    // chance to steal (a wake-up, the idle balancer kick) is soon enough.
    TryRunqueuePair pair{from, to};
    if (!pair.locked()) return false;
    Thread* victim = from.find_migratable(self);
    if (victim == nullptr) return false;
    migrate_locked(*victim, from, to, now());
  }
  to.need_resched.store(true, std::memory_order_relaxed);
  return true;
}

std::uint32_t Scheduler::balance() {
  smp::IrqGuard irq;
  platform::CpuNumber self = this_cpu();
  BalancePlan plan = plan_balance(self, loads());
  if (plan.count == 0) return 0;
  std::uint32_t moved = pull(plan.source, self, plan.count);
  if (moved) runqueue(self).need_resched.store(true, std::memory_order_relaxed);
  return moved;
}

void Scheduler::idle_loop(bool (*should_stop)(void*), void* context) {
  platform::CpuNumber cpu = this_cpu();  // the idle thread never migrates
  RunQueue& rq = runqueue(cpu);
  for (;;) {
    if (should_stop && should_stop(context)) return;
    if (rq.need_resched.load(std::memory_order_relaxed) || rq.published_load().nr_running > 0) {
      schedule();
      continue;
    }
    if (steal()) {
      schedule();
      continue;
    }
    if (hooks_.idle_wait) {
      hooks_.idle_wait(rq.need_resched, hooks_.context);
    } else {
      platform::cpu_relax();
    }
  }
}

}  // namespace sched
