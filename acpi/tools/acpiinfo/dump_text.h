// Reads acpidump-style text (ACPICA `acpidump`, and the kernel's `acpi=dump` log, which uses the
// same layout; see acpi/dump.h) back into tables.
//
// Tolerant of what surrounds the dump: a header is found anywhere in a line ("APIC @ 0x..."), so
// log prefixes and other text are skipped; data lines "  0000: 41 50 ..." must continue the
// current table at exactly the offset reached so far, or the parse fails with the line number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acpiinfo {

struct DumpedTable {
  std::string name;  // the 4 characters before " @ 0x" ("RSDP" for the root pointer)
  std::uint64_t phys = 0;
  std::vector<std::uint8_t> bytes;
  std::size_t line = 0;  // 1-based line of the header
};

struct DumpParseError {
  std::size_t line = 0;
  std::string message;
};

// True when `text` contains at least one table header line.
bool looks_like_dump(const std::string& text);

// Parses every table in `text`. On failure fills `error` and returns false.
bool parse_dump(const std::string& text, std::vector<DumpedTable>& out, DumpParseError& error);

}  // namespace acpiinfo
