/* The speed-up of CPU-bound threads: N threads (1, 2, 4, as many as this process may use
 * CPUs) each do the same fixed arithmetic (kWork steps of a xorshift generator, no memory
 * traffic and no system calls), started together; one op is one such round, from the first
 * pthread_create to the last pthread_join. The threads are not pinned: the kernel spreads
 * them. The line for N threads gives the time per round and "speedup": N * t(1) / t(N), the
 * work done per unit of time against one thread (N when the kernel runs all N in parallel and
 * the CPUs are free, 1 when it runs them one after another). Thread counts above the CPUs are
 * skipped lines. */
#include "bench.h"
#include "deadline.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kDeadlineSeconds = 120, kMaxThreads = 4 };
/* Steps per thread: about 5 to 20 ms natively, some 5 to 10 times that under an emulator,
 * against the 0.2 to 2 ms that creating and joining the threads takes. */
static const uint64_t kWork = 1ull << 22;

/* Written by each thread so the compiler must compute the arithmetic. */
static volatile uint64_t sink[kMaxThreads];

static void *work(void *arg) {
  int index = (int)(intptr_t)arg;
  uint64_t x = 0x9e3779b97f4a7c15ull + (uint64_t)index; /* any nonzero seed */
  for (uint64_t i = 0; i < kWork; ++i) { /* Marsaglia's xorshift64 (shifts 13, 7, 17) */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  sink[index] = x;
  return NULL;
}

static void round_op(void *arg, uint64_t count) {
  int n = (int)(intptr_t)arg;
  for (uint64_t c = 0; c < count; ++c) {
    pthread_t threads[kMaxThreads];
    for (int i = 0; i < n; ++i) {
      if (pthread_create(&threads[i], NULL, work, (void *)(intptr_t)i) != 0) {
        bench_fail("spin", "pthread_create failed");
      }
    }
    for (int i = 0; i < n; ++i) pthread_join(threads[i], NULL);
  }
}

int main(void) {
  bench_deadline("spin", kDeadlineSeconds);
  static const int counts[] = {1, 2, 4};
  const int cpus = bench_cpus();
  double one = 0;
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; ++c) {
    const int n = counts[c];
    char param[32];
    snprintf(param, sizeof param, "%d threads", n);
    if (n > cpus) {
      char why[48];
      snprintf(why, sizeof why, "%d CPU%s", cpus, cpus == 1 ? "" : "s");
      bench_skip("spin_threads", param, why);
      continue;
    }
    struct bench_result result = bench_run(round_op, (void *)(intptr_t)n, 5, 1ull << 16);
    if (n == 1) one = result.median_ns;
    char extra[48];
    snprintf(extra, sizeof extra, ", \"speedup\": %.2f", n * one / result.median_ns);
    bench_print("spin_threads", param, &result, extra);
  }
  return 0;
}
