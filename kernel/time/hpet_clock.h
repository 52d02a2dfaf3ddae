// The HPET main counter as a reference clock (IA-PC HPET specification 1.0a §2.3): mapped
// uncached, its period read from the capabilities register, the counter enabled if the firmware
// left it stopped.
#pragma once

#include <cstdint>

#include "kernel/time/reference_clock.h"

namespace ktime {

class HpetClock final : public ReferenceClock {
 public:
  // Maps the register block at `phys` and checks it: a period of 0 or above 100 ns (the
  // specification's maximum), or an all-ones read (nothing there), is an error. Enables the
  // main counter when it is off. Boot CPU, once.
  [[nodiscard]] const char* init(std::uint64_t phys);

  const char* name() const override { return "HPET"; }
  std::uint64_t hz() const override { return hz_; }
  std::uint64_t mask() const override { return mask_; }
  std::uint64_t read() override;

  std::uint64_t period_fs() const { return period_fs_; }
  bool counter_64bit() const { return mask_ == ~0ull; }

 private:
  volatile std::uint64_t* regs_ = nullptr;  // volatile: device registers
  std::uint64_t hz_ = 0;
  std::uint64_t mask_ = 0;
  std::uint64_t period_fs_ = 0;
};

}  // namespace ktime
