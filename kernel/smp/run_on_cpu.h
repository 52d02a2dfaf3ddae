// "Run this on CPU n": a one-slot mailbox per CPU, served by the target's idle loop after a
// wake-up IPI. The simple precursor of the cross-CPU call service (next issue); used by the
// SMP tests. Not for interrupt context.
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace smp {

using CpuFunction = void (*)(void* arg);

// Runs fn(arg) on `cpu` with interrupts off there, and waits (bounded by `timeout_ns`) until it
// has returned. On the current CPU it is a direct call. False when the CPU is not online, its
// mailbox stayed busy, or it did not finish in time; then the request may still run later, so
// `arg` must outlive it (static data in the tests). One caller per target at a time is enforced
// by a claim flag.
[[nodiscard]] bool run_on_cpu(platform::CpuNumber cpu, CpuFunction fn, void* arg,
                              std::uint64_t timeout_ns);

// The idle loop of an AP after its release: serves its mailbox, otherwise halts with
// interrupts enabled (any interrupt wakes it).
[[noreturn]] void ap_idle_loop();

}  // namespace smp
