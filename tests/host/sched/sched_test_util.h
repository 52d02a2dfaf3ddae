// Helpers shared by the scheduler's host tests: threads set up without a scheduler, parameters
// of a pinned thread, and a recorder for the scheduler's bug hook.
#pragma once

#include <mutex>
#include <vector>

#include "sched/thread.h"
#include "sched/weight.h"

namespace sched::test {

inline void make_thread(Thread& t, std::uint64_t id, int nice = 0,
                        SchedPolicy policy = SchedPolicy::kFair, std::uint8_t rt_priority = 0,
                        std::uint64_t slice_ns = kDefaultSliceNs) {
  t.id = id;
  t.policy = policy;
  t.nice = nice;
  t.rt_priority = rt_priority;
  t.affinity = smp::CpuSet::all(64);
  t.fair = FairEntity{};
  t.fair.weight = weight_of_nice(nice);
  t.fair.slice_ns = slice_ns;
  t.fair.thread = &t;
  t.rt = RtEntity{};
  t.rt.priority = rt_priority;
  t.rt.round_robin = policy == SchedPolicy::kRoundRobin;
  t.rt.thread = &t;
  t.state.store(ThreadState::kRunnable);
}

// Parameters of a thread pinned to `cpu`.
inline ThreadParams pinned_params(const char* name, std::uint32_t cpu,
                                  SchedPolicy policy = SchedPolicy::kFair,
                                  std::uint8_t rt_priority = 0) {
  ThreadParams p;
  p.name = name;
  p.affinity = smp::CpuSet::only(cpu);
  p.policy = policy;
  p.rt_priority = rt_priority;
  return p;
}

class BugRecorder {
 public:
  BugRecorder() { set_bug_handler(&handler, this); }
  ~BugRecorder() { set_bug_handler(nullptr, nullptr); }
  BugRecorder(const BugRecorder&) = delete;
  BugRecorder& operator=(const BugRecorder&) = delete;

  std::vector<BugReport> reports() {
    std::lock_guard<std::mutex> g(mu_);
    return reports_;
  }

 private:
  static void handler(const BugReport& r, void* self) {
    auto* me = static_cast<BugRecorder*>(self);
    std::lock_guard<std::mutex> g(me->mu_);
    me->reports_.push_back(r);
  }
  std::mutex mu_;
  std::vector<BugReport> reports_;
};

}  // namespace sched::test
