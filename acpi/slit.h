// The System Locality Information Table ("SLIT", ACPI 6.5 §5.2.17): the relative distance
// between every pair of proximity domains (localities), one byte per ordered pair, row by row.
// 10 is the distance of a locality to itself; a remote one is more, 255 means unreachable.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/sdt.h"

namespace acpi {

class Slit {
 public:
  static constexpr std::uint8_t kLocalDistance = 10;
  static constexpr std::uint8_t kUnreachable = 255;

  static klib::Result<Slit, Error> parse(const std::uint8_t* bytes, std::size_t available,
                                         Diagnostics* diag);
  // kTableTooShort (value: the length) when the table has no room for its locality count, or
  // (value: the count) for the count's matrix of count x count bytes.
  static klib::Result<Slit, Error> from_table(const Table& table);

  const Table& table() const { return table_; }
  std::uint64_t localities() const { return count_; }
  // The distance from locality `from` to `to`, both below localities().
  std::uint8_t distance(std::uint64_t from, std::uint64_t to) const;

  // Whether the matrix is one Linux would use (its slit_valid): at least one locality, 10 on
  // the diagonal and more than 10 everywhere else. When not, *bad (if given) names the first
  // entry that breaks the rule: Reason::kBadDistance, its offset, the distance as the value.
  bool usable(Error* bad) const;

 private:
  Table table_;
  std::uint64_t count_ = 0;
};

}  // namespace acpi
