/* Address-space changes reach every CPU: in a child process, a thread pinned to another CPU
 * than the main thread keeps reading (or writing) a page; the main thread then unmaps it (or
 * makes it read-only). The thread's next access must fault, so the child is killed by
 * SIGSEGV: the TLB shootdown reached the thread's CPU before munmap/mprotect returned. An
 * access counted after the call returned (a stale TLB entry still in use) ends the child with
 * status 3 instead. The controls do the same without the munmap/mprotect and exit 0. Run
 * without arguments; a mode argument is one child (child.h). */
#include "child.h"
#include "tap.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum {
  kTimeoutMs = 10000,   /* the parent's bound on each child */
  kWaitMs = 5000,       /* the child's bound on each of its own waits */
  kWarmAccesses = 1000, /* accesses before the change: the thread's TLB holds the page */
};
static const long kPattern = 0x5a5a1234;

static volatile long *page;
static int writes;            /* the thread writes (mprotect modes) rather than reads */
static atomic_long accesses;  /* counted after each access */
static atomic_int stop;

/* accessor: pins itself to the second CPU, then reads or writes the page and counts, until
 * told to stop (only the controls are) or killed by the fault. */
static void *accessor(void *arg) {
  (void)arg;
  child_pin(1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    if (writes) {
      *page = kPattern;
    } else if (*page != kPattern) {
      _exit(7); /* the page lost its contents while still mapped */
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

/* child: mode is "munmap", "mprotect", "control_read" or "control_write". Returns the exit
 * status: 0 for a control that ran through; for the other modes the fault should end the
 * process first, so 3 (accessed after the call returned), 4 (neither faulted nor went on),
 * 5 (setup failed) or 6 (the call itself failed). */
static int child(const char *mode) {
  child_cpu_count(); /* the mask, before anything is pinned */
  child_pin(0);
  int unmap = strcmp(mode, "munmap") == 0;
  int protect = strcmp(mode, "mprotect") == 0;
  writes = protect || strcmp(mode, "control_write") == 0;
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return 5;
  }
  page = p;
  *page = kPattern;
  pthread_t thread;
  if (pthread_create(&thread, NULL, accessor, NULL) != 0 || !wait_for_accesses(kWarmAccesses)) {
    return 5;
  }
  if (unmap || protect) {
    if (unmap ? munmap(p, 4096) != 0 : mprotect(p, 4096, PROT_READ) != 0) {
      return 6;
    }
    /* One access may have begun before the call and be counted after it; a second one
     * started after the call returned and went through a stale translation. */
    long before = atomic_load(&accesses);
    return wait_for_accesses(before + 2) ? 3 : 4;
  }
  long before = atomic_load(&accesses);
  if (!wait_for_accesses(before + kWarmAccesses)) {
    return 4;
  }
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return *page == kPattern && munmap(p, 4096) == 0 ? 0 : 5;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    return child(argv[1]);
  }
  tap_plan(4);
  tap_note("%d CPUs: the accessing thread runs on %s", child_cpu_count(),
           child_cpu_count() > 1 ? "the second, the main thread on the first"
                                 : "the same CPU as the main thread");
  child_expect_exit(argv[0], "control_read", 0, kTimeoutMs,
                    "control: a thread reads a page on another CPU, then stops");
  child_expect_exit(argv[0], "control_write", 0, kTimeoutMs,
                    "control: a thread writes a page on another CPU, then stops");
  child_expect_signal(argv[0], "munmap", SIGSEGV, kTimeoutMs,
                      "munmap while a thread on another CPU reads the page");
  child_expect_signal(argv[0], "mprotect", SIGSEGV, kTimeoutMs,
                      "mprotect(PROT_READ) while a thread on another CPU writes the page");
  return tap_done();
}
