/* Futex wake-up latency: two threads play ping-pong through one futex word, each blocking in
 * FUTEX_WAIT until the other's FUTEX_WAKE. One op is a round trip (two wake-ups, one each way),
 * with both threads pinned to CPU 0 ("same-cpu": every wake-up is a switch on that CPU) or to
 * CPUs 0 and 1 ("cross-cpu": every wake-up crosses CPUs). Needs 2 CPUs for cross-cpu. */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's futex operations (linux/futex.h, which musl does not carry). */
enum { kFutexWaitPrivate = 0 | 128, kFutexWakePrivate = 1 | 128 };

/* The word: 0 = the partner waits, 1 = the partner's turn, 2 = the partner stops. */
static _Atomic int word;
static int partner_cpu;

static void futex_wait(_Atomic int *w, int expected) {
  syscall(SYS_futex, w, kFutexWaitPrivate, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *w) {
  syscall(SYS_futex, w, kFutexWakePrivate, 1, NULL, NULL, 0);
}

static void *partner(void *arg) {
  (void)arg;
  if (bench_pin(partner_cpu) != 0) {
    printf("# futex: cannot pin the partner to cpu %d\n", partner_cpu);
    exit(1);
  }
  for (;;) {
    int v;
    while ((v = atomic_load(&word)) == 0) futex_wait(&word, 0);
    if (v == 2) return NULL;
    atomic_store(&word, 0);
    futex_wake(&word);
  }
}

static void round_trip_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) {
    atomic_store(&word, 1);
    futex_wake(&word);
    while (atomic_load(&word) == 1) futex_wait(&word, 1);
  }
}

static int run(const char *param, int cpu) {
  partner_cpu = cpu;
  atomic_store(&word, 0);
  pthread_t t;
  if (pthread_create(&t, NULL, partner, NULL) != 0) {
    printf("# futex: pthread_create failed\n");
    return 1;
  }
  bench_measure("futex_pingpong", param, round_trip_op, NULL, 5, 1ull << 24);
  atomic_store(&word, 2);
  futex_wake(&word);
  pthread_join(t, NULL);
  return 0;
}

int main(void) {
  const int cpus = bench_cpus(); /* before pinning narrows the affinity to one */
  if (bench_pin(0) != 0) {
    printf("# futex: cannot pin to cpu 0\n");
    return 1;
  }
  int failed = run("same-cpu", 0);
  if (cpus >= 2) {
    failed |= run("cross-cpu", 1);
  } else {
    printf("# futex: one CPU: no cross-cpu figure\n");
  }
  return failed;
}
