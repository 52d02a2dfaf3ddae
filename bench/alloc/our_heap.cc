// Ours: the kernel heap (mm::Heap, kernel_mm's host flavour) on the kernel's own page path, a
// FrameAllocator handing out frames of a host arena through FramePageSource, as the kernel's
// heap sits on the frame allocator through its direct map. Only public APIs are used, so the
// benchmark measures whatever heap and frame allocator kernel_mm holds.
#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "bench/alloc/allocator.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_page_source.h"
#include "kernel/mm/heap.h"

namespace allocbench {
namespace {

// Large enough for every scenario's live set several times over (the larson set is about
// 4 MiB); mapped without reserve, so only pages the heap touches cost host memory.
constexpr std::size_t kArenaBytes = std::size_t{1} << 30;
// Fake physical base: any page-aligned address works; 4 GiB keeps it clear of address 0.
constexpr std::uint64_t kPhysBase = std::uint64_t{1} << 32;

std::atomic<std::uint64_t> g_faults{0};

void count_fault(mm::HeapFault fault, const void* p) {
  // A fault means a benchmark freed something wrongly: say so at once, the run's numbers
  // would be meaningless.
  std::fprintf(stderr, "alloc_bench: heap fault %s at %p\n", mm::describe(fault), p);
  g_faults.fetch_add(1, std::memory_order_relaxed);
}

class OurHeap final : public Allocator {
 public:
  OurHeap() {
    void* m = mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
      std::perror("alloc_bench: mmap of the heap arena");
      std::abort();
    }
    memory_ = static_cast<std::uint8_t*>(m);
    range_ = mm::MapRange{kPhysBase, kArenaBytes, mm::MemoryClass::kUsable};
    map_.ranges = &range_;
    map_.count = 1;
    metadata_ = std::make_unique<std::uint64_t[]>(mm::FrameAllocator::metadata_bytes(map_) / 8);
    if (!frames_.init(map_, nullptr, 0, metadata_.get(), 0).ok()) {
      std::fprintf(stderr, "alloc_bench: frame allocator init over the arena failed\n");
      std::abort();
    }
    source_ = std::make_unique<mm::FramePageSource>(
        frames_, reinterpret_cast<std::uintptr_t>(memory_) - kPhysBase);
    heap_ = std::make_unique<mm::Heap>(*source_, count_fault);
  }
  ~OurHeap() override {
    heap_.reset();
    munmap(memory_, kArenaBytes);
  }

  const char* name() const override { return "ours:heap"; }
  void* allocate(std::size_t size) override { return heap_->allocate(size); }
  void release(void* p) override { heap_->free(p); }

  // Every frame the heap took from the frame allocator: slabs, large blocks, the large-block
  // table and any per-CPU cache memory, i.e. what the kernel would be short of.
  std::uint64_t held_bytes() override {
    const mm::FrameStats s = frames_.stats();
    return s.usable_bytes - s.free_bytes;
  }
  const char* held_what() const override {
    return "frames taken from the frame allocator (FrameAllocator::stats: usable - free)";
  }

  // Hands the host pages behind every free frame back to the host (MADV_DONTNEED), so that the
  // resident-set figure of a footprint child counts only frames the heap holds, as it does for
  // the peers, which unmap what they free.
  void trim() override {
    constexpr std::uint64_t kFrame = mm::FrameAllocator::kFrameSize;
    std::uint64_t run = 0;  // free frames ending just before `frame`
    for (std::uint64_t frame = 0; frame <= kArenaBytes / kFrame; ++frame) {
      if (frame < kArenaBytes / kFrame && frames_.is_free(kPhysBase + frame * kFrame)) {
        ++run;
        continue;
      }
      if (run != 0) madvise(memory_ + (frame - run) * kFrame, run * kFrame, MADV_DONTNEED);
      run = 0;
    }
  }

  std::string check_owner(void* p, std::size_t size) override {
    const auto* b = static_cast<const std::uint8_t*>(p);
    if (b < memory_ || b >= memory_ + kArenaBytes) return "pointer outside the heap's arena";
    if (heap_->usable_size(p) < size) return "Heap::usable_size below the requested size";
    if (g_faults.load() != 0) return "the heap reported faults";
    return "";
  }

 private:
  std::uint8_t* memory_ = nullptr;
  mm::MapRange range_{};
  mm::NormalizedMap map_{};
  std::unique_ptr<std::uint64_t[]> metadata_;
  mm::FrameAllocator frames_;
  std::unique_ptr<mm::FramePageSource> source_;
  std::unique_ptr<mm::Heap> heap_;
};

}  // namespace

std::unique_ptr<Allocator> make_our_heap() { return std::make_unique<OurHeap>(); }

std::uint64_t our_heap_faults() { return g_faults.load(std::memory_order_relaxed); }

}  // namespace allocbench
