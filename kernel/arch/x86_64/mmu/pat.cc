#include "kernel/arch/x86_64/mmu/pat.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu/mmu.h"

namespace mm::arch {
namespace {

constexpr std::uint64_t kCr0NotWriteThrough = 1ull << 29;  // CR0.NW
constexpr std::uint64_t kCr0CacheDisable = 1ull << 30;     // CR0.CD

// "memory": the cache state changes how every later access behaves; WBINVD writes back and
// drops every line of this CPU's caches.
void wbinvd() { asm volatile("wbinvd" : : : "memory"); }

void write_pat(std::uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(kMsrPat), "a"(static_cast<std::uint32_t>(value)),
                 "d"(static_cast<std::uint32_t>(value >> 32))
               : "memory");
}

void program_pat() {
  const std::uint64_t rflags = ::arch::read_rflags();
  ::arch::cli();
  // SDM vol. 3A 11.11.8, steps 4-12, as 11.12.4 asks for a PAT change: no line or TLB entry
  // of a type that changed may survive the write.
  const std::uint64_t cr0 = read_cr0();
  write_cr0((cr0 | kCr0CacheDisable) & ~kCr0NotWriteThrough);
  wbinvd();
  flush_tlb_all();
  write_pat(kKernelPat);
  wbinvd();
  flush_tlb_all();
  write_cr0(cr0);
  if (rflags & ::arch::kRflagsIf) ::arch::sti();
}

}  // namespace

bool cpu_has_pat() { return (::arch::cpuid(1).edx >> 16) & 1; }

bool init_pat_this_cpu() {
  if (!cpu_has_pat()) return false;
  program_pat();
  return true;
}

paging::PageFlags write_combining(paging::PageFlags base) {
  base.cache_disable = base.write_through = true;  // PA3 (UC), or PA7 (WC) with the PAT bit
  base.pat = cpu_has_pat();
  return base;
}

}  // namespace mm::arch
