#include "sched/context.h"

namespace sched {

void init_context(Context& ctx, void* stack_base, std::size_t stack_size, StartFunction start,
                  void* a, void* b) {
  // The frame pleiades_switch_context pops, lowest address first:
  //   r15, r14 (= b), r13 (= a), r12 (= start), rbx, rbp (= 0, ends frame-pointer walks),
  //   return address (= the trampoline),
  // and above it 16 zero bytes: the trampoline runs with rsp = top - 16, 16-byte aligned, which
  // is what a callee expects just before its `call` pushes the return address.
  std::uintptr_t top = reinterpret_cast<std::uintptr_t>(stack_base) + stack_size;
  top &= ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uintptr_t*>(top - 16 - 7 * sizeof(std::uintptr_t));
  frame[0] = 0;                                           // r15
  frame[1] = reinterpret_cast<std::uintptr_t>(b);         // r14
  frame[2] = reinterpret_cast<std::uintptr_t>(a);         // r13
  frame[3] = reinterpret_cast<std::uintptr_t>(start);     // r12
  frame[4] = 0;                                           // rbx
  frame[5] = 0;                                           // rbp
  frame[6] = reinterpret_cast<std::uintptr_t>(&pleiades_thread_trampoline);
  frame[7] = 0;
  frame[8] = 0;
  ctx.rsp = reinterpret_cast<std::uintptr_t>(frame);
}

}  // namespace sched
