// In-kernel tests of the FPU set-up (kernel/arch/x86_64/fpu.h): every online CPU has the unit
// enabled the same way (CR0, CR4, XCR0) and an area of the advertised size holds a save.
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/smp/cpus.h"
#include "kernel/smp/run_on_cpu.h"
#include "kernel/test/ktest.h"
#include "sched/arch/x86_64/xsave.h"

namespace {

constexpr std::uint64_t kCallTimeoutNs = 500'000'000;
constexpr std::uint32_t kMaxTested = 256;

struct CpuFpuState {
  std::uint64_t cr0;
  std::uint64_t cr4;
  std::uint64_t xcr0;
  bool ran;
};
CpuFpuState g_state[kMaxTested];

void record_state(void* arg) {
  auto* out = static_cast<CpuFpuState*>(arg);
  asm volatile("mov %%cr0, %0" : "=r"(out->cr0));
  asm volatile("mov %%cr4, %0" : "=r"(out->cr4));
  out->xcr0 = arch::fpu::read_xcr0();
  out->ran = true;
}

alignas(64) unsigned char g_area[4096];

}  // namespace

KTEST(fpu_enabled_alike_on_every_cpu) {
  const arch::fpu::FpuInfo& info = arch::fpu::info();
  // Every x86-64 CPU has x87, FXSR and SSE: the boot CPU must have picked a save mode.
  KCHECK(info.mode != arch::fpu::SaveMode::kNone);
  const std::uint32_t n = platform::cpu_count() < kMaxTested ? platform::cpu_count() : kMaxTested;
  for (std::uint32_t i = 0; i < n; ++i) {
    g_state[i] = {};
    if (!smp::cpu_online(platform::CpuNumber{i})) continue;
    KCHECK(smp::run_on_cpu(platform::CpuNumber{i}, record_state, &g_state[i], kCallTimeoutNs));
    KCHECK(g_state[i].ran);
    KCHECK_EQ(g_state[i].cr0 & (1u << 2), 0u);     // EM clear: no emulation
    KCHECK_EQ(g_state[i].cr0 & (1u << 3), 0u);     // TS clear: no lazy #NM
    KCHECK_EQ(g_state[i].cr4 & (1u << 9), 1u << 9);  // OSFXSR
    const bool xsave = info.mode == arch::fpu::SaveMode::kXsave;
    KCHECK_EQ((g_state[i].cr4 >> 18) & 1, xsave ? 1u : 0u);  // OSXSAVE only in XSAVE mode
    KCHECK_EQ(g_state[i].xcr0, xsave ? info.xcr0 : 0u);
  }
}

KTEST(fpu_save_area_fits_and_round_trips_mxcsr) {
  const std::uint32_t size = arch::fpu::info().area_size;
  KCHECK(size >= 512);
  KCHECK_EQ(sched::arch::save_area_size(), size);
  KCHECK(size <= sizeof g_area);
  if (size > sizeof g_area) return;
  sched::arch::xsave_init(g_area, size);
  std::uint32_t original = 0;
  asm volatile("stmxcsr %0" : "=m"(original));
  sched::arch::save_state(g_area);
  std::uint32_t saved = 0;
  __builtin_memcpy(&saved, g_area + 24, sizeof saved);
  KCHECK_EQ(saved, original);
  const std::uint32_t changed = original ^ (3u << 13);  // another rounding mode
  __builtin_memcpy(g_area + 24, &changed, sizeof changed);
  sched::arch::restore_state(g_area);
  std::uint32_t now = 0;
  asm volatile("stmxcsr %0" : "=m"(now));
  asm volatile("ldmxcsr %0" : : "m"(original));
  KCHECK_EQ(now, changed);
}
