/* The affinity of another process: sched_getaffinity and sched_setaffinity with a child's PID
 * (its main thread's TID), as `taskset -p` uses them. The child is pinned by its parent to one
 * CPU while it sleeps and must run there when woken; then the errors: EINVAL for an empty mask
 * or one naming only CPUs that do not exist, ESRCH for a TID that is gone (checked before the
 * mask, as Linux does). Every wait is bounded (poll with a timeout). */
#include "tap.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kWaitMs = 10000 };

/* read_byte: one byte from fd within kWaitMs; -1 on timeout, end of file or error. */
static int read_byte(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  unsigned char b;
  if (poll(&p, 1, kWaitMs) != 1 || read(fd, &b, 1) != 1) {
    return -1;
  }
  return b;
}

/* The child: waits for a byte from `in`, answers with the CPU it runs on, then waits for the
 * end of `in` and exits. */
static void child(int in, int out) {
  if (read_byte(in) < 0) {
    _exit(2);
  }
  unsigned char cpu = (unsigned char)sched_getcpu();
  if (write(out, &cpu, 1) != 1) {
    _exit(3);
  }
  (void)read_byte(in);
  _exit(0);
}

int main(void) {
  tap_plan(11);
  /* What the checks depend on, set here: no inherited blocked signals. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  cpu_set_t all;
  CPU_ZERO(&all);
  if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) == 0) {
    CPU_ZERO(&all);
    CPU_SET(0, &all);
  }
  int last = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &all)) {
      last = c;
    }
  }
  /* Start the parent elsewhere than the child's CPU when there is a choice. */
  cpu_set_t first;
  CPU_ZERO(&first);
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &first);
      break;
    }
  }
  sched_setaffinity(0, sizeof first, &first);

  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) {
    tap_note("pipe failed: errno %d", errno);
    return tap_done();
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    sched_setaffinity(0, sizeof all, &all);
    child(to_child[0], from_child[1]);
  }
  close(to_child[0]);
  close(from_child[1]);
  tap_ok(pid > 0, "fork");
  if (pid < 0) {
    return tap_done();
  }

  cpu_set_t seen;
  CPU_ZERO(&seen);
  /* The child set its mask to `all` itself; it may not have yet: wait until it did. */
  int equal = 0;
  for (int i = 0; i < 1000 && !equal; ++i) {
    equal = sched_getaffinity(pid, sizeof seen, &seen) == 0 && CPU_EQUAL(&seen, &all);
    if (!equal) {
      usleep(1000);
    }
  }
  tap_ok(equal, "sched_getaffinity of the child reads its mask (%d CPUs)", CPU_COUNT(&seen));
  long bytes = syscall(SYS_sched_getaffinity, pid, sizeof seen, &seen);
  tap_ok(bytes > 0 && bytes % 8 == 0, "the raw call returns the mask's size (%ld)", bytes);

  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(last, &one);
  tap_eq(sched_setaffinity(pid, sizeof one, &one), 0, "sched_setaffinity of the child to CPU %d",
         last);
  CPU_ZERO(&seen);
  tap_ok(sched_getaffinity(pid, sizeof seen, &seen) == 0 && CPU_EQUAL(&seen, &one),
         "sched_getaffinity of the child reads CPU %d alone", last);
  unsigned char go = 1;
  int ran_on = -1;
  if (write(to_child[1], &go, 1) == 1) {
    ran_on = read_byte(from_child[0]);
  }
  tap_eq(ran_on, last, "the child, woken, runs on the CPU its parent chose");

  cpu_set_t empty;
  CPU_ZERO(&empty);
  tap_fails_with(sched_setaffinity(pid, sizeof empty, &empty), EINVAL,
                 "an empty mask for the child fails with EINVAL");
  cpu_set_t absent;
  CPU_ZERO(&absent);
  CPU_SET(CPU_SETSIZE - 1, &absent);
  tap_fails_with(sched_setaffinity(pid, sizeof absent, &absent), EINVAL,
                 "a mask naming only CPU %d, which does not exist, fails with EINVAL",
                 CPU_SETSIZE - 1);

  close(to_child[1]);
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < kWaitMs && reaped == 0; ++i) {
    reaped = waitpid(pid, &status, WNOHANG);
    if (reaped == 0) {
      usleep(1000);
    }
  }
  if (reaped != pid) {
    kill(pid, SIGKILL);
    reaped = waitpid(pid, &status, 0);
  }
  tap_ok(reaped == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
         "the child exits with status 0 (status %#x)", status);
  /* Reaped: its TID names nothing now (a PID is not reused this soon on either kernel). */
  tap_fails_with(sched_getaffinity(pid, sizeof seen, &seen), ESRCH,
                 "sched_getaffinity of the reaped child fails with ESRCH");
  tap_fails_with(sched_setaffinity(pid, sizeof empty, &empty), ESRCH,
                 "sched_setaffinity of the reaped child fails with ESRCH, even with an empty mask");
  return tap_done();
}
