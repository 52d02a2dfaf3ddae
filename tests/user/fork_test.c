/* fork with copy-on-write: exit statuses through waitpid; private memory (a variable, a 1 MiB
 * buffer) that parent and child each change after the fork without seeing the other's writes;
 * MAP_SHARED memory that both do see; PROT_NONE pages and three processes sharing a frame; a child on another CPU writing while a thread of the
 * parent on a third CPU writes and reads its own copy (its read-only copy must be shot down
 * there, or its writes would reach the child); 200 children in a row; and a fork bomb that
 * RLIMIT_NPROC stops with EAGAIN.
 *
 * Parent and child meet through words in a MAP_SHARED page; every wait has a deadline. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

enum {
  kBufferBytes = 1 << 20,
  kLoopChildren = 200,
  kNprocLimit = 16,
  kBombAttempts = 64,        /* more than the limit allows: the rest must fail */
  kDeadlineSeconds = 20,     /* every wait below gives up after this */
};

/* Words in one MAP_SHARED page, seen by parent and children alike. */
struct Shared {
  volatile int parent_wrote;
  volatile int child_wrote;
  volatile int release_bomb;
  volatile int stop_thread;
  volatile unsigned long marker[4];
};
static struct Shared *shared;

static volatile int g_value = 1;

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits until *flag is nonzero; 0 when the deadline passed first. */
static int wait_flag(volatile int *flag) {
  const double deadline = now_seconds() + kDeadlineSeconds;
  while (!*flag) {
    if (now_seconds() > deadline) return 0;
    sched_yield();
  }
  return 1;
}

/* Reaps `pid`; its exit code, or -1 when it did not exit normally. */
static int reap(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char want) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != want) return 0;
  }
  return 1;
}

static void test_exit_status(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  tap_ok(pid > 0, "fork returns the child's pid to the parent (%d)", (int)pid);
  tap_eq(reap(pid), 7, "waitpid reports the child's exit status");
}

static void test_variable(void) {
  shared->parent_wrote = shared->child_wrote = 0;
  g_value = 1;
  pid_t pid = fork();
  if (pid == 0) {
    int ok = g_value == 1;
    g_value = 2;
    ok = ok && g_value == 2;
    shared->child_wrote = 1;
    /* The parent's write after the fork must not show here. */
    ok = ok && wait_flag(&shared->parent_wrote) && g_value == 2;
    _exit(ok ? 0 : 1);
  }
  int saw_child = wait_flag(&shared->child_wrote);
  tap_ok(saw_child && g_value == 1, "the child's write to a variable is not seen by the parent");
  g_value = 3;
  shared->parent_wrote = 1;
  tap_eq(reap(pid), 0, "the parent's later write is not seen by the child, its own is");
  tap_eq(g_value, 3, "the parent keeps its own value");
}

static void test_buffer(void) {
  unsigned char *buffer = malloc(kBufferBytes);
  if (buffer == NULL) {
    tap_ok(0, "malloc of the 1 MiB buffer");
    tap_ok(0, "(skipped)");
    return;
  }
  memset(buffer, 'A', kBufferBytes);
  shared->parent_wrote = shared->child_wrote = 0;
  pid_t pid = fork();
  if (pid == 0) {
    int ok = all_bytes(buffer, kBufferBytes, 'A');
    memset(buffer, 'B', kBufferBytes);
    shared->child_wrote = 1;
    ok = ok && wait_flag(&shared->parent_wrote) && all_bytes(buffer, kBufferBytes, 'B');
    _exit(ok ? 0 : 1);
  }
  memset(buffer, 'C', kBufferBytes);
  int saw_child = wait_flag(&shared->child_wrote);
  shared->parent_wrote = 1;
  tap_ok(saw_child && all_bytes(buffer, kBufferBytes, 'C'),
         "a 1 MiB buffer written by parent and child after fork: the parent sees only its data");
  tap_eq(reap(pid), 0, "and the child only its own");
  free(buffer);
}

static void test_shared_and_private_mappings(void) {
  const size_t bytes = 16 * 4096;
  unsigned char *both = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                             -1, 0);
  unsigned char *mine = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             -1, 0);
  if (both == MAP_FAILED || mine == MAP_FAILED) {
    tap_ok(0, "mmap of the shared and private regions");
    tap_ok(0, "(skipped)");
    return;
  }
  memset(both, 1, bytes / 2);  /* half populated before the fork, half after */
  memset(mine, 1, bytes);
  pid_t pid = fork();
  if (pid == 0) {
    memset(both, 2, bytes);
    memset(mine, 2, bytes);
    _exit(0);
  }
  int child = reap(pid);
  tap_ok(child == 0 && all_bytes(both, bytes, 2),
         "MAP_SHARED anonymous memory written by the child is seen by the parent");
  tap_ok(all_bytes(mine, bytes, 1), "MAP_PRIVATE anonymous memory written by the child is not");
  munmap(both, bytes);
  munmap(mine, bytes);
}

