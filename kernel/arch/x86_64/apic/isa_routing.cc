#include "kernel/arch/x86_64/apic/isa_routing.h"

namespace apic {
namespace {

constexpr std::uint32_t kIsaIrqs = 16;

GsiSetup from_override(const acpi::InterruptOverride& o) {
  GsiSetup s;
  s.gsi = o.gsi;
  s.overridden = true;
  // Conforms (0) on the ISA bus = active high, edge. Reserved values (2) are treated the same:
  // the firmware said nothing usable, and ISA's default is the safe reading.
  s.active_low = o.polarity == acpi::Polarity::kActiveLow;
  s.level = o.trigger == acpi::Trigger::kLevel;
  return s;
}

}  // namespace

GsiSetup resolve_isa_irq(std::uint8_t irq, const acpi::InterruptOverride* overrides,
                         std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    if (overrides[i].bus == 0 && overrides[i].source_irq == irq) return from_override(overrides[i]);
  }
  return GsiSetup{irq, false, false, false};
}

GsiSetup resolve_gsi(std::uint32_t gsi, const acpi::InterruptOverride* overrides,
                     std::uint32_t count) {
  for (std::uint32_t i = 0; i < count; ++i) {
    if (overrides[i].gsi == gsi) return from_override(overrides[i]);
  }
  if (gsi < kIsaIrqs) return GsiSetup{gsi, false, false, false};
  return GsiSetup{gsi, true, true, false};
}

}  // namespace apic
