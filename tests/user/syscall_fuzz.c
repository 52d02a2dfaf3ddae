/* A small system-call fuzzer in the spirit of trinity and syzkaller: random system-call numbers
 * with random arguments biased toward the values that break kernels (0, -1, small integers,
 * addresses of its own mappings and just past their ends, kernel-half and non-canonical
 * addresses, unaligned pointers, huge lengths), from one thread per CPU at once.
 *
 *   syscall_fuzz [SECONDS [SEED]]            the parent: TAP; runs children for SECONDS
 *                                            (default 5), the first seeded by SEED (default
 *                                            from getrandom)
 *   syscall_fuzz --child SEED MS [THREADS] [-v]
 *                                            one child: fuzzes for MS milliseconds and exits 0;
 *                                            replays a child the parent named (-v prints every
 *                                            call before making it)
 *
 * The parent starts each child with vfork and execve of itself, so a child that the fuzzed calls
 * kill (a fault, a signal) takes nothing with it: the parent records how it ended and starts the
 * next one until the time is up. Any end is fine for a child; the kernel must neither panic nor
 * hang. TAP: ok when every child ended (within its time plus a grace period) and the time limit
 * was reached; a child that outlives its grace period is "not ok" with its seed.
 *
 * Not fuzzed: the calls that end or replace the fuzzer in uninteresting ways (exit, execve,
 * fork/vfork/clone, kill and friends, rt_sigreturn, pause, rt_sigsuspend), the calls that would
 * harm the machine when the same binary runs on Linux with privileges (reboot, mount, module
 * loading, setting the clock, real-time scheduling, ...), and seccomp. Blocking calls get
 * non-blocking or tiny-timeout arguments (shape()); nothing writes to the console from memory
 * that could print (so the log keeps its TAP clean), nothing reads the console.
 *
 * On Linux, run as root, the parent first becomes nobody (65534) and limits core dumps, file
 * size and address space: random calls then cannot change the machine. The children run in a
 * fresh /syscall_fuzz.XXXXXX (/tmp/syscall_fuzz.XXXXXX where "/" is not writable); afterwards
 * the parent removes it and any entry of "/" and /tmp that appeared meanwhile and is its own,
 * so the file system is as before (the kernel's leak check after process 1 counts the heap,
 * which files and directories use). Ordinary C for musl;
 * the fuzz threads use only the raw system-call instruction and their own stack, since a fuzzed
 * arch_prctl may have moved their thread pointer. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
  kPage = 4096,
  kMaxThreads = 64,
  kChildSliceMs = 1000,  /* one child's share: several children per run (exit paths too) */
  kGraceMs = 15000,      /* a child's end may lag its deadline this much (TCG, loaded host) */
  kSlots = 12,           /* scratch regions the arguments point into */
  kAreaPages = 96,       /* their reservation: 12 windows of 1-16 pages and guards between */
};

/* ---- raw system calls (no errno, no TLS) ---- */

