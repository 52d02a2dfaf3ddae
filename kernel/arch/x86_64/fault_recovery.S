// int arch_call_recoverable(FaultRecovery* rdi, void (*fn)(void*) rsi, void* arg rdx)
// Calls fn(arg); returns 0 when it returns normally, 1 when the exception handler resumed at
// arch_fault_resume after a recorded fault. The callee-saved registers are kept on this
// stack, so resuming only needs RSP (saved in FaultRecovery::resume_rsp) and RIP.
    .text
    .global arch_call_recoverable
    .type arch_call_recoverable, @function
arch_call_recoverable:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp              // 16-byte alignment for the call below
    movq %rsp, 0(%rdi)         // FaultRecovery::resume_rsp
    movq %rdx, %rdi
    call *%rsi
    xorl %eax, %eax
.Lrestore:
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .global arch_fault_resume
arch_fault_resume:
    movl $1, %eax
    jmp .Lrestore
    .size arch_call_recoverable, . - arch_call_recoverable

    .section .note.GNU-stack, "", @progbits
