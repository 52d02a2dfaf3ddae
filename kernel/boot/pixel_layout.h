// How one framebuffer pixel is stored: its size and where each colour channel sits, derived from
// the mode the loader reported (boot::Framebuffer). kRgbx8 and kBgrx8 are 32-bit pixels;
// kBitmask pixels are 16, 24 or 32 bits with any non-overlapping, contiguous channel masks
// (the size is the highest mask bit rounded up to whole bytes, UEFI 2.10 12.9 PixelBitMask).
// Pure code: the loader uses it to fill Framebuffer::bits_per_pixel, the kernel to check that
// field and to draw; tests/host/kernel/pixel_layout_test.cc covers it.
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"

namespace console {

// A channel's bit field: `width` bits starting at bit `shift` of the pixel value.
struct ChannelField {
  std::uint8_t shift = 0;
  std::uint8_t width = 0;
};

struct PixelLayout {
  unsigned bytes_per_pixel = 0;  // 2, 3 or 4
  ChannelField red;
  ChannelField green;
  ChannelField blue;

  // The pixel value (little endian, low bytes_per_pixel bytes) for an 8-bit-per-channel colour,
  // each channel scaled to its width with rounding (0 stays 0, 255 becomes all ones).
  std::uint32_t encode(std::uint8_t r, std::uint8_t g, std::uint8_t b) const;
};

// The layout of `format` with the given masks (masks only matter for kBitmask), or a short
// English reason it cannot be drawn (kNone, a zero, overlapping or non-contiguous mask, or
// pixels other than 16, 24 or 32 bits).
klib::Result<PixelLayout, const char*> pixel_layout(boot::PixelFormat format,
                                                    std::uint32_t red_mask,
                                                    std::uint32_t green_mask,
                                                    std::uint32_t blue_mask,
                                                    std::uint32_t reserved_mask);

// The layout of a mode from the loader, also checking that its bits_per_pixel agrees.
klib::Result<PixelLayout, const char*> pixel_layout(const boot::Framebuffer& mode);

}  // namespace console
