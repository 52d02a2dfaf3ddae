/* Interval timers and CPU time: alarm and setitimer(ITIMER_REAL) interrupt a blocking read with
 * EINTR, or restart it under SA_RESTART; getitimer, alarm's remaining seconds, Linux's EINVALs;
 * timers are not inherited by fork and are kept across execve; ITIMER_VIRTUAL and ITIMER_PROF
 * fire on CPU time; times, getrusage (self, thread, children), clock_gettime's CPU clocks and
 * wait4's rusage grow under a CPU-bound loop, never above the wall time. The parts that block on
 * a timer run in children with a deadline (child.h). No timing assertions: "grew", "fired". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

enum { kChildMs = 20000 };

static long long ns_of(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long tv_ns(struct timeval t) { return t.tv_sec * 1000000000LL + t.tv_usec * 1000LL; }

/* Spins until the process has used `ms` more CPU time (or 20 s of wall time went by). */
static void burn(int ms) {
    long long until = ns_of(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000LL;
    long long deadline = ns_of(CLOCK_MONOTONIC) + 20000000000LL;
    while (ns_of(CLOCK_PROCESS_CPUTIME_ID) < until && ns_of(CLOCK_MONOTONIC) < deadline) {
        for (volatile int i = 0; i < 10000; ++i) {
        }
    }
}

static volatile sig_atomic_t fired;
static int wake_fd = -1;
static void on_alarm(int sig) {
    (void)sig;
    if (++fired == 2 && wake_fd >= 0) {
        char byte = 'w';
        if (write(wake_fd, &byte, 1) != 1) _exit(9);
    }
}

static void catch_signal(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void arm(int which, long value_us, long interval_us) {
    struct itimerval t = {{interval_us / 1000000, interval_us % 1000000},
                          {value_us / 1000000, value_us % 1000000}};
    setitimer(which, &t, NULL);
}

/* Child modes (exit 0: as expected). */
static int child_mode(const char *self, const char *mode) {
    int p[2];
    if (strcmp(mode, "eintr") == 0) {
        /* No SA_RESTART: the read ends with EINTR once SIGALRM's handler has run. */
        if (pipe(p) != 0) return 2;
        catch_signal(SIGALRM, 0);
        arm(ITIMER_REAL, 50000, 0);
        char byte;
        long r = read(p[0], &byte, 1);
        return r == -1 && errno == EINTR && fired == 1 ? 0 : 3;
    }
    if (strcmp(mode, "restart") == 0) {
        /* SA_RESTART and a periodic timer: the read goes on after the first SIGALRM; the second
         * one's handler writes the byte it returns with. */
        if (pipe(p) != 0) return 2;
        wake_fd = p[1];
        catch_signal(SIGALRM, SA_RESTART);
        arm(ITIMER_REAL, 30000, 30000);
        char byte = 0;
        long r = read(p[0], &byte, 1);
        arm(ITIMER_REAL, 0, 0);
        return r == 1 && byte == 'w' && fired >= 2 ? 0 : 4;
    }
    if (strcmp(mode, "alarm") == 0) {
        /* alarm(1) with SIGALRM's default action ends the process. */
        signal(SIGALRM, SIG_DFL);
        alarm(1);
        for (;;) pause();
    }
    if (strcmp(mode, "exec-keep") == 0) {
        alarm(100);
        char *argv[] = {(char *)self, "after-exec", NULL};
        execve(self, argv, argv + 2);
        return 5;
    }
    if (strcmp(mode, "after-exec") == 0) {
        struct itimerval now;
        getitimer(ITIMER_REAL, &now);
        alarm(0);
        return now.it_value.tv_sec > 0 && now.it_value.tv_sec <= 100 ? 0 : 6;
    }
    if (strcmp(mode, "fork-none") == 0) {
        alarm(100);
        pid_t pid = fork();
        if (pid == 0) {
            struct itimerval now;
            getitimer(ITIMER_REAL, &now);
            _exit(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0 ? 0 : 7);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        alarm(0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 8;
    }
    if (strcmp(mode, "virtual") == 0 || strcmp(mode, "prof") == 0) {
        /* A CPU-time timer fires while the process spins. */
        int which = mode[0] == 'v' ? ITIMER_VIRTUAL : ITIMER_PROF;
        int sig = mode[0] == 'v' ? SIGVTALRM : SIGPROF;
        catch_signal(sig, SA_RESTART);
        arm(which, 20000, 0);
        long long deadline = ns_of(CLOCK_MONOTONIC) + 15000000000LL;
        while (fired == 0 && ns_of(CLOCK_MONOTONIC) < deadline) {
            for (volatile int i = 0; i < 10000; ++i) {
            }
        }
        return fired == 1 ? 0 : 10;
    }
    if (strcmp(mode, "spin") == 0) {
        burn(200);
        return 0;
    }
    return 99;
}

static void timers(const char *self) {
    alarm(0);
    tap_eq(alarm(100), 0, "alarm(100) with none set returns 0");
    tap_eq(alarm(0), 100, "alarm(0) returns the seconds left (100, rounded)");
    struct itimerval t = {{0, 250000}, {2, 0}}, now, old;
    tap_eq(setitimer(ITIMER_REAL, &t, NULL), 0, "setitimer(ITIMER_REAL, 2 s every 0.25 s)");
    tap_ok(getitimer(ITIMER_REAL, &now) == 0 && now.it_interval.tv_sec == 0 &&
               now.it_interval.tv_usec == 250000 && now.it_value.tv_sec <= 2 &&
               (now.it_value.tv_sec > 0 || now.it_value.tv_usec > 0),
           "getitimer: the interval, and at most the value left (%ld.%06ld)",
           (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);
    struct itimerval zero = {{0, 0}, {0, 0}};
    tap_ok(setitimer(ITIMER_REAL, &zero, &old) == 0 && old.it_interval.tv_usec == 250000,
           "setitimer returns the old setting and disarms");
    tap_ok(getitimer(ITIMER_REAL, &now) == 0 && now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0,
           "disarmed: getitimer says 0");
    tap_fails_with(setitimer(5, &t, NULL), EINVAL, "setitimer of no such timer: EINVAL");
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    tap_fails_with(setitimer(ITIMER_REAL, &bad, NULL), EINVAL, "tv_usec of 1000000: EINVAL");
    tap_fails_with(getitimer(7, &now), EINVAL, "getitimer of no such timer: EINVAL");
    child_expect_exit(self, "eintr", 0, kChildMs, "SIGALRM interrupts a blocking read: EINTR");
    child_expect_exit(self, "restart", 0, kChildMs,
                      "under SA_RESTART the read restarts (periodic timer, second expiry ends it)");
    child_expect_signal(self, "alarm", SIGALRM, kChildMs, "alarm(1) with the default action ends the process");
    child_expect_exit(self, "fork-none", 0, kChildMs, "fork's child has no timer");
    child_expect_exit(self, "exec-keep", 0, kChildMs, "execve keeps the alarm");
    child_expect_exit(self, "virtual", 0, kChildMs, "ITIMER_VIRTUAL sends SIGVTALRM once on CPU time");
    child_expect_exit(self, "prof", 0, kChildMs, "ITIMER_PROF sends SIGPROF once on CPU time");
}

static void cpu_time(const char *self) {
    struct tms t0, t1;
    struct rusage r0, r1, th0, th1;
    long long wall0 = ns_of(CLOCK_MONOTONIC);
    long long proc0 = ns_of(CLOCK_PROCESS_CPUTIME_ID), thread0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    times(&t0);
    getrusage(RUSAGE_SELF, &r0);
    getrusage(RUSAGE_THREAD, &th0);
    burn(300);
    times(&t1);
    getrusage(RUSAGE_SELF, &r1);
    getrusage(RUSAGE_THREAD, &th1);
    long long proc1 = ns_of(CLOCK_PROCESS_CPUTIME_ID), thread1 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    long long wall1 = ns_of(CLOCK_MONOTONIC);
    tap_ok(proc1 - proc0 >= 300000000LL, "CLOCK_PROCESS_CPUTIME_ID grew by the loop (%lld ns)",
           proc1 - proc0);
    tap_ok(thread1 > thread0, "CLOCK_THREAD_CPUTIME_ID grew (%lld ns)", thread1 - thread0);
    /* One thread: its CPU time cannot pass the wall time (10 ms slack: Linux's rusage split). */
    tap_ok(proc1 - proc0 <= wall1 - wall0 + 10000000LL, "CPU time not above the wall time (%lld <= %lld)",
           proc1 - proc0, wall1 - wall0);
    tap_ok(t1.tms_utime + t1.tms_stime > t0.tms_utime + t0.tms_stime && t1.tms_utime > t0.tms_utime,
           "times: utime grew (%ld -> %ld ticks)", (long)t0.tms_utime, (long)t1.tms_utime);
    tap_ok(tv_ns(r1.ru_utime) > tv_ns(r0.ru_utime), "getrusage(RUSAGE_SELF): ru_utime grew");
    tap_ok(tv_ns(th1.ru_utime) + tv_ns(th1.ru_stime) > tv_ns(th0.ru_utime) + tv_ns(th0.ru_stime),
           "getrusage(RUSAGE_THREAD) grew");
    tap_ok(tv_ns(r1.ru_utime) + tv_ns(r1.ru_stime) <= proc1 + 10000000LL,
           "getrusage agrees with the CPU clock (%lld <= %lld)",
           tv_ns(r1.ru_utime) + tv_ns(r1.ru_stime), proc1);
    tap_fails_with(getrusage(7, &r1), EINVAL, "getrusage(7): EINVAL");

    /* A child that spins: wait4's rusage and RUSAGE_CHILDREN show its time. */
    struct rusage c0, c1, waited;
    getrusage(RUSAGE_CHILDREN, &c0);
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "spin", NULL};
        execve(self, argv, argv + 2);
        _exit(127);
    }
    int status = 0;
    memset(&waited, 0, sizeof waited);
    pid_t r = wait4(pid, &status, 0, &waited);
    getrusage(RUSAGE_CHILDREN, &c1);
    tap_ok(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the spinning child exits");
    tap_ok(tv_ns(waited.ru_utime) + tv_ns(waited.ru_stime) >= 150000000LL,
           "wait4's rusage has the child's CPU time (%lld ns)",
           tv_ns(waited.ru_utime) + tv_ns(waited.ru_stime));
    tap_ok(tv_ns(c1.ru_utime) + tv_ns(c1.ru_stime) > tv_ns(c0.ru_utime) + tv_ns(c0.ru_stime),
           "getrusage(RUSAGE_CHILDREN) grew at the reap");
    struct tms tc;
    times(&tc);
    tap_ok(tc.tms_cutime + tc.tms_cstime > 0, "times: the children's time (%ld ticks)",
           (long)(tc.tms_cutime + tc.tms_cstime));
}

int main(int argc, char **argv) {
    if (argc > 1) return child_mode(argv[0], argv[1]);
    tap_plan(28);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    timers(argv[0]);
    cpu_time(argv[0]);
    return tap_done();
}
