/* The vDSO: user-space code the kernel maps into every process (docs/user-space.md, "The
 * vDSO"). It answers clock_gettime, gettimeofday, time, clock_getres and getcpu without a system
 * call where the vvar page (vvar.h) says it can, and makes the system call itself otherwise, so
 * its answers are always the kernel's. Freestanding, position independent, no relocations, no
 * writable data: built by kernel/vdso/CMakeLists.txt, checked at boot by vdso_image.cc. */
#include <stdint.h>

#include "kernel/vdso/vvar.h"

/* The vvar page, one page below the vDSO (vdso.lds): hidden, so every access is RIP-relative. */
extern const struct pleiades_vvar pleiades_vvar_page __attribute__((visibility("hidden")));

/* What the kernel checks before it maps this vDSO: the vvar layout it was built for. */
__attribute__((used)) const uint32_t pleiades_vvar_abi = PLEIADES_VVAR_ABI;

struct kernel_timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
struct kernel_timeval {
  int64_t tv_sec;
  int64_t tv_usec;
};

enum {
  kSysGettimeofday = 96,
  kSysTime = 201,
  kSysClockGettime = 228,
  kSysClockGetres = 229,
  kSysGetcpu = 309,
};
enum {
  kClockRealtime = 0,
  kClockMonotonic = 1,
  kClockMonotonicRaw = 4,
  kClockRealtimeCoarse = 5,
  kClockMonotonicCoarse = 6,
  kClockBoottime = 7,
};
#define NS_PER_SECOND 1000000000ull

static long syscall3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}

/* LFENCE first: RDTSC then reads the TSC only after every earlier instruction has completed, so
 * a reading is never older than a value this thread saw before the call (Linux's
 * rdtsc_ordered), whether that came from the kernel or from another CPU through memory. */
static inline uint64_t rdtsc_ordered(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

/* CLOCK_MONOTONIC (realtime = 0) or CLOCK_REALTIME (realtime = 1) in ns, from the vvar page.
 * 0: the caller must make the system call (the page says so, or the kernel kept writing). The
 * TSC is read after the snapshot: the result is the clock as those fields define it at a moment
 * within the call. */
static int read_clock_ns(int realtime, uint64_t* out) {
  struct pleiades_vclock c;
  if (!pleiades_vvar_snapshot(&pleiades_vvar_page, &c) || c.mode != PLEIADES_VCLOCK_TSC) return 0;
  const uint64_t ns = pleiades_vvar_tsc_to_ns(rdtsc_ordered(), c.mult, c.shift);
  *out = realtime ? ns + c.realtime_offset_ns : ns;
  return 1;
}

/* -1: a clock the vvar page does not cover; else whether it is a CLOCK_REALTIME flavour. */
static int clock_kind(long clock) {
  switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse: return 1;
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime: return 0;
    default: return -1; /* CPU-time clocks, unknown ones: the kernel decides (EINVAL too) */
  }
}

int __vdso_clock_gettime(long clock, struct kernel_timespec* ts) {
  const int kind = clock_kind(clock);
  uint64_t ns;
  if (kind < 0 || !read_clock_ns(kind, &ns)) {
    return (int)syscall3(kSysClockGettime, clock, (long)ts, 0);
  }
  ts->tv_sec = (int64_t)(ns / NS_PER_SECOND);
  ts->tv_nsec = (int64_t)(ns % NS_PER_SECOND);
  return 0;
}

int __vdso_gettimeofday(struct kernel_timeval* tv, int32_t* tz) {
  uint64_t ns;
  if (tv != 0) {
    if (!read_clock_ns(1, &ns)) return (int)syscall3(kSysGettimeofday, (long)tv, (long)tz, 0);
    tv->tv_sec = (int64_t)(ns / NS_PER_SECOND);
    tv->tv_usec = (int64_t)(ns % NS_PER_SECOND / 1000);
  }
  if (tz != 0) { /* struct timezone: UTC, no DST, as the kernel's gettimeofday */
    tz[0] = 0;
    tz[1] = 0;
  }
  return 0;
}

int64_t __vdso_time(int64_t* t) {
  uint64_t ns;
  if (!read_clock_ns(1, &ns)) return syscall3(kSysTime, (long)t, 0, 0);
  const int64_t seconds = (int64_t)(ns / NS_PER_SECOND);
  if (t != 0) *t = seconds;
  return seconds;
}

int __vdso_clock_getres(long clock, struct kernel_timespec* res) {
  /* The clocks the page covers count nanoseconds (as the kernel's clock_getres says); the
   * others are the kernel's to answer. */
  if (clock_kind(clock) < 0) return (int)syscall3(kSysClockGetres, clock, (long)res, 0);
  if (res != 0) {
    res->tv_sec = 0;
    res->tv_nsec = 1;
  }
  return 0;
}

int __vdso_getcpu(uint32_t* cpu, uint32_t* node, void* cache) {
  (void)cache; /* unused since Linux 2.6.24 */
  uint32_t aux;
  switch (pleiades_vvar_page.getcpu_mode) {
    case PLEIADES_VGETCPU_RDPID: {
      uint64_t value;
      __asm__ volatile("rdpid %0" : "=r"(value));
      aux = (uint32_t)value;
      break;
    }
    case PLEIADES_VGETCPU_RDTSCP: {
      uint32_t lo, hi;
      __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
      (void)lo, (void)hi;
      break;
    }
    default: return (int)syscall3(kSysGetcpu, (long)cpu, (long)node, 0);
  }
  if (cpu != 0) *cpu = aux & 0xfffu; /* IA32_TSC_AUX = node << 12 | cpu (Linux's encoding) */
  if (node != 0) *node = aux >> 12;
  return 0;
}

/* The names without the prefix too, as Linux's vDSO has them. */
int clock_gettime(long, struct kernel_timespec*)
    __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct kernel_timeval*, int32_t*) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t*) __attribute__((weak, alias("__vdso_time")));
int clock_getres(long, struct kernel_timespec*) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(uint32_t*, uint32_t*, void*) __attribute__((weak, alias("__vdso_getcpu")));
