#include "kernel/arch/x86_64/descriptors.h"

namespace arch {
namespace {

// Segment descriptors (Intel SDM Vol. 3A, "Segment Descriptors"): base and limit are ignored
// in 64-bit mode except for the TSS; what matters is P, DPL, S, type and L.
constexpr std::uint64_t kKernelCode64 = 0x00AF9A000000FFFF;  // P, DPL0, code exec/read, L, G
constexpr std::uint64_t kKernelData = 0x00CF92000000FFFF;    // P, DPL0, data read/write
constexpr std::uint64_t kUserData = 0x00CFF2000000FFFF;      // as above, DPL3
constexpr std::uint64_t kUserCode64 = 0x00AFFA000000FFFF;
constexpr std::uint64_t kTssAvailable64 = 0x9;  // system type: available 64-bit TSS

struct __attribute__((packed)) Gdtr {
  std::uint16_t limit;
  std::uint64_t base;
};

}  // namespace

void build_descriptors(CpuDescriptors& d, const std::uint64_t (&ist_tops)[kIstStackCount]) {
  d.tss = Tss{};
  for (unsigned i = 0; i < kIstStackCount; ++i) d.tss.ist[i] = ist_tops[i];
  d.tss.io_map_base = sizeof(Tss);

  d.gdt[0] = 0;
  d.gdt[1] = kKernelCode64;
  d.gdt[2] = kKernelData;
  d.gdt[3] = kUserData;
  d.gdt[4] = kUserCode64;
  const auto base = reinterpret_cast<std::uint64_t>(&d.tss);
  const std::uint64_t limit = sizeof(Tss) - 1;
  d.gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (kTssAvailable64 << 40) |
             (1ull << 47) /* present */ | (((limit >> 16) & 0xF) << 48) |
             (((base >> 24) & 0xFF) << 56);
  d.gdt[6] = base >> 32;
}

void load_descriptors(CpuDescriptors& d) {
  const Gdtr gdtr{sizeof(d.gdt) - 1, reinterpret_cast<std::uint64_t>(d.gdt)};
  asm volatile(
      "lgdt %[gdtr]\n\t"
      // A far return is the way to load CS in 64-bit mode: push selector and target.
      "pushq %[code]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movw %w[data], %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%ss\n\t"
      "ltr %w[tss]"
      :
      : [gdtr] "m"(gdtr), [code] "i"(static_cast<std::uint16_t>(Selector::kKernelCode)),
        [data] "r"(static_cast<std::uint32_t>(Selector::kKernelData)),
        [tss] "r"(static_cast<std::uint32_t>(Selector::kTss))
      : "rax", "memory");
}

}  // namespace arch
