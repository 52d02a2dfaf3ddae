#include "kernel/cpus/ipi/panic_stop.h"

#include <atomic>

#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/nmi.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/core/kernel_symbols.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/per_cpu.h"
#include "kernel/time/clock.h"
#include "smp/cpu_set.h"

namespace kcpus {
namespace {

enum class StopHow : std::uint32_t { kRunning = 0, kIpi = 1, kNmi = 2, kOwnPanic = 3 };

struct StopRecord {
  std::atomic<StopHow> how{StopHow::kRunning};
  std::uint64_t rip = 0;  // published by the release store of `how`
  std::uint64_t rsp = 0;
  std::uint32_t cpu = 0;
  bool interrupts_were_on = false;
};

PerCpu<StopRecord> g_stop;
// The CPU whose panic is being reported (kNoCpu: none yet).
std::atomic<std::uint32_t> g_panicking{platform::kNoCpu};
std::atomic<bool> g_ready{false};  // init_panic_stop ran: handlers installed, APs online

[[noreturn]] void record_and_halt(StopHow how, std::uint64_t rip, std::uint64_t rsp, bool irq_on) {
  StopRecord& r = g_stop.get();  // interrupts off: interrupt/NMI context or after cli
  r.rip = rip;
  r.rsp = rsp;
  r.cpu = arch::current_cpu_index();
  r.interrupts_were_on = irq_on;
  // Release: the panicking CPU reads rip/rsp after seeing `how` (acquire).
  r.how.store(how, std::memory_order_release);
  arch::halt_forever();
}

void panic_stop_handler(arch::InterruptFrame& frame) {
  record_and_halt(StopHow::kIpi, frame.rip, frame.rsp, (frame.rflags & arch::kRflagsIf) != 0);
}

// NMI: ours only while a panic is under way and this is not the panicking CPU.
bool panic_nmi(arch::InterruptFrame& frame) {
  const std::uint32_t p = g_panicking.load(std::memory_order_acquire);
  if (p == platform::kNoCpu || p == arch::current_cpu_index()) return false;
  record_and_halt(StopHow::kNmi, frame.rip, frame.rsp, (frame.rflags & arch::kRflagsIf) != 0);
}

bool wait_stopped(const smp::CpuSet& cpus, std::uint64_t ns) {
  const std::uint64_t deadline = ktime::now_ns() + ns;
  for (;;) {
    bool all = true;
    for (std::uint32_t c = cpus.next(0); c < smp::kMaxCpus; c = cpus.next(c + 1)) {
      if (g_stop.on(platform::CpuNumber{c}).how.load(std::memory_order_acquire) ==
          StopHow::kRunning) {
        all = false;
      }
    }
    if (all) return true;
    if (ktime::now_ns() > deadline) return false;
    arch::pause();
  }
}

smp::CpuSet others() {
  smp::CpuSet set;
  const std::uint32_t self = arch::current_cpu_index();
  for (std::uint32_t i = 0; i < platform::cpu_count(); ++i) {
    if (i != self && cpu_online(platform::CpuNumber{i})) set.add(platform::CpuNumber{i});
  }
  return set;
}

}  // namespace

void init_panic_stop() {
  kinterrupts::set_handler(arch::Vector::kPanicStop, panic_stop_handler);
  arch::set_nmi_hook(panic_nmi);
  g_ready.store(true, std::memory_order_release);
}

void stop_other_cpus() {
  g_panicking.store(arch::current_cpu_index(), std::memory_order_release);
  if (!g_ready.load(std::memory_order_acquire)) return;
  const smp::CpuSet targets = others();
  for (std::uint32_t c = targets.next(0); c < smp::kMaxCpus; c = targets.next(c + 1)) {
    kinterrupts::send_ipi(cpu_local(platform::CpuNumber{c})->apic_id, arch::Vector::kPanicStop);
  }
  if (wait_stopped(targets, kStopIpiWaitNs)) return;
  // Still running: interrupts off (a spin, a stall) or the IPI lost. NMIs get through.
  for (std::uint32_t c = targets.next(0); c < smp::kMaxCpus; c = targets.next(c + 1)) {
    if (g_stop.on(platform::CpuNumber{c}).how.load(std::memory_order_acquire) == StopHow::kRunning) {
      kinterrupts::send_nmi(cpu_local(platform::CpuNumber{c})->apic_id);
    }
  }
  (void)wait_stopped(targets, kStopNmiWaitNs);
}

void print_stopped_cpus(fmt::Sink& sink) {
  if (!g_ready.load(std::memory_order_acquire)) return;
  const smp::CpuSet targets = others();
  const char* how_names[] = {"did not stop", "stopped by IPI", "stopped by NMI",
                             "stopped in its own panic"};
  for (std::uint32_t c = targets.next(0); c < smp::kMaxCpus; c = targets.next(c + 1)) {
    StopRecord& r = g_stop.on(platform::CpuNumber{c});
    const StopHow how = r.how.load(std::memory_order_acquire);
    const char* name = how_names[static_cast<std::uint32_t>(how) & 3];
    if (how == StopHow::kRunning) {
      fmt::format_to(sink, "panic: cpu {} {} within {} ms (IPI, then NMI)\n", c, name,
                  (kStopIpiWaitNs + kStopNmiWaitNs) / 1'000'000);
      continue;
    }
    const ksym::Symbolized s = ksym::kernel_symbols().lookup(r.rip);
    fmt::format_to(sink, "panic: cpu {} {} at rip {:#018x} {}+{:#x} rsp {:#018x} (interrupts {})\n",
                   r.cpu, name, r.rip, s.found() ? s.name : fmt::StringView("?", 1), s.offset,
                   r.rsp, r.interrupts_were_on ? "on" : "off");
  }
}

void stop_this_cpu_for_panic(std::uint64_t rip, std::uint64_t rsp) {
  arch::cli();
  record_and_halt(StopHow::kOwnPanic, rip, rsp, false);
}

}  // namespace kcpus
