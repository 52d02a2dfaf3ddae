/* Address-space changes reach every CPU: in a child process, a thread pinned to another CPU
 * than the main thread keeps reading (or writing) a mapping; the main thread then unmaps it
 * or changes its protection. The thread's next access must fault, so the child is killed by
 * SIGSEGV: the TLB shootdown reached the thread's CPU before munmap/mprotect returned. An
 * access counted after the call returned (a stale TLB entry still in use) ends the child with
 * status 3 instead. madvise(MADV_DONTNEED) must make the thread read zeros from then on. The
 * controls do the same without the change and exit 0. Each runs on one page and on 128 pages
 * (the thread touching the first and the last). Run without arguments; a mode argument is
 * one child (child.h). */
#include "child.h"
#include "tap.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum {
  kTimeoutMs = 10000,   /* the parent's bound on each child */
  kWaitMs = 5000,       /* the child's bound on each of its own waits */
  kWarmAccesses = 1000, /* accesses before the change: the thread's TLB holds the pages */
  kBigPages = 128,      /* a range large enough for a kernel to flush it differently */
  kRounds = 3,          /* children per racing mode */
};
static const long kPattern = 0x5a5a1234;

enum change { kNone, kMunmap, kReadOnly, kNoAccess, kDontNeed };
struct mode {
  const char *name;
  enum change change;
  int writes; /* the thread writes the pages (else it reads them) */
  int signal; /* what ends the child: 0 for exit status 0 */
  const char *what;
};
static const struct mode kModes[] = {
    {"control_read", kNone, 0, 0, "control: a thread reads on another CPU, then stops"},
    {"control_write", kNone, 1, 0, "control: a thread writes on another CPU, then stops"},
    {"munmap", kMunmap, 0, SIGSEGV, "munmap while a thread on another CPU reads"},
    {"mprotect_ro", kReadOnly, 1, SIGSEGV,
     "mprotect(PROT_READ) while a thread on another CPU writes"},
    {"mprotect_none", kNoAccess, 0, SIGSEGV,
     "mprotect(PROT_NONE) while a thread on another CPU reads"},
    {"madvise", kDontNeed, 0, 0,
     "madvise(MADV_DONTNEED) while a thread on another CPU reads: it reads zeros after"},
};
enum { kModeCount = sizeof kModes / sizeof kModes[0] };

static volatile long *first, *last; /* the first and the last page of the mapping */
static int writes;
static atomic_long last_read;
static atomic_long accesses; /* counted after each access (of both pages) */
static atomic_int stop;

/* accessor: pins itself to the second CPU, then reads or writes both pages and counts, until
 * told to stop or killed by the fault. */
static void *accessor(void *arg) {
  (void)arg;
  child_pin(1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    if (writes) {
      *first = kPattern;
      *last = kPattern;
    } else {
      atomic_store_explicit(&last_read, *first | *last, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&accesses, 1, memory_order_release);
  }
  return NULL;
}

/* wait_for_accesses: sleeps until the counter reaches target; returns 0 after kWaitMs. */
static int wait_for_accesses(long target) {
  struct timespec ms = {0, 1000000L};
  for (int waited = 0; atomic_load(&accesses) < target; ++waited) {
    if (waited >= kWaitMs) {
      return 0;
    }
    nanosleep(&ms, NULL);
  }
  return 1;
}

/* apply: makes the change; returns the call's result. */
static int apply(enum change change, void *p, size_t size) {
  switch (change) {
    case kMunmap: return munmap(p, size);
    case kReadOnly: return mprotect(p, size, PROT_READ);
    case kNoAccess: return mprotect(p, size, PROT_NONE);
    case kDontNeed: return madvise(p, size, MADV_DONTNEED);
    case kNone: break;
  }
  return 0;
}

/* child: runs mode (with "_big": on kBigPages pages). Returns the exit status: 0 when the
 * thread ran through and read what it should; where a fault should end the process first, 3
 * (accessed after the call returned), 4 (neither faulted nor went on), 5 (setup failed) or 6
 * (the call itself failed); 3 also for a wrong value read. */
static int child(const char *arg) {
  char name[32];
  snprintf(name, sizeof name, "%s", arg);
  size_t pages = 1;
  char *suffix = strstr(name, "_big");
  if (suffix != NULL) {
    *suffix = '\0';
    pages = kBigPages;
  }
  const struct mode *mode = NULL;
  for (int i = 0; i < kModeCount; ++i) {
    if (strcmp(kModes[i].name, name) == 0) {
      mode = &kModes[i];
    }
  }
  if (mode == NULL) {
    return 5;
  }
  child_cpu_count(); /* the mask, before anything is pinned */
  child_pin(0);
  writes = mode->writes;
  size_t size = pages * 4096;
  char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return 5;
  }
  first = (volatile long *)p;
  last = (volatile long *)(p + size - 4096);
  *first = kPattern;
  *last = kPattern;
  pthread_t thread;
  if (pthread_create(&thread, NULL, accessor, NULL) != 0 || !wait_for_accesses(kWarmAccesses)) {
    return 5;
  }
  if (apply(mode->change, p, size) != 0) {
    return 6;
  }
  /* One access may have begun before the call and be counted after it; the second one
   * counted after the call started after it returned. */
  long before = atomic_load(&accesses);
  if (!wait_for_accesses(before + 2)) {
    return 4;
  }
  if (mode->signal != 0) {
    return 3; /* accessed through a stale translation */
  }
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  long want = mode->change == kDontNeed ? 0 : kPattern;
  if ((!writes && atomic_load(&last_read) != want) || *first != want || *last != want) {
    return 3;
  }
  return munmap(p, size) == 0 ? 0 : 5;
}

/* expect: one test point for `self mode` (with suffix), as the mode's row says. */
static void expect(const char *self, const struct mode *mode, const char *suffix,
                   const char *size_text) {
  char arg[32], what[160];
  snprintf(arg, sizeof arg, "%s%s", mode->name, suffix);
  snprintf(what, sizeof what, "%s (%s)", mode->what, size_text);
  if (mode->signal != 0) {
    child_expect_signal(self, arg, mode->signal, kTimeoutMs, what);
  } else {
    child_expect_exit(self, arg, 0, kTimeoutMs, what);
  }
}

int main(int argc, char **argv) {
  if (argc > 1) {
    return child(argv[1]);
  }
  int points = 0;
  for (int i = 0; i < kModeCount; ++i) {
    points += 2 * (kModes[i].signal != 0 ? kRounds : 1);
  }
  tap_plan(points);
  tap_note("%d CPUs: the accessing thread runs on %s", child_cpu_count(),
           child_cpu_count() > 1 ? "the second, the main thread on the first"
                                 : "the same CPU as the main thread");
  for (int i = 0; i < kModeCount; ++i) {
    for (int round = 0; round < (kModes[i].signal != 0 ? kRounds : 1); ++round) {
      expect(argv[0], &kModes[i], "", "1 page");
      expect(argv[0], &kModes[i], "_big", "128 pages");
    }
  }
  return tap_done();
}
