/* The vDSO: AT_SYSINFO_EHDR names an ELF shared object that exports __vdso_clock_gettime and
 * the others with version LINUX_2.6 (found the way musl finds them); /proc/self/maps shows it as
 * [vdso] with [vvar] beside it; the vvar page can become neither writable nor executable, while
 * the vDSO's own page can (a write then changes a private copy only: the parent's stays as it
 * was); a forked child keeps both; munmap removes them. The clocks: threads pinned to every CPU
 * read CLOCK_MONOTONIC through musl (the vDSO) and through the system call in turn, and no
 * reading is ever behind one any thread took before it; each vDSO reading lies between the
 * system-call readings around it (CLOCK_MONOTONIC exactly, CLOCK_REALTIME too, a CPU-time clock
 * through the vDSO's fallback); time and gettimeofday agree with them; getcpu through the vDSO,
 * musl's sched_getcpu and the system call name the CPU the thread is pinned to.
 * Every wait is bounded. Ordinary C for musl and Linux. */
#include "child.h"
#include "tap.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kWaitMs = 20000, kMaxThreads = 8, kPairsPerThread = 4000, kSandwichRounds = 2000 };

typedef int (*ClockGettimeFn)(clockid_t, struct timespec *);
typedef int (*GettimeofdayFn)(struct timeval *, void *);
typedef time_t (*TimeFn)(time_t *);
typedef int (*GetcpuFn)(unsigned *, unsigned *, void *);
typedef int (*ClockGetresFn)(clockid_t, struct timespec *);

static const unsigned char *g_ehdr;

/* musl's vDSO lookup (src/internal/vdso.c): the symbol `name` with version `version`. */
static void *vdso_symbol(const char *name, const char *version) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g_ehdr;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(g_ehdr + eh->e_phoff);
  uintptr_t base = (uintptr_t)-1;
  const Elf64_Dyn *dyn = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD) {
      base = (uintptr_t)g_ehdr + ph[i].p_offset - ph[i].p_vaddr;
    } else if (ph[i].p_type == PT_DYNAMIC) {
      dyn = (const Elf64_Dyn *)(g_ehdr + ph[i].p_offset);
    }
  }
  if (!dyn || base == (uintptr_t)-1) return 0;
  const char *strings = 0;
  const Elf64_Sym *syms = 0;
  const uint32_t *hash = 0;
  const uint16_t *versym = 0;
  const Elf64_Verdef *verdef = 0;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    const void *p = (const void *)(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strings = p;
    if (dyn->d_tag == DT_SYMTAB) syms = p;
    if (dyn->d_tag == DT_HASH) hash = p;
    if (dyn->d_tag == DT_VERSYM) versym = p;
    if (dyn->d_tag == DT_VERDEF) verdef = p;
  }
  if (!strings || !syms || !hash || !versym || !verdef) return 0;
  for (uint32_t i = 0; i < hash[1]; i++) {
    const unsigned type = ELF64_ST_TYPE(syms[i].st_info), bind = ELF64_ST_BIND(syms[i].st_info);
    if (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT) continue;
    if (bind != STB_GLOBAL && bind != STB_WEAK) continue;
    if (syms[i].st_shndx == SHN_UNDEF || strcmp(name, strings + syms[i].st_name) != 0) continue;
    const Elf64_Verdef *d = verdef;
    for (;;) {
      if (!(d->vd_flags & VER_FLG_BASE) && (d->vd_ndx & 0x7fff) == (versym[i] & 0x7fff)) break;
      if (d->vd_next == 0) return 0;
      d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
    }
    const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
    if (strcmp(version, strings + aux->vda_name) != 0) continue;
    return (void *)(base + syms[i].st_value);
  }
  return 0;
}

/* The [vdso] and [vvar] lines of /proc/self/maps: start, end and permissions. */
struct Region {
  unsigned long start, end;
  char perms[5];
  int found;
};
static void find_regions(struct Region *vdso, struct Region *vvar) {
  memset(vdso, 0, sizeof *vdso);
  memset(vvar, 0, sizeof *vvar);
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    struct Region r = {0};
    char name[256] = "";
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255s", &r.start, &r.end, r.perms, name) < 3) {
      continue;
    }
    r.found = 1;
    if (strcmp(name, "[vdso]") == 0) *vdso = r;
    if (strcmp(name, "[vvar]") == 0) *vvar = r;
  }
  fclose(f);
}

