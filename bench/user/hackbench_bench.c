/* hackbench in pipe mode (as `perf bench sched messaging --pipe`): kGroups groups, each of
 * kSenders sender and kReceivers receiver processes; every receiver has a pipe, and every
 * sender writes kLoops messages of kMessage bytes to each receiver of its group (round-robin
 * over the receivers), which read them all. A run forks every process first; they report
 * ready through one pipe and start together when the parent closes a second one. Timed from
 * that start until the parent has reaped every process. One op is one message: a run's time
 * divided by its kGroups * kSenders * kReceivers * kLoops messages. Each repetition is whole
 * runs, as many as fit in about 100 ms (at least one); the line gives the median and the
 * minimum over 5 repetitions. The processes are not pinned: the kernel places them. */
#include "bench.h"
#include "deadline.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
  kGroups = 2,
  kSenders = 5,
  kReceivers = 5,
  kLoops = 100,
  kMessage = 100,
  kProcesses = kGroups * (kSenders + kReceivers),
  kMessages = kGroups * kSenders * kReceivers * kLoops,
  kReps = 5,
  kDeadlineSeconds = 120,
  /* Runs per repetition at most: a run takes over 100 us even natively (20 forks). */
  kMaxRuns = 1000,
};
static const uint64_t kTargetNs = 100 * 1000 * 1000; /* one repetition, as bench.c */

/* write_all / read_all: the whole buffer, or -1. */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, char *buf, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    buf += r;
    n -= (size_t)r;
  }
  return 0;
}

/* A child: says it is ready, waits for the start (end of file on `go`). */
static int ready_then_wait(int ready, int go) {
  char byte = 'r';
  if (write_all(ready, &byte, 1) != 0) return 10;
  if (read(go, &byte, 1) != 0) return 11;
  return 0;
}

static int sender(const int *out, int ready, int go) {
  int r = ready_then_wait(ready, go);
  if (r != 0) return r;
  char message[kMessage];
  memset(message, 's', sizeof message);
  for (int i = 0; i < kLoops; ++i) {
    for (int j = 0; j < kReceivers; ++j) {
      if (write_all(out[j], message, sizeof message) != 0) return 12;
    }
  }
  return 0;
}

static int receiver(int in, int ready, int go) {
  int r = ready_then_wait(ready, go);
  if (r != 0) return r;
  char message[kMessage];
  for (int i = 0; i < kSenders * kLoops; ++i) {
    if (read_all(in, message, sizeof message) != 0) return 13;
  }
  return 0;
}

/* close_all: closes every descriptor of fds[0..n) that is open (>= 0) but `keep`. */
static void close_all(int *fds, int n, int keep) {
  for (int i = 0; i < n; ++i) {
    if (fds[i] >= 0 && fds[i] != keep) close(fds[i]);
  }
}

/* spawn: forks a child that closes the descriptors it does not need and runs the role. */
static pid_t spawn(int is_sender, int index, int pipes[kReceivers][2], int ready[2],
                   int go[2]) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  bench_deadline(is_sender ? "hackbench sender" : "hackbench receiver", kDeadlineSeconds);
  close(ready[0]);
  close(go[1]);
  int out[kReceivers];
  for (int j = 0; j < kReceivers; ++j) {
    if (is_sender) {
      close(pipes[j][0]);
      out[j] = pipes[j][1];
    } else {
      if (j != index) close(pipes[j][0]);
      close(pipes[j][1]);
    }
  }
  _exit(is_sender ? sender(out, ready[1], go[0]) : receiver(pipes[index][0], ready[1], go[0]));
}

/* run: one hackbench run. Returns its time from the start to the last reaped process in ns,
 * or fails the benchmark. */
static uint64_t run(void) {
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) bench_fail("hackbench", "pipe failed");
  pid_t pids[kProcesses];
  int started = 0;
  fflush(stdout); /* the children inherit no unwritten output */
  for (int g = 0; g < kGroups; ++g) {
    int pipes[kReceivers][2];
    for (int j = 0; j < kReceivers; ++j) {
      if (pipe(pipes[j]) != 0) bench_fail("hackbench", "pipe failed");
    }
    for (int k = 0; k < kReceivers + kSenders; ++k) {
      pid_t pid = spawn(k >= kReceivers, k, pipes, ready, go);
      if (pid < 0) bench_fail("hackbench", "fork failed");
      pids[started++] = pid;
      if (bench_child_started(pid) != 0) {
        kill(pid, SIGKILL);
        bench_fail("hackbench", "too many children");
      }
    }
    close_all(&pipes[0][0], 2 * kReceivers, -1);
  }
  close(ready[1]);
  close(go[0]);
  char bytes[kProcesses];
  if (read_all(ready[0], bytes, sizeof bytes) != 0) {
    bench_fail("hackbench", "a child never got ready");
  }
  close(ready[0]);
  uint64_t start = bench_now_ns();
  close(go[1]); /* every child's read of `go` returns end of file: start */
  int failed = 0;
  for (int i = 0; i < started; ++i) {
    int status = 0;
    if (bench_child_wait(pids[i], &status) != pids[i]) {
      bench_fail("hackbench", "waitpid failed");
    }
    failed |= !bench_child_ok("hackbench", "a child", status);
  }
  uint64_t took = bench_now_ns() - start;
  if (failed) bench_fail("hackbench", "a child failed");
  return took;
}

/* repetition: `runs` whole runs; ns per message. */
static double repetition(int runs) {
  uint64_t total = 0;
  for (int i = 0; i < runs; ++i) total += run();
  return (double)total / ((double)runs * kMessages);
}

int main(void) {
  bench_deadline("hackbench", kDeadlineSeconds);
  /* Warm-up, then the runs that fit in one repetition's time. */
  run();
  uint64_t one = run();
  int runs = one >= kTargetNs ? 1 : (int)(kTargetNs / (one ? one : 1));
  if (runs > kMaxRuns) runs = kMaxRuns;
  double figures[kReps];
  for (int r = 0; r < kReps; ++r) figures[r] = repetition(runs);
  struct bench_result result;
  result.median_ns = bench_median(figures, kReps);
  result.min_ns = figures[0]; /* sorted by bench_median */
  result.ops = (uint64_t)runs * kMessages;
  result.reps = kReps;
  char param[96];
  snprintf(param, sizeof param, "%d groups x %d senders x %d receivers, %d x %d bytes", kGroups,
           kSenders, kReceivers, kLoops, kMessage);
  bench_print("hackbench_pipe", param, &result, NULL);
  return 0;
}
