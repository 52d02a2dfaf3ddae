// The AP start-up trampoline: real mode -> protected mode -> long mode, then a jump into the
// kernel. Position independent: it is assembled here as data and copied to the trampoline page
// (BootInfo.trampoline_page, below 1 MiB) by trampoline_page.cc; the SIPI vector makes the AP
// start at offset 0 of that page with CS = page >> 4, IP = 0. Every absolute address it needs
// (GDT base, far-jump targets, CR3, kernel entry) is in the parameter block the boot CPU fills
// (trampoline_layout.h). Protocol and reasons: docs/smp.md.
//
// Each AP finds its own slot by APIC ID, which is what lets all APs of a wave start together:
// the slot gives it a place to report its stage (read by the boot CPU through the direct map)
// and an index into the boot table (kernel memory) holding its stack and per-CPU argument.

#include "kernel/arch/x86_64/trampoline/trampoline_layout.h"

#define P(off) TRAMPOLINE_PARAMS_OFFSET+off
#define CR0_PE 1
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080

    .section .rodata.ap_trampoline, "a", @progbits
    .balign 16
    .global ap_trampoline_start
ap_trampoline_start:
    .code16
    cli
    cld
    movw %cs, %ax              // CS base = the page: address params and slots through DS
    movw %ax, %ds
    lock incl P(TP_ARRIVALS)

    // Our APIC ID, in the same form as the boot CPU's topology: the full x2APIC ID from leaf
    // 0xB when the boot CPU said so, else the 8-bit initial APIC ID.
    cmpl $0, P(TP_USE_LEAF_B)
    je 1f
    movl $0xB, %eax
    xorl %ecx, %ecx
    cpuid                      // EDX = x2APIC ID
    jmp 2f
1:  movl $1, %eax
    cpuid
    movl %ebx, %edx
    shrl $24, %edx             // EBX[31:24] = initial APIC ID
2:  movw $TRAMPOLINE_SLOTS_OFFSET, %si
    movw P(TP_SLOT_COUNT), %cx // at most TRAMPOLINE_SLOT_COUNT: fits 16 bits
3:  testw %cx, %cx
    jz .Lno_slot
    cmpl %edx, (%si)
    je .Lfound
    addw $TRAMPOLINE_SLOT_SIZE, %si
    decw %cx
    jmp 3b

.Lno_slot:
    // Started without a slot (not a target of this wave): count it and stay parked for good.
    lock incl P(TP_UNKNOWN)
4:  cli
    hlt
    jmp 4b

.Lfound:
    movl $STAGE_TRAMPOLINE16, 4(%si)
    xorl %ebx, %ebx            // esi = linear address of our slot = CS base + si
    movw %cs, %bx
    shll $4, %ebx
    movzwl %si, %esi
    addl %ebx, %esi
    lgdtl P(TP_GDTR)           // the page's own GDT: flat code32/data32, code64
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl *P(TP_FAR32)         // reloads CS: protected mode from the next instruction on

    .code32
    .global ap_trampoline_code32
ap_trampoline_code32:
    movw $TRAMPOLINE_SEL_DATA32, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax              // FS/GS null: the kernel sets the GS base by MSR later
    movw %ax, %fs
    movw %ax, %gs
    movl $STAGE_PROTECTED32, 4(%esi)
    movl %esi, %ebx
    andl $~0xFFF, %ebx         // ebx = the page (slots lie inside it)

    // Long mode (Intel SDM vol. 3A 10.8.5): PAE, CR3, EFER.LME (with NXE: the kernel tables
    // use NX bits, reserved while NXE is clear), then CR0.PG. CR4's other bits (SMEP, SMAP,
    // PGE, ...) are the kernel's job once the AP's features are checked.
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl P(TP_CR3)(%ebx), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    movl P(TP_EFER_LO)(%ebx), %eax
    movl P(TP_EFER_HI)(%ebx), %edx
    wrmsr
    movl P(TP_CR0)(%ebx), %eax // the boot CPU's CR0: PG, PE, WP, NE, ...
    movl %eax, %cr0            // paging on: this page is identity mapped in the kernel tables
    ljmpl *P(TP_FAR64)(%ebx)   // a 64-bit code segment: out of compatibility mode

    .code64
    .global ap_trampoline_code64
ap_trampoline_code64:
    // Register upper halves are undefined after the switch from compatibility mode: re-extend.
    movl %esi, %esi
    movl %ebx, %ebx
    movl $STAGE_LONG64, 4(%rsi)
    movq %rsi, %rax            // slot index -> boot-table entry
    subq %rbx, %rax
    subq $TRAMPOLINE_SLOTS_OFFSET, %rax
    shrq $3, %rax              // / TRAMPOLINE_SLOT_SIZE
    shlq $4, %rax              // * ABE_SIZE
    addq P(TP_BOOT_TABLE)(%rbx), %rax
    movq ABE_STACK_TOP(%rax), %rsp
    movq ABE_ARG(%rax), %rdi
    xorl %ebp, %ebp            // ends the frame-pointer chain for backtraces
    pushq $0                   // as if called: rsp = 8 mod 16 at the entry, return address 0
    jmpq *P(TP_ENTRY64)(%rbx)

    .global ap_trampoline_end
ap_trampoline_end:

    // The size check: the assembler refuses to move .org backwards, so code longer than the
    // space before the parameter block fails the build here.
    .org ap_trampoline_start + TRAMPOLINE_PARAMS_OFFSET

    .section .note.GNU-stack, "", @progbits
