// The built-in 8x16 console font: printable ASCII (32..126) only. Anything else is drawn as
// the replacement glyph ('?'). Generated data in font8x16.cc (see tools/gen_font.py).
#pragma once

#include <cstdint>

namespace console {

inline constexpr unsigned kFontWidth = 8;
inline constexpr unsigned kFontHeight = 16;
inline constexpr unsigned kFontFirst = 32;
inline constexpr unsigned kFontLast = 126;
inline constexpr unsigned kFontGlyphCount = kFontLast - kFontFirst + 1;

extern const std::uint8_t kFont8x16[kFontGlyphCount][kFontHeight];

// The 16 rows of the glyph for `c`; never null.
inline const std::uint8_t* font_glyph(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < kFontFirst || u > kFontLast) u = '?';
  return kFont8x16[u - kFontFirst];
}

}  // namespace console
