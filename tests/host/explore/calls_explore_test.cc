// The cross-CPU call protocol (smp/calls/) under the interleaving explorer (docs/explorer.md):
// each explored CPU runs the real CallService over the explore variant of the libraries, where
// the queue and completion words, the queue locks, the interrupt flag and the host IPI pending
// bits are interleaving points, and a CPU with interrupts on takes its pending IPIs at every
// point (smp/platform/host/platform_host.cc). A schedule fails on a call that ran twice, never
// or on the wrong CPU, a call that reports an error, a CPU that kept an old translation, or a
// CPU waiting forever (the schedule then passes its step limit).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdint>

#include "../calls/call_machine.h"
#include "../sched/host_machine.h"
#include "explore_support.h"
#include "smp/calls/tlb_shootdown.h"
#include "smp/irq_guard.h"
#include "smp/locks/locks.h"
#include "smp/platform/host/host_ipi.h"

namespace {

using callstest::CallMachine;
using exploretest::expect_clean;
using platform::CpuNumber;
namespace explore = platform::host::explore;

// No call may time out: a deadline far beyond the schedule's step limit (virtual time is
// 100 ns per point), so a stuck call shows as an endless schedule, not as kTimedOut.
constexpr std::uint64_t kNoDeadlineNs = 1'000'000'000'000;

[[noreturn]] void failf(const char* format, unsigned a, unsigned b = 0, unsigned c = 0) {
  char msg[200];
  std::snprintf(msg, sizeof msg, format, a, b, c);
  explore::fail(msg);
}

// The runs of every call: calls are numbered by the test, runs[id][cpu] counts where call `id`
// ran. Plain counters: the explorer runs one CPU at a time, and a call runs with interrupts
// off on its target.
constexpr std::uint32_t kMaxCalls = 160;
constexpr std::uint32_t kMaxCpus = 4;
struct Runs {
  std::uint32_t runs[kMaxCalls][kMaxCpus];
  std::uint32_t total;
  std::uint32_t last_from_sender[kMaxCpus][kMaxCpus];  // [target][sender]: the last id + 1
};
Runs g_runs;

// The called function: args.a is the call's id, args.b its sender (FIFO check per sender).
void record_run(const smp::CallArgs& args) {
  const std::uint32_t cpu = platform::to_index(platform::current_cpu());
  const auto id = static_cast<std::uint32_t>(args.a);
  const auto sender = static_cast<std::uint32_t>(args.b);
  if (platform::irqs_enabled()) failf("call %u ran on cpu %u with interrupts on", id, cpu);
  ++g_runs.runs[id][cpu];
  ++g_runs.total;
  std::uint32_t& last = g_runs.last_from_sender[cpu][sender];
  if (id + 1 <= last) failf("cpu %u ran call %u after a later call of cpu %u", cpu, id, sender);
  last = id + 1;
}

smp::CallArgs args_of(std::uint32_t id) {
  return {nullptr, id, platform::to_index(platform::current_cpu())};
}

smp::CpuSet cpus_of(std::initializer_list<std::uint32_t> list) {
  smp::CpuSet s;
  for (std::uint32_t c : list) s.add(CpuNumber{c});
  return s;
}

void expect_ok(const smp::CallOutcome& r, std::uint32_t id) {
  if (!r.ok()) {
    failf("call %u failed: error %u, %u target(s) missing", id, static_cast<unsigned>(r.error),
          r.missing);
  }
}

// An idle CPU with interrupts on until `done()`: it takes IPIs (at each point, and in the
// spin-wait hook) and spins.
template <typename Done>
void idle_until(Done done) {
  while (!done()) {
    platform::cpu_relax();
    platform::spin_wait_hook();
  }
}

// Each call `id` of `expected` ran exactly once on each CPU of its target set and nowhere else.
void check_exactly_once(const smp::CpuSet* expected, std::uint32_t calls) {
  for (std::uint32_t id = 0; id < calls; ++id) {
    for (std::uint32_t c = 0; c < kMaxCpus; ++c) {
      const std::uint32_t want = expected[id].contains(CpuNumber{c}) ? 1 : 0;
      if (g_runs.runs[id][c] != want) {
        failf("call %u ran %u time(s) on cpu %u", id, g_runs.runs[id][c], c);
      }
    }
  }
}

class ExploreCalls : public ::testing::Test {
 protected:
  void SetUp() override { g_runs = {}; }

