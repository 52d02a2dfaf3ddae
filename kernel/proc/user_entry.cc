// The user-mode hooks of the kernel (docs/user-space.md, "Entering and leaving the kernel"):
// what the switch loads for a user thread, the page-fault and user-exception handlers, and the
// work before every return to user mode.
#include "kernel/proc/user_entry.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/exception.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/log.h"
#include "kernel/proc/cpu_time.h"
#include "kernel/proc/itimer.h"
#include "kernel/proc/job_control.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "smp/locks/guard.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/vm/address_space.h"
#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace kproc {
namespace {

// The FS and user GS bases this CPU last loaded, so a switch between threads with the same
// ones costs no MSR write. Written by the CPU itself, interrupts off.
struct TlsBases {
  std::uint64_t fs = 0;
  std::uint64_t gs = 0;
};
TlsBases g_tls[smp::kMaxCpus];

void on_switch(sched::Thread* from, sched::Thread* to) {
  charge_switch(from, to);
  auto* user = static_cast<UserThread*>(to->switch_cookie);
  if (user == nullptr) return;  // a kernel thread borrows whatever address space is loaded
  auto* kt = static_cast<kthreads::KThread*>(to);
  arch::set_user_entry_stack(kt->stack_bottom + kthreads::kThreadStackBytes);
  kvm::AddressSpace::switch_to(user->process->space);
  TlsBases& tls = g_tls[arch::current_cpu_index()];
  if (tls.fs != user->fs_base) {
    arch::write_user_fs_base(user->fs_base);
    tls.fs = user->fs_base;
  }
  if (tls.gs != user->gs_base) {
    arch::write_user_gs_base(user->gs_base);
    tls.gs = user->gs_base;
  }
}

constexpr std::uint64_t kPfPresent = 1u << 0;
constexpr std::uint64_t kPfWrite = 1u << 1;
constexpr std::uint64_t kPfInstruction = 1u << 4;

// Per CPU: the last user page fault that could not be served was a file mapping's page past the
// end of its file, so the signal is SIGBUS, not SIGSEGV. Written by on_page_fault and read by
// on_user_exception for the same fault, on the same CPU, with interrupts off in between.
bool g_fault_is_bus[smp::kMaxCpus];

bool on_page_fault(arch::InterruptFrame& frame, std::uint64_t cr2) {
  g_fault_is_bus[arch::current_cpu_index()] = false;
  UserThread* t = current_user_thread();
  if (t == nullptr || t->process->space == nullptr) return false;
  if ((frame.cs & 3) == 3) charge_kernel_entry(*t);
  // A copy routine running with interrupts off (under a spinlock) cannot sleep on the
  // address-space mutex: it gets EFAULT instead (Linux's pagefault_disable()).
  // Likewise with preemption off (a spinlock without IRQ saving: the futex bucket lock).
  if ((frame.rflags & arch::kRflagsIf) == 0 || platform::preempt_count() != 0) return false;
  arch::sti();
  const kvm::FaultAccess access{.write = (frame.error_code & kPfWrite) != 0,
                                .exec = (frame.error_code & kPfInstruction) != 0,
                                .present = (frame.error_code & kPfPresent) != 0};
  const kvm::FaultResult result = t->process->space->handle_fault(cr2, access);
  arch::cli();
  g_fault_is_bus[arch::current_cpu_index()] = result == kvm::FaultResult::kBus;
  return result == kvm::FaultResult::kRetry;
}

struct FaultSignal {
  int number;
  const char* name;
};

FaultSignal signal_for(std::uint64_t vector) {
  switch (static_cast<arch::Vector>(vector)) {
    case arch::Vector::kDivideError: return {8, "SIGFPE"};
    case arch::Vector::kX87FloatingPoint: return {8, "SIGFPE"};
    case arch::Vector::kSimdFloatingPoint: return {8, "SIGFPE"};
    case arch::Vector::kDebug: return {5, "SIGTRAP"};
    case arch::Vector::kBreakpoint: return {5, "SIGTRAP"};
    case arch::Vector::kInvalidOpcode: return {4, "SIGILL"};
    case arch::Vector::kAlignmentCheck: return {7, "SIGBUS"};
    // Linux sends SIGBUS for these two segment faults, SIGSEGV for #GP. (A push through a
    // non-canonical rsp is a #SS on hardware; QEMU's TCG raises #GP for it, so no user test.)
    case arch::Vector::kStackSegmentFault: return {7, "SIGBUS"};
    case arch::Vector::kSegmentNotPresent: return {7, "SIGBUS"};
    default: return {11, "SIGSEGV"};
  }
}

void on_user_exception(arch::InterruptFrame& frame, std::uint64_t cr2) {
  UserThread* t = current_user_thread();
  if (t == nullptr) return;
  charge_kernel_entry(*t);
  FaultSignal sig = signal_for(frame.vector);
  if (frame.vector == static_cast<std::uint64_t>(arch::Vector::kPageFault) &&
      g_fault_is_bus[arch::current_cpu_index()]) {
    sig = {7, "SIGBUS"};  // past the end of a mapped file
  }
  bool handled;
  {
    smp::Guard g{t->process->actions_lock};
    const std::uint64_t handler = t->process->actions[sig.number - 1].handler;
    handled = handler > 1 && (t->signal_mask.load() & (1ull << (sig.number - 1))) == 0;
  }
  if (handled) {
    // The program handles it: no report.
  } else if (frame.vector == static_cast<std::uint64_t>(arch::Vector::kPageFault)) {
    klog::warn("user fault: pid {} ({}) tid {} on CPU {}: {} at {:#x} ({} {}, {}), rip {:#x}",
               t->process->pid, t->process->name, t->tid, arch::current_cpu_index(), sig.name,
               cr2, (frame.error_code & kPfInstruction) ? "exec" :
                    (frame.error_code & kPfWrite) ? "write" : "read",
               cr2 >= arch::kUserTop ? "of a kernel address" : "of user memory",
               (frame.error_code & kPfPresent) ? "not allowed" : "not mapped", frame.rip);
  } else {
    klog::warn("user fault: pid {} ({}) tid {} on CPU {}: {} ({}, error {:#x}) at rip {:#x}",
               t->process->pid, t->process->name, t->tid, arch::current_cpu_index(), sig.name,
               arch::vector_name(frame.vector), frame.error_code,
               frame.rip);
  }
  // The signal is delivered on the way out of this exception (a handler, or the end of the
  // process with the report above).
  SignalInfo info;
  info.code = kSiKernel;
  info.addr = frame.vector == static_cast<std::uint64_t>(arch::Vector::kPageFault) ? cr2 : frame.rip;
  force_fault_signal(*t, sig.number, info);
}

// Whether the way back to user mode has nothing to do: the common case after a system call.
// Interrupts off, so whatever changes after this check (a signal, a stop, an exit, a
// reschedule, an affinity change) kicks this CPU, and the kick brings the thread back through
// the full path below as soon as user mode enables interrupts.
bool nothing_to_do(const UserThread& t, const arch::InterruptFrame& frame) {
  const Process& p = *t.process;
  if (p.exiting.load(std::memory_order_acquire) || p.stopped.load(std::memory_order_acquire) ||
      t.killed.load(std::memory_order_acquire)) {
    return false;
  }
  // Pending signals, blocked ones too (rare: they take the full path, which leaves them).
  if ((t.pending.load() | p.shared_pending.load()) != 0 || t.restore_saved_mask) return false;
  if (frame.vector == arch::kSyscallVector && static_cast<std::int64_t>(frame.rax) == kRestartSys) {
    return false;
  }
  if ((p.cpu_timer_deadline[0].load(std::memory_order_relaxed) |
       p.cpu_timer_deadline[1].load(std::memory_order_relaxed)) != 0) {
    return false;
  }
  if (kthreads::need_resched_here()) return false;
  // This CPU is online (the thread runs on it): in the affinity means usable.
  const smp::CpuSet& affinity = kthreads::current()->affinity;
  return affinity.empty() || affinity.contains(platform::CpuNumber{arch::current_cpu_index()});
}

void on_exit_to_user(arch::InterruptFrame& frame) {
  if (UserThread* t = current_user_thread(); t != nullptr && nothing_to_do(*t, frame)) {
    charge_return_to_user(*t);
    return;
  }
  for (;;) {
    UserThread* t = current_user_thread();
    if (t != nullptr && (t->process->exiting.load(std::memory_order_acquire) ||
                         t->killed.load(std::memory_order_acquire))) {
      arch::sti();
      exit_thread(0);
    }
    if (t != nullptr) {
      // A stopped process's threads park here (job_control.h) until SIGCONT or SIGKILL.
      // Signals: a handler's frame, an ignore, the end of the process; and the restart or
      // EINTR of an interrupted system call.
      arch::sti();
      park_while_stopped(*t);
      if (t->process->exiting.load(std::memory_order_acquire) || t->killed.load()) continue;
      check_cpu_timers(*t);
      deliver_signals(*t, frame);
      arch::cli();
    }
    // A reschedule that arrived while this thread was in the kernel: switch now (the
    // interrupt-return preemption point covers interrupts; this covers system calls).
    arch::sti();
    kthreads::preempt_point();
    // Another thread changed our affinity (sched_setaffinity with our TID) and this CPU is no
    // longer in it: move now.
    if (t != nullptr) {
      sched::Scheduler& s = kthreads::scheduler();
      const sched::Thread* self = kthreads::current();
      if (!s.usable_cpus(self->affinity).contains(platform::CpuNumber{arch::current_cpu_index()})) {
        s.set_current_affinity(self->affinity);
      }
    }
    arch::cli();
    // Checked last with interrupts off: a stop or an exit decided after this sends its kick
    // to this CPU (the thread is on it), which arrives as soon as user mode enables
    // interrupts and brings the thread back here.
    if (t == nullptr) return;
    if (!t->process->exiting.load(std::memory_order_acquire) &&
        !t->process->stopped.load(std::memory_order_acquire) &&
        !t->killed.load(std::memory_order_acquire)) {
      charge_return_to_user(*t);
      return;
    }
  }
}

// A system call from user mode, interrupts still off (arch::SyscallHandler): the time before
// it was user time. Charged before interrupts go on, so the charge needs no cli/sti of its own.
void on_syscall(arch::InterruptFrame& frame) {
  if (UserThread* t = current_user_thread()) charge_kernel_entry(*t);
  arch::sti();
  ksys::dispatch(frame);
}

}  // namespace

void set_fs_base(UserThread& self, std::uint64_t base) {
  const std::uint64_t flags = arch::read_rflags();
  arch::cli();  // this CPU's cache and MSR change together, before any switch
  self.fs_base = base;
  arch::write_user_fs_base(base);
  g_tls[arch::current_cpu_index()].fs = base;
  if (flags & arch::kRflagsIf) arch::sti();
}

void set_gs_base(UserThread& self, std::uint64_t base) {
  const std::uint64_t flags = arch::read_rflags();
  arch::cli();
  self.gs_base = base;
  arch::write_user_gs_base(base);
  g_tls[arch::current_cpu_index()].gs = base;
  if (flags & arch::kRflagsIf) arch::sti();
}

void install_user_hooks() {
  kthreads::set_switch_hook(&on_switch);
  arch::set_user_fault_handlers(&on_page_fault, &on_user_exception);
  arch::set_user_mode_hooks(&on_syscall, &on_exit_to_user);
}

}  // namespace kproc
