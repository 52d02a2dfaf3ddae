#include "kernel/arch/x86_64/apic/interrupt_tables.h"

#include "kernel/firmware/acpi_report.h"
#include "kernel/arch/x86_64/apic/local_apic.h"
#include "kernel/console/log.h"
#include "kernel/time/clock.h"

namespace apic {

bool apply_machine_tables() {
  const kfirmware::MachineTables& m = kfirmware::machine_tables();
  if (m.hpet_present) ktime::set_hpet(m.hpet_base);
  if (m.pm_timer_present) ktime::set_pm_timer(m.pm_timer_port, m.pm_timer_32bit);
  if (!m.madt_ok) {
    klog::warn("apic: no usable MADT; no IOAPIC and no LINT NMI wiring known");
    return false;
  }
  const acpi::Topology& t = m.topology;
  if (t.cpus.size != 0 && t.cpus[0].listed) set_this_cpu_uid(t.cpus[0].uid);
  return true;
}

}  // namespace apic
