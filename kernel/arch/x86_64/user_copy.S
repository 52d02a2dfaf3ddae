// The user-copy loops (user_copy.h). Each instruction that touches user memory has an entry in
// .ex_table: (its address, where to resume if it faults). The ranges were checked in C++.

// STAC / CLAC only when SMAP is on (they are #UD without it).
.macro SMAP_OPEN
    cmpb $0, arch_smap_enabled(%rip)
    je 98f
    stac
98:
.endm
.macro SMAP_CLOSE
    cmpb $0, arch_smap_enabled(%rip)
    je 99f
    clac
99:
.endm
.macro EX_ENTRY insn, fixup
    .pushsection .ex_table, "a"
    .balign 8
    .quad \insn, \fixup
    .popsection
.endm

    .text
// uint64_t arch_copy_user(void* dst rdi, const void* src rsi, uint64_t n rdx)
// Returns the bytes not copied (0: all of them).
    .global arch_copy_user
    .type arch_copy_user, @function
arch_copy_user:
    movq %rdx, %rcx
    SMAP_OPEN
1:  rep movsb
    SMAP_CLOSE
    xorl %eax, %eax
    ret
2:  SMAP_CLOSE
    movq %rcx, %rax            // rep movsb leaves the remaining count in rcx at the fault
    ret
    EX_ENTRY 1b, 2b
    .size arch_copy_user, . - arch_copy_user

// uint64_t arch_clear_user(void* dst rdi, uint64_t n rsi): bytes not cleared.
    .global arch_clear_user
    .type arch_clear_user, @function
arch_clear_user:
    movq %rsi, %rcx
    xorl %eax, %eax
    SMAP_OPEN
1:  rep stosb
    SMAP_CLOSE
    xorl %eax, %eax
    ret
2:  SMAP_CLOSE
    movq %rcx, %rax
    ret
    EX_ENTRY 1b, 2b
    .size arch_clear_user, . - arch_clear_user

// int64_t arch_strncpy_user(char* dst rdi, const char* src rsi, uint64_t max rdx)
// Copies up to max bytes, stopping after a NUL. Returns the length without the NUL, -2 when no
// NUL came within max bytes, -1 on a fault.
    .global arch_strncpy_user
    .type arch_strncpy_user, @function
arch_strncpy_user:
    xorl %eax, %eax            // bytes copied
    SMAP_OPEN
3:  cmpq %rdx, %rax
    jae 5f
1:  movb (%rsi,%rax), %cl
    movb %cl, (%rdi,%rax)
    testb %cl, %cl
    jz 4f
    incq %rax
    jmp 3b
4:  SMAP_CLOSE
    ret
5:  SMAP_CLOSE
    movq $-2, %rax
    ret
2:  SMAP_CLOSE
    movq $-1, %rax
    ret
    EX_ENTRY 1b, 2b
    .size arch_strncpy_user, . - arch_strncpy_user


    .section .note.GNU-stack, "", @progbits
