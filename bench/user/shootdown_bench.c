/* mmap + munmap of one page while other threads of the process run on other CPUs: the munmap
 * must take the page out of every TLB that may hold it, so its cost grows with the CPUs the
 * address space is live on (the TLB shootdown). One op: mmap one page, write it (a fault maps
 * it), munmap it. The measuring thread is on CPU 0; 0, 1, 2 and 4 spinning threads are pinned
 * round-robin to CPUs 1 .. N-1 (with 2 CPUs, all of them share CPU 1). Needs 2 CPUs for any
 * spinner. */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

enum { kPage = 4096, kMaxSpinners = 4 };

static atomic_int stop;
static atomic_int spinning;

static void *spinner(void *arg) {
  int cpu = (int)(intptr_t)arg;
  if (bench_pin(cpu) != 0) {
    printf("# shootdown: cannot pin a spinner to cpu %d\n", cpu);
    exit(1);
  }
  atomic_fetch_add(&spinning, 1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) __asm__ volatile("pause");
  return NULL;
}

static void map_unmap_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) {
    volatile char *p = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    if (p == MAP_FAILED) {
      printf("# shootdown: mmap failed\n");
      exit(1);
    }
    p[0] = 1;
    munmap((void *)p, kPage);
  }
}

int main(void) {
  static const int spinner_counts[] = {0, 1, 2, 4};
  const int cpus = bench_cpus();
  if (bench_pin(0) != 0) {
    printf("# shootdown: cannot pin to cpu 0\n");
    return 1;
  }
  for (size_t c = 0; c < sizeof spinner_counts / sizeof spinner_counts[0]; ++c) {
    const int n = spinner_counts[c];
    if (n > 0 && cpus < 2) {
      printf("# shootdown: one CPU: no figure with %d spinning threads\n", n);
      continue;
    }
    pthread_t threads[kMaxSpinners];
    atomic_store(&stop, 0);
    atomic_store(&spinning, 0);
    for (int i = 0; i < n; ++i) {
      if (pthread_create(&threads[i], NULL, spinner, (void *)(intptr_t)(1 + i % (cpus - 1))) != 0) {
        printf("# shootdown: pthread_create failed\n");
        return 1;
      }
    }
    while (atomic_load(&spinning) < n) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    char param[64];
    snprintf(param, sizeof param, "%d spinning threads on %d other CPUs", n,
             n == 0 ? 0 : (n < cpus - 1 ? n : cpus - 1));
    bench_measure("mmap_munmap_1page", param, map_unmap_op, NULL, 5, 1ull << 24);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; ++i) pthread_join(threads[i], NULL);
  }
  return 0;
}
