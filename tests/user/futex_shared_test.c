/* Futexes shared between processes: a word in MAP_SHARED memory, waited on without
 * FUTEX_PRIVATE_FLAG in one process, is woken by a FUTEX_WAKE in another (the key is the page,
 * not the address space), and not by a FUTEX_WAKE_PRIVATE there; the same for a file that each
 * process maps by itself; and musl's process-shared mutex (PTHREAD_PROCESS_SHARED), contended
 * by a parent and a child pinned to different CPUs, counts every increment of both. Every wait
 * is bounded (futex timeouts, pthread_mutex_timedlock, polled waitpid). */
#include "child.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Linux's uapi/linux/futex.h values (musl-gcc has no kernel headers). */
enum { FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_PRIVATE_FLAG = 128 };
enum { FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG };

enum { kPage = 4096, kTimeoutMs = 10000, kRounds = 5000 };

struct Shared {
  pthread_mutex_t mutex;
  long counter;        /* under mutex */
  long lock_failures;  /* under nothing: each process writes its own slot below */
  long failures[2];
  atomic_int ready;    /* the child is about to wait */
  int word;            /* the futex word */
};

static long futex(int *uaddr, int op, int val, const struct timespec *timeout) {
  return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

/* waits for `pid` (bounded); its exit status, or -1. */
static int wait_exit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < kTimeoutMs; ++i) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r < 0) {
      return -1;
    }
    usleep(1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

/* The child side of a cross-process wake: says it is ready, then waits (shared, 10 s) while
 * the word is 0. Exit status 0 when woken, 1 on timeout, 2 on another error. */
static void waiter(atomic_int *ready, int *word) {
  child_pin(1);
  atomic_store(ready, 1);
  struct timespec t = {.tv_sec = kTimeoutMs / 1000};
  for (;;) {
    long r = futex(word, FUTEX_WAIT, 0, &t);
    if (r == 0) {
      _exit(0);
    }
    if (errno == EINTR) {
      continue;
    }
    _exit(errno == ETIMEDOUT ? 1 : 2);
  }
}

/* The parent side: once the child is ready, a private wake from here reaches nobody; a shared
 * one wakes the child (retried until the child is queued, bounded). */
static void waker(const char *what, atomic_int *ready, int *word, pid_t pid) {
  for (int i = 0; i < kTimeoutMs && atomic_load(ready) == 0; ++i) {
    usleep(1000);
  }
  tap_eq(futex(word, FUTEX_WAKE_PRIVATE, 1, NULL), 0,
         "%s: FUTEX_WAKE_PRIVATE in another process wakes nobody", what);
  long woken = 0;
  for (int i = 0; i < kTimeoutMs && woken == 0; ++i) {
    woken = futex(word, FUTEX_WAKE, 1, NULL);
    if (woken == 0) {
      usleep(1000);
    }
  }
  tap_eq(woken, 1, "%s: FUTEX_WAKE in another process wakes the waiter", what);
  tap_eq(wait_exit(pid), 0, "%s: the waiter saw its FUTEX_WAIT return 0", what);
}

static void anonymous_shared(void) {
  struct Shared *s = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) {
    tap_ok(0, "MAP_SHARED|MAP_ANONYMOUS page");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    waiter(&s->ready, &s->word);
  }
  waker("anonymous MAP_SHARED", &s->ready, &s->word, pid);
  munmap(s, kPage);
}

static void file_shared(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/futex_shared_test.%d", (int)getpid());
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
  int ok = fd >= 0 && ftruncate(fd, kPage) == 0;
  pid_t pid = ok ? fork() : -1;
  if (pid == 0) {
    /* The child's own mapping of the file, made after the fork. */
    int own = open(path, O_RDWR);
    struct Shared *c = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
    if (c == MAP_FAILED) {
      _exit(3);
    }
    waiter(&c->ready, &c->word);
  }
  struct Shared *s =
      ok ? mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (pid < 0 || s == MAP_FAILED) {
    tap_ok(0, "a file mapped by two processes (setup failed: errno %d)", errno);
    if (pid > 0) {
      wait_exit(pid);
    }
  } else {
    waker("a file each process mapped", &s->ready, &s->word, pid);
    munmap(s, kPage);
  }
  if (fd >= 0) {
    close(fd);
    unlink(path);
  }
}

/* kRounds increments under the process-shared mutex, with a pause inside the critical section
 * so that the other process contends; lock failures (timeouts) are counted in failures[slot]. */
static void count(struct Shared *s, int slot) {
  for (int i = 0; i < kRounds; ++i) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += kTimeoutMs / 1000;
    if (pthread_mutex_timedlock(&s->mutex, &deadline) != 0) {
      ++s->failures[slot];
      continue;
    }
    long v = s->counter;
    for (volatile int spin = 0; spin < 50; ++spin) {
    }
    s->counter = v + 1;
    pthread_mutex_unlock(&s->mutex);
  }
}

static void shared_mutex(void) {
  struct Shared *s = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  int set = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  tap_ok(s != MAP_FAILED && set == 0 && pthread_mutex_init(&s->mutex, &attr) == 0,
         "a PTHREAD_PROCESS_SHARED mutex in MAP_SHARED memory");
  if (s == MAP_FAILED) {
    return;
  }
  int parent_cpu = child_pin(0);
  pid_t pid = fork();
  if (pid == 0) {
    child_pin(1);
    count(s, 1);
    _exit(0);
  }
  count(s, 0);
  tap_eq(wait_exit(pid), 0, "the child (CPU index 1) finished its %d rounds", kRounds);
  tap_eq(s->failures[0] + s->failures[1], 0, "no lock timed out");
  tap_eq(s->counter, 2L * kRounds,
         "every increment of both processes counted (parent on CPU %d of %d)", parent_cpu,
         child_cpu_count());
  munmap(s, kPage);
}

int main(void) {
  tap_plan(10);
  /* What the checks depend on, set here: no inherited blocked signals. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  (void)child_cpu_count(); /* the mask, before anything pins itself */
  child_pin(0);
  anonymous_shared();
  file_shared();
  shared_mutex();
  return tap_done();
}
