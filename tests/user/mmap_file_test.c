/* mmap of files: MAP_PRIVATE mappings (the file's contents, private copies on write, zeros past
 * the end of file up to the page end), MAP_SHARED mappings (writes reach read() and other
 * mappings, pwrite reaches the mapping, a child after fork shares them), offsets, msync, and the
 * errors Linux gives: EINVAL (offset not page-aligned), EACCES (the descriptor's mode does not
 * allow the mapping or a later mprotect), ENODEV (a pipe, a directory), EBADF; /dev/zero mapped
 * as anonymous memory, private and shared across fork; /proc/self/maps naming the file; and
 * SIGBUS for a page wholly past the end of file, also one that was mapped before the file was
 * cut, in every process and private copies included (in children: child.h). Works in a fresh
 * directory under /tmp. Run without arguments; a mode argument is one child. */
#include "child.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kPage = 4096, kTimeoutMs = 10000 };
/* The file: one full page of 'a'..'z' and 100 bytes of 'Z' on the second. */
enum { kFileSize = kPage + 100 };

static char dir[64];
static char path[96];

static char expected_byte(long i) { return i < kPage ? (char)('a' + i % 26) : 'Z'; }

/* make_file: writes the file at `where` with the contents above; its descriptor (O_RDWR) or -1. */
static int make_file(const char *where) {
  int fd = open(where, O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) {
    return -1;
  }
  static char data[kFileSize];
  for (long i = 0; i < kFileSize; ++i) {
    data[i] = expected_byte(i);
  }
  if (write(fd, data, kFileSize) != kFileSize) {
    close(fd);
    return -1;
  }
  return fd;
}

/* A child touching page 2 of a 3-page mapping of a file of kFileSize bytes: wholly past the
 * end, so the access raises SIGBUS. Exits 0 (a failure: no signal) if it survives. */
static int bus_child(int flags) {
  char own[64];
  snprintf(own, sizeof own, "/tmp/mmap_file_bus.%d", (int)getpid());
  int fd = make_file(own);
  unlink(own);
  if (fd < 0) {
    return 3;
  }
  volatile char *p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (p == MAP_FAILED) {
    return 4;
  }
  if (p[kPage + 200] != 0) { /* past the end, in the last page: zeros, no signal */
    return 5;
  }
  (void)p[2 * kPage + 10];
  return 0;
}

/* Counts the lines of /proc/self/maps that name `name`. */
static int maps_lines_naming(const char *name) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == NULL) {
    return -1;
  }
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strstr(line, name) != NULL) {
      ++n;
    }
  }
  fclose(f);
  return n;
}

/* waits for `pid` (bounded: SIGKILL after kTimeoutMs); 1 with its wait status in *status, or
 * 0 when it had to be killed or could not be waited for. */
static int wait_bounded(pid_t pid, int *status) {
  for (int i = 0; i < kTimeoutMs; ++i) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) {
      return 1;
    }
    if (r < 0) {
      return 0;
    }
    usleep(1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return 0;
}

/* waits for `pid` (bounded); its exit status, or -1. */
static int wait_exit(pid_t pid) {
  int status = 0;
  if (!wait_bounded(pid, &status)) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A child whose file shrinks under a mapping that it and a grandchild (after fork) both have
 * populated: page 2 of a 3-page file, written by us before the fork (for MAP_PRIVATE: our
 * private copy, which the fork shares). Once the file is cut to kFileSize bytes, the
 * grandchild's access and then ours must raise SIGBUS (Linux's truncate takes the pages past
 * the end out of every mapping, private copies included). Exits non-zero (a failure) if a step
 * fails or the grandchild was not killed by SIGBUS, 0 if we survive. */
