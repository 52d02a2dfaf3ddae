// Checks an ACPI Root System Description Pointer (ACPI 6.5, 5.2.5.3). Pure code, host-tested.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/result.h"

namespace loader {

inline constexpr std::size_t kRsdpV1Length = 20;
inline constexpr std::size_t kRsdpV2Length = 36;
// No revision defines an RSDP this long; a larger `length` is firmware garbage.
inline constexpr std::size_t kRsdpMaxLength = 4096;

struct RsdpInfo {
  std::uint32_t revision;  // 0 for ACPI 1.0, the table's revision (>= 2) otherwise
  std::uint32_t length;    // bytes covered by the checksums
};

// Checks signature, the 20-byte checksum, and for revision >= 2 the length field and extended
// checksum. `readable` is how many bytes at `rsdp` may be read; the check never reads more.
klib::Result<RsdpInfo, const char*> check_rsdp(const std::uint8_t* rsdp, std::size_t readable);

}  // namespace loader
