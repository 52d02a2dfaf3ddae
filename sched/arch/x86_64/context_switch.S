// Context switch and new-thread trampoline (System V AMD64 ABI). The same file is assembled
// for the kernel and the host (sched/CMakeLists.txt); it uses no symbol from either side.
// sched/context.h documents the contract, sched/context.cc the initial frame.

    .text

// void pleiades_switch_context(uintptr_t* save_rsp /* rdi */, uintptr_t new_rsp /* rsi */)
    .globl pleiades_switch_context
    .type pleiades_switch_context, @function
    .p2align 4
pleiades_switch_context:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)        // the outgoing context is complete once this store is done
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    // pop + indirect jump instead of `ret`: the return address belongs to another call than
    // the one that entered here, so `ret` would mispredict from the return stack buffer on
    // every switch (Boost.Context's fcontext does the same). rcx is caller-saved.
    popq %rcx
    jmpq *%rcx
    .cfi_endproc
    .size pleiades_switch_context, . - pleiades_switch_context

// First code of a new context: r12 = start function, r13 = a, r14 = b (sched/context.cc).
    .globl pleiades_thread_trampoline
    .type pleiades_thread_trampoline, @function
    .p2align 4
pleiades_thread_trampoline:
    .cfi_startproc
    .cfi_undefined rip       // outermost frame: unwinders and debuggers stop here
    movq %r13, %rdi
    movq %r14, %rsi
    callq *%r12
    ud2                      // start functions never return
    .cfi_endproc
    .size pleiades_thread_trampoline, . - pleiades_thread_trampoline

    .section .note.GNU-stack, "", @progbits
