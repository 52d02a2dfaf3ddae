#include "kernel/cpus/cpus.h"

#include <atomic>

namespace kcpus {
namespace {

// Written once by the boot CPU before any AP is released (the release store in bringup.cc
// publishes it); read-only afterwards.
arch::CpuLocal* g_boot_only[1] = {nullptr};
arch::CpuLocal** g_locals = g_boot_only;
std::uint32_t g_count = 1;
// Written by the boot CPU again after the release (once every AP has joined or been abandoned),
// while released APs may read it: atomic. Relaxed: it only chooses how an IPI is addressed.
std::atomic<bool> g_all_listed_online{false};

}  // namespace

void set_cpu_table(arch::CpuLocal** locals, std::uint32_t count) {
  g_locals = locals;
  g_count = count;
}

void set_all_listed_cpus_online(bool all) {
  g_all_listed_online.store(all, std::memory_order_relaxed);
}
bool all_listed_cpus_online() { return g_all_listed_online.load(std::memory_order_relaxed); }

arch::CpuLocal* cpu_local(platform::CpuNumber cpu) {
  const std::uint32_t i = platform::to_index(cpu);
  if (i == 0) return &arch::boot_cpu_local();
  return i < g_count ? g_locals[i] : nullptr;
}

bool cpu_online(platform::CpuNumber cpu) {
  const arch::CpuLocal* l = cpu_local(cpu);
  return l != nullptr && arch::read_stage(*l) == arch::CpuStage::kRunning;
}

std::uint32_t online_cpu_count() {
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < g_count; ++i) n += kcpus::cpu_online(platform::CpuNumber{i}) ? 1 : 0;
  return n;
}

}  // namespace kcpus
