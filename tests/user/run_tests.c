/* The user-test runner: runs each test program in turn (vfork, execve, wait4) and reports
 * "user tests: N passed, N failed", exiting 0 only when every program exited 0. The programs
 * print their own TAP; this adds one "# ..." line per program with how it ended.
 *
 * With arguments it runs those paths; without, the list the build wrote (user_tests_list.h,
 * each as /tests/NAME). As process 1 under Pleiades: init=/tests/run. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "user_tests_list.h"

extern char **environ;

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

/* As process 1 the runner is the parent of every orphan a test leaves behind (jobs_test's
 * orphaned process group does, by design): it reaps them, waiting at most 10 s for those still
 * running, so that the kernel's leak check at the end finds none. */
static void reap_orphans(void) {
    int reaped = 0, status;
    for (int i = 0; i < 1000; ++i) {
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            reaped++;
            continue;
        }
        if (pid < 0) break; /* ECHILD: none left */
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    if (reaped != 0) printf("# reaped %d orphaned process(es)\n", reaped);
}

int main(int argc, char **argv) {
    static const char *const builtin[] = {PLEIADES_USER_TESTS_LIST};
    int passed = 0, failed = 0;
    char path[256];
    if (argc > 1) {
        for (int i = 1; i < argc; ++i) {
            if (run_one(argv[i])) passed++; else failed++;
        }
    } else {
        for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); ++i) {
            snprintf(path, sizeof(path), "/tests/%s", builtin[i]);
            if (run_one(path)) passed++; else failed++;
        }
    }
    if (getpid() == 1) reap_orphans();
    printf("user tests: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
