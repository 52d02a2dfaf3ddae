// Lock statistics per lock class (PLEIADES_LOCKSTAT): acquisitions, contended acquisitions,
// longest and mean wait, longest and mean hold, in platform::cycles(). The lock wrappers call
// record_*; print() writes the table through a caller's sink. Counters are relaxed atomics: a
// table read while CPUs run may mix counts from slightly different moments.
#pragma once

#include <cstdint>

#include "smp/klib/format.h"
#include "smp/locks/lock_class.h"

namespace smp::lockstat {

// One acquisition; `wait_cycles` is 0 when it was not contended.
void record_acquire(LockClass& cls, bool contended, std::uint64_t wait_cycles);
// One completed hold.
void record_hold(LockClass& cls, std::uint64_t hold_cycles);

// Writes one line per registered class:
//   class  acq  contended  wait-max  wait-mean  hold-max  hold-mean
// Takes no locks. `sink` must accept writes from the calling context.
void print(fmt::Sink& sink);

// Zeroes every registered class's counters (tests; measuring one phase of a benchmark).
void reset();

}  // namespace smp::lockstat
