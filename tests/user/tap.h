/* TAP output for the user test programs: "1..N" first, then one line per test point,
 * "ok K - NAME" or "not ok K - NAME # got X want Y". The boot harness (tests/boot/tap.py)
 * reads these lines from the serial log; on the host any TAP reader does.
 * Ordinary C for musl and Linux: nothing here knows which kernel runs it. */
#ifndef PLEIADES_TESTS_USER_TAP_H
#define PLEIADES_TESTS_USER_TAP_H

/* tap_plan: prints the plan "1..count". Call once, first. Sets stdout line-buffered, so the
 * lines keep their order with raw write(2) calls and with stderr on a shared console. */
void tap_plan(int count);

/* tap_ok: one test point, passed when cond is non-zero; name is a printf format. Returns cond. */
int tap_ok(int cond, const char *name, ...) __attribute__((format(printf, 2, 3)));

/* tap_eq: passes when got == want; a failure shows both. Returns whether it passed. */
int tap_eq(long got, long want, const char *name, ...) __attribute__((format(printf, 3, 4)));

/* tap_fails_with: for a call that must fail: passes when ret == -1 and errno == want_errno; a
 * failure shows what came back. Give it the call's result directly, as in
 * tap_fails_with(write(1, (void *)1, 5), EFAULT, "..."): it reads errno before anything else,
 * and the name's arguments must not change errno. */
int tap_fails_with(long ret, int want_errno, const char *name, ...)
    __attribute__((format(printf, 3, 4)));

/* tap_note: a "# ..." diagnostic line (TAP readers ignore it). */
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tap_done: the exit status: 0 only if every point passed and as many ran as were planned
 * (otherwise it says so in a diagnostic line). */
int tap_done(void);

#endif
