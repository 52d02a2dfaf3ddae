// Generic Address Structure (ACPI 6.5 §5.2.3.2): a register in memory, I/O or another space.
#pragma once

#include <cstdint>

#include "acpi/bytes.h"

namespace acpi {

inline constexpr std::uint32_t kGasLength = 12;

enum class AddressSpace : std::uint8_t {
  kSystemMemory = 0,
  kSystemIo = 1,
  kPciConfig = 2,
  kEmbeddedController = 3,
  kSmbus = 4,
  kFunctionalFixedHardware = 0x7F,
};

struct Gas {
  std::uint8_t space_id = 0;  // AddressSpace, kept raw: OEM values exist
  std::uint8_t bit_width = 0;
  std::uint8_t bit_offset = 0;
  std::uint8_t access_size = 0;  // 0 undefined, 1 byte, 2 word, 3 dword, 4 qword
  std::uint64_t address = 0;
};

// Needs 12 readable bytes at `p`.
inline Gas load_gas(const std::uint8_t* p) {
  return Gas{p[0], p[1], p[2], p[3], load_le64(p + 4)};
}

inline const char* address_space_name(std::uint8_t space_id) {
  switch (static_cast<AddressSpace>(space_id)) {
    case AddressSpace::kSystemMemory: return "memory";
    case AddressSpace::kSystemIo: return "I/O";
    case AddressSpace::kPciConfig: return "PCI config";
    case AddressSpace::kEmbeddedController: return "EC";
    case AddressSpace::kSmbus: return "SMBus";
    case AddressSpace::kFunctionalFixedHardware: return "FFH";
  }
  return "other";
}

}  // namespace acpi
