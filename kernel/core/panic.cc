#include "kernel/core/panic.h"

#include <atomic>

#include "kernel/core/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/power.h"
#include "kernel/cpus/ipi/panic_stop.h"
#include "kernel/cpus/ipi/service_options.h"

namespace kpanic {
namespace {

// Number of panics entered. The first one reports; any later one (a fault inside the report,
// or another CPU panicking at the same time) goes straight to stop().
std::atomic<unsigned> g_panics{0};
std::atomic<bool> g_qemu_exit{false};
// The CPU whose panic is reported (0xFFFFFFFF: none); a later panic on another CPU stops that
// CPU quietly instead of ending the machine under the first report.
std::atomic<std::uint32_t> g_panic_cpu{0xFFFF'FFFFu};
// The report's tail (the other CPUs, lockstat) has been printed.
std::atomic<bool> g_tail_done{false};

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
  g_panic_cpu.store(arch::current_cpu_index(), std::memory_order_release);
  klog::enter_panic_mode();
  // Before printing anything: the others stop where they are (bounded: IPI, then NMI), so the
  // report is the only output and nothing runs on behind it.
  kcpus::stop_other_cpus();
  return true;
}

void stop() {
  const std::uint32_t self = arch::current_cpu_index();
  const std::uint32_t first = g_panic_cpu.load(std::memory_order_acquire);
  if (first != self) {
    // Another CPU's panic is (or is about to be) reported: be one of the stopped CPUs.
    kcpus::stop_this_cpu_for_panic(reinterpret_cast<std::uint64_t>(__builtin_return_address(0)),
                                 reinterpret_cast<std::uint64_t>(__builtin_frame_address(0)));
  }
  if (!g_tail_done.exchange(true, std::memory_order_acq_rel)) {
    RawSink sink;
    kcpus::print_stopped_cpus(sink);
    kcpus::print_lockstat_if_requested();
  }
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
  kpanic::print_backtrace(arch::read_rbp(), 0);
  kpanic::stop();
}
