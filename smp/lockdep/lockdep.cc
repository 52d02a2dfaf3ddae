#include "smp/lockdep/lockdep.h"

#include <atomic>

#include "smp/irq_guard.h"
#include "smp/locks/cpu_lock_state.h"

namespace smp::lockdep {
namespace {

constexpr std::uint32_t kClasses = LockClass::kMaxClasses;
constexpr std::uint32_t kWords = kClasses / 64;

// g_edges[from] has bit `to` set once a CPU took a `to` lock while holding a `from` lock.
// Bits are only ever set. Sequentially consistent set and reads: two CPUs that add A->B and
// B->A at the same moment each set their bit before searching, so at least one of them sees
// the other's bit and reports the cycle (a store-load pattern release/acquire does not order).
std::atomic<std::uint64_t> g_edges[kClasses][kWords];

// Where each edge was first seen, for reports. Filled once, published by `valid`.
struct EdgeRecord {
  std::atomic<bool> valid{false};
  std::uint16_t from = 0;
  std::uint16_t to = 0;
  platform::LockRef from_ref;
  platform::LockRef to_ref;
};
constexpr std::uint32_t kMaxEdgeRecords = 1024;
EdgeRecord g_records[kMaxEdgeRecords];
std::atomic<std::uint32_t> g_record_count{0};
std::atomic<bool> g_records_full_reported{false};

platform::LockRef ref_of(const HeldLock& h) {
  return platform::LockRef{h.cls->name(), h.cls->rank(), h.nest_key, h.lock, h.site};
}
platform::LockRef ref_of(const Acquisition& a) {
  return platform::LockRef{a.cls->name(), a.cls->rank(), a.nest_key, a.lock, a.site};
}

void report(CpuLockState& state, platform::LockViolation& v) {
  v.cpu = platform::to_index(platform::current_cpu());
  // A handler that returns (host tests) may take locks itself: do not check those.
  state.in_lockdep = true;
  platform::lock_violation(v);
  state.in_lockdep = false;
}

bool edge_set(std::uint32_t from, std::uint32_t to) {
  return (g_edges[from][to / 64].load(std::memory_order_seq_cst) >> (to % 64)) & 1;
}

// Breadth-first search from `start` for `goal`. Returns the first hop out of `start` on a
// path to `goal`, or kClasses if there is none. Fixed-size state on the stack (~1 KiB).
std::uint32_t first_hop_on_path(std::uint32_t start, std::uint32_t goal) {
  std::uint64_t visited[kWords] = {};
  std::uint16_t queue[kClasses];
  std::uint16_t first_hop[kClasses];
  std::uint32_t head = 0, tail = 0;
  queue[tail++] = static_cast<std::uint16_t>(start);
  visited[start / 64] |= 1ull << (start % 64);
  while (head < tail) {
    const std::uint32_t node = queue[head++];
    for (std::uint32_t w = 0; w < kWords; ++w) {
      std::uint64_t bits = g_edges[node][w].load(std::memory_order_seq_cst) & ~visited[w];
      while (bits != 0) {
        const std::uint32_t next = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
        bits &= bits - 1;
        const std::uint16_t hop =
            node == start ? static_cast<std::uint16_t>(next) : first_hop[node];
        if (next == goal) return hop;
        visited[w] |= 1ull << (next % 64);
        first_hop[next] = hop;
        queue[tail++] = static_cast<std::uint16_t>(next);  // each class enters at most once
      }
    }
  }
  return kClasses;
}

const EdgeRecord* find_record(std::uint32_t from, std::uint32_t to) {
  const std::uint32_t n = g_record_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n && i < kMaxEdgeRecords; ++i) {
    // Acquire: pairs with the release in add_record(); the fields are complete once valid.
    if (g_records[i].valid.load(std::memory_order_acquire) && g_records[i].from == from &&
        g_records[i].to == to) {
      return &g_records[i];
    }
  }
  return nullptr;
}

void add_record(CpuLockState& state, std::uint32_t from, std::uint32_t to, const HeldLock& h,
                const Acquisition& a) {
  const std::uint32_t slot = g_record_count.fetch_add(1, std::memory_order_acq_rel);
  if (slot >= kMaxEdgeRecords) {
    g_record_count.store(kMaxEdgeRecords, std::memory_order_relaxed);
    if (!g_records_full_reported.exchange(true, std::memory_order_relaxed)) {
      platform::LockViolation v{platform::LockViolationKind::kTableFull};
      v.held = ref_of(h);
      v.taken = ref_of(a);
      report(state, v);
    }
    return;
  }
  EdgeRecord& r = g_records[slot];
  r.from = static_cast<std::uint16_t>(from);
  r.to = static_cast<std::uint16_t>(to);
  r.from_ref = ref_of(h);
  r.to_ref = ref_of(a);
  // Release: readers that see valid see the fields above.
  r.valid.store(true, std::memory_order_release);
}

// Records held -> taken; reports if the new edge closes a cycle. Returns true if it reported.
bool check_edge(CpuLockState& state, const HeldLock& h, const Acquisition& a,
                std::uint32_t from, std::uint32_t to) {
  const std::uint64_t bit = 1ull << (to % 64);
  if (g_edges[from][to / 64].fetch_or(bit, std::memory_order_seq_cst) & bit) return false;
  add_record(state, from, to, h, a);
  const std::uint32_t hop = first_hop_on_path(to, from);
  if (hop == kClasses) return false;
  platform::LockViolation v{platform::LockViolationKind::kCycle};
  v.held = ref_of(h);
  v.taken = ref_of(a);
  if (const EdgeRecord* prior = find_record(to, hop)) {
    v.prior_from = prior->from_ref;
    v.prior_to = prior->to_ref;
  }
  report(state, v);
  return true;
}

}  // namespace

