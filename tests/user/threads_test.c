/* Threads on every CPU: 8 pthreads, thread i pinned (by itself) to CPU i % ncpu, meet at a
 * barrier, report to the main thread through a condition variable, add to a shared counter
 * under a mutex (checked exactly), keep distinct thread-local variables and see getcpu agree
 * with their pinning; then two threads on two CPUs play ping-pong through a condition
 * variable. musl builds all of these on futex. Every wait of the main thread and of the
 * ping-pong is a timed one, so a lost wake-up fails a point instead of hanging the test. */
#include "child.h"
#include "tap.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

enum {
  kThreads = 8,
  kIncrements = 20000, /* per thread */
  kRounds = 2000,      /* ping-pong round trips */
  kTimeoutS = 20,      /* the bound on every timed wait */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed; /* on CLOCK_MONOTONIC, set up in main */
static pthread_barrier_t barrier;
static long counter;     /* lock */
static int arrived;      /* lock: threads past the barrier */
static int finished;     /* lock: threads done */
static int serial_count; /* lock: PTHREAD_BARRIER_SERIAL_THREAD returns */

static __thread int tls_index = -1;
static __thread long tls_sum;

struct worker {
  pthread_t thread;
  int index;
  int pinned_cpu;   /* child_pin's result */
  int seen_cpu;     /* sched_getcpu after pinning */
  int tls_kept;     /* tls_index and tls_sum held this thread's values to the end */
  uintptr_t tls_address;
};
static struct worker workers[kThreads];

/* deadline: now + kTimeoutS on CLOCK_MONOTONIC (the clock of `changed`). */
static struct timespec deadline(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += kTimeoutS;
  return t;
}

static void *work(void *arg) {
  struct worker *w = arg;
  w->pinned_cpu = child_pin(w->index);
  w->seen_cpu = sched_getcpu();
  tls_index = w->index;
  w->tls_address = (uintptr_t)&tls_index;
  int serial = pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD;
  pthread_mutex_lock(&lock);
  serial_count += serial;
  ++arrived;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < kIncrements; ++i) {
    pthread_mutex_lock(&lock);
    ++counter;
    pthread_mutex_unlock(&lock);
    tls_sum += w->index;
  }
  w->tls_kept = tls_index == w->index && tls_sum == (long)w->index * kIncrements;
  pthread_mutex_lock(&lock);
  ++finished;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  return w;
}

/* wait_for: waits under the lock until *count reaches target or the deadline passes. */
static int wait_for(int *count, int target) {
  struct timespec until = deadline();
  int err = 0;
  pthread_mutex_lock(&lock);
  while (*count < target && err != ETIMEDOUT) {
    err = pthread_cond_timedwait(&changed, &lock, &until);
  }
  int reached = *count >= target;
  pthread_mutex_unlock(&lock);
  return reached;
}

/* Ping-pong: player p waits for turn == p, then hands the turn to the other. */
static pthread_cond_t turn_changed;
static int turn;        /* lock */
static int rounds_done[2];
static int player_cpu[2]; /* child_pin's result */
static int timed_out;   /* lock: a player gave up: the other stops too */

static void *play(void *arg) {
  int me = (int)(intptr_t)arg;
  player_cpu[me] = child_pin(me);
  pthread_mutex_lock(&lock);
  for (int round = 0; round < kRounds && !timed_out; ++round) {
    struct timespec until = deadline();
    while (turn != me && !timed_out) {
      if (pthread_cond_timedwait(&turn_changed, &lock, &until) == ETIMEDOUT) {
        timed_out = 1;
      }
    }
    if (timed_out) {
      break;
    }
    ++rounds_done[me];
    turn = 1 - me;
    pthread_cond_signal(&turn_changed);
  }
  pthread_cond_broadcast(&turn_changed);
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* join_by: pthread_timedjoin_np with the usual deadline (realtime, as that call wants). */
static int join_by(pthread_t thread) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += kTimeoutS;
  return pthread_timedjoin_np(thread, NULL, &until) == 0;
}

int main(void) {
  tap_plan(11);
  int ncpu = child_cpu_count();
  tap_note("%d CPUs, %d threads", ncpu, kThreads);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&changed, &attr);
  pthread_cond_init(&turn_changed, &attr);
  pthread_barrier_init(&barrier, NULL, kThreads);

  int created = 0;
  for (int i = 0; i < kThreads; ++i) {
    workers[i].index = i;
    created += pthread_create(&workers[i].thread, NULL, work, &workers[i]) == 0;
  }
  tap_eq(created, kThreads, "pthread_create started every thread");
  int all_arrived = wait_for(&arrived, kThreads);
  tap_ok(all_arrived, "every thread got past the barrier (condition variable wake-ups)");
  int all_finished = all_arrived && wait_for(&finished, kThreads);
  tap_ok(all_finished, "every thread finished its increments");
  if (!all_finished) {
    return tap_done(); /* the threads that hang end with the process */
  }
  int joined = 0;
  for (int i = 0; i < kThreads; ++i) {
    joined += join_by(workers[i].thread);
  }
  tap_eq(joined, kThreads, "pthread_join of every thread");
  tap_eq(serial_count, 1, "exactly one thread was the barrier's serial thread");
  tap_eq(counter, (long)kThreads * kIncrements, "the shared counter is exact");

  int pinned = 0, agreed = 0, kept = 0, distinct = 1;
  for (int i = 0; i < kThreads; ++i) {
    pinned += workers[i].pinned_cpu >= 0;
    agreed += workers[i].seen_cpu == workers[i].pinned_cpu;
    if (workers[i].seen_cpu != workers[i].pinned_cpu) {
      tap_note("thread %d pinned to CPU %d, getcpu says %d", i, workers[i].pinned_cpu,
               workers[i].seen_cpu);
    }
    kept += workers[i].tls_kept;
    for (int j = 0; j < i; ++j) {
      distinct &= workers[i].tls_address != workers[j].tls_address;
    }
  }
  tap_eq(pinned, kThreads, "every thread pinned itself");
  tap_eq(agreed, kThreads, "getcpu in every thread names the CPU it is pinned to");
  tap_ok(kept == kThreads && distinct && tls_index == -1 && tls_sum == 0,
         "each thread has its own __thread variables (%d kept their values, addresses %s)",
         kept, distinct ? "distinct" : "shared");

  pthread_t players[2];
  int started = 0;
  for (int p = 0; p < 2; ++p) {
    started += pthread_create(&players[p], NULL, play, (void *)(intptr_t)p) == 0;
  }
  int ended = started == 2 && join_by(players[0]) && join_by(players[1]);
  tap_ok(ended && !timed_out, "ping-pong between CPUs %d and %d: no wake-up lost", player_cpu[0],
         player_cpu[1]);
  tap_ok(rounds_done[0] == kRounds && rounds_done[1] == kRounds,
         "ping-pong: %d round trips each way (%d and %d)", kRounds, rounds_done[0],
         rounds_done[1]);
  return tap_done();
}
