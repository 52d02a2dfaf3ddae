// Lock torture on every online CPU: each CPU (the APs from their call service, the boot CPU
// from the test) hammers a ticket lock, an MCS lock, a reader-writer lock and a seqlock that
// guard shared pairs of counters, checking the pair invariant inside every critical section or
// read, and the totals at the end. Bounded: a fixed number of critical sections per lock, shared
// among the CPUs, and a deadline.
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"
#include "smp/locks/locks.h"

namespace {

// Rounds of all CPUs together. Fixed, not per CPU: every round hands the FIFO locks to the next
// waiter, and with more vCPUs than host cores each handover may wait for the host to run that
// waiter's vCPU, so the test's time grows with its handovers, not with the CPUs' speed.
constexpr std::uint32_t kTotalRounds = 1200;
constexpr std::uint32_t kMinRounds = 50;  // per CPU, so each one still contends
std::uint32_t g_rounds = kMinRounds;      // per CPU, set by the test before the CPUs start
constexpr std::uint64_t kWaitNs = 20'000'000'000;  // a bound, not the expected time (TCG on a loaded host)

constinit smp::LockClass kTortureTicket{"torture-ticket", smp::LockRank{0}};
constinit smp::LockClass kTortureMcs{"torture-mcs", smp::LockRank{0}};
constinit smp::LockClass kTortureRw{"torture-rw", smp::LockRank{0}};
constinit smp::LockClass kTortureSeq{"torture-seq", smp::LockRank{0}};

// Pairs whose halves must always be equal to a reader holding the lock. Plain fields for the
// exclusive locks (the lock orders them); relaxed atomics under the rw lock because readers
// run concurrently with each other (not with writers).
struct Pair {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};
smp::TicketSpinLock<smp::IrqSave, kTortureTicket> g_ticket;
Pair g_ticket_pair;
smp::McsSpinLock<smp::IrqSave, kTortureMcs> g_mcs;
Pair g_mcs_pair;
smp::RwSpinLock<smp::IrqSave, kTortureRw> g_rw;
std::atomic<std::uint64_t> g_rw_a{0}, g_rw_b{0};
struct SeqPair {
  std::uint64_t a;
  std::uint64_t b;
};
smp::SeqLock<SeqPair, smp::IrqSave, kTortureSeq> g_seq;

std::atomic<std::uint32_t> g_violations{0};
std::atomic<std::uint32_t> g_ready{0};
std::atomic<bool> g_go{false};
std::atomic<std::uint32_t> g_done{0};
std::atomic<std::uint64_t> g_rw_writes{0}, g_seq_writes{0};

void torture() {
  g_ready.fetch_add(1);
  const std::uint64_t start_deadline = ktime::now_ns() + kWaitNs;
  // Start together, so the CPUs really contend.
  while (!g_go.load(std::memory_order_acquire) && ktime::now_ns() < start_deadline) arch::pause();
  const std::uint32_t self = arch::current_cpu_index();
  const std::uint32_t rounds = g_rounds;
  for (std::uint32_t i = 0; i < rounds; ++i) {
    {
      smp::Guard g{g_ticket};
      if (g_ticket_pair.a != g_ticket_pair.b) g_violations.fetch_add(1);
      ++g_ticket_pair.a;
      ++g_ticket_pair.b;
    }
    {
      smp::Guard g{g_mcs};
      if (g_mcs_pair.a != g_mcs_pair.b) g_violations.fetch_add(1);
      ++g_mcs_pair.a;
      ++g_mcs_pair.b;
    }
    if ((i + self) % 8 == 0) {
      smp::Guard g{g_rw};
      const std::uint64_t v = g_rw_a.load(std::memory_order_relaxed) + 1;
      g_rw_a.store(v, std::memory_order_relaxed);
      g_rw_b.store(v, std::memory_order_relaxed);
      g_rw_writes.fetch_add(1, std::memory_order_relaxed);
    } else {
      smp::ReadGuard g{g_rw};
      if (g_rw_a.load(std::memory_order_relaxed) != g_rw_b.load(std::memory_order_relaxed)) {
        g_violations.fetch_add(1);
      }
    }
    if ((i + self) % 16 == 0) {
      g_seq.write([](SeqPair& p) {
        ++p.a;
        ++p.b;
      });
      g_seq_writes.fetch_add(1, std::memory_order_relaxed);
    } else {
      const SeqPair p = g_seq.read();
      if (p.a != p.b) g_violations.fetch_add(1);
    }
  }
  g_done.fetch_add(1, std::memory_order_release);
}

void torture_call(const smp::CallArgs&) { torture(); }

}  // namespace

KTEST(lock_torture_every_cpu) {
  g_violations.store(0);
  g_ready.store(0);
  g_done.store(0);
  g_go.store(false);
  g_rw_writes.store(0);
  g_seq_writes.store(0);
  const std::uint64_t ticket0 = g_ticket_pair.a, mcs0 = g_mcs_pair.a, rw0 = g_rw_a.load();
  const std::uint64_t seq0 = g_seq.read().a;
  const std::uint32_t cpus = kcpus::online_cpu_count();
  g_rounds = kTotalRounds / cpus > kMinRounds ? kTotalRounds / cpus : kMinRounds;
  // The call below publishes g_rounds to the APs (the queue lock orders it before they run).
  KCHECK(kcpus::call_on_all_but_self(torture_call, {}, smp::CallMode::kAsync));
  const std::uint64_t deadline = ktime::now_ns() + kWaitNs;
  while (g_ready.load() < cpus - 1 && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(g_ready.load(), cpus - 1);
  g_go.store(true, std::memory_order_release);
  torture();
  while (g_done.load(std::memory_order_acquire) < cpus && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(g_done.load(), cpus);
  KCHECK_EQ(g_violations.load(), 0u);
  {
    smp::Guard g{g_ticket};
    KCHECK_EQ(g_ticket_pair.a - ticket0, std::uint64_t{cpus} * g_rounds);
  }
  {
    smp::Guard g{g_mcs};
    KCHECK_EQ(g_mcs_pair.b - mcs0, std::uint64_t{cpus} * g_rounds);
  }
  KCHECK_EQ(g_rw_a.load() - rw0, g_rw_writes.load());
  const SeqPair p = g_seq.read();
  KCHECK_EQ(p.a - seq0, g_seq_writes.load());
  KCHECK_EQ(p.a, p.b);
}
