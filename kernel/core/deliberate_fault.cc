#include "kernel/core/deliberate_fault.h"

#include "kernel/console/log.h"
#include "kernel/core/panic.h"

namespace core {

// noinline keeps this frame (and kernel_main above it) in the backtrace.
__attribute__((noinline)) void take_deliberate_fault(Fault kind) {
  switch (kind) {
    case Fault::kPage:
      klog::info("fault: writing to unmapped {:#x} on purpose", kUnmappedAddress);
      *reinterpret_cast<volatile std::uint64_t*>(kUnmappedAddress) = 0x5a5a;
      break;
    case Fault::kInvalidOpcode:
      klog::info("fault: executing ud2 on purpose");
      asm volatile("ud2");
      break;
    case Fault::kNone:
      break;
  }
  panic("deliberate fault {} did not fault", static_cast<unsigned>(kind));
}

}  // namespace core
