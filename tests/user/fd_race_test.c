/* One descriptor table shared by threads on different CPUs while one thread closes and reuses a
 * descriptor others are using (issue 13's "descriptor tables shared by threads"):
 * - a thread blocked in read() on a pipe keeps reading that pipe after another thread closed
 *   the descriptor and a new pipe took its number (Linux: the read holds its own reference to
 *   the open file, so it sees neither an error nor the new pipe's bytes);
 * - threads pinned to other CPUs pread one descriptor number in a loop while the main thread
 *   closes it and dup2()s either /dev/zero or a file of 'A's onto it: every read returns eight
 *   bytes of one of the two files (never a mix, never another error) or EBADF in the window
 *   where the number is closed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

enum { kReaders = 2, kRounds = 4000 };

static int pipe_read_end;
static atomic_int entering;
static long blocked_result;
static int blocked_errno;
static char blocked_byte;

static void *blocked_reader(void *arg) {
  (void)arg;
  child_pin(1);
  atomic_store(&entering, 1);
  blocked_result = read(pipe_read_end, &blocked_byte, 1);
  blocked_errno = errno;
  return NULL;
}

static int shared_fd;
static atomic_int stop;

struct Outcomes {
  long zeros, letters, closed, wrong;
  char wrong_text[64];
};

static void *racing_reader(void *arg) {
  struct Outcomes *o = arg;
  child_pin(1); /* the main thread has CPU 0 to itself */
  while (!atomic_load(&stop)) {
    char buf[8];
    memset(buf, '?', sizeof buf);
    errno = 0;
    long n = pread(shared_fd, buf, sizeof buf, 0);
    if (n == 8 && memcmp(buf, "\0\0\0\0\0\0\0\0", 8) == 0) {
      ++o->zeros;
    } else if (n == 8 && memcmp(buf, "AAAAAAAA", 8) == 0) {
      ++o->letters;
    } else if (n == -1 && errno == EBADF) {
      ++o->closed;
    } else if (o->wrong++ == 0) {
      snprintf(o->wrong_text, sizeof o->wrong_text, "pread returned %ld (errno %d), bytes %02x..%02x",
               n, errno, (unsigned char)buf[0], (unsigned char)buf[7]);
    }
  }
  return NULL;
}

int main(void) {
  tap_plan(9);
  (void)child_cpu_count();
  child_pin(0);

  /* A reader blocked on a pipe whose descriptor another thread closes and reuses. */
  int p[2], q[2];
  tap_ok(pipe(p) == 0, "pipe");
  pipe_read_end = p[0];
  pthread_t reader;
  pthread_create(&reader, NULL, blocked_reader, NULL);
  while (!atomic_load(&entering)) sched_yield();
  /* Time to enter read() and block; if it has not, it gets EBADF, checked below as well. */
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  close(p[0]);
  tap_ok(pipe(q) == 0 && q[0] == p[0], "a new pipe takes the closed number (%d)", q[0]);
  tap_eq(write(q[1], "y", 1), 1, "a byte into the new pipe");
  tap_eq(write(p[1], "x", 1), 1, "a byte into the old pipe, whose last descriptor is gone");
  pthread_join(reader, NULL);
  if (blocked_result == -1 && blocked_errno == EBADF) {
    tap_note("the reader had not entered read() before the close: EBADF");
    tap_ok(1, "the reader saw the close before reading");
  } else {
    tap_ok(blocked_result == 1 && blocked_byte == 'x',
           "the blocked reader got the old pipe's byte (result %ld, byte %c)", blocked_result,
           blocked_result == 1 ? blocked_byte : '-');
  }
  char c = 0;
  tap_ok(read(q[0], &c, 1) == 1 && c == 'y', "the new pipe kept its own byte");
  close(p[1]);
  close(q[0]);
  close(q[1]);

  /* Readers on other CPUs against close + dup2 of one number. */
  char file[64];
  snprintf(file, sizeof file, "/tmp/fd_race_test.%d", (int)getpid());
  int letters = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600);
  int zero = open("/dev/zero", O_RDONLY);
  tap_ok(letters >= 0 && zero >= 0 && write(letters, "AAAAAAAA", 8) == 8 && unlink(file) == 0,
         "a file of 'A's and /dev/zero");
  shared_fd = dup(zero);
  static struct Outcomes outcomes[kReaders];
  pthread_t readers[kReaders];
  for (int i = 0; i < kReaders; ++i) pthread_create(&readers[i], NULL, racing_reader, &outcomes[i]);
  int failures = 0;
  for (int round = 0; round < kRounds; ++round) {
    failures += close(shared_fd) != 0; /* from here to the dup2, reads get EBADF */
    failures += dup2(round % 2 ? letters : zero, shared_fd) != shared_fd;
  }
  atomic_store(&stop, 1);
  struct Outcomes sum = {0};
  for (int i = 0; i < kReaders; ++i) {
    pthread_join(readers[i], NULL);
    sum.zeros += outcomes[i].zeros;
    sum.letters += outcomes[i].letters;
    sum.closed += outcomes[i].closed;
    sum.wrong += outcomes[i].wrong;
    if (outcomes[i].wrong != 0) tap_note("reader %d: %s", i, outcomes[i].wrong_text);
  }
  tap_note("reads: %ld of /dev/zero, %ld of the file, %ld EBADF", sum.zeros, sum.letters, sum.closed);
  tap_eq(failures, 0, "%d rounds of close and dup2 onto the number the readers use", kRounds);
  tap_eq(sum.wrong, 0, "every read returned one file's bytes or EBADF");
  close(shared_fd);
  close(letters);
  close(zero);
  return tap_done();
}
