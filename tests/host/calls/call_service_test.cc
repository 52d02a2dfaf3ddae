// The cross-CPU call protocol (smp/calls/call_service.h) on host threads playing CPUs: sync and
// async calls to one CPU, a set, all but self; IPI only when the queue was empty; two CPUs
// calling each other with interrupts off; full queues and the deadline; tickets.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "call_machine.h"
#include "smp/irq_guard.h"
#include "smp/locks/locks.h"
#include "smp/platform/host/host_ipi.h"
#include "smp/platform/host/platform_host.h"

namespace {

using callstest::CallMachine;
using platform::CpuNumber;
using smp::CallError;
using smp::CallMode;

// Long enough never to expire on a loaded machine: only turns a hang into a failure.
constexpr std::uint64_t kHangGuardNs = 60'000'000'000;
// For calls whose target is known not to serve: the deadline is what is being tested.
constexpr std::uint64_t kShortNs = 20'000'000;

constexpr std::uint32_t kCpus = 4;
std::atomic<std::uint64_t> g_ran[kCpus];

void reset_ran() {
  for (auto& r : g_ran) r.store(0);
}

// Records on the CPU it runs on: args.a + 1 (so 0 means "did not run").
void record(const smp::CallArgs& args) {
  const std::uint32_t cpu = platform::to_index(platform::current_cpu());
  EXPECT_FALSE(platform::irqs_enabled());  // called functions run with interrupts off
  if (cpu < kCpus) g_ran[cpu].fetch_add(args.a + 1);
}

template <typename Pred>
bool wait_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class CallServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_ran();
    platform::host::bind_cpu(CpuNumber{0});  // the test thread plays CPU 0
  }
};

TEST_F(CallServiceTest, SyncCallToOneCpuRunsThereBeforeReturning) {
  CallMachine m(kCpus);
  m.start_poller(2);
  const smp::CallOutcome r =
      m.service().call_on_cpu(CpuNumber{2}, record, {nullptr, 41}, CallMode::kSync, kHangGuardNs);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(g_ran[2].load(), 42u);  // sync: done before the return
  EXPECT_EQ(g_ran[0].load() + g_ran[1].load() + g_ran[3].load(), 0u);
  EXPECT_EQ(m.service().stats(CpuNumber{2}).served, 1u);
  EXPECT_EQ(m.service().stats(CpuNumber{2}).ipis_sent, 1u);
}

TEST_F(CallServiceTest, AsyncCallToOneCpuRunsLater) {
  CallMachine m(kCpus);
  const smp::CallOutcome r =
      m.service().call_on_cpu(CpuNumber{1}, record, {nullptr, 6}, CallMode::kAsync, kHangGuardNs);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(g_ran[1].load(), 0u);  // CPU 1 takes no interrupts yet: still queued
  EXPECT_EQ(m.service().pending(CpuNumber{1}), 1u);
  EXPECT_TRUE(platform::host::ipi_pending(CpuNumber{1}));
  m.start_poller(1);
  EXPECT_TRUE(wait_until([] { return g_ran[1].load() == 7; }));
}

TEST_F(CallServiceTest, CallToASetRunsOnItsMembersOnlyAndOnTheCallerDirectly) {
  CallMachine m(kCpus);
  for (std::uint32_t c = 1; c < kCpus; ++c) m.start_poller(c);
  smp::CpuSet set;
  set.add(CpuNumber{0});
  set.add(CpuNumber{3});
  const smp::CallOutcome r =
      m.service().call(set, record, {nullptr, 0}, CallMode::kSync, kHangGuardNs);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(g_ran[0].load(), 1u);  // the caller, directly
  EXPECT_EQ(g_ran[1].load(), 0u);
  EXPECT_EQ(g_ran[2].load(), 0u);
  EXPECT_EQ(g_ran[3].load(), 1u);
  EXPECT_TRUE(r.queued == smp::CpuSet::only(3));
  EXPECT_EQ(platform::host::ipis_sent(CpuNumber{0}), 0u);  // no IPI to oneself
}

