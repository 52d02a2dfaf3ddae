// The console's shadow: scrolling and incremental flushes must leave exactly the pixels that
// drawing the final text from scratch gives (checked against an independent per-pixel renderer),
// in every pixel size, never touching the padding past a line's pixels, and a flush must write
// only cells whose character changed.
#include "kernel/console/text_screen.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kernel/console/font8x16.h"

namespace {

using console::kFontHeight;
using console::kFontWidth;
using console::PixelLayout;
using console::TextScreen;

constexpr std::uint8_t kPoison = 0xAA;  // what the buffer holds before the console clears it
constexpr std::size_t kPadding = 12;    // bytes past each line's pixels (a stride > width)

struct Case {
  const char* name;
  boot::PixelFormat format;
  std::uint32_t r, g, b, x;
};

class Console {
 public:
  Console(const Case& c, std::uint32_t width, std::uint32_t height) {
    auto layout = console::pixel_layout(c.format, c.r, c.g, c.b, c.x);
    EXPECT_TRUE(layout.ok());
    const std::uint64_t bytes_per_line = width * layout.value().bytes_per_pixel + kPadding;
    geometry_ = console::ScreenGeometry{width, height, bytes_per_line, layout.value()};
    pixels_.assign(geometry_.bytes_per_line * height + kPadding, kPoison);
    fg_ = layout.value().encode(0xC0, 0xC0, 0xC0);
    bg_ = layout.value().encode(0x10, 0x20, 0x30);  // not 0: a missed clear shows
    screen_->init(geometry_, pixels_.data(), fg_, bg_);
    text_ = console::TextLayout(screen_->columns(), screen_->rows());
  }

  // One klog line: the text, then a flush.
  void line(const std::string& s) {
    text_.write(s.data(), s.size(), *screen_);
    screen_->flush();
  }
  void write_no_flush(const std::string& s) { text_.write(s.data(), s.size(), *screen_); }

  // The shadow's characters, row by row.
  std::vector<std::string> grid() const {
    std::vector<std::string> rows(screen_->rows(), std::string(screen_->columns(), ' '));
    for (unsigned r = 0; r < screen_->rows(); ++r) {
      for (unsigned c = 0; c < screen_->columns(); ++c) rows[r][c] = screen_->cell(c, r);
    }
    return rows;
  }

  // Every byte of the buffer drawn from `grid` from scratch, one pixel at a time.
  std::vector<std::uint8_t> reference(const std::vector<std::string>& grid) const {
    std::vector<std::uint8_t> out(pixels_.size(), kPoison);
    const unsigned bpp = geometry_.layout.bytes_per_pixel;
    for (std::uint32_t y = 0; y < geometry_.height; ++y) {
      for (std::uint32_t x = 0; x < geometry_.width; ++x) {
        std::uint32_t value = bg_;
        const unsigned row = y / kFontHeight, column = x / kFontWidth;
        if (row < grid.size() && column < grid[row].size()) {
          const std::uint8_t bits = console::font_glyph(grid[row][column])[y % kFontHeight];
          if (bits & (0x80u >> (x % kFontWidth))) value = fg_;
        }
        for (unsigned b = 0; b < bpp; ++b) {
          out[y * geometry_.bytes_per_line + x * bpp + b] =
              static_cast<std::uint8_t>(value >> (8 * b));
        }
      }
    }
    return out;
  }

  std::vector<std::uint8_t>& pixels() { return pixels_; }
  const console::ScreenGeometry& geometry() const { return geometry_; }
  TextScreen& screen() { return *screen_; }

 private:
  console::ScreenGeometry geometry_{};
  std::vector<std::uint8_t> pixels_;
  std::uint32_t fg_ = 0, bg_ = 0;
  std::unique_ptr<TextScreen> screen_ = std::make_unique<TextScreen>();  // ~560 KiB
  console::TextLayout text_;
};

// Index of the first differing byte, or -1.
long first_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return static_cast<long>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<long>(std::min(a.size(), b.size()));
}

class TextScreenTest : public ::testing::TestWithParam<Case> {};

// 100x70 pixels: 12 columns and 4 rows, with a partial cell on the right and at the bottom.
TEST_P(TextScreenTest, ClearPaintsTheWholeModeAndNothingElse) {
  Console con(GetParam(), 100, 70);
  EXPECT_EQ(con.screen().columns(), 12u);
  EXPECT_EQ(con.screen().rows(), 4u);
  EXPECT_EQ(first_difference(con.pixels(), con.reference(con.grid())), -1);
}

