// Compile-time switches of the lock library, set by CMake (smp/CMakeLists.txt):
//   PLEIADES_LOCKDEP          1: lock-order and IRQ-context checking (smp/lockdep/)
//   PLEIADES_LOCKSTAT         1: per-class acquisition, contention, wait and hold statistics
//   PLEIADES_LOCK_SPIN_LIMIT  cycles a spin may last before it is reported as a stall; 0: never
// Read them through these constants with `if constexpr`, never with #if in the lock code.
#pragma once

#include <cstdint>

#ifndef PLEIADES_LOCKDEP
#define PLEIADES_LOCKDEP 0
#endif
#ifndef PLEIADES_LOCKSTAT
#define PLEIADES_LOCKSTAT 0
#endif
#ifndef PLEIADES_LOCK_SPIN_LIMIT
#define PLEIADES_LOCK_SPIN_LIMIT 0
#endif

namespace smp {

inline constexpr bool kLockdep = PLEIADES_LOCKDEP != 0;
inline constexpr bool kLockstat = PLEIADES_LOCKSTAT != 0;
inline constexpr std::uint64_t kDefaultSpinLimit = PLEIADES_LOCK_SPIN_LIMIT;
inline constexpr bool kSpinCheck = kDefaultSpinLimit != 0;
// A lock records which CPU holds it when something may need to report it.
inline constexpr bool kTrackHolder = kLockdep || kSpinCheck;

}  // namespace smp