TEST_F(CallServiceTest, AllButSelfSkipsTheCaller) {
  CallMachine m(kCpus);
  for (std::uint32_t c = 1; c < kCpus; ++c) m.start_poller(c);
  EXPECT_TRUE(
      m.service().call_on_all_but_self(record, {nullptr, 0}, CallMode::kSync, kHangGuardNs).ok());
  EXPECT_EQ(g_ran[0].load(), 0u);
  for (std::uint32_t c = 1; c < kCpus; ++c) EXPECT_EQ(g_ran[c].load(), 1u) << "cpu " << c;
  // Async to all but self, then wait for every target.
  reset_ran();
  EXPECT_TRUE(m.service().call_on_all_but_self(record, {nullptr, 0}, CallMode::kAsync).ok());
  EXPECT_TRUE(wait_until([] { return g_ran[1] == 1 && g_ran[2] == 1 && g_ran[3] == 1; }));
  EXPECT_EQ(g_ran[0].load(), 0u);
}

TEST_F(CallServiceTest, CpusBeyondTheCountAreNotTargets) {
  CallMachine m(2);
  smp::CpuSet set = smp::CpuSet::only(1);
  set.add(CpuNumber{3});  // not online: cpu_count() is 2
  m.start_poller(1);
  const smp::CallOutcome r = m.service().call(set, record, {}, CallMode::kSync, kHangGuardNs);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.queued == smp::CpuSet::only(1));
  EXPECT_EQ(m.service().call_on_cpu(CpuNumber{3}, record, {}, CallMode::kSync).error,
            CallError::kNotOnline);
}

TEST_F(CallServiceTest, IpiOnlyWhenTheQueueWasEmpty) {
  CallMachine m(kCpus);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(m.service().call_on_cpu(CpuNumber{1}, record, {}, CallMode::kAsync).ok());
  }
  EXPECT_EQ(platform::host::ipis_sent(CpuNumber{1}), 1u);
  const smp::CallQueueStats s = m.service().stats(CpuNumber{1});
  EXPECT_EQ(s.ipis_sent, 1u);
  EXPECT_EQ(s.ipis_skipped, 2u);
  m.start_poller(1);
  EXPECT_TRUE(wait_until([] { return g_ran[1].load() == 3; }));  // one IPI served all three
  m.stop_poller(1);
  // Drained: the next request needs an IPI again.
  EXPECT_TRUE(m.service().call_on_cpu(CpuNumber{1}, record, {}, CallMode::kAsync).ok());
  EXPECT_EQ(platform::host::ipis_sent(CpuNumber{1}), 2u);
}

TEST_F(CallServiceTest, SyncCallFromInterruptContextIsRefused) {
  CallMachine m(kCpus);
  platform::host::irq_enter();
  const smp::CallOutcome r = m.service().call_on_cpu(CpuNumber{1}, record, {}, CallMode::kSync);
  platform::host::irq_exit();
  EXPECT_EQ(r.error, CallError::kFromInterrupt);
  EXPECT_EQ(m.service().pending(CpuNumber{1}), 0u);
}

