#include "kernel/interrupts/dispatch.h"

#include <atomic>

#include "kernel/arch/x86_64/apic/legacy_pic.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/platform/locking_kernel.h"

// The scheduler's preemption point on interrupt return (kernel/threads/kernel_scheduler.cc).
// Weak: a kernel without the scheduler links without it, and the address is then null.
extern "C" [[gnu::weak]] void ksched_interrupt_exit(arch::InterruptFrame* frame);

// Entry points in interrupt_stubs.S for vectors 32..255.
extern "C" const std::uint64_t irq_stub_table[256 - arch::kExceptionCount];

namespace kinterrupts {
namespace {

constexpr unsigned kVectors = 256;

std::atomic<InterruptHandler> g_handlers[kVectors];
std::atomic<std::uint64_t> g_counts[kVectors];
std::atomic<std::uint64_t> g_unhandled{0};
std::atomic<bool> g_reported[kVectors];
std::atomic<bool> g_reported_pic{false};

}  // namespace

void install_interrupt_gates() {
  // No CPU can take one of these vectors yet: interrupts are off and nothing is routed.
  for (unsigned v = arch::kExceptionCount; v < kVectors; ++v) {
    arch::set_interrupt_gate(v, irq_stub_table[v - arch::kExceptionCount]);
  }
}

void set_handler(arch::Vector v, InterruptHandler handler) {
  g_handlers[arch::vector_number(v)].store(handler, std::memory_order_release);
}

std::uint64_t interrupt_count(arch::Vector v) {
  return g_counts[arch::vector_number(v)].load(std::memory_order_relaxed);
}

std::uint64_t unhandled_count() { return g_unhandled.load(std::memory_order_relaxed); }

}  // namespace kinterrupts

// Called by irq_common (interrupt_stubs.S) with interrupts off.
extern "C" void interrupt_dispatch(arch::InterruptFrame* frame) {
  using arch::Vector;
  const auto vector = static_cast<std::uint8_t>(frame->vector);
  kinterrupts::g_counts[vector].fetch_add(1, std::memory_order_relaxed);
  arch::count_interrupt();

  // Spurious: the APIC did not set an ISR bit, so there is nothing to end (an EOI here would
  // end some other in-service interrupt).
  if (vector == arch::vector_number(Vector::kSpurious)) return;

  if (vector >= arch::vector_number(Vector::kPicBase) &&
      vector < arch::vector_number(Vector::kPicBase) + arch::kPicVectorCount) {
    // The PICs are masked; only their spurious IRQ 7/15 should get here. They go to the PIC,
    // not the local APIC.
    const unsigned irq = vector - arch::vector_number(Vector::kPicBase);
    if (apic::pic_handle_interrupt(irq) &&
        !kinterrupts::g_reported_pic.exchange(true, std::memory_order_relaxed)) {
      klog::warn("pic: IRQ {} arrived although every PIC line is masked (reported once)", irq);
    }
    return;
  }

  const kinterrupts::InterruptHandler handler =
      kinterrupts::g_handlers[vector].load(std::memory_order_acquire);
  if (handler != nullptr) {
    // Interrupt context for the lock checks (a plain lock taken here is reported).
    platform::kernel::irq_enter();
    handler(*frame);
    platform::kernel::irq_exit();
  } else {
    kinterrupts::g_unhandled.fetch_add(1, std::memory_order_relaxed);
    if (!kinterrupts::g_reported[vector].exchange(true, std::memory_order_relaxed)) {
      klog::warn("irq: vector {:#x} ({}) has no handler (reported once)", vector,
                 arch::interrupt_vector_name(vector));
    }
  }
  kinterrupts::eoi();
  // After the EOI and irq_exit: the interrupted thread may be switched out here and this
  // CPU must take further interrupts (the next thread's ticks) meanwhile.
  if (ksched_interrupt_exit != nullptr) ksched_interrupt_exit(frame);
}
