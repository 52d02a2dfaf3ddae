/* Futex wake-up latency across CPUs: a waiter thread on CPU 1 sleeps in FUTEX_WAIT; the main
 * thread on CPU 0 reads CLOCK_MONOTONIC into a shared stamp, changes the futex word and
 * FUTEX_WAKEs it; the waiter reads the clock as soon as FUTEX_WAIT returns. One op is one
 * wake-up, and its figure is that latency: from just before FUTEX_WAKE to the woken thread
 * running in user space on the other CPU.
 *
 * A wake-up counts only when the waiter really slept: FUTEX_WAKE woke one thread and
 * FUTEX_WAIT returned 0. Before each wake the waker waits until the waiter has announced it is
 * about to wait, then a short delay for it to get to sleep; a wake that found nobody asleep is
 * a miss (not a sample) and doubles the delay. Each repetition takes the same number of
 * wake-ups (as many as fit in about 100 ms, 16 to 4096); its figure is their median, and the
 * line gives the median and the minimum over 5 repetitions, and the misses. Needs 2 CPUs. */
#include "bench.h"
#include "deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's futex operations (linux/futex.h, which musl does not carry). */
enum { kFutexWaitPrivate = 0 | 128, kFutexWakePrivate = 1 | 128 };

enum { kDeadlineSeconds = 120, kReps = 5, kMinSamples = 16, kMaxSamples = 4096 };

/* The first delay between "about to wait" and the wake, and the most it doubles to. */
static const uint64_t kFirstDelayNs = 10 * 1000;
static const uint64_t kMaxDelayNs = 10 * 1000 * 1000;
static const uint64_t kTargetNs = 100 * 1000 * 1000; /* one repetition, as bench.c */

/* The futex word: 0 while the waiter should sleep, 1 once the waker has woken it. */
static _Atomic int word;
static atomic_int stop;
static _Atomic uint64_t stamp;  /* the waker's clock just before the wake */
static _Atomic uint64_t armed;  /* the last attempt the waiter is about to wait for */
static _Atomic uint64_t done;   /* the last attempt the waiter has returned from */
static _Atomic int64_t latency; /* of attempt `done`: ns, or -1 when the waiter did not sleep */

static long futex(_Atomic int *w, int op, int value) {
  return syscall(SYS_futex, w, op, value, NULL, NULL, 0);
}

static void *waiter(void *arg) {
  (void)arg;
  if (bench_pin(1) != 0) bench_fail("futexwake", "cannot pin the waiter to cpu 1");
  for (uint64_t attempt = 1;; ++attempt) {
    atomic_store(&word, 0);
    atomic_store(&armed, attempt);
    long r;
    do {
      /* Returns at once (EAGAIN) when the word is 1 already: then the waiter did not sleep.
       * Waits again after a spurious return (the word still 0). */
      r = futex(&word, kFutexWaitPrivate, 0);
    } while (atomic_load(&word) == 0);
    uint64_t now = bench_now_ns();
    uint64_t then = atomic_load(&stamp);
    /* Read before `done` is published: the waker sets `stop` only after it has seen `done`
     * of the last measured attempt, so this attempt ends the thread only if it is the
     * stopping wake itself. */
    int stopping = atomic_load(&stop);
    atomic_store(&latency, r == 0 && now >= then ? (int64_t)(now - then) : -1);
    atomic_store(&done, attempt);
    if (stopping) return NULL;
  }
}

static uint64_t attempts; /* the waker's count: the waiter's `armed` follows it */
static uint64_t delay_ns = kFirstDelayNs;
static uint64_t misses;

/* wait_for: spins until *value reaches `target` (the other thread is on the other CPU, so
 * spinning costs it nothing; `pause` is the spin-wait hint). */
static void wait_for(_Atomic uint64_t *value, uint64_t target) {
  while (atomic_load(value) < target) __asm__ volatile("pause");
}

/* one_wake: wake-ups until one counts. Returns its latency in ns. */
static double one_wake(void) {
  for (;;) {
    ++attempts;
    wait_for(&armed, attempts);
    for (uint64_t until = bench_now_ns() + delay_ns; bench_now_ns() < until;) {
      __asm__ volatile("pause");
    }
    atomic_store(&stamp, bench_now_ns());
    atomic_store(&word, 1);
    long woken = futex(&word, kFutexWakePrivate, 1);
    wait_for(&done, attempts);
    int64_t ns = atomic_load(&latency);
    if (woken == 1 && ns >= 0) return (double)ns;
    ++misses;
    if (delay_ns < kMaxDelayNs) delay_ns *= 2;
  }
}

/* repetition: the median latency of `count` wake-ups (count <= kMaxSamples). */
static double repetition(int count) {
  static double samples[kMaxSamples];
  for (int i = 0; i < count; ++i) samples[i] = one_wake();
  return bench_median(samples, count);
}

int main(void) {
  bench_deadline("futexwake", kDeadlineSeconds);
  if (bench_cpus() < 2) {
    bench_skip("futex_wake_latency", "cross-cpu", "one CPU");
    return 0;
  }
  if (bench_pin(0) != 0) {
    printf("# futexwake: cannot pin to cpu 0\n");
    return 1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, waiter, NULL) != 0) {
    printf("# futexwake: pthread_create failed\n");
    return 1;
  }
  /* Warm-up and calibration: the wake-ups that fit in one repetition's time. */
  one_wake();
  int count = 0;
  const uint64_t start = bench_now_ns();
  while (count < kMaxSamples && bench_now_ns() - start < kTargetNs) {
    one_wake();
    ++count;
  }
  if (count < kMinSamples) count = kMinSamples;
  double figures[kReps];
  for (int r = 0; r < kReps; ++r) figures[r] = repetition(count);
  struct bench_result result;
  result.median_ns = bench_median(figures, kReps);
  result.min_ns = figures[0]; /* sorted by bench_median */
  result.ops = (uint64_t)count;
  result.reps = kReps;
  char extra[64];
  snprintf(extra, sizeof extra, ", \"missed\": %llu", (unsigned long long)misses);
  bench_print("futex_wake_latency", "cross-cpu", &result, extra);
  /* The waiter is asleep or about to be: stop, then one last wake. */
  atomic_store(&stop, 1);
  ++attempts;
  wait_for(&armed, attempts);
  atomic_store(&word, 1);
  futex(&word, kFutexWakePrivate, 1);
  pthread_join(t, NULL);
  return 0;
}
