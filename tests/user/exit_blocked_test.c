/* exit_group ends threads asleep in the kernel: a child process whose threads block writing a
 * full pipe and reading an empty one (pipes only the child itself holds, so nothing else ever
 * wakes them) calls exit_group; the child must end with its status, within a deadline. The
 * syscall fuzzer found a child that never ended this way.
 *
 *   exit_blocked_test            the test (TAP): runs the child and waits for it
 *   exit_blocked_test --child    the child */
#include "tap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { kChildStatus = 7 };

static int full_pipe[2], empty_pipe[2];

static void *writer(void *arg) {
  (void)arg;
  static char block[4096];
  for (;;) {
    if (write(full_pipe[1], block, sizeof block) < 0) return NULL; /* blocks once full */
  }
}

static void *reader(void *arg) {
  (void)arg;
  char c;
  (void)read(empty_pipe[0], &c, 1); /* blocks: nobody writes */
  return NULL;
}

static int child(void) {
  if (pipe(full_pipe) != 0 || pipe(empty_pipe) != 0) return 2;
  pthread_t w, r;
  if (pthread_create(&w, NULL, writer, NULL) != 0 || pthread_create(&r, NULL, reader, NULL) != 0) {
    return 3;
  }
  struct timespec ts = {0, 100 * 1000000L}; /* time for both to fall asleep */
  nanosleep(&ts, NULL);
  _exit(kChildStatus); /* exit_group */
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* spawn: vfork and execve path with argv; its own function, so nothing of the caller's is live
 * across vfork. */
static pid_t spawn(char *const argv[]) {
  fflush(stdout);
  pid_t pid = vfork();
  if (pid == 0) {
    execve(argv[0], argv, environ);
    _exit(127);
  }
  return pid;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child();
  tap_plan(2);
  char *child_argv[] = {argv[0], "--child", NULL};
  pid_t pid = spawn(child_argv);
  tap_ok(pid > 0, "vfork (errno %d)", pid < 0 ? errno : 0);
  int status = 0;
  pid_t got = 0;
  const long give_up = now_ms() + 10000;
  while (pid > 0 && (got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < give_up) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  tap_ok(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == kChildStatus,
         "exit_group ended the threads asleep on a full and an empty pipe within 10 s "
         "(waitpid %d, status %#x)", (int)got, status);
  return tap_done();
}
