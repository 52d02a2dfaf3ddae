// GDT and TSS of one CPU. Each CPU gets its own (the TSS holds per-CPU stacks); the layout is
// the flat 64-bit one: null, kernel code/data, user data/code (SYSRET order), then the TSS.
#pragma once

#include <cstdint>

namespace arch {

enum class Selector : std::uint16_t {
  kNull = 0x00,
  kKernelCode = 0x08,
  kKernelData = 0x10,
  kUserData = 0x18 | 3,
  kUserCode = 0x20 | 3,
  kTss = 0x28,  // 16-byte system descriptor: GDT slots 5 and 6
};

// Interrupt stack table slots (TSS.IST1..7; 0 = use the current stack).
enum class Ist : std::uint8_t { kNone = 0, kDoubleFault = 1, kNmi = 2, kMachineCheck = 3 };
inline constexpr unsigned kIstStackCount = 3;
inline constexpr std::uint64_t kIstStackSize = 16 * 1024;

// The 64-bit TSS (Intel SDM Vol. 3A, "Task-State Segment in IA-32e Mode").
struct __attribute__((packed)) Tss {
  std::uint32_t reserved0;
  std::uint64_t rsp[3];  // stacks for CPL 0..2 on privilege change
  std::uint64_t reserved1;
  std::uint64_t ist[7];  // IST1..IST7
  std::uint64_t reserved2;
  std::uint16_t reserved3;
  std::uint16_t io_map_base;  // = sizeof(Tss): no I/O permission bitmap
};
static_assert(sizeof(Tss) == 104);

inline constexpr unsigned kGdtEntries = 7;

struct CpuDescriptors {
  alignas(16) std::uint64_t gdt[kGdtEntries];
  Tss tss;
};

// Fills the GDT and TSS; `ist_tops` are the top addresses of the IST1..IST3 stacks.
void build_descriptors(CpuDescriptors& d, const std::uint64_t (&ist_tops)[kIstStackCount]);

// Loads the GDT (reloading CS, DS, ES, SS) and the task register on the current CPU.
// FS and GS are left alone so the GS base set by install_cpu_local() survives.
void load_descriptors(CpuDescriptors& d);

}  // namespace arch
