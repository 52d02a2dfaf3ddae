/* Reading the clock: one op is one clock_gettime(CLOCK_MONOTONIC). "libc": musl's
 * clock_gettime, which reads the clock in user space through the vDSO when the kernel offers
 * one (Linux and Pleiades do); "syscall": the system
 * call itself (syscall(SYS_clock_gettime)), on every kernel. The gap between the two rows on
 * Linux is what a vDSO saves. */
#include "bench.h"
#include "deadline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { kDeadlineSeconds = 120 };

static void libc_op(void *arg, uint64_t count) {
  (void)arg;
  struct timespec ts;
  for (uint64_t i = 0; i < count; ++i) {
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
      printf("# clock: clock_gettime failed\n");
      exit(1);
    }
  }
}

static void syscall_op(void *arg, uint64_t count) {
  (void)arg;
  struct timespec ts;
  for (uint64_t i = 0; i < count; ++i) {
    if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) {
      printf("# clock: the clock_gettime system call failed\n");
      exit(1);
    }
  }
}

int main(void) {
  bench_deadline("clock", kDeadlineSeconds);
  bench_measure("clock_gettime_monotonic", "libc", libc_op, NULL, 5, 1ull << 26);
  bench_measure("clock_gettime_monotonic", "syscall", syscall_op, NULL, 5, 1ull << 26);
  return 0;
}
