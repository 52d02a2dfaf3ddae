/* The benchmark runner: runs each benchmark program in turn (vfork, execve, wait4), passing
 * their JSON lines through, and reports "bench: N ran, N failed", exiting 0 only when every
 * program exited 0. Adds one "# ..." line per program with how it ended.
 *
 * With arguments it runs those paths; without, the list the build wrote (user_bench_list.h,
 * each as /bench/NAME). As process 1 under Pleiades: init=/bench/run (scripts/bench --user). */
#include <stdio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user_bench_list.h"

extern char **environ;

/* run_one: vfork and execve path, wait for it. Returns whether it exited with status 0. */
static int run_one(const char *path) {
  char *argv[] = {(char *)path, NULL};
  printf("# run %s\n", path);
  fflush(stdout);
  pid_t pid = vfork();
  if (pid < 0) {
    printf("# %s: vfork failed\n", path);
    return 0;
  }
  if (pid == 0) {
    execve(path, argv, environ);
    _exit(127); /* exec failed: the status says so */
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    printf("# %s: waitpid failed\n", path);
    return 0;
  }
  if (WIFEXITED(status)) {
    printf("# %s: exit status %d\n", path, WEXITSTATUS(status));
    return WEXITSTATUS(status) == 0;
  }
  if (WIFSIGNALED(status)) {
    printf("# %s: killed by signal %d\n", path, WTERMSIG(status));
    return 0;
  }
  printf("# %s: status %#x\n", path, status);
  return 0;
}

int main(int argc, char **argv) {
  static const char *const builtin[] = {PLEIADES_USER_BENCH_LIST};
  struct utsname u;
  if (uname(&u) == 0) printf("# bench: %s %s, %ld CPUs\n", u.sysname, u.release,
                             sysconf(_SC_NPROCESSORS_ONLN));
  int ran = 0, failed = 0;
  char path[256];
  if (argc > 1) {
    for (int i = 1; i < argc; ++i, ++ran) failed += !run_one(argv[i]);
  } else {
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; ++i, ++ran) {
      snprintf(path, sizeof path, "/bench/%s", builtin[i]);
      failed += !run_one(path);
    }
  }
  printf("bench: %d ran, %d failed\n", ran, failed);
  return failed == 0 ? 0 : 1;
}
