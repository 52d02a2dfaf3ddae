// The kernel's heap instance, for operator new/delete (operator_new.cc) and mm's own tests.
#pragma once

#include "kernel/mm/heap.h"

namespace mm {

// The heap behind operator new; nullptr before mm::init has built it.
Heap* kernel_heap();

}  // namespace mm
