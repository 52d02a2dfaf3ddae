// Little-endian loads from byte buffers. ACPI structures are packed and often unaligned
// (MADT entries sit at any byte offset), so fields are assembled byte by byte instead of
// through casts to packed structs: no alignment or aliasing questions, same code on both sides.
//
// These helpers do not check bounds: every caller checks `offset + size <= length` first,
// once per structure, against the length it was given (see the parsers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace acpi {

inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

inline std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

inline std::uint64_t load_le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(load_le32(p)) |
         (static_cast<std::uint64_t>(load_le32(p + 4)) << 32);
}

// True when [offset, offset + size) lies inside a buffer of `length` bytes. Written so that
// no sum can overflow, whatever a table claims.
constexpr bool fits(std::size_t length, std::size_t offset, std::size_t size) {
  return offset <= length && size <= length - offset;
}

// Compares a 4-character signature without relying on libc.
inline bool signature_is(const std::uint8_t* p, const char* sig4) {
  return p[0] == static_cast<std::uint8_t>(sig4[0]) && p[1] == static_cast<std::uint8_t>(sig4[1]) &&
         p[2] == static_cast<std::uint8_t>(sig4[2]) && p[3] == static_cast<std::uint8_t>(sig4[3]);
}

}  // namespace acpi
