#include "kernel/console/framebuffer_console.h"

#include "kernel/console/font8x16.h"

namespace console {
namespace {

// Scales an 8-bit channel into the bit field `mask` describes (kBitmask formats).
std::uint32_t place_in_mask(std::uint8_t value, std::uint32_t mask) {
  if (mask == 0) return 0;
  unsigned shift = 0;
  while (((mask >> shift) & 1u) == 0) ++shift;
  unsigned bits = 0;
  while (shift + bits < 32 && ((mask >> (shift + bits)) & 1u)) ++bits;
  const std::uint32_t scaled =
      bits >= 8 ? static_cast<std::uint32_t>(value) << (bits - 8) : value >> (8 - bits);
  return (scaled << shift) & mask;
}

}  // namespace

std::uint32_t encode_pixel(const boot::Framebuffer& mode, std::uint8_t r, std::uint8_t g,
                           std::uint8_t b) {
  switch (mode.format) {
    case boot::PixelFormat::kRgbx8:
      return r | (static_cast<std::uint32_t>(g) << 8) | (static_cast<std::uint32_t>(b) << 16);
    case boot::PixelFormat::kBgrx8:
      return b | (static_cast<std::uint32_t>(g) << 8) | (static_cast<std::uint32_t>(r) << 16);
    case boot::PixelFormat::kBitmask:
      return place_in_mask(r, mode.red_mask) | place_in_mask(g, mode.green_mask) |
             place_in_mask(b, mode.blue_mask);
    case boot::PixelFormat::kNone:
      break;
  }
  return 0;
}

bool FramebufferConsole::init(const boot::Framebuffer& mode, volatile std::uint32_t* pixels) {
  if (mode.format == boot::PixelFormat::kNone || pixels == nullptr) return false;
  if (mode.format == boot::PixelFormat::kBitmask &&
      (mode.red_mask | mode.green_mask | mode.blue_mask) == 0) {
    return false;
  }
  if (mode.width == 0 || mode.height == 0 || mode.pixels_per_scanline < mode.width) return false;
  // 64-bit arithmetic: the product of two 32-bit fields cannot overflow it.
  const std::uint64_t needed = std::uint64_t{mode.pixels_per_scanline} * mode.height * 4;
  if (mode.size < needed) return false;
  width_ = mode.width;
  height_ = mode.height;
  stride_ = mode.pixels_per_scanline;
  foreground_ = encode_pixel(mode, 0xC0, 0xC0, 0xC0);
  background_ = encode_pixel(mode, 0x00, 0x00, 0x00);
  pixels_ = pixels;
  layout_ = TextLayout(width_ / kFontWidth, height_ / kFontHeight);
  fill_rows(0, height_, background_);
  return true;
}

void FramebufferConsole::fill_rows(unsigned first_pixel_row, unsigned count,
                                   std::uint32_t value) {
  for (unsigned y = first_pixel_row; y < first_pixel_row + count && y < height_; ++y) {
    volatile std::uint32_t* line = pixels_ + std::uint64_t{y} * stride_;
    for (unsigned x = 0; x < width_; ++x) line[x] = value;
  }
}

void FramebufferConsole::draw_cell(unsigned column, unsigned row, char c) {
  const std::uint8_t* glyph = font_glyph(c);
  const std::uint64_t x0 = std::uint64_t{column} * kFontWidth;
  const std::uint64_t y0 = std::uint64_t{row} * kFontHeight;
  for (unsigned gy = 0; gy < kFontHeight; ++gy) {
    volatile std::uint32_t* line = pixels_ + (y0 + gy) * stride_ + x0;
    for (unsigned gx = 0; gx < kFontWidth; ++gx) {
      line[gx] = (glyph[gy] & (0x80u >> gx)) ? foreground_ : background_;
    }
  }
}

void FramebufferConsole::scroll_up() {
  // Copy text rows 1.. up by one text row (only the pixels inside the grid), then blank the
  // last text row. Word copies through volatile: framebuffer memory may be uncached, where
  // the compiler must not merge or reorder the accesses into wider unsupported ones.
  const unsigned text_pixel_rows = layout_.rows() * kFontHeight;
  for (unsigned y = 0; y + kFontHeight < text_pixel_rows; ++y) {
    volatile std::uint32_t* dst = pixels_ + std::uint64_t{y} * stride_;
    volatile std::uint32_t* src = pixels_ + std::uint64_t{y + kFontHeight} * stride_;
    for (unsigned x = 0; x < width_; ++x) dst[x] = src[x];
  }
  fill_rows(text_pixel_rows - kFontHeight, kFontHeight, background_);
}

void FramebufferConsole::write(const char* text, std::size_t length) {
  if (!active()) return;
  layout_.write(text, length, *this);
}

FramebufferConsole& framebuffer_console() {
  static constinit FramebufferConsole instance;
  return instance;
}

}  // namespace console
