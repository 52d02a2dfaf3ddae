#include "kernel/mm/numa_placement.h"

#include <new>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/cpus.h"
#include "kernel/mm/mm.h"

namespace mm {
namespace {

// Set once by place_frames_by_numa on the boot CPU before the other CPUs start (their start
// orders it before their first read); null without a layout the allocator took.
const acpi::Numa* g_numa = nullptr;
constexpr std::uint64_t kMiB = 1024 * 1024;

// The dense number of domain `domain`: its index in numa.nodes (kNoNode if absent).
std::uint32_t dense_node(const acpi::Numa& numa, std::uint32_t domain) {
  for (std::uint32_t i = 0; i < numa.nodes.size; ++i) {
    if (numa.nodes[i] == domain) return i;
  }
  return acpi::kNoNode;
}

}  // namespace

std::uint32_t cpu_node(klib::CpuNumber cpu) {
  const arch::CpuLocal* local = kcpus::cpu_local(cpu);
  return local == nullptr ? 0 : apic_node(local->apic_id);
}

std::uint32_t apic_node(klib::ApicId apic_id) {
  const acpi::Numa* numa = g_numa;
  if (numa == nullptr) return 0;
  const std::uint32_t node = dense_node(*numa, numa->node_of(apic_id));
  return node == acpi::kNoNode ? 0 : node;
}

void place_frames_by_numa(FrameAllocator& frames, const acpi::Numa& numa) {
  const std::uint32_t nodes = numa.nodes.size;
  if (nodes <= 1) return;  // one node: the allocator's default
  if (nodes > FrameAllocator::kMaxNodes) {
    return klog::warn("mm: {} NUMA nodes, more than {}: frames are placed as on one node", nodes,
                      FrameAllocator::kMaxNodes);
  }
  auto* spans = new (std::nothrow) NodeSpan[numa.ranges.size + 1];
  auto* fallback = new (std::nothrow) std::uint8_t[std::size_t{nodes} * nodes];
  auto* order = new (std::nothrow) std::uint32_t[nodes];
  const auto release = [&] {
    delete[] spans;
    delete[] fallback;
    delete[] order;
  };
  if (spans == nullptr || fallback == nullptr || order == nullptr) {
    release();
    return klog::warn("mm: no memory for the NUMA layout: frames are placed as on one node");
  }
  for (std::uint32_t i = 0; i < numa.ranges.size; ++i) {
    // build_numa only keeps ranges of listed domains, so dense_node finds each.
    spans[i] = NodeSpan{numa.ranges[i].base, numa.ranges[i].end,
                        dense_node(numa, numa.ranges[i].node)};
  }
  for (std::uint32_t n = 0; n < nodes; ++n) {
    const std::uint32_t written = numa.nearest_first(numa.nodes[n], order, nodes);
    for (std::uint32_t k = 0; k < nodes; ++k) {
      // nearest_first lists every node; a short row is caught by set_nodes' check.
      fallback[std::size_t{n} * nodes + k] =
          static_cast<std::uint8_t>(k < written ? dense_node(numa, order[k]) : 0);
    }
  }
  const NodeLayout layout{spans, numa.ranges.size, nodes, fallback};
  const std::uint64_t bytes = frames.node_metadata_bytes(layout);
  auto placed = [&]() -> klib::Result<void, FrameError> {
    if (bytes == 0) return frames.set_nodes(layout, nullptr);  // says what is wrong
    const std::uint64_t pages = bytes / FrameAllocator::kFrameSize;
    const std::uint64_t phys = TRY(frames.alloc_contiguous(pages, 0));
    auto done = frames.set_nodes(layout, phys_to_virt(phys));
    if (!done) (void)frames.free_contiguous(phys, pages);
    return done;
  }();
  release();
  if (!placed) {
    return klog::warn("mm: NUMA layout not used ({}): frames are placed as on one node",
                      describe(placed.error()));
  }
  g_numa = &numa;
  for (std::uint32_t n = 0; n < nodes; ++n) {
    const NodeFrameStats s = frames.node_stats(n);
    klog::info("mm: node {}: {} MiB, {} MiB free", n, s.total_bytes / kMiB, s.free_bytes / kMiB);
  }
}

}  // namespace mm
