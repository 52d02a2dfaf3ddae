/* Thread create and join: pthread_create of a thread that returns at once, then pthread_join
 * (musl: clone with CLONE_VM|CLONE_THREAD|..., a stack from mmap, the exit's futex wake). */
#include "bench.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *nothing(void *arg) { return arg; }

static void create_join_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) {
      printf("# thread_create_join: pthread_create or pthread_join failed\n");
      exit(1);
    }
  }
}

int main(void) {
  bench_measure("thread_create_join", "", create_join_op, NULL, 5, 1ull << 20);
  return 0;
}
