// The kernel's heap instance, for operator new/delete (operator_new.cc) and mm's own tests.
#pragma once

#include "kernel/mm/heap.h"

namespace mm {

// The heap behind operator new; nullptr before mm::init has built it.
Heap* kernel_heap();

// Gives every free object cached on any CPU, and every empty slab, back to the frame allocator
// (Heap::drain). For a frame allocation that failed outside the heap (the heap drains itself
// when its own allocation fails). Any context; no heap lock may be held. Nothing before mm::init.
// Where a synchronous cross-CPU call is allowed (not in an interrupt handler, not inside the
// wait of another such call) it waits for every other CPU's flush (up to the call service's
// timeout) and returns with only live objects' pages held; elsewhere the other CPUs flush when
// their call runs or at their next heap call.
void drain_kernel_heap();

}  // namespace mm
