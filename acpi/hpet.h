// The HPET description table ("HPET", IA-PC HPET specification 1.0a §3.2.4).
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/gas.h"
#include "acpi/sdt.h"

namespace acpi {

struct Hpet {
  std::uint32_t event_timer_block_id = 0;  // raw, decoded below
  std::uint8_t hardware_revision = 0;      // bits 7:0
  std::uint8_t comparators = 0;            // bits 12:8 hold (count - 1)
  bool counter_64bit = false;              // bit 13
  bool legacy_replacement = false;         // bit 15: can route to IRQ0/IRQ8
  std::uint16_t pci_vendor_id = 0;         // bits 31:16
  Gas base;                                // always system memory on real hardware
  std::uint8_t hpet_number = 0;
  std::uint16_t minimum_tick = 0;          // in main counter ticks, for periodic mode
  std::uint8_t page_protection = 0;        // bits 3:0 protection, 7:4 OEM
};

// Needs the 56 bytes the HPET specification defines; a shorter table is an error.
klib::Result<Hpet, Error> parse_hpet(const Table& table);
klib::Result<Hpet, Error> parse_hpet(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag);

}  // namespace acpi
