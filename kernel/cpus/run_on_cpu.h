// "Run this on CPU n and wait": a synchronous cross-CPU call (kernel/cpus/ipi/call_function.h)
// with a plain function pointer and argument, for tests and start-up code. Not for interrupt
// context or a called function.
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace kcpus {

using CpuFunction = void (*)(void* arg);

// Runs fn(arg) on `cpu` with interrupts off there, and waits (bounded by `timeout_ns`) until it
// has returned. On the current CPU it is a direct call. False (reported by the call service)
// when the CPU is not online, the call service is not up yet, or the call did not finish in
// time; the request may then still run later, so `arg` must outlive it (static data in the
// tests). Any number of callers may target one CPU at once: requests queue.
[[nodiscard]] bool run_on_cpu(platform::CpuNumber cpu, CpuFunction fn, void* arg,
                              std::uint64_t timeout_ns);

// The idle loop of an AP that does not run the scheduler: halts with interrupts enabled, so
// cross-CPU calls and every other interrupt are served by their handlers.
[[noreturn]] void ap_idle_loop();

}  // namespace kcpus
