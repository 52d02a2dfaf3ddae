/* statx(2) for every kind of file (a regular file, a directory, a symlink followed and not,
 * /dev/null, a pipe and a message queue through AT_EMPTY_PATH, /proc files): the same numbers
 * as fstatat gives, stx_mask with the basic fields, and Linux's errors (EINVAL for both sync
 * types at once, for the reserved mask bit and for an unknown flag; EFAULT; ENOENT; EBADF).
 * musl has no statx wrapper: the structure and the call are declared here, as in
 * include/uapi/linux/stat.h. Works in a fresh directory under /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tap.h"

struct statx_time {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};

struct statx_buf {
  uint32_t stx_mask, stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink, stx_uid, stx_gid;
  uint16_t stx_mode, spare0;
  uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
  struct statx_time stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t spare[14];
};

enum {
  kBasicStats = 0x7ff,          /* STATX_BASIC_STATS */
  kReservedMask = (int)0x80000000u, /* STATX__RESERVED */
  kForceSync = 0x2000,          /* AT_STATX_FORCE_SYNC */
  kDontSync = 0x4000,           /* AT_STATX_DONT_SYNC */
};

static long do_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx_buf *out) {
  memset(out, 0xa5, sizeof(*out));
  return syscall(SYS_statx, dirfd, path, flags, mask, out);
}

/* One test point: statx and fstatat of the same thing agree on every field statx shares. */
static void same_as_fstatat(int dirfd, const char *path, int flags, const char *what) {
  struct statx_buf x;
  struct stat s;
  long rx = do_statx(dirfd, path, flags, kBasicStats, &x);
  int rs = fstatat(dirfd, path, &s, flags);
  if (rx != 0 || rs != 0) {
    tap_ok(0, "%s: statx %ld, fstatat %d, errno %d", what, rx, rs, errno);
    return;
  }
  int ok = (x.stx_mask & kBasicStats) == kBasicStats && x.stx_ino == s.st_ino &&
           x.stx_mode == s.st_mode && x.stx_nlink == s.st_nlink && x.stx_uid == s.st_uid &&
           x.stx_gid == s.st_gid && (int64_t)x.stx_size == s.st_size &&
           (int64_t)x.stx_blocks == s.st_blocks && (long)x.stx_blksize == s.st_blksize &&
           x.stx_mtime.tv_sec == s.st_mtim.tv_sec && x.stx_mtime.tv_nsec == s.st_mtim.tv_nsec &&
           x.stx_ctime.tv_sec == s.st_ctim.tv_sec && x.stx_ctime.tv_nsec == s.st_ctim.tv_nsec &&
           makedev(x.stx_dev_major, x.stx_dev_minor) == s.st_dev &&
           makedev(x.stx_rdev_major, x.stx_rdev_minor) == s.st_rdev;
  if (!ok) {
    tap_note("%s: statx mask %#x ino %llu mode %o size %llu dev %u:%u rdev %u:%u", what, x.stx_mask,
             (unsigned long long)x.stx_ino, x.stx_mode, (unsigned long long)x.stx_size,
             x.stx_dev_major, x.stx_dev_minor, x.stx_rdev_major, x.stx_rdev_minor);
    tap_note("%s: stat ino %llu mode %o size %lld dev %#llx rdev %#llx", what,
             (unsigned long long)s.st_ino, s.st_mode, (long long)s.st_size,
             (unsigned long long)s.st_dev, (unsigned long long)s.st_rdev);
  }
  tap_ok(ok, "%s: statx agrees with fstatat", what);
}

