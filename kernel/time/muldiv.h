// a * b / c without overflow in the product and without libgcc's 128-bit division (the kernel
// links no libgcc): MUL gives the 128-bit product in RDX:RAX, DIV divides it by c. DIV faults if
// the quotient does not fit 64 bits, so that case saturates instead.
#pragma once

#include <cstdint>

namespace ktime {

inline std::uint64_t mul_div(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  if (c == 0) return ~0ull;
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  const auto high = static_cast<std::uint64_t>(product >> 64);
  if (high >= c) return ~0ull;  // quotient >= 2^64
  std::uint64_t quotient, remainder;
  asm("divq %4"
      : "=a"(quotient), "=d"(remainder)
      : "a"(static_cast<std::uint64_t>(product)), "d"(high), "rm"(c));
  (void)remainder;
  return quotient;
}

}  // namespace ktime
