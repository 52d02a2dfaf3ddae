/* Job control: SIGSTOP and SIGTSTP stop a child spinning on another CPU, SIGCONT continues it,
 * wait4 with WUNTRACED/WCONTINUED and waitid (WSTOPPED, WCONTINUED, WNOWAIT, P_PID, P_PGID)
 * report it as Linux encodes it, SIGKILL ends a stopped child, SIGSTOP cannot be caught,
 * blocked or ignored, SIGCONT discards pending stop signals and a stop signal a pending
 * SIGCONT, SIGCHLD says CLD_STOPPED and CLD_CONTINUED unless SA_NOCLDSTOP, a terminal stop to
 * an orphaned group is discarded, and a group orphaned with a stopped member gets SIGHUP and
 * SIGCONT. Every wait is bounded. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

/* How long a child may take to stop, continue or end (generous: an emulator on a busy host). */
enum { kWaitMs = 20000 };

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The whole test, run in a child (main): its own waits add up to more than one kWaitMs on a
 * busy host (a clean-clone run once cut it off after point 31 of 34 at kWaitMs). */
enum { kWholeTestMs = 240000 };

/* waitpid with `options`, polled with WNOHANG for at most `ms` polls of 1 ms: the PID, 0
 * (nothing in time), or -1. */
static pid_t wait_bounded_ms(pid_t pid, int *status, int options, int ms) {
    for (int i = 0; i < ms; ++i) {
        pid_t r = waitpid(pid, status, options | WNOHANG);
        if (r != 0) return r;
        sleep_ms(1);
    }
    return 0;
}

/* wait_bounded_ms for at most kWaitMs. */
static pid_t wait_bounded(pid_t pid, int *status, int options) {
    return wait_bounded_ms(pid, status, options, kWaitMs);
}

/* waitid, polled the same way: 0 with info->si_pid set, -1 (errno), or 1 for nothing in time. */
static int waitid_bounded(idtype_t type, id_t id, siginfo_t *info, int options) {
    for (int i = 0; i < kWaitMs; ++i) {
        memset(info, 0, sizeof *info);
        if (waitid(type, id, info, options | WNOHANG) != 0) return -1;
        if (info->si_pid != 0) return 0;
        sleep_ms(1);
    }
    return 1;
}

/* Ends a child that is still there (a failed point) and reaps it, so no test leaves one. */
static void finish(pid_t pid) {
    int status;
    kill(pid, SIGKILL);
    kill(pid, SIGCONT);
    wait_bounded(pid, &status, 0);
}

/* A child in a process group of its own (not orphaned: its parent is in another group of the
 * same session), pinned to CPU `cpu`, spinning in user mode. */
static pid_t spinner(int cpu) {
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        child_pin(cpu);
        for (volatile unsigned long n = 0;; ++n) {
        }
    }
    if (pid > 0) setpgid(pid, pid);  /* also here: whichever runs first, it is done before use */
    return pid;
}

/* The state letter of /proc/PID/stat (after the command's closing parenthesis), or 0. */
static char proc_state(pid_t pid) {
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *close = strrchr(text, ')');
    return close != NULL && close[1] == ' ' ? close[2] : 0;
}

static volatile sig_atomic_t chld_code, chld_count, hup_seen;
static void on_chld(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)context;
    chld_code = info->si_code;
    chld_count++;
}

static void stops_and_continues(void) {
    pid_t pid = spinner(1);
    int status = 0, ok;
    tap_ok(pid > 0, "fork a child spinning on another CPU");
    tap_eq(kill(pid, SIGSTOP), 0, "kill(child, SIGSTOP)");
    siginfo_t info;
    int r = waitid_bounded(P_PID, pid, &info, WSTOPPED | WNOWAIT);
    tap_ok(r == 0 && info.si_signo == SIGCHLD && info.si_code == CLD_STOPPED &&
               info.si_pid == pid && info.si_status == SIGSTOP && info.si_uid == getuid(),
           "waitid(P_PID, WSTOPPED|WNOWAIT): CLD_STOPPED, si_status SIGSTOP (r %d code %d status %d)",
           r, info.si_code, info.si_status);
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFSTOPPED(status) &&
               WSTOPSIG(status) == SIGSTOP && status == 0x137f,
           "WNOWAIT left it: wait4(WUNTRACED) reports the stop, status %#x", status);
    tap_eq(waitpid(pid, &status, WUNTRACED | WNOHANG), 0, "a stop is reported once");
    char state = proc_state(pid);
    tap_ok(state == 'T', "/proc/PID/stat shows it stopped (state %c)", state ? state : '?');
    tap_eq(kill(pid, SIGCONT), 0, "kill(child, SIGCONT)");
    ok = wait_bounded(pid, &status, WCONTINUED) == pid;
    tap_ok(ok && WIFCONTINUED(status) && status == 0xffff,
           "wait4(WCONTINUED) reports the continue, status %#x", status);
    tap_eq(waitpid(pid, &status, WCONTINUED | WNOHANG), 0, "a continue is reported once");

    tap_eq(kill(pid, SIGTSTP), 0, "kill(child, SIGTSTP)");
    r = waitid_bounded(P_PGID, pid, &info, WSTOPPED);
    tap_ok(r == 0 && info.si_code == CLD_STOPPED && info.si_pid == pid && info.si_status == SIGTSTP,
           "waitid(P_PGID, WSTOPPED): stopped by SIGTSTP (r %d code %d status %d)", r,
           info.si_code, info.si_status);
    tap_eq(kill(pid, SIGCONT), 0, "SIGCONT again");
    r = waitid_bounded(P_ALL, 0, &info, WCONTINUED);
    tap_ok(r == 0 && info.si_code == CLD_CONTINUED && info.si_pid == pid && info.si_status == SIGCONT,
           "waitid(P_ALL, WCONTINUED): CLD_CONTINUED (r %d code %d)", r, info.si_code);
    tap_eq(kill(pid, SIGSTOP), 0, "stopped once more");
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFSTOPPED(status), "it stops");
    tap_eq(kill(pid, SIGKILL), 0, "kill(stopped child, SIGKILL)");
    ok = wait_bounded(pid, &status, 0) == pid;
    tap_ok(ok && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "SIGKILL ends a stopped child (status %#x)", status);
    finish(pid);
}

