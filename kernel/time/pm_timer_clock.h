// The ACPI power-management timer as a reference clock (ACPI 6.5 §4.8.3.3): a free-running
// 3.579545 MHz counter, 24 or 32 bits wide, read from an I/O port.
#pragma once

#include <cstdint>

#include "kernel/time/reference_clock.h"

namespace ktime {

class PmTimerClock final : public ReferenceClock {
 public:
  // Checks the counter moves: a port that reads a constant is no timer.
  [[nodiscard]] const char* init(std::uint16_t port, bool is_32bit);

  const char* name() const override { return "PM timer"; }
  std::uint64_t hz() const override { return kHz; }
  std::uint64_t mask() const override { return mask_; }
  std::uint64_t read() override;

  static constexpr std::uint64_t kHz = 3'579'545;

 private:
  std::uint16_t port_ = 0;
  std::uint64_t mask_ = 0;
};

}  // namespace ktime
