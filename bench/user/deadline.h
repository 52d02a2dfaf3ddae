/* Deadlines and children of the user-space benchmarks (bench/user): every benchmark ends on its
 * own. A program arms one deadline for its whole run; when it passes (something hung: a lost
 * wake-up, a partner that died), the program says so on a "# ..." line, kills and reaps the
 * children it started, and exits with status 1. Ordinary C for musl and Linux, like bench.h. */
#ifndef PLEIADES_BENCH_USER_DEADLINE_H
#define PLEIADES_BENCH_USER_DEADLINE_H

#include <sys/types.h>

/* bench_deadline: arms the deadline of the calling process: `seconds` from now (alarm), with a
 * SIGALRM handler installed and SIGALRM unblocked (a parent may have left it blocked or
 * ignored). `name` names the program in the message. Forgets the children of a parent (call it
 * first thing in a child that lives long: fork clears the alarm, not the list). */
void bench_deadline(const char *name, unsigned seconds);

/* bench_child_started: remembers child `pid`, which the deadline kills. At most 64 at a time;
 * returns -1 when that many are remembered already (the caller must then kill and reap the
 * child itself), 0 otherwise. */
int bench_child_started(pid_t pid);

/* bench_child_wait: waitpid(pid, status, 0), retried when a signal interrupts it, then forgets
 * pid. Returns waitpid's result. */
pid_t bench_child_wait(pid_t pid, int *status);

/* bench_child_ok: whether `status` says the child exited with status 0; otherwise prints
 * "# NAME: WHAT: exit status N" (or the signal) and returns 0. */
int bench_child_ok(const char *name, const char *what, int status);

/* bench_fail: prints "# NAME: WHAT", kills and reaps the remembered children (as the deadline
 * does) and exits with status 1. For a failed operation in the middle of a measurement. */
_Noreturn void bench_fail(const char *name, const char *what);

#endif
