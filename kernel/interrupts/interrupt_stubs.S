// Entry stubs for vectors 32..255 (device interrupts, IPIs, APIC timer/error/spurious): none
// of them has an error code, so each pushes 0 and its vector, giving arch::InterruptFrame the
// same shape as the exception stubs, then the common path saves the general registers and
// calls interrupt_dispatch(InterruptFrame*) (dispatch.cc). No swapgs: no user mode
// yet, GS always holds the kernel's per-CPU base.
#include "kernel/arch/x86_64/interrupt_entry.inc"

.macro IRQ_STUB vector
    .balign 16
irq_stub_\vector:
    pushq $0
    pushq $\vector
    jmp irq_common
.endm

    .text
    .altmacro
.set vec, 32
.rept 224
    IRQ_STUB %vec
.set vec, vec + 1
.endr

    INTERRUPT_COMMON irq_common, interrupt_dispatch

.macro IRQ_STUB_ADDRESS vector
    .quad irq_stub_\vector
.endm
    .section .rodata
    .balign 8
    .global irq_stub_table
irq_stub_table:
.set vec, 32
.rept 224
    IRQ_STUB_ADDRESS %vec
.set vec, vec + 1
.endr

    .section .note.GNU-stack, "", @progbits
