/* The memory system calls: brk, anonymous mmap (private and shared, MAP_FIXED), munmap and
 * mprotect with good and bad arguments. Without signal delivery a test cannot take a fault
 * itself, so whether a page is reachable is asked of the kernel: write(2) from a page that is
 * unmapped or PROT_NONE must fail with EFAULT, from a readable page it must succeed. */
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* all_bytes: whether len bytes at p all equal value. */
static int all_bytes(const unsigned char *p, size_t len, unsigned char value) {
  for (size_t i = 0; i < len; ++i) {
    if (p[i] != value) {
      return 0;
    }
  }
  return 1;
}

/* A line of TAP comment that fills the start of a page, so write(1, page, sizeof) is harmless. */
static const char kProbe[] = "# memory_test: the kernel read this line from the page\n";

static void test_brk(void) {
  long start = syscall(SYS_brk, 0);
  tap_ok(start > 0, "brk(0) returns the current break (got %#lx)", start);
  long grow = 64 * 1024;
  tap_eq(syscall(SYS_brk, start + grow), start + grow, "brk grows the heap by 64 KiB");
  unsigned char *heap = (unsigned char *)start;
  int zero = all_bytes(heap, (size_t)grow, 0);
  memset(heap, 0x5a, (size_t)grow);
  tap_ok(zero && all_bytes(heap, (size_t)grow, 0x5a),
         "the new heap is zero-filled, writable and reads back");
  tap_eq(syscall(SYS_brk, start), start, "brk shrinks the heap back");
  /* Linux answers a break it cannot set with the current one, not an error. */
  tap_eq(syscall(SYS_brk, 0xffff800000000000ul), start,
         "brk into the kernel half is refused: the break stays");
}

static void test_private(long page) {
  unsigned char *p =
      mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!tap_ok(p != MAP_FAILED, "mmap of 3 anonymous private pages")) {
    return;
  }
  tap_ok(((uintptr_t)p & (page - 1)) == 0, "the mapping is page-aligned (%p)", (void *)p);
  tap_ok(all_bytes(p, 3 * page, 0), "anonymous memory is zero-filled");
  memset(p, 0xa5, 3 * page);
  tap_ok(all_bytes(p, 3 * page, 0xa5), "written bytes read back");

  memcpy(p, kProbe, sizeof kProbe - 1);
  tap_eq(mprotect(p, page, PROT_READ), 0, "mprotect of the first page to read-only");
  tap_eq(write(1, p, sizeof kProbe - 1), (long)(sizeof kProbe - 1),
         "write from the read-only page succeeds");
  tap_eq(mprotect(p, page, PROT_NONE), 0, "mprotect of the first page to PROT_NONE");
  tap_fails_with(write(1, p, sizeof kProbe - 1), EFAULT,
                 "write from a PROT_NONE page fails with EFAULT");
  tap_eq(mprotect(p, page, PROT_READ | PROT_WRITE), 0, "mprotect back to read-write");
  tap_ok(memcmp(p, kProbe, sizeof kProbe - 1) == 0 && all_bytes(p + page - 1, 1, 0xa5),
         "the page kept its contents through the protection changes");

  /* Raw: musl's mprotect rounds the address down to its page before calling the kernel. */
  tap_fails_with(syscall(SYS_mprotect, p + 1, page, PROT_READ), EINVAL,
                 "mprotect of an unaligned address fails with EINVAL");
  tap_fails_with(munmap(p + 1, page), EINVAL, "munmap of an unaligned address fails with EINVAL");
  tap_fails_with(munmap(p, 0), EINVAL, "munmap of 0 bytes fails with EINVAL");

  tap_eq(munmap(p + page, page), 0, "munmap of the middle page");
  tap_fails_with(write(1, p + page, 16), EFAULT, "write from the unmapped page fails with EFAULT");
  tap_ok(all_bytes(p + 2 * page, page, 0xa5), "the page after the hole is still mapped and intact");

  unsigned char *fixed = mmap(p + page, page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  tap_ok(fixed == p + page, "mmap MAP_FIXED fills the hole at its address");
  tap_ok(fixed == p + page && all_bytes(fixed, page, 0), "the refilled page is zero-filled");
  tap_eq(munmap(p, 3 * page), 0, "munmap of the whole mapping");
  tap_fails_with(write(1, p, 16), EFAULT, "write from the unmapped mapping fails with EFAULT");
}

static void test_shared(long page) {
  unsigned char *s = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (tap_ok(s != MAP_FAILED, "mmap of an anonymous shared page")) {
    int zero = all_bytes(s, page, 0);
    memset(s, 0x3c, page);
    tap_ok(zero && all_bytes(s, page, 0x3c), "the shared page is zero-filled and writable");
    tap_eq(munmap(s, page), 0, "munmap of the shared page");
  } else {
    tap_ok(0, "the shared page is zero-filled and writable (no page)");
    tap_ok(0, "munmap of the shared page (no page)");
  }
  tap_ok(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
             errno == EINVAL,
         "mmap of 0 bytes fails with EINVAL");
}

int main(void) {
  tap_plan(30);
  long page = sysconf(_SC_PAGESIZE);
  tap_eq(page, 4096, "the page size is 4096 bytes");
  test_brk();
  test_private(page);
  test_shared(page);
  return tap_done();
}
