// IrqGuard: disables interrupts on the current CPU for its scope and restores the previous
// state (so guards nest). Goes through the platform contract, so host tests exercise it too.
#pragma once

#include "smp/platform/platform.h"

namespace smp {

class [[nodiscard]] IrqGuard {
 public:
  IrqGuard() : saved_(platform::irq_save_disable()) {}
  ~IrqGuard() { platform::irq_restore(saved_); }
  IrqGuard(const IrqGuard&) = delete;
  IrqGuard& operator=(const IrqGuard&) = delete;

 private:
  platform::IrqState saved_;
};

}  // namespace smp
