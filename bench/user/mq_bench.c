/* POSIX message queue latency: two processes play ping-pong through two queues, each blocking
 * in mq_receive until the other's mq_send. One op is a round trip of a 64-byte message (two
 * wake-ups, one each way), with both processes pinned to CPU 0 ("same-cpu": every wake-up is a
 * switch on that CPU) or to CPUs 0 and 1 ("cross-cpu": every wake-up crosses CPUs). Needs 2
 * CPUs for cross-cpu. The queues are unlinked as soon as both ends have them open. */
#include "bench.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kMessage = 64, kStopPriority = 1 };

static mqd_t ping, pong;

static void round_trip_op(void *arg, uint64_t count) {
  (void)arg;
  char buf[kMessage];
  memset(buf, 'p', sizeof(buf));
  for (uint64_t i = 0; i < count; ++i) {
    if (mq_send(ping, buf, sizeof(buf), 0) != 0 || mq_receive(pong, buf, sizeof(buf), NULL) < 0) {
      printf("# mq: a round trip failed\n");
      return;
    }
  }
}

/* The partner: echoes every message until one comes with kStopPriority. */
static int partner(int cpu) {
  if (bench_pin(cpu) != 0) return 2;
  char buf[kMessage];
  for (;;) {
    unsigned prio = 0;
    ssize_t n = mq_receive(ping, buf, sizeof(buf), &prio);
    if (n < 0) return 3;
    if (prio == kStopPriority) return 0;
    if (mq_send(pong, buf, (size_t)n, 0) != 0) return 4;
  }
}

static int run(const char *param, int cpu) {
  char names[2][64];
  snprintf(names[0], sizeof(names[0]), "/bench_mq_ping_%d", (int)getpid());
  snprintf(names[1], sizeof(names[1]), "/bench_mq_pong_%d", (int)getpid());
  struct mq_attr a = {0};
  a.mq_maxmsg = 4;
  a.mq_msgsize = kMessage;
  ping = mq_open(names[0], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  pong = mq_open(names[1], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  mq_unlink(names[0]);
  mq_unlink(names[1]);
  if (ping < 0 || pong < 0) {
    printf("# mq: mq_open failed\n");
    return 1;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("# mq: fork failed\n");
    return 1;
  }
  if (pid == 0) _exit(partner(cpu));
  bench_measure("mq_pingpong", param, round_trip_op, NULL, 5, 1ull << 22);
  int status = 0;
  if (mq_send(ping, "", 0, kStopPriority) != 0) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  mq_close(ping);
  mq_close(pong);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("# mq: the partner failed (status %#x)\n", status);
    return 1;
  }
  return 0;
}

int main(void) {
  const int cpus = bench_cpus(); /* before pinning narrows the affinity to one */
  if (bench_pin(0) != 0) {
    printf("# mq: cannot pin to cpu 0\n");
    return 1;
  }
  int failed = run("same-cpu", 0);
  if (cpus >= 2) {
    failed |= run("cross-cpu", 1);
  } else {
    printf("# mq: one CPU: no cross-cpu figure\n");
  }
  return failed;
}
