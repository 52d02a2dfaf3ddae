// Placement and balancing: the pure policy functions, then the scheduler carrying them out on
// runqueues (no CPU running), checking that affinity always holds.
#include "sched/placement.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "sched/scheduler.h"
#include "sched_test_util.h"
#include "smp/platform/host/platform_host.h"
#include "tests/host/ids_print.h"

namespace {

using platform::CpuNumber;
using sched::CpuLoad;
using sched::kNoCpu;

struct Loads {
  std::vector<CpuLoad> v;
  std::uint32_t size() const { return static_cast<std::uint32_t>(v.size()); }
  CpuLoad operator[](std::uint32_t i) const { return v[i]; }
};

smp::CpuSet set_of(std::initializer_list<std::uint32_t> cpus) {
  smp::CpuSet s;
  for (auto c : cpus) s.add(platform::CpuNumber{c});
  return s;
}

TEST(Placement, WakeGoesBackToPreviousCpuUnlessOverloaded) {
  Loads l{{{1, 1024}, {1, 1024}, {2, 2048}, {1, 1024}}};
  smp::CpuSet all = smp::CpuSet::all(4);
  // 2 vs min 1: not overloaded
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{2}, all, l), CpuNumber{2});
  l.v[2].nr_running = 3;
  // 3 > 1 + 1: least loaded, lowest
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{2}, all, l), CpuNumber{0});
  l.v[2].nr_running = 1;
  l.v[3].nr_running = 0;
  // busy while an allowed CPU idles
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{2}, all, l), CpuNumber{3});
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{3}, all, l), CpuNumber{3});  // prev idle: stay
  // Not allowed on prev: least loaded allowed CPU.
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{3}, set_of({0, 1}), l), CpuNumber{0});
  EXPECT_EQ(sched::select_wake_cpu(CpuNumber{0}, smp::CpuSet{}, l), kNoCpu);
}

TEST(Placement, TiesPreferThePreviousCpu) {
  Loads l{{{1, 1024}, {1, 1024}, {1, 1024}}};
  EXPECT_EQ(sched::least_loaded_cpu(smp::CpuSet::all(3), l, CpuNumber{2}), CpuNumber{2});
  EXPECT_EQ(sched::least_loaded_cpu(smp::CpuSet::all(3), l), CpuNumber{0});
}

TEST(Placement, RandomLoadsNeverLeaveTheAffinityMask) {
  std::mt19937 rng(7);
  for (int round = 0; round < 5000; ++round) {
    std::uint32_t n = 1 + rng() % 16;
    Loads l;
    for (std::uint32_t c = 0; c < n; ++c) l.v.push_back({static_cast<std::uint32_t>(rng() % 5), (rng() % 5) * 1024ull});
    smp::CpuSet allowed;
    for (std::uint32_t c = 0; c < n; ++c) {
      if (rng() % 3 == 0) allowed.add(platform::CpuNumber{c});
    }
    const CpuNumber prev{static_cast<std::uint32_t>(rng() % n)};
    const CpuNumber wake = sched::select_wake_cpu(prev, allowed, l);
    const CpuNumber start = sched::select_start_cpu(allowed, l);
    if (allowed.empty()) {
      EXPECT_EQ(wake, kNoCpu);
      EXPECT_EQ(start, kNoCpu);
      continue;
    }
    EXPECT_TRUE(allowed.contains(wake));
    EXPECT_TRUE(allowed.contains(start));
    // The start CPU is a least loaded allowed one.
    for (std::uint32_t c = allowed.next(0); c < n; c = allowed.next(c + 1)) {
      EXPECT_FALSE(sched::detail::lighter(l.v[c], l.v[platform::to_index(start)]));
    }
  }
}

TEST(Placement, StealSourceAndBalancePlan) {
  Loads l{{{0, 0}, {1, 1024}, {5, 5120}, {3, 3072}}};
  EXPECT_EQ(sched::select_steal_source(CpuNumber{0}, l), CpuNumber{2});
  EXPECT_EQ(sched::select_steal_source(CpuNumber{2}, l), CpuNumber{3});
  Loads quiet{{{0, 0}, {1, 1024}}};
  EXPECT_EQ(sched::select_steal_source(CpuNumber{0}, quiet), kNoCpu);  // nobody waits

  auto plan = sched::plan_balance(CpuNumber{0}, l);
  EXPECT_EQ(plan.source, CpuNumber{2});
  EXPECT_EQ(plan.count, 2u);  // (5 - 0) / 2
  EXPECT_EQ(sched::plan_balance(CpuNumber{3}, l).count, 1u);  // 5 vs 3: one moves, 4 and 4
  EXPECT_EQ(sched::plan_balance(CpuNumber{3}, l).source, CpuNumber{2});
  Loads close{{{4, 4096}, {5, 5120}}};
  // 5 < 4 + 2: moving one would flip it
  EXPECT_EQ(sched::plan_balance(CpuNumber{0}, close).count, 0u);
  EXPECT_EQ(sched::plan_balance(CpuNumber{2}, l).count, 0u);  // the busiest pulls from nobody
}

// ---- The scheduler carrying out placement, steal and balance on idle runqueues ------------

