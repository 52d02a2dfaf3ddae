// The CPU identity types (smp/klib/ids.h): in and out only through the explicit forms, never
// one kind for the other, 32 bits each; and the GoogleTest printers (tests/host/ids_print.h).
#include "smp/klib/ids.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <type_traits>

#include "tests/host/ids_print.h"

namespace {

using klib::ApicId;
using klib::CpuNumber;

// No implicit way in from a number, out to a number, or across: a CPU number passed where an
// APIC ID belongs (or the reverse) does not compile.
static_assert(!std::is_convertible_v<std::uint32_t, ApicId>);
static_assert(!std::is_convertible_v<std::uint32_t, CpuNumber>);
static_assert(!std::is_convertible_v<ApicId, std::uint32_t>);
static_assert(!std::is_convertible_v<CpuNumber, std::uint32_t>);
static_assert(!std::is_convertible_v<ApicId, CpuNumber>);
static_assert(!std::is_convertible_v<CpuNumber, ApicId>);
static_assert(!std::is_constructible_v<CpuNumber, ApicId>);
static_assert(!std::is_constructible_v<ApicId, CpuNumber>);
// The per-CPU block and the trampoline slots hold them as 32-bit words.
static_assert(sizeof(ApicId) == 4 && sizeof(CpuNumber) == 4);

TEST(Ids, KeepAll32Bits) {
  EXPECT_EQ(klib::to_raw(ApicId{0xFFFF'FFFE}), 0xFFFF'FFFEu);  // the largest usable x2APIC ID
  EXPECT_EQ(klib::to_index(CpuNumber{0xFFFF'FFFF}), 0xFFFF'FFFFu);
}

TEST(Ids, PrintAsCpuAndApic) {
  EXPECT_EQ(::testing::PrintToString(CpuNumber{3}), "cpu 3");
  EXPECT_EQ(::testing::PrintToString(ApicId{0x40}), "apic 0x40");
  // The hex flag does not leak into what is printed next.
  std::ostringstream out;
  klib::PrintTo(ApicId{0x10}, &out);
  out << ' ' << 10;
  EXPECT_EQ(out.str(), "apic 0x10 10");
}

}  // namespace
