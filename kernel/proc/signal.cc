#include "kernel/proc/signal.h"

#include <new>

#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/console/log.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "kernel/proc/job_control.h"
#include "kernel/threads/kernel_scheduler.h"
#include "sched/arch/x86_64/xsave.h"
#include "smp/locks/guard.h"

namespace kproc {
namespace {

using namespace kabi;

constexpr std::uint64_t bit(int sig) { return 1ull << (sig - 1); }
constexpr std::uint64_t kUnblockable = bit(kSigKill) | bit(kSigStop);
// Signals whose default action is to do nothing (SIGCONT's effect comes when it is sent).
constexpr std::uint64_t kDefaultIgnored = bit(kSigChld) | bit(kSigCont) | bit(kSigUrg) |
                                          bit(kSigWinch);
constexpr std::uint64_t kSigDfl = 0, kSigIgn = 1;
constexpr std::uint64_t kSaNodefer = 0x40000000, kSaResethand = 0x80000000,
                        kSaRestart = 0x10000000, kSaRestorer = 0x04000000,
                        kSaOnstack = 0x08000000, kSaSiginfo = 4;
constexpr std::uint32_t kSsOnstack = 1, kSsDisable = 2;

const char* const kNames[] = {"?", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
                              "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
                              "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
                              "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
                              "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
                              "SIGSYS"};
const char* name_of(int sig) { return sig > 0 && sig < 32 ? kNames[sig] : "SIGRT"; }

// The layouts user space sees (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h, siginfo.h).
struct SigContext {
  std::uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  std::uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  std::uint16_t cs, gs, fs, ss;
  std::uint64_t err, trapno, oldmask, cr2;
  std::uint64_t fpstate;  // user address of the FPU state
  std::uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256);

struct UContext {
  std::uint64_t flags;
  std::uint64_t link;
  std::uint64_t stack_sp;
  std::int32_t stack_flags;
  std::int32_t pad;
  std::uint64_t stack_size;
  SigContext mcontext;
  std::uint64_t sigmask;
};
static_assert(sizeof(UContext) == 304);

struct SigInfo {
  std::int32_t signo, errno_value, code, pad;
  std::uint8_t fields[112];
};
static_assert(sizeof(SigInfo) == 128);

struct SigFrame {
  std::uint64_t pretcode;  // the restorer: the handler's return address
  UContext uc;
  SigInfo info;
};

Process& process_of(const UserThread& t) { return *t.process; }

// Whether `sig` sent to `p` (or to its thread `t`) is dropped at once: its action ignores it and
// no thread that could take it blocks it (a blocked signal stays pending, as Linux's
// sig_ignored: the action may change before it is unblocked).
bool ignored(Process& p, int sig, const UserThread* t) {
  const std::uint64_t handler = p.actions[sig - 1].handler;  // a racy read is fine: a hint
  if (sig == kSigKill) return false;
  if (handler != kSigIgn && !(handler == kSigDfl && (kDefaultIgnored & bit(sig)) != 0)) return false;
  if (t != nullptr) return (t->signal_mask.load() & bit(sig)) == 0;
  smp::Guard g{p.threads_lock};
  for (const UserThread* u = p.threads; u != nullptr; u = u->next_in_process) {
    if ((u->signal_mask.load() & bit(sig)) != 0) return false;
  }
  return true;
}


SigInfo to_user(const SignalInfo& s) {
  SigInfo out{};
  out.signo = s.signo;
  out.code = s.code;
  if (s.signo == kSigSegv || s.signo == kSigBus || s.signo == kSigIll || s.signo == kSigFpe ||
      s.signo == kSigTrap) {
    __builtin_memcpy(out.fields, &s.addr, 8);  // si_addr
  } else {
    __builtin_memcpy(out.fields, &s.pid, 4);   // si_pid
    __builtin_memcpy(out.fields + 4, &s.uid, 4);
    if (s.signo == kSigChld) __builtin_memcpy(out.fields + 8, &s.status, 4);
    if (s.code == kSiMesgq) __builtin_memcpy(out.fields + 8, &s.value, 8);  // si_value
  }
  return out;
}

// The lowest-numbered pending signal `t` does not block (thread-directed first), taken off its
// set with its details. 0: none.
int dequeue(UserThread& t, SignalInfo* info) {
  Process& p = process_of(t);
  smp::Guard g{p.actions_lock};
  const std::uint64_t allowed = ~(t.signal_mask.load() & ~kUnblockable);
  std::uint64_t own = t.pending.load() & allowed;
  if (own != 0) {
    const int sig = __builtin_ctzll(own) + 1;
    t.pending.fetch_and(~bit(sig));
    *info = t.pending_info[sig - 1];
    return sig;
  }
  std::uint64_t shared = p.shared_pending.load() & allowed;
  if (shared != 0) {
    const int sig = __builtin_ctzll(shared) + 1;
    p.shared_pending.fetch_and(~bit(sig));
    *info = p.shared_info[sig - 1];
    return sig;
  }
  return 0;
}

// The syscall restart decision for a frame that returns kRestartSys from a system call.
void restart_or_fail(arch::InterruptFrame& frame, bool handler_runs, std::uint64_t flags) {
  if (frame.vector != arch::kSyscallVector) return;
  if (static_cast<std::int64_t>(frame.rax) != kRestartSys) return;
  if (handler_runs && (flags & kSaRestart) == 0) {
    frame.rax = static_cast<std::uint64_t>(-static_cast<std::int64_t>(kEINTR));
  } else {
    frame.rax = frame.error_code;  // the call's number, saved by the entry
    frame.rip -= 2;                // the syscall instruction again
  }
}

[[noreturn]] void terminate(UserThread& t, int sig) {
  Process& p = process_of(t);
  if (sig != kSigKill && sig != kSigSegv && sig != kSigIll && sig != kSigFpe && sig != kSigBus &&
      sig != kSigTrap) {
    // Faults were reported where they happened; a signal that ends a process is worth a line.
    klog::info("signal: pid {} ({}) ended by {}", p.pid, p.name, name_of(sig));
  }
  exit_process(signaled_status(sig));
}

// Builds the handler's frame and points `frame` at the handler. False when the frame cannot
// be written (the process then ends with SIGSEGV).
bool setup_frame(UserThread& t, int sig, const SignalInfo& info, const SignalAction& action,
                 arch::InterruptFrame& frame) {
  if ((action.flags & kSaRestorer) == 0) return false;  // x86-64 needs the restorer
  std::uint64_t sp = frame.rsp;
  const bool on_alt = t.altstack_flags != kSsDisable && frame.rsp - t.altstack_sp < t.altstack_size;
  if ((action.flags & kSaOnstack) && t.altstack_flags != kSsDisable && !on_alt) {
    sp = t.altstack_sp + t.altstack_size;
  } else {
    sp -= 128;  // the red zone below the interrupted rsp
  }
  // The FPU state first (64-byte aligned), then the frame, so that rsp + 8 is 16-aligned at the
  // handler's entry (as after a call).
  const std::uint32_t fpu_size = arch::fpu::info().area_size;
  sp = (sp - fpu_size) & ~63ull;
  const std::uint64_t fpstate = sp;
  sp = ((sp - sizeof(SigFrame)) & ~15ull) - 8;
  if (!arch::user_range_ok(sp, fpstate + fpu_size - sp)) return false;

  // Save this thread's live FPU registers (the kernel itself never touches them).
  if (fpu_size != 0) {
    void* area = ::operator new(fpu_size, std::align_val_t{64}, std::nothrow);
    if (area == nullptr) return false;
    // XSAVE writes only XSTATE_BV of the header: the rest (XCOMP_BV, reserved) must be zero
    // for the XRSTOR at rt_sigreturn, and no old heap bytes may reach user memory.
    __builtin_memset(area, 0, fpu_size);
    sched::arch::save_state(area);
    const bool copied = arch::copy_to_user(fpstate, area, fpu_size);
    ::operator delete(area, std::align_val_t{64});
    if (!copied) return false;
  }
  SigFrame f{};
  f.pretcode = action.restorer;
  f.uc.stack_sp = t.altstack_sp;
  f.uc.stack_size = t.altstack_size;
  f.uc.stack_flags = static_cast<std::int32_t>(on_alt ? kSsOnstack : t.altstack_flags);
  SigContext& sc = f.uc.mcontext;
  sc.r8 = frame.r8; sc.r9 = frame.r9; sc.r10 = frame.r10; sc.r11 = frame.r11;
  sc.r12 = frame.r12; sc.r13 = frame.r13; sc.r14 = frame.r14; sc.r15 = frame.r15;
  sc.rdi = frame.rdi; sc.rsi = frame.rsi; sc.rbp = frame.rbp; sc.rbx = frame.rbx;
  sc.rdx = frame.rdx; sc.rax = frame.rax; sc.rcx = frame.rcx; sc.rsp = frame.rsp;
  sc.rip = frame.rip; sc.eflags = frame.rflags;
  sc.cs = static_cast<std::uint16_t>(frame.cs);
  sc.ss = static_cast<std::uint16_t>(frame.ss);
  sc.err = frame.vector == arch::kSyscallVector ? 0 : frame.error_code;
  sc.trapno = frame.vector == arch::kSyscallVector ? 0 : frame.vector;
  const std::uint64_t old_mask = t.restore_saved_mask ? t.saved_mask : t.signal_mask.load();
  t.restore_saved_mask = false;
  sc.oldmask = old_mask;
  sc.cr2 = info.addr;
  sc.fpstate = fpu_size != 0 ? fpstate : 0;
  f.uc.sigmask = old_mask;
  f.info = to_user(info);
  if (!arch::copy_to_user(sp, &f, sizeof(f))) return false;

  // The handler runs with the action's mask added (and the signal itself unless SA_NODEFER).
  std::uint64_t mask = t.signal_mask.load() | action.mask;
  if ((action.flags & kSaNodefer) == 0) mask |= bit(sig);
  t.signal_mask.store(mask & ~kUnblockable);
  // Fresh FPU state for the handler (x87 and SSE control words at their defaults).
  const std::uint32_t mxcsr = 0x1f80;
  asm volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));

