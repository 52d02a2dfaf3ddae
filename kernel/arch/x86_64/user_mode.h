// The user-mode boundary of the x86-64 kernel: the SYSCALL MSRs of each CPU, the first entry
// into user mode, and the hooks through which the kernel above handles what comes back (system
// calls, the work done before any return to user mode). docs/user-space.md, "Entering and
// leaving the kernel".
//
// The way in: SYSCALL (syscall_entry.S) swaps GS, saves the user RSP in the per-CPU scratch,
// switches to the thread's kernel stack (CpuLocal::syscall_stack_top), pushes an
// InterruptFrame (vector kSyscallVector), enables interrupts and calls the system-call handler.
// Interrupts and exceptions from user mode push the same frame through the IDT stubs
// (interrupt_entry.inc). The way out: SYSRET when the return RIP is a canonical user address
// and RCX/R11 can carry it, IRET otherwise (the 2012 SYSRET #GP-in-ring-0 class); every
// general register is reloaded from the frame, so no kernel value leaves.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/percpu.h"

namespace arch {

// The first address above the user half (47-bit canonical lower half). User pointers, lengths
// and mappings stay below it.
inline constexpr std::uint64_t kUserTop = 0x0000800000000000;
// SYSRET is used only for RIPs below this (Linux's TASK_SIZE_MAX): a SYSCALL in the last user
// page returns to a non-canonical RIP, which SYSRET would fault on in ring 0.
inline constexpr std::uint64_t kSysretRipLimit = kUserTop - 4096;

// RFLAGS bits a user program may hold: CF PF AF ZF SF TF DF OF, AC, ID (and the always-one bit
// 1, IF forced on). IOPL, NT, RF, VM, VIF, VIP stay clear.
inline constexpr std::uint64_t kUserRflagsMask = 0x00244DD5;
inline constexpr std::uint64_t kRflagsAlwaysOne = 1u << 1;

// Sets EFER.SCE, STAR, LSTAR (syscall_entry) and FMASK (clears IF, DF, TF, AC, NT, RF, IOPL,
// ID on entry) on the calling CPU. Every CPU, before its first user thread.
void init_syscall_this_cpu();

// Called with interrupts off on the thread's kernel stack for every SYSCALL: the number is
// frame.rax, the arguments rdi, rsi, rdx, r10, r8, r9; the handler writes the result to
// frame.rax and may rewrite the frame (execve, signal return). It enables interrupts itself,
// after the work that wants them off (the time accounting): one STI per call instead of a
// cli/sti pair more, which an emulator pays for (each STI ends its translated block).
using SyscallHandler = void (*)(InterruptFrame& frame);
// Called with interrupts off before every return to user mode, from a system call, an
// interrupt or an exception: reschedule, end a killed thread. May enable interrupts and sleep
// but returns with them off.
using ExitToUserHook = void (*)(InterruptFrame& frame);
// Installed once by the kernel before the first user thread (release-published).
void set_user_mode_hooks(SyscallHandler syscall, ExitToUserHook exit_to_user);

// Leaves the kernel for good on this stack: loads the user's GS base into the inactive slot,
// and IRETs to `rip` with `rsp`, RFLAGS = IF only, user CS/SS and every general register zero.
// The current thread's kernel stack top must already be in TSS.RSP0 and syscall_stack_top.
[[noreturn]] void enter_user_mode(std::uint64_t rip, std::uint64_t rsp);

// Leaves for user mode with the registers of `frame`, which must lie on the current kernel
// stack (everything below it is abandoned): a new thread's copy of its parent's system-call
// frame. Its CS/SS must be the user selectors and RIP a user address (the IRET checks them).
[[noreturn]] void return_to_user(InterruptFrame& frame);

// The thread about to run gets `kernel_stack_top` as the stack for entries from user mode:
// TSS.RSP0 (interrupts, exceptions) and the per-CPU syscall stack. Interrupts off.
inline void set_user_entry_stack(std::uint64_t kernel_stack_top) {
  CpuLocal* local = current_cpu_local();
  local->syscall_stack_top = kernel_stack_top;
  local->descriptors.tss.rsp[0] = kernel_stack_top;
}

// The FS base (user TLS) and the user GS base, which lives in IA32_KERNEL_GS_BASE while the
// kernel runs (swapgs exchanges them). Interrupts off around a switch.
void write_user_fs_base(std::uint64_t base);
void write_user_gs_base(std::uint64_t base);

}  // namespace arch
