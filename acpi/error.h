// Errors and warnings from the ACPI parsers: which table, where in it, and why.
//
// Every parser returns klib::Result<T, acpi::Error>; an Error names the table signature, the
// byte offset inside that table and a Reason. Problems that do not stop a table from being used
// (a bad checksum, trailing bytes) are reported as warnings of the same shape through an
// optional Diagnostics sink, so the caller decides whether and where to print them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace acpi {

// A table signature as text: 4 characters (non-printable bytes shown as '?') and a NUL.
struct Signature {
  char text[5] = {'?', '?', '?', '?', '\0'};

  // constexpr so that namespace-scope constants need no global constructor in the kernel.
  static constexpr Signature from_bytes(const std::uint8_t* bytes) {
    Signature s;
    for (int i = 0; i < 4; ++i) s.text[i] = printable(bytes[i]);
    return s;
  }
  static constexpr Signature from_text(const char* sig4) {
    Signature s;
    for (int i = 0; i < 4; ++i) s.text[i] = printable(static_cast<std::uint8_t>(sig4[i]));
    return s;
  }
  constexpr bool operator==(const Signature& other) const {
    for (int i = 0; i < 4; ++i) {
      if (text[i] != other.text[i]) return false;
    }
    return true;
  }

 private:
  // Printable ASCII only, and no JSON/string delimiters: signatures end up in logs and JSON.
  static constexpr char printable(std::uint8_t c) {
    return (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '?';
  }
};

enum class Reason : std::uint8_t {
  // Root pointer.
  kRsdpUnreadable,          // the RSDP address maps to nothing readable
  kRsdpSignature,           // not "RSD PTR "
  kRsdpChecksum,            // the ACPI 1.0 checksum (first 20 bytes) does not sum to 0
  kRsdpExtendedChecksum,    // warning: the ACPI 2.0 checksum fails, XSDT not trusted
  kRsdpLength,              // warning: ACPI 2.0 length field smaller than 36 or unreadable
  // Any table.
  kTableUnreadable,         // a root-table entry (or the RSDP) points at nothing readable
  kTableShorterThanHeader,  // fewer bytes than the 36-byte header, or length field < 36
  kLengthBeyondMapping,     // the length field claims more bytes than are readable
  kSignatureMismatch,       // the table at this address is not the one expected
  kChecksum,                // warning: bytes do not sum to 0; the table is still used
  kTableTooShort,           // shorter than the fixed fields of its type
  // Root tables.
  kRootTrailingBytes,       // warning: length - 36 is not a multiple of the entry size
  kRootNullEntry,           // warning: an entry holds address 0
  kXsdtUnusable,            // warning: XSDT absent or broken, the RSDT is used instead
  kNoRootTable,             // neither XSDT nor RSDT is usable
  kNotFound,                // no table with this signature and instance
  // Subtables (MADT, SRAT entries).
  kEntryZeroLength,         // entry length 0: walking on would loop forever
  kEntryTooShort,           // entry length below the minimum for its type (value: the type)
  kEntryCrossesEnd,         // entry extends past the table's length
  kTrailingBytes,           // warning: bytes after the last whole entry
  // SLIT.
  kBadDistance,             // not 10 to itself or not above 10 to another (value: distance)
  // Topology.
  kStorageTooSmall,         // caller's storage smaller than the counting pass said
};

// A description of `reason` without the location, e.g. "entry of length 0".
const char* describe(Reason reason);

// Warnings carry the same fields; severity is given by how they are delivered.
struct Error {
  Signature table;
  std::uint64_t offset = 0;  // byte offset inside `table` (for root entries: of the entry)
  Reason reason = Reason::kNotFound;
  std::uint64_t value = 0;   // context: entry type, length, address... (see describe())
};

inline klib::Unexpected<Error> make_error(const Signature& table, std::uint64_t offset,
                                          Reason reason, std::uint64_t value = 0) {
  return klib::make_error(Error{table, offset, reason, value});
}

// Writes "APIC at offset 0x2c: entry of length 0 (value 0x0)" style text.
void format_error(fmt::Sink& sink, const Error& error);

// Receives warnings. Implemented by the kernel (klog) and the host tool (stderr).
class Diagnostics {
 public:
  virtual void warning(const Error& warning) = 0;

 protected:
  ~Diagnostics() = default;
};

// Sends a warning when a sink was given (parsers accept nullptr).
inline void warn(Diagnostics* sink, const Signature& table, std::uint64_t offset, Reason reason,
                 std::uint64_t value = 0) {
  if (sink != nullptr) sink->warning(Error{table, offset, reason, value});
}

}  // namespace acpi
