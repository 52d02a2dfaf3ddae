// The x86-64 control bits memory management owns: CR0.WP, CR3, CR4.PGE/SMEP/SMAP, EFER.NXE,
// INVLPG, and the CPUID feature bits that say which of them exist. Bit positions: Intel SDM
// vol. 3A 2.5 (control registers), 2.2.1 (EFER); CPUID leaves: vol. 2A, CPUID.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/cpu.h"

namespace mm::arch {

inline constexpr std::uint64_t kCr0WriteProtect = 1ull << 16;
inline constexpr std::uint64_t kCr4GlobalPages = 1ull << 7;
inline constexpr std::uint64_t kCr4Smep = 1ull << 20;
inline constexpr std::uint64_t kCr4Smap = 1ull << 21;
inline constexpr std::uint32_t kMsrEfer = 0xC0000080;
inline constexpr std::uint64_t kEferNoExecuteEnable = 1ull << 11;

struct MmuFeatures {
  bool no_execute;  // CPUID 0x80000001 EDX[20]
  bool page_1g;     // CPUID 0x80000001 EDX[26]
  bool smep;        // CPUID 7.0 EBX[7]
  bool smap;        // CPUID 7.0 EBX[20]
};

inline MmuFeatures detect_features() {
  MmuFeatures f{};
  const std::uint32_t max_basic = ::arch::cpuid(0).eax;
  const std::uint32_t max_extended = ::arch::cpuid(0x80000000).eax;
  if (max_extended >= 0x80000001) {
    const std::uint32_t edx = ::arch::cpuid(0x80000001).edx;
    f.no_execute = (edx >> 20) & 1;
    f.page_1g = (edx >> 26) & 1;
  }
  if (max_basic >= 7) {
    const std::uint32_t ebx = ::arch::cpuid(7, 0).ebx;
    f.smep = (ebx >> 7) & 1;
    f.smap = (ebx >> 20) & 1;
  }
  return f;
}

inline std::uint64_t read_cr0() {
  std::uint64_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
// "memory": control-register writes change how every later access behaves.
inline void write_cr0(std::uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
inline std::uint64_t read_cr4() {
  std::uint64_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
inline void write_cr4(std::uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
inline void write_cr3(std::uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

// The kernel's cpu.h names only the MSRs the core uses; EFER stays private to mm.
inline std::uint64_t read_efer() {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(kMsrEfer));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
inline void write_efer(std::uint64_t v) {
  asm volatile("wrmsr"
               :
               : "c"(kMsrEfer), "a"(static_cast<std::uint32_t>(v)),
                 "d"(static_cast<std::uint32_t>(v >> 32))
               : "memory");
}

// Drops the TLB entry for the page holding `virt` on this CPU (global or not).
inline void invlpg(std::uint64_t virt) {
  asm volatile("invlpg (%0)" : : "r"(virt) : "memory");
}

// Drops every TLB entry on this CPU, global ones included: toggling CR4.PGE flushes them all
// (Intel SDM vol. 3A 4.10.4.1); a plain CR3 write would keep global entries.
inline void flush_tlb_all() {
  const std::uint64_t cr4 = read_cr4();
  if (cr4 & kCr4GlobalPages) {
    write_cr4(cr4 & ~kCr4GlobalPages);
    write_cr4(cr4);
  } else {
    write_cr3(::arch::read_cr3());
  }
}

}  // namespace mm::arch
