/* Processes that end while their parent reaps them at once: vfork + _exit and vfork + execve of
 * a missing program, many times, each child reaped with waitpid and its status checked; and
 * wait4's errors. The boot case user-exit-window-smp2 runs it with proc_exit_delay=5, which
 * keeps each child's last thread in the kernel after its parent could reap it: the window in
 * which a switch back to that thread must not touch the freed process. */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

enum { kRounds = 40 };

/* vfork in its own frame: the child only calls _exit or execve, and the parent's variables
 * stay out of the child's reach. */
static pid_t __attribute__((noinline)) spawn_exit(int code) {
    pid_t pid = vfork();
    if (pid == 0) _exit(code);
    return pid;
}

static pid_t __attribute__((noinline)) spawn_missing(void) {
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {"/no/such/program", NULL};
        execve(argv[0], argv, argv + 1);
        _exit(errno == ENOENT ? 42 : 1);
    }
    return pid;
}

int main(void) {
    tap_plan(6);
    int exited_ok = 0;
    for (int i = 0; i < kRounds; ++i) {
        pid_t pid = spawn_exit(i & 0x7f);
        int status = 0;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == (i & 0x7f)) {
            ++exited_ok;
        }
    }
    tap_eq(exited_ok, kRounds, "%d vfork children exit and are reaped with their status", kRounds);

    int missing_ok = 0;
    for (int i = 0; i < kRounds; ++i) {
        pid_t pid = spawn_missing();
        int status = 0;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 42) {
            ++missing_ok;
        }
    }
    tap_eq(missing_ok, kRounds, "execve of a missing program fails with ENOENT in %d children",
           kRounds);

    int status = 0;
    tap_fails_with(waitpid(-1, &status, 0), ECHILD, "waitpid with no children: ECHILD");
    tap_fails_with(waitpid(-1, &status, 0x10000000), EINVAL, "waitpid with an unknown option: EINVAL");
    pid_t pid = spawn_exit(3);
    tap_eq(waitpid(pid + 1000, &status, 0), -1, "waitpid for a PID that is not a child fails");
    tap_eq(waitpid(pid, &status, WNOHANG) == pid || waitpid(pid, &status, 0) == pid, 1,
           "the child is reaped by its own PID");
    return tap_done();
}
