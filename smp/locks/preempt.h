// PreemptGuard: disables preemption for its scope (the count nests). Spinlocks do this
// themselves; use it for per-CPU data that no lock protects (STYLE.md rule 5).
#pragma once

#include "smp/platform/platform.h"

namespace smp {

class [[nodiscard]] PreemptGuard {
 public:
  PreemptGuard() { platform::preempt_disable(); }
  ~PreemptGuard() { platform::preempt_enable(); }
  PreemptGuard(const PreemptGuard&) = delete;
  PreemptGuard& operator=(const PreemptGuard&) = delete;
};

}  // namespace smp
