// A thread's saved execution context and the switch between two of them
// (sched/arch/x86_64/context_switch.S). The general registers the System V ABI makes
// callee-saved (rbx, rbp, r12-r15) are pushed on the outgoing thread's own stack, so a Context
// is just that stack's pointer. Everything else is either caller-saved (the compiler already
// spilled what it needs around the call) or not switched: the x87 control word and MXCSR are
// left alone (the kernel uses neither; host threads all keep the default), extended FPU state
// is switched separately (sched/arch/x86_64/xsave.h) for threads that own a save area.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sched {

struct Context {
  std::uintptr_t rsp = 0;  // the saved stack pointer; 0 before init and while running
};

// First function a new thread runs, on its own stack: start(a, b) must never return.
using StartFunction = void (*)(void* a, void* b);

// Bytes init_context() needs at the top of a stack.
inline constexpr std::size_t kInitialFrameBytes = 96;

// Prepares `ctx` so that the first switch to it runs start(a, b) on the stack
// [stack_base, stack_base + stack_size), entered with rsp 16-byte aligned as at a call.
// Needs: stack_size >= kInitialFrameBytes (far more to be useful).
void init_context(Context& ctx, void* stack_base, std::size_t stack_size, StartFunction start,
                  void* a, void* b);

extern "C" {
// Saves the callee-saved registers on the current stack, stores rsp in *save_rsp, loads
// new_rsp, restores that stack's registers and returns into it. Returns (on the old stack) when
// some CPU later switches back to *save_rsp.
void pleiades_switch_context(std::uintptr_t* save_rsp, std::uintptr_t new_rsp);
// Entry of a new context: calls r12(r13, r14) and traps if that returns.
void pleiades_thread_trampoline();
}

// Switches from the running context (saved into `from`) to `to`. Needs: interrupts off on the
// kernel (a half-saved context must not be interrupted into schedule()), `to` initialised or
// saved by an earlier switch and not running on any CPU (docs/scheduling.md: the on-CPU flag).
inline void switch_context(Context* from, Context* to) {
  pleiades_switch_context(&from->rsp, to->rsp);
}

}  // namespace sched
