// `sched_bench` on the command line: the scheduler's in-kernel benchmark (bench/kernel/sched.md).
#pragma once

namespace ksched {

// Thread context (the main thread). Prints one `sched_bench:` line per figure; returns false if
// a measurement could not complete (a thread did not finish within its deadline).
bool run_bench();

}  // namespace ksched
