#include "smp/locks/lock_class.h"

#include "smp/platform/platform.h"

namespace smp {
namespace {

// Filled once per class and never emptied: readers see a slot only after its publisher stored
// it with release order (see index()).
std::atomic<LockClass*> g_classes[LockClass::kMaxClasses];
std::atomic<std::uint32_t> g_class_count{0};

}  // namespace

std::uint32_t LockClass::index() {
  // Acquire: pairs with the release below, so a CPU that sees the id also sees the table slot.
  std::uint16_t id = id_.load(std::memory_order_acquire);
  if (id != kUnregistered && id <= kMaxClasses) return id - 1u;
  if (id == kTableFull) return kMaxClasses;

  // Claim the class with a sentinel so only one CPU registers it; the others wait below.
  std::uint16_t expected = kUnregistered;
  if (id_.compare_exchange_strong(expected, kRegistering, std::memory_order_acq_rel)) {
    const std::uint32_t slot = g_class_count.fetch_add(1, std::memory_order_relaxed);
    if (slot >= kMaxClasses) {
      g_class_count.store(kMaxClasses, std::memory_order_relaxed);
      id_.store(kTableFull, std::memory_order_release);
      platform::LockViolation v{platform::LockViolationKind::kTableFull};
      v.cpu = platform::to_index(platform::current_cpu());
      v.taken.class_name = name_;
      v.taken.rank = rank_;
      platform::lock_violation(v);
      return kMaxClasses;
    }
    // Release: the slot is filled before the id that points at it becomes visible.
    g_classes[slot].store(this, std::memory_order_release);
    id_.store(static_cast<std::uint16_t>(slot + 1), std::memory_order_release);
    return slot;
  }
  // Another CPU is registering this class: a few stores away from done.
  // Bounded: the registering CPU runs with preemption disabled.
  while ((id = id_.load(std::memory_order_acquire)) == kRegistering) platform::cpu_relax();
  return id == kTableFull ? kMaxClasses : id - 1u;
}

std::uint32_t LockClass::registered_count() {
  const std::uint32_t n = g_class_count.load(std::memory_order_acquire);
  return n < kMaxClasses ? n : kMaxClasses;
}

LockClass* LockClass::registered(std::uint32_t index) {
  // Acquire: pairs with the release store in index(); a slot claimed but not yet filled reads
  // as nullptr and callers skip it.
  return index < kMaxClasses ? g_classes[index].load(std::memory_order_acquire) : nullptr;
}

}  // namespace smp
