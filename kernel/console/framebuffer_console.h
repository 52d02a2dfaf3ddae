// A text console on the GOP framebuffer the loader left behind: 8x16 glyphs from the built-in
// font, light grey on black, scrolling when full, clipped to the mode (partial cells at the
// right and bottom edges stay unused).
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "kernel/console/log.h"
#include "kernel/console/text_layout.h"

namespace console {

class FramebufferConsole final : public klog::Console, private TextBackend {
 public:
  constexpr FramebufferConsole() = default;

  // Checks the mode the loader reported (never trusted: size must cover stride x height,
  // stride >= width, a known pixel format) and clears the screen. `pixels` is where the
  // framebuffer is mapped. Returns false, and stays inert, for a mode it cannot draw on.
  bool init(const boot::Framebuffer& mode, volatile std::uint32_t* pixels);
  bool active() const { return pixels_ != nullptr; }
  // Stops drawing for good (the mapping went away). Single CPU at boot, so no lock needed.
  void disable() { pixels_ = nullptr; }
  unsigned columns() const { return layout_.columns(); }
  unsigned rows() const { return layout_.rows(); }

  void write(const char* text, std::size_t length) override;

 private:
  void draw_cell(unsigned column, unsigned row, char c) override;
  void scroll_up() override;
  void fill_rows(unsigned first_pixel_row, unsigned count, std::uint32_t value);

  volatile std::uint32_t* pixels_ = nullptr;
  std::uint32_t width_ = 0;
  std::uint32_t height_ = 0;
  std::uint32_t stride_ = 0;  // pixels per scan line
  std::uint32_t foreground_ = 0;
  std::uint32_t background_ = 0;
  TextLayout layout_;
};

// Encodes an 8-bit-per-channel colour for `mode` (0 for an unknown format). Pure.
std::uint32_t encode_pixel(const boot::Framebuffer& mode, std::uint8_t r, std::uint8_t g,
                           std::uint8_t b);

FramebufferConsole& framebuffer_console();

}  // namespace console
