// panic(): report an unrecoverable kernel error once and stop.
//
//   panic("mm: frame {:#x} freed twice", phys);
//
// First stops every other CPU (kernel/cpus/ipi/panic_stop.h: IPI, then NMI; bounded), then
// prints "PANIC: <message>" and a backtrace of the caller to every console (without the
// console lock: another CPU may hold it), one line per other CPU saying where it stopped, and
// the lock statistics when `lockstat` was given; then stops: in QEMU-exit mode (command line
// `qemu_exit`) QEMU exits with failure status, otherwise the CPU halts with interrupts off.
// A panic while panicking (a fault in the report itself) does not print again; it stops. A
// panic on another CPU while one is reported stops that CPU quietly (it shows in the report).
#pragma once

#include "smp/klib/format.h"

[[noreturn]] void vpanic(fmt::StringView format, const fmt::Arg* args, std::size_t count);

template <typename... Args>
[[noreturn]] void panic(fmt::StringView format, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vpanic(format, nullptr, 0);
  } else {
    const fmt::Arg packed[] = {fmt::make_arg(args)...};
    vpanic(format, packed, sizeof...(Args));
  }
}

namespace kpanic {

// For reporters that print their own context (the exception handler): switches the consoles
// to panic mode and returns true the first time; false when a panic is already under way, in
// which case the caller must not print and should call stop() at once.
[[nodiscard]] bool begin();

// Stops the kernel after a panic report (see the header comment). Needs begin() first.
[[noreturn]] void stop();

// Whether stop() should exit QEMU (set from the command line).
void set_qemu_exit(bool enabled);

}  // namespace kpanic
