#include "smp/calls/call_service.h"

#include "smp/irq_guard.h"

namespace smp {
namespace {

constexpr std::uint64_t kCountMask = 0xFFFF'FFFFu;

// The cycle count at which a wait of `timeout_ns` from now ends (saturating). Whole seconds
// and the rest apart, in 64 bits (the kernel has no 128-bit division): the rest times the rate
// stays below 2^64 for rates below 18 GHz.
std::uint64_t deadline_after(std::uint64_t timeout_ns) {
  constexpr std::uint64_t kMax = ~std::uint64_t{0};
  constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
  const std::uint64_t hz = platform::cycles_per_second();
  std::uint64_t span;
  if (__builtin_mul_overflow(timeout_ns / kNsPerSecond, hz, &span) ||
      __builtin_add_overflow(span, timeout_ns % kNsPerSecond * hz / kNsPerSecond, &span)) {
    return kMax;
  }
  const std::uint64_t now = platform::cycles();
  return span > kMax - now ? kMax : now + span;
}

bool past(std::uint64_t deadline) { return platform::cycles() > deadline; }

// RAII marker for CpuCalls::in_queue_code of the current CPU (interrupts off). `calls` is
// nullptr for a CPU without state, whose serve() does nothing anyway.
class InQueueCode {
 public:
  explicit InQueueCode(CpuCalls* calls) : calls_(calls) {
    if (calls_ != nullptr) ++calls_->in_queue_code;
  }
  ~InQueueCode() {
    if (calls_ != nullptr) --calls_->in_queue_code;
  }
  InQueueCode(const InQueueCode&) = delete;
  InQueueCode& operator=(const InQueueCode&) = delete;

