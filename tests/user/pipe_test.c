/* Pipes: data and end of file across CPUs (two pinned threads ping-pong through two pipes),
 * writes of up to PIPE_BUF bytes never interleaved (two writer threads), EPIPE once the reader
 * has gone, O_NONBLOCK's EAGAIN on an empty and on a full pipe, poll readiness and POLLHUP, a
 * pipe to a child process (vfork + execve of this program as the writer), and select. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

enum { kRounds = 2000, kWriters = 2, kChunks = 200, kChunk = 4096 };

static int ping[2], pong[2];

static void pin(int cpu) {
    int n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % n, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static void *ponger(void *arg) {
    (void)arg;
    pin(1);
    for (int i = 0; i < kRounds; ++i) {
        int v;
        if (read(ping[0], &v, sizeof v) != sizeof v) return (void *)1;
        v += 1;
        if (write(pong[1], &v, sizeof v) != sizeof v) return (void *)2;
    }
    return NULL;
}

static int writer_fd;
static void *writer(void *arg) {
    char chunk[kChunk];
    memset(chunk, 'a' + (int)(long)arg, sizeof chunk);
    pin((int)(long)arg + 1);
    for (int i = 0; i < kChunks; ++i) {
        if (write(writer_fd, chunk, sizeof chunk) != sizeof chunk) return (void *)1;
    }
    return NULL;
}

static pid_t __attribute__((noinline)) spawn_writer(const char *self, int fd) {
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(fd, 1);
        char *argv[] = {(char *)self, "writer", NULL};
        execve(self, argv, argv + 2);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "writer") == 0) {
        /* The child: 100000 bytes of a known pattern to stdout (the pipe), then exit. */
        char buf[1000];
        for (int i = 0; i < 100; ++i) {
            for (int j = 0; j < 1000; ++j) buf[j] = (char)((i * 1000 + j) % 251);
            if (write(1, buf, sizeof buf) != sizeof buf) return 1;
        }
        return 0;
    }
    signal(SIGPIPE, SIG_IGN); /* Linux would kill us on EPIPE otherwise */
    tap_plan(12);

    tap_eq(pipe(ping) == 0 && pipe(pong) == 0, 1, "pipe() gives two descriptors twice");
    pthread_t t;
    pthread_create(&t, NULL, ponger, NULL);
    pin(0);
    int ok = 1;
    for (int i = 0; i < kRounds && ok; ++i) {
        int v = i, r;
        ok = write(ping[1], &v, sizeof v) == sizeof v && read(pong[0], &r, sizeof r) == sizeof r &&
             r == i + 1;
    }
    void *ret;
    pthread_join(t, &ret);
    tap_ok(ok && ret == NULL, "%d ping-pong rounds between threads on two CPUs", kRounds);

    int p[2];
    pipe(p);
    writer_fd = p[1];
    pthread_t w[kWriters];
    for (long i = 0; i < kWriters; ++i) pthread_create(&w[i], NULL, writer, (void *)i);
    int interleaved = 0, got = 0;
    char chunk[kChunk];
    while (got < kWriters * kChunks) {
        size_t have = 0;
        while (have < sizeof chunk) {
            ssize_t n = read(p[0], chunk + have, sizeof chunk - have);
            if (n <= 0) break;
            have += (size_t)n;
        }
        for (size_t i = 1; i < sizeof chunk; ++i) interleaved |= chunk[i] != chunk[0];
        ++got;
    }
    for (int i = 0; i < kWriters; ++i) pthread_join(w[i], NULL);
    tap_ok(!interleaved, "%d writes of PIPE_BUF bytes from %d threads arrive whole", got, kWriters);

    close(p[1]);
    char c;
    tap_eq(read(p[0], &c, 1), 0, "read after the last writer closed: end of file");
    close(p[0]);

    pipe(p);
    close(p[0]);
    tap_fails_with(write(p[1], "x", 1), EPIPE, "write with no reader: EPIPE");
    close(p[1]);

    pipe2(p, O_NONBLOCK);
    tap_fails_with(read(p[0], &c, 1), EAGAIN, "O_NONBLOCK read of an empty pipe: EAGAIN");
    long filled = 0;
    while (write(p[1], chunk, sizeof chunk) == sizeof chunk) filled += sizeof chunk;
    tap_ok(errno == EAGAIN && filled >= 4096, "O_NONBLOCK writes fill the pipe (%ld bytes), then EAGAIN",
           filled);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    int n = poll(pf, 2, 0);
    tap_ok(n == 1 && (pf[0].revents & POLLIN) && pf[1].revents == 0,
           "poll: a full pipe is readable, not writable (n %d, revents %#x %#x)", n, pf[0].revents,
           pf[1].revents);
    close(p[1]);
    pf[0].revents = 0;
    poll(pf, 1, 0);
    tap_ok((pf[0].revents & POLLHUP) != 0, "poll: POLLHUP once the writer closed (revents %#x)",
           pf[0].revents);
    close(p[0]);

    pipe(p);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 20000};
    tap_eq(select(p[0] + 1, &rs, NULL, NULL, &tv), 0, "select on an empty pipe times out");
    close(p[0]);
    close(p[1]);

    pipe(p);
    pid_t pid = spawn_writer(argv[0], p[1]);
    close(p[1]);
    long total = 0, wrong = 0;
    char buf[777];
    for (;;) {
        ssize_t r = read(p[0], buf, sizeof buf);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; ++i) wrong += buf[i] != (char)((total + i) % 251);
        total += r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    tap_ok(total == 100000 && wrong == 0, "a child's 100000 bytes through a pipe (%ld read, %ld wrong)",
           total, wrong);
    tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer child exited 0 (status %#x)",
           status);
    close(p[0]);
    return tap_done();
}
