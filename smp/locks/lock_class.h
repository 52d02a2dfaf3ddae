// LockClass: what lockdep and lockstat know about a family of locks. Every lock names its class
// in its type (SpinLock<Primitive, Irq, Class>), so all runqueue locks share "runqueue" and its
// rank. Classes are static objects; they register themselves in a fixed table on first use.
//
//   constinit smp::LockClass kRunqueueLock{"runqueue", smp::LockRank{30}};
//
// Ranks: a CPU may take a lock only if its rank is above the rank of every lock of another
// class it holds (docs/locking.md has the table). Two locks of one class need ascending nest
// keys (Guard's NestKey argument), e.g. two runqueues by ascending CPU number.
#pragma once

#include <atomic>
#include <cstdint>

namespace smp {

struct LockRank {
  std::uint32_t value;
};

// Per-class statistics (PLEIADES_LOCKSTAT); times in platform::cycles().
struct LockClassStats {
  std::atomic<std::uint64_t> acquisitions{0};
  std::atomic<std::uint64_t> contended{0};
  std::atomic<std::uint64_t> wait_total{0};
  std::atomic<std::uint64_t> wait_max{0};
  std::atomic<std::uint64_t> hold_total{0};
  std::atomic<std::uint64_t> hold_max{0};
  std::atomic<std::uint64_t> holds{0};  // completed holds (hold_total / holds = mean hold)
};

class LockClass {
 public:
  static constexpr std::uint32_t kMaxClasses = 256;
  static constexpr std::uint16_t kUnregistered = 0;
  static constexpr std::uint16_t kTableFull = 0xFFFF;
  static constexpr std::uint16_t kRegistering = 0xFFFE;

  constexpr LockClass(const char* name, LockRank rank) : name_(name), rank_(rank.value) {}
  LockClass(const LockClass&) = delete;
  LockClass& operator=(const LockClass&) = delete;

  const char* name() const { return name_; }
  std::uint32_t rank() const { return rank_; }

  // Dense index in the class table (0..kMaxClasses-1), registering the class on first call.
  // Returns kMaxClasses when the table is full (reported once; the class is then unchecked).
  std::uint32_t index();

  LockClassStats& stats() { return stats_; }

  // Registered classes, in registration order (for lockstat tables and lockdep reports).
  static std::uint32_t registered_count();
  static LockClass* registered(std::uint32_t index);

 private:
  const char* name_;
  std::uint32_t rank_;
  // 0 = unregistered, kTableFull = could not register, else table index + 1.
  std::atomic<std::uint16_t> id_{kUnregistered};
  LockClassStats stats_;
};

}  // namespace smp
