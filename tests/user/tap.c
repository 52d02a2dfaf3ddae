/* TAP output for the user test programs (tap.h). */
#include "tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int planned = -1;
static int ran;
static int failed;

void tap_plan(int count) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  planned = count;
  printf("1..%d\n", count);
}

/* point: prints "ok K - NAME" or "not ok K - NAME", without the newline. */
static void point(int passed, const char *name, va_list args) {
  ++ran;
  if (!passed) {
    ++failed;
  }
  printf("%sok %d - ", passed ? "" : "not ", ran);
  vprintf(name, args);
}

int tap_ok(int cond, const char *name, ...) {
  va_list args;
  va_start(args, name);
  point(cond != 0, name, args);
  va_end(args);
  printf("\n");
  return cond != 0;
}

int tap_eq(long got, long want, const char *name, ...) {
  va_list args;
  va_start(args, name);
  point(got == want, name, args);
  va_end(args);
  if (got != want) {
    printf(" # got %ld want %ld", got, want);
  }
  printf("\n");
  return got == want;
}

int tap_fails_with(long ret, int want_errno, const char *name, ...) {
  int err = errno;
  int passed = ret == -1 && err == want_errno;
  va_list args;
  va_start(args, name);
  point(passed, name, args);
  va_end(args);
  if (!passed) {
    if (ret == -1) {
      printf(" # got -1 errno %d (%s) want -1 errno %d (%s)", err, strerror(err), want_errno,
             strerror(want_errno));
    } else {
      printf(" # got %ld (success) want -1 errno %d (%s)", ret, want_errno,
             strerror(want_errno));
    }
  }
  printf("\n");
  return passed;
}

void tap_note(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  printf("# ");
  vprintf(fmt, args);
  va_end(args);
  printf("\n");
}

int tap_done(void) {
  if (planned < 0) {
    tap_note("no plan was printed");
    return 1;
  }
  if (ran != planned) {
    tap_note("planned %d test points, ran %d", planned, ran);
    return 1;
  }
  if (failed > 0) {
    tap_note("%d of %d test points failed", failed, ran);
    return 1;
  }
  return 0;
}
