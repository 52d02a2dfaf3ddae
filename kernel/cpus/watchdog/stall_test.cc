#include "kernel/cpus/watchdog/stall_test.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/watchdog/watchdog.h"
#include "kernel/time/clock.h"
#include "smp/locks/locks.h"

namespace watchdog {
namespace {

constinit smp::LockClass kStallTestClass{"stall-test", smp::LockRank{0}};
smp::TicketSpinLock<smp::IrqSave, kStallTestClass> g_stall_lock;
std::atomic<bool> g_holding{false};

// Runs on the AP with interrupts off (call service) and keeps them off for `a` ns.
void spin_irqs_off(const smp::CallArgs& args) {
  const std::uint64_t deadline = ktime::now_ns() + args.a;
  while (ktime::now_ns() < deadline) arch::pause();
}

void hold_lock(const smp::CallArgs& args) {
  smp::Guard guard{g_stall_lock};
  g_holding.store(true, std::memory_order_release);
  const std::uint64_t deadline = ktime::now_ns() + args.a;
  while (ktime::now_ns() < deadline) arch::pause();
}

std::uint32_t highest_ap() {
  for (std::uint32_t c = platform::cpu_count(); c-- > 1;) {
    if (kcpus::cpu_online(platform::CpuNumber{c})) return c;
  }
  return 0;
}

}  // namespace

void provoke_stall(kcpus::StallTest kind) {
  const std::uint32_t ap = highest_ap();
  if (ap == 0) {
    klog::error("watchdog test: needs an AP");
    return;
  }
  if (kind == kcpus::StallTest::kIrqOff) {
    const std::uint64_t before = stalls_reported();
    klog::info("watchdog test: cpu {} spins with interrupts off for {} ms", ap,
               kStallBoundNs * 5 / 2 / 1'000'000);
    if (!kcpus::call_on_cpu(platform::CpuNumber{ap}, spin_irqs_off, {nullptr, kStallBoundNs * 5 / 2},
                          smp::CallMode::kAsync)) {
      klog::error("watchdog test: request not queued");
      return;
    }
    // Called from kernel_main (interrupts off) or the main thread (on): watch with them off,
    // wait with them on, and give the caller back its state.
    const platform::IrqState irq = platform::irq_save_disable();
    watch_this_cpu();
    arch::sti();
    const std::uint64_t deadline = ktime::now_ns() + kStallBoundNs * 2;
    while (stalls_reported() == before && ktime::now_ns() < deadline) asm volatile("hlt");
    arch::cli();
    unwatch_this_cpu();
    platform::irq_restore(irq);
    if (stalls_reported() != before && last_stalled_cpu() == ap) {
      klog::info("watchdog test: stall of cpu {} reported", ap);
    } else {
      klog::error("watchdog test: stall of cpu {} not reported within {} ms", ap,
                  kStallBoundNs * 2 / 1'000'000);
    }
    return;
  }
  klog::info("watchdog test: cpu {} holds stall-test with interrupts off; cpu 0 takes it", ap);
  if (!kcpus::call_on_cpu(platform::CpuNumber{ap}, hold_lock, {nullptr, kStallBoundNs * 3},
                        smp::CallMode::kAsync)) {
    klog::error("watchdog test: request not queued");
    return;
  }
  const std::uint64_t deadline = ktime::now_ns() + kStallBoundNs;
  while (!g_holding.load(std::memory_order_acquire) && ktime::now_ns() < deadline) arch::pause();
  smp::Guard guard{g_stall_lock};  // spins past the limit: the lock library reports it
  klog::error("watchdog test: took stall-test without a stall report");
}

}  // namespace watchdog
