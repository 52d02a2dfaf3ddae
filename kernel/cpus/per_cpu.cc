#include "kernel/cpus/per_cpu.h"

namespace kcpus {
namespace {

// Registered variables: a list built by constructors (global constructors run on the boot CPU
// before anything else, so no lock), walked once by allocate().
PerCpuRegistry* g_head = nullptr;
std::uint32_t g_capacity = 1;

}  // namespace

PerCpuRegistry::PerCpuRegistry() : next_(g_head) { g_head = this; }

bool PerCpuRegistry::allocate(std::uint32_t count) {
  bool ok = true;
  for (PerCpuRegistry* r = g_head; r != nullptr; r = r->next_) ok = r->allocate_others(count) && ok;
  if (ok && count > g_capacity) g_capacity = count;
  return ok;
}

std::uint32_t PerCpuRegistry::capacity() { return g_capacity; }

void PerCpuRegistry::misuse() { __builtin_trap(); }

}  // namespace kcpus
