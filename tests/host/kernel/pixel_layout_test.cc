// Mask-to-pixel conversion: every pixel format the loader can report, the bit-mask sizes a GOP
// may use, and every mode the console must refuse.
#include "kernel/boot/pixel_layout.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using boot::PixelFormat;
using console::pixel_layout;

console::PixelLayout ok(PixelFormat f, std::uint32_t r, std::uint32_t g, std::uint32_t b,
                        std::uint32_t x) {
  auto layout = pixel_layout(f, r, g, b, x);
  EXPECT_TRUE(layout.ok()) << (layout.ok() ? "" : layout.error());
  return layout.ok() ? layout.value() : console::PixelLayout{};
}

std::string refused(PixelFormat f, std::uint32_t r, std::uint32_t g, std::uint32_t b,
                    std::uint32_t x) {
  auto layout = pixel_layout(f, r, g, b, x);
  EXPECT_FALSE(layout.ok());
  return layout.ok() ? "" : layout.error();
}

TEST(PixelLayout, Bgrx8IsBlueInTheLowByte) {
  const auto l = ok(PixelFormat::kBgrx8, 0, 0, 0, 0);
  EXPECT_EQ(l.bytes_per_pixel, 4u);
  EXPECT_EQ(l.encode(0x12, 0x34, 0x56), 0x123456u);
}

TEST(PixelLayout, Rgbx8IsRedInTheLowByte) {
  const auto l = ok(PixelFormat::kRgbx8, 0, 0, 0, 0);
  EXPECT_EQ(l.bytes_per_pixel, 4u);
  EXPECT_EQ(l.encode(0x12, 0x34, 0x56), 0x563412u);
}

TEST(PixelLayout, Bitmask32MatchesRgbx8) {
  const auto l = ok(PixelFormat::kBitmask, 0xff, 0xff00, 0xff0000, 0xff000000);
  EXPECT_EQ(l.bytes_per_pixel, 4u);
  EXPECT_EQ(l.encode(0x12, 0x34, 0x56), 0x563412u);
}

TEST(PixelLayout, Bitmask24IsThreeBytes) {
  const auto l = ok(PixelFormat::kBitmask, 0xff0000, 0xff00, 0xff, 0);
  EXPECT_EQ(l.bytes_per_pixel, 3u);
  EXPECT_EQ(l.red.shift, 16u);
  EXPECT_EQ(l.red.width, 8u);
  EXPECT_EQ(l.encode(0x12, 0x34, 0x56), 0x123456u);
}

TEST(PixelLayout, Rgb565ScalesEachChannel) {
  const auto l = ok(PixelFormat::kBitmask, 0xf800, 0x07e0, 0x001f, 0);
  EXPECT_EQ(l.bytes_per_pixel, 2u);
  EXPECT_EQ(l.green.shift, 5u);
  EXPECT_EQ(l.green.width, 6u);
  EXPECT_EQ(l.encode(0xff, 0xff, 0xff), 0xffffu);
  EXPECT_EQ(l.encode(0, 0, 0), 0u);
  // 0xC0 of 255 is 23.3 of 31 and 47.4 of 63, rounded to the nearest.
  EXPECT_EQ(l.encode(0xc0, 0xc0, 0xc0), (23u << 11) | (47u << 5) | 23u);
  EXPECT_EQ(l.encode(0xff, 0, 0), 0xf800u);
}

TEST(PixelLayout, Rgb555WithOrWithoutTheReservedBitIsTwoBytes) {
  EXPECT_EQ(ok(PixelFormat::kBitmask, 0x7c00, 0x03e0, 0x001f, 0x8000).bytes_per_pixel, 2u);
  EXPECT_EQ(ok(PixelFormat::kBitmask, 0x7c00, 0x03e0, 0x001f, 0).bytes_per_pixel, 2u);
}

TEST(PixelLayout, TenBitChannelsReachTheirFullRange) {
  const auto l = ok(PixelFormat::kBitmask, 0x3ff00000, 0x000ffc00, 0x000003ff, 0xc0000000);
  EXPECT_EQ(l.bytes_per_pixel, 4u);
  EXPECT_EQ(l.encode(0xff, 0, 0), 0x3ff00000u);
  EXPECT_EQ(l.encode(0, 0, 0xff), 0x3ffu);
}

TEST(PixelLayout, RefusesWhatCannotBeDrawn) {
  EXPECT_NE(refused(PixelFormat::kNone, 0, 0, 0, 0), "");
  EXPECT_NE(refused(static_cast<PixelFormat>(7), 0, 0, 0, 0), "");
  EXPECT_EQ(refused(PixelFormat::kBitmask, 0, 0xff00, 0xff, 0), "a colour mask is zero");
  EXPECT_EQ(refused(PixelFormat::kBitmask, 0xff80, 0x00ff, 0xff0000, 0), "colour masks overlap");
  EXPECT_EQ(refused(PixelFormat::kBitmask, 0xff, 0xff00, 0xff0000, 0x800000),
            "colour masks overlap");
  EXPECT_EQ(refused(PixelFormat::kBitmask, 0xf00f, 0x0ff0, 0xff0000, 0),
            "a colour mask is not one run of bits");
  // 3:3:2 in one byte: a palette-era mode.
  EXPECT_NE(refused(PixelFormat::kBitmask, 0xe0, 0x1c, 0x03, 0), "");
}

TEST(PixelLayout, ModeMustAgreeWithItsBitsPerPixel) {
  boot::Framebuffer fb{};
  fb.format = PixelFormat::kBitmask;
  fb.red_mask = 0xf800;
  fb.green_mask = 0x07e0;
  fb.blue_mask = 0x001f;
  fb.bits_per_pixel = 16;
  EXPECT_TRUE(pixel_layout(fb).ok());
  fb.bits_per_pixel = 32;
  ASSERT_FALSE(pixel_layout(fb).ok());
  EXPECT_EQ(std::string(pixel_layout(fb).error()),
            "bits_per_pixel disagrees with the pixel format");
  fb = boot::Framebuffer{};
  fb.format = PixelFormat::kBgrx8;
  fb.bits_per_pixel = 32;
  EXPECT_TRUE(pixel_layout(fb).ok());
  fb.bits_per_pixel = 0;  // a version-1 loader never set it
  EXPECT_FALSE(pixel_layout(fb).ok());
}

}  // namespace
