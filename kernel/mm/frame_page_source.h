// The heap's PageSource over the frame allocator: contiguous frames, reached through a linear
// "direct map" (virtual = physical + offset). The kernel passes boot::kDirectMapBase as the
// offset; host tests pass the address of a host arena standing in for physical memory.
// Pages come from the calling CPU's NUMA node first when a node-of-CPU function is set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/heap.h"
#include "smp/platform/platform.h"

namespace mm {

class FramePageSource final : public PageSource {
 public:
  FramePageSource(FrameAllocator& frames, std::uintptr_t direct_map_offset)
      : frames_(frames), offset_(direct_map_offset) {}

  // Zeroed, every byte, as Debian's Linux zeroes every page it allocates (init_on_alloc), so
  // a heap block never shows what the frame held before. It matters for speed too: under
  // QEMU's TCG a frame that once held executed code (the firmware's boot-services code, a
  // freed program's text) keeps its translations until a store covers them, and until then
  // every store to the page takes the emulator's self-modifying-code path. A process whose
  // thread record landed on such a page paid 5 to 15 times the usual cost for each system
  // call (docs/vs-linux.md). Whole-page writes, as this one, clear the page for good.
  void* alloc_pages(std::size_t pages, std::size_t alignment) override {
    // The CPU may change right after the read: the node is a preference, any node will do.
    const std::uint32_t node = node_of_cpu_ ? node_of_cpu_(platform::current_cpu()) : 0;
    auto phys = frames_.alloc_contiguous(pages, alignment, FrameAllocator::kNoLimit, node);
    if (!phys) return nullptr;
    void* block = reinterpret_cast<void*>(phys.value() + offset_);
    __builtin_memset(block, 0, pages * kPageSize);
    return block;
  }

  void free_pages(void* block, std::size_t pages) override {
    // The heap only gives back blocks it got from alloc_pages: a failure here is a heap bug,
    // reported through the same hook a bad free from a caller would use.
    auto freed = frames_.free_contiguous(reinterpret_cast<std::uintptr_t>(block) - offset_, pages);
    if (!freed && on_error_) on_error_(freed.error(), block);
  }

  bool contains(const void* p) const override {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return address >= offset_ && frames_.manages(address - offset_);
  }

  using ErrorHook = void (*)(FrameError error, const void* block);
  void set_error_hook(ErrorHook hook) { on_error_ = hook; }
  // The node pages for a CPU come from first (mm::cpu_node in the kernel). Set before the heap
  // is shared between CPUs; without it, node 0.
  using NodeOfCpu = std::uint32_t (*)(klib::CpuNumber cpu);
  void set_node_of_cpu(NodeOfCpu fn) { node_of_cpu_ = fn; }

 private:
  FrameAllocator& frames_;
  std::uintptr_t offset_;
  ErrorHook on_error_ = nullptr;
  NodeOfCpu node_of_cpu_ = nullptr;
};

}  // namespace mm
