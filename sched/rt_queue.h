// The real-time class: 100 priorities (0 lowest .. 99 highest, the POSIX SCHED_FIFO/SCHED_RR
// range 1..99 plus 0), one FIFO list per priority and a 128-bit bitmap of non-empty lists, so
// enqueue, dequeue and pick are O(1): the highest set bit names the list to take the head of.
// Every RT thread runs before any fair thread (sched/run_queue.h). Not thread-safe: the owning
// runqueue's lock protects it. The running RT thread is not queued, as for the fair class.
#pragma once

#include <cstdint>
#include <type_traits>

namespace sched {

struct Thread;

inline constexpr std::uint32_t kRtPriorities = 100;
inline constexpr std::uint64_t kRoundRobinSliceNs = 10'000'000;  // SCHED_RR quantum

struct RtLink {
  RtLink* next = nullptr;
  RtLink* prev = nullptr;
};

struct RtEntity {
  RtLink link;  // first: a link is converted back to its entity by address
  std::uint8_t priority = 0;
  bool queued = false;
  bool round_robin = false;
  std::uint64_t slice_left_ns = kRoundRobinSliceNs;  // SCHED_RR only
  Thread* thread = nullptr;

  static RtEntity& of(RtLink& l) { return *reinterpret_cast<RtEntity*>(&l); }
};
static_assert(std::is_standard_layout_v<RtEntity>, "link-to-entity cast needs standard layout");

class RtQueue {
 public:
  RtQueue();
  RtQueue(const RtQueue&) = delete;
  RtQueue& operator=(const RtQueue&) = delete;

  // Appends `e` to the list of its priority (`at_head`: in front, for a preempted FIFO thread,
  // which keeps its place as POSIX requires). Priorities above 99 are clamped.
  void enqueue(RtEntity& e, bool at_head = false);
  void dequeue(RtEntity& e);
  // Head of the highest non-empty priority, or null.
  RtEntity* pick() const;
  // Highest queued priority, or -1 when empty.
  int highest_priority() const;
  // The entity after `e` in pick order (same priority first, then lower ones), or null: for
  // the balancer's scan of migratable threads.
  RtEntity* next_in_order(const RtEntity* e) const;

  std::uint32_t count() const { return count_; }

 private:
  static constexpr std::uint32_t kWords = 2;
  int highest_below(int priority) const;  // highest non-empty priority < priority, or -1

  RtLink heads_[kRtPriorities];  // circular lists with sentinel heads
  std::uint64_t bitmap_[kWords] = {};
  std::uint32_t count_ = 0;
};

}  // namespace sched
