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
//
// Loops of 8-byte moves, four to an iteration, then bytes: not `rep movsb`, which QEMU's TCG runs
// a byte at a time (smp/klib/freestanding/string.cc says what that costs). A fault in the word
// loops goes on in the byte loop from the start of the block that faulted (nothing of it was
// counted yet), so the byte loop stops at the exact first byte that cannot be moved and the
// count returned is exact, as Linux's is.
    .global arch_copy_user
    .type arch_copy_user, @function
arch_copy_user:
    movq %rdx, %rcx            // bytes left
    SMAP_OPEN
    cmpq $32, %rcx
    jb 20f
10: movq (%rsi), %r8
11: movq 8(%rsi), %r9
12: movq 16(%rsi), %r10
13: movq 24(%rsi), %r11
14: movq %r8, (%rdi)
15: movq %r9, 8(%rdi)
16: movq %r10, 16(%rdi)
17: movq %r11, 24(%rdi)
    addq $32, %rsi
    addq $32, %rdi
    subq $32, %rcx
    cmpq $32, %rcx
    jae 10b
20: cmpq $8, %rcx
    jb 30f
21: movq (%rsi), %r8
22: movq %r8, (%rdi)
    addq $8, %rsi
    addq $8, %rdi
    subq $8, %rcx
    jmp 20b
30: testq %rcx, %rcx
    jz 40f
31: movb (%rsi), %al
32: movb %al, (%rdi)
    incq %rsi
    incq %rdi
    decq %rcx
    jmp 30b
40: SMAP_CLOSE
    xorl %eax, %eax
    ret
50: SMAP_CLOSE
    movq %rcx, %rax            // the byte that faulted and every one after it
    ret
    EX_ENTRY 10b, 30b
    EX_ENTRY 11b, 30b
    EX_ENTRY 12b, 30b
    EX_ENTRY 13b, 30b
    EX_ENTRY 14b, 30b
    EX_ENTRY 15b, 30b
    EX_ENTRY 16b, 30b
    EX_ENTRY 17b, 30b
    EX_ENTRY 21b, 30b
    EX_ENTRY 22b, 30b
    EX_ENTRY 31b, 50b
    EX_ENTRY 32b, 50b
    .size arch_copy_user, . - arch_copy_user

// uint64_t arch_clear_user(void* dst rdi, uint64_t n rsi): bytes not cleared. The same loops
// and the same exact count as arch_copy_user.
    .global arch_clear_user
    .type arch_clear_user, @function
arch_clear_user:
    movq %rsi, %rcx
    xorl %eax, %eax
    SMAP_OPEN
    cmpq $32, %rcx
    jb 20f
10: movq %rax, (%rdi)
11: movq %rax, 8(%rdi)
12: movq %rax, 16(%rdi)
13: movq %rax, 24(%rdi)
    addq $32, %rdi
    subq $32, %rcx
    cmpq $32, %rcx
    jae 10b
20: cmpq $8, %rcx
    jb 30f
21: movq %rax, (%rdi)
    addq $8, %rdi
    subq $8, %rcx
    jmp 20b
30: testq %rcx, %rcx
    jz 40f
31: movb %al, (%rdi)
    incq %rdi
    decq %rcx
    jmp 30b
40: SMAP_CLOSE
    xorl %eax, %eax
    ret
50: SMAP_CLOSE
    movq %rcx, %rax
    ret
    EX_ENTRY 10b, 30b
    EX_ENTRY 11b, 30b
    EX_ENTRY 12b, 30b
    EX_ENTRY 13b, 30b
    EX_ENTRY 21b, 30b
    EX_ENTRY 31b, 50b
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
