// The PCI Express memory-mapped configuration table ("MCFG", PCI Firmware Specification 3.2
// §4.1.2): one ECAM window per PCI segment group and bus range.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/sdt.h"

namespace acpi {

struct EcamRange {
  std::uint64_t base = 0;  // address of bus 0's configuration space (even if start_bus > 0)
  std::uint16_t segment = 0;
  std::uint8_t start_bus = 0;
  std::uint8_t end_bus = 0;
  // Bytes of configuration space the range covers: 1 MiB per bus (32 devices x 8 functions
  // x 4 KiB). 0 when end_bus < start_bus (a firmware error the caller should not map).
  std::uint64_t size() const {
    return end_bus < start_bus ? 0 : (std::uint64_t{end_bus} - start_bus + 1) << 20;
  }
};

class Mcfg {
 public:
  // Trailing bytes that do not form a whole 16-byte entry are a warning, and ignored.
  static klib::Result<Mcfg, Error> parse(const std::uint8_t* bytes, std::size_t available,
                                         Diagnostics* diag);
  static klib::Result<Mcfg, Error> from_table(const Table& table, Diagnostics* diag);

  std::uint32_t count() const { return count_; }
  EcamRange range(std::uint32_t index) const;  // needs index < count()

 private:
  Table table_;
  std::uint32_t count_ = 0;
};

}  // namespace acpi
