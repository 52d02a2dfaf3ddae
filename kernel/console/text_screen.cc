#include "kernel/console/text_screen.h"

namespace console {
namespace {

// Writes `n` bytes to the framebuffer: single bytes up to an 8-byte boundary, then 8-byte
// words, then the tail. volatile so that every store happens and none is turned into a
// read-modify-write or a read (the framebuffer may be uncached, and reading it is what makes a
// console slow); WC merges the word stores into full bursts on its own.
void copy_out(volatile std::uint8_t* dst, const std::uint8_t* src, std::size_t n) {
  std::size_t i = 0;
  while (i < n && (reinterpret_cast<std::uintptr_t>(dst + i) & 7) != 0) {
    dst[i] = src[i];
    ++i;
  }
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    __builtin_memcpy(&word, src + i, 8);
    *reinterpret_cast<volatile std::uint64_t*>(dst + i) = word;
  }
  for (; i < n; ++i) dst[i] = src[i];
}

void store_pixel(std::uint8_t* at, std::uint32_t value, unsigned bytes) {
  for (unsigned b = 0; b < bytes; ++b) at[b] = static_cast<std::uint8_t>(value >> (8 * b));
}

}  // namespace

void TextScreen::init(const ScreenGeometry& geometry, volatile void* pixels,
                      std::uint32_t foreground, std::uint32_t background) {
  pixels_ = static_cast<volatile std::uint8_t*>(pixels);
  geometry_ = geometry;
  const unsigned bpp = geometry.layout.bytes_per_pixel;
  columns_ = geometry.width / kFontWidth;
  rows_ = geometry.height / kFontHeight;
  if (columns_ > kMaxColumns) columns_ = kMaxColumns;
  if (rows_ > kMaxRows) rows_ = kMaxRows;
  cell_bytes_ = kFontWidth * bpp;
  background_ = background;
  bytes_written_ = 0;
  for (unsigned pattern = 0; pattern < 256; ++pattern) {
    for (unsigned x = 0; x < kFontWidth; ++x) {
      const bool ink = (pattern & (0x80u >> x)) != 0;
      store_pixel(&expanded_[pattern][x * bpp], ink ? foreground : background, bpp);
    }
  }
  for (unsigned i = 0; i < columns_ * rows_; ++i) wanted_[i] = shown_[i] = ' ';
  for (unsigned r = 0; r < kMaxRows; ++r) dirty_[r] = false;
  fill_background();
}

void TextScreen::fill_background() {
  // One chunk of background pixels in line_, copied along every line of the whole mode
  // (partial cells at the right and bottom edges included: they stay background for good).
  const unsigned bpp = geometry_.layout.bytes_per_pixel;
  const std::size_t chunk_pixels = sizeof(line_) / 4;
  for (std::size_t x = 0; x < chunk_pixels; ++x) store_pixel(&line_[x * bpp], background_, bpp);
  const std::uint64_t line_bytes = std::uint64_t{geometry_.width} * bpp;
  for (std::uint64_t y = 0; y < geometry_.height; ++y) {
    volatile std::uint8_t* line = pixels_ + y * geometry_.bytes_per_line;
    for (std::uint64_t done = 0; done < line_bytes;) {
      const std::uint64_t left = line_bytes - done;
      const std::uint64_t n = left < chunk_pixels * bpp ? left : chunk_pixels * bpp;
      copy_out(line + done, line_, n);
      done += n;
      bytes_written_ += n;
    }
  }
}

void TextScreen::draw_cell(unsigned column, unsigned row, char c) {
  wanted_[row * columns_ + column] = c;
  dirty_[row] = true;
}

void TextScreen::scroll_up() {
  // Only the shadow moves; flush() redraws the rows whose characters changed.
  __builtin_memmove(wanted_, wanted_ + columns_, std::size_t{rows_ - 1} * columns_);
  for (unsigned c = 0; c < columns_; ++c) wanted_[(rows_ - 1) * columns_ + c] = ' ';
  for (unsigned r = 0; r < rows_; ++r) dirty_[r] = true;
}

template <unsigned kBytesPerPixel>
void TextScreen::compose_line(unsigned glyph_row, unsigned cells) {
  constexpr unsigned kCellBytes = kFontWidth * kBytesPerPixel;
  std::uint8_t* out = line_;
  for (unsigned i = 0; i < cells; ++i, out += kCellBytes) {
    __builtin_memcpy(out, expanded_[glyphs_[i][glyph_row]], kCellBytes);  // constant size: inlined
  }
}

void TextScreen::render_span(unsigned row, unsigned first, unsigned last) {
  const unsigned cells = last - first + 1;
  for (unsigned i = 0; i < cells; ++i) glyphs_[i] = font_glyph(wanted_[row * columns_ + first + i]);
  const std::uint64_t x_bytes = std::uint64_t{first} * cell_bytes_;
  for (unsigned gy = 0; gy < kFontHeight; ++gy) {
    switch (geometry_.layout.bytes_per_pixel) {
      case 2: compose_line<2>(gy, cells); break;
      case 3: compose_line<3>(gy, cells); break;
      default: compose_line<4>(gy, cells); break;
    }
    const std::uint64_t y = std::uint64_t{row} * kFontHeight + gy;
    copy_out(pixels_ + y * geometry_.bytes_per_line + x_bytes, line_,
             std::size_t{cells} * cell_bytes_);
  }
  bytes_written_ += std::uint64_t{kFontHeight} * cells * cell_bytes_;
}

void TextScreen::flush() {
  for (unsigned row = 0; row < rows_; ++row) {
    if (!dirty_[row]) continue;
    dirty_[row] = false;
    const char* want = wanted_ + row * columns_;
    char* shown = shown_ + row * columns_;
    unsigned first = 0;
    while (first < columns_ && want[first] == shown[first]) ++first;
    if (first == columns_) continue;
    unsigned last = columns_ - 1;
    while (want[last] == shown[last]) --last;
    render_span(row, first, last);
    for (unsigned c = first; c <= last; ++c) shown[c] = want[c];
  }
}

}  // namespace console
