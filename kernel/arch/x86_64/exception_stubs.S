// Entry stubs for the 32 exception vectors. Each pushes a dummy error code when the CPU does
// not push one (so every frame has the same shape, arch::InterruptFrame), then its vector, and
// jumps to the common path, which saves the general registers, calls
// exception_dispatch(InterruptFrame*) and returns with iretq (the handler may have changed
// the frame: expect_fault resumes at a recovery point that way).
// GS: exception_common swaps it when the exception came from user mode; #DB, NMI, #DF and #MC
// can also arrive in the few kernel instructions that run with the user's GS (around SYSCALL
// and SYSRET) and go through paranoid_common, which looks at the GS base itself.

// Vectors for which the CPU pushes an error code (Intel SDM Vol. 3A, Table 6-1):
// #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
#include "kernel/arch/x86_64/interrupt_entry.inc"

.macro EXCEPTION_STUB vector
    .balign 16
exception_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    pushq $0
    .endif
    pushq $\vector
    .if (\vector == 1) || (\vector == 2) || (\vector == 8) || (\vector == 18)
    jmp paranoid_common
    .else
    jmp exception_common
    .endif
.endm

    .text
    .altmacro
.set vec, 0
.rept 32
    EXCEPTION_STUB %vec
.set vec, vec + 1
.endr

    INTERRUPT_COMMON exception_common, exception_dispatch
    PARANOID_COMMON paranoid_common, exception_dispatch

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
