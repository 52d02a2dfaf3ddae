// The kernel's own memcpy, memmove and memset (smp/klib/freestanding/string.cc), compiled here
// under other names so the host's libc keeps its own: every size around the word threshold,
// every alignment of source and destination, against a byte-by-byte reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#define memcpy kernel_memcpy
#define memmove kernel_memmove
#define memset kernel_memset
#define memcmp kernel_memcmp
#define strlen kernel_strlen
#include "smp/klib/freestanding/string.cc"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen

namespace {

constexpr std::size_t kMaxSize = 300;  // past the 64-byte threshold, with every tail length
constexpr std::size_t kGuard = 16;

std::vector<unsigned char> pattern(std::size_t n, unsigned seed) {
  std::vector<unsigned char> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(i * 131 + seed * 17 + 1);
  return v;
}

TEST(FreestandingString, MemcpyEverySizeAndAlignment) {
  for (std::size_t size = 0; size <= kMaxSize; ++size) {
    for (std::size_t src_off = 0; src_off < 8; ++src_off) {
      for (std::size_t dst_off = 0; dst_off < 8; dst_off += 3) {
        auto src = pattern(kMaxSize + kGuard * 2, 1);
        auto dst = pattern(kMaxSize + kGuard * 2, 2);
        auto expect = dst;
        for (std::size_t i = 0; i < size; ++i) expect[kGuard + dst_off + i] = src[src_off + i];
        void* r = kernel_memcpy(dst.data() + kGuard + dst_off, src.data() + src_off, size);
        ASSERT_EQ(r, dst.data() + kGuard + dst_off);
        ASSERT_EQ(dst, expect) << "size " << size << " src+" << src_off << " dst+" << dst_off;
      }
    }
  }
}

TEST(FreestandingString, MemsetEverySizeAlignmentAndValue) {
  for (int value : {0, 0xab, -1, 0x1ff, 0x7f}) {
    for (std::size_t size = 0; size <= kMaxSize; ++size) {
      for (std::size_t off = 0; off < 8; ++off) {
        auto buf = pattern(kMaxSize + kGuard * 2, 3);
        auto expect = buf;
        for (std::size_t i = 0; i < size; ++i) {
          expect[kGuard + off + i] = static_cast<unsigned char>(value);
        }
        void* r = kernel_memset(buf.data() + kGuard + off, value, size);
        ASSERT_EQ(r, buf.data() + kGuard + off);
        ASSERT_EQ(buf, expect) << "value " << value << " size " << size << " +" << off;
      }
    }
  }
}

TEST(FreestandingString, MemmoveOverlapsBothWays) {
  for (std::size_t size = 0; size <= kMaxSize; size += 7) {
    for (std::ptrdiff_t shift : {-9, -1, 1, 8, 65}) {
      auto buf = pattern(kMaxSize * 2 + 200, 4);
      auto expect = buf;
      const std::size_t from = 100;
      const std::size_t to = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(from) + shift);
      std::vector<unsigned char> moved(buf.begin() + from, buf.begin() + from + size);
      for (std::size_t i = 0; i < size; ++i) expect[to + i] = moved[i];
      kernel_memmove(buf.data() + to, buf.data() + from, size);
      ASSERT_EQ(buf, expect) << "size " << size << " shift " << shift;
    }
  }
}

}  // namespace
