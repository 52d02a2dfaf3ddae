// Host memory standing in for physical RAM: a FrameAllocator over a fake physical range whose
// "direct map" is a host allocation, and the heap's page source over it.
#pragma once

#include <cstdlib>
#include <memory>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_page_source.h"

namespace mm::test {

class HostArena {
 public:
  static constexpr std::uint64_t kPhysBase = 0x40000000;  // fake, 1 GiB

  explicit HostArena(std::size_t bytes) : bytes_(bytes) {
    memory_ = static_cast<std::uint8_t*>(std::aligned_alloc(0x200000, bytes));
    range_ = MapRange{kPhysBase, bytes, MemoryClass::kUsable};
    map_.ranges = &range_;
    map_.count = 1;
    metadata_ = std::make_unique<std::uint64_t[]>(FrameAllocator::metadata_bytes(map_) / 8);
    if (!frames.init(map_, nullptr, 0, metadata_.get(), 0).ok()) std::abort();
  }
  ~HostArena() { std::free(memory_); }

  std::uintptr_t offset() const { return reinterpret_cast<std::uintptr_t>(memory_) - kPhysBase; }
  bool inside(const void* p) const {
    const auto* b = static_cast<const std::uint8_t*>(p);
    return b >= memory_ && b < memory_ + bytes_;
  }

  FrameAllocator frames;

 private:
  std::size_t bytes_;
  std::uint8_t* memory_;
  MapRange range_;
  NormalizedMap map_;
  std::unique_ptr<std::uint64_t[]> metadata_;
};

}  // namespace mm::test
