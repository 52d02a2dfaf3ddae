// Kernel memory management: the entry points the rest of the kernel uses.
// Layout and phases: docs/memory-layout.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "acpi/numa.h"
#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_cache.h"
#include "kernel/mm/numa_placement.h"
#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace mm {

// Physical <-> direct-map virtual. Valid from kernel entry on: the loader's page tables and the
// kernel's own both map all physical memory at boot::kDirectMapBase.
inline void* phys_to_virt(std::uint64_t phys) {
  return reinterpret_cast<void*>(phys + boot::kDirectMapBase);
}
template <typename T>
inline T* phys_to(std::uint64_t phys) {
  return static_cast<T*>(phys_to_virt(phys));
}
inline std::uint64_t direct_map_to_phys(const void* virt) {
  return reinterpret_cast<std::uint64_t>(virt) - boot::kDirectMapBase;
}

// Phase 1 (boot CPU, early): frame allocator over the free memory of the firmware map (loader
// and boot-services memory stay reserved), the kernel's own page tables loaded (kernel image
// with ELF permissions, direct map, identity map of UEFI runtime regions only), NX/WP/SMEP/SMAP
// enabled as the CPU allows, and the heap behind operator new/delete.
void init(const boot::BootInfo& info);

// Phase 2: once the kernel has copied what it needs out of the loader's memory (command line,
// symbols, memory map), return loader and boot-services memory to the frame allocator. Keeps
// the kernel image, the AP trampoline page, ACPI and runtime-services memory.
void reclaim_boot_memory();

struct Stats {
  std::uint64_t total_bytes;   // every range in the firmware map that is RAM
  std::uint64_t usable_bytes;  // RAM the kernel may allocate (free + in use by the kernel)
  std::uint64_t free_bytes;    // currently free in the frame allocator (or its per-CPU caches)
  std::uint64_t reclaimed_bytes;  // returned by reclaim_boot_memory()
};
Stats stats();

// --- Physical frames (after init). Lock: the frame allocator's IRQ-saving leaf spinlock. ---

// `pages` contiguous 4 KiB frames aligned to `alignment` (power of two >= 4096, 0 = 4096),
// ending at or below `below`. For stacks, per-CPU blocks, DMA buffers. A run or limited request
// that finds no room drains the per-CPU frame caches and looks once more.
klib::Result<std::uint64_t, FrameError> alloc_frames(std::uint64_t pages,
                                                     std::uint64_t alignment = 0,
                                                     std::uint64_t below = FrameAllocator::kNoLimit);
// As alloc_frames (no alignment, no limit), but from `node`'s frames first, then the nearest
// node's, whichever CPU asks: for what another CPU will use (an AP's stacks and per-CPU block,
// allocated by the boot CPU). Never through a per-CPU frame cache (a cache holds its own CPU's
// node). A node the allocator does not know is treated as node 0.
klib::Result<std::uint64_t, FrameError> alloc_frames_on_node(std::uint64_t pages,
                                                             std::uint32_t node);
// As alloc_frames(pages) and alloc_frames_on_node, with every byte of the `pages` frames zero
// (clear_frames). For any frame whose earlier contents must not show: page tables, a fresh page
// of user memory (which must read as zero), file pages, stacks, per-CPU blocks.
klib::Result<std::uint64_t, FrameError> alloc_cleared_frames(std::uint64_t pages);
klib::Result<std::uint64_t, FrameError> alloc_cleared_frames_on_node(std::uint64_t pages,
                                                                     std::uint32_t node);
// Zeroes `pages` whole frames from `phys` (frame aligned, the caller's) through the direct map,
// with the kernel's memset (smp/klib/freestanding/string.cc: loops of 8-byte stores, never
// `rep stos`, which QEMU's TCG runs an iteration at a time). Whole frames even where less is
// used: under TCG a frame that once held executed code (boot-services code, a freed program's
// text) keeps its translations until stores cover it, and until then every store to it takes
// the emulator's self-modifying-code path. Any context; takes no lock.
void clear_frames(std::uint64_t phys, std::uint64_t pages);
// Returns frames from alloc_frames. kDoubleFree / kForeignFrame are reported, nothing changes.
klib::Result<void, FrameError> free_frames(std::uint64_t phys, std::uint64_t pages);
// Single frames (pages 1, alignment 0 or 4096, no limit) go through this CPU's frame cache
// (frame_cache.h) once start_frame_caches() has run; their free goes back to the freeing CPU's.

// Starts the per-CPU frame caches for the CPUs platform::cpu_count() reports (boot CPU, after
// every CPU is started; their slots come from the heap). Without memory for them it logs and
// the kernel goes on without caches.
void start_frame_caches();
// From a CPU's idle loop: gives this CPU's cached frames back when its cache went unused for
// kFrameCacheIdleNs. Interrupts off or on.
void frame_cache_idle();
inline constexpr std::uint64_t kFrameCacheIdleNs = 100'000'000;  // 100 ms, see docs/memory-layout.md
// Gives every CPU's cached frames back to the bitmap (tests, low-memory reports). Any CPU.
std::size_t drain_frame_caches();
// The counters of `cpu`'s cache, and their sum (all zero before start_frame_caches()).
CpuFrameCacheStats frame_cache_stats(klib::CpuNumber cpu);
CpuFrameCacheStats frame_cache_totals();

// --- NUMA (docs/memory-layout.md, "Nodes") ---

// Places frames by the SRAT's nodes from now on (numa_placement.h): single frames and runs come
// from the asking CPU's node first, then the nearest. Boot CPU, after kfirmware::read_and_report
// and before the other CPUs start; `numa` lives as long as the kernel. Without a usable layout
// (one node, or one the allocator refuses, which it logs) nothing changes.
void set_numa(const acpi::Numa& numa);
// Nodes the frame allocator knows (1 without set_numa), numbered 0 .. node_count() - 1.
std::uint32_t node_count();
// One node's frames and numastat events, the per-CPU caches' included (zero beyond node_count).
NodeFrameStats node_stats(std::uint32_t node);
// cpu_node(cpu), the node of a CPU: kernel/mm/numa_placement.h.

// Keeps [phys, phys + size) out of reclaim_boot_memory(): for loader memory the kernel goes on
// using. Only before reclaim_boot_memory().
klib::Result<void, FrameError> pin_boot_memory(std::uint64_t phys, std::uint64_t size);

// --- The kernel address space (after init). Lock: the kernel page-table spinlock, then the
// frame allocator's. TLB: flushed on this CPU only (no SMP shootdown yet). ---

// Maps [virt, +size) to [phys, +size) (4 KiB aligned, nothing mapped there yet).
klib::Result<void, paging::Error> kernel_map(std::uint64_t virt, std::uint64_t phys,
                                             std::uint64_t size, paging::PageFlags flags);
// Unmaps [virt, +size) and flushes it from this CPU's TLB. Does not free the frames.
klib::Result<void, paging::Error> kernel_unmap(std::uint64_t virt, std::uint64_t size);
// Changes the rights of [virt, +size) (all mapped) and flushes it from this CPU's TLB.
klib::Result<void, paging::Error> kernel_protect(std::uint64_t virt, std::uint64_t size,
                                                 paging::PageFlags flags);
// Where `virt` is mapped in the kernel tables, with which rights.
klib::Result<paging::Translation, paging::Error> kernel_translate(std::uint64_t virt);
// Maps device registers [phys, +size) uncached in the kernel MMIO window; returns the virtual
// address of `phys` (same offset within its page). Mappings are permanent.
klib::Result<void*, paging::Error> map_mmio(std::uint64_t phys, std::uint64_t size);

}  // namespace mm
