// Extended FPU/SIMD state (x87, SSE, AVX, ...) saved with XSAVE, for threads that use it. The
// kernel is built general-registers-only and does not switch this state for itself; a thread
// that uses the FPU owns a save area and the scheduler saves and restores it around switches
// when PLEIADES_SCHED_XSAVE is on (sched/config.h). The kernel must have set CR4.OSXSAVE and
// XCR0 first; xsave_supported() checks the CPU and OS side through CPUID.
#pragma once

#include <cstdint>

namespace sched::arch {

// Minimum alignment XSAVE requires of its area.
inline constexpr std::uint32_t kXsaveAlign = 64;
// The legacy region (512 bytes) and the XSAVE header (64 bytes) come first.
inline constexpr std::uint32_t kXsaveHeaderEnd = 576;

// CPUID.1:ECX.OSXSAVE: XSAVE is available and enabled by the OS.
bool xsave_supported();
// Bytes of save area the features enabled in XCR0 need (CPUID.(EAX=0DH,ECX=0):EBX).
std::uint32_t xsave_area_size();

// Zeroes an area of `size` bytes (64-byte aligned) so that its header is valid for xrstor:
// restoring a fresh area gives every component its initial state.
void xsave_init(void* area, std::uint32_t size);
// Saves the components in `mask` (all by default) of the current CPU into `area`.
void xsave(void* area, std::uint64_t mask = ~0ull);
// Restores the components in `mask` from `area`.
void xrstor(const void* area, std::uint64_t mask = ~0ull);

}  // namespace sched::arch
