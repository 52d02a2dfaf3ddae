/* Clocks and sleeping: clock_gettime, clock_getres, nanosleep and clock_nanosleep with good and
 * bad arguments. Only lower bounds on sleeping are checked (a sleep may always take longer). */
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int64_t monotonic_ns(void) {
  struct timespec t = {0, 0};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ns(t);
}

static int valid(struct timespec t) {
  return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000;
}

int main(void) {
  tap_plan(13);
  struct timespec t = {-1, -1};
  tap_ok(clock_gettime(CLOCK_MONOTONIC, &t) == 0 && valid(t), "clock_gettime(CLOCK_MONOTONIC)");
  t = (struct timespec){-1, -1};
  tap_ok(clock_gettime(CLOCK_REALTIME, &t) == 0 && valid(t), "clock_gettime(CLOCK_REALTIME)");
  tap_note("realtime %lld.%09ld", (long long)t.tv_sec, t.tv_nsec);

  int64_t last = monotonic_ns();
  int backwards = 0;
  for (int i = 0; i < 10000; ++i) {
    int64_t now = monotonic_ns();
    backwards += now < last;
    last = now;
  }
  tap_eq(backwards, 0, "CLOCK_MONOTONIC never goes back in 10000 reads");

  struct timespec res = {-1, -1};
  tap_ok(clock_getres(CLOCK_MONOTONIC, &res) == 0 && valid(res) && ns(res) > 0 &&
             ns(res) <= 1000000000,
         "clock_getres(CLOCK_MONOTONIC) is between 1 ns and 1 s (got %lld ns)",
         (long long)ns(res));

  int64_t before = monotonic_ns();
  struct timespec sleep = {0, 20 * 1000 * 1000};
  tap_eq(nanosleep(&sleep, NULL), 0, "nanosleep of 20 ms returns 0");
  int64_t slept = monotonic_ns() - before;
  tap_ok(slept >= 20 * 1000 * 1000, "nanosleep slept at least 20 ms (%lld ns)", (long long)slept);

  before = monotonic_ns();
  sleep = (struct timespec){0, 10 * 1000 * 1000};
  tap_eq(clock_nanosleep(CLOCK_MONOTONIC, 0, &sleep, NULL), 0,
         "clock_nanosleep(CLOCK_MONOTONIC) of 10 ms returns 0");
  slept = monotonic_ns() - before;
  tap_ok(slept >= 10 * 1000 * 1000, "clock_nanosleep slept at least 10 ms (%lld ns)",
         (long long)slept);

  struct timespec bad = {0, 1000000000};
  tap_fails_with(nanosleep(&bad, NULL), EINVAL, "nanosleep with tv_nsec = 1e9 fails with EINVAL");
  bad = (struct timespec){0, -1};
  tap_fails_with(nanosleep(&bad, NULL), EINVAL, "nanosleep with tv_nsec = -1 fails with EINVAL");
  /* Raw calls: musl may answer clock_gettime from the vDSO in user space, without the kernel. */
  tap_fails_with(syscall(SYS_clock_gettime, 12345, &t), EINVAL,
                 "clock_gettime of an unknown clock fails with EINVAL");
  tap_fails_with(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1), EFAULT,
                 "clock_gettime into (void*)1 fails with EFAULT");
  tap_fails_with(syscall(SYS_nanosleep, (void *)1, NULL), EFAULT,
                 "nanosleep from (void*)1 fails with EFAULT");
  return tap_done();
}