static void stop_cannot_be_caught(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    tap_fails_with(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction(SIGSTOP, SIG_IGN): EINVAL");
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGSTOP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigprocmask(SIG_BLOCK, NULL, &now);
    tap_ok(!sigismember(&now, SIGSTOP), "SIGSTOP cannot be blocked");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* Even a child with SIGTSTP handled and everything blockable blocked stops on SIGSTOP. */
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        for (;;) pause();
    }
    int status = 0, ok;
    kill(pid, SIGSTOP);
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFSTOPPED(status) &&
               WSTOPSIG(status) == SIGSTOP,
           "a child blocking every signal stops on SIGSTOP (status %#x)", status);
    finish(pid);
}

/* The child's side of the pending-signal checks: `mode` 't' (SIGTSTP blocked: is it pending
 * before SIGCONT, gone after) or 'c' (SIGCONT blocked: is it pending before a stop signal, gone
 * after). It reports over `to_parent` and waits for `from_parent` between the steps. */
static int pending_child(char mode, int from_parent, int to_parent) {
    int blocked = mode == 't' ? SIGTSTP : SIGCONT;
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, blocked);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (mode == 'c') signal(SIGTSTP, SIG_IGN);
    char byte = 'r';
    if (write(to_parent, &byte, 1) != 1 || read(from_parent, &byte, 1) != 1) return 10;
    sigpending(&pending);
    int before = sigismember(&pending, blocked);
    byte = 'b';
    if (write(to_parent, &byte, 1) != 1 || read(from_parent, &byte, 1) != 1) return 11;
    sigpending(&pending);
    int after = sigismember(&pending, blocked);
    return before == 1 && after == 0 ? 0 : 20 + before * 2 + after;
}

static void pending_discards(void) {
    for (int round = 0; round < 2; ++round) {
        char mode = round == 0 ? 't' : 'c';
        int down[2], up[2];
        if (pipe(down) != 0 || pipe(up) != 0) {
            tap_ok(0, "pipes");
            return;
        }
        pid_t pid = fork();
        if (pid == 0) _exit(pending_child(mode, down[0], up[1]));
        setpgid(pid, pid);
        char byte;
        int ok = read(up[0], &byte, 1) == 1;
        /* 't': SIGTSTP (blocked: stays pending), then SIGCONT discards it.
         * 'c': SIGCONT (blocked: stays pending), then SIGTSTP (ignored there) discards it. */
        kill(pid, mode == 't' ? SIGTSTP : SIGCONT);
        ok = ok && write(down[1], "a", 1) == 1 && read(up[0], &byte, 1) == 1;
        kill(pid, mode == 't' ? SIGCONT : SIGTSTP);
        ok = ok && write(down[1], "c", 1) == 1;
        int status = 0;
        ok = ok && wait_bounded(pid, &status, 0) == pid;
        tap_ok(ok && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0,
               "%s (status %#x)",
               mode == 't' ? "SIGCONT discards a pending SIGTSTP"
                           : "a stop signal discards a pending SIGCONT",
               status);
        finish(pid);
        close(down[0]), close(down[1]), close(up[0]), close(up[1]);
    }
}

