// The interrupt controllers at boot, from the ACPI report: kernel/firmware reads the tables and
// hands what it kept to init(), which sets up the boot CPU's local APIC, the legacy PICs and the
// IOAPICs. What the set-up finds (the APIC mode, the IOAPICs and their entry counts) stays here
// and is read through local_apic.h and io_apic.h; nothing is written back into the report.
#pragma once

#include "kernel/firmware/acpi_report.h"

namespace kinterrupts {

// Boot CPU, once, interrupts off, after mm::init and kfirmware::read_and_report(), before
// ktime::init(). Without a usable MADT, warns and sets up the local APIC alone (no LINT NMI
// wiring, no IOAPIC; the 8259 PICs are still masked). Otherwise the boot CPU's LINTs come from
// the MADT's NMI entries for its ACPI UID. `tables` must live as long as the kernel (the
// report's does): the APs read its LINT entries, the routing its overrides. Panics only as
// init_boot_cpu() does (no local APIC, or its page cannot be mapped).
void init(const kfirmware::MachineTables& tables);

}  // namespace kinterrupts
