/* execve from a multi-threaded process: the other threads (spinning on other CPUs, blocked in
 * a read, sleeping) are ended before the new program starts, which then runs alone with the
 * process's PID, also when a thread other than the first one calls execve. Each case runs in a
 * child with a deadline (child.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

enum { kChildMs = 30000, kSpinners = 3 };

static const char *self_path;
static char pid_text[16];
static int block_fd = -1;
static volatile int started;

static void *spin(void *arg) {
    child_pin((int)(long)arg);
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    for (volatile unsigned long n = 0;; ++n) {
    }
    return NULL;
}

static void *block_in_read(void *arg) {
    (void)arg;
    char byte;
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    (void)read(block_fd, &byte, 1);  /* nobody writes: it blocks until it is ended */
    return NULL;
}

static void *sleep_long(void *arg) {
    (void)arg;
    struct timespec t = {100, 0};
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    nanosleep(&t, NULL);
    return NULL;
}

static void exec_after(void) {
    char *argv[] = {(char *)self_path, "after", pid_text, NULL};
    execve(self_path, argv, argv + 3);
    _exit(20);  /* execve failed */
}

static void *exec_from_thread(void *arg) {
    (void)arg;
    exec_after();
    return NULL;
}

/* Starts the spinners (one per other CPU, at least kSpinners in all), a reader and a sleeper,
 * and waits until each has started. */
static int start_threads(void) {
    (void)child_cpu_count();  /* before any thread pins itself */
    int fds[2];
    if (pipe(fds) != 0) return 0;
    block_fd = fds[0];
    pthread_t t;
    int n = 0;
    for (int i = 1; i <= kSpinners; ++i, ++n) {
        if (pthread_create(&t, NULL, spin, (void *)(long)i) != 0) return 0;
    }
    if (pthread_create(&t, NULL, block_in_read, NULL) != 0) return 0;
    if (pthread_create(&t, NULL, sleep_long, NULL) != 0) return 0;
    n += 2;
    struct timespec pause = {0, 1000000};
    for (int i = 0; i < 20000 && __atomic_load_n(&started, __ATOMIC_SEQ_CST) < n; ++i) {
        nanosleep(&pause, NULL);
    }
    return __atomic_load_n(&started, __ATOMIC_SEQ_CST) == n;
}

/* The number of threads /proc/self/status counts (-1: no /proc). */
static int proc_threads(void) {
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) return -1;
    long n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = '\0';
    const char *at = strstr(text, "Threads:");
    return at == NULL ? -1 : atoi(at + 8);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc > 2 && strcmp(argv[1], "after") == 0) {
        /* The new program: the same process, alone. */
        if (getpid() != atoi(argv[2])) return 2;
        if (gettid() != getpid()) return 3;
        int threads = proc_threads();
        if (threads != 1 && threads != -1) return 4;
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "main") == 0 || strcmp(argv[1], "thread") == 0)) {
        snprintf(pid_text, sizeof pid_text, "%d", getpid());
        if (!start_threads()) return 10;
        if (strcmp(argv[1], "main") == 0) exec_after();
        pthread_t t;
        if (pthread_create(&t, NULL, exec_from_thread, NULL) != 0) return 11;
        pthread_join(t, NULL);  /* never returns: the exec ends this thread */
        return 12;
    }
    tap_plan(3);
    tap_ok(child_cpu_count() >= 1, "%d CPUs", child_cpu_count());
    child_expect_exit(argv[0], "main", 0, kChildMs,
                      "execve from the first thread ends threads spinning, reading and sleeping");
    child_expect_exit(argv[0], "thread", 0, kChildMs,
                      "execve from another thread: the new program has the process's PID");
    return tap_done();
}
