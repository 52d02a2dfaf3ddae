// The root of the table tree: the XSDT (64-bit entries) or the RSDT (32-bit entries), and table
// lookup by signature and instance.
//
// The XSDT is preferred (ACPI 6.5 §5.2.8: an OS uses the XSDT when there is one). The RSDT is
// used when the RSDP has no trustworthy XSDT address, or the XSDT cannot be read, is too short,
// has the wrong signature or holds no entries / a null first entry (ACPICA's test for a broken
// XSDT); the reason goes to the warning sink.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/mapping.h"
#include "acpi/rsdp.h"
#include "acpi/sdt.h"

namespace acpi {

class RootTables {
 public:
  // Follows the RSDP at `rsdp_phys`. `memory` must outlive the returned object.
  static klib::Result<RootTables, Error> open(PhysicalMemory& memory, std::uint64_t rsdp_phys,
                                              Diagnostics* diag);

  const Rsdp& rsdp() const { return rsdp_; }
  const Table& root() const { return root_; }  // the XSDT or the RSDT
  bool uses_xsdt() const { return entry_size_ == 8; }
  std::uint32_t entry_count() const { return count_; }

  // The physical address in entry `index` (< entry_count()).
  std::uint64_t entry_address(std::uint32_t index) const;
  // Byte offset of entry `index` inside the root table (for error messages).
  std::uint64_t entry_offset(std::uint32_t index) const { return 36 + std::uint64_t{index} * entry_size_; }

  // Reads and checks the table in entry `index`. Errors name the root table and the entry's
  // offset when the address is unreadable, the table itself otherwise.
  klib::Result<Table, Error> table_at(std::uint32_t index, Diagnostics* diag) const;

  // The `instance`-th (0-based) table with this signature. Entries that cannot be read are
  // reported to `diag` and skipped, so one broken entry does not hide every other table.
  // kNotFound when there is no such table.
  klib::Result<Table, Error> find(const char* signature, std::uint32_t instance,
                                  Diagnostics* diag) const;

 private:
  RootTables(PhysicalMemory& memory) : memory_(&memory) {}

  PhysicalMemory* memory_;
  Rsdp rsdp_;
  Table root_;
  std::uint32_t entry_size_ = 4;
  std::uint32_t count_ = 0;
};

}  // namespace acpi
