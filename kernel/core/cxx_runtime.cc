// The pieces of the C++ ABI runtime a freestanding kernel needs.
#include "kernel/core/panic.h"

// Called through the vtable slot of a pure virtual function: only reachable through a bug
// (calling a virtual from a base-class constructor or destructor).
extern "C" void __cxa_pure_virtual() { panic("pure virtual function called"); }

// libgcc's population count, which GCC calls for __builtin_popcountll when the target has no
// POPCNT instruction enabled (the kernel is not linked against libgcc). CpuSet::count uses it.
extern "C" int __popcountdi2(long long value) {
  unsigned long long v = static_cast<unsigned long long>(value);
  int n = 0;
  while (v != 0) {
    v &= v - 1;
    ++n;
  }
  return n;
}
