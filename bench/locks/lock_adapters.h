// Every benchmarked lock behind the same shape: lock() / unlock() (and lock_shared /
// unlock_shared for reader-writer locks), each out of line. The Concurrency Kit peers must be
// called through functions (ck_peers.c is C), so ours are too: every row pays the same call.
#pragma once

#include <pthread.h>

#include <mutex>
#include <shared_mutex>

#include "bench/locks/ck_peers.h"
#include "smp/locks/locks.h"

namespace lockbench {

#define LOCKBENCH_NOINLINE __attribute__((noinline))

inline constinit smp::LockClass kBenchClass{"bench", smp::LockRank{0}};

struct OursTicket {
  static constexpr const char* kName = "ours:ticket";
  smp::raw::TicketLock l;
  LOCKBENCH_NOINLINE void lock() { l.acquire(); }
  LOCKBENCH_NOINLINE void unlock() { l.release(); }
};

struct OursMcs {
  static constexpr const char* kName = "ours:mcs";
  smp::raw::McsLock l;
  LOCKBENCH_NOINLINE void lock() { l.acquire(); }
  LOCKBENCH_NOINLINE void unlock() { l.release(); }
};

struct OursTas {
  static constexpr const char* kName = "ours:tas-backoff";
  smp::raw::TasLock l;
  LOCKBENCH_NOINLINE void lock() { l.acquire(); }
  LOCKBENCH_NOINLINE void unlock() { l.release(); }
};

// The full wrapper: preemption count, IRQ policy, holder tracking, and whatever lockdep /
// lockstat / spin-limit options the build has (scripts/bench turns them off).
struct OursTicketGuarded {
  static constexpr const char* kName = "ours:ticket-wrapped";
  smp::TicketSpinLock<smp::NoIrqSave, kBenchClass> l;
  smp::LockToken token;
  LOCKBENCH_NOINLINE void lock() { token = l.acquire(); }
  LOCKBENCH_NOINLINE void unlock() { l.release(token); }
};

struct CkTicket {
  static constexpr const char* kName = "ck:ticket";
  ck_peer_lock l;
  CkTicket() { ck_peer_ticket_init(&l); }
  void lock() { ck_peer_ticket_lock(&l); }
  void unlock() { ck_peer_ticket_unlock(&l); }
};

struct CkMcs {
  static constexpr const char* kName = "ck:mcs";
  ck_peer_lock l;
  static inline thread_local ck_peer_mcs_node node;
  CkMcs() { ck_peer_mcs_init(&l); }
  void lock() { ck_peer_mcs_lock(&l, &node); }
  void unlock() { ck_peer_mcs_unlock(&l, &node); }
};

struct CkFas {
  static constexpr const char* kName = "ck:fas-backoff";
  ck_peer_lock l;
  CkFas() { ck_peer_fas_init(&l); }
  void lock() { ck_peer_fas_lock(&l); }
  void unlock() { ck_peer_fas_unlock(&l); }
};

struct PthreadSpin {
  static constexpr const char* kName = "pthread_spin";
  alignas(64) pthread_spinlock_t l;
  PthreadSpin() { pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE); }
  ~PthreadSpin() { pthread_spin_destroy(&l); }
  void lock() { pthread_spin_lock(&l); }
  void unlock() { pthread_spin_unlock(&l); }
};

struct StdMutex {
  static constexpr const char* kName = "std::mutex";
  alignas(64) std::mutex l;
  void lock() { l.lock(); }
  void unlock() { l.unlock(); }
};

// Reader-writer locks.
struct OursRw {
  static constexpr const char* kName = "ours:rw";
  smp::raw::RwLock l;
  LOCKBENCH_NOINLINE void lock() {
    smp::SpinWait w(&l, nullptr, nullptr);
    l.acquire(w);
  }
  LOCKBENCH_NOINLINE void unlock() { l.release(); }
  LOCKBENCH_NOINLINE void lock_shared() {
    smp::SpinWait w(&l, nullptr, nullptr);
    if (!l.try_acquire_shared()) l.acquire_shared(w);
  }
  LOCKBENCH_NOINLINE void unlock_shared() { l.release_shared(); }
};

// One reader count per CPU (smp/locks/percpu_rw_lock.h). The slot is the CPU the calling
// thread plays: rw_mix binds bench thread i to CPU i, as each would be a CPU in the kernel.
struct OursPercpuRw {
  static constexpr const char* kName = "ours:rw-percpu";
  smp::raw::PercpuRwLock<> l;
  LOCKBENCH_NOINLINE void lock() {
    smp::SpinWait w(&l, nullptr, nullptr);
    l.acquire(w);
  }
  LOCKBENCH_NOINLINE void unlock() { l.release(); }
  LOCKBENCH_NOINLINE void lock_shared() {
    const std::uint32_t cpu = platform::to_index(platform::current_cpu());
    smp::SpinWait w(&l, nullptr, nullptr);
    if (!l.try_acquire_shared(cpu)) l.acquire_shared(cpu, w);
  }
  LOCKBENCH_NOINLINE void unlock_shared() {
    l.release_shared(platform::to_index(platform::current_cpu()));
  }
};

struct CkRw {
  static constexpr const char* kName = "ck:rwlock";
  ck_peer_lock l;
  CkRw() { ck_peer_rw_init(&l); }
  void lock() { ck_peer_rw_write_lock(&l); }
  void unlock() { ck_peer_rw_write_unlock(&l); }
  void lock_shared() { ck_peer_rw_read_lock(&l); }
  void unlock_shared() { ck_peer_rw_read_unlock(&l); }
};

struct PthreadRw {
  static constexpr const char* kName = "pthread_rwlock";
  alignas(64) pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
  void lock() { pthread_rwlock_wrlock(&l); }
  void unlock() { pthread_rwlock_unlock(&l); }
  void lock_shared() { pthread_rwlock_rdlock(&l); }
  void unlock_shared() { pthread_rwlock_unlock(&l); }
};

struct StdSharedMutex {
  static constexpr const char* kName = "std::shared_mutex";
  alignas(64) std::shared_mutex l;
  void lock() { l.lock(); }
  void unlock() { l.unlock(); }
  void lock_shared() { l.lock_shared(); }
  void unlock_shared() { l.unlock_shared(); }
};

}  // namespace lockbench
