// The kernel's one reader of the ACPI tables: finds them from the loader's RSDP, prints the
// machine's topology with klog and, with `acpi=dump`, every table in acpidump's layout (read back
// by acpiinfo). What it read is kept for the rest of the kernel (interrupt controllers, clocks,
// AP bring-up) through machine_tables().
#pragma once

#include <cstdint>

#include "acpi/numa.h"
#include "acpi/topology.h"
#include "kernel/boot/boot_info.h"

namespace kfirmware {

struct MachineTables {
  bool madt_ok = false;     // topology below was built from a well-formed MADT
  acpi::Topology topology;  // heap storage, kept for the kernel's lifetime; empty without MADT
  // HPET, when the table is well formed and its base is in system memory.
  bool hpet_present = false;
  std::uint64_t hpet_base = 0;
  // FADT PM timer, when present, not hardware-reduced, and in I/O space.
  bool pm_timer_present = false;
  std::uint16_t pm_timer_port = 0;
  bool pm_timer_32bit = false;
  // FADT IAPC_BOOT_ARCH's 8042 flag, when the table has the field (revision 2 on): false means
  // the firmware says there is no i8042 keyboard controller.
  bool boot_flags_known = false;
  bool has_8042 = false;
  // The SRAT's nodes and the SLIT's distances (heap copies, kept): numa_ok false without a
  // well-formed SRAT (one node then).
  bool numa_ok = false;
  acpi::Numa numa;
};

// Needs: mm::init() done (direct map and heap in place) and mm::reclaim_boot_memory() not yet
// run, because the firmware memory map that bounds every table read lives in loader memory.
// Boot CPU only, once; takes no locks but klog's. Never fails: a problem is printed and the
// kernel carries on with what was read (no MADT: the boot CPU only, no IOAPIC).
// `dump`: also print every table (RSDP, XSDT/RSDT, each entry, DSDT, FACS).
void read_and_report(const boot::BootInfo& info, bool dump);

// What read_and_report() kept. Read-only: the interrupt set-up (kernel/interrupts) and the
// bring-up read it and keep what they find themselves (the IOAPICs' entry counts, for one).
const MachineTables& machine_tables();

}  // namespace kfirmware
