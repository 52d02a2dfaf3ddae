// Kernel threads: created and started in one call, each on its own stack with an unmapped guard
// page below it (kcpus::allocate_guarded_stack; stacks are recycled through a pool because the
// stack region's virtual space is never returned). A thread ends when its entry returns or it
// calls exit_thread(); join() waits for that and frees the thread, its stack and its FPU area.
#pragma once

#include <cstdint>

#include "smp/klib/result.h"
#include "sched/sync/completion.h"
#include "sched/thread.h"
#include "smp/cpu_set.h"

namespace kthreads {

inline constexpr std::uint64_t kThreadStackBytes = 16 * 1024;

struct ThreadOptions {
  const char* name = "kthread";
  sched::SchedPolicy policy = sched::SchedPolicy::kFair;
  int nice = 0;                 // kFair: -20..19
  std::uint8_t rt_priority = 0;  // kFifo / kRoundRobin: 0..99
  smp::CpuSet affinity;          // empty: every CPU
  // The thread may use x87/SSE/AVX: it gets a save area (arch::fpu::info().area_size bytes)
  // that the scheduler saves and restores around its switches. Others must not touch the FPU.
  bool uses_fpu = false;
  // Per-thread data for the switch hook (set_switch_hook in kernel_scheduler.h): user threads
  // put their user context here. Null for kernel threads.
  void* switch_cookie = nullptr;
};

struct KThread : sched::Thread {
  void (*body)(void*) = nullptr;
  void* body_arg = nullptr;
  std::uint64_t stack_bottom = 0;
  sched::Completion finished;
};

// Creates a thread running body(arg) and starts it (it may run before this returns). Thread
// context or the boot CPU's start-up. Errors: no memory for the thread or its stack.
klib::Result<KThread*, const char*> create_thread(const ThreadOptions& options,
                                                  void (*body)(void*), void* arg);

// Waits up to `timeout_ns` for `t` to end, then frees it and its stack and returns true.
// False on timeout: `t` stays allocated and may be joined again. One joiner per thread.
[[nodiscard]] bool join(KThread* t, std::uint64_t timeout_ns);

// Ends the calling kernel thread.
[[noreturn]] void exit_thread();

// Threads created and not yet joined.
std::uint32_t live_threads();

}  // namespace kthreads
