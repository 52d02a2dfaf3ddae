// The Root System Description Pointer (ACPI 6.5 §5.2.5): where the XSDT and RSDT are.
// ACPI 1.0 RSDPs are 20 bytes (revision 0); ACPI 2.0+ RSDPs (revision >= 2) add a length,
// the 64-bit XSDT address and an extended checksum over the whole structure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "acpi/error.h"
#include "acpi/mapping.h"

namespace acpi {

inline constexpr std::size_t kRsdpV1Length = 20;
inline constexpr std::size_t kRsdpV2Length = 36;

struct Rsdp {
  std::uint8_t revision = 0;
  char oem_id[7] = {};
  std::uint32_t rsdt = 0;
  // 0 unless the RSDP is revision >= 2 and its length and extended checksum are valid: an
  // XSDT address we cannot vouch for is not followed.
  std::uint64_t xsdt = 0;
  std::uint32_t length = kRsdpV1Length;  // bytes the structure covers (20 or its length field)
};

// Checks an RSDP held in `available` bytes. The ACPI 1.0 checksum must hold (it is what makes
// these 20 bytes an RSDP at all; Linux rejects the RSDP too); an extended-checksum or length
// problem only drops the XSDT address, with a warning.
klib::Result<Rsdp, Error> parse_rsdp(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag);

// Maps and checks the RSDP at `phys`: 20 bytes first, then as many as it declares.
klib::Result<Rsdp, Error> read_rsdp(PhysicalMemory& memory, std::uint64_t phys,
                                    Diagnostics* diag);

}  // namespace acpi
