// Kernel logging: one type-safe formatter (smp/klib/format.h), every line to every console
// (serial when present, the framebuffer text console when there is one).
//
//   klog::info("smp: {} of {} CPUs online", online, total);
//
// Each call prints one line (the newline is added). Safe before the heap exists and from any
// CPU; lines from different CPUs do not interleave.
#pragma once

#include "smp/klib/format.h"

namespace klog {

enum class Level : unsigned { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo; `loglevel=debug` on the command line.
void set_level(Level level);
Level level();

// Formats one line at `level` and sends it to every registered console.
void vline(Level level, fmt::StringView format, const fmt::Arg* args, std::size_t count);

template <typename... Args>
void line(Level lvl, fmt::StringView format, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vline(lvl, format, nullptr, 0);
  } else {
    const fmt::Arg packed[] = {fmt::make_arg(args)...};
    vline(lvl, format, packed, sizeof...(Args));
  }
}

template <typename... Args>
void debug(fmt::StringView f, const Args&... a) { line(Level::kDebug, f, a...); }
template <typename... Args>
void info(fmt::StringView f, const Args&... a) { line(Level::kInfo, f, a...); }
template <typename... Args>
void warn(fmt::StringView f, const Args&... a) { line(Level::kWarn, f, a...); }
template <typename... Args>
void error(fmt::StringView f, const Args&... a) { line(Level::kError, f, a...); }

// A console that receives whole lines. Registered consoles live forever.
class Console {
 public:
  virtual void write(const char* text, std::size_t length) = 0;
  // The terminal's output, already processed (its line discipline turned "\n" into "\r\n"
  // when ONLCR is on): a console that translates line ends in write() sends these as they are.
  virtual void write_bytes(const char* text, std::size_t length) { write(text, length); }
  Console* next = nullptr;

 protected:
  ~Console() = default;
};
void add_console(Console& console);

// Raw text to every console without a prefix or newline: for panic and the test summary,
// which must go out even when locks may be held by a stopped CPU (see `panic_mode`).
void write_raw(const char* text, std::size_t length);

// Runs fn(arg) holding the console lock (interrupts off), as a line write does: for code that
// drives one console directly and must not interleave with lines from other CPUs (the console
// benchmark). fn must not log: the lock is not recursive. Waits at most as long as a line.
void with_console_lock(void (*fn)(void*), void* arg);

// The terminal's processed output to every console (Console::write_bytes), under the console
// lock as a line: kernel lines and terminal output never interleave inside either.
void write_terminal(const char* text, std::size_t length);

// After a panic: stop taking the console lock (another CPU may hold it forever).
void enter_panic_mode();

}  // namespace klog
