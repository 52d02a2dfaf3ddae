// Boot-time ACPI report: finds the tables from the loader's RSDP, prints the machine's topology
// with klog and, with `acpi=dump`, every table in acpidump's layout (read back by acpiinfo).
#pragma once

#include "kernel/boot/boot_info.h"

namespace kacpi {

// Needs: mm::init() done (direct map in place) and mm::reclaim_boot_memory() not yet run, because
// the firmware memory map it bounds every table read by lives in loader memory. Boot CPU only,
// takes no locks but klog's. Never fails: a problem is printed and the report carries on with
// what it has. `dump`: also print every table (RSDP, XSDT/RSDT, each entry, DSDT, FACS).
void acpi_report(const boot::BootInfo& info, bool dump);

}  // namespace kacpi
