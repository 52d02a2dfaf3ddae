/* Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid with Linux's errors,
 * kill to the caller's group (pid 0) and to a group (-pgid), waitpid for a group, and a group
 * that only a zombie holds. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

static pid_t __attribute__((noinline)) spawn(const char *self, const char *mode, const char *arg) {
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)self, (char *)mode, (char *)arg, NULL};
        execve(self, argv, argv + 3);
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
    if (argc > 2 && strcmp(argv[1], "sleep") == 0) {
        /* Tell the parent we run the new program, then stay a while. */
        if (write(atoi(argv[2]), "x", 1) != 1) return 6;
        struct timespec t = {0, 300 * 1000 * 1000};
        nanosleep(&t, NULL);
        return 5;
    }
    if (argc < 2 || strcmp(argv[1], "tests") != 0) {
        /* The checks run in a child: whoever started us may have made us a session leader (setsid
         * or a job-control shell), and a session leader may not change its group. The child is
         * neither a session nor a group leader, nor process 1 of a PID namespace. */
        int status = 0;
        pid_t pid = spawn(argv[0], "tests", NULL);
        if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    tap_plan(16);
    pid_t me = getpid();
    /* A child is in its parent's session. (The ID can be 0 on Linux when the session leader is
     * outside our PID namespace, as in a container; compare rather than test for > 0.) */
    tap_ok(getpgid(0) == getpgrp() && getsid(0) >= 0 && getsid(0) == getsid(getppid()),
           "getpgid(0) equals getpgrp(); a child is in its parent's session");
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
    pid_t pid = spawn(argv[0], "session", NULL);
    tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a child starts a session of its own (status %#x)", status);

    /* vfork returns once the child has replaced its memory, which on Linux is before exec has
     * finished (the "has not exec'd" mark is cleared a little later): wait for the new program
     * to say it runs before asking. */
    int ready[2];
    char byte, fd_text[16];
    tap_ok(pipe(ready) == 0, "pipe");
    snprintf(fd_text, sizeof fd_text, "%d", ready[1]);
    pid = spawn(argv[0], "sleep", fd_text);
    close(ready[1]);
    tap_ok(read(ready[0], &byte, 1) == 1, "the child runs its new program");
    tap_fails_with(setpgid(pid, pid), EACCES, "setpgid on a child that has exec'd: EACCES");
    tap_ok(waitpid(-me, &status, 0) == pid && WEXITSTATUS(status) == 5,
           "waitpid(-pgid) reaps a child of our group");

    /* A group whose only member is a zombie (exited, not yet reaped) still exists, as in a
     * shell's pipeline whose first process ends before the next one joins its group. */
    pid_t leader = fork();
    if (leader == 0) _exit(setpgid(0, 0) == 0 ? 0 : 1);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    tap_ok(leader > 0 && waitid(P_PID, leader, &info, WEXITED | WNOWAIT) == 0 &&
               info.si_status == 0 && getpgid(leader) == leader,
           "a child made a group of its own and exited (a zombie)");
    pid_t joiner = fork();
    if (joiner == 0) {
        struct timespec t = {5, 0};
        nanosleep(&t, NULL); /* ended by the parent's SIGKILL below */
        _exit(0);
    }
    tap_ok(setpgid(joiner, leader) == 0 && getpgid(joiner) == leader,
           "another child joins the zombie's group");
    kill(joiner, SIGKILL);
    tap_ok(waitpid(joiner, &status, 0) == joiner && waitpid(leader, &status, 0) == leader,
           "both reaped");
    return tap_done();
}
