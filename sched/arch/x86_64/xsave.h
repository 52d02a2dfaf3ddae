// Extended FPU/SIMD state (x87, SSE, AVX, ...) for threads that use it, saved with XSAVE, or
// with FXSAVE on a CPU without XSAVE. The kernel is built general-registers-only and does not
// switch this state for itself; a thread that uses the FPU owns a save area and the scheduler
// saves and restores it around switches when PLEIADES_SCHED_XSAVE is on (sched/config.h). The
// kernel enables the unit and picks the mode (kernel/arch/x86_64/fpu.h: CR4.OSFXSR/OSXSAVE,
// XCR0) before any thread runs; on the host the mode comes from CPUID on first use.
#pragma once

#include <cstdint>

namespace sched::arch {

// Minimum alignment XSAVE requires of its area.
inline constexpr std::uint32_t kXsaveAlign = 64;
// The legacy region (512 bytes) and the XSAVE header (64 bytes) come first.
inline constexpr std::uint32_t kXsaveHeaderEnd = 576;

enum class SaveMode : std::uint8_t { kUnset, kFxsave, kXsave };

// Kernel, on every CPU from arch::fpu::init_this_cpu (the same mode everywhere).
void set_save_mode(SaveMode mode);
// The mode in use: the one set, else XSAVE when xsave_supported(), else FXSAVE.
SaveMode save_mode();
// Bytes a thread's area needs in the current mode (512 for FXSAVE). 64-byte aligned areas.
std::uint32_t save_area_size();
// The scheduler's save and restore of a thread's area, in the current mode (all components).
void save_state(void* area);
void restore_state(const void* area);

// CPUID.1:ECX.OSXSAVE: XSAVE is available and enabled by the OS.
bool xsave_supported();
// Bytes of save area the features enabled in XCR0 need (CPUID.(EAX=0DH,ECX=0):EBX).
std::uint32_t xsave_area_size();

// Prepares an area of `size` bytes (64-byte aligned) so that restoring it gives a thread the
// initial state of every component: zeroes with a valid XSAVE header, then the x87 control
// word 0x037F and MXCSR 0x1F80 (all exceptions masked) in the legacy region, which FXRSTOR
// and XRSTOR load whatever the header says.
void xsave_init(void* area, std::uint32_t size);
// Saves the components in `mask` (all by default) of the current CPU into `area`.
void xsave(void* area, std::uint64_t mask = ~0ull);
// Restores the components in `mask` from `area`.
void xrstor(const void* area, std::uint64_t mask = ~0ull);

}  // namespace sched::arch
