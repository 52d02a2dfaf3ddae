#include "kernel/cpus/guarded_stack.h"

#include <atomic>

#include "kernel/mm/mm.h"

namespace kcpus {
namespace {

constexpr std::uint64_t kPage = boot::kPageSize;

// Bump allocation of virtual space: stacks are never freed yet (CPUs do not go offline). An
// atomic add keeps two allocating CPUs apart without a lock.
std::atomic<std::uint64_t> g_next{kStackRegionBase};

}  // namespace

klib::Result<GuardedStack, const char*> allocate_guarded_stack(std::uint64_t bytes,
                                                               std::uint32_t node) {
  const std::uint64_t pages = (bytes + kPage - 1) / kPage;
  if (pages == 0) return klib::make_error("empty stack");
  const std::uint64_t span = (pages + 1) * kPage;  // the guard page, then the stack
  const std::uint64_t virt = g_next.fetch_add(span, std::memory_order_relaxed);
  if (virt + span > kStackRegionBase + kStackRegionSize || virt + span < virt) {
    return klib::make_error("kernel stack region exhausted");
  }
  // Zeroed: a fresh stack shows no stale data in a backtrace or dump.
  auto frames = node == kCallersNode ? mm::alloc_cleared_frames(pages)
                                     : mm::alloc_cleared_frames_on_node(pages, node);
  if (!frames) return klib::make_error("out of frames for a kernel stack");
  const std::uint64_t phys = frames.value();
  auto mapped = mm::kernel_map(virt + kPage, phys, pages * kPage, paging::kKernelData);
  if (!mapped) {
    (void)mm::free_frames(phys, pages);  // they were ours a moment ago: cannot fail usefully
    return klib::make_error("mapping a kernel stack failed");
  }
  // The guard page at `virt` is simply never mapped: nothing else is allocated there.
  return GuardedStack{virt, virt + kPage, virt + kPage + pages * kPage};
}

}  // namespace kcpus