/* clone as glibc's fork calls it: SIGCHLD with the TID words. PARENT_SETTID writes the
 * parent's memory, CHILD_SETTID the child's only. */
static void test_clone_settid(void) {
  static volatile int parent_word, child_word;
  parent_word = child_word = 0;
  long pid = syscall(SYS_clone, (long)(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD), 0L,
                     &parent_word, &child_word, 0L);
  if (pid == 0) _exit(child_word == (int)syscall(SYS_getpid) ? 0 : 1);
  int child = pid > 0 ? reap((pid_t)pid) : -1;
  tap_ok(pid > 0 && child == 0 && parent_word == pid && child_word == 0,
         "clone(SIGCHLD|PARENT_SETTID|CHILD_SETTID): the parent's word holds the pid (%d), "
         "the child's copy its own, the parent's copy stays 0 (%d), child %d",
         parent_word, child_word, child);
}

/* Pages made PROT_NONE before the fork (parked, with their contents) come back in both with
 * the old contents, and a write by one is not seen by the other. */
static void test_prot_none(void) {
  const size_t bytes = 4 * 4096;
  unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    tap_ok(0, "mmap of the PROT_NONE region");
    return;
  }
  memset(p, 'X', bytes);
  int ok = mprotect(p, bytes, PROT_NONE) == 0;
  pid_t pid = fork();
  if (pid == 0) {
    int child_ok = mprotect(p, bytes, PROT_READ | PROT_WRITE) == 0 && all_bytes(p, bytes, 'X');
    memset(p, 'Y', bytes);
    _exit(child_ok && all_bytes(p, bytes, 'Y') ? 0 : 1);
  }
  int child = reap(pid);
  ok = ok && mprotect(p, bytes, PROT_READ | PROT_WRITE) == 0 && all_bytes(p, bytes, 'X');
  tap_ok(ok && child == 0, "PROT_NONE pages come back with their contents in both, each "
         "writing its own (child %d)", child);
  munmap(p, bytes);
}

/* Three processes on one frame: a grandchild, its parent (which unmaps its copy while the
 * grandchild still uses it) and the test. */
static void test_three_sharers(void) {
  const size_t bytes = 8 * 4096;
  unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    tap_ok(0, "mmap of the three-sharer region");
    return;
  }
  memset(p, 'A', bytes);
  shared->child_wrote = 0;
  pid_t pid = fork();
  if (pid == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      /* Waits for its parent to unmap, then reads and writes its own copy. */
      int ok = wait_flag(&shared->child_wrote) && all_bytes(p, bytes, 'A');
      memset(p, 'G', bytes);
      _exit(ok && all_bytes(p, bytes, 'G') ? 0 : 1);
    }
    int ok = all_bytes(p, bytes, 'A') && munmap(p, bytes) == 0;
    shared->child_wrote = 1;
    _exit(ok && grandchild > 0 && reap(grandchild) == 0 ? 0 : 1);
  }
  int child = reap(pid);
  tap_ok(child == 0 && all_bytes(p, bytes, 'A'),
         "a grandchild writes pages its parent unmapped; the first process keeps its data");
  munmap(p, bytes);
}

/* The three CPUs of the cross-CPU test: the parent, its writer thread, the child (fewer CPUs:
 * they share). */
static int cpus[3];

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static unsigned char *cross_page;        /* private: copy-on-write after the fork */
static volatile unsigned long counter;  /* private: the parent's thread keeps counting */
static volatile int corrupt;

static void *writer_thread(void *arg) {
  (void)arg;
  pin(cpus[1]);
  /* Writes the counter and the page and checks the page holds only the parent's bytes. */
  while (!shared->stop_thread) {
    ++counter;
    cross_page[counter % 4096] = 'P';
    for (int i = 0; i < 4096; i += 64) {
      if (cross_page[i] != 'P') corrupt = 1;
    }
  }
  return NULL;
}

