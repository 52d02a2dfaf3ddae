// Kernel stacks with a real guard page: frames mapped in the kernel stack region
// (kStackRegionBase, docs/memory-layout.md) with one unmapped page below each stack, so an
// overflow page-faults at once instead of overwriting a neighbour. Used for the APs' kernel and
// IST stacks; later for thread stacks.
#pragma once

#include <cstdint>

#include "smp/klib/result.h"

namespace kcpus {

// PML4 slot 448: above the MMIO window (slot 384), below the kernel image (slot 511).
inline constexpr std::uint64_t kStackRegionBase = 0xffffe00000000000;
inline constexpr std::uint64_t kStackRegionSize = 512ull << 30;  // one PML4 slot

struct GuardedStack {
  std::uint64_t guard = 0;   // virtual address of the unmapped guard page
  std::uint64_t bottom = 0;  // lowest mapped byte
  std::uint64_t top = 0;     // one past the highest byte: the initial RSP (16-byte aligned)
};

// `node` for a stack the calling CPU's node should hold (mm::alloc_frames' placement).
inline constexpr std::uint32_t kCallersNode = ~0u;

// Allocates `bytes` (rounded up to pages) of contiguous frames, from NUMA node `node` first
// (mm::alloc_frames_on_node: an AP's stacks, allocated by the boot CPU, on the AP's node), and
// maps them writable and non-executable in the stack region above a never-mapped guard page.
// Takes the region's spinlock, then mm's locks. Errors: out of frames, region exhausted,
// mapping failed (then the frames are returned).
klib::Result<GuardedStack, const char*> allocate_guarded_stack(std::uint64_t bytes,
                                                               std::uint32_t node = kCallersNode);

}  // namespace kcpus
