// Every online CPU holds the kernel's PAT (SDM vol. 3A 11.12.4: all processors the same), and
// the framebuffer is mapped through its write-combining entry.
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/core/boot_state.h"
#include "kernel/arch/x86_64/mmu/pat.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/mm.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/ktest/ktest.h"

namespace {

std::uint64_t g_pat[smp::kMaxCpus];

std::uint64_t read_pat() {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(mm::arch::kMsrPat));
  return (std::uint64_t{hi} << 32) | lo;
}

void record_pat(const smp::CallArgs&) {
  g_pat[arch::current_cpu_index()] = read_pat();
}

}  // namespace

KTEST(mm_pat_same_on_every_cpu) {
  if (!mm::arch::cpu_has_pat()) KSKIP("CPU without PAT");
  const smp::CpuSet online = kcpus::online_cpus();
  for (std::uint32_t c = 0; c < smp::kMaxCpus; ++c) g_pat[c] = 0;
  KCHECK(kcpus::call_on_cpus(online, record_pat, {}, smp::CallMode::kSync));
  for (std::uint32_t c = online.next(0); c < smp::kMaxCpus; c = online.next(c + 1)) {
    KCHECK_EQ(g_pat[c], mm::arch::kKernelPat);
  }
}

KTEST(mm_framebuffer_mapped_write_combining) {
  const boot::Framebuffer& fb = core::boot_info().framebuffer;
  if (fb.format == boot::PixelFormat::kNone) KSKIP("no framebuffer");
  const auto virt = reinterpret_cast<std::uint64_t>(mm::phys_to_virt(fb.physical_base));
  auto t = mm::kernel_translate(virt);
  KCHECK(t.ok());
  KCHECK(t.value().flags.cache_disable && t.value().flags.write_through);
  KCHECK_EQ(t.value().flags.pat, mm::arch::cpu_has_pat());  // PA7 = WC, else PA3 = UC
}
