#include "kernel/core/panic.h"

#include <atomic>

#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/core/power.h"

namespace kpanic {
namespace {

// Number of panics entered. The first one reports; any later one (a fault inside the report,
// or another CPU panicking at the same time) goes straight to stop().
std::atomic<unsigned> g_panics{0};
std::atomic<bool> g_qemu_exit{false};

// A sink that writes straight to the consoles (klog is in panic mode: no lock).
class RawSink final : public fmt::Sink {
 public:
  void write(const char* text, std::size_t length) override { klog::write_raw(text, length); }
};

}  // namespace

bool begin() {
  // Interrupts stay off from here on: nothing may run on this CPU but the report.
  arch::cli();
  if (g_panics.fetch_add(1, std::memory_order_acq_rel) != 0) return false;
  klog::enter_panic_mode();
  return true;
}

void stop() {
  if (g_qemu_exit.load(std::memory_order_relaxed)) power::qemu_exit(power::QemuExit::kFailure);
  arch::halt_forever();
}

void set_qemu_exit(bool enabled) { g_qemu_exit.store(enabled, std::memory_order_relaxed); }

}  // namespace kpanic

void vpanic(fmt::StringView format, const fmt::Arg* args, std::size_t count) {
  if (!kpanic::begin()) kpanic::stop();
  kpanic::RawSink sink;
  sink.write("\nPANIC: ", 8);
  fmt::vformat(sink, format, args, count);
  sink.write("\n", 1);
  // The backtrace starts at our caller's frame: this function's own frame is noise.
  arch::print_backtrace(arch::read_rbp(), 0);
  kpanic::stop();
}
