// The framebuffer console on the real framebuffer: how many lines per second it scrolls, and
// that what it leaves in video memory is the text it was given (read back pixel by pixel).
#include "kernel/console/bench_text.h"
#include "kernel/console/font8x16.h"
#include "kernel/console/framebuffer_console.h"
#include "kernel/boot/pixel_layout.h"
#include "kernel/core/boot_state.h"
#include "kernel/mm/mm.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"

namespace {

using console::FramebufferConsole;

struct ScrollRun {
  FramebufferConsole* console;
  unsigned lines;
  bool boot_log;  // the boot-log lines, else the every-cell-differs worst case
  std::uint64_t elapsed_ns;
  std::uint64_t bytes;  // written to the framebuffer
  char last[console::bench_text::kMaxDistinctLine];
  std::size_t last_length;
  // Checked under the lock, before another CPU's line can scroll the screen.
  bool cursor_ok;
  bool text_ok;
  bool pixels_ok;
};

bool row_matches_shadow(const FramebufferConsole& c, const boot::Framebuffer& fb, unsigned row);

// The last line sits just above the cursor, which is on the blank bottom row; the shadow holds
// it, and video memory holds its glyphs (and a blank row below).
void check_last_line(ScrollRun& run) {
  const FramebufferConsole& c = *run.console;
  const unsigned row = c.rows() - 2;
  run.cursor_ok = c.cursor_row() == c.rows() - 1;
  run.text_ok = true;
  for (unsigned column = 0; column < c.columns(); ++column) {
    const char want = column + 1 < run.last_length ? run.last[column] : ' ';
    if (c.cell(column, row) != want) run.text_ok = false;
  }
  const boot::Framebuffer& fb = core::boot_info().framebuffer;
  run.pixels_ok = row_matches_shadow(c, fb, row) && row_matches_shadow(c, fb, row + 1);
}

void scroll(void* arg) {
  auto& run = *static_cast<ScrollRun*>(arg);
  const unsigned columns = run.console->columns();
  const std::uint64_t bytes_before = run.console->bytes_written();
  const std::uint64_t start = ktime::now_ns();
  for (unsigned i = 0; i < run.lines; ++i) {
    if (run.boot_log) {
      const char* line = console::bench_text::kBootLog[i % console::bench_text::kBootLogLines];
      run.console->write(line, __builtin_strlen(line));
      continue;
    }
    std::size_t length = console::bench_text::distinct_line(i, run.last);
    if (length - 1 > columns) {  // one row each, so the last one is easy to find
      run.last[columns] = '\n';
      length = columns + 1;
    }
    run.last_length = length;
    run.console->write(run.last, length);
  }
  run.elapsed_ns = ktime::now_ns() - start;
  run.bytes = run.console->bytes_written() - bytes_before;
  if (!run.boot_log) check_last_line(run);
}

// Reads back every pixel of text row `row` and compares it with the glyphs of the shadow.
bool row_matches_shadow(const FramebufferConsole& c, const boot::Framebuffer& fb, unsigned row) {
  auto layout = console::pixel_layout(fb);
  if (!layout.ok()) return false;
  const unsigned bpp = layout.value().bytes_per_pixel;
  const std::uint64_t bytes_per_line = std::uint64_t{fb.pixels_per_scanline} * bpp;
  const auto* base = mm::phys_to<volatile std::uint8_t>(fb.physical_base);
  for (unsigned column = 0; column < c.columns(); ++column) {
    const std::uint8_t* glyph = console::font_glyph(c.cell(column, row));
    for (unsigned gy = 0; gy < console::kFontHeight; ++gy) {
      for (unsigned gx = 0; gx < console::kFontWidth; ++gx) {
        const std::uint64_t y = std::uint64_t{row} * console::kFontHeight + gy;
        const std::uint64_t x = std::uint64_t{column} * console::kFontWidth + gx;
        const volatile std::uint8_t* p = base + y * bytes_per_line + x * bpp;
        std::uint32_t value = 0;
        for (unsigned b = 0; b < bpp; ++b) value |= std::uint32_t{p[b]} << (8 * b);
        const bool ink = (glyph[gy] & (0x80u >> gx)) != 0;
        if (value != (ink ? c.foreground() : c.background())) return false;
      }
    }
  }
  return true;
}

}  // namespace

KTEST(console_framebuffer_scroll_rate) {
  FramebufferConsole& c = console::framebuffer_console();
  if (!c.active()) KSKIP("no framebuffer console");
  const boot::Framebuffer& fb = core::boot_info().framebuffer;
  // Three screens of each kind: all but the first screen's lines scroll.
  for (const bool boot_log : {false, true}) {
    ScrollRun run{&c, 3 * c.rows(), boot_log, 0, 0, {}, 0, false, false, false};
    klog::with_console_lock(scroll, &run);
    if (!boot_log) {
      KCHECK(run.cursor_ok);
      KCHECK(run.text_ok);
      KCHECK(run.pixels_ok);
    }
    const std::uint64_t per_second =
        run.elapsed_ns == 0 ? 0 : std::uint64_t{run.lines} * 1'000'000'000 / run.elapsed_ns;
    klog::info("console: {}x{} ({}x{} cells, {} bpp): {} {} lines in {} us: {} lines/s, "
               "{} KiB written per line",
               fb.width, fb.height, c.columns(), c.rows(), fb.bits_per_pixel, run.lines,
               boot_log ? "boot-log" : "all-cells-differ", run.elapsed_ns / 1000, per_second,
               run.bytes / run.lines / 1024);
  }
}