int main(void) {
  tap_plan(27);
  char dir[64], file[96], link[96];
  snprintf(dir, sizeof dir, "/tmp/statx_test.%d", (int)getpid());
  tap_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
  snprintf(file, sizeof file, "%s/file", dir);
  snprintf(link, sizeof link, "%s/link", dir);
  int fd = open(file, O_CREAT | O_RDWR | O_EXCL, 0640);
  tap_eq(write(fd, "twelve bytes", 12), 12, "a file of 12 bytes");
  tap_eq(symlink("file", link), 0, "a symlink to it");

  struct statx_buf x;
  tap_ok(do_statx(AT_FDCWD, file, 0, kBasicStats, &x) == 0 && S_ISREG(x.stx_mode) &&
             (x.stx_mode & 0777) == 0640 && x.stx_size == 12 && x.stx_nlink == 1 &&
             (x.stx_mask & kBasicStats) == kBasicStats,
         "a regular file: type, mode, size, nlink, mask %#x", x.stx_mask);
  same_as_fstatat(AT_FDCWD, file, 0, "regular file");
  same_as_fstatat(AT_FDCWD, dir, 0, "directory");
  same_as_fstatat(AT_FDCWD, "/", 0, "the root");
  tap_ok(do_statx(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, kBasicStats, &x) == 0 && S_ISLNK(x.stx_mode) &&
             x.stx_size == 4,
         "AT_SYMLINK_NOFOLLOW: the link itself (size 4)");
  same_as_fstatat(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, "symlink, not followed");
  tap_ok(do_statx(AT_FDCWD, link, 0, kBasicStats, &x) == 0 && S_ISREG(x.stx_mode) && x.stx_size == 12,
         "a symlink followed: the file");
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  same_as_fstatat(dfd, "file", 0, "relative to a directory descriptor");
  tap_ok(do_statx(fd, "", AT_EMPTY_PATH, kBasicStats, &x) == 0 && S_ISREG(x.stx_mode) && x.stx_size == 12,
         "AT_EMPTY_PATH: the descriptor's file");
  same_as_fstatat(fd, "", AT_EMPTY_PATH, "AT_EMPTY_PATH");

  tap_ok(do_statx(AT_FDCWD, "/dev/null", 0, kBasicStats, &x) == 0 && S_ISCHR(x.stx_mode) &&
             x.stx_rdev_major == 1 && x.stx_rdev_minor == 3,
         "/dev/null: a character device 1:3 (%u:%u)", x.stx_rdev_major, x.stx_rdev_minor);
  same_as_fstatat(AT_FDCWD, "/dev/null", 0, "/dev/null");
  int p[2];
  pipe(p);
  tap_ok(do_statx(p[0], "", AT_EMPTY_PATH, kBasicStats, &x) == 0 && S_ISFIFO(x.stx_mode), "a pipe: a FIFO");
  same_as_fstatat(p[1], "", AT_EMPTY_PATH, "a pipe's write end");
  char qname[64];
  snprintf(qname, sizeof qname, "/statx_test_%d", (int)getpid());
  mqd_t q = mq_open(qname, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  mq_unlink(qname);
  tap_ok(q >= 0 && do_statx(q, "", AT_EMPTY_PATH, kBasicStats, &x) == 0 && S_ISREG(x.stx_mode),
         "a message queue: a regular file");
  same_as_fstatat(AT_FDCWD, "/proc/self", AT_SYMLINK_NOFOLLOW, "/proc/self");
  same_as_fstatat(AT_FDCWD, "/proc/cpuinfo", 0, "/proc/cpuinfo");

  tap_fails_with(do_statx(AT_FDCWD, file, kForceSync | kDontSync, kBasicStats, &x), EINVAL,
                 "both sync types at once");
  tap_fails_with(do_statx(AT_FDCWD, file, 0, kBasicStats | kReservedMask, &x), EINVAL,
                 "the reserved mask bit");
  tap_fails_with(do_statx(AT_FDCWD, file, 0x1, kBasicStats, &x), EINVAL, "an unknown flag");
  tap_fails_with(syscall(SYS_statx, AT_FDCWD, file, 0, kBasicStats, (void *)8), EFAULT, "a bad buffer");
  tap_fails_with(do_statx(AT_FDCWD, (const char *)8, 0, kBasicStats, &x), EFAULT, "a bad path");
  tap_fails_with(do_statx(AT_FDCWD, "/no/such/file", 0, kBasicStats, &x), ENOENT, "a missing file");
  tap_fails_with(do_statx(9999, "", AT_EMPTY_PATH, kBasicStats, &x), EBADF, "AT_EMPTY_PATH with a closed descriptor");

  close(p[0]);
  close(p[1]);
  if (q >= 0) mq_close(q);
  close(dfd);
  close(fd);
  unlink(link);
  unlink(file);
  rmdir(dir);
  return tap_done();
}
