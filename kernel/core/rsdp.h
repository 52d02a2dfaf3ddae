// A minimal read of the ACPI RSDP for the boot banner: signature, checksums, revision and the
// RSDT/XSDT addresses. The full table parser lives in acpi/.
#pragma once

#include <cstdint>

namespace rsdp {

struct Info {
  bool valid = false;
  const char* error = nullptr;  // why not valid
  std::uint8_t revision = 0;   // 0 = ACPI 1.0 (RSDT only), >= 2 = ACPI 2.0+ (XSDT)
  std::uint32_t rsdt = 0;
  std::uint64_t xsdt = 0;      // 0 for revision 0
  char oem_id[7] = {};
};

// Reads the RSDP at `physical` through the direct map. Checks the "RSD PTR " signature, the
// ACPI 1.0 checksum over 20 bytes and, for revision >= 2, the length and extended checksum.
Info read(std::uint64_t physical);

}  // namespace rsdp
