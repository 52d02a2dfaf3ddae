// Compile-time switches of the scheduler, set by CMake (sched/CMakeLists.txt):
//   PLEIADES_SCHED_CHECKS  1: invariant checks (state transitions, on-CPU flag, scheduling while
//                          atomic) reported through the bug hook (sched/thread_state.h)
//   PLEIADES_SCHED_XSAVE   1: the scheduler saves and restores the extended FPU state (XSAVE,
//                          or FXSAVE) of threads that own a save area (sched/arch/x86_64/xsave.h)
// Read through these constants with `if constexpr`, as smp/locks/config.h does.
#pragma once

#ifndef PLEIADES_SCHED_CHECKS
#define PLEIADES_SCHED_CHECKS 1
#endif
#ifndef PLEIADES_SCHED_XSAVE
#define PLEIADES_SCHED_XSAVE 1
#endif

namespace sched {

inline constexpr bool kChecks = PLEIADES_SCHED_CHECKS != 0;
inline constexpr bool kSwitchExtendedState = PLEIADES_SCHED_XSAVE != 0;

}  // namespace sched
