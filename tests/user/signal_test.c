/* Signals: handlers with siginfo (kill, raise, pthread_kill to a thread spinning on another
 * CPU), blocking and sigpending, SIG_IGN, default termination seen by the parent, a SIGSEGV
 * handler that siglongjmps out, the FPU state kept across a handler, sigaltstack, EINTR and
 * SA_RESTART for a read blocked on a pipe, sigsuspend, SIGCHLD, SIGKILL's refusals, and a blocked
 * pending signal discarded when its action becomes SIG_IGN. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static volatile sig_atomic_t got, got_pid, got_code;
static volatile double fp_seen;
static sigjmp_buf jump;
static char altstack[65536];
static volatile uintptr_t handler_sp;

static void on_usr1(int sig, siginfo_t *info, void *uc) {
    (void)uc;
    got = sig;
    got_pid = info->si_pid;
    got_code = info->si_code;
    volatile char here;
    handler_sp = (uintptr_t)&here;
    volatile double x = 1.0;
    for (int i = 0; i < 10; ++i) x = x * 3.0 + 0.5; /* the handler uses the FPU too */
    fp_seen = x;
}

static void on_segv(int sig) {
    (void)sig;
    siglongjmp(jump, 1);
}

static void on_plain(int sig) { got = sig; }

static void pin(int cpu) {
    int n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % (n < 1 ? 1 : n), &set);
    sched_setaffinity(0, sizeof set, &set);
}

static volatile int spinner_stop;
static void on_stop(int sig) { (void)sig; spinner_stop = 1; }
static void *spinner(void *arg) {
    (void)arg;
    pin(1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!spinner_stop) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 10) return (void *)1; /* never told: fail, not hang */
    }
    return NULL;
}

/* A thread that keeps sentinels in rcx and r11 (the registers SYSRET loads from RIP and
 * RFLAGS) across a busy loop and counts the loops that ended with them changed: a signal
 * handler that interrupts the loop must give them back as they were. */
static volatile int regs_stop;
static volatile int regs_signals;
static void on_regs_signal(int sig) { (void)sig; ++regs_signals; }
static void *register_spinner(void *arg) {
    (void)arg;
    long changed = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!regs_stop) {
        unsigned long rcx, r11;
        __asm__ volatile("movabsq $0x1234567887654321, %%rcx\n\t"
                         "movabsq $0x0fedcba987654321, %%r11\n\t"
                         "movl $200000, %%eax\n"
                         "1: decl %%eax\n\t"
                         "jnz 1b\n\t"
                         "movq %%rcx, %0\n\t"
                         "movq %%r11, %1"
                         : "=r"(rcx), "=r"(r11)
                         :
                         : "rax", "rcx", "r11", "cc");
        if (rcx != 0x1234567887654321ul || r11 != 0x0fedcba987654321ul) ++changed;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 20) return (void *)-1L; /* never told: fail, not hang */
    }
    return (void *)changed;
}

static int pipefd[2];
static void *delayed_writer(void *arg) {
    (void)arg;
    struct timespec t = {0, 100 * 1000 * 1000};
    nanosleep(&t, NULL);
    write(pipefd[1], "z", 1);
    return NULL;
}
static pthread_t main_thread;
static void *interrupter(void *arg) {
    (void)arg;
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
    pthread_kill(main_thread, SIGUSR2);
    return NULL;
}

