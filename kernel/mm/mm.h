// Kernel memory management: the entry points the rest of the kernel uses.
// Layout and phases: docs/memory-layout.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/boot/boot_info.h"

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
  std::uint64_t free_bytes;    // currently free in the frame allocator
  std::uint64_t reclaimed_bytes;  // returned by reclaim_boot_memory()
};
Stats stats();

}  // namespace mm
