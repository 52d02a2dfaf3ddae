#include "kernel/arch/x86_64/apic/lapic_mode.h"

namespace apic {
namespace {

ModePlan plan(Reg64 base, bool cpu_has_x2apic, bool want_x2apic, bool must_be_x2apic) {
  ModePlan p;
  const bool enabled = ApicBaseEnable::get(base);
  const bool extd = ApicBaseX2Apic::get(base);
  if (!enabled && extd) {
    p.error = "IA32_APIC_BASE has EXTD set with EN clear (invalid state)";
    return p;
  }
  if (enabled && extd) {
    p.firmware_left_x2apic = true;
    if (!want_x2apic) {
      p.error = "firmware left x2APIC on but the boot CPU uses xAPIC (x2APIC cannot be left)";
      return p;
    }
    p.mode = ApicMode::kX2Apic;
    return p;
  }
  if (must_be_x2apic && !cpu_has_x2apic) {
    p.error = "the boot CPU uses x2APIC but this CPU does not support it";
    return p;
  }
  Reg64 value = base;
  if (!enabled) {
    p.was_disabled = true;
    value = ApicBaseEnable::set(value, true);  // disabled -> xAPIC first
    p.writes[p.write_count++] = value;
  }
  if (want_x2apic && cpu_has_x2apic) {
    value = ApicBaseX2Apic::set(value, true);  // xAPIC -> x2APIC
    p.writes[p.write_count++] = value;
    p.mode = ApicMode::kX2Apic;
  }
  return p;
}

}  // namespace

const char* apic_mode_name(ApicMode mode) {
  return mode == ApicMode::kX2Apic ? "x2APIC" : "xAPIC";
}

ModePlan plan_boot_mode(Reg64 apic_base, bool cpu_has_x2apic) {
  return plan(apic_base, cpu_has_x2apic, /*want_x2apic=*/true, /*must_be_x2apic=*/false);
}

ModePlan plan_ap_mode(Reg64 apic_base, bool cpu_has_x2apic, ApicMode boot_mode) {
  const bool x2 = boot_mode == ApicMode::kX2Apic;
  return plan(apic_base, cpu_has_x2apic, x2, x2);
}

}  // namespace apic