static pid_t __attribute__((noinline)) spawn(const char *self, const char *mode) {
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)self, (char *)mode, NULL};
        execve(self, argv, argv + 2);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "term") == 0) {
        kill(getpid(), SIGTERM);
        return 0; /* not reached */
    }
    if (argc > 1 && strcmp(argv[1], "exit3") == 0) return 3;
    tap_plan(21);
    main_thread = pthread_self();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    tap_eq(sigaction(SIGUSR1, &sa, NULL), 0, "sigaction(SIGUSR1) with SA_SIGINFO");
    volatile double before = 2.5;
    for (int i = 0; i < 5; ++i) before = before * 1.5;
    kill(getpid(), SIGUSR1);
    tap_ok(got == SIGUSR1 && got_pid == getpid() && got_code == SI_USER,
           "kill to self runs the handler with si_pid and SI_USER (sig %d pid %d code %d)", got, got_pid,
           got_code);
    tap_ok(before == 2.5 * 1.5 * 1.5 * 1.5 * 1.5 * 1.5 && fp_seen > 1000,
           "the FPU state survives a handler that used the FPU");

    got = 0;
    raise(SIGUSR1);
    tap_eq(got, SIGUSR1, "raise (tgkill) runs the handler");

    sigset_t block, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    got = 0;
    kill(getpid(), SIGUSR1);
    sigpending(&pending);
    tap_ok(got == 0 && sigismember(&pending, SIGUSR1), "a blocked signal stays pending");
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    tap_eq(got, SIGUSR1, "unblocking delivers it");

    signal(SIGUSR2, SIG_IGN);
    kill(getpid(), SIGUSR2);
    tap_ok(1, "SIG_IGN: an ignored signal does nothing");

    int status = 0;
    pid_t pid = spawn(argv[0], "term");
    waitpid(pid, &status, 0);
    tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
           "a child killed by SIGTERM's default action (status %#x)", status);

    signal(SIGSEGV, on_segv);
    volatile int faulted = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile int *volatile bad = (volatile int *)8;
        *bad = 1;
    } else {
        faulted = 1;
    }
    tap_ok(faulted, "a SIGSEGV handler runs and siglongjmps out");
    signal(SIGSEGV, SIG_DFL);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    tap_eq(sigaltstack(&ss, NULL), 0, "sigaltstack");
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    tap_ok(handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack,
           "SA_ONSTACK runs the handler on the alternate stack");

    /* A read blocked on a pipe: EINTR without SA_RESTART, restarted with it. */
    pipe(pipefd);
    struct sigaction plain;
    memset(&plain, 0, sizeof plain);
    plain.sa_handler = on_plain;
    sigaction(SIGUSR2, &plain, NULL);
    pthread_t irq;
    pthread_create(&irq, NULL, interrupter, NULL);
    char c;
    errno = 0;
    ssize_t r = read(pipefd[0], &c, 1);
    tap_ok(r == -1 && errno == EINTR, "a blocked read interrupted by a handler: EINTR (%zd, errno %d)", r,
           errno);
    pthread_join(irq, NULL);
    plain.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &plain, NULL);
    pthread_t wr;
    pthread_create(&irq, NULL, interrupter, NULL);
    pthread_create(&wr, NULL, delayed_writer, NULL);
    got = 0;
    r = read(pipefd[0], &c, 1);
    pthread_join(irq, NULL);
    pthread_join(wr, NULL);
    tap_ok(r == 1 && c == 'z' && got == SIGUSR2, "with SA_RESTART the read goes on and gets the byte");

    /* A thread spinning in user mode on another CPU gets its signal. */
    signal(SIGUSR2, on_stop);
    pthread_t spin;
    pthread_create(&spin, NULL, spinner, NULL);
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    pthread_kill(spin, SIGUSR2);
    void *ret;
    pthread_join(spin, &ret);
    tap_ok(ret == NULL, "pthread_kill reaches a thread spinning on another CPU");

    /* Handlers that interrupt user code (not a system call) return to it with every register
     * as it was: rt_sigreturn must not come back through SYSRET, which loads rcx and r11. */
    signal(SIGUSR2, on_regs_signal);
    pthread_t regs;
    pthread_create(&regs, NULL, register_spinner, NULL);
    for (int i = 0; i < 100; ++i) {
        struct timespec gap = {0, 2 * 1000 * 1000};
        nanosleep(&gap, NULL);
        pthread_kill(regs, SIGUSR2);
    }
    struct timespec settle = {0, 50 * 1000 * 1000}; /* the last ones delivered (they may merge) */
    nanosleep(&settle, NULL);
    regs_stop = 1;
    pthread_join(regs, &ret);
    tap_ok(ret == NULL && regs_signals > 0,
           "rcx and r11 survive %d handlers that interrupted user code (%ld loops saw them change)",
           regs_signals, (long)ret);

    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    sigset_t empty;
    sigemptyset(&empty);
    got = 0;
    int s = sigsuspend(&empty);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    tap_ok(s == -1 && errno == EINTR && got == SIGUSR1 && sigismember(&now, SIGUSR1),
           "sigsuspend returns EINTR after the handler and the mask comes back");
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    signal(SIGCHLD, on_plain);
    got = 0;
    pid = spawn(argv[0], "exit3");
    waitpid(pid, &status, 0);
    tap_ok(got == SIGCHLD && WIFEXITED(status) && WEXITSTATUS(status) == 3,
           "SIGCHLD on a child's exit (status %#x)", status);

    tap_fails_with(sigaction(SIGKILL, &sa, NULL), EINVAL, "SIGKILL cannot be caught: EINVAL");

    /* A signal pending while blocked is discarded when its action becomes SIG_IGN (Linux's
     * do_sigaction): unblocked later, it neither runs a handler set after nor cuts a sleep. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    kill(getpid(), SIGTERM);
    sigset_t waiting;
    sigpending(&waiting);
    int was_pending = sigismember(&waiting, SIGTERM);
    signal(SIGTERM, SIG_IGN);
    sigpending(&waiting);
    tap_ok(was_pending && !sigismember(&waiting, SIGTERM),
           "a blocked SIGTERM is pending, and gone once its action is SIG_IGN");
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    struct timespec nap = {0, 50 * 1000 * 1000};
    tap_eq(nanosleep(&nap, NULL), 0, "after that, a 50 ms nanosleep is not interrupted");
    signal(SIGTERM, on_plain);
    got = 0;
    sigprocmask(SIG_BLOCK, &term, NULL);
    kill(getpid(), SIGTERM);
    signal(SIGTERM, SIG_IGN);
    signal(SIGTERM, on_plain);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    tap_eq(got, 0, "a handler set again after SIG_IGN does not see the discarded signal");
    signal(SIGTERM, SIG_DFL);
    return tap_done();
}
