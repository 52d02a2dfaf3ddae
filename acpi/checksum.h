// ACPI checksums: the bytes of a structure sum to zero modulo 256.
#pragma once

#include <cstddef>
#include <cstdint>

namespace acpi {

// Sum of `length` bytes modulo 256; 0 means the checksum is valid.
std::uint8_t byte_sum(const std::uint8_t* bytes, std::size_t length);

}  // namespace acpi
