/* Test children: a test program runs a part that must fault or hang-proof exit in a child,
 * which is the same program again (vfork, then execve of argv[0] with one mode argument: there
 * is no /proc/self/exe), and checks the child's wait status. Every wait is bounded: a child
 * that does not end in time is a failed test point, never a hung runner.
 * Ordinary C for musl and Linux, like tap.h. */
#ifndef PLEIADES_TESTS_USER_CHILD_H
#define PLEIADES_TESTS_USER_CHILD_H

/* child_run: starts `self mode` (self is the program's argv[0]) and waits for it for at most
 * timeout_ms milliseconds, polling wait4 with WNOHANG and sleeping between polls. Returns 1
 * with *status set when the child ended, 0 when it could not be started or did not end in time
 * (after a "# ..." line saying which; a child still running is then sent SIGKILL, which only
 * a kernel with signals carries out). Sets RLIMIT_CORE to 0 first, so faulting children leave
 * no core files on the host. */
int child_run(const char *self, const char *mode, int timeout_ms, int *status);

/* child_expect_signal: one test point: `self mode` must be killed by signal sig within
 * timeout_ms. name describes the point. Returns whether it passed. */
int child_expect_signal(const char *self, const char *mode, int sig, int timeout_ms,
                        const char *name);

/* child_expect_exit: one test point: `self mode` must exit with status code within
 * timeout_ms. Returns whether it passed. */
int child_expect_exit(const char *self, const char *mode, int code, int timeout_ms,
                      const char *name);

/* child_cpu_count: the number of CPUs in the process's affinity mask (at least 1), as the
 * first call saw it: call it from the main thread before any thread pins itself. */
int child_cpu_count(void);

/* child_pin: pins the calling thread (sched_setaffinity with pid 0: the caller alone) to CPU
 * number index % child_cpu_count() of that mask, in ascending order. Returns the CPU, or -1
 * (after a "# ..." line) when that failed. */
int child_pin(int index);

#endif