static uint64_t ns_of(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static uint64_t sys_clock_ns(clockid_t clock) {
  struct timespec t;
  if (syscall(SYS_clock_gettime, clock, &t) != 0) return 0;
  return ns_of(&t);
}

/* Runs fn in a forked child and returns its exit code (-1: killed, or not ended in time). */
static int run_forked(int (*fn)(void)) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(fn());
  for (int waited = 0; waited < kWaitMs; waited += 10) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, 0, 0);
  tap_note("child %d did not end within %d ms", (int)pid, kWaitMs);
  return -1;
}

/* Forked: the vDSO is still there, at the same place, and answers. */
static int child_uses_vdso(void) {
  ClockGettimeFn cgt = (ClockGettimeFn)vdso_symbol("__vdso_clock_gettime", "LINUX_2.6");
  struct Region vdso, vvar;
  find_regions(&vdso, &vvar);
  struct timespec t;
  if (getauxval(AT_SYSINFO_EHDR) != (unsigned long)g_ehdr) return 2;
  if (!vdso.found || vdso.start != (unsigned long)g_ehdr || !vvar.found) return 3;
  if (!cgt || cgt(CLOCK_MONOTONIC, &t) != 0 || ns_of(&t) == 0) return 4;
  return 0;
}

/* Forked: the vDSO's first page made writable and written; the write must reach only this
 * process's copy (the parent checks its own page afterwards). Linux 6.1 allows the mprotect
 * (the region has VM_MAYWRITE, as for a debugger's breakpoints); kernels that seal the system
 * mappings refuse it: exit code kRefused then. */
