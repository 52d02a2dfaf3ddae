#include "kernel/cpus/test_ipi.h"

#include <atomic>

#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/cpus/cpus.h"

namespace kcpus {
namespace {

// Interrupts off, on the CPU that took it; the dispatcher sends the EOI.
void on_test_ipi(arch::InterruptFrame&) { arch::count_ipi(); }

}  // namespace

void install_test_ipi_handler() { kinterrupts::set_handler(arch::Vector::kTestIpi, on_test_ipi); }

void send_test_ipi(platform::CpuNumber cpu) {
  const arch::CpuLocal* l = cpu_local(cpu);
  if (l == nullptr) return;
  // Orders the caller's earlier stores before the IPI (x2APIC ICR writes do not serialise).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  kinterrupts::send_ipi(l->apic_id, arch::Vector::kTestIpi);
}

void send_test_ipi_all_but_self() {
  if (!all_listed_cpus_online()) {
    // Some listed CPU was not started (maxcpus, failure): the shorthand would reach it too.
    const platform::CpuNumber self = platform::current_cpu();
    for (std::uint32_t i = 0; i < platform::cpu_count(); ++i) {
      const platform::CpuNumber cpu{i};
      if (cpu != self && cpu_online(cpu)) send_test_ipi(cpu);
    }
    return;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  kinterrupts::send_ipi_all_but_self(arch::Vector::kTestIpi);
}

std::uint64_t test_ipis_taken(platform::CpuNumber cpu) {
  const arch::CpuLocal* l = cpu_local(cpu);
  return l != nullptr ? arch::read_counter(l->ipis) : 0;
}

}  // namespace kcpus
