// The platform contract: the only way smp/ and sched/ reach the machine.
//
// Two implementations, chosen at link time:
//   kernel/platform/  the real machine (GS-based per-CPU data, RFLAGS.IF, LAPIC IPIs, TSC);
//   smp/platform/host/ host threads standing in for CPUs (a thread_local CPU number,
//                      interrupts-off as a per-thread flag, IPIs delivered to host threads).
// Keep it narrow: every function here must be implementable on both sides.
#pragma once

#include <cstdint>

namespace platform {

// Dense logical CPU number; the boot CPU is 0. Distinct from the (sparse, 32-bit) APIC ID.
enum class CpuNumber : std::uint32_t {};
// A local APIC ID as the hardware reports it (xAPIC: 8 bits, x2APIC: 32 bits).
enum class ApicId : std::uint32_t {};

constexpr std::uint32_t to_index(CpuNumber cpu) { return static_cast<std::uint32_t>(cpu); }

// The CPU this code runs on. Stable only while preemption or interrupts are disabled.
CpuNumber current_cpu();

// Number of CPUs the platform knows (online or being brought up); CPU numbers are below it.
std::uint32_t cpu_count();

// Interrupt state of the current CPU, saved and restored around IRQ-safe critical sections.
struct IrqState {
  bool enabled;
};
[[nodiscard]] IrqState irq_save_disable();
void irq_restore(IrqState state);
bool irqs_enabled();

// Spin-wait hint (PAUSE on x86).
void cpu_relax();

// A monotonic cycle counter (TSC on x86, steady clock on the host) and its rate.
std::uint64_t cycles();
std::uint64_t cycles_per_second();

}  // namespace platform