  frame.rsp = sp;
  frame.rip = action.handler;
  frame.rdi = static_cast<std::uint64_t>(sig);
  frame.rsi = sp + offsetof(SigFrame, info);
  frame.rdx = sp + offsetof(SigFrame, uc);
  frame.rax = 0;
  frame.rflags &= ~(1ull << 8 | 1ull << 10 | 1ull << 16);  // TF, DF, RF clear
  frame.error_code = ~0ull;  // no system call to restart from here
  return true;
}

}  // namespace

void kick_thread(UserThread& t) {
  if (t.kthread == nullptr) return;  // not started yet: it checks on its first return
  (void)kthreads::scheduler().wake(*t.kthread);
  if (t.kthread->on_cpu.load()) kcpus::send_reschedule(t.kthread->cpu.load());
}

void change_action(Process& p, int sig, const SignalAction* incoming, SignalAction* previous) {
  smp::Guard t{p.threads_lock};  // the order of a signal to one thread: threads, then actions
  smp::Guard a{p.actions_lock};
  *previous = p.actions[sig - 1];
  if (incoming == nullptr) return;
  p.actions[sig - 1] = *incoming;
  const std::uint64_t handler = incoming->handler;
  if (handler != kSigIgn && !(handler == kSigDfl && (kDefaultIgnored & bit(sig)) != 0)) return;
  p.shared_pending.fetch_and(~bit(sig));
  for (UserThread* u = p.threads; u != nullptr; u = u->next_in_process) u->pending.fetch_and(~bit(sig));
}

