/* Files and paths in the root file system: create, write, read back, lseek, pread/pwrite,
 * O_APPEND, O_EXCL, O_TRUNC, O_DIRECTORY, stat/fstat/lstat, getdents64 (through readdir),
 * mkdir, rename, unlink (an unlinked file stays readable while open), rmdir, symlink and
 * readlink, chdir and getcwd, dup/dup2/dup3 and fcntl, truncate, /dev/null and /dev/zero,
 * fsync/fdatasync/syncfs/sync, and the errors Linux gives for each misuse. Works in a fresh
 * directory under /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char dir[64];

/* dir/name, in one of four rotating buffers (so two can be arguments of one call). */
static const char *at(const char *name) {
    static char paths[4][128];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", dir, name);
    return path;
}

int main(void) {
    tap_plan(42);
    snprintf(dir, sizeof dir, "/tmp/files_test.%d", (int)getpid());
    tap_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
    tap_fails_with(mkdir(dir, 0755), EEXIST, "mkdir of an existing directory: EEXIST");

    int fd = open(at("a"), O_CREAT | O_EXCL | O_RDWR, 0640);
    tap_ok(fd >= 0, "open O_CREAT|O_EXCL creates a file");
    tap_fails_with(open(at("a"), O_CREAT | O_EXCL | O_RDWR, 0640), EEXIST, "O_EXCL on an existing file: EEXIST");
    tap_eq(write(fd, "hello world", 11), 11, "write 11 bytes");
    tap_eq(lseek(fd, 6, SEEK_SET), 6, "lseek SEEK_SET");
    char buf[64] = {0};
    tap_ok(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0, "read from the position");
    tap_eq(pwrite(fd, "W", 1, 6), 1, "pwrite at an offset");
    tap_ok(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "World", 5) == 0, "pread sees it; the position is kept");
    tap_eq(lseek(fd, 0, SEEK_CUR), 11, "pread and pwrite did not move the position");
    tap_eq(lseek(fd, -3, SEEK_END), 8, "lseek SEEK_END");
    tap_fails_with(lseek(fd, -100, SEEK_SET), EINVAL, "lseek before the start: EINVAL");
    struct stat st;
    tap_ok(fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == (0640 & ~022),
           "fstat: size 11, a regular file, mode %o", (unsigned)(st.st_mode & 0777));

    int fd2 = open(at("a"), O_WRONLY | O_APPEND);
    tap_ok(write(fd2, "!", 1) == 1 && fstat(fd, &st) == 0 && st.st_size == 12, "O_APPEND writes at the end");
    close(fd2);
    tap_ok(dup2(fd, 10) == 10 && fcntl(10, F_GETFD) == 0, "dup2 to 10, close-on-exec clear");
    tap_ok(dup3(fd, 11, O_CLOEXEC) == 11 && fcntl(11, F_GETFD) == FD_CLOEXEC, "dup3 with O_CLOEXEC");
    int low = fcntl(fd, F_DUPFD, 20);
    tap_ok(low >= 20, "F_DUPFD gives a descriptor at or above 20 (%d)", low);
    tap_ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL: O_RDWR");
    close(10);
    close(11);
    close(low);
    tap_fails_with(close(low), EBADF, "close of a closed descriptor: EBADF");

    tap_eq(rename(at("a"), at("b")), 0, "rename a -> b");
    tap_fails_with(stat(at("a"), &st), ENOENT, "the old name is gone: ENOENT");
    tap_eq(symlink("b", at("link")), 0, "symlink link -> b");
    ssize_t n = readlink(at("link"), buf, sizeof buf);
    tap_ok(n == 1 && buf[0] == 'b', "readlink gives the target");
    tap_ok(stat(at("link"), &st) == 0 && S_ISREG(st.st_mode) && lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode),
           "stat follows the symlink, lstat does not");

    tap_eq(unlink(at("b")), 0, "unlink b while it is open");
    tap_ok(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, 12) == 12 && memcmp(buf, "hello World!", 12) == 0,
           "the unlinked file is still readable through its descriptor");
    close(fd);

    DIR *d = opendir(dir);
    int entries = 0, saw_link = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        ++entries;
        saw_link |= strcmp(e->d_name, "link") == 0 && e->d_type == DT_LNK;
    }
    if (d) closedir(d);
    tap_ok(entries == 3 && saw_link, "readdir: ., .. and the symlink (%d entries)", entries);

    char cwd[PATH_MAX];
    tap_ok(chdir(dir) == 0 && getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, dir) == 0,
           "chdir, then getcwd names it (%s)", cwd);
    tap_fails_with(open("link", O_RDONLY), ENOENT, "a dangling symlink (its target was unlinked): ENOENT");
    tap_ok(unlink("link") == 0 && chdir("/") == 0 && rmdir(dir) == 0, "clean up: unlink, chdir /, rmdir");

    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof buf);
    int zero = read(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
    for (size_t i = 0; i < sizeof buf; ++i) zero &= buf[i] == 0;
    close(fd);
    fd = open("/dev/null", O_RDWR);
    tap_ok(zero && write(fd, "x", 1) == 1 && read(fd, buf, 1) == 0, "/dev/zero reads zeros; /dev/null swallows and ends");
    tap_fails_with(fsync(fd), EINVAL, "fsync of /dev/null: EINVAL (no sync operation)");
    tap_ok(lseek(fd, 100, SEEK_SET) == 0 && pwrite(fd, "x", 1, 50) == 1 && pread(fd, buf, 1, 7) == 0,
           "/dev/null: lseek answers 0, pwrite swallows, pread ends");
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, 8);
    tap_ok(pread(fd, buf, 8, 4096) == 8 && memcmp(buf, "\0\0\0\0\0\0\0\0", 8) == 0 &&
               lseek(fd, 5, SEEK_CUR) == 0,
           "/dev/zero: pread gives zeros at any offset, lseek answers 0");
    close(fd);

    /* fsync, fdatasync, syncfs, sync: a file and a directory sync; a pipe cannot. */
    char synced[64];
    snprintf(synced, sizeof synced, "/tmp/files_test.%d.synced", (int)getpid());
    fd = open(synced, O_CREAT | O_RDWR, 0600);
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    tap_ok(write(fd, "x", 1) == 1 && fsync(fd) == 0 && fdatasync(fd) == 0 && fsync(dfd) == 0,
           "fsync and fdatasync of a file, fsync of a directory");
    int p[2];
    tap_ok(pipe(p) == 0, "pipe");
    tap_fails_with(fsync(p[0]), EINVAL, "fsync of a pipe: EINVAL");
    tap_fails_with(fdatasync(p[1]), EINVAL, "fdatasync of a pipe: EINVAL");
    tap_ok(syncfs(p[0]) == 0 && syncfs(fd) == 0, "syncfs through a pipe and through a file");
    tap_fails_with(fsync(-1), EBADF, "fsync of -1: EBADF");
    tap_fails_with(syncfs(12345), EBADF, "syncfs of a closed descriptor: EBADF");
    sync(); /* returns nothing; reaching the next point is the check */
    tap_ok(unlink(synced) == 0 && close(fd) == 0 && close(dfd) == 0, "sync returned");
    close(p[0]);
    close(p[1]);
    return tap_done();
}