 private:
  CpuCalls* calls_;
};

}  // namespace

void CallService::complete(std::uint32_t sender, std::uint32_t ticket) {
  if (sender >= count_) return;
  Atomic<std::uint64_t>& w = cpus_[sender].completion;
  // Acquire/release: the sender that sees the count reach 0 (acquire load) sees everything
  // the function wrote before this CAS.
  std::uint64_t v = w.load(std::memory_order_acquire);
  while ((v >> 32) == ticket && (v & kCountMask) != 0) {
    if (w.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return;
    }
  }
}

void CallService::serve() {
  IrqGuard irq;  // the IPI handler has interrupts off already; a polling caller may not
  const platform::CpuNumber self = platform::current_cpu();
  if (!has(self)) return;
  CpuCalls& me = cpu(self);
  if (me.in_queue_code != 0) return;
  while (me.queue.pending() != 0) {
    QueuedCall call;
    bool got;
    {
      InQueueCode marker{&me};
      got = me.queue.pop(call);
    }
    if (!got) break;
    call.fn(call.args);
    me.served.fetch_add(1, std::memory_order_relaxed);
    if (call.sender != platform::kNoCpu) complete(call.sender, call.ticket);
  }
}

bool CallService::try_queue(platform::CpuNumber cpu, const QueuedCall& call,
                           platform::IpiKind kind) {
  CpuCalls& target = this->cpu(cpu);
  // A sender with interrupts off is not reachable by IPI: serve what others queued for it
  // before adding to their queues, or two CPUs sending to each other in a loop fill each
  // other's queues and wait (bounded, but needlessly).
  serve();
  CallQueue::PushResult r;
  {
    IrqGuard irq;
    const platform::CpuNumber self = platform::current_cpu();
    InQueueCode marker{has(self) ? &this->cpu(self) : nullptr};
    r = target.queue.push(call);
  }
  switch (r) {
    case CallQueue::PushResult::kQueuedWasEmpty:
      target.ipis_sent.fetch_add(1, std::memory_order_relaxed);
      // The queue lock's release precedes the IPI; the platform makes the sender's writes
      // visible to the handler (kernel/interrupts/local_apic.cc fences an x2APIC ICR write).
      platform::send_ipi(cpu, kind);
      return true;
    case CallQueue::PushResult::kQueuedWasBusy:
      target.ipis_skipped.fetch_add(1, std::memory_order_relaxed);
      return true;
    case CallQueue::PushResult::kFull:
      return false;
  }
  return false;
}

CallOutcome CallService::call(const CpuSet& targets, CallFunction fn, CallArgs args,
                              CallMode mode, std::uint64_t timeout_ns, platform::IpiKind kind) {
  CallOutcome out;
  const bool sync = mode == CallMode::kSync;
  if (sync && platform::in_interrupt()) {
    out.error = CallError::kFromInterrupt;
    return out;
  }
  const std::uint64_t deadline = deadline_after(timeout_ns);
  // The sender's CPU number must stay fixed from here to the return: it decides who is
  // "remote", runs the local part, and owns the completion word.
  platform::preempt_disable();
  const platform::CpuNumber self = platform::current_cpu();
  CpuSet remote = targets;
  remote.remove(self);
  remote &= online_cpus();
  const bool run_here = targets.contains(self);
  const std::uint32_t n = remote.count();

  QueuedCall call{fn, args, platform::kNoCpu, kNoTicket};
  CpuCalls* mine = has(self) ? &cpu(self) : nullptr;
  const bool wait = sync && n != 0;
  if (wait) {
    if (mine == nullptr || mine->waiting) {
      out.error = mine == nullptr ? CallError::kCallerUnknown : CallError::kNested;
      platform::preempt_enable();
      return out;
    }
    mine->waiting = true;
    std::uint32_t ticket = mine->next_ticket++;
    if (ticket == kNoTicket) ticket = mine->next_ticket++;
    call.sender = platform::to_index(self);
    call.ticket = ticket;
    // Release: pairs with the targets' acquire loads in complete().
    mine->completion.store((std::uint64_t{ticket} << 32) | n, std::memory_order_release);
  }
  // Every target once; those whose queue was full are retried until the deadline, so one CPU
  // that is behind does not hold up the others' requests.
  CpuSet full;
  for (std::uint32_t c = remote.next(0); c < kMaxCpus; c = remote.next(c + 1)) {
    const platform::CpuNumber target{c};
    if (try_queue(target, call, kind)) {
      out.queued.add(target);
    } else {
      full.add(target);
    }
  }
  while (!full.empty() && !past(deadline)) {
    // try_queue serves our own queue first: a full target may be waiting for us.
    platform::cpu_relax();
    platform::spin_wait_hook();
    for (std::uint32_t c = full.next(0); c < kMaxCpus; c = full.next(c + 1)) {
      const platform::CpuNumber target{c};
      if (try_queue(target, call, kind)) {
        full.remove(target);
        out.queued.add(target);
      }
    }
  }
  if (!full.empty()) {
    out.full = full;
    out.error = CallError::kQueueFull;
    if (wait) {
      // Never coming: do not wait for them.
      for (std::uint32_t i = full.count(); i > 0; --i) complete(call.sender, call.ticket);
    }
  }
  if (run_here) {
    IrqGuard irq;
    fn(args);
  }
  if (wait) {
    while ((mine->completion.load(std::memory_order_acquire) & kCountMask) != 0 &&
           !past(deadline)) {
      serve();
      platform::cpu_relax();
      platform::spin_wait_hook();
    }
    out.missing =
        static_cast<std::uint32_t>(mine->completion.load(std::memory_order_acquire) & kCountMask);
    if (out.missing != 0 && out.error == CallError::kNone) out.error = CallError::kTimedOut;
    mine->waiting = false;
  }
  platform::preempt_enable();
  return out;
}

CallOutcome CallService::call_on_cpu(platform::CpuNumber cpu, CallFunction fn, CallArgs args,
                                     CallMode mode, std::uint64_t timeout_ns) {
  if (!has(cpu) || !platform::cpu_is_online(cpu)) {
    CallOutcome out;
    out.error = CallError::kNotOnline;
    return out;
  }
  CpuSet one;
  one.add(cpu);
  return call(one, fn, args, mode, timeout_ns);
}

CallOutcome CallService::call_on_all_but_self(CallFunction fn, CallArgs args, CallMode mode,
                                              std::uint64_t timeout_ns) {
  platform::preempt_disable();  // "self" is the CPU that makes the call
  CpuSet others = online_cpus();
  others.remove(platform::current_cpu());
  CallOutcome out = call(others, fn, args, mode, timeout_ns);
  platform::preempt_enable();
  return out;
}

CpuSet CallService::online_cpus() const {
  CpuSet set;
  const std::uint32_t platform_count = platform::cpu_count();
  const std::uint32_t n = platform_count < count_ ? platform_count : count_;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (platform::cpu_is_online(platform::CpuNumber{i})) set.add(platform::CpuNumber{i});
  }
  return set;
}

std::uint32_t CallService::pending(platform::CpuNumber cpu) const {
  return has(cpu) ? this->cpu(cpu).queue.pending() : 0;
}

CallQueueStats CallService::stats(platform::CpuNumber cpu) const {
  if (!has(cpu)) return {0, 0, 0};
  const CpuCalls& c = this->cpu(cpu);
  return {c.served.load(std::memory_order_relaxed), c.ipis_sent.load(std::memory_order_relaxed),
          c.ipis_skipped.load(std::memory_order_relaxed)};
}

}  // namespace smp
