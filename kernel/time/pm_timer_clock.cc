#include "kernel/time/pm_timer_clock.h"

namespace ktime {
namespace {

std::uint32_t inl(std::uint16_t port) {
  std::uint32_t value;
  asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port) : "memory");
  return value;
}

// One tick is 279 ns; a port read takes about 1 us on real hardware. 100000 reads span far more
// than one tick anywhere, so a counter that has not moved by then is not running.
constexpr std::uint32_t kMoveChecks = 100'000;

}  // namespace

const char* PmTimerClock::init(std::uint16_t port, bool is_32bit) {
  port_ = port;
  mask_ = is_32bit ? 0xFFFF'FFFFull : 0x00FF'FFFFull;
  const std::uint64_t first = read();
  for (std::uint32_t i = 0; i < kMoveChecks; ++i) {
    if (read() != first) return nullptr;
  }
  return "PM timer does not count";
}

std::uint64_t PmTimerClock::read() { return inl(port_) & mask_; }

}  // namespace ktime
