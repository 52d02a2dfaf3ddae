// The memory functions the compiler may call on its own (struct copies, zeroing), for the
// freestanding kernel. The host build uses libc's.
//
// Plain loops of 8-byte moves, four to an iteration, then the tail: what Linux's clear_page_orig
// and copy_page do without fast string instructions. Hardware with fast strings would do as
// well with `rep movsb`, but QEMU's TCG (where the kernel is measured and tested) runs each
// iteration of a `rep` instruction as a separate step of about 14 ns, against about 1.5 ns for
// one iteration of this loop: a page cleared with `rep stosq` took 7 us, with this loop under
// 1 us (a first-touch page fault at -smp 1: 12.4 us against 6.8). The kernel is compiled so
// that the compiler's own inline copies are unrolled loops too, never `rep` (cmake/Kernel.cmake).
#include <cstddef>
#include <cstdint>

// An 8-byte word at any alignment, allowed to alias anything.
using Word [[gnu::may_alias, gnu::aligned(1)]] = std::uint64_t;

// The loops below must stay loops: the compiler would turn them into calls of the very
// functions they implement.
#define PLEIADES_STRING_FN [[gnu::optimize("no-tree-loop-distribute-patterns")]]

extern "C" {

PLEIADES_STRING_FN void* memcpy(void* dest, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  const auto* s = static_cast<const unsigned char*>(src);
  for (; n >= 32; n -= 32, d += 32, s += 32) {
    const Word a = reinterpret_cast<const Word*>(s)[0];
    const Word b = reinterpret_cast<const Word*>(s)[1];
    const Word c = reinterpret_cast<const Word*>(s)[2];
    const Word e = reinterpret_cast<const Word*>(s)[3];
    reinterpret_cast<Word*>(d)[0] = a;
    reinterpret_cast<Word*>(d)[1] = b;
    reinterpret_cast<Word*>(d)[2] = c;
    reinterpret_cast<Word*>(d)[3] = e;
  }
  for (; n >= 8; n -= 8, d += 8, s += 8) *reinterpret_cast<Word*>(d) = *reinterpret_cast<const Word*>(s);
  for (; n > 0; --n) *d++ = *s++;
  return dest;
}

PLEIADES_STRING_FN void* memmove(void* dest, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) return dest;
  // Forwards is safe unless the destination starts inside the source.
  if (d < s || d >= s + n) return memcpy(dest, src, n);
  // Backwards from the end: every word is loaded before a store could overwrite it.
  for (; n >= 8; n -= 8) {
    *reinterpret_cast<Word*>(d + n - 8) = *reinterpret_cast<const Word*>(s + n - 8);
  }
  for (; n > 0; --n) d[n - 1] = s[n - 1];
  return dest;
}

PLEIADES_STRING_FN void* memset(void* dest, int value, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dest);
  const std::uint64_t pattern = 0x0101010101010101ull * static_cast<unsigned char>(value);
  for (; n >= 32; n -= 32, d += 32) {
    reinterpret_cast<Word*>(d)[0] = pattern;
    reinterpret_cast<Word*>(d)[1] = pattern;
    reinterpret_cast<Word*>(d)[2] = pattern;
    reinterpret_cast<Word*>(d)[3] = pattern;
  }
  for (; n >= 8; n -= 8, d += 8) *reinterpret_cast<Word*>(d) = pattern;
  for (; n > 0; --n) *d++ = static_cast<unsigned char>(value);
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
