// In-kernel test of NUMA placement (kernel/mm/numa_placement.h) on a machine with an SRAT of
// two or more nodes (the boot case acpi-numa): each CPU gets frames of its own node, checked
// against the firmware's table itself, and the per-node counters move.
#include <atomic>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/run_on_cpu.h"
#include "kernel/firmware/acpi_report.h"
#include "kernel/ktest/ktest.h"
#include "kernel/mm/mm.h"
#include "kernel/threads/kernel_scheduler.h"

namespace {

constexpr std::uint64_t kCallTimeoutNs = 2'000'000'000;  // a cross-CPU call under TCG
constexpr std::uint32_t kFrames = 40;  // more than one cache batch (CpuFrameCache::kBatch)
constexpr std::uint64_t kRunPages = 4;

// What one CPU did; static (run_on_cpu's argument must outlive a call that timed out).
struct NodeProbe {
  std::uint32_t expected_domain;   // the SRAT's domain of this CPU's APIC ID
  std::atomic<std::uint32_t> on_node{0};   // frames whose address the SRAT puts in that domain
  std::atomic<std::uint32_t> allocated{0};
  std::atomic<bool> run_on_node{false};
  std::atomic<bool> freed{true};
};

void probe_this_cpu(void* p) {
  auto* probe = static_cast<NodeProbe*>(p);
  const acpi::Numa& numa = kfirmware::machine_tables().numa;
  std::uint64_t frames[kFrames];
  std::uint32_t got = 0, on_node = 0;
  for (auto& frame : frames) {
    auto f = mm::alloc_frames(1);
    if (!f) break;
    frame = f.value();
    ++got;
    if (numa.node_of_address(frame) == probe->expected_domain) ++on_node;
  }
  auto run = mm::alloc_frames(kRunPages);
  const bool run_ok = run && numa.node_of_address(run.value()) == probe->expected_domain &&
                      numa.node_of_address(run.value() + (kRunPages - 1) * boot::kPageSize) ==
                          probe->expected_domain;
  bool freed = !run || mm::free_frames(run.value(), kRunPages).ok();
  for (std::uint32_t i = 0; i < got; ++i) freed = mm::free_frames(frames[i], 1).ok() && freed;
  probe->allocated.store(got, std::memory_order_relaxed);
  probe->on_node.store(on_node, std::memory_order_relaxed);
  probe->run_on_node.store(run_ok, std::memory_order_relaxed);
  probe->freed.store(freed, std::memory_order_release);
}

}  // namespace

KTEST(mm_numa_frames_come_from_the_cpus_node) {
  const kfirmware::MachineTables& tables = kfirmware::machine_tables();
  if (!tables.numa_ok || mm::node_count() < 2) KSKIP("one NUMA node (no SRAT with two)");
  static NodeProbe probes[2];
  std::uint32_t tested_nodes[2] = {~0u, ~0u};
  // The first CPU of each of nodes 0 and 1 (the dense numbers; node N is the SRAT's Nth domain).
  for (std::uint32_t i = 0; i < kthreads::online_cpu_count(); ++i) {
    const platform::CpuNumber cpu{kthreads::nth_online_cpu(i)};
    const std::uint32_t node = mm::cpu_node(cpu);
    if (node < 2 && tested_nodes[node] == ~0u) tested_nodes[node] = platform::to_index(cpu);
  }
  for (std::uint32_t node = 0; node < 2; ++node) {
    if (tested_nodes[node] == ~0u) KSKIP("a node without an online CPU");
    const platform::CpuNumber cpu{tested_nodes[node]};
    NodeProbe& probe = probes[node];
    probe.expected_domain = tables.numa.node_of(kcpus::cpu_local(cpu)->apic_id);
    KCHECK_EQ(probe.expected_domain, tables.numa.nodes[node]);
    const mm::NodeFrameStats before = mm::node_stats(node);
    KCHECK(kcpus::run_on_cpu(cpu, &probe_this_cpu, &probe, kCallTimeoutNs));
    KCHECK(probe.freed.load(std::memory_order_acquire));
    KCHECK_EQ(probe.allocated.load(std::memory_order_relaxed), kFrames);
    KCHECK_EQ(probe.on_node.load(std::memory_order_relaxed), kFrames);
    KCHECK(probe.run_on_node.load(std::memory_order_relaxed));
    // Counters only grow (other CPUs allocate meanwhile): ours are in the growth.
    const mm::NodeFrameStats after = mm::node_stats(node);
    KCHECK(after.numa_hit >= before.numa_hit + kFrames + kRunPages);
    KCHECK(after.local_node >= before.local_node + kFrames + kRunPages);
    KCHECK(after.total_bytes > 0 && after.free_bytes <= after.total_bytes);
    klog::info("mm: numa: cpu {} (node {}): {} of {} frames and a {}-page run from node {}",
               tested_nodes[node], node, probe.on_node.load(std::memory_order_relaxed), kFrames,
               kRunPages, node);
  }
}

// What each AP uses all the time lives on its own node: its per-CPU block and its kernel and IST
// stacks (allocated by the boot CPU before the AP starts, kcpus::start_secondary_cpus), checked
// against the firmware's table for every online AP.
KTEST(mm_numa_cpu_blocks_and_stacks_on_their_node) {
  const kfirmware::MachineTables& tables = kfirmware::machine_tables();
  if (!tables.numa_ok || mm::node_count() < 2) KSKIP("one NUMA node (no SRAT with two)");
  const acpi::Numa& numa = tables.numa;
  std::uint32_t checked = 0, off_node_cpu = 0;
  for (std::uint32_t i = 0; i < kthreads::online_cpu_count(); ++i) {
    const platform::CpuNumber cpu{kthreads::nth_online_cpu(i)};
    if (platform::to_index(cpu) == 0) continue;  // the boot CPU's block is in the kernel image
    const arch::CpuLocal* local = kcpus::cpu_local(cpu);
    KCHECK(local != nullptr);
    const std::uint32_t domain = numa.node_of(local->apic_id);
    if (domain != numa.nodes[mm::cpu_node(cpu)]) ++off_node_cpu;  // an APIC ID the SRAT lacks
    KCHECK_EQ(numa.node_of_address(mm::direct_map_to_phys(local)), domain);
    const auto stack = mm::kernel_translate(local->kernel_stack_top - 1);
    KCHECK(stack.ok());
    KCHECK_EQ(numa.node_of_address(stack.value().phys), domain);
    for (const std::uint64_t top : local->ist_tops) {
      const auto ist = mm::kernel_translate(top - 1);
      KCHECK(ist.ok());
      KCHECK_EQ(numa.node_of_address(ist.value().phys), domain);
    }
    ++checked;
  }
  KCHECK_EQ(off_node_cpu, 0u);
  if (checked == 0) KSKIP("no AP online");
  klog::info("mm: numa: {} APs' per-CPU blocks and stacks on their own node", checked);
}
