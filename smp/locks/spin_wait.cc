#include "smp/locks/spin_wait.h"

#include "smp/locks/lock_class.h"

namespace smp {
namespace {

// Relaxed: a tuning value, read once per kCheckEvery pauses; no data depends on it.
std::atomic<std::uint64_t> g_spin_limit{kDefaultSpinLimit};

}  // namespace

std::uint64_t spin_limit() { return g_spin_limit.load(std::memory_order_relaxed); }
void set_spin_limit(std::uint64_t cycles) { g_spin_limit.store(cycles, std::memory_order_relaxed); }

void SpinWait::check_deadline() {
  const std::uint64_t now = platform::cycles();
  if (started_ == 0) {
    // The clock is read from the first check on, not at construction: an uncontended or
    // briefly contended acquisition never pays for it.
    started_ = now;
    return;
  }
  const std::uint64_t limit = spin_limit();
  if (limit == 0 || now - started_ < limit) return;
  platform::LockViolation v{platform::LockViolationKind::kStall};
  v.cpu = platform::to_index(platform::current_cpu());
  v.holder_cpu = holder_ ? holder_->report_cpu() : platform::kNoCpu;
  v.taken.lock = lock_;
  if (cls_) {
    v.taken.class_name = cls_->name();
    v.taken.rank = cls_->rank();
  }
  platform::lock_violation(v);
  started_ = platform::cycles();  // report again only after another full limit
}

}  // namespace smp
