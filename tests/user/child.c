/* Test children (child.h). */
#include "child.h"

#include "tap.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { kPollMs = 5 }; /* between two wait4 polls: short against every timeout used */

int child_run(const char *self, const char *mode, int timeout_ms, int *status) {
  struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
    tap_note("setrlimit(RLIMIT_CORE, 0) failed: errno %d", errno);
  }
  char *argv[] = {(char *)self, (char *)mode, NULL};
  fflush(stdout); /* the child's lines come after ours */
  pid_t pid = vfork();
  if (pid < 0) {
    tap_note("%s %s: vfork failed: errno %d", self, mode, errno);
    return 0;
  }
  if (pid == 0) {
    execve(self, argv, environ);
    _exit(127); /* exec failed: the status says so */
  }
  struct timespec poll = {0, kPollMs * 1000000L};
  for (int waited = 0;; waited += kPollMs) {
    pid_t got = wait4(pid, status, WNOHANG, NULL);
    if (got == pid) {
      return 1;
    }
    if (got != 0) {
      tap_note("%s %s: wait4 returned %d, errno %d", self, mode, (int)got, errno);
      return 0;
    }
    if (waited >= timeout_ms) {
      break;
    }
    nanosleep(&poll, NULL);
  }
  tap_note("%s %s: still running after %d ms", self, mode, timeout_ms);
  kill(pid, SIGKILL);
  return 0;
}

/* describe: "exit status N", "killed by signal N (NAME)" or the raw status, into buf. */
static const char *describe(int status, char *buf, size_t size) {
  if (WIFEXITED(status)) {
    snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else {
    snprintf(buf, size, "status %#x", status);
  }
  return buf;
}

int child_expect_signal(const char *self, const char *mode, int sig, int timeout_ms,
                        const char *name) {
  int status = 0;
  int ended = child_run(self, mode, timeout_ms, &status);
  int passed = ended && WIFSIGNALED(status) && WTERMSIG(status) == sig;
  char got[64];
  return tap_ok(passed, "%s: killed by signal %d (%s)%s%s", name, sig, strsignal(sig),
                passed ? "" : " # got ",
                passed ? "" : (ended ? describe(status, got, sizeof got) : "no end in time"));
}

int child_expect_exit(const char *self, const char *mode, int code, int timeout_ms,
                      const char *name) {
  int status = 0;
  int ended = child_run(self, mode, timeout_ms, &status);
  int passed = ended && WIFEXITED(status) && WEXITSTATUS(status) == code;
  char got[64];
  return tap_ok(passed, "%s: exit status %d%s%s", name, code, passed ? "" : " # got ",
                passed ? "" : (ended ? describe(status, got, sizeof got) : "no end in time"));
}

/* mask_of_process: the affinity mask the calling thread had at the first call (CPU 0 alone if
 * it cannot be read), kept: threads pin themselves later, and new threads inherit the mask of
 * the thread that created them. */
static cpu_set_t mask_of_process(void) {
  static cpu_set_t all;
  static int known;
  if (!known) {
    CPU_ZERO(&all);
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) == 0) {
      CPU_ZERO(&all);
      CPU_SET(0, &all);
    }
    known = 1;
  }
  return all;
}

int child_cpu_count(void) {
  cpu_set_t all = mask_of_process();
  return CPU_COUNT(&all);
}

int child_pin(int index) {
  cpu_set_t all = mask_of_process();
  int want = index % CPU_COUNT(&all);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &all)) {
      continue;
    }
    if (want-- > 0) {
      continue;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
      tap_note("sched_setaffinity to CPU %d failed: errno %d", cpu, errno);
      return -1;
    }
    return cpu;
  }
  return -1;
}
