#include "kernel/proc/itimer.h"

#include "kernel/core/panic.h"
#include "kernel/proc/cpu_time.h"
#include "kernel/proc/load_average.h"
#include "kernel/proc/process_tree.h"
#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/time/clock.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"
#include "smp/locks/guard.h"

namespace kproc {
namespace {

constexpr int kSigVtalrm = 26, kSigProf = 27;
// The timer thread looks again at least this often (every wait has a deadline; it also takes
// the load-average samples), and whenever a process arms a real timer (g_armed changes).
constexpr std::uint64_t kTimerPollNs = 1'000'000'000;

smp::Atomic<std::uint64_t> g_armed{0};
sched::WaitQueue g_timer_wait;

// The CPU time ITIMER_VIRTUAL (index 0) or ITIMER_PROF (1) of `p` counts.
std::uint64_t cpu_time(const Process& p, int index) {
  const CpuTimes t = process_times(p);
  return index == 0 ? t.user_ns : t.user_ns + t.system_ns;
}

// The deadline after `deadline` once `now` has passed it: the next period still ahead (the
// periods missed meanwhile are dropped: one signal for them, as a pending signal coalesces).
std::uint64_t next_deadline(std::uint64_t deadline, std::uint64_t interval, std::uint64_t now) {
  if (interval == 0) return 0;
  if (now - deadline >= interval) deadline += (now - deadline) / interval * interval;
  return deadline + interval;
}

void timer_thread(void*) {
  for (;;) {
    const std::uint64_t armed = g_armed.load();
    const std::uint64_t now = ktime::now_ns();
    sample_load_average(now, 1);  // this thread, running now, is not load
    std::uint64_t next = now + kTimerPollNs;
    {
      smp::Guard g{g_tree_lock};
      for (Process* p = g_all; p != nullptr; p = p->next_process) {
        if (p->real_timer_deadline == 0 || p->zombie) continue;
        if (p->real_timer_deadline <= now) {
          p->real_timer_deadline = next_deadline(p->real_timer_deadline, p->real_timer_interval, now);
          SignalInfo info;
          info.code = kSiKernel;
          (void)send_to_process(*p, kSigAlrm, info);
        }
        if (p->real_timer_deadline != 0 && p->real_timer_deadline < next) next = p->real_timer_deadline;
      }
    }
    (void)g_timer_wait.wait_until(kthreads::scheduler(), next,
                                  [&] { return g_armed.load(std::memory_order_acquire) != armed; });
  }
}

// What is left of timer `which` of `p` (tree lock held).
void read_locked(Process& p, int which, TimerSetting* out) TA_REQ(g_tree_lock) {
  std::uint64_t deadline, now;
  if (which == kItimerReal) {
    deadline = p.real_timer_deadline;
    now = ktime::now_ns();
    out->interval_ns = p.real_timer_interval;
  } else {
    deadline = p.cpu_timer_deadline[which - 1].load();
    now = cpu_time(p, which - 1);
    out->interval_ns = p.cpu_timer_interval[which - 1].load();
  }
  constexpr std::uint64_t kOneMicrosecond = 1000;
  out->value_ns = deadline == 0 ? 0 : deadline > now ? deadline - now : kOneMicrosecond;
}

}  // namespace

bool set_timer(Process& p, int which, const TimerSetting& next, TimerSetting* old) {
  if (which != kItimerReal && which != kItimerVirtual && which != kItimerProf) return false;
  smp::Guard g{g_tree_lock};
  read_locked(p, which, old);
  if (which == kItimerReal) {
    const std::uint64_t now = ktime::now_ns();
    p.real_timer_deadline = next.value_ns == 0 ? 0 : now + next.value_ns;
    p.real_timer_interval = next.interval_ns;
    g_armed.fetch_add(1);
    (void)g_timer_wait.wake_all(kthreads::scheduler());
    return true;
  }
  const int index = which - 1;
  p.cpu_timer_interval[index].store(next.interval_ns);
  p.cpu_timer_deadline[index].store(next.value_ns == 0 ? 0 : cpu_time(p, index) + next.value_ns);
  return true;
}

bool get_timer(Process& p, int which, TimerSetting* out) {
  if (which != kItimerReal && which != kItimerVirtual && which != kItimerProf) return false;
  smp::Guard g{g_tree_lock};
  read_locked(p, which, out);
  return true;
}

void check_cpu_timers(UserThread& t) {
  Process& p = *t.process;
  for (int index = 0; index < 2; ++index) {
    std::uint64_t deadline = p.cpu_timer_deadline[index].load(std::memory_order_relaxed);
    if (deadline == 0) continue;
    const std::uint64_t used = cpu_time(p, index);
    if (used < deadline) continue;
    const std::uint64_t after = next_deadline(deadline, p.cpu_timer_interval[index].load(), used);
    // One thread fires it: the one whose exchange moves the deadline on.
    if (!p.cpu_timer_deadline[index].compare_exchange_strong(deadline, after)) continue;
    SignalInfo info;
    info.code = kSiKernel;
    (void)send_to_process(p, index == 0 ? kSigVtalrm : kSigProf, info);
  }
}

void start_timer_thread() {
  kthreads::ThreadOptions options;
  options.name = "itimers";
  auto started = kthreads::create_thread(options, &timer_thread, nullptr);
  if (!started) panic("proc: cannot start the interval-timer thread: {}", started.error());
}

}  // namespace kproc
