#include "kernel/cpus/ipi/reschedule.h"

#include <atomic>
#include <cstdint>

#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/per_cpu.h"

namespace kcpus {
namespace {

struct RescheduleState {
  std::atomic<bool> pending{false};
  std::atomic<std::uint64_t> taken{0};
  std::atomic<std::uint64_t> skipped{0};
};

PerCpu<RescheduleState> g_state;
std::atomic<RescheduleHook> g_hook{nullptr};

void reschedule_handler(arch::InterruptFrame&) {
  arch::count_ipi();
  RescheduleState& s = g_state.get();  // interrupt context: interrupts are off
  // Acq_rel: a sender that finds the flag clear again sends a new IPI, and this CPU sees what
  // the sender wrote before setting it (e.g. the thread it made runnable).
  s.pending.exchange(false, std::memory_order_acq_rel);
  s.taken.fetch_add(1, std::memory_order_relaxed);
  if (RescheduleHook hook = g_hook.load(std::memory_order_acquire)) hook();
}

}  // namespace

void set_reschedule_hook(RescheduleHook hook) { g_hook.store(hook, std::memory_order_release); }

void send_reschedule(platform::CpuNumber cpu) {
  RescheduleState& s = g_state.on(cpu);
  // Acq_rel: see the handler. Already pending: the IPI on its way covers this request too.
  if (s.pending.exchange(true, std::memory_order_acq_rel)) {
    s.skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  kinterrupts::send_ipi(cpu_local(cpu)->apic_id, arch::Vector::kReschedule);
}

void init_reschedule_ipi() {
  kinterrupts::set_handler(arch::Vector::kReschedule, reschedule_handler);
}

std::uint64_t reschedule_ipis_taken(platform::CpuNumber cpu) {
  return g_state.on(cpu).taken.load(std::memory_order_relaxed);
}
std::uint64_t reschedule_ipis_skipped(platform::CpuNumber cpu) {
  return g_state.on(cpu).skipped.load(std::memory_order_relaxed);
}

}  // namespace kcpus
