// A text console on the GOP framebuffer the loader left behind: 8x16 glyphs from the built-in
// font, light grey on black, scrolling when full, clipped to the mode (partial cells at the
// right and bottom edges stay unused). Any pixel layout console::pixel_layout accepts (32-bit
// RGB/BGR, 16/24/32-bit bit masks). Text goes into a shadow in RAM and only changed cells reach
// the framebuffer, which is never read (kernel/console/text_screen.h, docs/console.md).
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "kernel/console/log.h"
#include "kernel/console/text_layout.h"
#include "kernel/console/text_screen.h"

namespace console {

class FramebufferConsole final : public klog::Console {
 public:
  constexpr FramebufferConsole() = default;

  // Checks the mode the loader reported (never trusted: a pixel layout we can draw that agrees
  // with bits_per_pixel, stride >= width, size covering stride x height) and clears the screen.
  // `pixels` is where the framebuffer is mapped. Returns the reason, and stays inert, for a mode
  // it cannot draw on; nullptr on success.
  const char* init(const boot::Framebuffer& mode, volatile void* pixels);
  bool active() const { return active_; }
  // Stops drawing for good (the mapping went away). Single CPU at boot, so no lock needed.
  void disable() { active_ = false; }
  unsigned columns() const { return layout_.columns(); }
  unsigned rows() const { return layout_.rows(); }
  // The shadow's character at a cell (what the screen shows after write() returns).
  char cell(unsigned column, unsigned row) const { return screen_.cell(column, row); }
  // Where the cursor is: the next character goes to (column, row).
  unsigned cursor_row() const { return layout_.row(); }
  // The pixel values text and background are drawn with (in the mode's layout).
  std::uint32_t foreground() const { return foreground_; }
  std::uint32_t background() const { return background_; }
  // Bytes written to the framebuffer so far (TextScreen::bytes_written).
  std::uint64_t bytes_written() const { return screen_.bytes_written(); }

  // Lays the text out in the shadow, then copies the changed cells to the framebuffer.
  // Callers serialise (klog's console lock).
  void write(const char* text, std::size_t length) override;

 private:
  bool active_ = false;
  std::uint32_t foreground_ = 0;
  std::uint32_t background_ = 0;
  TextLayout layout_;
  TextScreen screen_;
};

FramebufferConsole& framebuffer_console();

}  // namespace console
