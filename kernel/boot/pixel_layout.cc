#include "kernel/boot/pixel_layout.h"

namespace console {
namespace {

// The field a non-zero mask covers, or width 0 when its set bits are not one run.
ChannelField field_of(std::uint32_t mask) {
  unsigned shift = 0;
  while (((mask >> shift) & 1u) == 0) ++shift;
  unsigned width = 0;
  while (shift + width < 32 && ((mask >> (shift + width)) & 1u)) ++width;
  const std::uint64_t run = ((std::uint64_t{1} << width) - 1) << shift;
  if (run != mask) return ChannelField{};
  return ChannelField{static_cast<std::uint8_t>(shift), static_cast<std::uint8_t>(width)};
}

std::uint32_t place(std::uint8_t value, ChannelField field) {
  const std::uint64_t max = (std::uint64_t{1} << field.width) - 1;
  const std::uint64_t scaled = (value * max + 127) / 255;
  return static_cast<std::uint32_t>(scaled << field.shift);
}

// Needs v != 0.
constexpr unsigned highest_bit(std::uint32_t v) {
  return 31 - static_cast<unsigned>(__builtin_clz(v));
}

}  // namespace

std::uint32_t PixelLayout::encode(std::uint8_t r, std::uint8_t g, std::uint8_t b) const {
  return place(r, red) | place(g, green) | place(b, blue);
}

klib::Result<PixelLayout, const char*> pixel_layout(boot::PixelFormat format,
                                                    std::uint32_t red_mask,
                                                    std::uint32_t green_mask,
                                                    std::uint32_t blue_mask,
                                                    std::uint32_t reserved_mask) {
  switch (format) {
    case boot::PixelFormat::kRgbx8:
      return PixelLayout{4, {0, 8}, {8, 8}, {16, 8}};
    case boot::PixelFormat::kBgrx8:
      return PixelLayout{4, {16, 8}, {8, 8}, {0, 8}};
    case boot::PixelFormat::kBitmask:
      break;
    case boot::PixelFormat::kNone:
      return klib::make_error("no pixel format");
    default:
      return klib::make_error("unknown pixel format");
  }
  if (red_mask == 0 || green_mask == 0 || blue_mask == 0) {
    return klib::make_error("a colour mask is zero");
  }
  if ((red_mask & green_mask) | (red_mask & blue_mask) | (green_mask & blue_mask) |
      ((red_mask | green_mask | blue_mask) & reserved_mask)) {
    return klib::make_error("colour masks overlap");
  }
  PixelLayout layout{0, field_of(red_mask), field_of(green_mask), field_of(blue_mask)};
  if (layout.red.width == 0 || layout.green.width == 0 || layout.blue.width == 0) {
    return klib::make_error("a colour mask is not one run of bits");
  }
  const unsigned bits = highest_bit(red_mask | green_mask | blue_mask | reserved_mask) + 1;
  layout.bytes_per_pixel = (bits + 7) / 8;
  if (layout.bytes_per_pixel < 2) {
    return klib::make_error("8-bit pixels are not supported (16, 24 or 32 bits only)");
  }
  return layout;
}

klib::Result<PixelLayout, const char*> pixel_layout(const boot::Framebuffer& mode) {
  const PixelLayout layout = TRY(pixel_layout(mode.format, mode.red_mask, mode.green_mask,
                                              mode.blue_mask, mode.reserved_mask));
  if (mode.bits_per_pixel != layout.bytes_per_pixel * 8) {
    return klib::make_error("bits_per_pixel disagrees with the pixel format");
  }
  return layout;
}

}  // namespace console
