// A named bit field inside a register value (Managarm's arch::field, Zircon's hwreg): the
// register code says `kLvtMask.set(value, true)` instead of shifting bare numbers.
#pragma once

#include <cstdint>
#include <type_traits>

namespace apic {

template <typename Reg, typename T, unsigned kShift, unsigned kWidth>
struct BitField {
  static_assert(kWidth > 0 && kShift + kWidth <= sizeof(Reg) * 8);
  static constexpr Reg kMask = static_cast<Reg>(((kWidth == sizeof(Reg) * 8)
                                                     ? ~Reg{0}
                                                     : ((Reg{1} << kWidth) - 1))
                                                << kShift);

  static constexpr T get(Reg value) {
    return static_cast<T>((value & kMask) >> kShift);
  }
  // `value` with this field replaced by `field` (bits of `field` beyond the width dropped);
  // every other bit, reserved ones included, is kept.
  static constexpr Reg set(Reg value, T field) {
    return static_cast<Reg>((value & ~kMask) |
                            ((static_cast<Reg>(field) << kShift) & kMask));
  }
  static constexpr Reg make(T field) { return set(Reg{0}, field); }
};

template <typename Reg, unsigned kBit>
using Bit = BitField<Reg, bool, kBit, 1>;

}  // namespace apic
