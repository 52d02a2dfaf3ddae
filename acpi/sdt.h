// The common 36-byte header of every System Description Table, and the checks every table
// gets before a parser looks inside: header present, length field within the bytes that are
// really there, signature as expected, checksum (a warning only, as Linux does).
#pragma once

#include <cstddef>
#include <cstdint>

#include "acpi/error.h"
#include "acpi/mapping.h"

namespace acpi {

inline constexpr std::size_t kSdtHeaderLength = 36;

struct SdtHeader {
  Signature signature;
  std::uint32_t length = 0;
  std::uint8_t revision = 0;
  std::uint8_t checksum = 0;
  char oem_id[7] = {};        // 6 characters, NUL terminated here (not in the table)
  char oem_table_id[9] = {};  // 8 characters, NUL terminated here
  std::uint32_t oem_revision = 0;
  char creator_id[5] = {};
  std::uint32_t creator_revision = 0;
};

// A table that passed check_table(): `bytes` holds `length` readable bytes (the header's own
// length field), so parsers only ever need to check offsets against `length`.
struct Table {
  const std::uint8_t* bytes = nullptr;
  std::uint32_t length = 0;
  std::uint64_t phys = 0;  // where it was found (0 when given as a buffer)
  SdtHeader header;
  bool checksum_ok = false;
};

// Checks a table held in `available` readable bytes at `bytes`. `expected` may be nullptr to
// accept any signature. Needs: `bytes` readable for `available` bytes. Guarantees: on success
// the returned Table never extends past `available`. A bad checksum is sent to `diag`.
klib::Result<Table, Error> check_table(const std::uint8_t* bytes, std::size_t available,
                                       const char* expected, Diagnostics* diag,
                                       std::uint64_t phys = 0);

// Reads a table through `memory`: maps the header, then exactly the length it declares.
// `referrer`/`referrer_offset` name where the address came from (e.g. XSDT at 0x2c) so an
// unreadable address is reported there.
klib::Result<Table, Error> read_table(PhysicalMemory& memory, std::uint64_t phys,
                                      const char* expected, const Signature& referrer,
                                      std::uint64_t referrer_offset, Diagnostics* diag);

}  // namespace acpi