static int truncate_child(int flags) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  char own[64];
  snprintf(own, sizeof own, "/tmp/mmap_file_trunc.%d", (int)getpid());
  int fd = make_file(own);
  unlink(own);
  if (fd < 0 || ftruncate(fd, 3 * kPage) != 0) {
    return 3;
  }
  volatile char *p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, flags, fd, 0);
  int ready[2], go[2];
  if (p == MAP_FAILED || pipe(ready) != 0 || pipe(go) != 0) {
    return 4;
  }
  p[2 * kPage + 10] = 'x';
  pid_t pid = fork();
  if (pid < 0) {
    return 5;
  }
  /* The pipes bound both waits: each side's read returns 0 once the other has ended (and
   * child_run kills this child at its deadline). */
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    char c;
    if (p[2 * kPage + 10] != 'x') { /* mapped here too before the cut */
      _exit(6);
    }
    if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) {
      _exit(7);
    }
    (void)p[2 * kPage + 10];
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  char c;
  if (read(ready[0], &c, 1) != 1) { /* 0 when the grandchild ended without a word */
    return 8;
  }
  if (ftruncate(fd, kFileSize) != 0 || write(go[1], "g", 1) != 1) {
    return 9;
  }
  int status = 0;
  if (!wait_bounded(pid, &status) || !WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS) {
    return 10;
  }
  (void)p[2 * kPage + 10];
  return 0;
}

static void private_mappings(int fd) {
  char *p = mmap(NULL, 2 * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
  tap_ok(p != MAP_FAILED, "MAP_PRIVATE PROT_READ of the file");
  if (p == MAP_FAILED) {
    return;
  }
  int same = 1;
  for (long i = 0; i < kFileSize; ++i) {
    same = same && p[i] == expected_byte(i);
  }
  tap_ok(same, "the mapping holds the file's %d bytes", kFileSize);
  int zeros = 1;
  for (long i = kFileSize; i < 2 * kPage; ++i) {
    zeros = zeros && p[i] == 0;
  }
  tap_ok(zeros, "past the end of file, up to the page end, the mapping reads zeros");
  munmap(p, 2 * kPage);

  char *w = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  tap_ok(w != MAP_FAILED, "MAP_PRIVATE PROT_READ|PROT_WRITE of the file");
  if (w == MAP_FAILED) {
    return;
  }
  memcpy(w, "PRIVATE", 7);
  char back[8] = {0};
  tap_ok(pread(fd, back, 7, 0) == 7 && memcmp(back, "abcdefg", 7) == 0 &&
             memcmp(w, "PRIVATE", 7) == 0,
         "a write to a private mapping stays in it: the file still reads 'abcdefg'");
  munmap(w, kPage);

  char *second = mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, fd, kPage);
  tap_ok(second != MAP_FAILED && second[0] == 'Z' && second[99] == 'Z' && second[100] == 0,
         "offset 4096 maps the second page (100 bytes of 'Z', then zeros)");
  if (second != MAP_FAILED) {
    munmap(second, kPage);
  }
  tap_ok(mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL,
         "an offset that is not page-aligned fails with EINVAL");
}

static void shared_mappings(int fd) {
  char *a = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *b = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  tap_ok(a != MAP_FAILED && b != MAP_FAILED && a != b, "two MAP_SHARED mappings of the file");
  if (a == MAP_FAILED || b == MAP_FAILED) {
    return;
  }
  memcpy(a + 10, "SHARED", 6);
  char back[8] = {0};
  tap_ok(pread(fd, back, 6, 10) == 6 && memcmp(back, "SHARED", 6) == 0,
         "a write to a shared mapping is what read() returns");
  tap_ok(memcmp(b + 10, "SHARED", 6) == 0, "and what the other mapping of the file shows");
  tap_eq(pwrite(fd, "written", 7, kPage + 20), 7, "pwrite into the second page");
  tap_ok(memcmp(a + kPage + 20, "written", 7) == 0, "the shared mapping shows what pwrite wrote");
  struct stat st = {0};
  int stat_ok = fstat(fd, &st) == 0;
  tap_ok(stat_ok && st.st_size == kFileSize,
         "writes through the mapping do not change the file's size (%ld)", (long)st.st_size);

  tap_eq(msync(a, 2 * kPage, MS_SYNC), 0, "msync(MS_SYNC) of the mapping");
  tap_eq(msync(a, kPage, MS_ASYNC | MS_INVALIDATE), 0, "msync(MS_ASYNC|MS_INVALIDATE)");
  tap_fails_with(msync(a, kPage, MS_ASYNC | MS_SYNC), EINVAL, "msync(MS_ASYNC|MS_SYNC): EINVAL");
  tap_fails_with(msync(a + 1, kPage, MS_SYNC), EINVAL, "msync of an unaligned address: EINVAL");

  /* A child after fork shares the mapping: its write reaches the parent's mapping and file. */
  pid_t pid = fork();
  if (pid == 0) {
    memcpy(a + 30, "CHILD", 5);
    _exit(0);
  }
  tap_eq(wait_exit(pid), 0, "a child writes to the shared file mapping it inherited");
  tap_ok(memcmp(a + 30, "CHILD", 5) == 0 && pread(fd, back, 5, 30) == 5 &&
             memcmp(back, "CHILD", 5) == 0,
         "the parent's mapping and the file show the child's write");
  munmap(b, 2 * kPage);
  tap_fails_with(msync(b, kPage, MS_SYNC), ENOMEM, "msync of an unmapped range: ENOMEM");

  tap_eq(maps_lines_naming(path), 1, "/proc/self/maps names %s once", path);
  munmap(a, 2 * kPage);
  tap_eq(maps_lines_naming(path), 0, "and no more once it is unmapped");
}