bool send_to_process(Process& p, int sig, const SignalInfo& info) {
  if (sig < 1 || sig > kSignalCount) return false;
  if (ignored(p, sig, nullptr)) return true;  // dropped at once, as Linux
  UserThread* target = nullptr;
  {
    smp::Guard g{p.actions_lock};
    p.shared_info[sig - 1] = info;
    p.shared_info[sig - 1].signo = sig;
    p.shared_pending.fetch_or(bit(sig));
  }
  if (sig == kSigKill) {
    bool expected = false;
    if (p.exiting.compare_exchange_strong(expected, true)) p.exit_status.store(signaled_status(kSigKill));
  }
  {
    smp::Guard g{p.threads_lock};
    for (UserThread* t = p.threads; t != nullptr; t = t->next_in_process) {
      if (sig == kSigKill || (t->signal_mask.load() & bit(sig)) == 0) {
        target = t;
        kick_thread(*t);
        if (sig != kSigKill) break;
      }
    }
  }
  (void)target;
  return true;
}

bool send_to_thread(UserThread& t, int sig, const SignalInfo& info) {
  if (sig < 1 || sig > kSignalCount) return false;
  Process& p = process_of(t);
  if (ignored(p, sig, &t)) return true;
  {
    smp::Guard g{p.actions_lock};
    t.pending_info[sig - 1] = info;
    t.pending_info[sig - 1].signo = sig;
    t.pending.fetch_or(bit(sig));
  }
  kick_thread(t);
  return true;
}

