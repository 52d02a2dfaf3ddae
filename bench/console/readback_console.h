// The peer: the framebuffer console as it was before the text shadow (kernel/console at commit
// 0d2cb83), kept here so the two can be measured side by side. Each character is drawn straight
// into the pixels; a scroll copies every text pixel row up by one text row inside the pixels
// (reading them back: on a real PC that read is from uncached video memory) and blanks the last
// row. 32-bit pixels only, as it was.
#pragma once

#include <cstdint>

#include "kernel/console/font8x16.h"
#include "kernel/console/text_layout.h"

namespace console_bench {

class ReadbackConsole final : public console::TextBackend {
 public:
  ReadbackConsole(volatile std::uint32_t* pixels, std::uint32_t width, std::uint32_t height,
                  std::uint32_t stride, std::uint32_t foreground, std::uint32_t background)
      : pixels_(pixels), width_(width), height_(height), stride_(stride),
        foreground_(foreground), background_(background),
        layout_(width / console::kFontWidth, height / console::kFontHeight) {
    fill_rows(0, height_);
  }

  void write(const char* text, std::size_t length) { layout_.write(text, length, *this); }
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

  void draw_cell(unsigned column, unsigned row, char c) override {
    const std::uint8_t* glyph = console::font_glyph(c);
    const std::uint64_t x0 = std::uint64_t{column} * console::kFontWidth;
    const std::uint64_t y0 = std::uint64_t{row} * console::kFontHeight;
    for (unsigned gy = 0; gy < console::kFontHeight; ++gy) {
      volatile std::uint32_t* line = pixels_ + (y0 + gy) * stride_ + x0;
      for (unsigned gx = 0; gx < console::kFontWidth; ++gx) {
        line[gx] = (glyph[gy] & (0x80u >> gx)) ? foreground_ : background_;
      }
    }
    bytes_written_ += console::kFontHeight * console::kFontWidth * 4;
  }

  void scroll_up() override {
    const unsigned text_pixel_rows = layout_.rows() * console::kFontHeight;
    for (unsigned y = 0; y + console::kFontHeight < text_pixel_rows; ++y) {
      volatile std::uint32_t* dst = pixels_ + std::uint64_t{y} * stride_;
      volatile std::uint32_t* src = pixels_ + std::uint64_t{y + console::kFontHeight} * stride_;
      for (unsigned x = 0; x < width_; ++x) dst[x] = src[x];
    }
    const std::uint64_t moved = std::uint64_t{text_pixel_rows - console::kFontHeight} * width_ * 4;
    bytes_read_ += moved;
    bytes_written_ += moved;
    fill_rows(text_pixel_rows - console::kFontHeight, console::kFontHeight);
  }

 private:
  void fill_rows(unsigned first, unsigned count) {
    for (unsigned y = first; y < first + count && y < height_; ++y) {
      volatile std::uint32_t* line = pixels_ + std::uint64_t{y} * stride_;
      for (unsigned x = 0; x < width_; ++x) line[x] = background_;
    }
    bytes_written_ += std::uint64_t{count} * width_ * 4;
  }

  volatile std::uint32_t* pixels_;
  std::uint32_t width_, height_, stride_;
  std::uint32_t foreground_, background_;
  console::TextLayout layout_;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace console_bench