class PlacementOnRunqueues : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kCpus = 4;
  void SetUp() override {
    platform::host::set_cpu_count(kCpus);
    for (std::uint32_t c = 0; c < kCpus; ++c) {
      platform::host::bind_cpu(platform::CpuNumber{c});
      sched_.init_cpu(idle_[c]);
    }
    platform::host::bind_cpu(platform::CpuNumber{0});
  }
  void TearDown() override { platform::host::bind_cpu(platform::CpuNumber{0}); }

  sched::Thread& add(smp::CpuSet affinity) {
    sched::Thread& t = threads_.emplace_back();
    stacks_.emplace_back(4096);
    sched::ThreadParams p;
    p.affinity = affinity;
    sched_.init_thread(t, threads_.size(), p, stacks_.back().data(), stacks_.back().size(),
                       [](void*) {}, nullptr);
    return t;
  }
  void expect_affinity_held() {
    for (auto& t : threads_) {
      EXPECT_TRUE(t.affinity.contains(t.cpu.load()))
          << "thread " << t.id << " on cpu " << platform::to_index(t.cpu.load());
      EXPECT_TRUE(t.on_rq.load());
    }
    std::uint32_t queued = 0;
    for (std::uint32_t c = 0; c < kCpus; ++c) {
      smp::Guard g{rq_[c].lock};
      queued += rq_[c].nr_queued();
    }
    EXPECT_EQ(queued, threads_.size());
  }

  sched::test::BugRecorder bugs_;
  sched::RunQueue rq_[kCpus];
  sched::Thread idle_[kCpus];
  sched::Scheduler sched_{rq_, kCpus, sched::SchedulerHooks{}};
  std::deque<sched::Thread> threads_;
  std::deque<std::vector<std::byte>> stacks_;
};

TEST_F(PlacementOnRunqueues, StealAndBalanceSpreadLoadButRespectAffinity) {
  // 6 threads pinned to CPU 0, 4 allowed on {0, 1}, 6 free; all start on CPU 0 (a test
  // shortcut: pinned while starting, then widened while nothing runs).
  std::vector<smp::CpuSet> final_affinity;
  for (int i = 0; i < 6; ++i) final_affinity.push_back(set_of({0}));
  for (int i = 0; i < 4; ++i) final_affinity.push_back(set_of({0, 1}));
  for (int i = 0; i < 6; ++i) final_affinity.push_back(smp::CpuSet::all(kCpus));
  for (std::size_t i = 0; i < final_affinity.size(); ++i) sched_.start(add(set_of({0})));
  for (std::size_t i = 0; i < threads_.size(); ++i) threads_[i].affinity = final_affinity[i];
  EXPECT_EQ(rq_[0].published_load().nr_running, 16u);

  // Idle CPUs steal, then every CPU balances, many times; pinned threads must stay.
  for (int round = 0; round < 20; ++round) {
    for (std::uint32_t c = 1; c < kCpus; ++c) {
      platform::host::bind_cpu(platform::CpuNumber{c});
      if (rq_[c].published_load().nr_running == 0) {
        EXPECT_TRUE(sched_.steal()) << "cpu " << c;
      }
    }
    for (std::uint32_t c = 0; c < kCpus; ++c) {
      platform::host::bind_cpu(platform::CpuNumber{c});
      sched_.balance();
    }
  }
  platform::host::bind_cpu(platform::CpuNumber{0});
  expect_affinity_held();
  std::uint32_t n[kCpus];
  for (std::uint32_t c = 0; c < kCpus; ++c) n[c] = rq_[c].published_load().nr_running;
  EXPECT_GE(n[0], 6u);
  for (std::uint32_t c = 1; c < kCpus; ++c) EXPECT_GT(n[c], 0u) << "cpu " << c;
  // CPUs 2 and 3 can only hold free threads; balancing leaves them within one of each other.
  EXPECT_LE(n[2], n[3] + 1);
  EXPECT_LE(n[3], n[2] + 1);
  EXPECT_EQ(n[0] + n[1] + n[2] + n[3], 16u);
  EXPECT_TRUE(bugs_.reports().empty());
}

TEST_F(PlacementOnRunqueues, ThreadStillOnACpuIsNotMigrated) {
  sched::Thread& t = add(smp::CpuSet{});
  sched::Thread& u = add(smp::CpuSet{});
  sched::Thread& v = add(smp::CpuSet{});
  // Force all three onto CPU 0 by pinning, start, then widen the affinity.
  for (sched::Thread* x : {&t, &u, &v}) {
    x->affinity = set_of({0});
    sched_.start(*x);
    x->affinity = smp::CpuSet::all(kCpus);
  }
  // Pretend CPU 0 is still saving all of them (on_cpu set): nobody may take them.
  for (sched::Thread* x : {&t, &u, &v}) x->on_cpu.store(true);
  EXPECT_EQ(sched_.pull(CpuNumber{0}, CpuNumber{1}, 3), 0u);
  v.on_cpu.store(false);
  EXPECT_EQ(sched_.pull(CpuNumber{0}, CpuNumber{1}, 3), 1u);
  EXPECT_EQ(v.cpu.load(), CpuNumber{1});
  for (sched::Thread* x : {&t, &u}) x->on_cpu.store(false);
}

}  // namespace
