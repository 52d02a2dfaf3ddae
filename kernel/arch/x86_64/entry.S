// Kernel entry, jumped to by the UEFI loader (kernel/boot/boot_info.h):
//   rdi = physical address of the BootInfo, interrupts off, CR3 = the loader's tables.
// Switches to the boot stack, runs the global constructors, calls kernel_main(boot_info_phys).

#define BOOT_STACK_SIZE (64 * 1024)
#define BOOT_STACK_GUARD_SIZE 4096

    .section .text.entry, "ax", @progbits
    .global _start
    .type _start, @function
_start:
    cli
    cld
    // The loader's stack lives in loader memory that the kernel reclaims: leave it at once.
    // RIP-relative lea works because the image is linked and mapped at one fixed address.
    leaq boot_stack_top(%rip), %rsp
    // rbp = 0 ends the frame-pointer chain: the backtrace walker stops here.
    xorl %ebp, %ebp
    movq %rdi, %r12            // BootInfo address, callee-saved across the constructors

    // Global constructors, in link order (.init_array bounds from kernel/linker.ld).
    leaq __init_array_start(%rip), %rbx
    leaq __init_array_end(%rip), %r13
1:  cmpq %r13, %rbx
    jae 2f
    call *(%rbx)
    addq $8, %rbx
    jmp 1b

2:  movq %r12, %rdi
    call kernel_main           // rsp is 16-byte aligned here, as the SysV ABI wants
    // kernel_main never returns; if it does, stop this CPU for good.
3:  cli
    hlt
    jmp 3b
    .size _start, . - _start

    .section .bss
    .balign 4096
    // Guard gap below the boot stack: nothing lives here, so an overflow lands in zeros that
    // a KTEST checks are still zero (the page is mapped, the check is after the fact).
    .global boot_stack_guard
boot_stack_guard:
    .skip BOOT_STACK_GUARD_SIZE
    .global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
