// The kernel command line as words: `key` or `key=value`, separated by blanks, no quoting. The
// kernel's one parser of it (kernel/core/cmdline.cc, over the option table kernel/core/options.inc)
// splits it with these. Pure, host-tested.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/format.h"

namespace klib {

// One word split at its first '='. All views point into the text that was split.
struct Word {
  fmt::StringView whole;
  fmt::StringView key;
  fmt::StringView value;  // empty when !has_value
  bool has_value = false;
};

constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

constexpr Word split_word(fmt::StringView whole) {
  for (std::size_t i = 0; i < whole.length; ++i) {
    if (whole.data[i] == '=') {
      return {whole, fmt::StringView(whole.data, i),
              fmt::StringView(whole.data + i + 1, whole.length - i - 1), true};
    }
  }
  return {whole, whole, fmt::StringView(whole.data + whole.length, 0), false};
}

// Calls `visit(const Word&)` for each word of `text` in order while it returns true. Reads only
// `text.length` bytes.
template <typename Visit>
void for_each_word(fmt::StringView text, Visit&& visit) {
  std::size_t i = 0;
  while (i < text.length) {
    while (i < text.length && is_blank(text.data[i])) ++i;
    if (i == text.length) return;
    const std::size_t start = i;
    while (i < text.length && !is_blank(text.data[i])) ++i;
    if (!visit(split_word(fmt::StringView(text.data + start, i - start)))) return;
  }
}

// Whether `a` is exactly the NUL-terminated `b`.
constexpr bool equals(fmt::StringView a, const char* b) {
  std::size_t i = 0;
  for (; i < a.length; ++i) {
    if (b[i] == '\0' || a.data[i] != b[i]) return false;
  }
  return b[i] == '\0';
}

// Decimal, or hexadecimal with a 0x prefix; false unless all of `s` is a number below 2^32.
constexpr bool parse_u32(fmt::StringView s, std::uint32_t& out) {
  std::size_t i = 0;
  unsigned base = 10;
  if (s.length > 2 && s.data[0] == '0' && (s.data[1] == 'x' || s.data[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i == s.length) return false;
  std::uint64_t v = 0;
  for (; i < s.length; ++i) {
    const char c = s.data[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    v = v * base + d;
    if (v > 0xFFFFFFFFull) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

}  // namespace klib
