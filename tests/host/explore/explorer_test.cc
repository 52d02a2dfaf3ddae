// The explorer itself: it finds a lost update and a broken lock that free-running threads
// rarely show, a seed replays the same interleaving, and correct code passes.
#include <gtest/gtest.h>

#include <cstdint>

#include "explore_support.h"
#include "smp/atomic.h"
#include "smp/locks/locks.h"

namespace {

using exploretest::expect_clean;
namespace explore = platform::host::explore;

constexpr std::uint32_t kIncrements = 3;

// Two CPUs increment a counter by load-then-store (not atomic as a whole): the explorer must
// find the schedule that loses an update. The last CPU to finish checks the total.
struct RacyCounter {
  smp::Atomic<std::uint32_t> value{0};
  smp::Atomic<std::uint32_t> finished{0};
};

void racy_body(RacyCounter& c, std::uint32_t cpus, bool atomic_increment) {
  for (std::uint32_t i = 0; i < kIncrements; ++i) {
    if (atomic_increment) {
      c.value.fetch_add(1);
    } else {
      c.value.store(c.value.load() + 1);
    }
  }
  if (c.finished.fetch_add(1) + 1 == cpus && c.value.load() != cpus * kIncrements) {
    explore::fail("lost update");
  }
}

TEST(Explorer, FindsALostUpdate) {
  for (explore::Strategy s : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    explore::Options o;
    o.strategy = s;
    o.steps_hint = 20;
    RacyCounter c;
    auto r = explore::search(2, 1, 200, 30.0, o, [&](std::uint32_t) { racy_body(c, 2, false); });
    ASSERT_TRUE(r.found) << "strategy " << static_cast<int>(s);
    EXPECT_EQ(r.failing.failure, "lost update");
  }
}

TEST(Explorer, AtomicIncrementsPass) {
  explore::Options o;
  o.steps_hint = 20;
  RacyCounter c;
  expect_clean(explore::search(3, 1, 100, 10.0, o, [&](std::uint32_t) { racy_body(c, 3, true); }));
}

TEST(Explorer, ASeedReplaysTheSameInterleaving) {
  explore::Options o;
  o.steps_hint = 20;
  RacyCounter c;
  auto body = [&](std::uint32_t) { racy_body(c, 3, true); };
  std::uint32_t distinct = 0;
  std::uint64_t first_hash = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    explore::Outcome a = explore::run_schedule(3, seed, o, body);
    explore::Outcome b = explore::run_schedule(3, seed, o, body);
    ASSERT_TRUE(a.ok) << a.failure;
    ASSERT_TRUE(b.ok) << b.failure;
    EXPECT_EQ(a.steps, b.steps);
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    if (seed == 1) first_hash = a.trace_hash;
    if (a.trace_hash != first_hash) ++distinct;
  }
  EXPECT_GT(distinct, 0u) << "every seed gave the same interleaving";
}

TEST(Explorer, EndlessScheduleFails) {
  explore::Options o;
  o.max_steps = 5000;
  smp::Atomic<bool> never{false};
  auto r = explore::search(2, 1, 1, 10.0, o, [&](std::uint32_t) {
    while (!never.load()) platform::cpu_relax();
  });
  ASSERT_TRUE(r.found);
  EXPECT_NE(r.failing.failure.find("no end after"), std::string::npos) << r.failing.failure;
}

TEST(Explorer, CrashIsAFailure) {
  auto r = explore::search(1, 1, 1, 10.0, explore::Options{}, [](std::uint32_t) { __builtin_trap(); });
  ASSERT_TRUE(r.found);
  EXPECT_NE(r.failing.failure.find("crashed"), std::string::npos) << r.failing.failure;
}

// ---- Locks ---------------------------------------------------------------------------------

constinit smp::LockClass kExploreLockClass{"explore-lock", smp::LockRank{0}};

// Mutual exclusion under every explored schedule: an occupancy flag inside the critical
// section, and a load-then-store counter that loses updates unless the lock excludes.
struct Critical {
  smp::Atomic<std::uint32_t> inside{0};
  smp::Atomic<std::uint32_t> count{0};
  smp::Atomic<std::uint32_t> finished{0};

