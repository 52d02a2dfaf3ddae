/* CPUs: sched_getaffinity, getcpu (sched_getcpu), sched_setaffinity and sched_yield. The
 * process is pinned to each CPU it may run on in turn, and getcpu must name that CPU. */
#include "tap.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  tap_plan(12);
  cpu_set_t all;
  CPU_ZERO(&all);
  /* The raw call returns the bytes of the mask it wrote (the libc wrapper returns 0). */
  long bytes = syscall(SYS_sched_getaffinity, 0, sizeof all, &all);
  tap_ok(bytes > 0 && bytes % 8 == 0 && bytes <= (long)sizeof all,
         "sched_getaffinity writes a mask of whole longs (got %ld)", bytes);
  int count = CPU_COUNT(&all);
  tap_ok(count >= 1, "the affinity mask has at least one CPU (%d)", count);

  int cpu = sched_getcpu();
  tap_ok(cpu >= 0 && CPU_ISSET(cpu, &all), "sched_getcpu names a CPU of the mask (%d)", cpu);
  unsigned raw_cpu = ~0u, node = ~0u;
  tap_ok(syscall(SYS_getcpu, &raw_cpu, &node, NULL) == 0 && raw_cpu < CPU_SETSIZE &&
             CPU_ISSET(raw_cpu, &all),
         "getcpu names a CPU of the mask (%u, node %u)", raw_cpu, node);
  tap_eq(syscall(SYS_getcpu, NULL, NULL, NULL), 0, "getcpu with NULL pointers succeeds");
  tap_fails_with(syscall(SYS_getcpu, (void *)1, NULL, NULL), EFAULT,
                 "getcpu into (void*)1 fails with EFAULT");

  tap_fails_with(syscall(SYS_sched_getaffinity, 0, 1, &all), EINVAL,
                 "sched_getaffinity with a 1-byte mask fails with EINVAL");
  tap_fails_with(syscall(SYS_sched_getaffinity, 0, sizeof all, (void *)1), EFAULT,
                 "sched_getaffinity into (void*)1 fails with EFAULT");
  tap_fails_with(syscall(SYS_sched_getaffinity, 0x7fffffff, sizeof all, &all), ESRCH,
                 "sched_getaffinity of a pid that cannot exist fails with ESRCH");

  int pinned = 0, agreed = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &all)) {
      continue;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
      tap_note("sched_setaffinity to CPU %d failed: errno %d", c, errno);
      continue;
    }
    ++pinned;
    int here = sched_getcpu();
    if (here == c) {
      ++agreed;
    } else {
      tap_note("pinned to CPU %d, sched_getcpu says %d", c, here);
    }
  }
  tap_ok(pinned == count && agreed == count,
         "pinned to each of the %d CPUs in turn, getcpu agrees (%d pinned, %d agreed)", count,
         pinned, agreed);
  tap_eq(sched_setaffinity(0, sizeof all, &all), 0, "sched_setaffinity back to every CPU");
  tap_eq(sched_yield(), 0, "sched_yield returns 0");
  return tap_done();
}
