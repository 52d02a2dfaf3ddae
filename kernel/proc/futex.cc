#include "kernel/proc/futex.h"

#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"

namespace kproc {
namespace {

using namespace kabi;

// Rank 23: below the wait-queue lock (25) that a wake takes inside it, and below mutex-pi (24).
constinit smp::LockClass kFutexBucketClass{"futex-bucket", smp::LockRank{23}};
using BucketLock = smp::TicketSpinLock<smp::IrqSave, kFutexBucketClass>;

// What names a futex word: (address space, user address) for a private futex and for a shared
// one outside MAP_SHARED memory; (null, physical address) for a shared futex in MAP_SHARED
// memory, the same in every process that maps the page (kvm::AddressSpace::shared_futex_key).
struct Key {
  const kvm::AddressSpace* space = nullptr;
  std::uint64_t addr = 0;
  bool operator==(const Key&) const = default;
};

Key key_of(kvm::AddressSpace* space, std::uint64_t uaddr, bool shared) {
  std::uint64_t phys;
  if (shared && space->shared_futex_key(uaddr, &phys)) return Key{nullptr, phys};
  return Key{space, uaddr};
}

struct Waiter {
  Waiter* next = nullptr;
  Waiter* prev = nullptr;
  Key key;
  std::uint32_t bitset = 0;
  struct Bucket* bucket = nullptr;   // the bucket it is linked in (requeue moves it); null
                                     // once unlinked. Written under that bucket's lock.
  struct Bucket* home = nullptr;     // the last bucket it was linked in (kept after unlink)
  smp::Atomic<bool> woken{false};
  sched::WaitQueue queue;            // only this waiter sleeps on it
};

struct Bucket {
  BucketLock lock;
  Waiter head;  // sentinel of a circular list
  Bucket() { head.next = head.prev = &head; }
};

constexpr std::uint32_t kBuckets = 256;
Bucket g_buckets[kBuckets];
smp::Atomic<std::uint32_t> g_waiters{0};

std::uint32_t bucket_index(const Key& key) {
  // Fibonacci hashing of the address (2^64 / golden ratio), mixed with the space.
  const std::uint64_t k =
      reinterpret_cast<std::uint64_t>(key.space) ^ (key.addr * 0x9E3779B97F4A7C15ull);
  return static_cast<std::uint32_t>((k >> 32) ^ k) % kBuckets;
}

void link(Bucket& b, Waiter& w) {
  w.prev = b.head.prev;
  w.next = &b.head;
  b.head.prev->next = &w;
  b.head.prev = &w;
  __atomic_store_n(&w.bucket, &b, __ATOMIC_RELEASE);
  __atomic_store_n(&w.home, &b, __ATOMIC_RELEASE);
  g_waiters.fetch_add(1);
}

void unlink(Waiter& w) {
  w.prev->next = w.next;
  w.next->prev = w.prev;
  w.next = w.prev = nullptr;
  __atomic_store_n(&w.bucket, nullptr, __ATOMIC_RELEASE);
  g_waiters.fetch_sub(1);
}

// Reads the user word under a bucket lock (preemption off): a fault there cannot be served, so
// the copy fails instead, and the caller faults the page in without the lock and retries.
enum class Read : std::uint8_t { kOk, kFault };
Read read_word(std::uint64_t uaddr, std::uint32_t* value) {
  return arch::copy_from_user(value, uaddr, sizeof(*value)) ? Read::kOk : Read::kFault;
}

// Touches the word without any lock: populates its page, or tells a real fault.
bool fault_in(std::uint64_t uaddr) {
  std::uint32_t v;
  return arch::copy_from_user(&v, uaddr, sizeof(v));
}

bool valid_address(std::uint64_t uaddr) {
  return uaddr % 4 == 0 && arch::user_range_ok(uaddr, 4);
}

// The few retries a read under the lock gets after the page was faulted in (another CPU may
// unmap it between the two; then the caller gets EFAULT rather than a livelock).
constexpr int kFaultRetries = 4;

}  // namespace

std::int64_t futex_wait(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint32_t expected,
                        std::uint64_t deadline, std::uint32_t bitset, bool shared) {
  if (!valid_address(uaddr)) return uaddr % 4 != 0 ? -kEINVAL : -kEFAULT;
  if (bitset == 0) return -kEINVAL;
  Waiter w;
  w.key = key_of(space, uaddr, shared);
  w.bitset = bitset;
  Bucket* b = &g_buckets[bucket_index(w.key)];
  for (int attempt = 0;; ++attempt) {
    std::uint32_t value;
    Read r;
    {
      smp::Guard g{b->lock};
      r = read_word(uaddr, &value);
      if (r == Read::kOk) {
        if (value != expected) return -kEAGAIN;
        link(*b, w);
        break;
      }
    }
    if (attempt == kFaultRetries || !fault_in(uaddr)) return -kEFAULT;
  }
  sched::Scheduler& s = kthreads::scheduler();
  UserThread* self = current_user_thread();
  const bool woken = w.queue.wait_until(s, deadline == kNoFutexDeadline ? sched::kNoDeadline : deadline, [&] {
    return w.woken.load(std::memory_order_acquire) || interrupted(*self);
  });
  // Unlink under the lock of whichever bucket holds us now (a requeue may have moved us); a
  // waker that set `woken` did so under that lock, and is done with our queue once we hold it.
  for (;;) {
    Bucket* now = __atomic_load_n(&w.bucket, __ATOMIC_ACQUIRE);
    if (now == nullptr) {
      // A waker unlinked us, under the lock of our last bucket, which it holds until it is done
      // with our queue: take that lock once before the queue goes out of scope.
      Bucket* home = __atomic_load_n(&w.home, __ATOMIC_ACQUIRE);
      smp::Guard g{home->lock};
      break;
    }
    smp::Guard g{now->lock};
    if (w.bucket != now) continue;  // requeued meanwhile: follow it
    unlink(w);
    break;
  }
  if (w.woken.load(std::memory_order_acquire)) return 0;
  if (interrupted(*self)) return interrupted_result(*self);
  return woken ? 0 : -kETIMEDOUT;
}

std::int64_t futex_wake(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint32_t count,
                        std::uint32_t bitset, bool shared) {
  if (uaddr % 4 != 0) return -kEINVAL;
  if (bitset == 0) return -kEINVAL;
  const Key key = key_of(space, uaddr, shared);
  Bucket& b = g_buckets[bucket_index(key)];
  std::int64_t woken = 0;
  // The woken threads' CPUs are kicked once the bucket lock is free: each waiter takes it
  // again on its way out of futex_wait.
  sched::KickBatch kicks{kthreads::scheduler()};
  smp::Guard g{b.lock};
  for (Waiter* w = b.head.next; w != &b.head && woken < count;) {
    Waiter* next = w->next;
    if (w->key == key && (w->bitset & bitset) != 0) {
      unlink(*w);
      w->woken.store(true, std::memory_order_release);
      (void)w->queue.wake_all(kthreads::scheduler());
      ++woken;
    }
    w = next;
  }
  return woken;
}

namespace {

// The requeue with the bucket lock(s) held. `faulted`: the compare could not read the word.
std::int64_t requeue_locked(const Key& key1, const Key& key2, Bucket& b1, Bucket& b2,
                            std::uint64_t uaddr, std::uint32_t wake, std::uint32_t requeue,
                            bool compare, std::uint32_t expected, bool* faulted) {
  if (compare) {
    std::uint32_t value;
    if (read_word(uaddr, &value) == Read::kFault) {
      *faulted = true;
      return 0;
    }
    if (value != expected) return -kEAGAIN;
  }
  std::int64_t woken = 0;
  std::int64_t moved = 0;
  for (Waiter* w = b1.head.next; w != &b1.head;) {
    Waiter* next = w->next;
    if (w->key == key1) {
      if (woken < wake) {
        unlink(*w);
        w->woken.store(true, std::memory_order_release);
        (void)w->queue.wake_all(kthreads::scheduler());
        ++woken;
      } else if (moved < requeue) {
        if (&b1 != &b2) {
          unlink(*w);
          link(b2, *w);
        }
        w->key = key2;
        ++moved;
      } else {
        break;
      }
    }
    w = next;
  }
  return woken + moved;
}

}  // namespace

std::int64_t futex_requeue(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint64_t uaddr2,
                           std::uint32_t wake, std::uint32_t requeue, bool compare,
                           std::uint32_t expected, bool shared) {
  if (uaddr % 4 != 0 || uaddr2 % 4 != 0) return -kEINVAL;
  const Key key1 = key_of(space, uaddr, shared), key2 = key_of(space, uaddr2, shared);
  const std::uint32_t i1 = bucket_index(key1), i2 = bucket_index(key2);
  Bucket& b1 = g_buckets[i1];
  Bucket& b2 = g_buckets[i2];
  for (int attempt = 0;; ++attempt) {
    bool faulted = false;
    std::int64_t result;
    sched::KickBatch kicks{kthreads::scheduler()};  // as in futex_wake
    if (i1 == i2) {
      smp::Guard g{b1.lock};
      result = requeue_locked(key1, key2, b1, b2, uaddr, wake, requeue, compare, expected,
                              &faulted);
    } else {
      // Two locks of one class: lower bucket index first, as lockdep's NestKey requires.
      const std::uint32_t lo = i1 < i2 ? i1 : i2, hi = i1 < i2 ? i2 : i1;
      smp::Guard g1{g_buckets[lo].lock, smp::NestKey{lo}};
      smp::Guard g2{g_buckets[hi].lock, smp::NestKey{hi}};
      result = requeue_locked(key1, key2, b1, b2, uaddr, wake, requeue, compare, expected,
                              &faulted);
    }
    if (!faulted) return result;
    if (attempt == kFaultRetries || !fault_in(uaddr)) return -kEFAULT;
  }
}

std::uint32_t futex_waiters() { return g_waiters.load(); }

}  // namespace kproc
