#include "kernel/cpus/ipi/provocations.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/time/clock.h"
#include "smp/locks/locks.h"

namespace kcpus {
namespace {

// Unranked (rank 0): only cycle detection orders them, which is what the test exercises.
constinit smp::LockClass kInversionA{"inversion-test-a", smp::LockRank{0}};
constinit smp::LockClass kInversionB{"inversion-test-b", smp::LockRank{0}};
smp::TicketSpinLock<smp::IrqSave, kInversionA> g_lock_a;
smp::TicketSpinLock<smp::IrqSave, kInversionB> g_lock_b;

constexpr std::uint64_t kBootCpuSpinNs = 5'000'000'000;

void panic_here(const smp::CallArgs&) {
  panic("test: panic_on_ap: cpu {} panics on purpose", arch::current_cpu_index());
}

}  // namespace

void provoke_lock_inversion() {
  if constexpr (!smp::kLockdep) {
    klog::error("lockdep_test: lockdep is not built in (PLEIADES_KERNEL_LOCKDEP=OFF)");
    return;
  }
  klog::info("lockdep_test: taking inversion-test-a then -b, then -b then -a");
  {
    smp::Guard a{g_lock_a};
    smp::Guard b{g_lock_b};
  }
  {
    smp::Guard b{g_lock_b};
    smp::Guard a{g_lock_a};  // lockdep panics here: the edge b -> a closes a cycle with a -> b
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
  if (!call_on_cpu(target, panic_here, {}, smp::CallMode::kAsync)) {
    klog::error("panic_on_ap: request to cpu {} not queued", cpu);
    return;
  }
  // Deliberately not serving the call queue: a CPU that the stop IPI cannot reach. The spin
  // reads the TSC inline rather than calling ktime::now_ns(), so the stop NMI's rip is in this
  // function wherever it lands (the boot case panic-on-ap-smp4 checks the rip's symbol; an NMI
  // taken inside now_ns() would name that instead). tsc_hz() is known: ktime::init() ran.
  const std::uint64_t spin_ticks = ktime::tsc_hz() / 1000 * (kBootCpuSpinNs / 1'000'000);
  const std::uint64_t start = arch::rdtsc();
  while (arch::rdtsc() - start < spin_ticks) arch::pause();
  klog::error("panic_on_ap: cpu 0 was not stopped within {} ms", kBootCpuSpinNs / 1'000'000);
}

}  // namespace kcpus