void force_fault_signal(UserThread& t, int sig, const SignalInfo& info) {
  Process& p = process_of(t);
  {
    smp::Guard g{p.actions_lock};
    if (p.actions[sig - 1].handler == kSigIgn || (t.signal_mask.load() & bit(sig)) != 0) {
      p.actions[sig - 1].handler = kSigDfl;
    }
    t.signal_mask.fetch_and(~bit(sig));
    t.pending_info[sig - 1] = info;
    t.pending_info[sig - 1].signo = sig;
    t.pending.fetch_or(bit(sig));
  }
}

bool interrupted(const UserThread& t) {
  const Process& p = *t.process;
  if (p.exiting.load(std::memory_order_acquire) || t.killed.load(std::memory_order_acquire)) return true;
  const std::uint64_t blocked = t.signal_mask.load(std::memory_order_relaxed) & ~kUnblockable;
  return ((t.pending.load(std::memory_order_acquire) | p.shared_pending.load(std::memory_order_acquire)) &
          ~blocked) != 0;
}

std::int64_t interrupted_result(const UserThread& t) {
  return t.process->exiting.load() || t.killed.load() ? -static_cast<std::int64_t>(kEINTR) : kRestartSys;
}

void deliver_signals(UserThread& t, arch::InterruptFrame& frame) {
  for (;;) {
    SignalInfo info;
    const int sig = dequeue(t, &info);
    if (sig == 0) break;
    Process& p = process_of(t);
    SignalAction action;
    {
      smp::Guard g{p.actions_lock};
      action = p.actions[sig - 1];
      if (action.handler > kSigIgn && (action.flags & kSaResethand)) p.actions[sig - 1] = SignalAction{};
    }
    if (sig == kSigKill) terminate(t, sig);
    if (action.handler == kSigIgn) continue;
    if (action.handler == kSigDfl) {
      if (kDefaultIgnored & bit(sig)) continue;
      if (is_stop_signal(sig)) {
        // A stop signal that was queued (blocked when sent, or sent to this thread).
        stop_on_delivery(t, sig);
        park_while_stopped(t);
        if (p.exiting.load() || t.killed.load()) return;  // ending: the caller ends the thread
        continue;
      }
      terminate(t, sig);
    }
    restart_or_fail(frame, true, action.flags);
    if (!setup_frame(t, sig, info, action, frame)) {
      klog::warn("signal: pid {} ({}) tid {}: cannot write the {} frame at rsp {:#x}; SIGSEGV",
                 p.pid, p.name, t.tid, name_of(sig), frame.rsp);
      terminate(t, kSigSegv);
    }
    (void)kSaSiginfo;
    return;  // one handler at a time; the others after it returns or at the next exit
  }
  restart_or_fail(frame, false, 0);
  if (t.restore_saved_mask) {  // rt_sigsuspend without a handler run: its mask ends here
    t.signal_mask.store(t.saved_mask);
    t.restore_saved_mask = false;
  }
}

