#include "kernel/smp/run_on_cpu.h"

#include <atomic>

#include "kernel/arch/x86_64/apic/local_apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/smp/cpus.h"
#include "kernel/smp/per_cpu.h"
#include "kernel/time/clock.h"

namespace smp {
namespace {

struct Mailbox {
  std::atomic<bool> claimed{false};          // a poster owns the slot
  std::atomic<CpuFunction> fn{nullptr};      // non-null: a request is pending
  void* arg = nullptr;                       // published by the release store of fn
};

PerCpu<Mailbox> g_mailbox;

// Interrupts off, on the CPU that owns `box`.
void serve(Mailbox& box) {
  const CpuFunction fn = box.fn.load(std::memory_order_acquire);
  if (fn == nullptr) return;
  fn(box.arg);
  // Release: whatever fn wrote is visible to the poster once it sees the slot empty.
  box.fn.store(nullptr, std::memory_order_release);
}

template <typename Pred>
bool wait_until(Pred done, std::uint64_t deadline) {
  while (!done()) {
    if (ktime::now_ns() > deadline) return done();
    arch::pause();
  }
  return true;
}

}  // namespace

bool run_on_cpu(platform::CpuNumber cpu, CpuFunction fn, void* arg, std::uint64_t timeout_ns) {
  if (cpu == platform::current_cpu()) {
    const platform::IrqState s = platform::irq_save_disable();
    fn(arg);
    platform::irq_restore(s);
    return true;
  }
  if (!cpu_online(cpu)) return false;
  const std::uint64_t deadline = ktime::now_ns() + timeout_ns;
  Mailbox& box = g_mailbox.on(cpu);
  if (!wait_until([&] { return !box.claimed.exchange(true, std::memory_order_acquire); },
                  deadline)) {
    return false;
  }
  box.arg = arg;
  box.fn.store(fn, std::memory_order_release);
  // The wake-up: the target halts in its idle loop until an interrupt arrives. The fence orders
  // the stores above before the IPI (an x2APIC ICR write is a non-serialising WRMSR).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  apic::send_ipi(cpu_local(cpu)->apic_id, apic::Vector::kTestIpi);
  const bool done = wait_until(
      [&] { return box.fn.load(std::memory_order_acquire) == nullptr; }, deadline);
  // On timeout the request stays posted and the slot claimed: a later poster times out too,
  // rather than overwriting a request the target may still pick up.
  if (done) box.claimed.store(false, std::memory_order_release);
  return done;
}

void ap_idle_loop() {
  for (;;) {
    arch::cli();
    // The current CPU cannot change: this loop runs on its own AP with interrupts off here.
    serve(g_mailbox.get());
    // sti's one-instruction shadow makes "sti; hlt" atomic: an IPI that arrives after the check
    // above is taken after hlt starts, so it wakes us instead of being lost.
    asm volatile("sti; hlt" : : : "memory");
  }
}

}  // namespace smp
