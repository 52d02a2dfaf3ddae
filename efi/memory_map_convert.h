// Converts the firmware memory map into the boot protocol's fixed-size ranges. Pure code,
// host-tested: the firmware's descriptors are read by stride, never by sizeof.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"

namespace loader {

// EFI_MEMORY_DESCRIPTOR as the UEFI specification lays it out (version 1). Firmware may use a
// larger DescriptorSize; the fields below keep their offsets.
struct EfiMemoryDescriptor {
  std::uint32_t type;
  std::uint32_t pad;
  std::uint64_t physical_start;
  std::uint64_t virtual_start;
  std::uint64_t page_count;
  std::uint64_t attribute;
};
static_assert(sizeof(EfiMemoryDescriptor) == 40);

enum class MapError : std::uint8_t { kDescriptorTooSmall, kTooManyEntries };

// Copies `map_size / descriptor_size` descriptors from `map` into `out` (capacity entries).
// Yields the number written. Types above the known range are kept as kReserved.
klib::Result<std::size_t, MapError> convert_memory_map(const std::uint8_t* map,
                                                       std::size_t map_size,
                                                       std::size_t descriptor_size,
                                                       boot::MemoryRange* out,
                                                       std::size_t capacity);

// One past the highest physical address any descriptor covers (saturating at 2^64 - 1).
std::uint64_t highest_address(const std::uint8_t* map, std::size_t map_size,
                              std::size_t descriptor_size);

}  // namespace loader
