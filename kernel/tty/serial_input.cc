// COM1's receive interrupt: the handler moves the UART's bytes into the terminal's input ring
// and wakes the worker, holding nothing but the ring's leaf lock (docs/terminal.md, "Input").
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/log.h"
#include "kernel/console/serial16550.h"
#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/io_apic.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/tty/terminal_state.h"

namespace ktty {
namespace {

constexpr std::uint8_t kCom1Irq = 4;  // ISA IRQ of COM1 (0x3F8)

void serial_interrupt(arch::InterruptFrame&) {
  Terminal* t = terminal();
  if (t == nullptr) return;
  if (drain_serial(*t) != 0) (void)t->worker_wait.wake_one(kthreads::scheduler());
}

}  // namespace

std::size_t drain_serial(Terminal& t) {
  console::Serial16550& port = console::com1();
  // Read under the ring's lock, only as many as fit: a byte taken from the UART is never lost.
  const std::size_t n = t.serial_ring.push_from(
      [&](std::uint8_t* out, std::size_t room) { return port.read_received(out, room); });
  t.serial_bytes.fetch_add(n, std::memory_order_relaxed);
  return n;
}

void start_serial_input(Terminal& t) {
  console::Serial16550& port = console::com1();
  if (!port.present()) {
    klog::info("tty: no serial port; console input from the keyboard only");
    return;
  }
  const std::uint32_t gsi = kinterrupts::isa_irq_gsi(kCom1Irq);
  if (gsi >= arch::kIrqCount) {
    klog::error("tty: COM1's IRQ {} maps to GSI {}, beyond the device vectors; no serial input",
                kCom1Irq, gsi);
    return;
  }
  const arch::Vector vector = arch::irq_vector(gsi);
  kinterrupts::set_handler(vector, serial_interrupt);
  std::uint32_t routed_gsi = 0;
  if (!kinterrupts::route_isa_irq(kCom1Irq, vector, kinterrupts::current_id(), &routed_gsi)) {
    klog::error("tty: cannot route COM1's IRQ {} (GSI {}): no IOAPIC has it; no serial input",
                kCom1Irq, gsi);
    return;
  }
  (void)port.enable_receive_interrupt();
  // Bytes that arrived before the interrupt was enabled raised no edge: take them now.
  if (drain_serial(t) != 0) (void)t.worker_wait.wake_one(kthreads::scheduler());
  klog::info("tty: console terminal on COM1, IRQ {} -> GSI {} vector {:#x}", kCom1Irq,
             routed_gsi, arch::vector_number(vector));
}

}  // namespace ktty