enum { kRefused = 10 };
static int child_writes_vdso(void) {
  if (mprotect((void *)g_ehdr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
    return errno == EPERM || errno == EINVAL || errno == EACCES ? kRefused : 2;
  }
  unsigned char *p = (unsigned char *)g_ehdr + EI_PAD + 1; /* e_ident padding: unused */
  *p = 0x5a;
  if (*p != 0x5a) return 3;
  ClockGettimeFn cgt = (ClockGettimeFn)vdso_symbol("__vdso_clock_gettime", "LINUX_2.6");
  struct timespec t;
  if (!cgt || cgt(CLOCK_MONOTONIC, &t) != 0) return 4; /* the code pages still work */
  return 0;
}

/* Forked: munmap of both regions removes them from the maps; the system call still works. */
static int child_unmaps(void) {
  struct Region vdso, vvar;
  find_regions(&vdso, &vvar);
  if (!vdso.found || !vvar.found) return 2;
  if (munmap((void *)vdso.start, vdso.end - vdso.start) != 0) return errno == EPERM ? kRefused : 3;
  if (munmap((void *)vvar.start, vvar.end - vvar.start) != 0) return 4;
  find_regions(&vdso, &vvar);
  if (vdso.found || vvar.found) return 5;
  return sys_clock_ns(CLOCK_MONOTONIC) != 0 ? 0 : 6;
}

/* The clock race: every thread alternates musl's clock_gettime and the system call. */
static _Atomic uint64_t g_latest;  /* the largest reading any thread has taken */
static _Atomic int g_behind;       /* readings behind one taken before them */
static _Atomic int g_pin_failed;
static ClockGettimeFn g_vdso_cgt;

static void check_reading(uint64_t before, uint64_t reading) {
  if (reading < before) atomic_fetch_add(&g_behind, 1);
  uint64_t seen = atomic_load(&g_latest);
  while (seen < reading && !atomic_compare_exchange_weak(&g_latest, &seen, reading)) {
  }
}

static void *race(void *arg) {
  if (child_pin((int)(intptr_t)arg) < 0) atomic_fetch_add(&g_pin_failed, 1);
  for (int i = 0; i < kPairsPerThread; i++) {
    struct timespec t;
    uint64_t before = atomic_load(&g_latest);
    clock_gettime(CLOCK_MONOTONIC, &t); /* musl: through the vDSO where there is one */
    check_reading(before, ns_of(&t));
    before = atomic_load(&g_latest);
    check_reading(before, sys_clock_ns(CLOCK_MONOTONIC));
    before = atomic_load(&g_latest);
    g_vdso_cgt(CLOCK_MONOTONIC, &t);
    check_reading(before, ns_of(&t));
  }
  return 0;
}

/* a <= b <= c for kSandwichRounds rounds of syscall, vDSO, syscall readings of `clock`. */
static int sandwiched(clockid_t clock) {
  for (int i = 0; i < kSandwichRounds; i++) {
    struct timespec t;
    const uint64_t a = sys_clock_ns(clock);
    if (g_vdso_cgt(clock, &t) != 0) return 0;
    const uint64_t c = sys_clock_ns(clock);
    const uint64_t b = ns_of(&t);
    if (!(a <= b && b <= c)) {
      tap_note("clock %d: syscall %llu, vDSO %llu, syscall %llu", (int)clock,
               (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
      return 0;
    }
  }
  return 1;
}

int main(void) {
  tap_plan(25);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  const int cpus = child_cpu_count();

  g_ehdr = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
  if (!tap_ok(g_ehdr != 0, "AT_SYSINFO_EHDR names the vDSO")) return tap_done();
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g_ehdr;
  tap_ok(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
             eh->e_type == ET_DYN && eh->e_machine == EM_X86_64,
         "it is an ELF64 x86-64 shared object");
  g_vdso_cgt = (ClockGettimeFn)vdso_symbol("__vdso_clock_gettime", "LINUX_2.6");
  GettimeofdayFn gtod = (GettimeofdayFn)vdso_symbol("__vdso_gettimeofday", "LINUX_2.6");
  TimeFn vtime = (TimeFn)vdso_symbol("__vdso_time", "LINUX_2.6");
  GetcpuFn vgetcpu = (GetcpuFn)vdso_symbol("__vdso_getcpu", "LINUX_2.6");
  ClockGetresFn vgetres = (ClockGetresFn)vdso_symbol("__vdso_clock_getres", "LINUX_2.6");
  if (!tap_ok(g_vdso_cgt && gtod && vtime && vgetcpu && vgetres,
              "__vdso_clock_gettime, gettimeofday, time, getcpu, clock_getres @LINUX_2.6")) {
    return tap_done();
  }
  tap_ok(vdso_symbol("__vdso_clock_gettime", "LINUX_2.5") == 0, "no symbol under another version");

  struct Region vdso, vvar;
  find_regions(&vdso, &vvar);
  tap_ok(vdso.found && vdso.start == (unsigned long)g_ehdr && strcmp(vdso.perms, "r-xp") == 0,
         "/proc/self/maps: [vdso] r-xp at AT_SYSINFO_EHDR (%s)", vdso.perms);
  tap_ok(vvar.found && vvar.perms[0] == 'r' && vvar.perms[1] == '-' && vvar.perms[2] == '-',
         "/proc/self/maps: [vvar] read-only (%s)", vvar.perms);
  /* EACCES: the region may never be writable or executable (no VM_MAYWRITE, VM_MAYEXEC);
   * Linux kernels that seal the system mappings say EPERM first. */
  errno = 0;
  int r = mprotect((void *)vvar.start, 4096, PROT_READ | PROT_WRITE);
  tap_ok(r == -1 && (errno == EACCES || errno == EPERM),
         "mprotect(PROT_WRITE) of [vvar] refused (%d, errno %d)", r, errno);
  errno = 0;
  r = mprotect((void *)vvar.start, 4096, PROT_READ | PROT_EXEC);
  tap_ok(r == -1 && (errno == EACCES || errno == EPERM),
         "mprotect(PROT_EXEC) of [vvar] refused (%d, errno %d)", r, errno);
  tap_eq(run_forked(child_uses_vdso), 0, "a forked child has both, in place, and the vDSO works");
  const unsigned char pad = g_ehdr[EI_PAD + 1];
  const int wrote = run_forked(child_writes_vdso);
  if (wrote == kRefused) tap_note("this kernel refuses mprotect(PROT_WRITE) of [vdso]");
  tap_ok(wrote == 0 || wrote == kRefused,
         "a child's write to its vDSO page after mprotect works, or the mprotect is refused (%d)",
         wrote);
  tap_eq(g_ehdr[EI_PAD + 1], pad, "the write changed the child's copy only");
  const int unmapped = run_forked(child_unmaps);
  if (unmapped == kRefused) tap_note("this kernel seals [vdso]: munmap is EPERM");
  tap_ok(unmapped == 0 || unmapped == kRefused, "munmap removes [vdso] and [vvar], or is refused (%d)",
         unmapped);

  /* The clocks against the system call. */
  tap_ok(sandwiched(CLOCK_MONOTONIC), "CLOCK_MONOTONIC: vDSO between the system calls around it");
  tap_ok(sandwiched(CLOCK_REALTIME), "CLOCK_REALTIME: vDSO between the system calls around it");
  tap_ok(sandwiched(CLOCK_BOOTTIME), "CLOCK_BOOTTIME: vDSO between the system calls around it");
  tap_ok(sandwiched(CLOCK_THREAD_CPUTIME_ID), "a CPU-time clock through the vDSO (fallback)");
  struct timespec t;
  tap_eq(g_vdso_cgt(12345, &t), -EINVAL, "an unknown clock through the vDSO: -EINVAL");
  struct timespec r1, r2;
  tap_ok(vgetres(CLOCK_MONOTONIC, &r1) == 0 && syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r2) == 0 &&
             r1.tv_sec == r2.tv_sec && r1.tv_nsec == r2.tv_nsec,
         "clock_getres(CLOCK_MONOTONIC): vDSO and system call agree");
  tap_ok(vgetres(CLOCK_PROCESS_CPUTIME_ID, &r1) == 0 &&
             syscall(SYS_clock_getres, CLOCK_PROCESS_CPUTIME_ID, &r2) == 0 &&
             r1.tv_sec == r2.tv_sec && r1.tv_nsec == r2.tv_nsec,
         "clock_getres(CLOCK_PROCESS_CPUTIME_ID): vDSO and system call agree");

  /* time and gettimeofday against CLOCK_REALTIME: each reading not behind the one before. */
  int ordered = 1;
  for (int i = 0; i < kSandwichRounds && ordered; i++) {
    struct timeval tv;
    const uint64_t a = sys_clock_ns(CLOCK_REALTIME);
    const time_t s = vtime(0);
    if (gtod(&tv, 0) != 0) ordered = 0;
    const uint64_t b = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000;
    const uint64_t c = sys_clock_ns(CLOCK_REALTIME);
    if ((uint64_t)s < a / 1000000000ull || (uint64_t)s > b / 1000000000ull || b + 1000 <= a ||
        b > c) {
      tap_note("realtime %llu, time %lld, gettimeofday %llu, realtime %llu",
               (unsigned long long)a, (long long)s, (unsigned long long)b, (unsigned long long)c);
      ordered = 0;
    }
  }
  tap_ok(ordered, "time and gettimeofday agree with CLOCK_REALTIME");

  /* Threads on every CPU: no reading behind an earlier one, whichever way it was taken. */
  const int threads = cpus < 2 ? 2 : (cpus > kMaxThreads ? kMaxThreads : cpus);
  pthread_t tids[kMaxThreads];
  int started = 0;
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&tids[i], 0, race, (void *)(intptr_t)i) == 0) started++;
  }
  for (int i = 0; i < started; i++) pthread_join(tids[i], 0);
  tap_eq(started, threads, "%d racing threads started", threads);
  tap_eq(atomic_load(&g_pin_failed), 0, "each pinned to its CPU");
  tap_eq(atomic_load(&g_behind), 0, "no CLOCK_MONOTONIC reading behind an earlier one (%d CPUs)",
         cpus);

  /* getcpu under pinning, on every CPU of the mask. */
  int agree = 1, pinned = 1;
  for (int i = 0; i < cpus; i++) {
    const int cpu = child_pin(i);
    if (cpu < 0) {
      pinned = 0;
      continue;
    }
    unsigned vcpu = ~0u, vnode = ~0u, scpu = ~1u, snode = ~1u;
    if (vgetcpu(&vcpu, &vnode, 0) != 0 || syscall(SYS_getcpu, &scpu, &snode, 0) != 0 ||
        vcpu != (unsigned)cpu || scpu != (unsigned)cpu || vnode != snode ||
        sched_getcpu() != cpu) {
      tap_note("pinned to %d: vDSO %u node %u, system call %u node %u, sched_getcpu %d", cpu,
               vcpu, vnode, scpu, snode, sched_getcpu());
      agree = 0;
    }
  }
  tap_ok(pinned, "pinned to each of the %d CPUs in turn", cpus);
  tap_ok(agree, "getcpu: vDSO, system call and sched_getcpu name the pinned CPU");
  return tap_done();
}
