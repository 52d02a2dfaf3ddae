// For in-kernel tests that need interrupts: each test starts with them off (kernel/ktest/
// runner.cc), and a test that blocks, sleeps, waits for the tick or for a wake-up's preemption
// point turns them on for its duration with this guard, which restores the previous state.
#pragma once

#include "kernel/arch/x86_64/cpu.h"
#include "smp/platform/platform.h"

namespace ktest {

class [[nodiscard]] InterruptsOn {
 public:
  InterruptsOn() : was_on_(platform::irqs_enabled()) { arch::sti(); }
  ~InterruptsOn() {
    if (!was_on_) arch::cli();
  }
  InterruptsOn(const InterruptsOn&) = delete;
  InterruptsOn& operator=(const InterruptsOn&) = delete;

 private:
  bool was_on_;
};

}  // namespace ktest
