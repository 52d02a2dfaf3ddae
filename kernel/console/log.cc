// klog: formats each line on the caller's stack, then hands the whole line to every console
// under one lock, so lines from different CPUs never interleave (kernel/console/log.h).
#include "kernel/console/log.h"

#include <atomic>

#include "kernel/console/console_lock.h"

namespace klog {
namespace {

// Longest line kept; longer ones are cut and end with "...". On the stack of the caller, so
// it must stay small enough for the IST and boot stacks (16 KiB and up).
constexpr std::size_t kMaxLine = 512;

ConsoleLock g_lock;
// Consoles are pushed at the front under the lock and never removed; readers walk the list
// under the lock (or without it in panic mode, where no console is being added any more).
Console* g_consoles = nullptr;
std::atomic<Level> g_level{Level::kInfo};
std::atomic<bool> g_panic_mode{false};

fmt::StringView prefix(Level level) {
  switch (level) {
    case Level::kDebug: return "[debug] ";
    case Level::kInfo: return "[info] ";
    case Level::kWarn: return "[warn] ";
    case Level::kError: return "[error] ";
  }
  return "[?] ";
}

void write_all(const char* text, std::size_t length) {
  for (Console* c = g_consoles; c != nullptr; c = c->next) c->write(text, length);
}

// Writes under the console lock, or without it once the kernel is panicking (a stopped CPU
// may hold the lock forever).
void emit(const char* text, std::size_t length) {
  if (g_panic_mode.load(std::memory_order_acquire)) {
    write_all(text, length);
    return;
  }
  ConsoleLockGuard guard(g_lock);
  write_all(text, length);
}

}  // namespace

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void vline(Level lvl, fmt::StringView format, const fmt::Arg* args, std::size_t count) {
  if (static_cast<unsigned>(lvl) < static_cast<unsigned>(level())) return;
  char buffer[kMaxLine];
  // Leave room for the "...\n" tail, so a cut line still ends where a line should.
  fmt::FixedBuffer line(buffer, kMaxLine - 4);
  const fmt::StringView p = prefix(lvl);
  line.write(p.data, p.length);
  fmt::vformat(line, format, args, count);
  std::size_t length = line.size();
  if (line.truncated()) {
    for (int i = 0; i < 3; ++i) buffer[length++] = '.';
  }
  buffer[length++] = '\n';
  emit(buffer, length);
}

void add_console(Console& console) {
  ConsoleLockGuard guard(g_lock);
  console.next = g_consoles;
  g_consoles = &console;
}

void write_raw(const char* text, std::size_t length) { emit(text, length); }

void write_terminal(const char* text, std::size_t length) {
  if (g_panic_mode.load(std::memory_order_acquire)) return;  // the panic report has the screen
  ConsoleLockGuard guard(g_lock);
  for (Console* c = g_consoles; c != nullptr; c = c->next) c->write_bytes(text, length);
}

void with_console_lock(void (*fn)(void*), void* arg) {
  ConsoleLockGuard guard(g_lock);
  fn(arg);
}

void enter_panic_mode() { g_panic_mode.store(true, std::memory_order_release); }

}  // namespace klog
