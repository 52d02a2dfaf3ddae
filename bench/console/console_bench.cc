// Lines per second of the framebuffer console drawing into a memory buffer the size of a
// 1920x1080 or 3840x2160 BGRX8 framebuffer, every line scrolling the full screen: ours (text
// shadow, only changed cells written, the pixels never read: kernel/console/text_screen.h) and
// the read-back console it replaced (bench/console/readback_console.h). Names:
// "Scroll/<resolution>/<text>/<implementation>" (bench/report.py).
//
//   text  distinct: every line differs from the one above in every cell (40..120 characters):
//                   the shadow's worst case, every cell holding text is redrawn
//         bootlog:  the lines of a real boot log, cycled
//
// Counters per line: fb_read_bytes and fb_written_bytes, the framebuffer traffic. On a PC the
// framebuffer is uncached (or write-combining) PCI memory, where a read costs about a
// microsecond: this benchmark's host RAM hides that, the read counter shows it (docs/console.md).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/console/readback_console.h"
#include "kernel/console/bench_text.h"
#include "kernel/boot/pixel_layout.h"
#include "kernel/console/text_layout.h"
#include "kernel/console/text_screen.h"

namespace {

namespace text = console::bench_text;

constexpr std::uint32_t kForeground = 0xC0C0C0;  // BGRX8 light grey, as the kernel draws
constexpr std::uint32_t kBackground = 0;

// The next line of `kind`, numbered `i`.
struct Lines {
  bool boot_log;
  char buffer[text::kMaxDistinctLine];
  std::size_t next(unsigned i, const char*& out) {
    if (boot_log) {
      out = text::kBootLog[i % text::kBootLogLines];
      return __builtin_strlen(out);
    }
    out = buffer;
    return text::distinct_line(i, buffer);
  }
};

struct Shadow {
  Shadow(std::uint32_t* pixels, std::uint32_t width, std::uint32_t height) {
    auto layout = console::pixel_layout(boot::PixelFormat::kBgrx8, 0, 0, 0, 0);
    screen->init({width, height, std::uint64_t{width} * 4, layout.value()}, pixels, kForeground,
                 kBackground);
    layout_ = console::TextLayout(screen->columns(), screen->rows());
  }
  // What the kernel's FramebufferConsole::write does per klog line.
  void write(const char* s, std::size_t n) {
    layout_.write(s, n, *screen);
    screen->flush();
  }
  unsigned rows() const { return layout_.rows(); }
  std::uint64_t bytes_read() const { return 0; }  // flush never reads the pixels
  std::uint64_t bytes_written() const { return screen->bytes_written(); }

  std::unique_ptr<console::TextScreen> screen = std::make_unique<console::TextScreen>();
  console::TextLayout layout_;
};

struct Readback {
  Readback(std::uint32_t* pixels, std::uint32_t width, std::uint32_t height)
      : console(pixels, width, height, width, kForeground, kBackground),
        rows_(height / console::kFontHeight) {}
  void write(const char* s, std::size_t n) { console.write(s, n); }
  unsigned rows() const { return rows_; }
  std::uint64_t bytes_read() const { return console.bytes_read(); }
  std::uint64_t bytes_written() const { return console.bytes_written(); }

  console_bench::ReadbackConsole console;
  unsigned rows_;
};

template <typename Console>
void scroll(benchmark::State& state, std::uint32_t width, std::uint32_t height, bool boot_log) {
  std::vector<std::uint32_t> pixels(std::size_t{width} * height);
  Console console(pixels.data(), width, height);
  Lines lines{boot_log, {}};
  unsigned i = 0;
  const char* line = nullptr;
  // Fill the screen first: every timed line scrolls.
  for (; i < console.rows(); ++i) {
    const std::size_t n = lines.next(i, line);
    console.write(line, n);
  }
  const std::uint64_t read_before = console.bytes_read();
  const std::uint64_t written_before = console.bytes_written();
  for (auto _ : state) {
    const std::size_t n = lines.next(i++, line);
    console.write(line, n);
    benchmark::ClobberMemory();
  }
  const double count = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());  // items_per_second: lines per second
  state.counters["fb_read_bytes"] = static_cast<double>(console.bytes_read() - read_before) / count;
  state.counters["fb_written_bytes"] =
      static_cast<double>(console.bytes_written() - written_before) / count;
}

int register_all() {
  struct Resolution {
    const char* name;
    std::uint32_t width, height;
  };
  for (const Resolution r :
       {Resolution{"1920x1080", 1920, 1080}, Resolution{"3840x2160", 3840, 2160}}) {
    for (const bool boot_log : {false, true}) {
      const std::string base =
          std::string("Scroll/") + r.name + (boot_log ? "/bootlog" : "/distinct");
      benchmark::RegisterBenchmark((base + "/ours:shadow").c_str(), [=](benchmark::State& s) {
        scroll<Shadow>(s, r.width, r.height, boot_log);
      })->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((base + "/readback").c_str(), [=](benchmark::State& s) {
        scroll<Readback>(s, r.width, r.height, boot_log);
      })->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}

[[maybe_unused]] const int g_registered = register_all();

}  // namespace
