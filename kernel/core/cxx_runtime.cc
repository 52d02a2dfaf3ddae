// The pieces of the C++ ABI runtime a freestanding kernel needs.
#include "kernel/core/panic.h"

// Called through the vtable slot of a pure virtual function: only reachable through a bug
// (calling a virtual from a base-class constructor or destructor).
extern "C" void __cxa_pure_virtual() { panic("pure virtual function called"); }
