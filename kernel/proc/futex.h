// Futexes (futex(2)): threads sleeping on a 32-bit word until another thread wakes that word.
// Waiters hang in a fixed hash table of buckets keyed by (address space, user address), or for
// a shared futex (no FUTEX_PRIVATE_FLAG) in MAP_SHARED memory by the word's physical address,
// so that processes mapping the same page meet (musl's process-shared mutexes and barriers);
// each bucket's spinlock orders "compare the word, then sleep" against "change the word, then
// wake", so no wake-up is lost (docs/user-space.md, "Futexes").
//
// `shared` below is the absence of FUTEX_PRIVATE_FLAG: the key is then looked up under the
// address space's lock (populating the page) before any bucket lock is taken.
#pragma once

#include <cstdint>

#include "kernel/vm/address_space.h"

namespace kproc {

inline constexpr std::uint32_t kFutexBitsetAll = 0xffffffff;
inline constexpr std::uint64_t kNoFutexDeadline = ~0ull;

// FUTEX_WAIT(_BITSET): sleeps if the word at `uaddr` still holds `expected`, until a wake that
// matches `bitset`, `deadline` (monotonic ns), or the process ends. Returns 0 when woken,
// -EAGAIN (the word differed), -ETIMEDOUT, -EINTR (the process is ending), -EFAULT, -EINVAL.
std::int64_t futex_wait(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint32_t expected,
                        std::uint64_t deadline, std::uint32_t bitset, bool shared = false);

// FUTEX_WAKE(_BITSET): wakes up to `count` waiters of `uaddr` whose bitset meets `bitset`.
// Returns how many, or -EINVAL.
std::int64_t futex_wake(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint32_t count,
                        std::uint32_t bitset, bool shared = false);

// FUTEX_(CMP_)REQUEUE: wakes up to `wake` waiters of `uaddr`, moves up to `requeue` of the
// rest to `uaddr2`. With `compare`, first checks that the word at `uaddr` holds `expected`
// (-EAGAIN otherwise). Returns woken + requeued, or -errno.
std::int64_t futex_requeue(kvm::AddressSpace* space, std::uint64_t uaddr, std::uint64_t uaddr2,
                           std::uint32_t wake, std::uint32_t requeue, bool compare,
                           std::uint32_t expected, bool shared = false);

// Waiters currently queued (leak checks).
std::uint32_t futex_waiters();

}  // namespace kproc
