/* Process creation: "fork_exit_wait": fork, the child _exits at once, waitpid; and
 * "fork_exec_wait": fork, the child execve()s a `true` program, waitpid. The program is the
 * path given as the first argument, or /bin/true (in Pleiades's test initramfs, a link to the
 * static busybox; on a Debian host, coreutils' dynamically linked true: run
 * `bench_fork /bin/busybox` there for the same static busybox). It runs with argv[0] "true",
 * which busybox takes as the applet. Every child must exit with status 0; the param of the
 * exec line is the path. */
#include "bench.h"
#include "deadline.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { kDeadlineSeconds = 120 };

/* fork_wait: forks, runs `child` in the child (which must not return), waits for it. */
static void fork_wait(void (*child)(const char *), const char *arg) {
  pid_t pid = fork();
  if (pid < 0) bench_fail("fork", "fork failed");
  if (pid == 0) child(arg);
  if (bench_child_started(pid) != 0) {
    kill(pid, SIGKILL);
    bench_fail("fork", "too many children");
  }
  int status = 0;
  if (bench_child_wait(pid, &status) != pid) bench_fail("fork", "waitpid failed");
  if (!bench_child_ok("fork", arg ? arg : "the child", status)) {
    bench_fail("fork", "a child failed");
  }
}

static void exit_at_once(const char *arg) {
  (void)arg;
  _exit(0);
}

static void exec_true(const char *path) {
  char *argv[] = {"true", NULL};
  execve(path, argv, environ);
  _exit(127); /* exec failed: the status says so */
}

static void fork_exit_op(void *arg, uint64_t count) {
  (void)arg;
  for (uint64_t i = 0; i < count; ++i) fork_wait(exit_at_once, NULL);
}

static void fork_exec_op(void *arg, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) fork_wait(exec_true, (const char *)arg);
}

int main(int argc, char **argv) {
  bench_deadline("fork", kDeadlineSeconds);
  const char *path = argc > 1 ? argv[1] : "/bin/true";
  if (access(path, X_OK) != 0) {
    printf("# fork: %s is not an executable file\n", path);
    return 1;
  }
  fflush(stdout); /* the children inherit no unwritten output */
  bench_measure("fork_exit_wait", "", fork_exit_op, NULL, 5, 1ull << 20);
  bench_measure("fork_exec_wait", path, fork_exec_op, (void *)path, 5, 1ull << 20);
  return 0;
}