/* A file that shrinks takes its pages past the new end out of every mapping, private copies
 * included, and keeps the tail of its last page zeroed: after it grows back, those pages read
 * the file again (zeros), not what the mappings held. (The SIGBUS on access before it grows
 * back: truncate_child.) */
static void truncation(void) {
  char own[128];
  snprintf(own, sizeof own, "%s/t", dir);
  int fd = make_file(own);
  tap_ok(fd >= 0 && ftruncate(fd, 3 * kPage) == 0, "a file of 3 pages");
  char *s = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (fd < 0 || s == MAP_FAILED || p == MAP_FAILED) {
    tap_ok(0, "MAP_SHARED and MAP_PRIVATE mappings of it");
    tap_ok(0, "(no mappings)");
    tap_ok(0, "(no mappings)");
    tap_ok(0, "(no mappings)");
    if (fd >= 0) {
      close(fd);
    }
    unlink(own);
    return;
  }
  s[kPage + 150] = 'q';     /* in the last page after the cut, past its end */
  s[2 * kPage + 10] = 'S';  /* the file's page 2, through the shared mapping */
  p[2 * kPage + 20] = 'P';  /* a private copy of page 2, taken with the 'S' in it */
  tap_ok(p[2 * kPage + 10] == 'S' && p[2 * kPage + 20] == 'P' && s[2 * kPage + 20] == 0,
         "page 2: 'S' written through MAP_SHARED, 'P' only in the private copy");
  int cut = ftruncate(fd, kFileSize) == 0;
  int grown = ftruncate(fd, 3 * kPage) == 0;
  tap_ok(cut && grown, "cut to %d bytes, then grown back to 3 pages", kFileSize);
  tap_ok(s[kPage + 99] == 'Z' && s[kPage + 150] == 0,
         "the last page stayed in the file: its part past the cut reads zeros");
  tap_ok(s[2 * kPage + 10] == 0 && p[2 * kPage + 10] == 0 && p[2 * kPage + 20] == 0,
         "page 2 left both mappings, the private copy too: it reads the file's zeros again");
  munmap(s, 3 * kPage);
  munmap(p, 3 * kPage);
  close(fd);
  unlink(own);
}