static inline long raw6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static long now_ms(void) {
  struct timespec ts;
  raw6(228 /* clock_gettime */, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* raw_print: writes a NUL-terminated string to fd 2 without the C library. */
static void raw_print(const char *s) { raw6(1, 2, (long)s, (long)strlen(s), 0, 0, 0); }

/* ---- random numbers: splitmix64 (one state per thread, replayable from the seed) ---- */

static uint64_t next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t below(uint64_t *state, uint64_t n) { return next(state) % n; }

/* ---- what is not fuzzed ---- */

static int excluded(long nr) {
  switch (nr) {
    /* End or replace the fuzzer, or stop it for good. */
    case 15:  /* rt_sigreturn */
    case 34:  /* pause */
    case 56:  /* clone */
    case 57:  /* fork */
    case 58:  /* vfork */
    case 59:  /* execve */
    case 60:  /* exit */
    case 62:  /* kill */
    case 129: /* rt_sigqueueinfo */
    case 130: /* rt_sigsuspend */
    case 200: /* tkill */
    case 222: /* timer_create: a timer signal (SIGSTOP) could stop the child */
    case 231: /* exit_group */
    case 234: /* tgkill */
    case 297: /* rt_tgsigqueueinfo */
    case 317: /* seccomp: a filter could forbid the child's own exit */
    case 322: /* execveat */
    case 335: /* uretprobe (Linux 6.11+): SIGILL unless returning from a uretprobe */
    case 424: /* pidfd_send_signal */
    case 435: /* clone3 */
    case 65:  /* semop: blocks without a timeout */
    /* Leave objects behind on Linux that outlive the process, or reach the network. */
    case 29:  /* shmget */
    case 41:  /* socket */
    case 64:  /* semget */
    case 68:  /* msgget */
    case 240: /* mq_open */
    case 241: /* mq_unlink */
    case 248: /* add_key */
    case 249: /* request_key */
    case 250: /* keyctl */
    /* Harm the machine when this binary runs on Linux with privileges. */
    case 101: /* ptrace */
    case 103: /* syslog */
    case 142: /* sched_setparam */
    case 144: /* sched_setscheduler: real-time spinning threads */
    case 153: /* vhangup */
    case 155: /* pivot_root */
    case 159: /* adjtimex */
    case 161: /* chroot */
    case 163: /* acct */
    case 164: /* settimeofday */
    case 165: /* mount */
    case 166: /* umount2 */
    case 167: /* swapon */
    case 168: /* swapoff */
    case 169: /* reboot */
    case 170: /* sethostname */
    case 171: /* setdomainname */
    case 172: /* iopl */
    case 173: /* ioperm */
    case 175: /* init_module */
    case 176: /* delete_module */
    case 179: /* quotactl */
    case 227: /* clock_settime */
    case 246: /* kexec_load */
    case 298: /* perf_event_open */
    case 305: /* clock_adjtime */
    case 310: /* process_vm_readv */
    case 311: /* process_vm_writev */
    case 313: /* finit_module */
    case 314: /* sched_setattr */
    case 320: /* kexec_file_load */
    case 321: /* bpf */
    case 428: /* open_tree */
    case 429: /* move_mount */
    case 430: /* fsopen */
    case 431: /* fsconfig */
    case 432: /* fsmount */
    case 433: /* fspick */
    case 442: /* mount_setattr */
      return 1;
    default:
      return 0;
  }
}

/* ---- the scratch memory the arguments point into ---- */

struct slot {
  uintptr_t base;
  size_t size;
};
static struct slot slots[kSlots];
static uintptr_t text_page; /* the fuzzer's own code: readable, not writable */
static uintptr_t area_start, area_end; /* the whole reservation the windows lie in */

/* setup_scratch: a kAreaPages reservation, PROT_NONE, with read-write (and one read-only) windows
 * of 1 to 16 pages between PROT_NONE guards, so a buffer that runs past a window's end meets
 * inaccessible memory. Filled with random bytes, small integers and pointers into the windows
 * (so iovecs, timespecs and pointer arrays in them are sometimes valid). */
static int setup_scratch(uint64_t *state) {
  static const int pages[kSlots] = {1, 1, 2, 2, 4, 4, 8, 1, 16, 2, 1, 4};
  char *area = mmap(NULL, kAreaPages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return -1;
  area_start = (uintptr_t)area;
  area_end = area_start + kAreaPages * kPage;
  size_t offset = kPage;
  for (int i = 0; i < kSlots; ++i) {
    slots[i].base = (uintptr_t)area + offset;
    slots[i].size = (size_t)pages[i] * kPage;
    if (mprotect((void *)slots[i].base, slots[i].size, PROT_READ | PROT_WRITE) != 0) return -1;
    offset += slots[i].size + kPage;
  }
  for (int i = 0; i < kSlots; ++i) {
    uint64_t *words = (uint64_t *)slots[i].base;
    for (size_t w = 0; w < slots[i].size / 8; ++w) {
      switch (below(state, 6)) {
        case 0: words[w] = 0; break;
        case 1: words[w] = below(state, 64); break;
        case 2: {
          const struct slot *s = &slots[below(state, kSlots)];
          words[w] = s->base + below(state, s->size);
          break;
        }
        case 3: words[w] = 4096; break; /* a length beside a pointer: an iovec */
        default: words[w] = next(state); break;
      }
    }
  }
  mprotect((void *)slots[kSlots - 1].base, slots[kSlots - 1].size, PROT_READ);
  text_page = (uintptr_t)&setup_scratch & ~(uintptr_t)(kPage - 1);
  return 0;
}

/* ---- arguments ---- */

static uint64_t scratch_address(uint64_t *state) {
  const struct slot *s = &slots[below(state, kSlots)];
  switch (below(state, 4)) {
    case 0: return s->base;
    case 1: return s->base + below(state, s->size);                /* often unaligned */
    case 2: return s->base + s->size - 1 - below(state, 64);       /* runs off the end */
    default: return s->base + below(state, s->size / kPage) * kPage;
  }
}

/* bad_address: an address no call may use: null, kernel half, non-canonical, unmapped. */
static uint64_t bad_address(uint64_t *state) {
  switch (below(state, 6)) {
    case 0: return 0;
    case 1: return 0xffff800000000000ull + below(state, 1ull << 40) * kPage;
    case 2: return 0xffffffff80000000ull + below(state, 1ull << 30);
    case 3: return 0x0000800000000000ull + below(state, 1ull << 46);
    case 4: return 0x8000000000000000ull | next(state);
    default: return slots[0].base - kPage; /* the PROT_NONE guard */
  }
}

static uint64_t argument(uint64_t *state) {
  switch (below(state, 16)) {
    case 0: return 0;
    case 1: return (uint64_t)-1;
    case 2: return below(state, 64);
    case 3: return (uint64_t)-(int64_t)(1 + below(state, 64));
    case 4:
    case 5:
    case 6: return scratch_address(state);
    case 7: return bad_address(state);
    case 8: return 1ull << below(state, 64);                       /* huge lengths, flags */
    case 9: return (1ull << below(state, 64)) - 1 + below(state, 3);
    case 10: return (1 + below(state, 64)) * kPage;
    case 11: return next(state) & next(state) & next(state) & 0xffffffffu; /* few bits: flags */
    case 12: return text_page + below(state, 2 * kPage);
    case 13: return 0x00007ffffffff000ull + below(state, 2 * kPage); /* the top of user space */
    case 14: return next(state) & 0xffffffffu;
    default: return next(state);
  }
}

static uint64_t number(uint64_t *state) {
  if (below(state, 32) != 0) return below(state, 461);
  /* Out of range. Linux reads the number as a 32-bit int, this kernel as 64 bits: every value
   * here is outside the table on both (low 32 bits >= 1024 or negative), never the x32 range. */
  switch (below(state, 5)) {
    case 0: return (uint64_t)-1;
    case 1: return (uint64_t)(int64_t)INT32_MIN;
    case 2: return 461 + below(state, 512 - 461);
    case 3: return (uint64_t)-(int64_t)(1 + below(state, 1u << 20));
    default: return (next(state) << 32) | 0x80000000u | (next(state) & 0x7fffffffu);
  }
}

/* console_fd: whether fd names the console (0, 1, 2: read as Linux reads an int). */
static int console_fd(uint64_t fd) { return (uint32_t)fd <= 2; }

/* keep_in_area: for a call that changes memory ([*addr, *addr + *length)): unless the range lies
 * in the scratch reservation, moves it there (1 time in 64 it is left alone: a child that
 * unmaps its own code or stack dies, which is allowed, but not at once every time). */
static void keep_in_area(uint64_t *addr, uint64_t *length, uint64_t *state) {
  if (*addr >= area_start && *addr < area_end && *length <= area_end - *addr) return;
  if (below(state, 64) == 0) return;
  *addr = area_start + below(state, kAreaPages) * kPage + (below(state, 8) == 0 ? 1 : 0);
  const uint64_t room = area_end - (*addr & ~(uint64_t)(kPage - 1));
  if (*length > room) *length = below(state, 2) ? room : below(state, room + 1);
}

/* shape: makes one call safe to make: nothing blocks for long, nothing reads the console,
 * nothing writes memory that could print to it, nothing harms the machine on Linux. Returns 0
 * when the call is to be skipped. */
static int shape(long nr, uint64_t a[6], uint64_t *state, struct timespec *tiny) {
  tiny->tv_sec = 0;
  tiny->tv_nsec = (long)below(state, 1000); /* below a millisecond also read as a timeval */
  /* Sometimes a pointer no call may read, never NULL: NULL means "wait forever" to many. */
  uint64_t tiny_ptr = (uint64_t)tiny;
  if (below(state, 8) == 0) {
    tiny_ptr = bad_address(state);
    if (tiny_ptr == 0) tiny_ptr = 0xffff800000000000ull;
  }
  switch (nr) {
    case 0: case 17: case 19: case 295: case 327: /* read, pread64, readv, preadv, preadv2 */
    case 45: case 47: case 299:                   /* recvfrom, recvmsg, recvmmsg */
      if (console_fd(a[0])) a[0] = 1000 + below(state, 24);
      break;
    case 1: case 18: case 20: case 296: case 328: /* write, pwrite64, writev, pwritev, pwritev2 */
    case 44: case 46: case 307:                   /* sendto, sendmsg, sendmmsg */
      if (console_fd(a[0])) a[1] = bad_address(state); /* only the EFAULT path */
      break;
    /* sendfile, splice, tee, vmsplice, copy_file_range: a console fd in any of their fd places;
     * dup, dup2, dup3: a copy of the console would print what the fuzzer writes to it, and
     * one over fds 0-2 would take the console away. */
    case 40: case 275: case 276: case 278: case 326:
      if (console_fd(a[0]) || console_fd(a[1]) || console_fd(a[2])) return 0;
      break;
    case 32: case 33: case 292:
      if (console_fd(a[0]) || (nr != 32 && console_fd(a[1]))) return 0;
      break;
    case 3: case 436: /* close, close_range: the console stays open (the child's report) */
      if (console_fd(a[0])) return 0;
      break;
    case 16: /* ioctl: on the console only requests that read */
      if (console_fd(a[0])) {
        static const uint64_t reads[] = {0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */,
                                         0x541b /* FIONREAD */, 0x540f /* TIOCGPGRP */, 0};
        a[1] = reads[below(state, sizeof reads / sizeof reads[0])];
      }
      break;
    case 7: a[2] = 0; break;                  /* poll: no timeout */
    case 271: a[2] = tiny_ptr; break;         /* ppoll */
    case 23: case 270: a[4] = tiny_ptr; break; /* select (timeval: tv_usec < 1e6), pselect6 */
    case 232: case 281: a[3] = 0; break;      /* epoll_wait, epoll_pwait */
    case 441: a[3] = tiny_ptr; break;         /* epoll_pwait2 */
    case 35: a[0] = tiny_ptr; break;          /* nanosleep */
    case 230: a[2] = tiny_ptr; break;         /* clock_nanosleep */
    case 202: a[3] = tiny_ptr; break;         /* futex: any wait ends at once or in 1 ms */
    case 449: a[3] = tiny_ptr; break;         /* futex_waitv */
    case 455: a[4] = tiny_ptr; break;         /* futex_wait */
    case 61: a[2] |= 1; break;                /* wait4: WNOHANG */
    case 247: a[3] |= 1; break;               /* waitid: WNOHANG */
    case 128: a[2] = tiny_ptr; break;         /* rt_sigtimedwait */
    case 69: a[3] |= 04000; break;            /* msgsnd: IPC_NOWAIT */
    case 70: a[4] |= 04000; break;            /* msgrcv: IPC_NOWAIT */
    case 220: a[3] = tiny_ptr; break;         /* semtimedop */
    case 242: case 243: a[4] = tiny_ptr; break; /* mq_timedsend, mq_timedreceive */
    case 208: case 333: a[4] = tiny_ptr; break; /* io_getevents, io_pgetevents */
    case 426: a[2] = 0; break;                /* io_uring_enter: wait for nothing */
    case 73: a[1] |= 4; break;                /* flock: LOCK_NB */
    case 72: /* fcntl: no waiting lock, no copy of the console */
      if (a[1] == 7 || a[1] == 38) a[1] -= 1; /* F_SETLKW -> F_SETLK, F_OFD_SETLKW -> F_OFD_SETLK */
      if (console_fd(a[0]) && (a[1] == 0 || a[1] == 1030)) return 0; /* F_DUPFD(_CLOEXEC) */
      break;
    case 28: /* madvise: MADV_HWPOISON and MADV_SOFT_OFFLINE act on the machine's memory */
      if (a[2] == 100 || a[2] == 101) a[2] = 4; /* MADV_DONTNEED */
      keep_in_area(&a[0], &a[1], state);
      break;
    case 9: /* mmap: a fixed placement only in the scratch area */
      if (a[3] & (0x10 | 0x100000)) keep_in_area(&a[0], &a[1], state); /* MAP_FIXED(_NOREPLACE) */
      break;
    case 25: /* mremap: from and (MREMAP_FIXED) to the scratch area */
      keep_in_area(&a[0], &a[1], state);
      if (a[3] & 2) keep_in_area(&a[4], &a[2], state);
      break;
    case 10: case 11: case 26: case 149: case 150: /* mprotect, munmap, msync, mlock, munlock */
    case 325: case 329:                             /* mlock2, pkey_mprotect */
      keep_in_area(&a[0], &a[1], state);
      break;
    case 157: /* prctl: no seccomp (as above) */
      if ((uint32_t)a[0] == 22) return 0;
      break;
    /* Calls that name another process: only this one (0 or a nonexistent pid). */
    case 302: case 203: case 204: case 251: case 252: case 256: case 279: case 312:
    case 109: case 121: case 124: case 143: case 145: case 148: case 315: case 274: case 434:
      a[nr == 251 || nr == 252 ? 1 : 0] = below(state, 2) ? 0 : 0x3fffffff;
      break;
    case 141: /* setpriority: this process only */
      a[0] = 0;
      a[1] = 0;
      break;
    default: break;
  }
  return 1;
}

/* ---- one child ---- */

struct worker {
  pthread_t thread;
  uint64_t seed;
  long deadline_ms;
  int verbose;
  volatile long calls;
  volatile long succeeded;
  volatile int done;
  /* The call in progress (nr -1: none), for the report of a thread that does not finish. */
  volatile long current_nr;
  volatile uint64_t current_args[6];
};
static struct worker workers[kMaxThreads];

static void hex(char *out, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) out[i] = digits[(v >> (60 - 4 * i)) & 15];
}

static void *fuzz_thread(void *arg) {
  struct worker *w = arg;
  uint64_t state = w->seed;
  struct timespec tiny;
  long calls = 0, succeeded = 0;
  for (;;) {
    if ((calls & 31) == 0 && now_ms() >= w->deadline_ms) break;
    const long nr = (long)number(&state);
    if (excluded(nr)) continue;
    uint64_t a[6];
    for (int i = 0; i < 6; ++i) a[i] = argument(&state);
    if (!shape(nr, a, &state, &tiny)) continue;
    if (w->verbose) {
      char line[7 * 17 + 8];
      memcpy(line, "# call ", 7);
      hex(line + 7, (uint64_t)nr);
      for (int i = 0; i < 6; ++i) {
        line[23 + 17 * i] = ' ';
        hex(line + 24 + 17 * i, a[i]);
      }
      line[23 + 17 * 6] = '\n';
      line[24 + 17 * 6] = 0;
      raw_print(line);
    }
    for (int i = 0; i < 6; ++i) w->current_args[i] = a[i];
    w->current_nr = nr;
    const long ret = raw6(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4],
                          (long)a[5]);
    w->current_nr = -1;
    ++calls;
    if (ret >= 0 || ret < -4095) ++succeeded;
    w->calls = calls;
    w->succeeded = succeeded;
  }
  w->done = 1;
  /* The raw exit: this thread's thread pointer may no longer be musl's. */
  for (;;) raw6(60, 0, 0, 0, 0, 0, 0);
  return NULL;
}

static int cpu_count(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n < 1 ? 1 : n;
}

static int child_main(uint64_t seed, long ms, int threads, int verbose) {
  uint64_t state = seed;
  if (setup_scratch(&state) != 0) {
    printf("# child seed %#llx: scratch memory setup failed (errno %d)\n",
           (unsigned long long)seed, errno);
    return 2;
  }
  const long deadline = now_ms() + ms;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int started = 0;
  for (int i = 0; i < threads; ++i) {
    workers[i].seed = seed + 0x1000193ull * (uint64_t)(i + 1);
    workers[i].deadline_ms = deadline;
    workers[i].verbose = verbose;
    workers[i].current_nr = -1;
    if (pthread_create(&workers[i].thread, &attr, fuzz_thread, &workers[i]) != 0) break;
    ++started;
  }
  while (now_ms() < deadline) {
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
  /* A fuzz thread still in a call (at most a millisecond) gets a moment to finish it. */
  for (int tries = 0; tries < 50; ++tries) {
    int done = 0;
    for (int i = 0; i < started; ++i) done += workers[i].done;
    if (done == started) break;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  long calls = 0, succeeded = 0;
  char line[320];
  for (int i = 0; i < started; ++i) {
    calls += workers[i].calls;
    succeeded += workers[i].succeeded;
    if (workers[i].done) continue;
    /* Still in a call half a second after the deadline: which one (the kernel may be stuck in
     * it; the exit_group below must end it either way). */
    const volatile uint64_t *a = workers[i].current_args;
    int len = snprintf(line, sizeof line,
                       "# child seed %#llx: thread %d still in system call %ld (%#llx, %#llx, "
                       "%#llx, %#llx, %#llx, %#llx) after the deadline\n",
                       (unsigned long long)seed, i, workers[i].current_nr,
                       (unsigned long long)a[0], (unsigned long long)a[1],
                       (unsigned long long)a[2], (unsigned long long)a[3],
                       (unsigned long long)a[4], (unsigned long long)a[5]);
    write(1, line, (size_t)len);
  }
  int len = snprintf(line, sizeof line,
                     "# child seed %#llx: %d threads, %ld calls, %ld succeeded\n",
                     (unsigned long long)seed, started, calls, succeeded);
  write(1, line, (size_t)len);
  _exit(started == threads ? 0 : 3);
}

/* ---- the parent ---- */

/* contain: on Linux as root, become nobody first; everywhere, no core files, small files and a
 * bounded address space. A kernel without setgroups/setgid/setuid (ENOSYS) has no other
 * users to protect. Returns 0, or -1 when root could not be left. */
static int contain(void) {
  struct rlimit none = {0, 0}, file = {1 << 20, 1 << 20}, space = {512ul << 20, 512ul << 20};
  setrlimit(RLIMIT_CORE, &none);
  setrlimit(RLIMIT_FSIZE, &file);
  setrlimit(RLIMIT_AS, &space);
  if (getuid() != 0 && geteuid() != 0) return 0;
  if (setgroups(0, NULL) != 0 && errno != ENOSYS) return -1;
  if (setgid(65534) != 0 && errno != ENOSYS) return -1;
  if (setuid(65534) != 0 && errno != ENOSYS) return -1;
  return 0;
}

/* spawn: vfork and execve argv[0] with argv; the child exits 127 (saying why) if execve fails.
 * Returns the child's pid or -1 (errno from vfork). Its own function: nothing of the caller's
 * is live across vfork. */
static pid_t spawn(char *const argv[]) {
  fflush(stdout);
  pid_t pid = vfork();
  if (pid == 0) {
    execve(argv[0], argv, environ);
    char line[] = "# execve failed: errno 000\n";
    const int e = errno;
    line[23] = (char)('0' + e / 100 % 10);
    line[24] = (char)('0' + e / 10 % 10);
    line[25] = (char)('0' + e % 10);
    write(1, line, sizeof line - 1);
    _exit(127);
  }
  return pid;
}

/* ---- what the children leave in the file system ---- */

/* The entries of "/" and "/tmp" before the run: anything else there afterwards that is ours
 * was made by a child (a path that began with '/' or "../") and is removed. */
enum { kMaxKnown = 256 };
struct listing {
  const char *dir;
  int count;
  char names[kMaxKnown][256];
};
static struct listing known[2] = {{.dir = "/"}, {.dir = "/tmp"}};

static void list_dir(struct listing *l) {
  DIR *d = opendir(l->dir);
  if (d == NULL) {
    l->count = -1;
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL && l->count < kMaxKnown) {
    snprintf(l->names[l->count++], sizeof l->names[0], "%s", e->d_name);
  }
  if (e != NULL) l->count = -1; /* too many to know: nothing there is removed */
  closedir(d);
}

static int removed;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  if (remove(path) == 0) ++removed;
  return 0;
}

/* remove_tree: removes path and everything below it (symbolic links are not followed). */
static void remove_tree(const char *path) { nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

/* empty_work: removes what the last child left in the work directory (files it made can hold
 * much memory) and enters a fresh one of the same name. Returns 0, or -1 with errno. */
static int empty_work(const char *work) {
  if (chdir("/") != 0) return -1;
  remove_tree(work);
  if (mkdir(work, 0700) != 0 && errno != EEXIST) return -1;
  return chdir(work);
}

/* clean_up: removes the work directory and the entries of "/" and "/tmp" that appeared during
 * the run (not listed before, changed since `since`) and belong to this user; none of a
 * directory that had too many entries to list. Returns how many entries went. */
static int clean_up(const char *work, time_t since) {
  removed = 0; /* counts from here (the caller added what empty_work removed) */
  if (chdir("/") != 0) return 0;
  remove_tree(work);
  for (int k = 0; k < 2; ++k) {
    if (known[k].count < 0) continue;
    DIR *d = opendir(known[k].dir);
    if (d == NULL) continue;
    char stray[32][320];
    int strays = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && strays < 32;) {
      int seen = 0;
      for (int i = 0; i < known[k].count && !seen; ++i) {
        seen = strcmp(known[k].names[i], e->d_name) == 0;
      }
      char path[320];
      snprintf(path, sizeof path, "%s/%s", strcmp(known[k].dir, "/") == 0 ? "" : known[k].dir,
               e->d_name);
      struct stat st;
      if (seen) continue;
      if (strcmp(path, work) != 0 && lstat(path, &st) == 0 && st.st_uid == geteuid() &&
          st.st_ctime >= since) {
        snprintf(stray[strays++], sizeof stray[0], "%s", path);
      } else {
        tap_note("new entry %s left alone (not this user's, or older than the run)", path);
      }
    }
    closedir(d);
    for (int i = 0; i < strays; ++i) remove_tree(stray[i]);
  }
  return removed;
}

static long parse_long(const char *s, long lo, long hi, long fallback) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 0);
  return (errno != 0 || *s == 0 || *end != 0 || v < lo || v > hi) ? fallback : v;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "--child") == 0) {
    uint64_t seed = strtoull(argv[2], NULL, 0);
    long ms = parse_long(argv[3], 1, 3600 * 1000L, -1);
    int threads = cpu_count() < 2 ? 2 : cpu_count();
    int verbose = 0;
    for (int i = 4; i < argc; ++i) {
      if (strcmp(argv[i], "-v") == 0) verbose = 1;
      else threads = (int)parse_long(argv[i], 1, kMaxThreads, -1);
    }
    if (ms < 0 || threads < 0) {
      fprintf(stderr, "usage: %s --child SEED MS [THREADS] [-v]\n", argv[0]);
      return 2;
    }
    if (threads > kMaxThreads) threads = kMaxThreads;
    return child_main(seed, ms, threads, verbose);
  }

  tap_plan(2);
  long seconds = argc > 1 ? parse_long(argv[1], 1, 3600, -1) : 5;
  uint64_t seed = 0;
  if (argc > 2) {
    seed = strtoull(argv[2], NULL, 0);
  } else if (getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    seed = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ull;
  }
  if (seconds < 0 || argc > 3) {
    tap_note("usage: %s [SECONDS [SEED]] | --child SEED MS [THREADS] [-v]", argv[0]);
    return 2;
  }
  /* The children are started by path after contain() moved to "/": an absolute one. */
  static char self[4096];
  if (argv[0][0] != '/' && getcwd(self, sizeof self - 1 - strlen(argv[0]) - 1) != NULL) {
    strcat(self, "/");
    strcat(self, argv[0]);
    argv[0] = self;
  }
  if (contain() != 0) {
    tap_note("cannot leave root (errno %d): not fuzzing this machine as root", errno);
    return 2;
  }
  /* The children work in a directory of their own (relative paths land there), removed
   * afterwards with whatever they made; what they made elsewhere goes too (clean_up). */
  const time_t started = time(NULL);
  list_dir(&known[0]);
  list_dir(&known[1]);
  /* In "/" where it may (process 1 here): /tmp is empty at boot, and the first entry made in
   * a directory gives it a table that stays after the entry goes, which the kernel's leak check
   * after process 1 would count. In /tmp otherwise (as nobody on Linux). */
  static char root_work[] = "/syscall_fuzz.XXXXXX", tmp_work[] = "/tmp/syscall_fuzz.XXXXXX";
  char *work = mkdtemp(root_work);
  if (work == NULL) work = mkdtemp(tmp_work);
  if (work == NULL || chdir(work) != 0) {
    tap_note("cannot make and enter a work directory in / or /tmp (errno %d)", errno);
    return 2;
  }
  tap_note("syscall_fuzz: %ld s, seed %#llx, %d CPUs, in %s; replay a child with: %s --child "
           "SEED MS", seconds, (unsigned long long)seed, cpu_count(), work, argv[0]);

  const long end = now_ms() + seconds * 1000;
  int children = 0, exited = 0, killed = 0, hung = 0, exec_failed = 0;
  uint64_t child_state = seed;
  for (long now = now_ms(); now < end && !hung && !exec_failed; now = now_ms()) {
    const uint64_t child_seed = next(&child_state);
    const long ms = end - now < kChildSliceMs ? end - now : kChildSliceMs;
    char seed_arg[24], ms_arg[24];
    snprintf(seed_arg, sizeof seed_arg, "%#llx", (unsigned long long)child_seed);
    snprintf(ms_arg, sizeof ms_arg, "%ld", ms);
    char *child_argv[] = {argv[0], "--child", seed_arg, ms_arg, NULL};
    pid_t pid = spawn(child_argv);
    if (pid < 0) {
      tap_note("vfork failed (errno %d)", errno);
      break;
    }
    ++children;
    const long give_up = now_ms() + ms + kGraceMs;
    int status = 0;
    pid_t got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < give_up) {
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
    if (got == 0) {
      hung = 1;
      tap_note("child %d (seed %s) still running %d ms after its %ld ms: hang", (int)pid,
               seed_arg, kGraceMs, ms);
      kill(pid, SIGKILL); /* where there is kill (Linux); the parent gives up either way */
    } else if (got < 0) {
      tap_note("waitpid for child %d failed (errno %d)", (int)pid, errno);
      hung = 1;
    } else if (WIFEXITED(status)) {
      if (WEXITSTATUS(status) == 127) {
        exec_failed = 1;
        tap_note("child could not execve %s", argv[0]);
      } else {
        ++exited;
        if (WEXITSTATUS(status) != 0)
          tap_note("child seed %s exited with status %d", seed_arg, WEXITSTATUS(status));
      }
    } else if (WIFSIGNALED(status)) {
      ++killed;
      tap_note("child seed %s killed by signal %d", seed_arg, WTERMSIG(status));
    }
    if (!hung && empty_work(work) != 0) {
      tap_note("cannot renew the work directory %s (errno %d)", work, errno);
      break;
    }
  }
  if (!hung) {
    const int between = removed;
    tap_note("removed %d file system entries the children made", between + clean_up(work, started));
  }
  tap_ok(!exec_failed && children > 0 && now_ms() >= end,
         "children ran until the %ld s time limit (%d children)", seconds, children);
  tap_ok(!hung && !exec_failed && exited + killed == children,
         "every child ended (%d exited, %d killed by a signal)", exited, killed);
  return tap_done();
}
