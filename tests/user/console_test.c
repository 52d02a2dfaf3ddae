/* write(2) on the console descriptors: counts, empty writes, and the errors Linux gives for
 * bad buffers (NULL, kernel half, non-canonical, a buffer that runs into unmapped memory) and
 * bad descriptors. */
#include "tap.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  tap_plan(10);
  static const char out[] = "# console_test: write to 1\n";
  static const char errline[] = "# console_test: write to 2\n";

  tap_eq(write(1, out, strlen(out)), (long)strlen(out), "write to 1 returns the count");
  tap_eq(write(2, errline, strlen(errline)), (long)strlen(errline),
         "write to 2 returns the count");
  tap_eq(write(1, out, 0), 0, "write of 0 bytes returns 0");

  tap_fails_with(write(1, (const void *)1, 5), EFAULT, "write(1, (void*)1, 5) fails with EFAULT");
  tap_fails_with(write(1, NULL, 5), EFAULT, "write from NULL fails with EFAULT");
  /* The start of the top 2 GiB, where Linux (and Pleiades) link their kernels. */
  tap_fails_with(write(1, (const void *)0xffffffff80000000ul, 5), EFAULT,
                 "write from a kernel address fails with EFAULT");
  /* The first non-canonical address with 48-bit virtual addresses. */
  tap_fails_with(write(1, (const void *)0x0000800000000000ul, 5), EFAULT,
                 "write from a non-canonical address fails with EFAULT");

  /* A buffer whose last 3 mapped bytes are followed by an unmapped page: Linux either writes
   * the mapped part (files and pipes) or fails with EFAULT (a terminal); never more. The mapped
   * bytes are newlines, so a partial write leaves the TAP output intact. */
  long page = sysconf(_SC_PAGESIZE);
  char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (two == MAP_FAILED || munmap(two + page, page) != 0) {
    tap_ok(0, "write running into unmapped memory (mmap or munmap failed: errno %d)", errno);
  } else {
    memset(two + page - 3, '\n', 3);
    errno = 0;
    long ret = write(1, two + page - 3, 8);
    int err = errno;
    tap_ok((ret == -1 && err == EFAULT) || (ret >= 0 && ret <= 3),
           "write running into unmapped memory: EFAULT or at most the 3 mapped bytes"
           " (got %ld, errno %d)", ret, err);
    munmap(two, page);
  }

  tap_fails_with(write(99, out, 1), EBADF, "write to descriptor 99 (not open) fails with EBADF");
  tap_fails_with(write(-1, out, 1), EBADF, "write to descriptor -1 fails with EBADF");
  return tap_done();
}
