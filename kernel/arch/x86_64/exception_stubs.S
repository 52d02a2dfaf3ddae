// Entry stubs for the 32 exception vectors. Each pushes a dummy error code when the CPU does
// not push one (so every frame has the same shape, arch::InterruptFrame), then its vector, and
// jumps to the common path, which saves the general registers, calls
// exception_dispatch(InterruptFrame*) and returns with iretq (the handler may have changed
// the frame: expect_fault resumes at a recovery point that way).
// No swapgs: there is no user mode yet, so GS always holds the kernel's per-CPU base here.

// Vectors for which the CPU pushes an error code (Intel SDM Vol. 3A, Table 6-1):
// #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
.macro EXCEPTION_STUB vector
    .balign 16
exception_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    pushq $0
    .endif
    pushq $\vector
    jmp exception_common
.endm

    .text
    .altmacro
.set vec, 0
.rept 32
    EXCEPTION_STUB %vec
.set vec, vec + 1
.endr

    .type exception_common, @function
exception_common:
    cld
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
    movq %rsp, %rbx            // the frame; rbx is callee-saved across the call

    // A link frame (saved rbp, return address) = (interrupted rbp, interrupted rip), so a
    // backtrace taken inside the handler continues into the interrupted code.
    pushq 136(%rbx)            // InterruptFrame::rip
    pushq 64(%rbx)             // InterruptFrame::rbp
    movq %rsp, %rbp
    andq $-16, %rsp            // SysV: 16-byte aligned at the call
    movq %rbx, %rdi
    call exception_dispatch
    movq %rbx, %rsp

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
    addq $16, %rsp             // vector and error code
    iretq
    .size exception_common, . - exception_common

// Stub addresses by vector, for the IDT (idt.cc).
.macro STUB_ADDRESS vector
    .quad exception_stub_\vector
.endm
    .section .rodata
    .balign 8
    .global exception_stub_table
exception_stub_table:
.set vec, 0
.rept 32
    STUB_ADDRESS %vec
.set vec, vec + 1
.endr

    .section .note.GNU-stack, "", @progbits
