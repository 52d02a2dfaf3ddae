#include "kernel/cpus/ipi/provocations.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/time/clock.h"
#include "smp/locks/locks.h"

namespace smp {
namespace {

// Unranked (rank 0): only cycle detection orders them, which is what the test exercises.
constinit LockClass kInversionA{"inversion-test-a", LockRank{0}};
constinit LockClass kInversionB{"inversion-test-b", LockRank{0}};
TicketSpinLock<IrqSave, kInversionA> g_lock_a;
TicketSpinLock<IrqSave, kInversionB> g_lock_b;

constexpr std::uint64_t kBootCpuSpinNs = 5'000'000'000;

void panic_here(const CallArgs&) {
  panic("test: panic_on_ap: cpu {} panics on purpose", arch::current_cpu_number());
}

}  // namespace

void provoke_lock_inversion() {
  if constexpr (!kLockdep) {
    klog::error("lockdep_test: lockdep is not built in (PLEIADES_KERNEL_LOCKDEP=OFF)");
    return;
  }
  klog::info("lockdep_test: taking inversion-test-a then -b, then -b then -a");
  {
    Guard a{g_lock_a};
    Guard b{g_lock_b};
  }
  {
    Guard b{g_lock_b};
    Guard a{g_lock_a};  // lockdep panics here: the edge b -> a closes a cycle with a -> b
  }
  klog::error("lockdep_test: the inversion was not reported");
}

void provoke_panic_on_ap(std::uint32_t cpu) {
  const platform::CpuNumber target{cpu};
  if (cpu == 0 || !cpu_online(target)) {
    klog::error("panic_on_ap: cpu {} is not an online AP", cpu);
    return;
  }
  klog::info("panic_on_ap: cpu {} will panic; cpu 0 spins with interrupts off", cpu);
  arch::cli();
  if (!call_on_cpu(target, panic_here, {}, CallMode::kAsync)) {
    klog::error("panic_on_ap: request to cpu {} not queued", cpu);
    return;
  }
  // Deliberately not serving the call queue: a CPU that the stop IPI cannot reach.
  const std::uint64_t deadline = ktime::now_ns() + kBootCpuSpinNs;
  while (ktime::now_ns() < deadline) arch::pause();
  klog::error("panic_on_ap: cpu 0 was not stopped within {} ms", kBootCpuSpinNs / 1'000'000);
}

}  // namespace smp