  // Runs `body` on `cpus` CPUs: PCT first, then a random walk, each with half the budget.
  template <typename Body>
  void explore_calls(std::uint32_t cpus, Body body, std::uint64_t min_points,
                     std::uint64_t steps_hint = 2000) {
    for (explore::Strategy s : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
      explore::Options o;
      o.strategy = s;
      o.steps_hint = steps_hint;
      o.switch_odds = 4;
      auto r = explore::search(cpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 2, o,
                               [&](std::uint32_t cpu) { body(cpu); });
      expect_clean(r, min_points);
      if (r.found) return;
    }
  }
};

// CPUs 0 and 1 call each other synchronously at the same time with interrupts off: neither
// takes the other's IPI, so each must serve its own queue while it waits. CPU 2 calls both
// asynchronously meanwhile (one request to the set {0, 1} per call), with interrupts on.
TEST_F(ExploreCalls, TwoCpusCallingEachOtherWithInterruptsOffAndAThirdCallingBoth) {
  constexpr std::uint32_t kEach = 3;
  // Ids: CPU 0's calls 0..2, CPU 1's 3..5, CPU 2's 6..8.
  static smp::CpuSet expected[3 * kEach];
  for (std::uint32_t i = 0; i < kEach; ++i) {
    expected[i] = cpus_of({1});
    expected[kEach + i] = cpus_of({0});
    expected[2 * kEach + i] = cpus_of({0, 1});
  }
  constexpr std::uint32_t kTotalRuns = 4 * kEach;
  CallMachine m(3);  // copied into each schedule's child process
  static std::uint32_t finished;
  finished = 0;
  explore_calls(3, [&](std::uint32_t cpu) {
    smp::CallService& calls = m.service();
    if (cpu < 2) {
      const smp::IrqGuard off;
      for (std::uint32_t i = 0; i < kEach; ++i) {
        const std::uint32_t id = cpu * kEach + i;
        expect_ok(calls.call_on_cpu(CpuNumber{1 - cpu}, record_run, args_of(id),
                                    smp::CallMode::kSync, kNoDeadlineNs), id);
        // A synchronous call has run when it returns.
        if (g_runs.runs[id][1 - cpu] != 1) failf("sync call %u returned before it ran", id);
      }
    } else {
      for (std::uint32_t i = 0; i < kEach; ++i) {
        const std::uint32_t id = 2 * kEach + i;
        expect_ok(calls.call(cpus_of({0, 1}), record_run, args_of(id), smp::CallMode::kAsync,
                             kNoDeadlineNs), id);
      }
    }
    ++finished;
    idle_until([] { return finished == 3 && g_runs.total == kTotalRuns; });
    if (cpu == 0) check_exactly_once(expected, 3 * kEach);
  }, 350);
}

// CPU 0 calls the set {1, 2} synchronously while CPU 2 fills CPU 1's queue past its capacity
// with asynchronous calls and CPU 1 runs with interrupts off for a while (it serves nothing):
// the full queue holds CPU 0's and CPU 2's requests back (retried until they fit) without
// holding up CPU 0's request to CPU 2, which CPU 2 serves while it retries. Every call runs
// once, each sender's calls in order.
TEST_F(ExploreCalls, CallToASetWhileTheTargetsQueuesFill) {
  constexpr std::uint32_t kFill = smp::kCallQueueCapacity + 6;
  constexpr std::uint32_t kSyncId = kFill;
  static smp::CpuSet expected[kFill + 1];
  for (std::uint32_t i = 0; i < kFill; ++i) expected[i] = cpus_of({1});
  expected[kSyncId] = cpus_of({1, 2});
  constexpr std::uint32_t kTotalRuns = kFill + 2;
  CallMachine m(3);
  static std::uint32_t finished;
  finished = 0;
  explore_calls(3, [&](std::uint32_t cpu) {
    smp::CallService& calls = m.service();
    if (cpu == 0) {
      expect_ok(calls.call(cpus_of({1, 2}), record_run, args_of(kSyncId), smp::CallMode::kSync,
                           kNoDeadlineNs), kSyncId);
    } else if (cpu == 1) {
      // Busy with interrupts off, serving nothing, until its queue is full; then interrupts
      // on: the pending IPI drains the queue.
      const smp::IrqGuard off;
      while (calls.pending(CpuNumber{1}) < smp::kCallQueueCapacity) platform::cpu_relax();
    } else {
      for (std::uint32_t id = 0; id < kFill; ++id) {
        const smp::CallOutcome r = calls.call_on_cpu(CpuNumber{1}, record_run, args_of(id),
                                                     smp::CallMode::kAsync, kNoDeadlineNs);
        expect_ok(r, id);
      }
    }
    ++finished;
    idle_until([] { return finished == 3 && g_runs.total == kTotalRuns; });
    if (cpu == 0) check_exactly_once(expected, kFill + 1);
  }, 1500, 3000);
}

// ---- TLB shootdown while the caller migrates (issue 10) ----------------------------------

constexpr std::uint64_t kVirt = 0xffff'c000'0020'0000ull;
constexpr std::uint64_t kOtherVirt = 0xffff'c000'0080'0000ull;

constinit smp::LockClass kTestPageTableClass{"explore-page-tables", smp::LockRank{20}};

// The task doing an unmap the way mm::kernel_unmap does, on whichever CPU runs it: change the
// entry under the page-table lock, drop the lock (a preemption point: the scheduler may move
// the task to another CPU there), then shoot down. Its continuation after the preemption point
// is handed to the CPU it moves to through `continue_on`; the CPUs that do not run it are idle
// with interrupts on. Every CPU is in the space: all may cache the translation.
struct MigratingUnmap {
  smp::TicketSpinLock<smp::IrqSave, kTestPageTableClass> lock;
  std::uint64_t entry = 0x1000;  // "mapped"
  smp::TlbCpuSet space;
  smp::Atomic<std::uint32_t> continue_on{platform::kNoCpu};
  smp::Atomic<bool> done{false};
  std::uint32_t started_on = 0;
  bool flushed_first = false;
};

TEST_F(ExploreCalls, TlbShootdownWhileTheCallerMigrates) {
  constexpr std::uint32_t kCpus = 3;
  CallMachine m(kCpus);
  static MigratingUnmap* u;
  u = new MigratingUnmap;  // in static storage: copied into each child as it is
  for (std::uint32_t c = 0; c < kCpus; ++c) u->space.add(CpuNumber{c});
  static std::uint32_t others_done;
  others_done = 0;
  explore_calls(kCpus, [&](std::uint32_t cpu) {
    smp::CallService& calls = m.service();
    // The second half of the unmap, on the CPU the task runs on now.
    auto finish = [&] {
      const std::uint32_t here = platform::to_index(platform::current_cpu());
      expect_ok(smp::tlb_shootdown(calls, u->space, {kVirt, 4096, false}, kNoDeadlineNs), 0);
      for (std::uint32_t c = 0; c < kCpus; ++c) {
        if (!platform::host::tlb_flushed(CpuNumber{c}, kVirt)) {
          char msg[200];
          std::snprintf(msg, sizeof msg,
                        "cpu %u kept the old translation (the task changed the mapping on cpu "
                        "%u%s, shot down from cpu %u)",
                        c, u->started_on, u->flushed_first ? " and flushed there" : "", here);
          explore::fail(msg);
        }
      }
      u->done.store(true);
    };
    if (cpu == 0) {
      u->started_on = 0;
      {
        smp::Guard guard{u->lock};
        u->entry = 0;
        // Either order is correct with the fix: the pre-fix kernel flushed locally here.
        u->flushed_first = explore::chance(1, 2);
        if (u->flushed_first) smp::flush_tlb_range_local({kVirt, 4096, false}, nullptr);
      }
      // The preemption point: the task may move to CPU 1 or 2 (the seed decides).
      const std::uint32_t to = explore::chance(2, 3) ? (explore::chance(1, 2) ? 1 : 2) : 0;
      if (to == 0) {
        finish();
      } else {
        u->continue_on.store(to);
      }
    } else if (cpu == 2) {
      // Another CPU shoots down a page of its own meanwhile: the two shootdowns' requests
      // cross, and CPU 2 may have to take over the task right after.
      expect_ok(smp::tlb_shootdown(calls, u->space, {kOtherVirt, 4096, false}, kNoDeadlineNs), 1);
      ++others_done;
    }
    if (cpu == 1) ++others_done;
    idle_until([&] {
      if (u->continue_on.load() == cpu) {
        u->continue_on.store(platform::kNoCpu);
        finish();
      }
      return u->done.load() && others_done == 2;
    });
  }, 150, 300);
}

// The same unmap in a kernel thread of the real scheduler (tests/host/sched/host_machine.h in
// explore mode): the thread may run on CPUs 0-2 and yields at the preemption point between the
// mapping change and the shootdown, while hogs pinned to each CPU keep them busy for a while.
// Whether it then continues where it was or an idle CPU steals it, and when, is the
// schedule's: the migration is the scheduler's own, not the test's. Idle CPUs take their IPIs in the idle loop
// (every interleaving point with interrupts on).
TEST_F(ExploreCalls, TlbShootdownWhileTheSchedulerMigratesTheCaller) {
  constexpr std::uint32_t kCpus = 3;
  CallMachine calls_machine(kCpus);
  sched::test::HostMachine m(kCpus);  // after CallMachine: both set the same CPU count
  static smp::CallService* calls;
  calls = &calls_machine.service();
  static MigratingUnmap* u;
  u = new MigratingUnmap;
  for (std::uint32_t c = 0; c < kCpus; ++c) u->space.add(CpuNumber{c});
  auto unmap = [&m] {
    {
      smp::Guard guard{u->lock};
      u->started_on = platform::to_index(platform::current_cpu());
      u->entry = 0;
      u->flushed_first = explore::chance(1, 2);  // either order is correct with the fix
      if (u->flushed_first) smp::flush_tlb_range_local({kVirt, 4096, false}, nullptr);
    }
    // The preemption point: ticks may arrive, and the thread gives up its CPU.
    m.poll();
    m.scheduler().yield();
    m.poll();
    const std::uint32_t here = platform::to_index(platform::current_cpu());
    expect_ok(smp::tlb_shootdown(*calls, u->space, {kVirt, 4096, false}, kNoDeadlineNs), 0);
    for (std::uint32_t c = 0; c < kCpus; ++c) {
      if (!platform::host::tlb_flushed(CpuNumber{c}, kVirt)) {
        char msg[200];
        std::snprintf(msg, sizeof msg,
                      "cpu %u kept the old translation (the thread changed the mapping on cpu "
                      "%u%s, shot down from cpu %u)",
                      c, u->started_on, u->flushed_first ? " and flushed there" : "", here);
        explore::fail(msg);
      }
    }
  };
  explore_calls(kCpus, [&](std::uint32_t cpu) {
    m.explored_cpu(cpu, [&] {
      sched::Scheduler& s = m.scheduler();
      // A hog pinned to each CPU: the unmapper is placed behind one of them, and its yield
      // queues it there; the hogs of CPUs 1 and 2 end sooner, and their idle CPUs steal.
      for (std::uint32_t c = 0; c < kCpus; ++c) {
        sched::ThreadParams hog;
        hog.name = "hog";
        hog.affinity = cpus_of({c});
        const std::uint32_t rounds = c == 0 ? 8 : 2;
        m.start(m.create(hog, [&m, &s, rounds] {
          for (std::uint32_t i = 0; i < rounds; ++i) {
            m.poll();
            s.yield();
          }
        }));
      }
      sched::ThreadParams task;
      task.name = "unmapper";
      task.affinity = cpus_of({0, 1, 2});
      m.start(m.create(task, unmap));
    });
  }, 300);
}

}  // namespace
