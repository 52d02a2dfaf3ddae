// PerCpu<T>: a typed per-CPU variable (Managarm's PerCpu<T>, Zircon's percpu). One value per
// logical CPU, each on its own cache lines; get() is the current CPU's, on(cpu) any CPU's.
//
//   kcpus::PerCpu<RunQueue> g_runqueue;   // a namespace-scope global: its constructor registers it
//   ...
//   smp::IrqGuard g;  g_runqueue.get().push(t);    // current CPU: interrupts or preemption off
//
// Storage: CPU 0 (the boot CPU) has its value inside the object, so a variable works from the
// first instruction of kernel_main; the other CPUs' values are allocated for every registered
// variable at once by PerCpuRegistry::allocate(count), which the SMP bring-up calls with the
// topology's CPU count before any AP starts (no fixed cap). On the host the same code runs with
// platform::current_cpu() = the thread's bound CPU number (smp/platform/host).
//
// Only the platform contract is used (current_cpu, irqs_enabled, preempt_count), so smp/ and
// sched/ can use it unchanged on both sides.
#pragma once

#include <cstdint>
#include <new>

#include "smp/platform/platform.h"

namespace kcpus {

class PerCpuRegistry {
 public:
  // Allocates CPUs 1..count-1 for every registered variable. Boot CPU, once, before any other
  // CPU runs; values are value-initialised. False (with nothing changed for the variables that
  // failed) when memory ran out.
  [[nodiscard]] static bool allocate(std::uint32_t count);
  // CPUs with storage (1 before allocate()).
  static std::uint32_t capacity();

  // Called when get() runs with interrupts and preemption enabled: the CPU could change under
  // the caller. Stops with a trap (kernel: #UD report with backtrace; host: SIGILL).
  [[noreturn]] static void misuse();

 protected:
  PerCpuRegistry();
  ~PerCpuRegistry() = default;
  virtual bool allocate_others(std::uint32_t count) = 0;

 private:
  PerCpuRegistry* next_ = nullptr;
};

template <typename T>
class PerCpu final : private PerCpuRegistry {
 public:
  PerCpu() = default;
  PerCpu(const PerCpu&) = delete;
  PerCpu& operator=(const PerCpu&) = delete;

  // The current CPU's value. Needs interrupts or preemption disabled, so the caller stays on
  // this CPU while it uses the reference (checked).
  T& get() {
    if (platform::irqs_enabled() && platform::preempt_count() == 0) misuse();
    return on(platform::current_cpu());
  }

  // CPU `cpu`'s value (cpu < capacity()). Whatever synchronisation the value needs between
  // CPUs is the caller's (its own atomics or lock).
  T& on(platform::CpuNumber cpu) {
    const std::uint32_t i = platform::to_index(cpu);
    return i == 0 ? boot_.value : others_[i - 1].value;
  }

 private:
  struct alignas(64) Cell {
    T value{};
  };

  bool allocate_others(std::uint32_t count) override {
    if (count <= 1 || others_ != nullptr) return true;
    others_ = new (std::nothrow) Cell[count - 1];
    return others_ != nullptr;
  }

  Cell boot_;
  Cell* others_ = nullptr;
};

}  // namespace kcpus