static void sigchld_reports(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    pid_t pid = spinner(1);
    int status = 0, ok;
    chld_count = 0;
    kill(pid, SIGSTOP);
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFSTOPPED(status), "child stopped");
    for (int i = 0; i < kWaitMs && chld_count == 0; ++i) sleep_ms(1);
    tap_ok(chld_count > 0 && chld_code == CLD_STOPPED, "SIGCHLD with CLD_STOPPED (code %d)",
           (int)chld_code);
    chld_count = 0;
    kill(pid, SIGCONT);
    ok = wait_bounded(pid, &status, WCONTINUED) == pid;
    tap_ok(ok && WIFCONTINUED(status), "child continued");
    for (int i = 0; i < kWaitMs && chld_count == 0; ++i) sleep_ms(1);
    tap_ok(chld_count > 0 && chld_code == CLD_CONTINUED, "SIGCHLD with CLD_CONTINUED (code %d)",
           (int)chld_code);

    /* SA_NOCLDSTOP: no SIGCHLD for a stop (checked with SIGCHLD blocked: the parent is told
     * before its waiters wake, so a SIGCHLD would be pending once the wait has the stop). */
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(pid, SIGSTOP);
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFSTOPPED(status), "stopped again");
    sigpending(&pending);
    tap_ok(!sigismember(&pending, SIGCHLD), "SA_NOCLDSTOP: no SIGCHLD for the stop");
    kill(pid, SIGKILL);
    ok = wait_bounded(pid, &status, 0) == pid;
    tap_ok(ok && WIFSIGNALED(status), "then killed");
    sigpending(&pending);
    tap_ok(sigismember(&pending, SIGCHLD), "SA_NOCLDSTOP: SIGCHLD still comes for the end");
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    finish(pid);
}

static int hup_pipe = -1;
static void on_hup(int sig) {
    (void)sig;
    char byte = 'H';
    if (write(hup_pipe, &byte, 1) != 1) _exit(3);
    _exit(0);
}

static void orphaned_groups(void) {
    /* We lead a session of our own: our group (us and children left in it) is orphaned, since
     * our parent is in another session. A terminal stop to it is discarded; SIGSTOP is not. */
    int ready[2];
    if (pipe(ready) != 0) {
        tap_ok(0, "pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGWINCH, (void (*)(int))_exit);  /* exits with 28 (SIGWINCH) when it runs */
        close(ready[1]);  /* the handler is in place */
        for (;;) pause();
    }
    int status = 0, ok;
    char byte = 0;
    close(ready[1]);
    (void)read(ready[0], &byte, 1);  /* EOF once the child has closed its end */
    close(ready[0]);
    kill(pid, SIGTSTP);
    kill(pid, SIGWINCH);  /* taken after SIGTSTP (lower numbers first): runs only if not stopped */
    ok = wait_bounded(pid, &status, WUNTRACED) == pid;
    tap_ok(ok && WIFEXITED(status) &&
               WEXITSTATUS(status) == SIGWINCH,
           "SIGTSTP to an orphaned group is discarded (status %#x)", status);
    finish(pid);

    /* A middle process leads the link: its child in a group of its own stops itself, then the
     * middle process exits. The group is orphaned with a stopped member: SIGHUP, SIGCONT. */
    int hup[2];
    if (pipe(hup) != 0) {
        tap_ok(0, "pipe");
        return;
    }
    pid_t middle = fork();
    if (middle == 0) {
        int ready[2];
        if (pipe(ready) != 0) _exit(2);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            hup_pipe = hup[1];
            signal(SIGHUP, on_hup);
            setpgid(0, 0);
            close(ready[0]);
            close(ready[1]);  /* the middle process sees EOF: we are in our group */
            raise(SIGSTOP);
            _exit(4);  /* continued without SIGHUP */
        }
        close(ready[1]);
        char byte;
        (void)read(ready[0], &byte, 1);
        /* Wait until the grandchild has stopped, then leave it behind. */
        int s = 0;
        _exit(wait_bounded(grandchild, &s, WUNTRACED) == grandchild && WIFSTOPPED(s) ? 0 : 1);
    }
    close(hup[1]);
    ok = wait_bounded(middle, &status, 0) == middle;
    tap_ok(ok && WIFEXITED(status) &&
               WEXITSTATUS(status) == 0,
           "the middle process saw its child stop, and exited (status %#x)", status);
    struct pollfd p = {hup[0], POLLIN, 0};
    tap_ok(poll(&p, 1, kWaitMs) == 1 && read(hup[0], &byte, 1) == 1 && byte == 'H',
           "the orphaned group with a stopped member got SIGHUP and SIGCONT");
    close(hup[0]);
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "tests") != 0) {
        /* The checks run in a child that leads a session of its own (so which groups are
         * orphaned does not depend on who started us), with signals reset. */
        int status = 0;
        pid_t pid = vfork();
        if (pid == 0) {
            char *args[] = {argv[0], "tests", NULL};
            execve(argv[0], args, args + 2);
            _exit(127);
        }
        if (pid < 0 || wait_bounded_ms(pid, &status, 0, kWholeTestMs) != pid) {
            if (pid > 0) kill(pid, SIGKILL);
            return 1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    tap_plan(34);
    (void)child_cpu_count();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < 32; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    tap_ok(setsid() == getpid(), "setsid: the tests lead a session of their own");
    stops_and_continues();
    stop_cannot_be_caught();
    pending_discards();
    sigchld_reports();
    orphaned_groups();
    return tap_done();
}
