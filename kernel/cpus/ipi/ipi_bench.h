// In-kernel benchmarks (`bench` on the command line), run by the boot CPU after the banner:
// IPI round trip (call-function to one CPU, sync), call-function to a set of 1..N-1 other
// CPUs (sync), and a TLB shootdown of one page and of a 64-page range to that set. Prints one
// table; results recorded in bench/kernel/README.md.
#pragma once

namespace kbench {

// Runs every benchmark; true when every call completed (a timed-out call fails the run).
[[nodiscard]] bool run();

}  // namespace kbench
