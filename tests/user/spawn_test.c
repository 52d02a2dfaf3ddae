/* Processes that end while their parent reaps them at once: vfork + _exit and vfork + execve of
 * a missing program, many times, each child reaped with waitpid and its status checked; and
 * wait4's errors. Then: running a program leaves its file as it was (exec maps the file's own
 * pages and must copy any page it writes, such as the zeroed tail of a segment). The boot case user-exit-window-smp2 runs it with proc_exit_delay=5, which
 * keeps each child's last thread in the kernel after its parent could reap it: the window in
 * which a switch back to that thread must not touch the freed process. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

/* FNV-1a of the whole file at `path`, or 0 when it cannot be read. */
static uint64_t file_hash(const char *path, long *size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned char buf[4096];
    long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 0x100000001b3ull;
        total += n;
    }
    close(fd);
    *size = total;
    return n < 0 ? 0 : h;
}

/* Copies `from` to a new executable file `to`. Returns 0 or -1. */
static int copy_executable(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    int out = open(to, O_CREAT | O_EXCL | O_WRONLY, 0755);
    int ok = in >= 0 && out >= 0;
    char buf[4096];
    ssize_t n = 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0) ok = write(out, buf, (size_t)n) == n;
    if (n < 0) ok = 0;
    if (in >= 0) close(in);
    if (out >= 0 && close(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* Runs `path` with the argument "noop" and returns its exit status, or -1. */
static int run_noop(const char *path) {
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)path, "noop", NULL};
        execv(path, argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "noop") == 0) return 0;
    tap_plan(8);
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

    /* A fresh copy of this program beside it (its directory is writable in both the build tree
     * and the initramfs), run twice: its bytes must not change. */
    char copy[512];
    const char *slash = strrchr(argv[0], '/');
    int dir_len = slash ? (int)(slash - argv[0]) : 1;
    snprintf(copy, sizeof copy, "%.*s/spawn_test_copy.%d", dir_len, slash ? argv[0] : ".",
             (int)getpid());
    long size_before = 0, size_after = 0;
    uint64_t before = 0, after = 0;
    int runs = -1;
    if (copy_executable(argv[0], copy) == 0) {
        before = file_hash(copy, &size_before);
        runs = run_noop(copy) == 0 && run_noop(copy) == 0;
        after = file_hash(copy, &size_after);
    }
    tap_eq(runs, 1, "a copy of this program (%s) runs twice", copy);
    tap_ok(before != 0 && before == after && size_before == size_after,
           "running a program leaves its file's %ld bytes as they were", size_before);
    unlink(copy);
    return tap_done();
}
