// Thin wrappers over x86-64 instructions the kernel core needs: port I/O, MSRs, control
// registers, CPUID, interrupt flag. Each is one instruction; the asm constraints carry the
// ordering ("memory" clobber where the instruction must not move across memory accesses).
#pragma once

#include <cstdint>

namespace arch {

inline void outb(std::uint16_t port, std::uint8_t value) {
  asm volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}
inline void outl(std::uint16_t port, std::uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}
inline std::uint8_t inb(std::uint16_t port) {
  std::uint8_t value;
  asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
  return value;
}

enum class Msr : std::uint32_t {
  kFsBase = 0xC0000100,
  kGsBase = 0xC0000101,
  kKernelGsBase = 0xC0000102,
};

inline std::uint64_t rdmsr(Msr msr) {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(static_cast<std::uint32_t>(msr)));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(Msr msr, std::uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(static_cast<std::uint32_t>(msr)), "a"(static_cast<std::uint32_t>(value)),
                 "d"(static_cast<std::uint32_t>(value >> 32))
               : "memory");
}

inline std::uint64_t read_cr2() {
  std::uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline std::uint64_t read_cr3() {
  std::uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline std::uint64_t read_rflags() {
  std::uint64_t v;
  asm volatile("pushfq; popq %0" : "=r"(v) : : "memory");
  return v;
}

inline constexpr std::uint64_t kRflagsIf = 1u << 9;

inline void cli() { asm volatile("cli" : : : "memory"); }
inline void sti() { asm volatile("sti" : : : "memory"); }
inline void pause() { asm volatile("pause"); }

// Stops this CPU for good: interrupts off, then halt; an NMI wakes it and it halts again.
[[noreturn]] inline void halt_forever() {
  for (;;) asm volatile("cli; hlt" : : : "memory");
}

inline std::uint64_t rdtsc() {
  std::uint32_t lo, hi;
  // No serialisation: callers measure intervals of milliseconds, where a few cycles of
  // reordering do not matter.
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

// RDTSC after LFENCE: the read waits for every earlier instruction to complete locally (Intel
// SDM vol. 2B, RDTSC; on AMD LFENCE is dispatch-serialising too), as Linux's rdtsc_ordered(). For
// clock readings that must not be older than a value seen before them.
inline std::uint64_t rdtsc_ordered() {
  std::uint32_t lo, hi;
  asm volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

struct CpuidResult {
  std::uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(std::uint32_t leaf, std::uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

// The current frame pointer (frames are kept: -fno-omit-frame-pointer).
inline std::uint64_t read_rbp() {
  std::uint64_t v;
  asm volatile("mov %%rbp, %0" : "=r"(v));
  return v;
}

}  // namespace arch
