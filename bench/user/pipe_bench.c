/* Pipe latency, as `perf bench sched pipe`: two processes play ping-pong through two pipes,
 * each blocking in read until the other's write. One op is a round trip of a 1-byte message
 * (two wake-ups, one each way), with both processes pinned to CPU 0 ("same-cpu": every
 * wake-up is a switch on that CPU) or to CPUs 0 and 1 ("cross-cpu": every wake-up crosses
 * CPUs). Needs 2 CPUs for cross-cpu. The partner ends when its pipe reaches end of file. */
#include "bench.h"
#include "deadline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kDeadlineSeconds = 120 };

/* ping carries the main process's byte to the partner, pong the answer. */
static int ping[2], pong[2];

static void round_trip_op(void *arg, uint64_t count) {
  (void)arg;
  char byte = 'p';
  for (uint64_t i = 0; i < count; ++i) {
    if (write(ping[1], &byte, 1) != 1 || read(pong[0], &byte, 1) != 1) {
      bench_fail("pipe", "a round trip failed");
    }
  }
}

/* The partner: echoes every byte until end of file. */
static int partner(int cpu) {
  bench_deadline("pipe partner", kDeadlineSeconds);
  close(ping[1]);
  close(pong[0]);
  if (bench_pin(cpu) != 0) return 2;
  char byte;
  for (;;) {
    ssize_t n = read(ping[0], &byte, 1);
    if (n == 0) return 0;
    if (n != 1 || write(pong[1], &byte, 1) != 1) return 3;
  }
}

static int run(const char *param, int cpu) {
  if (pipe(ping) != 0 || pipe(pong) != 0) {
    printf("# pipe: pipe failed\n");
    return 1;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("# pipe: fork failed\n");
    return 1;
  }
  if (pid == 0) _exit(partner(cpu));
  bench_child_started(pid);
  close(ping[0]);
  close(pong[1]);
  bench_measure("pipe_pingpong", param, round_trip_op, NULL, 5, 1ull << 22);
  close(ping[1]); /* end of file for the partner */
  int status = 0;
  pid_t got = bench_child_wait(pid, &status);
  close(pong[0]);
  if (got != pid) {
    printf("# pipe: waitpid failed\n");
    return 1;
  }
  return bench_child_ok("pipe", "the partner", status) ? 0 : 1;
}

int main(void) {
  bench_deadline("pipe", kDeadlineSeconds);
  const int cpus = bench_cpus(); /* before pinning narrows the affinity to one */
  if (bench_pin(0) != 0) {
    printf("# pipe: cannot pin to cpu 0\n");
    return 1;
  }
  int failed = run("same-cpu", 0);
  if (cpus >= 2) {
    failed |= run("cross-cpu", 1);
  } else {
    bench_skip("pipe_pingpong", "cross-cpu", "one CPU");
  }
  return failed;
}
