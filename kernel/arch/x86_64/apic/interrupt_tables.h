// Hands what the ACPI tables say about interrupts and clocks (read once by kernel/acpi) to the
// interrupt controllers and the clock code: LAPIC LINT NMI wiring, the boot CPU's ACPI UID, the
// HPET and the PM timer. The topology itself stays in kacpi::machine_tables().
#pragma once

namespace apic {

// Boot CPU, after kacpi::read_and_report() and before apic::init_boot_cpu() / ktime::init().
// False when there was no usable MADT (then no IOAPIC is known and only the boot CPU runs).
bool apply_machine_tables();

}  // namespace apic
