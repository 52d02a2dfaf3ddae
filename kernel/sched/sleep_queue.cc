#include "kernel/sched/sleep_queue.h"

#include <new>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/sched/kernel_scheduler.h"
#include "kernel/time/clock.h"
#include "smp/locks/locks.h"

namespace ksched {
namespace {

// Rank 26: above nothing the sleeper holds (it holds none), below the runqueue locks (30) that
// the tick takes inside it to wake sleepers. Taken in the timer interrupt: IRQ-saving.
constinit smp::LockClass kSleepQueueLockClass{"sleep-queue", smp::LockRank{26}};
using SleepLock = smp::TicketSpinLock<smp::IrqSave, kSleepQueueLockClass>;

struct SleepEntry {
  SleepEntry* next = nullptr;
  SleepEntry* prev = nullptr;
  std::uint64_t deadline = 0;
  sched::Thread* thread = nullptr;
  bool queued = false;
};

struct alignas(64) SleepQueue {
  SleepQueue() { head.next = head.prev = &head; }
  SleepLock lock;
  SleepEntry head TA_GUARDED(lock);  // sentinel; entries in ascending deadline order
  std::uint32_t count TA_GUARDED(lock) = 0;
};

SleepQueue* g_queues = nullptr;
std::uint32_t g_count = 0;

void unlink(SleepQueue& q, SleepEntry& e) TA_REQ(q.lock) {
  e.prev->next = e.next;
  e.next->prev = e.prev;
  e.next = e.prev = nullptr;
  e.queued = false;
  --q.count;
}

void insert_sorted(SleepQueue& q, SleepEntry& e) TA_REQ(q.lock) {
  SleepEntry* after = q.head.prev;  // scan from the latest deadline: new sleeps tend to be late
  while (after != &q.head && after->deadline > e.deadline) after = after->prev;
  e.prev = after;
  e.next = after->next;
  after->next->prev = &e;
  after->next = &e;
  e.queued = true;
  ++q.count;
}

}  // namespace

bool init_sleep_queues(std::uint32_t cpus) {
  g_queues = new (std::nothrow) SleepQueue[cpus];
  g_count = cpus;
  return g_queues != nullptr;
}

void sleep_until(std::uint64_t deadline_ns) {
  if (ktime::now_ns() >= deadline_ns) return;
  sched::Thread* self = current();
  SleepEntry entry;
  entry.deadline = deadline_ns;
  entry.thread = self;
  SleepQueue* q;
  {
    // Interrupts off only to read a CPU number that is ours; any CPU's queue would be correct
    // (its tick expires it), this one's tick is simply the one that runs while we sleep here.
    const platform::IrqState s = platform::irq_save_disable();
    q = &g_queues[arch::current_cpu_number()];
    platform::irq_restore(s);
  }
  for (;;) {
    {
      smp::Guard g{q->lock};
      if (ktime::now_ns() >= deadline_ns) {
        if (entry.queued) unlink(*q, entry);
        return;
      }
      if (!entry.queued) insert_sorted(*q, entry);
      // Under the queue lock: the tick finds the entry only once we are kBlocked.
      sched::transition(*self, sched::ThreadState::kRunning, sched::ThreadState::kBlocked);
    }
    scheduler().schedule();
  }
}

void sleep_for(std::uint64_t ns) { sleep_until(ktime::now_ns() + ns); }

void expire_sleepers() {
  if (g_queues == nullptr) return;
  SleepQueue& q = g_queues[arch::current_cpu_number()];
  const std::uint64_t now = ktime::now_ns();
  smp::Guard g{q.lock};
  while (q.head.next != &q.head && q.head.next->deadline <= now) {
    SleepEntry& e = *q.head.next;
    sched::Thread* t = e.thread;
    // Unlink before waking: once awake the sleeper returns and its entry (on its stack) ends.
    unlink(q, e);
    scheduler().wake(*t);
  }
}

std::uint32_t sleepers_on(std::uint32_t cpu) {
  if (g_queues == nullptr || cpu >= g_count) return 0;
  smp::Guard g{g_queues[cpu].lock};
  return g_queues[cpu].count;
}

}  // namespace ksched