  void enter_exclusive() {
    if (inside.exchange(1) != 0) explore::fail("two CPUs inside the critical section");
    count.store(count.load() + 1);
    inside.store(0);
  }
  void finish(std::uint32_t cpus, std::uint32_t expected) {
    if (finished.fetch_add(1) + 1 == cpus && count.load() != expected) {
      explore::fail("the lock lost an update");
    }
  }
};

template <typename Lock>
void exclusive_body(Lock& lock, Critical& c, std::uint32_t cpus, std::uint32_t rounds) {
  for (std::uint32_t i = 0; i < rounds; ++i) {
    smp::Guard g{lock};
    c.enter_exclusive();
  }
  c.finish(cpus, cpus * rounds);
}

// Half the budget with PCT, half with random preemption (docs/explorer.md, "Strategies").
template <typename Body>
void explore_both(std::uint32_t cpus, std::uint64_t steps_hint, const Body& body) {
  for (explore::Strategy s : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    explore::Options o;
    o.strategy = s;
    o.steps_hint = steps_hint;
    o.switch_odds = 3;
    auto r = explore::search(cpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 4, o,
                             body);
    expect_clean(r, 40);
    if (r.found) return;
  }
}

template <typename Lock>
void explore_exclusive(std::uint32_t cpus) {
  Lock lock;
  Critical c;
  explore_both(cpus, 100, [&](std::uint32_t) { exclusive_body(lock, c, cpus, 2); });
}

TEST(ExploreLocks, TicketLockExcludes) {
  explore_exclusive<smp::TicketSpinLock<smp::IrqSave, kExploreLockClass>>(3);
}
TEST(ExploreLocks, McsLockExcludes) {
  explore_exclusive<smp::McsSpinLock<smp::IrqSave, kExploreLockClass>>(3);
}
TEST(ExploreLocks, TasLockExcludes) {
  explore_exclusive<smp::TasSpinLock<smp::IrqSave, kExploreLockClass>>(3);
}

// Readers and writers: writers exclude everyone; readers see no writer inside and never a
// half-written pair.
template <typename Lock>
void explore_rw(std::uint32_t cpus) {
  Lock lock;
  Critical c;
  smp::Atomic<std::uint32_t> a{0}, b{0};
  explore_both(cpus, 100, [&](std::uint32_t cpu) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      if (cpu == 0) {
        smp::Guard g{lock};
        c.enter_exclusive();
        a.store(a.load() + 1);
        b.store(b.load() + 1);
      } else {
        smp::ReadGuard g{lock};
        if (c.inside.load() != 0) explore::fail("a reader ran beside a writer");
        if (a.load() != b.load()) explore::fail("a reader saw a half-done write");
      }
    }
    c.finish(cpus, 2);
  });
}

TEST(ExploreLocks, RwLockWritersExcludeReaders) {
  explore_rw<smp::RwSpinLock<smp::IrqSave, kExploreLockClass>>(3);
}
TEST(ExploreLocks, PercpuRwLockWritersExcludeReaders) {
  explore_rw<smp::PercpuRwSpinLock<smp::IrqSave, kExploreLockClass>>(3);
}

// A lock that tests, then sets (two steps): the explorer must find two CPUs inside.
class BrokenLock {
 public:
  void lock() {
    while (taken_.load() != 0) platform::cpu_relax();
    taken_.store(1);
  }
  void unlock() { taken_.store(0); }

 private:
  smp::Atomic<std::uint32_t> taken_{0};
};

TEST(ExploreLocks, FindsABrokenLock) {
  explore::Options o;
  o.steps_hint = 50;
  BrokenLock lock;
  Critical c;
  auto r = explore::search(2, 1, 400, 30.0, o, [&](std::uint32_t) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      lock.lock();
      c.enter_exclusive();
      lock.unlock();
    }
    c.finish(2, 4);
  });
  ASSERT_TRUE(r.found);
  std::printf("explore: broken lock found after %llu schedule(s)\n",
              static_cast<unsigned long long>(r.schedules));
}

}  // namespace
