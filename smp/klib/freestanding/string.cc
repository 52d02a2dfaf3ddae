// The memory functions the compiler may call on its own (struct copies, zeroing), for the
// freestanding kernel. The host build uses libc's.
#include <cstddef>
#include <cstdint>

extern "C" {

// Whole 8-byte words first, then the tail bytes, as musl's x86_64 memcpy and memset do. On
// hardware with fast string operations `rep movsb` alone would do as well, but an emulator
// such as QEMU's TCG runs every iteration of a `rep` as a separate step: a page copied or
// cleared by bytes takes 4096 steps, by words 512 (page faults, fork, exec and the heap's
// fresh pages all pay it). Below 64 bytes the byte form alone.
constexpr std::size_t kWordsFrom = 64;

void* memcpy(void* dest, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  const auto* s = static_cast<const unsigned char*>(src);
  if (n >= kWordsFrom) {
    std::size_t words = n / 8;
    n %= 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
  }
  asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dest;
}

void* memmove(void* dest, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) return dest;
  if (d < s || d >= s + n) return memcpy(dest, src, n);
  for (std::size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  return dest;
}

void* memset(void* dest, int value, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  if (n >= kWordsFrom) {
    const std::uint64_t pattern = 0x0101010101010101ull * static_cast<unsigned char>(value);
    std::size_t words = n / 8;
    n %= 8;
    asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
  }
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
  return dest;
}

int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

std::size_t strlen(const char* s) {
  std::size_t n = 0;
  while (s[n]) ++n;
  return n;
}

}  // extern "C"
