// ISA IRQ -> GSI with polarity and trigger, from the MADT's Interrupt Source Overrides (ACPI 6.5
// §5.2.12.5): without an override an ISA IRQ is GSI = IRQ, edge-triggered, active high; an
// override's "conforms to the bus" fields mean the ISA defaults too. Pure, host-tested.
#pragma once

#include <cstdint>

#include "acpi/topology.h"

namespace apic {

struct GsiSetup {
  std::uint32_t gsi = 0;
  bool active_low = false;
  bool level = false;
  bool overridden = false;
};

GsiSetup resolve_isa_irq(std::uint8_t irq, const acpi::InterruptOverride* overrides,
                         std::uint32_t count);

// Polarity/trigger of a GSI that an override names as its target (for routing by GSI): the
// override's settings when one targets `gsi`, else the ISA defaults for gsi < 16 and PCI's
// (level, active low) above.
GsiSetup resolve_gsi(std::uint32_t gsi, const acpi::InterruptOverride* overrides,
                     std::uint32_t count);

}  // namespace apic
