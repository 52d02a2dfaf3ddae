// Panic stop: the first CPU to panic stops every other online CPU before it prints, so one
// report comes out and nothing runs on behind it. A kPanicStop IPI first; a CPU that has not
// stopped after kStopIpiWaitNs (interrupts off) gets an NMI. Each stopped CPU records where it
// was (RIP, RSP, its CPU number, how it was stopped) in its per-CPU record and halts for good;
// the panicking CPU prints one line per CPU.
#pragma once

#include <cstdint>

#include "smp/klib/format.h"

namespace kcpus {

inline constexpr std::uint64_t kStopIpiWaitNs = 100'000'000;  // then NMI
inline constexpr std::uint64_t kStopNmiWaitNs = 500'000'000;  // then report "did not stop"

// Boot CPU, once after the APs are online: the kPanicStop handler and the NMI hook.
void init_panic_stop();

// Called by the panicking CPU (interrupts off, klog in panic mode): stops the others, bounded.
void stop_other_cpus();
// Prints one line per other online CPU: where it stopped, or that it did not.
void print_stopped_cpus(fmt::Sink& sink);

// A CPU that entered panic while another CPU's panic is under way: records itself as stopped
// at its caller and halts (it must not exit QEMU under the first report).
[[noreturn]] void stop_this_cpu_for_panic(std::uint64_t rip, std::uint64_t rsp);

}  // namespace kcpus
