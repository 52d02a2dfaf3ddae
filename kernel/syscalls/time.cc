// Clocks, sleeping, yielding and CPU placement: clock_gettime, clock_getres, gettimeofday,
// nanosleep, clock_nanosleep, sched_yield, sched_getaffinity, sched_setaffinity, getcpu; CPU
// time (times, getrusage) and interval timers (alarm, getitimer, setitimer).
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/mm/numa_placement.h"
#include "kernel/proc/cpu_time.h"
#include "kernel/proc/itimer.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

namespace ksys {
namespace {

using namespace kabi;

constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
                       kClockThreadCputime = 3, kClockMonotonicRaw = 4,
                       kClockRealtimeCoarse = 5, kClockMonotonicCoarse = 6, kClockBoottime = 7;
constexpr std::uint64_t kTimerAbstime = 1;
// Sleeps are cut into slices this long so that a process being ended (exit_group from
// another thread) is noticed: the sleep then ends early with EINTR.
constexpr std::uint64_t kSleepSliceNs = 10'000'000;

struct Timespec {
  std::int64_t seconds;
  std::int64_t nanoseconds;
};
struct Timeval {
  std::int64_t seconds;
  std::int64_t microseconds;
};

Timespec to_timespec(std::uint64_t ns) {
  return {static_cast<std::int64_t>(ns / kNsPerSecond), static_cast<std::int64_t>(ns % kNsPerSecond)};
}

bool valid(const Timespec& t) {
  return t.seconds >= 0 && t.nanoseconds >= 0 && t.nanoseconds < static_cast<std::int64_t>(kNsPerSecond);
}

std::uint64_t to_ns(const Timespec& t) {
  const auto s = static_cast<std::uint64_t>(t.seconds);
  if (s > (~0ull - kNsPerSecond) / kNsPerSecond) return ~0ull;  // saturate: "forever"
  return s * kNsPerSecond + static_cast<std::uint64_t>(t.nanoseconds);
}

kproc::UserThread& self() { return *kproc::current_user_thread(); }

std::uint64_t total(const kproc::CpuTimes& t) { return t.user_ns + t.system_ns; }

// Reads clock `id`; false for a clock this kernel does not have (EINVAL).
bool read_clock(std::int64_t id, std::uint64_t* ns) {
  switch (id) {
    case kClockRealtime:
    case kClockRealtimeCoarse: *ns = ktime::realtime_ns(); return true;
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime: *ns = ktime::now_ns(); return true;
    case kClockThreadCputime: *ns = total(kproc::current_thread_times()); return true;
    case kClockProcessCputime: *ns = total(kproc::current_process_times()); return true;
    default: return false;  // another process's or thread's CPU clock (negative IDs): EINVAL
  }
}

// Sleeps until `deadline` on the monotonic clock; -EINTR when the process is ended meanwhile.
std::int64_t sleep_until(std::uint64_t deadline) {
  for (;;) {
    const std::uint64_t now = ktime::now_ns();
    if (now >= deadline) return 0;
    if (kproc::interrupted(self())) return error(kEINTR);  // nanosleep: EINTR, not restarted
    const std::uint64_t left = deadline - now;
    kthreads::sleep_for(left < kSleepSliceNs ? left : kSleepSliceNs);
  }
}

std::int64_t sleep_for(const Timespec& request, std::uint64_t remaining_out) {
  const std::uint64_t start = ktime::now_ns();
  const std::uint64_t length = to_ns(request);
  const std::uint64_t deadline = length > ~0ull - start ? ~0ull : start + length;
  const std::int64_t r = sleep_until(deadline);
  if (r != 0 && remaining_out != 0) {
    const std::uint64_t now = ktime::now_ns();
    const Timespec left = to_timespec(deadline > now ? deadline - now : 0);
    if (!arch::copy_to_user(remaining_out, &left, sizeof(left))) return error(kEFAULT);
  }
  return r;
}

}  // namespace

PLEIADES_SYSCALL(sys_clock_gettime) {
  (void)frame;
  std::uint64_t ns;
  if (!read_clock(static_cast<std::int64_t>(args.a0), &ns)) return error(kEINVAL);
  const Timespec t = to_timespec(ns);
  return arch::copy_to_user(args.a1, &t, sizeof(t)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_clock_getres) {
  (void)frame;
  std::uint64_t ignored;
  if (!read_clock(static_cast<std::int64_t>(args.a0), &ignored)) return error(kEINVAL);
  if (args.a1 == 0) return 0;
  const Timespec t{0, 1};  // the clocks count nanoseconds (TSC-based)
  return arch::copy_to_user(args.a1, &t, sizeof(t)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_time) {
  (void)frame;
  const auto seconds = static_cast<std::int64_t>(ktime::realtime_ns() / kNsPerSecond);
  if (args.a0 != 0 && !arch::copy_to_user(args.a0, &seconds, sizeof(seconds))) return error(kEFAULT);
  return seconds;
}

PLEIADES_SYSCALL(sys_gettimeofday) {
  (void)frame;
  if (args.a0 != 0) {
    const std::uint64_t ns = ktime::realtime_ns();
    const Timeval tv{static_cast<std::int64_t>(ns / kNsPerSecond),
                     static_cast<std::int64_t>(ns % kNsPerSecond / 1000)};
    if (!arch::copy_to_user(args.a0, &tv, sizeof(tv))) return error(kEFAULT);
  }
  if (args.a1 != 0) {
    const std::int32_t zone[2] = {0, 0};  // struct timezone: UTC, no DST
    if (!arch::copy_to_user(args.a1, zone, sizeof(zone))) return error(kEFAULT);
  }
  return 0;
}

PLEIADES_SYSCALL(sys_nanosleep) {
  (void)frame;
  Timespec request;
  if (!arch::copy_from_user(&request, args.a0, sizeof(request))) return error(kEFAULT);
  if (!valid(request)) return error(kEINVAL);
  return sleep_for(request, args.a1);
}

PLEIADES_SYSCALL(sys_clock_nanosleep) {
  (void)frame;
  const auto clock = static_cast<std::int64_t>(args.a0);
  const std::uint64_t flags = args.a1;
  if (clock == kClockThreadCputime) return error(kEINVAL);
  if (clock != kClockRealtime && clock != kClockMonotonic && clock != kClockBoottime) {
    return clock == kClockProcessCputime ? error(kEOPNOTSUPP) : error(kEINVAL);
  }
  Timespec request;
  if (!arch::copy_from_user(&request, args.a2, sizeof(request))) return error(kEFAULT);
  if (!valid(request)) return error(kEINVAL);
  if ((flags & kTimerAbstime) == 0) return sleep_for(request, args.a3);
  // Absolute: a deadline on the given clock, turned into one on the monotonic clock.
  std::uint64_t now_on_clock;
  (void)read_clock(clock, &now_on_clock);
  const std::uint64_t target = to_ns(request);
  if (target <= now_on_clock) return 0;
  const std::uint64_t now = ktime::now_ns();
  const std::uint64_t wait = target - now_on_clock;
  return sleep_until(wait > ~0ull - now ? ~0ull : now + wait);
}

PLEIADES_SYSCALL(sys_sched_yield) {
  (void)args, (void)frame;
  kthreads::scheduler().yield();
  return 0;
}

PLEIADES_SYSCALL(sys_sched_getaffinity) {
  (void)frame;
  const auto pid = static_cast<std::int32_t>(args.a0);
  const std::uint64_t length = args.a1, mask_out = args.a2;
  // The mask covers every possible CPU number, rounded up to whole longs (as Linux's
  // nr_cpu_ids); a shorter buffer is EINVAL, a longer one gets that many bytes. Checked before
  // the thread is looked up, as Linux does.
  const std::uint64_t bytes = (kthreads::cpu_count() + 63) / 64 * 8;
  if (length < bytes || (length & 7) != 0) return error(kEINVAL);
  // pid 0 is the calling thread; any other number is a TID of any process (a process's PID
  // is its main thread's TID), as Linux.
  smp::CpuSet affinity;
  if (pid == 0 || pid == self().tid) {
    affinity = kthreads::current()->affinity;
  } else if (pid < 0 || !kproc::thread_affinity(pid, &affinity)) {
    return error(kESRCH);
  }
  const smp::CpuSet allowed = kthreads::scheduler().usable_cpus(affinity);
  std::uint64_t words[smp::kMaxCpus / 64] = {};
  for (std::uint32_t c = allowed.next(0); c < smp::kMaxCpus; c = allowed.next(c + 1)) {
    words[c / 64] |= 1ull << (c % 64);
  }
  if (!arch::copy_to_user(mask_out, words, bytes)) return error(kEFAULT);
  return static_cast<std::int64_t>(bytes);
}

PLEIADES_SYSCALL(sys_sched_setaffinity) {
  (void)frame;
  const auto pid = static_cast<std::int32_t>(args.a0);
  const std::uint64_t length = args.a1, mask_in = args.a2;
  // Linux's order: the mask is copied (EFAULT), the thread found (ESRCH), then the mask
  // checked against the CPUs online (EINVAL).
  std::uint64_t words[smp::kMaxCpus / 64] = {};
  const std::uint64_t take = length < sizeof(words) ? length : sizeof(words);
  if (!arch::copy_from_user(words, mask_in, take)) return error(kEFAULT);
  smp::CpuSet wanted;
  for (std::uint32_t c = 0; c < kthreads::cpu_count() && c < smp::kMaxCpus; ++c) {
    if (words[c / 64] & (1ull << (c % 64))) wanted.add(platform::CpuNumber{c});
  }
  const bool usable = !wanted.empty() && !kthreads::scheduler().usable_cpus(wanted).empty();
  if (pid == 0 || pid == self().tid) {
    if (!usable) return error(kEINVAL);
    kthreads::scheduler().set_current_affinity(wanted);
    return 0;
  }
  smp::CpuSet current;
  if (pid < 0 || !kproc::thread_affinity(pid, &current)) return error(kESRCH);
  if (!usable) return error(kEINVAL);
  // Another thread, of this process or another: it moves at its next return to user mode (its
  // CPU is kicked so that a thread running in user mode gets there now). It may have ended
  // since the look-up: ESRCH then.
  return kproc::set_thread_affinity(pid, wanted) ? 0 : error(kESRCH);
}

PLEIADES_SYSCALL(sys_getcpu) {
  (void)frame;
  const std::uint32_t cpu = arch::current_cpu_index();
  const std::uint32_t node = mm::cpu_node(klib::CpuNumber{cpu});
  if (args.a0 != 0 && !arch::copy_to_user(args.a0, &cpu, sizeof(cpu))) return error(kEFAULT);
  if (args.a1 != 0 && !arch::copy_to_user(args.a1, &node, sizeof(node))) return error(kEFAULT);
  return 0;
}

namespace {

// USER_HZ: the clock ticks times(2) counts in.
constexpr std::uint64_t kNsPerClockTick = kNsPerSecond / 100;

struct Itimerval {
  Timeval interval;
  Timeval value;
};

Timeval to_timeval(std::uint64_t ns) {
  return {static_cast<std::int64_t>(ns / kNsPerSecond), static_cast<std::int64_t>(ns % kNsPerSecond / 1000)};
}

// A timeval setitimer accepts (EINVAL otherwise), in ns.
bool from_timeval(const Timeval& t, std::uint64_t* ns) {
  if (t.seconds < 0 || t.microseconds < 0 || t.microseconds >= 1'000'000) return false;
  const auto s = static_cast<std::uint64_t>(t.seconds);
  if (s > (~0ull - kNsPerSecond) / kNsPerSecond) return false;
  *ns = s * kNsPerSecond + static_cast<std::uint64_t>(t.microseconds) * 1000;
  return true;
}

}  // namespace

PLEIADES_SYSCALL(sys_times) {
  (void)frame;
  if (args.a0 != 0) {
    const kproc::CpuTimes own = kproc::current_process_times();
    const kproc::CpuTimes children = kproc::children_times(*self().process);
    const std::int64_t tms[4] = {static_cast<std::int64_t>(own.user_ns / kNsPerClockTick),
                                 static_cast<std::int64_t>(own.system_ns / kNsPerClockTick),
                                 static_cast<std::int64_t>(children.user_ns / kNsPerClockTick),
                                 static_cast<std::int64_t>(children.system_ns / kNsPerClockTick)};
    if (!arch::copy_to_user(args.a0, tms, sizeof(tms))) return error(kEFAULT);
  }
  return static_cast<std::int64_t>(ktime::now_ns() / kNsPerClockTick);  // ticks since boot
}

PLEIADES_SYSCALL(sys_getrusage) {
  (void)frame;
  constexpr std::int64_t kSelf = 0, kChildren = -1, kThread = 1;
  kproc::CpuTimes times;
  switch (static_cast<std::int32_t>(args.a0)) {
    case kSelf: times = kproc::current_process_times(); break;
    case kChildren: times = kproc::children_times(*self().process); break;
    case kThread: times = kproc::current_thread_times(); break;
    default: return error(kEINVAL);
  }
  const Rusage usage = make_rusage(times.user_ns, times.system_ns);
  return arch::copy_to_user(args.a1, &usage, sizeof(usage)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_getitimer) {
  (void)frame;
  kproc::TimerSetting now;
  if (!kproc::get_timer(*self().process, static_cast<std::int32_t>(args.a0), &now)) return error(kEINVAL);
  const Itimerval out{to_timeval(now.interval_ns), to_timeval(now.value_ns)};
  return arch::copy_to_user(args.a1, &out, sizeof(out)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_setitimer) {
  (void)frame;
  const auto which = static_cast<std::int32_t>(args.a0);
  kproc::TimerSetting next;  // a null new value disarms, as Linux (with a warning there)
  if (args.a1 != 0) {
    Itimerval in;
    if (!arch::copy_from_user(&in, args.a1, sizeof(in))) return error(kEFAULT);
    if (!from_timeval(in.value, &next.value_ns) || !from_timeval(in.interval, &next.interval_ns)) {
      return error(kEINVAL);
    }
  }
  kproc::TimerSetting old;
  if (!kproc::set_timer(*self().process, which, next, &old)) return error(kEINVAL);
  if (args.a2 != 0) {
    const Itimerval out{to_timeval(old.interval_ns), to_timeval(old.value_ns)};
    if (!arch::copy_to_user(args.a2, &out, sizeof(out))) return error(kEFAULT);
  }
  return 0;
}

PLEIADES_SYSCALL(sys_alarm) {
  (void)frame;
  kproc::TimerSetting next, old;
  next.value_ns = (args.a0 & 0xffffffff) * kNsPerSecond;  // unsigned int seconds
  (void)kproc::set_timer(*self().process, kproc::kItimerReal, next, &old);
  // The seconds that were left, rounded to the nearest, and at least 1 when any were (Linux's
  // alarm_setitimer).
  std::uint64_t seconds = old.value_ns / kNsPerSecond;
  const std::uint64_t rest = old.value_ns % kNsPerSecond;
  if ((seconds == 0 && rest != 0) || rest >= kNsPerSecond / 2) ++seconds;
  return static_cast<std::int64_t>(seconds);
}

}  // namespace ksys