// Two CPUs that call each other synchronously with interrupts off at the same time: neither
// takes the other's IPI, so each must serve its own queue while it waits.
TEST_F(CallServiceTest, TwoCpusCallingEachOtherWithInterruptsOffComplete) {
  CallMachine m(2);
  constexpr int kRounds = 300;
  std::atomic<int> failures{0};
  std::atomic<int> finished{0};
  auto cpu = [&](std::uint32_t self) {
    platform::host::bind_cpu(CpuNumber{self});
    smp::IrqGuard irqs_off;
    for (int i = 0; i < kRounds; ++i) {
      const smp::CallOutcome r =
          m.service().call_on_cpu(CpuNumber{1 - self}, record, {}, CallMode::kSync, kHangGuardNs);
      if (!r.ok()) failures.fetch_add(1);
    }
    // The CPU stays up (interrupts still off) until the other is done: its last call may still
    // need us.
    finished.fetch_add(1);
    while (finished.load() < 2) {
      m.service().serve();
      std::this_thread::yield();
    }
  };
  std::thread a(cpu, 0), b(cpu, 1);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(g_ran[0].load(), static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(g_ran[1].load(), static_cast<std::uint64_t>(kRounds));
}

constinit smp::LockClass kTestHeldClass{"test-held", smp::LockRank{20}};

// CPU 1 holds a lock and makes a sync call to CPU 2, which spins on that lock with interrupts
// off: only the lock's spin-wait hook serving CPU 2's queue lets the call (and so the unlock)
// happen (STYLE.md rule 10).
TEST_F(CallServiceTest, CpuSpinningOnALockWithInterruptsOffServesCalls) {
  CallMachine m(kCpus);
  smp::TicketSpinLock<smp::IrqSave, kTestHeldClass> lock;
  std::atomic<bool> held{false};
  std::atomic<bool> spinner_started{false};
  smp::CallOutcome r;
  std::thread holder([&] {
    platform::host::bind_cpu(CpuNumber{1});
    smp::Guard guard{lock};
    held.store(true);
    while (!spinner_started.load()) std::this_thread::yield();
    r = m.service().call_on_cpu(CpuNumber{2}, record, {nullptr, 4}, CallMode::kSync, kHangGuardNs);
  });
  std::thread spinner([&] {
    platform::host::bind_cpu(CpuNumber{2});
    while (!held.load()) std::this_thread::yield();
    spinner_started.store(true);
    smp::Guard guard{lock};  // IrqSave: spins with interrupts off until CPU 1 returns
  });
  holder.join();
  spinner.join();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(g_ran[2].load(), 5u);
}

// Every CPU calls every other (sync and async, interrupts on, so requests arrive both by IPI
// and by serving while waiting); every request runs exactly once.
TEST_F(CallServiceTest, EveryCpuCallingEveryOtherRunsEachRequestOnce) {
  CallMachine m(kCpus);
  constexpr int kRounds = 100;
  std::atomic<int> failures{0};
  std::atomic<std::uint32_t> finished{0};
  auto cpu = [&](std::uint32_t self) {
    platform::host::bind_cpu(CpuNumber{self});
    for (int i = 0; i < kRounds; ++i) {
      const CallMode mode = i % 2 == 0 ? CallMode::kSync : CallMode::kAsync;
      if (!m.service().call_on_all_but_self(record, {}, mode, kHangGuardNs).ok()) {
        failures.fetch_add(1);
      }
      platform::host::poll_interrupts();
    }
    finished.fetch_add(1);
    // Keep taking IPIs until everyone is done: others' async requests may still come.
    while (finished.load() < kCpus) {
      if (platform::host::poll_interrupts() == 0) std::this_thread::yield();
    }
  };
  std::vector<std::thread> threads;
  for (std::uint32_t c = 0; c < kCpus; ++c) threads.emplace_back(cpu, c);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Drain what async calls left queued (their IPIs may have come after the last poll).
  for (std::uint32_t c = 0; c < kCpus; ++c) {
    platform::host::bind_cpu(CpuNumber{c});
    m.service().serve();
  }
  for (std::uint32_t c = 0; c < kCpus; ++c) {
    EXPECT_EQ(g_ran[c].load(), static_cast<std::uint64_t>(kRounds * (kCpus - 1))) << "cpu " << c;
  }
}

TEST_F(CallServiceTest, FullQueueReportsTheTargetAtTheDeadline) {
  CallMachine m(kCpus);
  for (std::uint32_t i = 0; i < smp::kCallQueueCapacity; ++i) {
    ASSERT_TRUE(m.service().call_on_cpu(CpuNumber{1}, record, {}, CallMode::kAsync, kShortNs).ok());
  }
  EXPECT_EQ(m.service().pending(CpuNumber{1}), smp::kCallQueueCapacity);
  // CPU 1 takes no interrupts: the 65th request waits for room until the deadline; CPU 2,
  // in the same call, gets its request anyway.
  smp::CpuSet set = smp::CpuSet::only(1);
  set.add(CpuNumber{2});
  m.start_poller(2);
  smp::CallOutcome r = m.service().call(set, record, {}, CallMode::kAsync, kShortNs);
  EXPECT_EQ(r.error, CallError::kQueueFull);
  EXPECT_TRUE(r.full == smp::CpuSet::only(1));
  EXPECT_TRUE(r.queued == smp::CpuSet::only(2));
  EXPECT_TRUE(wait_until([] { return g_ran[2].load() == 1; }));
  // Sync: the full CPU is not waited for; CPU 2 is, as long as the hang guard allows.
  r = m.service().call(set, record, {}, CallMode::kSync, kShortNs * 50);
  EXPECT_TRUE(r.full == smp::CpuSet::only(1));
  EXPECT_TRUE(r.error == CallError::kQueueFull);
  EXPECT_EQ(m.service().pending(CpuNumber{1}), smp::kCallQueueCapacity);
  m.start_poller(1);
  EXPECT_TRUE(wait_until([] { return g_ran[1].load() == smp::kCallQueueCapacity; }));
}

std::atomic<bool> g_late_ran{false};
void late(const smp::CallArgs&) { g_late_ran.store(true); }

// A sync call that timed out leaves its request queued; when it runs later, its completion must
// not count down the caller's next call (the ticket differs).
TEST_F(CallServiceTest, TimedOutCallRunningLateDoesNotCompleteTheNextOne) {
  CallMachine m(kCpus);
  g_late_ran.store(false);
  smp::CallOutcome r = m.service().call_on_cpu(CpuNumber{1}, late, {}, CallMode::kSync, kShortNs);
  EXPECT_EQ(r.error, CallError::kTimedOut);
  EXPECT_EQ(r.missing, 1u);
  EXPECT_FALSE(g_late_ran.load());

  // The next call goes to CPU 2, which takes no interrupts yet, so it waits.
  std::atomic<bool> returned{false};
  std::thread caller([&] {
    platform::host::bind_cpu(CpuNumber{0});
    r = m.service().call_on_cpu(CpuNumber{2}, record, {nullptr, 0}, CallMode::kSync, kHangGuardNs);
    returned.store(true);
  });
  // Until the caller has published its new ticket (count 1), CPU 1 must not run the old one.
  ASSERT_TRUE(wait_until([&] {
    return (m.service().cpu(CpuNumber{0}).completion.load() >> 32) == 2;
  }));
  // This thread plays CPU 1 and takes the stale request now, synchronously.
  platform::host::bind_cpu(CpuNumber{1});
  EXPECT_EQ(platform::host::poll_interrupts(), 1u);
  EXPECT_TRUE(g_late_ran.load());
  // Its completion carried the old ticket: the new call still waits for CPU 2.
  EXPECT_EQ(m.service().cpu(CpuNumber{0}).completion.load() & 0xFFFF'FFFFu, 1u);
  EXPECT_EQ(g_ran[2].load(), 0u);
  m.start_poller(2);
  caller.join();
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(g_ran[2].load(), 1u);  // it returned because CPU 2 ran it, not because of CPU 1
}

std::atomic<int> g_nested_error{-1};
smp::CallService* g_nested_service = nullptr;
void call_back(const smp::CallArgs&) {
  // A called function must not make a sync call: refused rather than deadlocked.
  g_nested_error.store(static_cast<int>(
      g_nested_service->call_on_cpu(CpuNumber{0}, record, {}, CallMode::kSync, kShortNs).error));
}

TEST_F(CallServiceTest, SyncCallFromACalledFunctionIsRefused) {
  CallMachine m(kCpus);
  g_nested_service = &m.service();
  m.start_poller(1);
  EXPECT_TRUE(
      m.service().call_on_cpu(CpuNumber{1}, call_back, {}, CallMode::kSync, kHangGuardNs).ok());
  EXPECT_EQ(g_nested_error.load(), static_cast<int>(CallError::kFromInterrupt));
}

}  // namespace

// Senders that retry a full queue must not line up on its FIFO lock: the owner's pop would wait
// behind every one of them (at -smp 16 on 2 host cores a target's queue stayed full for the
// whole 10 s bound of the in-kernel IPI storm). A push that sees the queue full takes no lock.
TEST_F(CallServiceTest, PushToAFullQueueTakesNoLock) {
  CallMachine m(kCpus);  // the lock needs a CPU to run on
  smp::CallQueue q;
  const smp::QueuedCall call{record, {}, platform::kNoCpu, smp::kNoTicket};
  for (std::uint32_t i = 0; i < smp::kCallQueueCapacity; ++i) {
    ASSERT_NE(q.push(call), smp::CallQueue::PushResult::kFull);
  }
  const std::uint64_t before = smp::kIpiQueueClass.stats().acquisitions.load();
  EXPECT_EQ(q.push(call), smp::CallQueue::PushResult::kFull);
  EXPECT_EQ(q.push(call), smp::CallQueue::PushResult::kFull);
  EXPECT_EQ(smp::kIpiQueueClass.stats().acquisitions.load(), before);
  smp::QueuedCall out;
  ASSERT_TRUE(q.pop(out));
  EXPECT_EQ(q.push(call), smp::CallQueue::PushResult::kQueuedWasBusy);
}
