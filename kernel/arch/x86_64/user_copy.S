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

// One instruction that touches user memory, with its .ex_table entry: a fault there resumes at
// \fixup.
.macro USER fixup, insn:vararg
.Luser\@:
    \insn
    EX_ENTRY .Luser\@, \fixup
.endm

// The loops of arch_copy_user and arch_clear_user: %rcx bytes at %rdi (and %rsi) in 32-byte
// blocks, then 8-byte words, then bytes, after SMAP_OPEN; returns through SMAP_CLOSE with the
// bytes not moved in %rax. The functions differ only in the moves, which the macros named by
// the parameters emit: `\block FIXUP`, `\word FIXUP` and `\byte FIXUP` move 32, 8 and 1 bytes,
// every user access through USER with that fixup; `\advance N` steps the pointers by N.
//
// Loops of 8-byte moves, four to an iteration, then bytes: not `rep movsb`, which QEMU's TCG runs
// a byte at a time (smp/klib/freestanding/string.cc says what that costs). A fault in a block or
// a word goes on in the byte loop from the start of that block or word (nothing of it was
// counted yet), so the byte loop stops at the exact first byte that cannot be moved, and its
// fault returns the count from there: exact, as Linux's is.
.macro USER_LOOPS block, word, byte, advance
    cmpq $32, %rcx
    jb .Lwords\@
.Lblocks\@:
    \block .Lbytes\@
    \advance 32
    subq $32, %rcx
    cmpq $32, %rcx
    jae .Lblocks\@
.Lwords\@:
    cmpq $8, %rcx
    jb .Lbytes\@
    \word .Lbytes\@
    \advance 8
    subq $8, %rcx
    jmp .Lwords\@
.Lbytes\@:
    testq %rcx, %rcx
    jz .Ldone\@
    \byte .Lfault\@
    \advance 1
    decq %rcx
    jmp .Lbytes\@
.Ldone\@:
    SMAP_CLOSE
    xorl %eax, %eax
    ret
.Lfault\@:
    SMAP_CLOSE
    movq %rcx, %rax            // the byte that faulted and every one after it
    ret
.endm

// The moves of arch_copy_user: from (%rsi) to (%rdi). A block loads all four words before it
// stores any.
.macro COPY_BLOCK fixup
    USER \fixup, movq (%rsi), %r8
    USER \fixup, movq 8(%rsi), %r9
    USER \fixup, movq 16(%rsi), %r10
    USER \fixup, movq 24(%rsi), %r11
    USER \fixup, movq %r8, (%rdi)
    USER \fixup, movq %r9, 8(%rdi)
    USER \fixup, movq %r10, 16(%rdi)
    USER \fixup, movq %r11, 24(%rdi)
.endm
.macro COPY_WORD fixup
    USER \fixup, movq (%rsi), %r8
    USER \fixup, movq %r8, (%rdi)
.endm
.macro COPY_BYTE fixup
    USER \fixup, movb (%rsi), %al
    USER \fixup, movb %al, (%rdi)
.endm
.macro COPY_ADVANCE n
  .if \n == 1
    incq %rsi
    incq %rdi
  .else
    addq $\n, %rsi
    addq $\n, %rdi
  .endif
.endm

// The moves of arch_clear_user: zeros (%rax) to (%rdi).
.macro CLEAR_BLOCK fixup
    USER \fixup, movq %rax, (%rdi)
    USER \fixup, movq %rax, 8(%rdi)
    USER \fixup, movq %rax, 16(%rdi)
    USER \fixup, movq %rax, 24(%rdi)
.endm
.macro CLEAR_WORD fixup
    USER \fixup, movq %rax, (%rdi)
.endm
.macro CLEAR_BYTE fixup
    USER \fixup, movb %al, (%rdi)
.endm
.macro CLEAR_ADVANCE n
  .if \n == 1
    incq %rdi
  .else
    addq $\n, %rdi
  .endif
.endm

    .text
// uint64_t arch_copy_user(void* dst rdi, const void* src rsi, uint64_t n rdx)
// Returns the bytes not copied (0: all of them).
    .global arch_copy_user
    .type arch_copy_user, @function
arch_copy_user:
    movq %rdx, %rcx            // bytes left
    SMAP_OPEN
    USER_LOOPS COPY_BLOCK, COPY_WORD, COPY_BYTE, COPY_ADVANCE
    .size arch_copy_user, . - arch_copy_user

// uint64_t arch_clear_user(void* dst rdi, uint64_t n rsi): bytes not cleared. The same loops
// and the same exact count as arch_copy_user.
    .global arch_clear_user
    .type arch_clear_user, @function
arch_clear_user:
    movq %rsi, %rcx            // bytes left
    xorl %eax, %eax            // the zeros to store
    SMAP_OPEN
    USER_LOOPS CLEAR_BLOCK, CLEAR_WORD, CLEAR_BYTE, CLEAR_ADVANCE
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
