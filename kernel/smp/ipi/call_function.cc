#include "kernel/smp/ipi/call_function.h"

#include <atomic>

#include "kernel/arch/x86_64/apic/interrupt_dispatch.h"
#include "kernel/arch/x86_64/apic/local_apic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/platform/locking_kernel.h"
#include "kernel/smp/cpus.h"
#include "kernel/smp/ipi/reschedule.h"
#include "kernel/smp/per_cpu.h"
#include "kernel/time/clock.h"
#include "smp/irq_guard.h"
#include "smp/locks/locks.h"

namespace smp {
namespace {

constinit LockClass kIpiQueueClass{"ipi-queue", LockRank{50}};
using IpiQueueLock = TicketSpinLock<IrqSave, kIpiQueueClass>;

constexpr std::uint32_t kQueueCapacity = 64;
constexpr std::uint32_t kNoTicket = 0;

struct QueuedCall {
  CallFunction fn = nullptr;
  CallArgs args;
  std::uint32_t sender = platform::kNoCpu;  // kNoCpu: asynchronous, nobody to tell
  std::uint32_t ticket = kNoTicket;
};

struct CallQueue {
  IpiQueueLock lock;
  QueuedCall ring[kQueueCapacity] TA_GUARDED(lock);
  std::uint32_t head TA_GUARDED(lock) = 0;
  std::uint32_t count TA_GUARDED(lock) = 0;
  // A copy of `count` for the lock-free "anything to do?" test of the spin-wait hook. Written
  // under the lock; a stale 0 is harmless: the push that made it non-zero also sent an IPI (or
  // will be seen by the next poll).
  std::atomic<std::uint32_t> pending{0};
  // Non-zero while this CPU runs its own queue code (pushing anywhere, or popping): the
  // spin-wait hook must not re-enter it (it might spin on a queue lock it is already taking).
  std::uint32_t in_queue_code = 0;
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> ipis_sent{0};
  std::atomic<std::uint64_t> ipis_skipped{0};
};

// The sender's side of a synchronous call: (ticket << 32) | CPUs still to run it. The target
// decrements with a CAS that checks the ticket, so a request that outlives a timed-out call
// cannot touch the sender's next call.
struct Completion {
  std::atomic<std::uint64_t> word{0};
  std::uint32_t next_ticket = 1;
  bool waiting = false;  // a sync call is under way on this CPU (nesting is a bug)
};

PerCpu<CallQueue> g_queues;
PerCpu<Completion> g_completion;
std::atomic<bool> g_ready{false};

void complete(std::uint32_t sender, std::uint32_t ticket) {
  std::atomic<std::uint64_t>& w = g_completion.on(platform::CpuNumber{sender}).word;
  // Acquire/release: the sender that sees the count reach 0 (acquire load) sees everything
  // the function wrote before this CAS.
  std::uint64_t v = w.load(std::memory_order_acquire);
  while ((v >> 32) == ticket && (v & 0xFFFF'FFFFu) != 0) {
    if (w.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return;
    }
  }
}

// Pops one request, or returns false when the queue is empty.
bool pop(CallQueue& q, QueuedCall& out) {
  Guard guard{q.lock};
  if (q.count == 0) return false;
  out = q.ring[q.head];
  q.head = (q.head + 1) % kQueueCapacity;
  --q.count;
  q.pending.store(q.count, std::memory_order_relaxed);  // see CallQueue::pending
  return true;
}

enum class PushResult { kQueuedWasEmpty, kQueuedWasBusy, kFull };

PushResult push(CallQueue& q, const QueuedCall& call) {
  Guard guard{q.lock};
  if (q.count == kQueueCapacity) return PushResult::kFull;
  q.ring[(q.head + q.count) % kQueueCapacity] = call;
  ++q.count;
  q.pending.store(q.count, std::memory_order_relaxed);
  return q.count == 1 ? PushResult::kQueuedWasEmpty : PushResult::kQueuedWasBusy;
}

// RAII marker for CallQueue::in_queue_code of the current CPU (interrupts off).
class InQueueCode {
 public:
  InQueueCode() : q_(g_queues.get()) { ++q_.in_queue_code; }
  ~InQueueCode() { --q_.in_queue_code; }

 private:
  CallQueue& q_;
};

void call_ipi_handler(arch::InterruptFrame&) {
  arch::count_ipi();
  serve_call_queue();
}

// Serves this CPU's queue with interrupts off for a moment: used by every wait loop here.
void serve_own_queue() {
  IrqGuard irq;
  serve_call_queue();
}

bool queue_one(platform::CpuNumber cpu, const QueuedCall& call, std::uint64_t deadline,
               bool shootdown_vector) {
  CallQueue& q = g_queues.on(cpu);
  for (;;) {
    // A sender with interrupts off is not reachable by IPI: serve what others queued for it
    // before adding to their queues, or two CPUs sending to each other in a loop fill each
    // other's queues and wait (bounded, but needlessly).
    serve_own_queue();
    PushResult r;
    {
      IrqGuard irq;
      InQueueCode marker;
      r = push(q, call);
    }
    if (r == PushResult::kQueuedWasEmpty) {
      q.ipis_sent.fetch_add(1, std::memory_order_relaxed);
      // The queue lock's release store precedes the ICR write; local_apic.cc fences an x2APIC
      // ICR write (WRMSR is not serialising) so the target sees the request when it runs.
      apic::send_ipi(cpu_local(cpu)->apic_id,
                     shootdown_vector ? apic::Vector::kTlbShootdown : apic::Vector::kCallFunction);
      return true;
    }
    if (r == PushResult::kQueuedWasBusy) {
      q.ipis_skipped.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    // Full: the target is behind. Serve our own queue (it may be calling us) and retry.
    if (ktime::now_ns() > deadline) {
      klog::error("ipi: call queue of cpu {} full ({} requests) until the deadline", to_index(cpu),
                  kQueueCapacity);
      return false;
    }
    platform::cpu_relax();
  }
}

}  // namespace

void serve_call_queue() {
  CallQueue& q = g_queues.get();  // interrupts are off: this CPU's queue
  if (q.in_queue_code != 0) return;
  while (q.pending.load(std::memory_order_relaxed) != 0) {
    QueuedCall call;
    bool got;
    {
      InQueueCode marker;
      got = pop(q, call);
    }
    if (!got) break;
    call.fn(call.args);
    q.served.fetch_add(1, std::memory_order_relaxed);
    if (call.sender != platform::kNoCpu) complete(call.sender, call.ticket);
  }
}

void init_call_service() {
  apic::set_handler(apic::Vector::kCallFunction, call_ipi_handler);
  apic::set_handler(apic::Vector::kTlbShootdown, call_ipi_handler);
  init_reschedule_ipi();
  // Release: the queues (constructed statically, allocated by PerCpuRegistry before the APs
  // started) are complete before any CPU sees the service as ready.
  g_ready.store(true, std::memory_order_release);
  platform::kernel::set_spin_wait_service(serve_call_queue);
}

bool call_service_ready() { return g_ready.load(std::memory_order_acquire); }

CpuSet online_cpus() {
  CpuSet set;
  const std::uint32_t n = platform::cpu_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (cpu_online(platform::CpuNumber{i})) set.add(platform::CpuNumber{i});
  }
  return set;
}

bool call_on_cpus_with_vector(const CpuSet& targets, CallFunction fn, CallArgs args,
                              CallMode mode, std::uint64_t timeout_ns, bool shootdown_vector) {
  const std::uint64_t deadline = ktime::now_ns() + timeout_ns;
  const bool sync = mode == CallMode::kSync;
  if (sync && platform::in_interrupt()) panic("ipi: synchronous call from interrupt context");
  // The sender's CPU number must stay fixed while its completion is in use.
  platform::preempt_disable();
  const platform::CpuNumber self = platform::current_cpu();
  CpuSet remote = targets;
  remote.remove(self);
  CpuSet online = online_cpus();
  remote &= online;
  const bool run_here = targets.contains(self);
  if (!g_ready.load(std::memory_order_acquire)) remote = CpuSet{};

  Completion& done = g_completion.on(self);
  QueuedCall call{fn, args, platform::kNoCpu, kNoTicket};
  const std::uint32_t n = remote.count();
  if (sync && n != 0) {
    if (done.waiting) panic("ipi: synchronous call nested inside another on cpu {}", to_index(self));
    done.waiting = true;
    std::uint32_t ticket = done.next_ticket++;
    if (ticket == kNoTicket) ticket = done.next_ticket++;
    call.sender = to_index(self);
    call.ticket = ticket;
    // Release: pairs with the targets' acquire loads in complete().
    done.word.store((std::uint64_t{ticket} << 32) | n, std::memory_order_release);
  }
  std::uint32_t queued = 0;
  bool ok = true;
  for (std::uint32_t c = remote.next(0); c < kMaxCpus; c = remote.next(c + 1)) {
    if (!queue_one(platform::CpuNumber{c}, call, deadline, shootdown_vector)) {
      ok = false;
      remote.remove(platform::CpuNumber{c});
      if (sync) complete(to_index(self), call.ticket);  // never coming: do not wait for it
      continue;
    }
    ++queued;
  }
  if (run_here) {
    IrqGuard irq;
    fn(args);
  }
  if (sync && n != 0) {
    while ((done.word.load(std::memory_order_acquire) & 0xFFFF'FFFFu) != 0 &&
           ktime::now_ns() <= deadline) {
      serve_own_queue();
      platform::cpu_relax();
    }
    const std::uint32_t missing = done.word.load(std::memory_order_acquire) & 0xFFFF'FFFFu;
    if (missing != 0) {
      ok = false;
      klog::error("ipi: call from cpu {}: {} of {} CPUs had not run it after {} ms", to_index(self),
                  missing, n, timeout_ns / 1'000'000);
      for (std::uint32_t c = remote.next(0); c < kMaxCpus; c = remote.next(c + 1)) {
        const CallQueueStats s = call_queue_stats(platform::CpuNumber{c});
        klog::error("ipi:   cpu {}: {} pending, {} served, {} IPIs sent, {} timer ticks", c,
                    g_queues.on(platform::CpuNumber{c}).pending.load(std::memory_order_relaxed),
                    s.served, s.ipis_sent,
                    arch::read_counter(cpu_local(platform::CpuNumber{c})->timer_ticks));
      }
    }
    done.waiting = false;
  }
  (void)queued;
  platform::preempt_enable();
  return ok;
}

bool call_on_cpus(const CpuSet& targets, CallFunction fn, CallArgs args, CallMode mode,
                  std::uint64_t timeout_ns) {
  return call_on_cpus_with_vector(targets, fn, args, mode, timeout_ns, false);
}

bool call_on_cpu(platform::CpuNumber cpu, CallFunction fn, CallArgs args, CallMode mode,
                 std::uint64_t timeout_ns) {
  if (!cpu_online(cpu)) return false;
  CpuSet one;
  one.add(cpu);
  return call_on_cpus(one, fn, args, mode, timeout_ns);
}

bool call_on_all_but_self(CallFunction fn, CallArgs args, CallMode mode,
                          std::uint64_t timeout_ns) {
  platform::preempt_disable();
  CpuSet others = online_cpus();
  others.remove(platform::current_cpu());
  const bool ok = call_on_cpus(others, fn, args, mode, timeout_ns);
  platform::preempt_enable();
  return ok;
}

CallQueueStats call_queue_stats(platform::CpuNumber cpu) {
  CallQueue& q = g_queues.on(cpu);
  return {q.served.load(std::memory_order_relaxed), q.ipis_sent.load(std::memory_order_relaxed),
          q.ipis_skipped.load(std::memory_order_relaxed)};
}

}  // namespace smp
