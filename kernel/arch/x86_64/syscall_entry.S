// SYSCALL entry and the two ways back to user mode (user_mode.h).
//
// On SYSCALL the CPU has put the user RIP in RCX and RFLAGS in R11, loaded the kernel CS/SS
// from STAR and cleared the FMASK bits (IF among them: nothing but NMI, #DB, #MC can arrive
// before the stack switch, and those take the paranoid path, which reads the GS base). RSP is
// still the user's: swapgs, park it in the per-CPU scratch, load the thread's kernel stack and
// push an InterruptFrame like the IDT stubs do, so every entry from user mode has one shape.
#include "kernel/arch/x86_64/percpu_offsets.h"

#define USER_DS 0x1b
#define USER_CS 0x23
#define SYSCALL_VECTOR 0x100
#define FRAME_R11 32
#define FRAME_RCX 96
#define FRAME_RIP 136
#define FRAME_CS 144
#define FRAME_RFLAGS 152
#define FRAME_SS 168
// kSysretRipLimit (user_mode.h): user top minus one page.
#define SYSRET_RIP_LIMIT 0x00007ffffffff000
#define RFLAGS_TF_RF 0x10100

// The general registers of an InterruptFrame, from r15 (lowest address) up to rax.
.macro POP_GENERAL_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

    .text
    .global syscall_entry
    .type syscall_entry, @function
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP_SCRATCH
    movq %gs:PERCPU_SYSCALL_STACK_TOP, %rsp
    pushq $USER_DS                          // ss
    pushq %gs:PERCPU_USER_RSP_SCRATCH       // rsp
    pushq %r11                              // rflags
    pushq $USER_CS                          // cs
    pushq %rcx                              // rip
    pushq %rax                              // the error-code slot keeps the call's number:
                                            // a restarted call (signals) runs it again
    pushq $SYSCALL_VECTOR
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbx            // the frame (176 bytes: RSP stays 16-byte aligned)
    // No user value stays live in a register the C code could speculate with; rbp = 0 ends
    // the backtrace chain here instead of following the user's frame pointer.
    xorl %ebp, %ebp
    xorl %esi, %esi
    xorl %edx, %edx
    xorl %ecx, %ecx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    movq %rbx, %rdi
    call arch_syscall_dispatch // interrupts off: the handler enables them
    cli
    movq %rbx, %rdi
    call arch_exit_to_user     // interrupts off when it returns

    // SYSRET only when it returns exactly what IRET would: a user RIP it cannot fault on, the
    // user selectors, no TF/RF (IRET restores those precisely), and RCX and R11 holding RIP and
    // RFLAGS, which SYSRET loads them from. After a plain system call they do (the entry saved
    // them so); after rt_sigreturn to code a signal interrupted, or a handler's frame, they hold
    // that code's own values, which only IRET gives back (as Linux checks).
    movq FRAME_RIP(%rbx), %rcx
    cmpq %rcx, FRAME_RCX(%rbx)
    jne syscall_return_iret
    movq FRAME_RFLAGS(%rbx), %r11
    cmpq %r11, FRAME_R11(%rbx)
    jne syscall_return_iret
    movabsq $SYSRET_RIP_LIMIT, %r11
    cmpq %r11, %rcx
    jae syscall_return_iret
    testq $RFLAGS_TF_RF, FRAME_RFLAGS(%rbx)
    jnz syscall_return_iret
    cmpq $USER_CS, FRAME_CS(%rbx)
    jne syscall_return_iret
    cmpq $USER_DS, FRAME_SS(%rbx)
    jne syscall_return_iret
    POP_GENERAL_REGS
    movq 16(%rsp), %rcx        // rip (after vector and error code)
    movq 32(%rsp), %r11        // rflags
    movq 40(%rsp), %rsp        // the user stack; an NMI here runs on its IST stack
    swapgs
    sysretq

syscall_return_iret:
    movq %rbx, %rsp
    POP_GENERAL_REGS
    addq $16, %rsp             // vector and error code
    swapgs
    iretq
    .size syscall_entry, . - syscall_entry

// void arch_return_to_user_frame(frame rdi): leaves for user mode with every register from an
// InterruptFrame on the current kernel stack (a cloned thread's first return).
    .global arch_return_to_user_frame
    .type arch_return_to_user_frame, @function
arch_return_to_user_frame:
    cli
    movq %rdi, %rbx
    jmp syscall_return_iret
    .size arch_return_to_user_frame, . - arch_return_to_user_frame

// void arch_enter_user(rip rdi, rsp rsi, rflags rdx): the first entry into user mode of a thread.
    .global arch_enter_user
    .type arch_enter_user, @function
arch_enter_user:
    cli
    pushq $USER_DS
    pushq %rsi
    pushq %rdx
    pushq $USER_CS
    pushq %rdi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    swapgs
    iretq
    .size arch_enter_user, . - arch_enter_user

    .section .note.GNU-stack, "", @progbits
