// Writes tables in the text layout of ACPICA's `acpidump`, so that one parser (acpiinfo) reads
// both a Linux acpidump and the kernel's `acpi=dump` log:
//
//   APIC @ 0x000000007FFE18F0
//       0000: 41 50 49 43 78 00 00 00 01 E8 42 4F 43 48 53 20  APIC x.....BOCHS
//       ...
//   (empty line)
//
// Offsets are "%8.4X: " (4 hex digits right-aligned in 8 columns), bytes "%02X " with missing
// bytes of the last line padded by three spaces, one more space, then the bytes as ASCII
// (0x20..0x7E, else '.'). The address is 16 uppercase hex digits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace acpi {

// Receives one line of text at a time (no newline): the kernel prints each with klog.
class LineSink {
 public:
  virtual void line(const char* text, std::size_t length) = 0;

 protected:
  ~LineSink() = default;
};

// Dumps `length` bytes at `bytes` under the name `name4` (4 characters, e.g. "APIC" or "RSDP")
// found at physical address `phys`: header line, one line per 16 bytes, then an empty line.
void dump_table(LineSink& out, const char* name4, std::uint64_t phys, const std::uint8_t* bytes,
                std::size_t length);

}  // namespace acpi
