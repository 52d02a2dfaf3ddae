#include "acpi/slit.h"

#include "acpi/bytes.h"

namespace acpi {
namespace {

constexpr std::uint32_t kCountOffset = 36;   // after the header: UINT64 number of localities
constexpr std::uint32_t kMatrixOffset = 44;  // then the matrix, row by row

}  // namespace

klib::Result<Slit, Error> Slit::parse(const std::uint8_t* bytes, std::size_t available,
                                      Diagnostics* diag) {
  return from_table(TRY(check_table(bytes, available, "SLIT", diag)));
}

klib::Result<Slit, Error> Slit::from_table(const Table& table) {
  const Signature& name = table.header.signature;
  if (table.length < kMatrixOffset) return make_error(name, 0, Reason::kTableTooShort, table.length);
  const std::uint64_t count = load_le64(table.bytes + kCountOffset);
  // count * count must fit in what follows; divide rather than multiply (count is untrusted).
  const std::uint64_t room = table.length - kMatrixOffset;
  if (count != 0 && count > room / count) {
    return make_error(name, kCountOffset, Reason::kTableTooShort, count);
  }
  Slit slit;
  slit.table_ = table;
  slit.count_ = count;
  return slit;
}

std::uint8_t Slit::distance(std::uint64_t from, std::uint64_t to) const {
  return table_.bytes[kMatrixOffset + from * count_ + to];
}

bool Slit::usable(Error* bad) const {
  if (count_ == 0) {
    if (bad != nullptr) *bad = Error{table_.header.signature, kCountOffset, Reason::kBadDistance, 0};
    return false;
  }
  for (std::uint64_t i = 0; i < count_; ++i) {
    for (std::uint64_t j = 0; j < count_; ++j) {
      const std::uint8_t d = distance(i, j);
      if (i == j ? d == kLocalDistance : d > kLocalDistance) continue;
      if (bad != nullptr) {
        *bad = Error{table_.header.signature, kMatrixOffset + i * count_ + j, Reason::kBadDistance, d};
      }
      return false;
    }
  }
  return true;
}

}  // namespace acpi