static void test_cross_cpu(void) {
  cpu_set_t all;
  CPU_ZERO(&all);
  sched_getaffinity(0, sizeof all, &all);
  int found = 0;
  for (int c = 0; c < CPU_SETSIZE && found < 3; ++c) {
    if (CPU_ISSET(c, &all)) cpus[found++] = c;
  }
  for (int i = found; i < 3; ++i) cpus[i] = cpus[i % (found > 0 ? found : 1)];
  tap_note("cross-CPU fork: parent on CPU %d, its thread on %d, the child on %d", cpus[0],
           cpus[1], cpus[2]);
  cross_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (cross_page == MAP_FAILED) {
    tap_ok(0, "mmap of the cross-CPU page");
    tap_ok(0, "(skipped)");
    tap_ok(0, "(skipped)");
    return;
  }
  memset(cross_page, 'P', 4096);
  pin(cpus[0]);
  shared->stop_thread = 0;
  shared->child_wrote = 0;
  pthread_t thread;
  if (pthread_create(&thread, NULL, writer_thread, NULL) != 0) {
    tap_ok(0, "pthread_create");
    tap_ok(0, "(skipped)");
    tap_ok(0, "(skipped)");
    return;
  }
  /* Let the thread run (and count) before the fork. */
  const unsigned long before = counter;
  const double deadline = now_seconds() + kDeadlineSeconds;
  while (counter < before + 1000 && now_seconds() < deadline) sched_yield();
  pid_t pid = fork();
  if (pid == 0) {
    /* One thread here: the writer stayed in the parent. Our copy of the counter must not
     * move: the parent's thread writes its own copy from now on. */
    pin(cpus[2]);
    const unsigned long frozen = counter;
    int ok = 1;
    for (int round = 0; round < 200; ++round) {
      memset(cross_page, 'C', 4096);
      if (!all_bytes(cross_page, 4096, 'C')) ok = 0;
      sched_yield();
    }
    if (counter != frozen) ok = 0;
    shared->marker[0] = frozen;
    shared->marker[1] = counter;
    shared->child_wrote = 1;
    _exit(ok ? 0 : 1);
  }
  const unsigned long at_fork = counter;
  int child = pid > 0 ? reap(pid) : -1;
  /* The parent's thread goes on counting after the child is gone. */
  const double deadline2 = now_seconds() + kDeadlineSeconds;
  while (counter < at_fork + 1000 && now_seconds() < deadline2) sched_yield();
  shared->stop_thread = 1;
  pthread_join(thread, NULL);
  tap_eq(child, 0, "a child on another CPU writes its copy-on-write page and its counter copy "
         "stays still (%lu, %lu) while the parent's thread writes its own",
         shared->marker[0], shared->marker[1]);
  tap_ok(!corrupt && all_bytes(cross_page, 4096, 'P'),
         "the parent's thread on a third CPU never sees the child's bytes");
  tap_ok(counter >= at_fork + 1000, "the parent's thread kept counting after the fork");
  munmap(cross_page, 4096);
}

static void test_many_children(void) {
  int reaped_ok = 0;
  const double start = now_seconds();
  for (int i = 0; i < kLoopChildren; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(i & 0x7f);
    if (pid > 0 && reap(pid) == (i & 0x7f)) ++reaped_ok;
  }
  /* A figure for the log only (no assertion on time). */
  tap_note("fork + _exit + waitpid: %.0f us each on average over %d",
           (now_seconds() - start) * 1e6 / kLoopChildren, kLoopChildren);
  tap_eq(reaped_ok, kLoopChildren, "%d children forked and reaped with their status",
         kLoopChildren);
}

/* In a helper process (so the limit stays there): RLIMIT_NPROC low, fork until EAGAIN, then
 * release and reap every child. Linux does not apply RLIMIT_NPROC to root: the helper first
 * becomes an ordinary user where it can (on Pleiades every process is root and the limit
 * applies). Exit code: 0 when EAGAIN came within the attempts and every child was reaped. */
static int bomb(void) {
  if (geteuid() == 0) (void)setuid(65534);
  struct rlimit limit = {kNprocLimit, kNprocLimit};
  if (setrlimit(RLIMIT_NPROC, &limit) != 0) return 10;
  shared->release_bomb = 0;
  pid_t children[kBombAttempts];
  int made = 0, error = 0;
  for (int i = 0; i < kBombAttempts; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(wait_flag(&shared->release_bomb) ? 0 : 1);
    if (pid < 0) {
      error = errno;
      break;
    }
    children[made++] = pid;
  }
  shared->release_bomb = 1;
  int reaped = 0;
  for (int i = 0; i < made; ++i) {
    if (reap(children[i]) == 0) ++reaped;
  }
  shared->marker[2] = (unsigned long)made;
  shared->marker[3] = (unsigned long)error;
  if (error != EAGAIN) return 11;
  if (made == 0 || made >= kNprocLimit) return 12;
  return reaped == made ? 0 : 13;
}

static void test_fork_bomb(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(bomb());
  int code = pid > 0 ? reap(pid) : -1;
  tap_eq(code, 0, "a fork bomb under RLIMIT_NPROC=%d gets EAGAIN after %lu children "
         "(errno %lu), all reaped", kNprocLimit, shared->marker[2], shared->marker[3]);
}

int main(void) {
  tap_plan(18);
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    tap_note("mmap(MAP_SHARED) failed: %d", errno);
    return 1;
  }
  test_exit_status();
  test_variable();
  test_buffer();
  test_shared_and_private_mappings();
  test_prot_none();
  test_clone_settid();
  test_three_sharers();
  test_cross_cpu();
  test_many_children();
  test_fork_bomb();
  pid_t none = fork();
  if (none == 0) _exit(0);
  tap_eq(reap(none), 0, "fork still works after the bomb's limit (it stayed in the helper)");
  return tap_done();
}
