// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// They expand to nothing on g++, which builds the tree; build once with
// `clang++ -Wthread-safety` to check them (docs/locking.md, "Static checking").
#pragma once

#if defined(__clang__)
#define PLEIADES_TA(x) __attribute__((x))
#else
#define PLEIADES_TA(x)
#endif

#define TA_CAP(name) PLEIADES_TA(capability(name))
#define TA_SCOPED_CAP PLEIADES_TA(scoped_lockable)
#define TA_GUARDED(lock) PLEIADES_TA(guarded_by(lock))
#define TA_PT_GUARDED(lock) PLEIADES_TA(pt_guarded_by(lock))
#define TA_ACQ(...) PLEIADES_TA(acquire_capability(__VA_ARGS__))
#define TA_ACQ_SHARED(...) PLEIADES_TA(acquire_shared_capability(__VA_ARGS__))
#define TA_TRY_ACQ(...) PLEIADES_TA(try_acquire_capability(__VA_ARGS__))
#define TA_TRY_ACQ_SHARED(...) PLEIADES_TA(try_acquire_shared_capability(__VA_ARGS__))
#define TA_REL(...) PLEIADES_TA(release_capability(__VA_ARGS__))
#define TA_REL_SHARED(...) PLEIADES_TA(release_shared_capability(__VA_ARGS__))
#define TA_REL_GENERIC(...) PLEIADES_TA(release_generic_capability(__VA_ARGS__))
#define TA_REQ(...) PLEIADES_TA(requires_capability(__VA_ARGS__))
#define TA_REQ_SHARED(...) PLEIADES_TA(requires_shared_capability(__VA_ARGS__))
#define TA_EXCL(...) PLEIADES_TA(locks_excluded(__VA_ARGS__))
#define TA_RET_CAP(x) PLEIADES_TA(lock_returned(x))
#define TA_NO_ANALYSIS PLEIADES_TA(no_thread_safety_analysis)
