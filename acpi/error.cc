#include "acpi/error.h"

namespace acpi {

const char* describe(Reason reason) {
  switch (reason) {
    case Reason::kRsdpUnreadable: return "RSDP address is not readable";
    case Reason::kRsdpSignature: return "no \"RSD PTR \" signature";
    case Reason::kRsdpChecksum: return "RSDP checksum (first 20 bytes) is not zero";
    case Reason::kRsdpExtendedChecksum: return "RSDP extended checksum is not zero; XSDT not trusted";
    case Reason::kRsdpLength: return "RSDP length field invalid or unreadable; XSDT not trusted";
    case Reason::kTableUnreadable: return "entry points at nothing readable";
    case Reason::kTableShorterThanHeader: return "table shorter than its 36-byte header";
    case Reason::kLengthBeyondMapping: return "length field larger than the readable bytes";
    case Reason::kSignatureMismatch: return "unexpected signature";
    case Reason::kChecksum: return "checksum is not zero (table used anyway)";
    case Reason::kTableTooShort: return "table shorter than the fixed fields of its type";
    case Reason::kRootTrailingBytes: return "length is not a whole number of entries";
    case Reason::kRootNullEntry: return "entry holds address 0";
    case Reason::kXsdtUnusable: return "XSDT unusable, using the RSDT";
    case Reason::kNoRootTable: return "neither XSDT nor RSDT is usable";
    case Reason::kNotFound: return "table not present";
    case Reason::kEntryZeroLength: return "entry of length 0";
    case Reason::kEntryTooShort: return "entry shorter than the minimum for its type";
    case Reason::kEntryCrossesEnd: return "entry crosses the end of the table";
    case Reason::kTrailingBytes: return "bytes after the last whole entry";
    case Reason::kBadDistance: return "distance not 10 to itself or not above 10 to another";
    case Reason::kStorageTooSmall: return "storage smaller than the counting pass reported";
  }
  return "unknown reason";
}

void format_error(fmt::Sink& sink, const Error& error) {
  fmt::format_to(sink, "{} at offset {:#x}: {} (value {:#x})", error.table.text, error.offset,
                 describe(error.reason), error.value);
}

}  // namespace acpi
