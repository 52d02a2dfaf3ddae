// memcmp for code the compiler and gnu-efi do not cover: libefi provides memcpy and memset but
// not memcmp, which the ELF and RSDP checks call.
#include <cstddef>

extern "C" int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
