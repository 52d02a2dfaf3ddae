// GoogleTest printers for the CPU identity types (smp/klib/ids.h), so a failed EXPECT_EQ shows
// "cpu 3" or "apic 0x40" rather than the enum's bytes. Found by argument-dependent lookup.
#pragma once

#include <ostream>

#include "smp/klib/ids.h"

namespace klib {

inline void PrintTo(CpuNumber cpu, std::ostream* os) { *os << "cpu " << to_index(cpu); }
inline void PrintTo(ApicId id, std::ostream* os) {
  *os << "apic 0x" << std::hex << to_raw(id) << std::dec;
}

}  // namespace klib
