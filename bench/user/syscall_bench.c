/* System-call round trip: getpid through syscall(2), so no C library cache answers it. */
#include "bench.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static void getpid_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) syscall(SYS_getpid);
}

int main(void) {
  bench_measure("syscall_getpid", "", getpid_op, NULL, 5, 1ull << 30);
  return 0;
}
