#include "kernel/cpus/ipi/call_function.h"

#include <atomic>
#include <new>

#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/platform/locking_kernel.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "smp/irq_guard.h"

namespace kcpus {
namespace {

// Published once, by init_call_service; never freed (the kernel does not stop the service).
std::atomic<smp::CallService*> g_service{nullptr};

void call_ipi_handler(arch::InterruptFrame&) {
  arch::count_ipi();
  serve_call_queue();
}

const char* error_name(smp::CallError e) {
  switch (e) {
    case smp::CallError::kNone: return "none";
    case smp::CallError::kQueueFull: return "a call queue stayed full";
    case smp::CallError::kTimedOut: return "timed out";
    case smp::CallError::kFromInterrupt: return "synchronous call from interrupt context";
    case smp::CallError::kNested: return "synchronous call nested inside another";
    case smp::CallError::kCallerUnknown: return "calling CPU has no call queue";
    case smp::CallError::kNotOnline: return "target CPU not online";
  }
  return "?";
}

// Runs `targets` on this CPU only: the service is not up yet (one CPU, or APs that take no
// calls before it).
bool call_locally(const smp::CpuSet& targets, smp::CallFunction fn, smp::CallArgs args) {
  platform::preempt_disable();
  if (targets.contains(platform::current_cpu())) {
    smp::IrqGuard irq;
    fn(args);
  }
  platform::preempt_enable();
  return true;
}

}  // namespace

void serve_call_queue() {
  // Acquire: pairs with the release in init_call_service (the queues are built).
  if (smp::CallService* s = g_service.load(std::memory_order_acquire)) s->serve();
}

smp::CallService* call_service() { return g_service.load(std::memory_order_acquire); }

void init_call_service() {
  const std::uint32_t count = platform::cpu_count();
  auto* cpus = new (std::nothrow) smp::CpuCalls[count];
  auto* service = new (std::nothrow) smp::CallService(cpus, count);
  if (cpus == nullptr || service == nullptr) panic("ipi: no memory for {} call queues", count);
  kinterrupts::set_handler(arch::Vector::kCallFunction, call_ipi_handler);
  kinterrupts::set_handler(arch::Vector::kTlbShootdown, call_ipi_handler);
  init_reschedule_ipi();
  // Release: the queues are complete before any CPU sees the service.
  g_service.store(service, std::memory_order_release);
  platform::kernel::set_spin_wait_service(serve_call_queue);
}

bool call_service_ready() { return call_service() != nullptr; }

smp::CpuSet online_cpus() {
  smp::CpuSet set;
  const std::uint32_t n = platform::cpu_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (cpu_online(platform::CpuNumber{i})) set.add(platform::CpuNumber{i});
  }
  return set;
}

bool report_call_outcome(const smp::CallOutcome& r, const char* what, std::uint64_t timeout_ns) {
  if (r.ok()) return true;
  if (r.error == smp::CallError::kFromInterrupt || r.error == smp::CallError::kNested ||
      r.error == smp::CallError::kCallerUnknown) {
    panic("ipi: {} on cpu {}: {}", what, arch::current_cpu_index(), error_name(r.error));
  }
  smp::CallService* s = call_service();
  for (std::uint32_t c = r.full.next(0); c < smp::kMaxCpus; c = r.full.next(c + 1)) {
    klog::error("ipi: {}: call queue of cpu {} full ({} requests) until the deadline", what, c,
                smp::kCallQueueCapacity);
  }
  if (r.missing != 0 && s != nullptr) {
    klog::error("ipi: {} from cpu {}: {} of {} CPUs had not run it after {} ms", what,
                arch::current_cpu_index(), r.missing, r.queued.count(), timeout_ns / 1'000'000);
    for (std::uint32_t c = r.queued.next(0); c < smp::kMaxCpus; c = r.queued.next(c + 1)) {
      const platform::CpuNumber cpu{c};
      const smp::CallQueueStats st = s->stats(cpu);
      klog::error("ipi:   cpu {}: {} pending, {} served, {} IPIs sent, {} timer ticks", c,
                  s->pending(cpu), st.served, st.ipis_sent,
                  arch::read_counter(cpu_local(cpu)->timer_ticks));
    }
  }
  if (r.error == smp::CallError::kNotOnline) klog::error("ipi: {}: {}", what, error_name(r.error));
  return false;
}

bool call_on_cpus(const smp::CpuSet& targets, smp::CallFunction fn, smp::CallArgs args, smp::CallMode mode,
                  std::uint64_t timeout_ns) {
  smp::CallService* s = call_service();
  if (s == nullptr) return call_locally(targets, fn, args);
  return report_call_outcome(s->call(targets, fn, args, mode, timeout_ns), "call", timeout_ns);
}

bool call_on_cpu(platform::CpuNumber cpu, smp::CallFunction fn, smp::CallArgs args, smp::CallMode mode,
                 std::uint64_t timeout_ns) {
  if (!cpu_online(cpu)) return false;
  return call_on_cpus(smp::CpuSet::only(platform::to_index(cpu)), fn, args, mode, timeout_ns);
}

bool call_on_all_but_self(smp::CallFunction fn, smp::CallArgs args, smp::CallMode mode,
                          std::uint64_t timeout_ns) {
  smp::CallService* s = call_service();
  if (s == nullptr) return true;  // nobody else takes calls yet
  return report_call_outcome(s->call_on_all_but_self(fn, args, mode, timeout_ns), "call",
                             timeout_ns);
}

smp::CallQueueStats call_queue_stats(platform::CpuNumber cpu) {
  smp::CallService* s = call_service();
  return s != nullptr ? s->stats(cpu) : smp::CallQueueStats{0, 0, 0};
}

}  // namespace kcpus
