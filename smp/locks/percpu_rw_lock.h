// raw::PercpuRwLock<kSlots>: a writer-preferring reader-writer spinlock whose readers scale
// (the "big-reader" lock: Linux's brlock, the fast path of percpu_rw_semaphore).
//
//   writer_        1 while a writer holds the lock *or has claimed it and waits for readers*;
//                  alone on its cache line, which readers only read
//   slots_[s]      readers inside (or checking whether they may enter) on the CPUs of slot s;
//                  one cache line per slot, written only by those CPUs' readers
//
// A reader increments its CPU's slot, then reads writer_; if a writer has claimed the lock it
// takes the increment back and waits for writer_ to clear. A writer claims writer_
// (test-and-test-and-set, as raw::RwLock), then waits for every slot to drain. So the protocol
// is raw::RwLock's with the one reader counter split per CPU: readers on different CPUs write
// different lines and a read lock no longer bounces a line between CPUs; the price is that a
// writer reads kSlots lines. Writer preference and freedom from reader starvation of writers are
// as in raw::RwLock (rw_lock.h, docs/locking.md "The per-CPU reader-writer lock").
//
// Memory ordering. Reader: increment-then-load-flag; writer: claim-then-load-counts. Each side
// stores to its word and then loads the other's: a store-then-load (Dekker) pattern that only a
// full fence orders, so all four are seq_cst (on x86 the RMWs are locked instructions, which are
// full fences, and the loads are plain MOVs: nothing extra is emitted). In the single total order
// S either the reader's increment precedes the writer's load of that slot (the writer waits for
// the reader) or the writer's claim precedes the reader's load of writer_ (the reader backs
// out): never neither. The writer may check the slots one after another: a reader that
// increments a slot after the writer has seen it at 0 comes after the claim in S and backs out.
//
// Slots. A reader uses slot `cpu % kSlots`. kSlots is a template parameter (a power of two;
// default kPercpuRwDefaultSlots = 64, i.e. 64 * 64 B = 4 KiB + one line per lock): with more
// CPUs than slots, CPUs share a slot (still correct — the counts are atomic — but those CPUs'
// readers share a line again). The writer always scans all kSlots (not cpu_count()): a CPU being
// brought up needs no ordering against a writer, and kSlots is a compile-time bound.
//
// The caller passes the CPU number: it must be the same at release_shared as at acquire (the
// lock wrapper holds preemption off for the hold, so current_cpu() is stable; on the host
// several threads may play one CPU, which only makes them share a slot).
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp::raw {

inline constexpr std::uint32_t kPercpuRwDefaultSlots = 64;

template <std::uint32_t kSlots = kPercpuRwDefaultSlots>
class TA_CAP("rwlock") PercpuRwLock {
  static_assert(kSlots > 0 && (kSlots & (kSlots - 1)) == 0, "kSlots must be a power of two");

 public:
  static constexpr std::uint32_t kSlotCount = kSlots;
  static constexpr std::uint32_t slot_of(std::uint32_t cpu) { return cpu & (kSlots - 1); }

  constexpr PercpuRwLock() = default;
  PercpuRwLock(const PercpuRwLock&) = delete;
  PercpuRwLock& operator=(const PercpuRwLock&) = delete;

  // Takes a read lock for CPU `cpu` unless a writer holds or has claimed the lock.
  bool try_acquire_shared(std::uint32_t cpu) TA_TRY_ACQ_SHARED(true) {
    // Relaxed pre-check: only keeps a reader from bumping its count under a writer.
    if (writer_.load(std::memory_order_relaxed) != 0) return false;
    return enter_shared(slots_[slot_of(cpu)].readers);
  }

  void acquire_shared(std::uint32_t cpu, SpinWait& wait) TA_ACQ_SHARED() {
    Atomic<std::uint32_t>& count = slots_[slot_of(cpu)].readers;
    for (;;) {
      // Relaxed: a hint; enter_shared() re-checks with the ordering that matters.
      while (writer_.load(std::memory_order_relaxed) != 0) wait.pause();
      if (enter_shared(count)) return;
    }
  }

  // `cpu` must be the one given to the acquire.
  void release_shared(std::uint32_t cpu) TA_REL_SHARED() {
    // Release: the reader's loads happen before a writer's acquire load sees the count drop, so
    // the writer cannot overwrite data a reader is still reading.
    slots_[slot_of(cpu)].readers.fetch_sub(1, std::memory_order_release);
  }

  bool try_acquire() TA_TRY_ACQ(true) {
    if (!claim()) return false;
    for (const Slot& slot : slots_) {
      // Seq_cst: the reading half of the writer's handshake (see enter_shared); acquire: pairs
      // with the release decrements of the readers that were inside.
      if (slot.readers.load(std::memory_order_seq_cst) != 0) {
        // Readers inside: give the claim back. Release: keeps every store of 0 a release.
        writer_.store(0, std::memory_order_release);
        return false;
      }
    }
    return true;
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    // From the claim on no new reader enters (enter_shared backs out).
    while (!claim()) wait.pause();
    // Seq_cst and acquire as in try_acquire(). Slot by slot: a reader arriving at a slot
    // already seen empty backs out (see the header). Readers inside leave when done, readers
    // backing out at once: this terminates under any reader load.
    for (const Slot& slot : slots_) {
      while (slot.readers.load(std::memory_order_seq_cst) != 0) wait.pause();
    }
  }

  void release() TA_REL() {
    // Release: the writer's stores happen before the next reader's or writer's acquire of
    // writer_. A plain store: only the holder writes writer_ while it is 1.
    writer_.store(0, std::memory_order_release);
  }

  // Diagnostics and tests (relaxed snapshots, not proofs).
  bool is_locked() const { return writer_claimed() || readers() != 0; }
  // Readers inside or about to back out, summed over all slots.
  std::uint32_t readers() const {
    std::uint32_t sum = 0;
    for (const Slot& slot : slots_) sum += slot.readers.load(std::memory_order_relaxed);
    return sum;
  }
  // A writer holds the lock or has claimed it.
  bool writer_claimed() const { return writer_.load(std::memory_order_relaxed) != 0; }

 private:
  struct alignas(64) Slot {
    Atomic<std::uint32_t> readers{0};
  };

  // Test-and-test-and-set: the relaxed load keeps a waiting writer from writing the line every
  // reader polls. Seq_cst exchange: the writing half of the writer's handshake; acquire: pairs
  // with the previous writer's release store.
  bool claim() {
    return writer_.load(std::memory_order_relaxed) == 0 &&
           writer_.exchange(1, std::memory_order_seq_cst) == 0;
  }

  // The reader's half: announce on its own slot, then look for a writer. Both seq_cst (see the
  // header). The load is also the reader's acquire: a 0 was stored by a writer's release.
  bool enter_shared(Atomic<std::uint32_t>& count) {
    count.fetch_add(1, std::memory_order_seq_cst);
    if (writer_.load(std::memory_order_seq_cst) == 0) return true;
    // A writer claimed the lock: back out. Relaxed: nothing was read under the lock; the RMW
    // still continues the release sequence the writer's acquire load reads from.
    count.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }

  alignas(64) Atomic<std::uint32_t> writer_{0};
  Slot slots_[kSlots];
};

}  // namespace smp::raw
