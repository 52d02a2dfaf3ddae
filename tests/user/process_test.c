/* Process identity and the system: getpid, gettid, uname, and ENOSYS for numbers that are no
 * system call. */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
  tap_plan(10);

  pid_t pid = getpid();
  tap_ok(pid > 0, "getpid is positive (got %d)", (int)pid);
  tap_eq(getpid(), pid, "getpid gives the same pid twice");
  tap_eq(syscall(SYS_gettid), pid, "gettid of the main thread is the pid");

  tap_fails_with(syscall(999), ENOSYS, "syscall(999) fails with ENOSYS");
  tap_fails_with(syscall(-1L), ENOSYS, "syscall(-1) fails with ENOSYS");

  struct utsname u;
  memset(&u, 0, sizeof u);
  tap_eq(uname(&u), 0, "uname succeeds");
  tap_ok(strcmp(u.sysname, "Linux") == 0, "uname sysname is \"Linux\" (got \"%s\")", u.sysname);
  tap_ok(strcmp(u.machine, "x86_64") == 0, "uname machine is \"x86_64\" (got \"%s\")",
         u.machine);
  /* Static glibc programs (busybox-static: "for GNU/Linux 3.2.0") refuse older releases. */
  int major = 0, minor = 0;
  int fields = sscanf(u.release, "%d.%d", &major, &minor);
  tap_ok(fields == 2 && (major > 3 || (major == 3 && minor >= 2)),
         "uname release is at least 3.2 (got \"%s\")", u.release);
  tap_note("uname: %s %s %s %s %s", u.sysname, u.nodename, u.release, u.version, u.machine);

  tap_fails_with(syscall(SYS_uname, (void *)1), EFAULT, "uname into (void*)1 fails with EFAULT");
  return tap_done();
}