std::int64_t signal_return(arch::InterruptFrame& frame) {
  UserThread& t = *current_user_thread();
  UContext uc;
  const std::uint64_t at = frame.rsp - 8 + offsetof(SigFrame, uc);
  const SigContext& sc = uc.mcontext;
  bool ok = arch::copy_from_user(&uc, at, sizeof(uc)) && sc.rip < arch::kUserTop &&
            sc.rsp < arch::kUserTop;
  const std::uint32_t fpu_size = arch::fpu::info().area_size;
  if (ok && sc.fpstate != 0 && fpu_size != 0) {
    auto* area = static_cast<std::uint8_t*>(::operator new(fpu_size, std::align_val_t{64}, std::nothrow));
    ok = area != nullptr && arch::copy_from_user(area, sc.fpstate, fpu_size);
    if (ok) {
      // What would make FXRSTOR/XRSTOR fault in the kernel: MXCSR reserved bits, a component
      // not enabled in XCR0, the compacted format, reserved header bytes.
      std::uint32_t mxcsr;
      __builtin_memcpy(&mxcsr, area + 24, 4);
      ok = (mxcsr & ~0xffffu) == 0;
      if (ok && arch::fpu::info().mode == arch::fpu::SaveMode::kXsave) {
        std::uint64_t header[8];
        __builtin_memcpy(header, area + 512, sizeof(header));
        ok = (header[0] & ~arch::fpu::info().xcr0) == 0 && header[1] == 0;
        for (int i = 2; i < 8 && ok; ++i) ok = header[i] == 0;
      }
      if (ok) sched::arch::restore_state(area);
    }
    if (area != nullptr) ::operator delete(area, std::align_val_t{64});
  }
  if (!ok) {
    klog::warn("signal: pid {} ({}) tid {}: bad signal frame at {:#x}; SIGSEGV",
               t.process->pid, t.process->name, t.tid, frame.rsp - 8);
    exit_process(signaled_status(kSigSegv));
  }
  frame.r8 = sc.r8; frame.r9 = sc.r9; frame.r10 = sc.r10; frame.r11 = sc.r11;
  frame.r12 = sc.r12; frame.r13 = sc.r13; frame.r14 = sc.r14; frame.r15 = sc.r15;
  frame.rdi = sc.rdi; frame.rsi = sc.rsi; frame.rbp = sc.rbp; frame.rbx = sc.rbx;
  frame.rdx = sc.rdx; frame.rcx = sc.rcx; frame.rsp = sc.rsp; frame.rip = sc.rip;
  frame.rflags = (sc.eflags & arch::kUserRflagsMask) | arch::kRflagsIf | arch::kRflagsAlwaysOne;
  frame.cs = static_cast<std::uint64_t>(arch::Selector::kUserCode);
  frame.ss = static_cast<std::uint64_t>(arch::Selector::kUserData);
  frame.error_code = ~0ull;  // the restored rax is a result, not a call to restart
  t.signal_mask.store(uc.sigmask & ~kUnblockable);
  return static_cast<std::int64_t>(sc.rax);
}

}  // namespace kproc