TEST_P(TextScreenTest, ScrollingGivesThePixelsOfADrawFromScratch) {
  Console con(GetParam(), 100, 70);
  // Lines of every length, some wrapping, a tab, characters outside the font; flushed per line
  // as klog does, so every flush after the fourth line scrolls.
  const char* lines[] = {"boot", "", "a line that wraps twice!!", "x\ty", "\x01\x7f~",
                         "0123456789ab", "short", "0123456789abc", "z"};
  for (int round = 0; round < 5; ++round) {
    for (const char* l : lines) {
      con.line(std::string(l) + "\n");
      ASSERT_EQ(first_difference(con.pixels(), con.reference(con.grid())), -1)
          << "after \"" << l << "\" in round " << round;
    }
  }
  // The shadow itself holds the last lines: "0123456789abc" wrapped into two rows, then "z".
  const std::vector<std::string> want = {"0123456789ab", "c           ", "z           ",
                                         "            "};
  EXPECT_EQ(con.grid(), want);
}

TEST_P(TextScreenTest, ScrollingAwayAFlushedBottomLine) {
  Console con(GetParam(), 100, 70);
  // Text flushed on the bottom row, then the newline that scrolls it up by itself.
  for (int i = 0; i < 9; ++i) {
    con.line("row " + std::to_string(i));
    ASSERT_EQ(first_difference(con.pixels(), con.reference(con.grid())), -1) << "text " << i;
    con.line("\n");
    ASSERT_EQ(first_difference(con.pixels(), con.reference(con.grid())), -1) << "newline " << i;
  }
}

TEST_P(TextScreenTest, ManyScrollsBeforeOneFlushAreOneRedraw) {
  Console con(GetParam(), 100, 70);
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += "line " + std::to_string(i) + "\n";
  con.write_no_flush(burst);
  con.screen().flush();
  const std::vector<std::string> want = {"line 47     ", "line 48     ", "line 49     ",
                                         "            "};
  EXPECT_EQ(con.grid(), want);
  EXPECT_EQ(first_difference(con.pixels(), con.reference(want)), -1);
}

TEST_P(TextScreenTest, FlushWritesOnlyChangedCells) {
  Console con(GetParam(), 100, 70);
  con.line("abc\n");
  // Scribble over a pixel of cell (1, 0) ('b'), which no later write changes.
  const std::size_t bpp = con.geometry().layout.bytes_per_pixel;
  const std::size_t scribble = 3 * con.geometry().bytes_per_line + (1 * kFontWidth + 2) * bpp;
  con.pixels()[scribble] ^= 0xff;
  const std::uint8_t scribbled = con.pixels()[scribble];
  con.line("def\n");          // row 1 only
  con.line("\rabc");          // row 2; then row 2's 'abc' again over itself
  con.line("\rabc");
  EXPECT_EQ(con.pixels()[scribble], scribbled);
  auto want = con.reference(con.grid());
  want[scribble] = scribbled;
  EXPECT_EQ(first_difference(con.pixels(), want), -1);
}

TEST_P(TextScreenTest, ModesBeyondTheGridUseTheirTopLeft) {
  // Wider than kMaxColumns cells: the extra pixels are background, never text.
  const std::uint32_t width = TextScreen::kMaxColumns * kFontWidth + 24;
  Console con(GetParam(), width, 40);
  EXPECT_EQ(con.screen().columns(), TextScreen::kMaxColumns);
  EXPECT_EQ(con.screen().rows(), 2u);
  con.line(std::string(TextScreen::kMaxColumns + 5, '#') + "\n");
  EXPECT_EQ(first_difference(con.pixels(), con.reference(con.grid())), -1);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, TextScreenTest,
    ::testing::Values(Case{"bgrx8", boot::PixelFormat::kBgrx8, 0, 0, 0, 0},
                      Case{"mask32", boot::PixelFormat::kBitmask, 0x3ff00000, 0xffc00, 0x3ff,
                           0xc0000000},
                      Case{"mask24", boot::PixelFormat::kBitmask, 0xff0000, 0xff00, 0xff, 0},
                      Case{"rgb565", boot::PixelFormat::kBitmask, 0xf800, 0x07e0, 0x001f, 0}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
