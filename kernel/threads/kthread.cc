#include "kernel/threads/kthread.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/fpu.h"
#include "kernel/core/panic.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/cpus/guarded_stack.h"
#include "kernel/time/clock.h"
#include "sched/arch/x86_64/xsave.h"
#include "sched/config.h"
#include "smp/locks/locks.h"

namespace kthreads {
namespace {

// A thread's stack is freed only after its on_cpu flag clears, which takes one switch: a CPU
// that has not switched away after this long is stuck.
constexpr std::uint64_t kOffCpuLimitNs = 1'000'000'000;

// Free stacks, linked through their lowest word. Rank 40: taken with no scheduler lock held.
constinit smp::LockClass kStackPoolLockClass{"kstack-pool", smp::LockRank{40}};
smp::TicketSpinLock<smp::IrqSave, kStackPoolLockClass> g_pool_lock;
std::uint64_t g_free_stacks TA_GUARDED(g_pool_lock) = 0;

std::atomic<std::uint64_t> g_next_id{1};
std::atomic<std::uint32_t> g_live{0};

klib::Result<std::uint64_t, const char*> take_stack() {
  {
    smp::Guard g{g_pool_lock};
    if (g_free_stacks != 0) {
      const std::uint64_t bottom = g_free_stacks;
      g_free_stacks = *reinterpret_cast<std::uint64_t*>(bottom);
      return bottom;
    }
  }
  auto s = kcpus::allocate_guarded_stack(kThreadStackBytes);
  if (!s) return klib::make_error(s.error());
  return s.value().bottom;
}

void give_stack(std::uint64_t bottom) {
  smp::Guard g{g_pool_lock};
  *reinterpret_cast<std::uint64_t*>(bottom) = g_free_stacks;
  g_free_stacks = bottom;
}

constexpr std::align_val_t kFpuAreaAlign{sched::arch::kXsaveAlign};

// A fresh FPU area (initial state of every component), or null when memory ran out or the CPU
// has no FPU mode.
void* new_fpu_area() {
  const std::uint32_t size = arch::fpu::info().area_size;
  if (size == 0) return nullptr;
  void* area = ::operator new(size, kFpuAreaAlign, std::nothrow);
  if (area != nullptr) sched::arch::xsave_init(area, size);
  return area;
}

void thread_body(void* arg) {
  auto* t = static_cast<KThread*>(arg);
  t->body(t->body_arg);
  exit_thread();
}

}  // namespace

klib::Result<KThread*, const char*> create_thread(const ThreadOptions& options,
                                                  void (*body)(void*), void* arg) {
  auto* t = new (std::nothrow) KThread;
  if (t == nullptr) return klib::make_error("no memory for a thread");
  void* fpu_area = nullptr;
  if (options.uses_fpu) {
    if (!sched::kSwitchExtendedState) {
      delete t;
      return klib::make_error("FPU threads need PLEIADES_SCHED_XSAVE");
    }
    fpu_area = new_fpu_area();
    if (fpu_area == nullptr) {
      delete t;
      return klib::make_error("no memory for an FPU area, or no FPU");
    }
  }
  auto stack = take_stack();
  if (!stack) {
    if (fpu_area != nullptr) ::operator delete(fpu_area, kFpuAreaAlign);
    delete t;
    return klib::make_error(stack.error());
  }
  t->body = body;
  t->body_arg = arg;
  t->stack_bottom = stack.value();
  sched::ThreadParams p;
  p.name = options.name;
  p.policy = options.policy;
  p.nice = options.nice;
  p.rt_priority = options.rt_priority;
  p.affinity = options.affinity;
  scheduler().init_thread(*t, g_next_id.fetch_add(1, std::memory_order_relaxed), p,
                          reinterpret_cast<void*>(t->stack_bottom), kThreadStackBytes,
                          &thread_body, t);
  t->extended_state = fpu_area;
  t->switch_cookie = options.switch_cookie;
  g_live.fetch_add(1, std::memory_order_relaxed);
  scheduler().start(*t);
  preempt_point();  // a new thread that should preempt us (higher class) runs now
  return t;
}

void exit_thread() {
  auto* self = static_cast<KThread*>(current());
  // The joiner may wake now, but frees nothing before our on_cpu flag clears (join below).
  self->finished.complete();
  scheduler().exit_current();
}

bool join(KThread* t, std::uint64_t timeout_ns) {
  if (!t->finished.wait_for(timeout_ns)) return false;
  // The thread completed and is on its way through exit_current(): wait until its CPU has
  // switched away from its stack (the release store of on_cpu = false in finish_switch).
  const std::uint64_t deadline = ktime::now_ns() + kOffCpuLimitNs;
  while (t->state.load(std::memory_order_acquire) != sched::ThreadState::kExited ||
         t->on_cpu.load(std::memory_order_acquire)) {
    if (ktime::now_ns() > deadline) {
      panic("sched: thread '{}' never left its CPU (state {}, on_cpu {}, cpu {})", t->name,
            sched::state_name(t->state.load()), t->on_cpu.load(), t->cpu.load());
    }
    // Sleep rather than spin or yield: the exiting thread may be queued behind us on this CPU
    // and, as a fair thread that ran long, not yet eligible while we stay runnable.
    sleep_for(kTickNs);
  }
  give_stack(t->stack_bottom);
  if (t->extended_state != nullptr) ::operator delete(t->extended_state, kFpuAreaAlign);
  delete t;
  g_live.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::uint32_t live_threads() { return g_live.load(std::memory_order_relaxed); }

}  // namespace kthreads
