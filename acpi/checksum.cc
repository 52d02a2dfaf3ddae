#include "acpi/checksum.h"

namespace acpi {

std::uint8_t byte_sum(const std::uint8_t* bytes, std::size_t length) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum = static_cast<std::uint8_t>(sum + bytes[i]);
  return sum;
}

}  // namespace acpi
