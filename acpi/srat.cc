#include "acpi/srat.h"

#include "acpi/bytes.h"

namespace acpi {
namespace {

constexpr std::uint32_t kSratFixedLength = 48;  // header + reserved 4 + reserved 8

std::uint8_t min_length(std::uint8_t type) {
  switch (static_cast<SratType>(type)) {
    case SratType::kProcessorApic: return 16;
    case SratType::kMemory: return 40;
    case SratType::kProcessorX2Apic: return 24;
  }
  return 2;
}

}  // namespace

klib::Result<Srat, Error> Srat::parse(const std::uint8_t* bytes, std::size_t available,
                                      Diagnostics* diag) {
  return from_table(TRY(check_table(bytes, available, "SRAT", diag)));
}

klib::Result<Srat, Error> Srat::from_table(const Table& table) {
  if (table.length < kSratFixedLength) {
    return make_error(table.header.signature, 0, Reason::kTableTooShort, table.length);
  }
  Srat srat;
  srat.table_ = table;
  return srat;
}

klib::Result<bool, Error> Srat::Cursor::next(SratEntry& out) {
  const std::uint32_t end = table_->length;
  if (offset_ >= end) return false;
  const Signature& name = table_->header.signature;
  const std::uint32_t at = offset_;
  offset_ = end;  // stays at the end if anything below fails
  if (end - at < 2) return make_error(name, at, Reason::kEntryCrossesEnd, end - at);
  const std::uint8_t* e = table_->bytes + at;
  const std::uint8_t type = e[0];
  const std::uint8_t length = e[1];
  if (length == 0) return make_error(name, at, Reason::kEntryZeroLength, type);
  if (length < min_length(type)) return make_error(name, at, Reason::kEntryTooShort, type);
  if (!fits(end, at, length)) return make_error(name, at, Reason::kEntryCrossesEnd, length);
  out.type = type;
  out.length = length;
  out.offset = at;
  // SRAT revision 1 (ACPI 2.0) defined 8-bit proximity domains: the upper bytes were reserved
  // and may hold junk, so they are only used from revision 2 on (Linux does the same).
  const bool wide_domains = table_->header.revision >= 2;
  switch (static_cast<SratType>(type)) {
    case SratType::kProcessorApic: {
      std::uint32_t domain = e[2];
      if (wide_domains) {
        domain |= static_cast<std::uint32_t>(e[9]) << 8 | static_cast<std::uint32_t>(e[10]) << 16 |
                  static_cast<std::uint32_t>(e[11]) << 24;
      }
      out.processor = {ApicId{e[3]}, domain, load_le32(e + 4), load_le32(e + 12)};
      break;
    }
    case SratType::kMemory: {
      std::uint32_t domain = load_le32(e + 2);
      if (!wide_domains) domain &= 0xFF;
      out.memory = {domain, load_le64(e + 8), load_le64(e + 16), load_le32(e + 28)};
      break;
    }
    case SratType::kProcessorX2Apic:
      out.processor = {ApicId{load_le32(e + 8)}, load_le32(e + 4), load_le32(e + 12), load_le32(e + 16)};
      break;
    default:
      out.memory = {0, 0, 0, 0};
      break;
  }
  offset_ = at + length;
  return true;
}

}  // namespace acpi
