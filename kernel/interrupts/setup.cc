#include "kernel/interrupts/setup.h"

#include "kernel/console/log.h"
#include "kernel/interrupts/io_apic.h"
#include "kernel/interrupts/local_apic.h"

namespace kinterrupts {

void init(const kfirmware::MachineTables& tables) {
  // Without a usable MADT the topology is empty: no LINT entries, no IOAPIC, no boot CPU UID.
  if (!tables.madt_ok) klog::warn("apic: no usable MADT; no IOAPIC and no LINT NMI wiring known");
  const acpi::Topology& t = tables.topology;
  const bool uid_known = tables.madt_ok && t.cpus.size != 0 && t.cpus[0].listed;
  const std::uint32_t boot_uid = uid_known ? t.cpus[0].uid : kAllCpus;
  init_boot_cpu(t.lapic_nmis, boot_uid);
  (void)io_apic_init(t);
}

}  // namespace kinterrupts
