/* Thread-local storage through musl, which sets the FS base with arch_prctl(ARCH_SET_FS) before
 * main: initialised and zeroed __thread variables, the x86-64 TLS layout (the thread pointer
 * points at itself, the TLS block lies just below it), and arch_prctl with good and bad
 * arguments. Also built as a static-PIE (tls_test_pie): there musl finds the TLS image through
 * the auxiliary vector (AT_PHDR) of a program loaded at a random base. */
#include "tap.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's arch_prctl codes (uapi asm/prctl.h; musl has no kernel headers). */
enum { ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003 };

static __thread int initialised = 42;  /* .tdata: copied from the program's TLS image */
static __thread long zeroed;           /* .tbss: zero-filled */
static __thread char block[256] = {1}; /* large enough to span cache lines */

/* thread_pointer: the word at %fs:0, which the x86-64 TLS ABI makes the thread pointer itself. */
static uintptr_t thread_pointer(void) {
  uintptr_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

int main(void) {
  tap_plan(13);
  tap_note("main at %p", (void *)main);

  tap_eq(initialised, 42, "an initialised __thread variable has its value");
  tap_eq(zeroed, 0, "a zero-initialised __thread variable is 0");
  tap_eq(block[0] + block[255], 1, "a __thread array has its initial contents");
  initialised = 7;
  zeroed = -3;
  tap_ok(initialised == 7 && zeroed == -3, "__thread variables keep what is written");

  uintptr_t fs = 0;
  tap_eq(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0, "arch_prctl(ARCH_GET_FS) succeeds");
  tap_ok(fs != 0 && fs == thread_pointer(), "the FS base holds a pointer to itself (%#lx)",
         (unsigned long)fs);
  tap_ok(fs == (uintptr_t)pthread_self(), "the FS base is musl's thread pointer");
  uintptr_t var = (uintptr_t)&initialised;
  tap_ok(var < fs && fs - var < 65536, "the TLS block lies just below the thread pointer "
         "(variable at %#lx)", (unsigned long)var);

  tap_eq(syscall(SYS_arch_prctl, ARCH_SET_FS, fs), 0, "arch_prctl(ARCH_SET_FS) to the same base");
  tap_ok(initialised == 7 && thread_pointer() == fs, "TLS still works after ARCH_SET_FS");

  tap_fails_with(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL,
                 "arch_prctl with an unknown code fails with EINVAL");
  tap_fails_with(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1), EFAULT,
                 "arch_prctl(ARCH_GET_FS) into (void*)1 fails with EFAULT");
  /* A kernel that took it would fault at the next TLS access, ending the test early. */
  tap_fails_with(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x0000800000000000ul), EPERM,
                 "arch_prctl(ARCH_SET_FS) to a non-canonical base fails with EPERM");
  return tap_done();
}
