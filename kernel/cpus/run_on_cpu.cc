#include "kernel/cpus/run_on_cpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"

namespace kcpus {
namespace {

// The function travels in the request's copied arguments, so nothing here outlives the call.
void call_trampoline(const smp::CallArgs& args) {
  reinterpret_cast<CpuFunction>(args.a)(args.ptr);
}

}  // namespace

bool run_on_cpu(platform::CpuNumber cpu, CpuFunction fn, void* arg, std::uint64_t timeout_ns) {
  if (cpu == platform::current_cpu()) {
    const platform::IrqState s = platform::irq_save_disable();
    fn(arg);
    platform::irq_restore(s);
    return true;
  }
  if (!cpu_online(cpu) || !call_service_ready()) return false;
  smp::CallArgs args;
  args.ptr = arg;
  args.a = reinterpret_cast<std::uint64_t>(fn);
  return call_on_cpu(cpu, &call_trampoline, args, smp::CallMode::kSync, timeout_ns);
}

void ap_idle_loop() {
  for (;;) {
    // sti's one-instruction shadow makes "sti; hlt" atomic; any interrupt ends the halt, its
    // handler (a cross-CPU call among them) has run by the time we halt again.
    asm volatile("sti; hlt" : : : "memory");
  }
}

}  // namespace kcpus
