// A fixed-rate counter the TSC can be measured against (HPET main counter, ACPI PM timer).
#pragma once

#include <cstdint>

namespace ktime {

class ReferenceClock {
 public:
  virtual const char* name() const = 0;
  virtual std::uint64_t hz() const = 0;
  // Counter width: the difference of two reads is taken modulo this mask + 1.
  virtual std::uint64_t mask() const = 0;
  virtual std::uint64_t read() = 0;

 protected:
  ~ReferenceClock() = default;
};

}  // namespace ktime
