// TLB shootdown over the call service (smp/calls/tlb_shootdown.h) on host CPUs, whose
// flush_tlb_local* record what each CPU flushed: targets are the CPUs of the TlbCpuSet only, the
// caller's CPU is flushed when it is in the set, large ranges become full flushes, and a caller
// that migrates between changing a mapping and the shootdown still leaves no CPU unflushed
// (issue 10).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "call_machine.h"
#include "smp/calls/tlb_shootdown.h"
#include "smp/locks/locks.h"
#include "smp/platform/host/host_ipi.h"
#include "smp/platform/host/platform_host.h"

namespace {

using callstest::CallMachine;
using platform::CpuNumber;
using platform::host::tlb_flushed;

constexpr std::uint64_t kHangGuardNs = 60'000'000'000;
constexpr std::uint64_t kVirt = 0xffff'c000'0020'0000ull;
constexpr std::uint32_t kCpus = 4;

class TlbShootdownTest : public ::testing::Test {
 protected:
  void SetUp() override { platform::host::bind_cpu(CpuNumber{0}); }
};

TEST_F(TlbShootdownTest, FlushesTheCpusOfTheSetOnly) {
  CallMachine m(kCpus);
  for (std::uint32_t c = 1; c < kCpus; ++c) m.start_poller(c);
  smp::TlbCpuSet space;
  space.add(CpuNumber{1});
  space.add(CpuNumber{3});
  // The caller (CPU 0) is not in the space: it holds no translation of it.
  EXPECT_TRUE(smp::tlb_shootdown(m.service(), space, {kVirt, 2 * 4096, false}, kHangGuardNs).ok());
  EXPECT_FALSE(tlb_flushed(CpuNumber{0}, kVirt));
  EXPECT_TRUE(tlb_flushed(CpuNumber{1}, kVirt));
  EXPECT_TRUE(tlb_flushed(CpuNumber{1}, kVirt + 4096));
  EXPECT_FALSE(tlb_flushed(CpuNumber{1}, kVirt + 2 * 4096));  // past the range
  EXPECT_FALSE(tlb_flushed(CpuNumber{2}, kVirt));
  EXPECT_TRUE(tlb_flushed(CpuNumber{3}, kVirt));
  EXPECT_EQ(platform::host::ipis_sent(CpuNumber{2}), 0u);
  EXPECT_EQ(smp::shootdown_stats(m.service(), CpuNumber{1}).page_flushes, 2u);
  EXPECT_EQ(smp::shootdown_stats(m.service(), CpuNumber{2}).page_flushes, 0u);
}

TEST_F(TlbShootdownTest, FlushesTheCallersCpuWhenItIsInTheSet) {
  CallMachine m(kCpus);
  for (std::uint32_t c = 1; c < kCpus; ++c) m.start_poller(c);
  smp::TlbCpuSet space;
  space.add(CpuNumber{0});
  space.add(CpuNumber{2});
  EXPECT_TRUE(smp::tlb_shootdown(m.service(), space, {kVirt, 4096, false}, kHangGuardNs).ok());
  EXPECT_TRUE(tlb_flushed(CpuNumber{0}, kVirt));  // locally, no IPI to itself
  EXPECT_EQ(platform::host::ipis_sent(CpuNumber{0}), 0u);
  EXPECT_TRUE(tlb_flushed(CpuNumber{2}, kVirt));
  EXPECT_FALSE(tlb_flushed(CpuNumber{1}, kVirt));
  EXPECT_FALSE(tlb_flushed(CpuNumber{3}, kVirt));
}

TEST_F(TlbShootdownTest, LargeRangeIsOneFullFlushPerCpu) {
  CallMachine m(kCpus);
  m.start_poller(1);
  smp::TlbCpuSet space;
  space.add(CpuNumber{1});
  EXPECT_TRUE(smp::tlb_shootdown(m.service(), space,
                                 {kVirt, (smp::kFullFlushPages + 1) * 4096, false}, kHangGuardNs)
                  .ok());
  m.stop_poller(1);
  const auto flushes = platform::host::tlb_flushes(CpuNumber{1});
  ASSERT_EQ(flushes.size(), 1u);
  EXPECT_TRUE(flushes[0].all);
  EXPECT_EQ(smp::shootdown_stats(m.service(), CpuNumber{1}).full_flushes, 1u);
  EXPECT_EQ(smp::shootdown_stats(m.service(), CpuNumber{1}).page_flushes, 0u);
}

TEST_F(TlbShootdownTest, TimesOutOnACpuThatNeverServes) {
  CallMachine m(kCpus);
  smp::TlbCpuSet space;
  space.add(CpuNumber{3});  // no thread plays CPU 3
  const smp::CallOutcome r =
      smp::tlb_shootdown(m.service(), space, {kVirt, 4096, false}, 20'000'000);
  EXPECT_EQ(r.error, smp::CallError::kTimedOut);
  EXPECT_EQ(r.missing, 1u);
}

// ---- The caller migrates between the mapping change and the shootdown (issue 10) ----------

constinit smp::LockClass kTestPageTableClass{"test-page-tables", smp::LockRank{20}};

// A stand-in for the kernel's page tables: one entry under an IRQ-saving lock.
struct FakePageTables {
  smp::TicketSpinLock<smp::IrqSave, kTestPageTableClass> lock;
  std::uint64_t entry = 0x1000;  // "mapped"
};

// What mm::kernel_unmap does (kernel/mm/kernel_space.cc): change the entry under the lock, drop
// the lock (the preemption point, where `preempted` runs), then shoot down. `flush_first`
// reproduces the order before the fix: a local flush under the lock.
smp::CallOutcome unmap_like_kernel(smp::CallService& calls, const smp::TlbCpuSet& space,
                                   FakePageTables& tables, bool flush_first,
                                   const std::function<void()>& preempted) {
  {
    smp::Guard guard{tables.lock};
    tables.entry = 0;
    if (flush_first) smp::flush_tlb_range_local({kVirt, 4096, false}, nullptr);
  }
  // Preemption is possible here: the lock is released and nothing else holds it off.
  EXPECT_EQ(platform::preempt_count(), 0u);
  EXPECT_TRUE(platform::irqs_enabled());
  preempted();
  return smp::tlb_shootdown(calls, space, {kVirt, 4096, false}, kHangGuardNs);
}

void migrate_and_check(bool flush_first) {
  CallMachine m(kCpus);
  // CPUs 1..3 idle and take IPIs; this thread is the task doing the unmap, on CPU 0.
  for (std::uint32_t c = 1; c < kCpus; ++c) m.start_poller(c);
  smp::TlbCpuSet space;
  for (std::uint32_t c = 0; c < kCpus; ++c) space.add(CpuNumber{c});  // all may cache it
  FakePageTables tables;
  // The scheduler moves the task from CPU 0 to CPU 1: CPU 1's idle poller steps aside, the
  // task continues there, and CPU 0 goes idle (a poller plays it from now on).
  auto migrate = [&] {
    m.stop_poller(1);
    platform::host::bind_cpu(CpuNumber{1});
    m.start_poller(0);
  };
  const smp::CallOutcome r = unmap_like_kernel(m.service(), space, tables, flush_first, migrate);
  EXPECT_TRUE(r.ok());
  // Every CPU that could hold the old translation dropped it, wherever the task ended up.
  for (std::uint32_t c = 0; c < kCpus; ++c) {
    EXPECT_TRUE(tlb_flushed(CpuNumber{c}, kVirt)) << "cpu " << c << " kept the old translation";
  }
  m.stop_poller(0);
}

TEST_F(TlbShootdownTest, CallerMigratingBeforeTheShootdownLeavesNoCpuUnflushed) {
  migrate_and_check(false);
}

// A caller still flushing locally first (the old order) is safe too: the shootdown flushes the
// CPU it runs on now in addition.
TEST_F(TlbShootdownTest, CallerThatFlushedLocallyAndMigratedLeavesNoCpuUnflushed) {
  migrate_and_check(true);
}

}  // namespace
