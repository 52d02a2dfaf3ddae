#include "acpi/mcfg.h"

#include "acpi/bytes.h"

namespace acpi {
namespace {

constexpr std::uint32_t kMcfgFixedLength = 44;  // header + 8 reserved bytes
constexpr std::uint32_t kMcfgEntryLength = 16;

}  // namespace

klib::Result<Mcfg, Error> Mcfg::parse(const std::uint8_t* bytes, std::size_t available,
                                      Diagnostics* diag) {
  return from_table(TRY(check_table(bytes, available, "MCFG", diag)), diag);
}

klib::Result<Mcfg, Error> Mcfg::from_table(const Table& table, Diagnostics* diag) {
  if (table.length < kMcfgFixedLength) {
    return make_error(table.header.signature, 0, Reason::kTableTooShort, table.length);
  }
  Mcfg mcfg;
  mcfg.table_ = table;
  std::uint32_t body = table.length - kMcfgFixedLength;
  mcfg.count_ = body / kMcfgEntryLength;
  if (body % kMcfgEntryLength != 0) {
    warn(diag, table.header.signature, table.length - body % kMcfgEntryLength,
         Reason::kTrailingBytes, body % kMcfgEntryLength);
  }
  return mcfg;
}

EcamRange Mcfg::range(std::uint32_t index) const {
  const std::uint8_t* e = table_.bytes + kMcfgFixedLength + index * kMcfgEntryLength;
  return EcamRange{load_le64(e), load_le16(e + 8), e[10], e[11]};
}

}  // namespace acpi
