#include "efi/memory_map_convert.h"

#include <cstring>

namespace loader {

klib::Result<std::size_t, MapError> convert_memory_map(const std::uint8_t* map,
                                                       std::size_t map_size,
                                                       std::size_t descriptor_size,
                                                       boot::MemoryRange* out,
                                                       std::size_t capacity) {
  if (descriptor_size < sizeof(EfiMemoryDescriptor)) {
    return klib::make_error(MapError::kDescriptorTooSmall);
  }
  const std::size_t count = map_size / descriptor_size;
  if (count > capacity) return klib::make_error(MapError::kTooManyEntries);
  for (std::size_t i = 0; i < count; ++i) {
    EfiMemoryDescriptor d;
    std::memcpy(&d, map + i * descriptor_size, sizeof(d));
    boot::MemoryRange range{};
    range.physical_start = d.physical_start;
    range.page_count = d.page_count;
    range.attributes = d.attribute;
    range.type = d.type <= static_cast<std::uint32_t>(boot::EfiMemoryType::kUnaccepted)
                     ? static_cast<boot::EfiMemoryType>(d.type)
                     : boot::EfiMemoryType::kReserved;
    out[i] = range;
  }
  return count;
}

std::uint64_t highest_address(const std::uint8_t* map, std::size_t map_size,
                              std::size_t descriptor_size) {
  if (descriptor_size < sizeof(EfiMemoryDescriptor)) return 0;
  constexpr std::uint64_t kMax = ~0ull;
  std::uint64_t highest = 0;
  for (std::size_t i = 0; i < map_size / descriptor_size; ++i) {
    EfiMemoryDescriptor d;
    std::memcpy(&d, map + i * descriptor_size, sizeof(d));
    std::uint64_t end = kMax;
    if (d.page_count <= (kMax - d.physical_start) / boot::kPageSize) {
      end = d.physical_start + d.page_count * boot::kPageSize;
    }
    if (end > highest) highest = end;
  }
  return highest;
}

}  // namespace loader