void on_acquire(const Acquisition& a) {
  // Interrupts off while this CPU's held-lock stack changes: a lock taken with interrupts on
  // (a NoIrqSave spinlock, a mutex) is recorded in process context, and an interrupt handler
  // that takes and drops its own locks between the slot write and the count update left its
  // entry in the process's slot (seen: the syscall fuzzer at -smp 4, a tick's sched-timer entry
  // still "held" at the next tick: a same-class nesting panic).
  const smp::IrqGuard irq_off;
  CpuLockState& state = platform::cpu_lock_state();
  if (state.in_lockdep) return;
  const bool irq = platform::in_interrupt();
  if (!a.irq_safe && irq) {
    platform::LockViolation v{platform::LockViolationKind::kIrqUnsafe};
    v.taken = ref_of(a);
    report(state, v);
  }

  const std::uint32_t to = a.cls->index();
  if (!a.trylock && to < kClasses) {
    // Newest first, so the report names the closest offending lock; one report per
    // acquisition is enough to find the bug.
    for (std::uint32_t i = state.held_count; i-- > 0;) {
      const HeldLock& h = state.held[i];
      if (h.in_interrupt != irq) continue;  // the interrupted code's locks are not nested
      if (h.cls == a.cls) {
        if (a.nest_key > h.nest_key) continue;
        platform::LockViolation v{platform::LockViolationKind::kSameClassOrder};
        v.held = ref_of(h);
        v.taken = ref_of(a);
        report(state, v);
        break;
      }
      if (h.cls->rank() != 0 && a.cls->rank() != 0 && h.cls->rank() >= a.cls->rank()) {
        platform::LockViolation v{platform::LockViolationKind::kRankOrder};
        v.held = ref_of(h);
        v.taken = ref_of(a);
        report(state, v);
        break;
      }
      const std::uint32_t from = h.cls->index();
      if (from < kClasses && check_edge(state, h, a, from, to)) break;
    }
  }

  if (state.held_count < CpuLockState::kMaxHeld) {
    state.held[state.held_count++] = HeldLock{a.cls, a.lock, a.site, a.nest_key, irq};
  } else {
    ++state.held_overflow;
    platform::LockViolation v{platform::LockViolationKind::kHeldOverflow};
    v.taken = ref_of(a);
    report(state, v);
  }
}

void on_release(LockClass* cls, const void* lock, platform::LockSite site) {
  const smp::IrqGuard irq_off;  // as in on_acquire
  CpuLockState& state = platform::cpu_lock_state();
  for (std::uint32_t i = state.held_count; i-- > 0;) {
    if (state.held[i].lock != lock) continue;
    for (std::uint32_t j = i; j + 1 < state.held_count; ++j) state.held[j] = state.held[j + 1];
    --state.held_count;
    return;
  }
  if (state.held_overflow > 0) {
    --state.held_overflow;  // most likely one of the locks the stack had no room for
    return;
  }
  if (state.in_lockdep) return;  // taken by a report handler, never pushed
  platform::LockViolation v{platform::LockViolationKind::kNotHeld};
  v.taken = platform::LockRef{cls->name(), cls->rank(), 0, lock, site};
  report(state, v);
}

std::uint32_t held_count() { return platform::cpu_lock_state().held_count; }

bool holds(const void* lock) {
  const CpuLockState& state = platform::cpu_lock_state();
  for (std::uint32_t i = 0; i < state.held_count; ++i) {
    if (state.held[i].lock == lock) return true;
  }
  return false;
}

bool has_edge(LockClass& from, LockClass& to) {
  const std::uint32_t f = from.index(), t = to.index();
  return f < kClasses && t < kClasses && edge_set(f, t);
}

}  // namespace smp::lockdep
