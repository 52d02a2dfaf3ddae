// Signals: kill, tkill, tgkill, rt_sigreturn, sigaltstack, rt_sigpending, rt_sigsuspend,
// pause (rt_sigaction and rt_sigprocmask are in process.cc). Delivery: kernel/proc/signal.h.
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/threads/kernel_scheduler.h"
#include "sched/wait_queue.h"

namespace ksys {
namespace {

using namespace kabi;

kproc::UserThread& self() { return kproc::calling_user_thread(); }

kproc::SignalInfo sent_by_me(std::int32_t code) {
  kproc::SignalInfo info;
  info.code = code;
  info.pid = self().process->pid;
  return info;
}

// Sleeps until a signal (or the end of the process) interrupts the thread.
void sleep_until_interrupted() {
  kproc::UserThread& t = self();
  sched::WaitQueue q;  // nobody wakes it by name: a signal's alert wakes the thread itself
  q.wait(kthreads::scheduler(), [&] { return kproc::interrupted(t); });
}

struct StackT {
  std::uint64_t sp;
  std::int32_t flags;
  std::int32_t pad;
  std::uint64_t size;
};

constexpr std::int32_t kSsOnstack = 1, kSsDisable = 2;
constexpr std::uint32_t kSsAutodisarm = 1u << 31;
constexpr std::uint64_t kMinSigStackSize = 2048;  // MINSIGSTKSZ

}  // namespace

PLEIADES_SYSCALL(sys_kill) {
  (void)frame;
  return kproc::kill(static_cast<std::int32_t>(args.a0), static_cast<std::int32_t>(args.a1),
                     sent_by_me(kproc::kSiUser));
}

PLEIADES_SYSCALL(sys_tkill) {
  (void)frame;
  return kproc::kill_thread(-1, static_cast<std::int32_t>(args.a0),
                            static_cast<std::int32_t>(args.a1), sent_by_me(kproc::kSiTkill));
}

PLEIADES_SYSCALL(sys_tgkill) {
  (void)frame;
  const auto tgid = static_cast<std::int32_t>(args.a0);
  if (tgid <= 0) return error(kEINVAL);
  return kproc::kill_thread(tgid, static_cast<std::int32_t>(args.a1),
                            static_cast<std::int32_t>(args.a2), sent_by_me(kproc::kSiTkill));
}

PLEIADES_SYSCALL(sys_rt_sigreturn) {
  (void)args;
  return kproc::signal_return(frame);
}

PLEIADES_SYSCALL(sys_sigaltstack) {
  kproc::UserThread& t = self();
  const bool on_stack = t.altstack_flags != static_cast<std::uint32_t>(kSsDisable) &&
                        frame.rsp - t.altstack_sp < t.altstack_size;
  if (args.a1 != 0) {
    StackT old{};
    old.sp = t.altstack_sp;
    old.size = t.altstack_size;
    old.flags = on_stack ? kSsOnstack : static_cast<std::int32_t>(t.altstack_flags);
    if (!arch::copy_to_user(args.a1, &old, sizeof(old))) return error(kEFAULT);
  }
  if (args.a0 != 0) {
    StackT next;
    if (!arch::copy_from_user(&next, args.a0, sizeof(next))) return error(kEFAULT);
    if (on_stack) return error(kEPERM);
    const auto flags = static_cast<std::uint32_t>(next.flags) & ~kSsAutodisarm;
    if (flags != 0 && flags != static_cast<std::uint32_t>(kSsDisable)) return error(kEINVAL);
    if (flags == static_cast<std::uint32_t>(kSsDisable)) {
      t.altstack_sp = t.altstack_size = 0;
      t.altstack_flags = kSsDisable;
    } else {
      if (next.size < kMinSigStackSize) return error(kENOMEM);
      if (!arch::user_range_ok(next.sp, next.size)) return error(kEFAULT);
      t.altstack_sp = next.sp;
      t.altstack_size = next.size;
      t.altstack_flags = 0;
    }
  }
  return 0;
}

PLEIADES_SYSCALL(sys_rt_sigpending) {
  (void)frame;
  if (args.a1 != 8) return error(kEINVAL);
  kproc::UserThread& t = self();
  const std::uint64_t pending =
      (t.pending.load() | t.process->shared_pending.load()) & t.signal_mask.load();
  return arch::copy_to_user(args.a0, &pending, sizeof(pending)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_rt_sigsuspend) {
  (void)frame;
  if (args.a1 != 8) return error(kEINVAL);
  std::uint64_t mask;
  if (!arch::copy_from_user(&mask, args.a0, sizeof(mask))) return error(kEFAULT);
  kproc::UserThread& t = self();
  t.saved_mask = t.signal_mask.load();
  t.restore_saved_mask = true;
  constexpr std::uint64_t kUnblockable = (1ull << 8) | (1ull << 18);  // SIGKILL, SIGSTOP
  t.signal_mask.store(mask & ~kUnblockable);
  sleep_until_interrupted();
  return error(kEINTR);  // always; the saved mask comes back after the handler
}

PLEIADES_SYSCALL(sys_pause) {
  (void)args, (void)frame;
  sleep_until_interrupted();
  return error(kEINTR);
}

}  // namespace ksys
