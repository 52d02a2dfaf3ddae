/* The vvar page: the read-only page the kernel maps into every process just below the vDSO and
 * updates for it (docs/user-space.md, "The vDSO"). Shared by the kernel (C++, writer) and the
 * vDSO (C, reader), so plain C: fixed-width fields at fixed offsets, nothing else.
 *
 * Update protocol (a sequence count, as Linux's vdso_data->seq): the writer makes `seq` odd,
 * writes the fields, makes `seq` even again (release order each time). A reader takes `seq`
 * (acquire), retries while it is odd, reads the fields, and keeps them only when `seq` has not
 * changed meanwhile. */
#ifndef PLEIADES_KERNEL_VDSO_VVAR_H
#define PLEIADES_KERNEL_VDSO_VVAR_H

#include <stdint.h>

/* clock_mode: how the vDSO reads the clocks. */
#define PLEIADES_VCLOCK_NONE 0u /* every call is the system call */
#define PLEIADES_VCLOCK_TSC 1u  /* ns = (TSC * tsc_mult) >> tsc_shift, as ktime::now_ns() */

/* getcpu_mode: how the vDSO learns the CPU number (IA32_TSC_AUX = node << 12 | cpu, as Linux). */
#define PLEIADES_VGETCPU_NONE 0u   /* the system call */
#define PLEIADES_VGETCPU_RDPID 1u  /* RDPID reads IA32_TSC_AUX */
#define PLEIADES_VGETCPU_RDTSCP 2u /* RDTSCP's ECX is IA32_TSC_AUX */

/* The layout version the vDSO was built for; the kernel refuses a vDSO whose `pleiades_vvar_abi`
 * symbol says otherwise (kernel/vdso/vdso_image.h). */
#define PLEIADES_VVAR_ABI 1u

struct pleiades_vvar {
  uint32_t seq;         /* odd while the kernel writes */
  uint32_t clock_mode;  /* PLEIADES_VCLOCK_* */
  uint64_t tsc_mult;    /* CLOCK_MONOTONIC in ns = (TSC * tsc_mult) >> tsc_shift (128-bit product) */
  uint32_t tsc_shift;
  uint32_t getcpu_mode; /* PLEIADES_VGETCPU_*; written once, before the first process */
  /* CLOCK_REALTIME = CLOCK_MONOTONIC + realtime_offset_ns (mod 2^64, as ktime::realtime_ns()). */
  uint64_t realtime_offset_ns;
};

/* The clock fields of one update, as a reader takes them. */
struct pleiades_vclock {
  uint32_t mode;
  uint32_t shift;
  uint64_t mult;
  uint64_t realtime_offset_ns;
};

/* A reader that sees the kernel writing this many times in a row gives up (the caller makes the
 * system call): the wait is bounded even if a writer stopped halfway. */
#define PLEIADES_VVAR_MAX_TRIES 1000u

/* Takes the clock fields of one update into *out (the read side of the protocol above). 0 when
 * the kernel kept writing for PLEIADES_VVAR_MAX_TRIES tries. Any thread, any time. */
static inline int pleiades_vvar_snapshot(const struct pleiades_vvar* v, struct pleiades_vclock* out) {
  for (unsigned tries = 0; tries < PLEIADES_VVAR_MAX_TRIES; ++tries) {
    const uint32_t seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
    if (seq & 1u) {
      __builtin_ia32_pause();
      continue;
    }
    /* Acquire on every field (plain MOVs on x86): a field of a newer update implies its odd
     * count, stored before it, is seen by the re-read of `seq` below, which then differs; it
     * also keeps that re-read below the field loads (a trailing acquire fence's job, which
     * ThreadSanitizer cannot check; smp/locks/seqlock.h does the same). */
    out->mode = __atomic_load_n(&v->clock_mode, __ATOMIC_ACQUIRE);
    out->mult = __atomic_load_n(&v->tsc_mult, __ATOMIC_ACQUIRE);
    out->shift = __atomic_load_n(&v->tsc_shift, __ATOMIC_ACQUIRE);
    out->realtime_offset_ns = __atomic_load_n(&v->realtime_offset_ns, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&v->seq, __ATOMIC_RELAXED) == seq) return 1;
  }
  return 0;
}

/* The conversion both sides compute: (tsc * mult) >> shift of the 128-bit product, the low 64
 * bits kept (shift <= 64). */
static inline uint64_t pleiades_vvar_tsc_to_ns(uint64_t tsc, uint64_t mult, uint32_t shift) {
  const unsigned __int128 product = (unsigned __int128)tsc * mult;
  return (uint64_t)(product >> shift);
}

#endif
