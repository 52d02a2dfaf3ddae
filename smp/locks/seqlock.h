// SeqLock<T, Irq, Class>: a value that is written rarely under a lock and read often without
// one. Readers copy the value and retry if a writer was active meanwhile; they never block a
// writer and never see a half-written (torn) value.
//
//   smp::SeqLock<ClockSnapshot, smp::IrqSave, kClockClass> clock_;
//   clock_.write([&](ClockSnapshot& c) { c.base = now; c.mult = m; });
//   ClockSnapshot c = clock_.read();
//
// T must be trivially copyable. The value is kept as 64-bit atomic words and copied with
// relaxed/acquire/release word accesses: in the C++ memory model a seqlock whose data are plain
// variables has data races (undefined behaviour, and ThreadSanitizer reports them), while
// atomic words with the orderings below are race-free and compile to plain MOVs on x86.
// If readers may run in interrupt handlers, the writer must be IrqSave: a reader interrupting
// its own CPU's writer would otherwise spin forever on the odd sequence.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "smp/atomic.h"
#include "smp/locks/guard.h"
#include "smp/locks/spin_lock.h"
#include "smp/locks/ticket_lock.h"

namespace smp {

template <typename T, IrqPolicy Irq, LockClass& Class>
class SeqLock {
  static_assert(std::is_trivially_copyable_v<T>, "SeqLock copies T word by word");

 public:
  constexpr SeqLock() = default;
  explicit SeqLock(const T& initial) { store_words(initial, std::memory_order_relaxed); }
  SeqLock(const SeqLock&) = delete;
  SeqLock& operator=(const SeqLock&) = delete;

  // A consistent copy of the value. Spins while a writer is active (bounded by the writer's
  // hold, reported as a stall past the spin limit).
  T read() const {
    SpinWait wait(this, &Class, nullptr);
    for (;;) {
      T out;
      if (try_read(out)) return out;
      wait.pause();
    }
  }

  // One attempt: true and a consistent copy, or false if a writer was active meanwhile.
  bool try_read(T& out) const {
    // Acquire: pairs with the writer's final release store of the even sequence, so the word
    // loads below see at least that write's data.
    const std::uint32_t before = seq_.load(std::memory_order_acquire);
    if (before & 1) return false;  // a write is in progress
    std::uint64_t copy[kWords];
    for (std::size_t i = 0; i < kWords; ++i) {
      // Acquire on every word: if this load sees a store of a newer write, that write's
      // earlier odd-sequence store happens before our re-read of seq_ below, which therefore
      // differs from `before` and we retry. It also keeps the re-read from moving up above
      // the word loads (the job a trailing acquire fence does in the textbook version).
      copy[i] = words_[i].load(std::memory_order_acquire);
    }
    // Relaxed is enough: the acquire word loads above already order this load after them.
    if (seq_.load(std::memory_order_relaxed) != before) return false;
    __builtin_memcpy(&out, copy, sizeof(T));
    return true;
  }

  // Replaces the value by `f(copy)` under the writer lock; readers see all of it or none.
  template <typename F>
  void write(F&& f, Site site = Site::here()) {
    Guard guard{writer_lock_, site};
    T value = load_words();  // only writers write the words, and we exclude them
    static_cast<F&&>(f)(value);
    publish(value);
  }

  void store(const T& value, Site site = Site::here()) {
    Guard guard{writer_lock_, site};
    publish(value);
  }

  // Completed writes times two (odd while a write is in progress): for tests and for readers
  // that want to know whether anything changed since last time.
  std::uint32_t sequence() const { return seq_.load(std::memory_order_acquire); }

 private:
  static constexpr std::size_t kWords = (sizeof(T) + 7) / 8;

  void publish(const T& value) {
    // Only the lock holder writes seq_, so a relaxed read of our own last value is exact.
    const std::uint32_t s = seq_.load(std::memory_order_relaxed);
    // Relaxed: this store is ordered before the data stores by their release order below.
    seq_.store(s + 1, std::memory_order_relaxed);
    // Release on each word store: a reader that sees this word also sees the odd sequence
    // stored above (and retries). This replaces the release fence after the odd store.
    store_words(value, std::memory_order_release);
    // Release: a reader that sees the even sequence sees every word stored above.
    seq_.store(s + 2, std::memory_order_release);
  }

  void store_words(const T& value, std::memory_order order) {
    std::uint64_t copy[kWords] = {};
    __builtin_memcpy(copy, &value, sizeof(T));
    for (std::size_t i = 0; i < kWords; ++i) words_[i].store(copy[i], order);
  }

  T load_words() const {
    std::uint64_t copy[kWords];
    // Relaxed: called under the writer lock; the lock's acquire ordered the previous
    // writer's stores before these loads.
    for (std::size_t i = 0; i < kWords; ++i) copy[i] = words_[i].load(std::memory_order_relaxed);
    T out;
    __builtin_memcpy(&out, copy, sizeof(T));
    return out;
  }

  SpinLock<raw::TicketLock, Irq, Class> writer_lock_;
  Atomic<std::uint32_t> seq_{0};
  Atomic<std::uint64_t> words_[kWords] = {};
};

}  // namespace smp
