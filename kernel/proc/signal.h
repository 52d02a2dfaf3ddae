// Signals (docs/user-space.md, "Signals"): sending (kill, tgkill, faults, SIGCHLD), the
// interruption of blocking calls, and delivery on the way back to user mode: the default action
// (terminate, ignore), or a handler run on a Linux x86-64 rt_sigframe (siginfo, ucontext with
// the saved registers and signal mask, the extended FPU state) that rt_sigreturn undoes.
// Job-control stops (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) and SIGCONT: kernel/proc/job_control.h.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/proc/process.h"

namespace kproc {

inline constexpr int kSigInt = 2, kSigIll = 4, kSigTrap = 5, kSigAbrt = 6, kSigBus = 7,
                     kSigFpe = 8, kSigKill = 9, kSigSegv = 11, kSigPipe = 13, kSigAlrm = 14,
                     kSigTerm = 15, kSigChld = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20,
                     kSigTtin = 21, kSigTtou = 22, kSigUrg = 23, kSigWinch = 28;
// siginfo si_code values.
inline constexpr std::int32_t kSiUser = 0, kSiKernel = 0x80, kSiMesgq = -3, kSiTkill = -6;
inline constexpr std::int32_t kCldExited = 1, kCldKilled = 2;

// What an interrupted blocking call returns inside the kernel (Linux's ERESTARTSYS): at the
// return to user mode it becomes EINTR when a handler without SA_RESTART runs, and otherwise
// the call is made again.
inline constexpr std::int64_t kRestartSys = -512;

// kill(2)'s part for one process: makes `sig` pending for the process (dropped at once when
// it would be ignored) and wakes or kicks a thread that does not block it. Returns false for
// an invalid number. Job control (a stop signal stopping the process, SIGCONT continuing it)
// is not done here but in kill and kill_thread (job_control.h, prepare_signal_locked).
bool send_to_process(Process& p, int sig, const SignalInfo& info);
// Wakes `t` if it sleeps (its wait re-checks its condition) and kicks its CPU if it runs
// elsewhere, so that it reaches its return to user mode soon. Needs `t` kept alive (its
// process's threads_lock held, or `t` the caller).
void kick_thread(UserThread& t);
// tgkill/tkill: pending for that one thread. Needs `t` kept alive: the caller holds its
// process's threads_lock (or is `t`).
bool send_to_thread(UserThread& t, int sig, const SignalInfo& info);
// rt_sigaction's change of `sig`'s action in `p`: *previous gets the old one; when `incoming` is
// not null it becomes the action, and if it ignores the signal (SIG_IGN, or SIG_DFL for SIGCHLD,
// SIGCONT, SIGURG, SIGWINCH) every pending instance is discarded, from the process and each of
// its threads, as Linux's do_sigaction: a signal blocked while it was sent must not wake a
// sleeper once nothing would act on it.
void change_action(Process& p, int sig, const SignalAction* incoming, SignalAction* previous);
// A fault's signal (SIGSEGV, SIGILL, ...): if the thread blocks it or ignores it, the default
// action (terminate) is restored first, as Linux's force_sig.
void force_fault_signal(UserThread& t, int sig, const SignalInfo& info);

// Whether a blocking call of `t` must stop waiting: its process is ending, or a signal it does
// not block is pending. Cheap and lock-free: wait conditions call it.
bool interrupted(const UserThread& t);
// The error a blocking call interrupted this way returns: -EINTR when the process is ending,
// kRestartSys for a signal.
std::int64_t interrupted_result(const UserThread& t);

// At the return to user mode (interrupts on): restarts or fails an interrupted system call
// and delivers the pending signals the thread does not block (a handler's frame, an ignore, or
// the end of the process).
void deliver_signals(UserThread& t, arch::InterruptFrame& frame);

// rt_sigreturn: the registers, signal mask and FPU state saved by the frame at frame.rsp - 8.
// Returns the value for rax (the restored one); a bad frame ends the process with SIGSEGV.
std::int64_t signal_return(arch::InterruptFrame& frame);

// tgkill(2) (tgid > 0) and tkill(2) (tgid -1): 0, -ESRCH, -EINVAL. (process.cc)
std::int64_t kill_thread(int tgid, int tid, int sig, const SignalInfo& info);

// kill(2): `pid` > 0 that process, 0 the caller's process group, < -1 the group -pid, -1 every
// process but process 1 and the caller. `sig` 0 only checks. Stop signals and SIGCONT stop
// and continue processes (job_control.h). Returns 0, -ESRCH or -EINVAL. Callable from a kernel
// thread too (the terminal's ^C and ^Z), with `pid` < -1 or > 0. Takes the tree lock. (process.cc)
std::int64_t kill(int pid, int sig, const SignalInfo& info);

}  // namespace kproc
