/* exit_group ends every thread of the process wherever it is: a child process starts 4 threads
 * spinning in user mode (pinned to different CPUs), 1 thread blocked in a futex wait, and one
 * thread calls exit_group(7); the parent sees exit status 7 within 10 s (polled: a hang fails
 * the point instead of hanging the test). The same with the main thread calling exit_group,
 * and with the main thread gone first (pthread_exit). Run without arguments; a mode argument
 * is one child (child.h). */
#include "child.h"
#include "tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* FUTEX_WAIT | FUTEX_PRIVATE_FLAG (Linux's uapi/linux/futex.h; musl-gcc has no kernel
 * headers). */
enum { kFutexWaitPrivate = 0 | 128 };

enum {
  kSpinners = 4,
  kExitCode = 7,
  kTimeoutMs = 10000,  /* the parent's bound on each child */
  kReadyMs = 5000,     /* the child's bound on its threads getting ready */
};

static atomic_int spinners_running;
static atomic_int waiter_ready;
static atomic_uint futex_word; /* stays 0: the waiter never has a reason to wake */

/* spinner: pins itself, then loops in user mode without a system call. */
static void *spinner(void *arg) {
  child_pin((int)(long)arg);
  atomic_fetch_add(&spinners_running, 1);
  volatile unsigned long turns = 0;
  for (;;) {
    ++turns;
  }
  return NULL;
}

/* waiter: blocks in FUTEX_WAIT on a word nobody changes (again after any spurious return). */
static void *waiter(void *arg) {
  (void)arg;
  atomic_store(&waiter_ready, 1);
  for (;;) {
    syscall(SYS_futex, &futex_word, kFutexWaitPrivate, 0, NULL, NULL, 0);
  }
  return NULL;
}

/* exit_when_ready: waits (bounded) until every spinner runs and the waiter is about to block,
 * gives the waiter 20 ms to get into the kernel, then exit_group(7). Not ready in time:
 * exit_group(4), which the parent reports as the wrong status. */
static void *exit_when_ready(void *arg) {
  (void)arg;
  struct timespec ms = {0, 1000000L};
  for (int waited = 0; atomic_load(&spinners_running) < kSpinners || !atomic_load(&waiter_ready);
       ++waited) {
    if (waited >= kReadyMs) {
      syscall(SYS_exit_group, 4);
    }
    nanosleep(&ms, NULL);
  }
  struct timespec settle = {0, 20000000L};
  nanosleep(&settle, NULL);
  syscall(SYS_exit_group, kExitCode);
  return NULL;
}

/* child: the threads, then mode says who calls exit_group: "thread" (another thread while
 * main waits in pthread_join), "main" (main itself), "main_gone" (another thread after main
 * called pthread_exit). Returns only when a thread could not be created. */
static int child(const char *mode) {
  child_cpu_count(); /* the mask, before anything is pinned */
  pthread_t t;
  for (long i = 0; i < kSpinners; ++i) {
    if (pthread_create(&t, NULL, spinner, (void *)i) != 0) {
      return 5;
    }
  }
  if (pthread_create(&t, NULL, waiter, NULL) != 0) {
    return 5;
  }
  if (strcmp(mode, "main") == 0) {
    exit_when_ready(NULL);
  }
  pthread_t exiter;
  if (pthread_create(&exiter, NULL, exit_when_ready, NULL) != 0) {
    return 5;
  }
  if (strcmp(mode, "main_gone") == 0) {
    pthread_exit(NULL);
  }
  pthread_join(exiter, NULL);
  return 6; /* exit_group returned: the parent's point fails with this status */
}

int main(int argc, char **argv) {
  if (argc > 1) {
    return child(argv[1]);
  }
  tap_plan(3);
  child_expect_exit(argv[0], "thread", kExitCode, kTimeoutMs,
                    "exit_group(7) from a thread, 4 threads spinning, 1 in a futex wait");
  child_expect_exit(argv[0], "main", kExitCode, kTimeoutMs,
                    "exit_group(7) from the main thread, 4 threads spinning, 1 in a futex wait");
  child_expect_exit(argv[0], "main_gone", kExitCode, kTimeoutMs,
                    "exit_group(7) from a thread after the main thread's pthread_exit");
  return tap_done();
}
