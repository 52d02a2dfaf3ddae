/* Deadlines and children of the user-space benchmarks (deadline.h). */
#include "deadline.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
  kMaxChildren = 64,
  /* After SIGKILL, how long the handler waits for each child to be reapable: killed processes
   * end at once on a working kernel, and a broken one must not hang the benchmark either. */
  kReapPolls = 200,
  kReapPollNs = 10 * 1000 * 1000,
};

/* Read by the SIGALRM handler: lock-free atomics are safe to use from a signal handler. */
static _Atomic pid_t children[kMaxChildren];
/* The handler's line, written by bench_deadline: snprintf is not async-signal-safe. */
static char message[160];

/* kill_children: SIGKILL to every remembered child, then reaps each, waiting a bounded time.
 * Async-signal-safe (kill, waitpid, nanosleep): the SIGALRM handler calls it. */
static void kill_children(void) {
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t pid = atomic_load(&children[i]);
    if (pid > 0) kill(pid, SIGKILL);
  }
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t pid = atomic_load(&children[i]);
    if (pid <= 0) continue;
    struct timespec poll = {0, kReapPollNs};
    for (int p = 0; p < kReapPolls && waitpid(pid, NULL, WNOHANG) == 0; ++p) {
      nanosleep(&poll, NULL);
    }
  }
}

/* on_deadline: the SIGALRM handler. Only async-signal-safe calls: write, kill, waitpid,
 * nanosleep, _exit. */
static void on_deadline(int sig) {
  (void)sig;
  const char *s = message;
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDOUT_FILENO, s, n);
    if (w <= 0) break;
    s += w;
    n -= (size_t)w;
  }
  kill_children();
  _exit(1);
}

void bench_deadline(const char *name, unsigned seconds) {
  for (int i = 0; i < kMaxChildren; ++i) atomic_store(&children[i], 0);
  snprintf(message, sizeof message,
           "# %s: deadline of %u s passed: killing its children and exiting\n", name, seconds);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_deadline;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  sigset_t alarm_only;
  sigemptyset(&alarm_only);
  sigaddset(&alarm_only, SIGALRM);
  sigprocmask(SIG_UNBLOCK, &alarm_only, NULL);
  alarm(seconds);
}

int bench_child_started(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t empty = 0;
    if (atomic_compare_exchange_strong(&children[i], &empty, pid)) return 0;
  }
  return -1;
}

pid_t bench_child_wait(pid_t pid, int *status) {
  pid_t got;
  do {
    got = waitpid(pid, status, 0);
  } while (got < 0 && errno == EINTR);
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t was = pid;
    if (atomic_compare_exchange_strong(&children[i], &was, 0)) break;
  }
  return got;
}

int bench_child_ok(const char *name, const char *what, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 1;
  if (WIFEXITED(status)) {
    printf("# %s: %s: exit status %d\n", name, what, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    printf("# %s: %s: killed by signal %d\n", name, what, WTERMSIG(status));
  } else {
    printf("# %s: %s: status %#x\n", name, what, status);
  }
  return 0;
}

_Noreturn void bench_fail(const char *name, const char *what) {
  printf("# %s: %s\n", name, what);
  fflush(stdout);
  kill_children();
  _exit(1);
}
