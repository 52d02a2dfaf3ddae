// The System Resource Affinity Table ("SRAT", ACPI 6.5 §5.2.16): which NUMA proximity domain
// each processor and memory range belongs to. Decodes the x86 structures (processor Local APIC
// affinity, memory affinity, processor x2APIC affinity); other types (GICC, ITS, generic
// initiator/port) are skipped by their length, with the same entry checks as the MADT.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/sdt.h"
#include "smp/klib/ids.h"

namespace acpi {

enum class SratType : std::uint8_t {
  kProcessorApic = 0,
  kMemory = 1,
  kProcessorX2Apic = 2,
};

inline constexpr std::uint32_t kSratEnabled = 1u << 0;
inline constexpr std::uint32_t kSratMemHotPluggable = 1u << 1;
inline constexpr std::uint32_t kSratMemNonVolatile = 1u << 2;

using klib::ApicId;
using klib::to_raw;

struct SratEntry {
  std::uint8_t type = 0;
  std::uint8_t length = 0;
  std::uint32_t offset = 0;
  struct Processor {  // types 0 and 2
    ApicId apic_id;
    std::uint32_t domain;
    std::uint32_t flags;
    std::uint32_t clock_domain;
  };
  struct Memory {     // type 1
    std::uint32_t domain;
    std::uint64_t base;
    std::uint64_t length;
    std::uint32_t flags;
  };
  union {
    Processor processor;
    Memory memory;
  };
  SratEntry() : memory{0, 0, 0, 0} {}

  bool is(SratType t) const { return type == static_cast<std::uint8_t>(t); }
  bool enabled() const {
    return is(SratType::kMemory) ? (memory.flags & kSratEnabled) != 0
                                 : (processor.flags & kSratEnabled) != 0;
  }
};

class Srat {
 public:
  static klib::Result<Srat, Error> parse(const std::uint8_t* bytes, std::size_t available,
                                         Diagnostics* diag);
  static klib::Result<Srat, Error> from_table(const Table& table);

  const Table& table() const { return table_; }

  class Cursor {
   public:
    // As Madt::Cursor::next(): true/false/error, and the cursor stops at the first error.
    klib::Result<bool, Error> next(SratEntry& out);

   private:
    friend class Srat;
    explicit Cursor(const Table* t) : table_(t), offset_(48) {}
    const Table* table_;
    std::uint32_t offset_;
  };
  Cursor entries() const { return Cursor(&table_); }

 private:
  Table table_;
};

}  // namespace acpi
