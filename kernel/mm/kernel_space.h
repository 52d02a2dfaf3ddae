// The kernel's own address space (docs/memory-layout.md):
//   kernel image   boot::kKernelVirtualBase    text R-X, rodata R--, data/bss RW- (linker.ld)
//   direct map     boot::kDirectMapBase        RAM write-back; holes, reserved and MMIO below
//                                              the top uncached; the framebuffer write-through
//   MMIO window    kMmioWindowBase             map_mmio(): uncached, bump-allocated
//   identity       the UEFI runtime regions    so ResetSystem works (no SetVirtualAddressMap)
// Built with paging::PageTables over frames from the frame allocator, reached through the
// direct map (the loader's tables provide it until our CR3 is loaded, ours after).
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_map.h"
#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace mm {

// PML4 slot 384: above the 64 TiB direct map (slots 256..383), below the kernel image (511).
inline constexpr std::uint64_t kMmioWindowBase = 0xffffc00000000000;
inline constexpr std::uint64_t kMmioWindowSize = 512ull << 30;  // one PML4 slot

// Builds the tables, loads CR3 and turns on NXE/WP/SMEP/SMAP. Boot CPU, once, early. Panics on
// anything it cannot build (there is no kernel without its address space).
void build_kernel_space(const boot::BootInfo& info, const NormalizedMap& map,
                        FrameAllocator& frames);

// The PML4 of the kernel address space (0 before build_kernel_space), for the AP start-up.
// Always below 4 GiB, so a 32-bit trampoline can load it into CR3.
std::uint64_t kernel_pml4();

// Copies the kernel half (PML4 slots 256..511) into a new address space's PML4 (`pml4`, 512
// entries reached through the direct map). The entries never change after boot, so one copy
// shares every later kernel mapping.
void copy_kernel_half(std::uint64_t* pml4);

// Turns on NXE, WP, SMEP and SMAP on the calling CPU as the boot CPU did (APs call this
// right after loading kernel_pml4()).
void enable_protection_features();

}  // namespace mm
