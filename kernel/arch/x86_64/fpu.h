// The FPU/SIMD unit for kernel threads that use it. The kernel itself is built
// general-registers-only and never touches x87/SSE/AVX state; a thread created with an FPU area
// (kernel/threads/kthread.h) may, and the scheduler saves and restores that area around its
// switches (sched/arch/x86_64/xsave.h: XSAVE when the CPU has it, else FXSAVE).
//
// init_this_cpu() runs on every CPU before it schedules threads, the boot CPU first:
//   CR0: MP=1, EM=0 (x87 present, no emulation), TS=0 (no lazy switching: no #NM), NE=1
//        (native x87 error reporting);
//   CR4: OSFXSR and OSXMMEXCPT (SSE, and SIMD exceptions as #XM), OSXSAVE when CPUID has XSAVE;
//   XCR0: x87 | SSE, plus AVX when the CPU has it (the same on every CPU, so one area size
//        fits all; an AP that cannot match the boot CPU's XCR0 is reported and gets no change).
#pragma once

#include <cstdint>

namespace arch::fpu {

enum class SaveMode : std::uint8_t { kNone, kFxsave, kXsave };

struct FpuInfo {
  SaveMode mode = SaveMode::kNone;
  std::uint64_t xcr0 = 0;      // enabled XSAVE components (kXsave only)
  std::uint32_t area_size = 0; // bytes of save area a thread needs (0: kNone)
};

inline constexpr std::uint64_t kXcr0X87 = 1u << 0;
inline constexpr std::uint64_t kXcr0Sse = 1u << 1;
inline constexpr std::uint64_t kXcr0Avx = 1u << 2;

// Interrupts off, on the CPU itself. The boot CPU's call decides the mode; an AP's call returns
// false (and changes nothing) if it cannot provide the same mode and XCR0.
[[nodiscard]] bool init_this_cpu();

// The mode the boot CPU chose (kNone before its init_this_cpu, or without FXSR/SSE).
const FpuInfo& info();

// This CPU's XCR0 (0 when CR4.OSXSAVE is clear).
std::uint64_t read_xcr0();

}  // namespace arch::fpu
