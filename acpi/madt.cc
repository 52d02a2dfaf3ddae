#include "acpi/madt.h"

#include "acpi/bytes.h"

namespace acpi {
namespace {

constexpr std::uint32_t kMadtFixedLength = 44;  // header + LAPIC address + flags

void decode(std::uint8_t type, const std::uint8_t* e, std::uint8_t length, MadtEntry& out) {
  switch (static_cast<MadtType>(type)) {
    case MadtType::kLocalApic:
      out.local_apic = {e[2], ApicId{e[3]}, load_le32(e + 4)};
      return;
    case MadtType::kIoApic:
      out.io_apic = {e[2], load_le32(e + 4), load_le32(e + 8)};
      return;
    case MadtType::kInterruptOverride:
      out.override_ = {e[2], e[3], load_le32(e + 4), load_le16(e + 8)};
      return;
    case MadtType::kNmiSource:
      out.nmi_source = {load_le16(e + 2), load_le32(e + 4)};
      return;
    case MadtType::kLocalApicNmi:
      out.lapic_nmi = {e[2], load_le16(e + 3), e[5]};
      return;
    case MadtType::kLocalApicAddressOverride:
      out.address_override = {load_le64(e + 4)};
      return;
    case MadtType::kLocalX2Apic:
      // x2APIC ID at 4, flags at 8, UID at 12 (table 5.36).
      out.local_apic = {load_le32(e + 12), ApicId{load_le32(e + 4)}, load_le32(e + 8)};
      return;
    case MadtType::kLocalX2ApicNmi:
      out.lapic_nmi = {load_le32(e + 4), load_le16(e + 2), e[8]};
      return;
    case MadtType::kMultiprocessorWakeup:
      out.wakeup = {load_le16(e + 2), load_le64(e + 8), length >= 24 ? load_le64(e + 16) : 0};
      return;
  }
  out.local_apic = {0, ApicId{0}, 0};  // unknown type: only type/length/offset are meaningful
}

}  // namespace

std::uint8_t madt_min_length(std::uint8_t type) {
  switch (static_cast<MadtType>(type)) {
    case MadtType::kLocalApic: return 8;
    case MadtType::kIoApic: return 12;
    case MadtType::kInterruptOverride: return 10;
    case MadtType::kNmiSource: return 8;
    case MadtType::kLocalApicNmi: return 6;
    case MadtType::kLocalApicAddressOverride: return 12;
    case MadtType::kLocalX2Apic: return 16;
    case MadtType::kLocalX2ApicNmi: return 12;
    case MadtType::kMultiprocessorWakeup: return 16;
  }
  return 2;
}

const char* polarity_name(Polarity p) {
  switch (p) {
    case Polarity::kConforms: return "conforms";
    case Polarity::kActiveHigh: return "active-high";
    case Polarity::kReserved: return "reserved";
    case Polarity::kActiveLow: return "active-low";
  }
  return "?";
}

const char* trigger_name(Trigger t) {
  switch (t) {
    case Trigger::kConforms: return "conforms";
    case Trigger::kEdge: return "edge";
    case Trigger::kReserved: return "reserved";
    case Trigger::kLevel: return "level";
  }
  return "?";
}

klib::Result<Madt, Error> Madt::parse(const std::uint8_t* bytes, std::size_t available,
                                      Diagnostics* diag) {
  return from_table(TRY(check_table(bytes, available, "APIC", diag)));
}

klib::Result<Madt, Error> Madt::from_table(const Table& table) {
  if (table.length < kMadtFixedLength) {
    return make_error(table.header.signature, 0, Reason::kTableTooShort, table.length);
  }
  Madt madt;
  madt.table_ = table;
  madt.lapic_address_ = load_le32(table.bytes + 36);
  madt.flags_ = load_le32(table.bytes + 40);
  return madt;
}

klib::Result<bool, Error> Madt::Cursor::next(MadtEntry& out) {
  const std::uint32_t end = table_->length;
  if (offset_ >= end) return false;
  const Signature& name = table_->header.signature;
  const std::uint32_t at = offset_;
  // From here on a failure leaves the cursor at the end so a caller that loops cannot spin.
  offset_ = end;
  if (end - at < 2) return make_error(name, at, Reason::kEntryCrossesEnd, end - at);
  const std::uint8_t* e = table_->bytes + at;
  const std::uint8_t type = e[0];
  const std::uint8_t length = e[1];
  if (length == 0) return make_error(name, at, Reason::kEntryZeroLength, type);
  if (length < madt_min_length(type)) return make_error(name, at, Reason::kEntryTooShort, type);
  if (!fits(end, at, length)) return make_error(name, at, Reason::kEntryCrossesEnd, length);
  out.type = type;
  out.length = length;
  out.offset = at;
  decode(type, e, length, out);
  offset_ = at + length;
  return true;
}

klib::Result<void, Error> Madt::validate() const {
  Cursor cursor = entries();
  MadtEntry entry;
  while (TRY(cursor.next(entry))) {
  }
  return klib::Ok{};
}

}  // namespace acpi
