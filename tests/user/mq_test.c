/* POSIX message queues (mq_overview(7)): mq_open's flags, attributes, names and limits with
 * Linux's errno values; priorities (highest first, FIFO within one) and message boundaries;
 * O_NONBLOCK, absolute timeouts and interrupted waits; unlink while open; mq_notify
 * (SIGEV_SIGNAL, SIGEV_NONE, EBUSY, removal, SIGEV_THREAD's socket); mq_getsetattr; the queue
 * as a descriptor (dup, fstat, read, poll and a poll woken by another thread); and two
 * processes pinned to different CPUs passing thousands of messages with a checksum.
 * Queue names carry the process id, so runs side by side do not meet. Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

enum { kExchange = 4000, kMaxSize = 256, kBoundMs = 60000 };

static char names[8][64];

static const char *qname(int i) {
  snprintf(names[i], sizeof(names[i]), "/pleiades_mq_%d_%d", (int)getpid(), i);
  return names[i];
}

static struct timespec from_now_ms(long ms) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_nsec -= 1000000000L;
    t.tv_sec++;
  }
  return t;
}

static mqd_t create(const char *name, int flags, long maxmsg, long msgsize) {
  struct mq_attr a = {0};
  a.mq_maxmsg = maxmsg;
  a.mq_msgsize = msgsize;
  return mq_open(name, flags | O_CREAT | O_EXCL, 0600, &a);
}

/* ---- mq_open: names, flags, attributes, limits ---- */
static void test_open(void) {
  const char *n = qname(0);
  mq_unlink(n);
  tap_fails_with(mq_open(n, O_RDWR), ENOENT, "mq_open without O_CREAT of a missing queue");
  mqd_t q = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
  tap_ok(q >= 0, "mq_open O_CREAT|O_EXCL with default attributes");
  struct mq_attr a;
  tap_ok(mq_getattr(q, &a) == 0 && a.mq_maxmsg == 10 && a.mq_msgsize == 8192 &&
             a.mq_curmsgs == 0 && a.mq_flags == 0,
         "default attributes: maxmsg 10, msgsize 8192 (got %ld, %ld)", a.mq_maxmsg, a.mq_msgsize);
  tap_fails_with(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL), EEXIST,
                 "O_CREAT|O_EXCL of an existing queue");
  struct mq_attr bad = {0};
  bad.mq_maxmsg = 0;
  bad.mq_msgsize = 16;
  mqd_t again = mq_open(n, O_RDWR | O_CREAT, 0600, &bad);
  tap_ok(again >= 0 && again != q, "O_CREAT of an existing queue ignores the attributes");
  if (again >= 0) mq_close(again);
  struct stat st;
  tap_ok(fstat(q, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640,
         "fstat: a regular file with the mode given (umask 022): %o", (unsigned)st.st_mode);
  mq_close(q);
  tap_eq(mq_unlink(n), 0, "mq_unlink");
  tap_fails_with(mq_unlink(n), ENOENT, "mq_unlink of a missing queue");

  const long sizes[][2] = {{0, 16}, {-1, 16}, {4, 0}, {4, -5}, {65537, 16}, {4, 16 * 1024 * 1024 + 1}};
  for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    tap_fails_with(create(n, O_RDWR, sizes[i][0], sizes[i][1]), EINVAL,
                   "attributes maxmsg %ld msgsize %ld", sizes[i][0], sizes[i][1]);
  }
  tap_fails_with(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES, "a '/' inside the name");
  tap_fails_with(mq_open("/", O_RDWR | O_CREAT, 0600, NULL), ENOENT, "an empty name");
  tap_fails_with(mq_open("/..", O_RDWR | O_CREAT, 0600, NULL), EACCES, "the name '..'");
  char longname[300];
  longname[0] = '/';
  memset(longname + 1, 'x', 256);
  longname[257] = 0;
  tap_fails_with(mq_open(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG,
                 "a name of 256 bytes");
  snprintf(longname, sizeof(longname), "/%d_", (int)getpid());
  size_t len = strlen(longname);
  memset(longname + len, 'y', 256 - len);
  longname[256] = 0; /* 255 bytes after the '/' */
  q = mq_open(longname, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  tap_ok(q >= 0, "a name of 255 bytes");
  if (q >= 0) mq_close(q);
  mq_unlink(longname);
  tap_fails_with(syscall(SYS_mq_open, (void *)1, O_RDWR, 0, NULL), EFAULT, "a bad name pointer");
  tap_fails_with(syscall(SYS_mq_open, n + 1, O_RDWR | O_CREAT, 0600, (void *)1), EFAULT,
                 "a bad attribute pointer");

  /* RLIMIT_MSGQUEUE: a queue that does not fit in the soft limit is EMFILE. */
  struct rlimit old;
  getrlimit(RLIMIT_MSGQUEUE, &old);
  struct rlimit none = {0, old.rlim_max};
  tap_eq(setrlimit(RLIMIT_MSGQUEUE, &none), 0, "setrlimit(RLIMIT_MSGQUEUE, 0)");
  tap_fails_with(create(n, O_RDWR, 1, 1), EMFILE, "a queue beyond RLIMIT_MSGQUEUE");
  setrlimit(RLIMIT_MSGQUEUE, &old);
}

/* ---- priorities, boundaries, sizes, directions ---- */
static void test_send_receive(void) {
  const char *n = qname(1);
  mqd_t q = create(n, O_RDWR, 8, 64);
  tap_ok(q >= 0, "a queue of 8 messages of 64 bytes");
  struct {
    const char *text;
    unsigned prio;
  } in[] = {{"five-a", 5}, {"one-a", 1}, {"five-b", 5}, {"nine", 9}, {"one-b", 1}, {"", 0}, {"top", 32767}};
  int sent = 0;
  for (unsigned i = 0; i < 7; i++) sent += mq_send(q, in[i].text, strlen(in[i].text), in[i].prio) == 0;
  tap_eq(sent, 7, "seven messages sent");
  struct mq_attr a;
  mq_getattr(q, &a);
  tap_eq(a.mq_curmsgs, 7, "mq_curmsgs counts them");
  const int order[] = {6, 3, 0, 2, 1, 4, 5};
  int right = 0;
  for (int i = 0; i < 7; i++) {
    char buf[64];
    unsigned prio = 99;
    ssize_t got = mq_receive(q, buf, sizeof(buf), &prio);
    const int k = order[i];
    if (got == (ssize_t)strlen(in[k].text) && memcmp(buf, in[k].text, got) == 0 && prio == in[k].prio) {
      right++;
    } else {
      tap_note("receive %d: got %zd bytes prio %u, want '%s' prio %u", i, got, prio, in[k].text, in[k].prio);
    }
  }
  tap_eq(right, 7, "highest priority first, FIFO within a priority, lengths kept");
  char big[65] = {0};
  tap_fails_with(mq_send(q, big, 65, 0), EMSGSIZE, "a message longer than mq_msgsize");
  tap_fails_with(mq_send(q, big, 1, 32768), EINVAL, "priority MQ_PRIO_MAX");
  tap_fails_with(mq_receive(q, big, 63, NULL), EMSGSIZE, "a buffer shorter than mq_msgsize");
  tap_fails_with(mq_send(q, (const char *)8, 4, 0), EFAULT, "a bad message pointer");
  mq_close(q);

  mqd_t ro = mq_open(n, O_RDONLY), wo = mq_open(n, O_WRONLY);
  tap_fails_with(mq_send(ro, "x", 1, 0), EBADF, "mq_send on a read-only descriptor");
  tap_fails_with(mq_receive(wo, big, 64, NULL), EBADF, "mq_receive on a write-only descriptor");
  int p[2];
  pipe(p);
  tap_fails_with(mq_send(p[1], "x", 1, 0), EBADF, "mq_send on a pipe");
  tap_fails_with(mq_getattr(p[0], &a), EBADF, "mq_getattr on a pipe");
  close(p[0]);
  close(p[1]);
  tap_fails_with(mq_send(9999, "x", 1, 0), EBADF, "mq_send on a closed descriptor");
  mq_close(ro);
  mq_close(wo);
  mq_unlink(n);
}

/* ---- O_NONBLOCK, timeouts, mq_setattr ---- */
static void test_nonblock_and_timeouts(void) {
  const char *n = qname(2);
  mqd_t q = create(n, O_RDWR | O_NONBLOCK, 2, 16);
  char buf[16];
  tap_fails_with(mq_receive(q, buf, 16, NULL), EAGAIN, "O_NONBLOCK: receive from an empty queue");
  mq_send(q, "1", 1, 0);
  mq_send(q, "2", 1, 0);
  tap_fails_with(mq_send(q, "3", 1, 0), EAGAIN, "O_NONBLOCK: send to a full queue");
  struct mq_attr set = {0}, old;
  tap_ok(mq_setattr(q, &set, &old) == 0 && old.mq_flags == O_NONBLOCK && old.mq_curmsgs == 2,
         "mq_setattr clears O_NONBLOCK and reports the old flags");
  struct mq_attr now;
  mq_getattr(q, &now);
  tap_eq(now.mq_flags, 0, "O_NONBLOCK is off");
  set.mq_flags = O_APPEND;
  tap_fails_with(mq_setattr(q, &set, NULL), EINVAL, "mq_setattr with a flag other than O_NONBLOCK");
  set.mq_flags = 0;
  set.mq_maxmsg = 99; /* ignored */
  mq_setattr(q, &set, NULL);
  mq_getattr(q, &now);
  tap_eq(now.mq_maxmsg, 2, "mq_setattr changes nothing but the flags");

  struct timespec soon = from_now_ms(30), past = {1, 0};
  tap_fails_with(mq_timedsend(q, "3", 1, 0, &soon), ETIMEDOUT, "timed send on a full queue");
  tap_fails_with(mq_timedsend(q, "3", 1, 0, &past), ETIMEDOUT, "a timeout in the past");
  struct timespec bad = {0, 1000000000L};
  tap_fails_with(mq_timedsend(q, "3", 1, 0, &bad), EINVAL, "a bad timespec where the send would block");
  tap_fails_with(syscall(SYS_mq_timedsend, q, "3", 1, 0, (void *)8), EFAULT, "a bad timeout pointer");
  mq_receive(q, buf, 16, NULL);
  mq_receive(q, buf, 16, NULL);
  soon = from_now_ms(30);
  tap_fails_with(mq_timedreceive(q, buf, 16, NULL, &soon), ETIMEDOUT, "timed receive on an empty queue");
  bad.tv_nsec = -1;
  tap_fails_with(mq_timedreceive(q, buf, 16, NULL, &bad), EINVAL,
                 "a bad timespec where the receive would block");
  mq_send(q, "ok", 2, 0);
  /* Linux checks the timespec before anything else (prepare_timeout), so also here. */
  tap_fails_with(mq_timedreceive(q, buf, 16, NULL, &bad), EINVAL,
                 "a bad timespec where the receive would not block");
  soon = from_now_ms(1000);
  tap_eq(mq_timedreceive(q, buf, 16, NULL, &soon), 2, "a timed receive with a message waiting");
  mq_close(q);
  mq_unlink(n);
}

/* ---- unlink while open, dup, fork ---- */
static void test_lifetime(void) {
  const char *n = qname(3);
  mqd_t q = create(n, O_RDWR, 4, 32);
  mq_send(q, "kept", 4, 3);
  tap_eq(mq_unlink(n), 0, "unlink an open queue");
  tap_fails_with(mq_open(n, O_RDWR), ENOENT, "its name is gone");
  mqd_t other = create(n, O_RDWR, 4, 32);
  struct mq_attr a;
  mq_getattr(other, &a);
  tap_eq(a.mq_curmsgs, 0, "the same name makes a new, empty queue");
  mq_close(other);
  mq_unlink(n);
  int d = dup(q);
  mq_close(q);
  char buf[32];
  unsigned prio = 0;
  tap_ok(mq_receive(d, buf, 32, &prio) == 4 && memcmp(buf, "kept", 4) == 0 && prio == 3,
         "the unlinked queue lives on through a dup'ed descriptor");
  mq_send(d, "from-parent", 11, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char b[32];
    ssize_t got = mq_receive(d, b, 32, NULL);
    _exit(got == 11 && memcmp(b, "from-parent", 11) == 0 && mq_send(d, "child", 5, 1) == 0 ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child shares the descriptor");
  struct timespec t = from_now_ms(5000);
  tap_eq(mq_timedreceive(d, buf, 32, NULL, &t), 5, "the parent receives the child's message");
  close(d);
}

/* ---- mq_notify ---- */
static volatile sig_atomic_t notified, notified_code, notified_value;

static void on_notify(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  notified++;
  notified_code = info->si_code;
  notified_value = info->si_value.sival_int;
}

static void test_notify(void) {
  const char *n = qname(4);
  mqd_t q = create(n, O_RDWR, 4, 32);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_notify;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 4242;
  tap_eq(mq_notify(q, &ev), 0, "mq_notify SIGEV_SIGNAL");
  tap_fails_with(mq_notify(q, &ev), EBUSY, "a second registration is EBUSY");
  char buf[32];
  mq_send(q, "a", 1, 0);
  tap_ok(notified == 1 && notified_code == SI_MESGQ && notified_value == 4242,
         "a message on the empty queue signals with SI_MESGQ and the value (%d, %d, %d)",
         (int)notified, (int)notified_code, (int)notified_value);
  mq_send(q, "b", 1, 0);
  tap_eq(notified, 1, "one notification: the registration is gone after it");
  mq_receive(q, buf, 32, NULL);
  mq_receive(q, buf, 32, NULL);
  tap_eq(mq_notify(q, &ev), 0, "register again");
  mq_send(q, "c", 1, 0);
  mq_send(q, "d", 1, 0);
  tap_eq(notified, 2, "notified again");
  tap_eq(mq_notify(q, &ev), 0, "register on a non-empty queue");
  mq_send(q, "e", 1, 0);
  tap_eq(notified, 2, "a message to a non-empty queue does not notify");
  tap_eq(mq_notify(q, NULL), 0, "mq_notify(NULL) removes the registration");
  for (int i = 0; i < 3; i++) mq_receive(q, buf, 32, NULL);
  mq_send(q, "f", 1, 0);
  tap_eq(notified, 2, "no notification after removal");
  mq_receive(q, buf, 32, NULL);

  char line[128] = {0};
  ssize_t got = read(q, line, sizeof(line) - 1);
  tap_ok(got > 0 && strncmp(line, "QSIZE:0 ", 8) == 0 && strstr(line, "NOTIFY_PID:") != NULL,
         "read() of the queue: its state line");

  ev.sigev_notify = SIGEV_NONE;
  tap_eq(mq_notify(q, &ev), 0, "mq_notify SIGEV_NONE");
  ev.sigev_notify = SIGEV_SIGNAL;
  tap_fails_with(mq_notify(q, &ev), EBUSY, "SIGEV_NONE holds the registration");
  mq_send(q, "g", 1, 0);
  tap_eq(mq_notify(q, &ev), 0, "a message ends a SIGEV_NONE registration");
  mq_notify(q, NULL);
  ev.sigev_notify = 99;
  tap_fails_with(mq_notify(q, &ev), EINVAL, "an unknown sigev_notify");
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = 65;
  tap_fails_with(mq_notify(q, &ev), EINVAL, "a signal number above 64");
  tap_fails_with(syscall(SYS_mq_notify, q, (void *)8), EFAULT, "a bad sigevent pointer");
  tap_fails_with(mq_notify(9999, NULL), EBADF, "mq_notify on a closed descriptor");
  /* SIGEV_THREAD, as the kernel sees it: sigev_signo must name a netlink socket. */
  char cookie[32] = {0};
  struct sigevent th = {0};
  th.sigev_notify = SIGEV_THREAD;
  th.sigev_value.sival_ptr = cookie;
  int p[2];
  pipe(p);
  th.sigev_signo = p[0];
  tap_fails_with(syscall(SYS_mq_notify, q, &th), ENOTSOCK, "SIGEV_THREAD with a pipe for its socket");
  th.sigev_signo = 9999;
  tap_fails_with(syscall(SYS_mq_notify, q, &th), EBADF, "SIGEV_THREAD with a closed descriptor");
  close(p[0]);
  close(p[1]);
  /* A registration goes when its owner closes the descriptor it registered through (here by
   * exiting): the queue is free for another. */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    mqd_t own = mq_open(n, O_RDWR);
    struct sigevent none = {0};
    none.sigev_notify = SIGEV_NONE;
    _exit(own >= 0 && mq_notify(own, &none) == 0 ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  ev.sigev_signo = SIGUSR1;
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && mq_notify(q, &ev) == 0,
         "a registration ends when its owner exits");
  mq_notify(q, NULL);
  mq_close(q);
  mq_unlink(n);
}

/* ---- poll, and interrupted waits ---- */
struct late {
  mqd_t q;
  pthread_t target;
  int signals;
  volatile int stop;
};

static void *send_late(void *arg) {
  struct late *l = arg;
  struct timespec d = {0, 50 * 1000000L};
  nanosleep(&d, NULL);
  mq_send(l->q, "late", 4, 0);
  return NULL;
}

/* Signals the target every 20 ms until told to stop (a signal sent before the target sleeps
 * only runs its handler; the next one finds it asleep), then sends one message. */
static void *signal_until_stopped(void *arg) {
  struct late *l = arg;
  struct timespec d = {0, 20 * 1000000L};
  for (int i = 0; i < 500 && !l->stop; i++) {
    nanosleep(&d, NULL);
    pthread_kill(l->target, SIGUSR2);
    l->signals++;
    if (l->signals == 3 && l->q >= 0) mq_send(l->q, "msg", 3, 0);
  }
  return NULL;
}

static volatile sig_atomic_t usr2;
static void on_usr2(int sig) {
  (void)sig;
  usr2++;
}

static void test_poll_and_interrupts(void) {
  const char *n = qname(5);
  mqd_t q = create(n, O_RDWR, 2, 16);
  struct pollfd pf = {q, POLLIN | POLLOUT, 0};
  tap_ok(poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT, "poll: empty is writable only");
  mq_send(q, "1", 1, 0);
  tap_ok(poll(&pf, 1, 0) == 1 && pf.revents == (POLLIN | POLLOUT), "poll: readable and writable");
  mq_send(q, "2", 1, 0);
  tap_ok(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll: full is readable only");
  char buf[16];
  mq_receive(q, buf, 16, NULL);
  mq_receive(q, buf, 16, NULL);
  struct late l = {q, pthread_self(), 0, 0};
  pthread_t t;
  pthread_create(&t, NULL, send_late, &l);
  pf.events = POLLIN;
  int r = poll(&pf, 1, 10000);
  tap_ok(r == 1 && pf.revents == POLLIN, "poll woken by a message from another thread");
  pthread_join(t, NULL);
  mq_receive(q, buf, 16, NULL);

  struct sigaction sa = {0};
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL); /* no SA_RESTART */
  struct late i = {-1, pthread_self(), 0, 0};
  pthread_create(&t, NULL, signal_until_stopped, &i);
  struct timespec limit = from_now_ms(20000);
  tap_fails_with(mq_timedreceive(q, buf, 16, NULL, &limit), EINTR, "a signal interrupts a receive: EINTR");
  i.stop = 1;
  pthread_join(t, NULL);

  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  struct late j = {q, pthread_self(), 0, 0};
  pthread_create(&t, NULL, signal_until_stopped, &j);
  limit = from_now_ms(20000);
  ssize_t got = mq_timedreceive(q, buf, 16, NULL, &limit);
  j.stop = 1;
  pthread_join(t, NULL);
  tap_ok(got == 3 && usr2 >= 3, "SA_RESTART: the receive goes on after the handlers (%zd, %d)", got,
         (int)usr2);
  mq_close(q);
  mq_unlink(n);
}

/* ---- two processes on two CPUs ---- */
static unsigned next_random(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

/* One message's hash; a run's checksum is their sum, which does not depend on the order that
 * priorities give the messages. */
static unsigned message_hash(const unsigned char *p, size_t n, unsigned prio) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h * 7u + prio + (unsigned)n;
}

static int wait_bounded(pid_t pid, int *status) {
  struct timespec d = {0, 5 * 1000000L};
  for (int waited = 0; waited < kBoundMs; waited += 5) {
    pid_t got = waitpid(pid, status, WNOHANG);
    if (got == pid) return 1;
    if (got < 0) return 0;
    nanosleep(&d, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return 0;
}

/* The child: receives every message from `to_child`, sends each back on `to_parent` and
 * finally its checksum (priority 0 behind everything else). */
static int echo_child(mqd_t to_child, mqd_t to_parent) {
  child_pin(1);
  unsigned sum = 0;
  unsigned char buf[kMaxSize];
  for (int i = 0; i < kExchange; i++) {
    unsigned prio;
    struct timespec t = from_now_ms(kBoundMs);
    ssize_t got = mq_timedreceive(to_child, (char *)buf, kMaxSize, &prio, &t);
    if (got < 0) return 2;
    sum += message_hash(buf, (size_t)got, prio);
    t = from_now_ms(kBoundMs);
    if (mq_timedsend(to_parent, (char *)buf, (size_t)got, prio, &t) != 0) return 3;
  }
  struct timespec t = from_now_ms(kBoundMs);
  return mq_timedsend(to_parent, (char *)&sum, sizeof(sum), 0, &t) == 0 ? 0 : 4;
}

struct sender {
  mqd_t q;
  unsigned sum;
  int sent;
};

static void *send_all(void *arg) {
  struct sender *s = arg;
  unsigned seed = 12345;
  unsigned char buf[kMaxSize];
  for (int i = 0; i < kExchange; i++) {
    size_t n = 1 + next_random(&seed) % kMaxSize;
    for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)next_random(&seed);
    unsigned prio = 1 + next_random(&seed) % 4; /* above the child's final checksum */
    struct timespec t = from_now_ms(kBoundMs);
    if (mq_timedsend(s->q, (char *)buf, n, prio, &t) != 0) break;
    s->sum += message_hash(buf, n, prio);
    s->sent++;
  }
  return NULL;
}

static void test_two_cpus(void) {
  const char *a = qname(6), *b = qname(7);
  mqd_t to_child = create(a, O_RDWR, 8, kMaxSize), to_parent = create(b, O_RDWR, 8, kMaxSize);
  tap_ok(to_child >= 0 && to_parent >= 0, "two queues of 8 messages");
  child_cpu_count();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(echo_child(to_child, to_parent));
  child_pin(0);
  struct sender s = {to_child, 0, 0};
  pthread_t t;
  pthread_create(&t, NULL, send_all, &s);
  unsigned echoed = 0, child_sum = 0; /* the echoes' checksum, and the child's */
  int received = 0, have_sum = 0;
  unsigned char buf[kMaxSize];
  for (;;) {
    unsigned prio;
    struct timespec limit = from_now_ms(kBoundMs);
    ssize_t got = mq_timedreceive(to_parent, (char *)buf, kMaxSize, &prio, &limit);
    if (got < 0) {
      tap_note("receive from the child: errno %d after %d messages", errno, received);
      break;
    }
    if (prio == 0 && got == sizeof(unsigned)) {
      memcpy(&child_sum, buf, sizeof(child_sum));
      have_sum = 1;
      break;
    }
    received++;
    echoed += message_hash(buf, (size_t)got, prio);
  }
  pthread_join(t, NULL);
  int status = -1;
  int ended = wait_bounded(pid, &status);
  tap_eq(s.sent, kExchange, "the sender thread sent every message");
  tap_eq(received, kExchange, "every message came back once");
  tap_ok(ended && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child on the other CPU finished");
  tap_ok(have_sum && child_sum == s.sum, "the child's checksum matches (%08x, %08x)", child_sum, s.sum);
  tap_eq(echoed, s.sum, "the echoed messages' checksum matches");
  mq_close(to_child);
  mq_close(to_parent);
  mq_unlink(a);
  mq_unlink(b);
}

int main(void) {
  /* Run as we are started by anyone: nothing blocked, default handlers for what we use. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGUSR1, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);
  umask(022);
  tap_plan(89);
  test_open();
  test_send_receive();
  test_nonblock_and_timeouts();
  test_lifetime();
  test_notify();
  test_poll_and_interrupts();
  test_two_cpus();
  return tap_done();
}
