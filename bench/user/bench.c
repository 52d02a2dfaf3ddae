/* The shared part of the user-space benchmarks (bench.h). */
#include "bench.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>

enum {
  kMaxReps = 32,
};
/* One repetition's target: long enough that a timer tick or two does not matter, short
 * enough that every benchmark finishes in seconds under an emulator. */
static const uint64_t kTargetNs = 100 * 1000 * 1000;

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bench_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n < 1 ? 1 : n;
}

int bench_pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* scale: the count that takes about kTargetNs when `count` operations took `took` ns. */
static uint64_t scale(uint64_t count, uint64_t took, uint64_t max_ops) {
  if (took == 0) took = 1;
  double scaled = (double)count * (double)kTargetNs / (double)took;
  return scaled < 1 ? 1 : (scaled > (double)max_ops ? max_ops : (uint64_t)scaled);
}

double bench_median(double *values, int n) {
  qsort(values, (size_t)n, sizeof values[0], compare);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct bench_result bench_run(bench_op op, void *arg, int reps, uint64_t max_ops) {
  if (reps < 1) reps = 1;
  if (reps > kMaxReps) reps = kMaxReps;
  /* A warm-up op first (threads started, pages and caches in place), then calibration:
   * double the count until one run takes a tenth of the target. */
  op(arg, 1);
  uint64_t count = 1;
  for (;;) {
    uint64_t start = bench_now_ns();
    op(arg, count);
    uint64_t took = bench_now_ns() - start;
    if (took >= kTargetNs / 10 || count >= max_ops) {
      count = scale(count, took, max_ops);
      break;
    }
    count *= 2;
  }
  /* Once more at the scaled count: one slow early run (a migration, a descheduled vCPU) must
   * not leave repetitions of a handful of operations. */
  {
    uint64_t start = bench_now_ns();
    op(arg, count);
    count = scale(count, bench_now_ns() - start, max_ops);
  }
  double per_op[kMaxReps];
  for (int r = 0; r < reps; ++r) {
    uint64_t start = bench_now_ns();
    op(arg, count);
    per_op[r] = (double)(bench_now_ns() - start) / (double)count;
  }
  struct bench_result result;
  result.median_ns = bench_median(per_op, reps);
  result.min_ns = per_op[0]; /* sorted by bench_median */
  result.ops = count;
  result.reps = reps;
  return result;
}

/* kernel_name: "SYSNAME RELEASE" of uname into buf, or "? ?". */
static const char *kernel_name(char *buf, size_t size) {
  struct utsname u;
  if (uname(&u) != 0) {
    snprintf(buf, size, "? ?");
  } else {
    snprintf(buf, size, "%s %s", u.sysname, u.release);
  }
  return buf;
}

void bench_print(const char *name, const char *param, const struct bench_result *result,
                 const char *extra) {
  char kernel[2 * sizeof(((struct utsname *)0)->release) + 2];
  printf("{\"bench\": \"%s\", \"param\": \"%s\", \"ns_per_op\": %.1f, \"ops\": %llu, "
         "\"reps\": %d, \"min_ns_per_op\": %.1f%s, \"kernel\": \"%s\"}\n",
         name, param, result->median_ns, (unsigned long long)result->ops, result->reps,
         result->min_ns, extra ? extra : "", kernel_name(kernel, sizeof kernel));
  fflush(stdout);
}

void bench_skip(const char *name, const char *param, const char *why) {
  char kernel[2 * sizeof(((struct utsname *)0)->release) + 2];
  printf("{\"bench\": \"%s\", \"param\": \"%s\", \"skipped\": \"%s\", \"kernel\": \"%s\"}\n",
         name, param, why, kernel_name(kernel, sizeof kernel));
  fflush(stdout);
}

double bench_measure(const char *name, const char *param, bench_op op, void *arg, int reps,
                     uint64_t max_ops) {
  struct bench_result result = bench_run(op, arg, reps, max_ops);
  bench_print(name, param, &result, NULL);
  return result.median_ns;
}
