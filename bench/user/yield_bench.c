/* sched_yield ping-pong: two threads pinned to CPU 0 hand the CPU to each other with
 * sched_yield, counting the handoffs in a shared counter. The counter is even when it is the
 * main thread's turn and odd when it is the partner's; each advances it by one on its turn and
 * yields until the other has. One op is a round trip: each thread yields once while the other
 * is runnable (two switches on CPU 0), more only when the kernel runs the yielder again at
 * once (a yield that gave the CPU to nobody). */
#include "bench.h"
#include "deadline.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kDeadlineSeconds = 120 };

static _Atomic uint64_t handoffs;
static atomic_int stop;

static void *partner(void *arg) {
  (void)arg;
  if (bench_pin(0) != 0) {
    printf("# yield: cannot pin the partner to cpu 0\n");
    exit(1);
  }
  for (;;) {
    uint64_t h;
    while ((h = atomic_load(&handoffs)) % 2 == 0) {
      if (atomic_load(&stop)) return NULL;
      sched_yield();
    }
    atomic_store(&handoffs, h + 1);
  }
}

static void round_trip_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t h = atomic_load(&handoffs) + 1; /* odd: the partner's turn */
    atomic_store(&handoffs, h);
    while (atomic_load(&handoffs) == h) sched_yield();
  }
}

int main(void) {
  bench_deadline("yield", kDeadlineSeconds);
  if (bench_pin(0) != 0) {
    printf("# yield: cannot pin to cpu 0\n");
    return 1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, partner, NULL) != 0) {
    printf("# yield: pthread_create failed\n");
    return 1;
  }
  bench_measure("sched_yield_pingpong", "same-cpu", round_trip_op, NULL, 5, 1ull << 24);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  return 0;
}
