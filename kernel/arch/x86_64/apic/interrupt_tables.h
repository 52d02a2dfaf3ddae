// Hands what the ACPI tables say about clocks and the boot CPU (read once by kernel/firmware) to the
// APIC and clock code: the boot CPU's ACPI UID, the HPET and the PM timer. The topology itself
// (with the LINT NMI entries the APIC reads) stays in kfirmware::machine_tables().
#pragma once

namespace apic {

// Boot CPU, after kfirmware::read_and_report() and before apic::init_boot_cpu() / ktime::init().
// False when there was no usable MADT (then no IOAPIC is known and only the boot CPU runs).
bool apply_machine_tables();

}  // namespace apic
