/* First-touch page faults: mmap an anonymous private region, write one byte to each 4 KiB page
 * (each write a fault that allocates and maps a zeroed page), munmap it. One op is one page;
 * the mmap and munmap are spread over the pages of the region. */
#include "bench.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { kPage = 4096 };

static void touch_op(void *arg, uint64_t count) {
  (void)arg;
  char *p = mmap(NULL, count * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    printf("# pagefault: mmap of %llu pages failed\n", (unsigned long long)count);
    exit(1);
  }
  for (uint64_t i = 0; i < count; ++i) ((volatile char *)p)[i * kPage] = 1;
  munmap(p, count * kPage);
}

int main(void) {
  /* At most 64 MiB at once: the benchmark VM has a few hundred MiB. */
  bench_measure("pagefault_first_touch", "4k", touch_op, NULL, 5, 16384);
  return 0;
}
