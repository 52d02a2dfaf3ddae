// raw::RwLock: a writer-preferring reader-writer spinlock in two 32-bit words of one line.
//
//   writer_   1 while a writer holds the lock *or has claimed it and waits for readers to leave*
//   readers_  readers inside, plus readers that are checking whether they may enter
//
// A writer first claims writer_ (test-and-set), then waits for readers_ to drain. A reader
// increments readers_ and then re-reads writer_: if a writer has claimed the lock meanwhile, the
// reader takes its increment back and waits for writer_ to clear before trying again. So from
// the moment a writer has claimed the lock, every reader increments readers_ at most once more
// and leaves again at once: a continuous stream of readers cannot starve a writer. The price is
// the reverse: a continuous stream of writers starves readers (docs/locking.md: use it for
// read-mostly data), and writers among themselves are unordered (test-and-set).
//
// The claim and the increment are the two halves of a Dekker handshake (each side writes its
// word, then reads the other's): they are sequentially consistent, which on x86 costs nothing
// beyond the locked instruction every RMW is anyway. Costs (as ck_rwlock, whose design this
// is): reader lock = one locked add and two loads, reader unlock = one locked add; writer lock
// = one exchange and a load, writer unlock = a plain store. The previous single-word layout
// needed a CAS per reader and three locked operations per write (announce, take, release).
//
// readers_ counts readers that are checking too, so readers() may be briefly non-zero while a
// writer holds the lock (a reader that is backing out); it is a diagnostic, not a proof.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp::raw {

class TA_CAP("rwlock") RwLock {
 public:
  constexpr RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  bool try_acquire_shared() TA_TRY_ACQ_SHARED(true) {
    // Relaxed pre-check: only keeps a reader from bumping the count under a writer.
    if (writer_.load(std::memory_order_relaxed) != 0) return false;
    return enter_shared();
  }

  void acquire_shared(SpinWait& wait) TA_ACQ_SHARED() {
    for (;;) {
      // Relaxed: a hint; enter_shared() re-checks with the ordering that matters.
      while (writer_.load(std::memory_order_relaxed) != 0) wait.pause();
      if (enter_shared()) return;
    }
  }

  void release_shared() TA_REL_SHARED() {
    // Release: the reader's loads happen before a writer's acquire sees the count drop, so
    // the writer cannot overwrite data a reader is still reading. The count cannot overflow:
    // it would take 2^32 readers at once.
    readers_.fetch_sub(1, std::memory_order_release);
  }

  bool try_acquire() TA_TRY_ACQ(true) {
    if (!claim()) return false;
    // Seq_cst: the reading half of the writer's Dekker handshake (see enter_shared); acquire:
    // pairs with the release decrements of the readers that were inside.
    if (readers_.load(std::memory_order_seq_cst) == 0) return true;
    // Readers inside: give the claim back. Release: pairs with a reader's acquire of writer_;
    // nothing was written, but it keeps every store of 0 to writer_ a release.
    writer_.store(0, std::memory_order_release);
    return false;
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    // From the claim on no new reader enters (enter_shared backs out).
    while (!claim()) wait.pause();
    // Seq_cst and acquire as in try_acquire(). Readers that are backing out leave at once;
    // readers inside leave when they are done: this terminates under any reader load.
    while (readers_.load(std::memory_order_seq_cst) != 0) wait.pause();
  }

  void release() TA_REL() {
    // Release: the writer's stores happen before the next reader's or writer's acquire of
    // writer_. A plain store: only the holder writes writer_ while it is 1.
    writer_.store(0, std::memory_order_release);
  }

  // Diagnostics and tests.
  bool is_locked() const {
    return writer_.load(std::memory_order_relaxed) != 0 ||
           readers_.load(std::memory_order_relaxed) != 0;
  }
  // Readers inside or about to back out (see above).
  std::uint32_t readers() const { return readers_.load(std::memory_order_relaxed); }
  // A writer holds the lock or has claimed it.
  bool writer_claimed() const { return writer_.load(std::memory_order_relaxed) != 0; }

 private:
  // Test-and-test-and-set of writer_: the relaxed load keeps a waiting writer from writing
  // the line readers poll. Seq_cst exchange: the writing half of the writer's Dekker
  // handshake; acquire: pairs with the previous writer's release store.
  bool claim() {
    return writer_.load(std::memory_order_relaxed) == 0 &&
           writer_.exchange(1, std::memory_order_seq_cst) == 0;
  }

  // The reader's half of the handshake: announce, then look for a writer. Both seq_cst: with
  // the writer's exchange + load they form a Dekker pair, so either the reader sees the claim
  // or the writer sees the reader (never neither). The load is also the reader's acquire: a 0
  // was stored by a writer's release().
  bool enter_shared() {
    readers_.fetch_add(1, std::memory_order_seq_cst);
    if (writer_.load(std::memory_order_seq_cst) == 0) return true;
    // A writer claimed the lock: back out. Relaxed: nothing was read under the lock; the RMW
    // still continues the release sequence the writer's acquire load reads from.
    readers_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }

  Atomic<std::uint32_t> writer_{0};
  Atomic<std::uint32_t> readers_{0};
};

}  // namespace smp::raw
