// The page attribute table (Intel SDM vol. 3A 11.12): the memory type each combination of a
// page's PAT, PCD and PWT bits selects. The kernel keeps PA0..PA6 at their power-on values
// (WB, WT, UC-, UC, WB, WT, UC-) and turns PA7 (PAT|PCD|PWT, UC at power-on) into
// write-combining for the framebuffer. Every CPU programs the same value: the boot CPU in
// mm::init, each AP at its kernel entry (docs/memory-layout.md, "Cache types").
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace mm::arch {

// Memory type encodings of a PAT entry (SDM vol. 3A table 11-10); others are reserved (#GP).
enum class MemoryType : std::uint8_t {
  kUncacheable = 0x00,
  kWriteCombining = 0x01,
  kWriteThrough = 0x04,
  kWriteProtected = 0x05,
  kWriteBack = 0x06,
  kUncachedMinus = 0x07,
};

inline constexpr std::uint32_t kMsrPat = 0x277;  // IA32_PAT

// The IA32_PAT value with `types[i]` in entry PAi (bits 8i..8i+2).
constexpr std::uint64_t pat_value(const MemoryType (&types)[8]) {
  std::uint64_t value = 0;
  for (unsigned i = 0; i < 8; ++i) {
    value |= std::uint64_t{static_cast<std::uint8_t>(types[i])} << (8 * i);
  }
  return value;
}

inline constexpr MemoryType kPowerOnTypes[8] = {
    MemoryType::kWriteBack, MemoryType::kWriteThrough, MemoryType::kUncachedMinus,
    MemoryType::kUncacheable, MemoryType::kWriteBack, MemoryType::kWriteThrough,
    MemoryType::kUncachedMinus, MemoryType::kUncacheable};
inline constexpr MemoryType kKernelTypes[8] = {
    MemoryType::kWriteBack, MemoryType::kWriteThrough, MemoryType::kUncachedMinus,
    MemoryType::kUncacheable, MemoryType::kWriteBack, MemoryType::kWriteThrough,
    MemoryType::kUncachedMinus, MemoryType::kWriteCombining};
inline constexpr std::uint64_t kPowerOnPat = pat_value(kPowerOnTypes);
inline constexpr std::uint64_t kKernelPat = pat_value(kKernelTypes);
static_assert(kPowerOnPat == 0x0007040600070406);  // SDM vol. 3A table 11-12
// PA0..PA3 unchanged: a mapping made without the PAT bit means what it meant at power-on.
static_assert((kKernelPat & 0xffffffff) == (kPowerOnPat & 0xffffffff));

// CPUID.1:EDX.PAT[16]. The APs have what the boot CPU has (smp checks CPUID leaf 1 EDX).
bool cpu_has_pat();

// Programs IA32_PAT with kKernelPat on this CPU, with the SDM's sequence for changing a memory
// type (11.11.8: caches off and flushed, TLBs flushed, write, flush again, caches back as they
// were), interrupts off throughout. Returns false, changing nothing, without the PAT.
// The boot CPU calls it in mm::init right after loading the kernel tables (whose framebuffer
// mapping uses PA7; nothing draws in between), so the flushes also drop any line cached through
// the loader's write-back alias of the framebuffer (SDM 11.12.4: WC must not alias a cacheable
// type). Each AP calls it at entry, before anything on it touches the framebuffer; until then
// PA7 is still UC there (its power-on value), never a cacheable type.
bool init_pat_this_cpu();

// Flags that make `base` write-combining (PA7: PAT|PCD|PWT) on a CPU with the PAT, else
// uncached (PA3: PCD|PWT). Rights (writable, executable, global, user) are kept.
paging::PageFlags write_combining(paging::PageFlags base);

}  // namespace mm::arch