static void access_errors(int fd) {
  int ro = open(path, O_RDONLY);
  int wo = open(path, O_WRONLY);
  tap_fails_with((long)mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, wo, 0), EACCES,
                 "any mapping of a write-only descriptor: EACCES");
  tap_fails_with((long)mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES,
                 "MAP_SHARED PROT_WRITE of a read-only descriptor: EACCES");
  char *priv = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  tap_ok(priv != MAP_FAILED, "MAP_PRIVATE PROT_WRITE of a read-only descriptor is allowed");
  if (priv != MAP_FAILED) {
    munmap(priv, kPage);
  }
  char *shared_ro = mmap(NULL, kPage, PROT_READ, MAP_SHARED, ro, 0);
  tap_ok(shared_ro != MAP_FAILED, "MAP_SHARED PROT_READ of a read-only descriptor");
  if (shared_ro != MAP_FAILED) {
    tap_fails_with(mprotect(shared_ro, kPage, PROT_READ | PROT_WRITE), EACCES,
                   "mprotect adding PROT_WRITE to it: EACCES");
    munmap(shared_ro, kPage);
  } else {
    tap_ok(0, "mprotect adding PROT_WRITE to it: EACCES (no mapping)");
  }
  close(ro);
  close(wo);

  int pipes[2];
  if (pipe(pipes) == 0) {
    tap_fails_with((long)mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, pipes[0], 0), ENODEV,
                   "a pipe cannot be mapped: ENODEV");
    close(pipes[0]);
    close(pipes[1]);
  } else {
    tap_ok(0, "a pipe cannot be mapped: ENODEV (no pipe)");
  }
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  tap_fails_with((long)mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, d, 0), ENODEV,
                 "a directory cannot be mapped: ENODEV");
  close(d);
  int closed = dup(fd);
  close(closed);
  tap_fails_with((long)mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, closed, 0), EBADF,
                 "a closed descriptor: EBADF");
}

static void dev_zero(void) {
  int z = open("/dev/zero", O_RDWR);
  char *p = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  tap_ok(p != MAP_FAILED && p[0] == 0 && p[2 * kPage - 1] == 0,
         "MAP_PRIVATE of /dev/zero reads zeros");
  if (p != MAP_FAILED) {
    p[5] = 7;
    tap_eq(p[5], 7, "and can be written");
    munmap(p, 2 * kPage);
  } else {
    tap_ok(0, "and can be written (no mapping)");
  }
  volatile int *s = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  close(z);
  if (s == MAP_FAILED) {
    tap_ok(0, "MAP_SHARED of /dev/zero is shared with a child (no mapping)");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    s[1] = 4242;
    _exit(0);
  }
  tap_ok(wait_exit(pid) == 0 && s[1] == 4242,
         "MAP_SHARED of /dev/zero is shared with a child after fork");
  munmap((void *)s, kPage);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    if (strcmp(argv[1], "bus_shared") == 0) {
      return bus_child(MAP_SHARED);
    }
    if (strcmp(argv[1], "bus_private") == 0) {
      return bus_child(MAP_PRIVATE);
    }
    if (strcmp(argv[1], "truncate_shared") == 0) {
      return truncate_child(MAP_SHARED);
    }
    if (strcmp(argv[1], "truncate_private") == 0) {
      return truncate_child(MAP_PRIVATE);
    }
    return 2;
  }
  tap_plan(46);
  /* What the checks depend on, set here: no inherited blocked signals. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  snprintf(dir, sizeof dir, "/tmp/mmap_file_test.%d", (int)getpid());
  snprintf(path, sizeof path, "%s/f", dir);
  tap_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
  int fd = make_file(path);
  tap_ok(fd >= 0, "a file of %d bytes", kFileSize);
  if (fd < 0) {
    return tap_done();
  }
  private_mappings(fd);
  shared_mappings(fd);
  access_errors(fd);
  dev_zero();
  child_expect_signal(argv[0], "bus_shared", SIGBUS, kTimeoutMs,
                      "a MAP_SHARED page wholly past the end of file: SIGBUS");
  child_expect_signal(argv[0], "bus_private", SIGBUS, kTimeoutMs,
                      "a MAP_PRIVATE page wholly past the end of file: SIGBUS");
  truncation();
  child_expect_signal(argv[0], "truncate_shared", SIGBUS, kTimeoutMs,
                      "a MAP_SHARED page two processes mapped, after the file was cut: SIGBUS");
  child_expect_signal(argv[0], "truncate_private", SIGBUS, kTimeoutMs,
                      "a MAP_PRIVATE copy two processes shared, after the file was cut: SIGBUS");
  close(fd);
  tap_eq(unlink(path), 0, "unlink the file");
  tap_eq(rmdir(dir), 0, "rmdir %s", dir);
  return tap_done();
}
