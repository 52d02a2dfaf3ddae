// The framebuffer text console's drawing engine: a text shadow in RAM and a copy of what the
// framebuffer shows, so the framebuffer is only ever written, never read (video memory is
// uncached or write-combining on a real PC, where reading it back costs about a microsecond per
// word: seconds per scrolled line at 1080p). TextLayout draws and scrolls in the shadow;
// flush() then writes the cells whose character differs from what is on screen, as whole pixel
// rows of one span per text row (write-combining friendly). docs/console.md has the design and
// the figures; tests/host/kernel/text_screen_test.cc checks that scrolling gives the pixels a
// redraw from scratch gives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/console/font8x16.h"
#include "kernel/boot/pixel_layout.h"
#include "kernel/console/text_layout.h"

namespace console {

// Where and how big the pixels are. bytes_per_line >= width * layout.bytes_per_pixel.
struct ScreenGeometry {
  std::uint32_t width = 0;   // pixels
  std::uint32_t height = 0;  // pixels
  std::uint64_t bytes_per_line = 0;
  PixelLayout layout;
};

class TextScreen final : public TextBackend {
 public:
  // The largest grid kept (7680x4320, 8K UHD, in 8x16 cells); a bigger mode uses its top-left
  // part. Both grids live in the object: no allocator needed at early boot.
  static constexpr unsigned kMaxColumns = 960;
  static constexpr unsigned kMaxRows = 270;

  constexpr TextScreen() = default;

  // Starts drawing on `pixels` (geometry checked by the caller: every byte of height lines of
  // bytes_per_line must be writable) in `foreground` on `background` (pixel values from
  // geometry.layout.encode). Clears the whole mode to the background, then the grid is blank.
  void init(const ScreenGeometry& geometry, volatile void* pixels, std::uint32_t foreground,
            std::uint32_t background);

  unsigned columns() const { return columns_; }
  unsigned rows() const { return rows_; }

  // TextBackend: change the shadow only. Coordinates inside the grid.
  void draw_cell(unsigned column, unsigned row, char c) override;
  void scroll_up() override;

  // Writes every cell whose shadow character differs from the one on screen, and nothing else.
  // Never reads the pixels.
  void flush();

  // The character the shadow holds at a cell (for tests and the in-kernel check).
  char cell(unsigned column, unsigned row) const { return wanted_[row * columns_ + column]; }
  // Bytes written to the pixels since init (the clear included): what a line costs.
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  void render_span(unsigned row, unsigned first, unsigned last);
  template <unsigned kBytesPerPixel>
  void compose_line(unsigned glyph_row, unsigned cells);
  void fill_background();

  volatile std::uint8_t* pixels_ = nullptr;
  ScreenGeometry geometry_{};
  unsigned columns_ = 0;
  unsigned rows_ = 0;
  unsigned cell_bytes_ = 0;  // bytes of one glyph row: kFontWidth * bytes_per_pixel
  std::uint32_t background_ = 0;
  std::uint64_t bytes_written_ = 0;
  // The 8 pixels of every glyph-row bit pattern in the current colours, ready to copy.
  std::uint8_t expanded_[256][kFontWidth * 4] = {};
  // One pixel row of a span, composed in RAM and copied out in one go, and the glyphs of the
  // span's cells (looked up once per text row, used for its 16 pixel rows).
  std::uint8_t line_[kMaxColumns * kFontWidth * 4] = {};
  const std::uint8_t* glyphs_[kMaxColumns] = {};
  // Row-major [rows_][columns_]: what TextLayout wants, and what the pixels show.
  char wanted_[kMaxColumns * kMaxRows] = {};
  char shown_[kMaxColumns * kMaxRows] = {};
  bool dirty_[kMaxRows] = {};
};

}  // namespace console
