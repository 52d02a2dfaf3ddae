/* Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid with Linux's errors,
 * kill to the caller's group (pid 0) and to a group (-pgid), and waitpid for a group. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

static pid_t __attribute__((noinline)) spawn(const char *self, const char *mode) {
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)self, (char *)mode, NULL};
        execve(self, argv, argv + 2);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "session") == 0) {
        /* A child that is not a group leader may start a session of its own. */
        pid_t me = getpid();
        return setsid() == me && getsid(0) == me && getpgrp() == me ? 0 : 1;
    }
    if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
        struct timespec t = {0, 300 * 1000 * 1000};
        nanosleep(&t, NULL);
        return 5;
    }
    tap_plan(11);
    pid_t me = getpid();
    tap_ok(getpgid(0) == getpgrp() && getsid(0) > 0, "getpgid(0) equals getpgrp(); getsid works");
    tap_fails_with(getpgid(0x7ffffff0), ESRCH, "getpgid of no process: ESRCH");
    tap_eq(setpgid(0, 0), 0, "setpgid(0, 0) makes a group of our own");
    tap_eq(getpgrp(), me, "our group is our PID");
    tap_fails_with(setsid(), EPERM, "setsid from a group leader: EPERM");
    signal(SIGUSR1, on_usr1);
    tap_ok(kill(0, SIGUSR1) == 0 && got == SIGUSR1, "kill(0, sig) reaches our own group");
    got = 0;
    tap_ok(kill(-me, SIGUSR1) == 0 && got == SIGUSR1, "kill(-pgid, sig) reaches the group");
    tap_fails_with(kill(-0x7ffffff0, SIGUSR1), ESRCH, "kill to an empty group: ESRCH");

    int status = 0;
    pid_t pid = spawn(argv[0], "session");
    tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a child starts a session of its own (status %#x)", status);

    pid = spawn(argv[0], "sleep");
    tap_fails_with(setpgid(pid, pid), EACCES, "setpgid on a child that has exec'd: EACCES");
    tap_ok(waitpid(-me, &status, 0) == pid && WEXITSTATUS(status) == 5,
           "waitpid(-pgid) reaps a child of our group");
    return tap_done();
}
