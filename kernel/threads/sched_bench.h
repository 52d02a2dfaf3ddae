// The scheduler's in-kernel benchmark, run by `bench` after the IPI benchmarks (and alone by
// `sched_bench`): context switch, wake-up latency on one CPU and across CPUs, parallel speed-up.
// Recorded in bench/kernel/threads.md.
#pragma once

namespace kthreads {

// Thread context (the main thread), scheduler running. Prints one `sched_bench:` line per
// figure and `sched_bench: done`; returns false if a measurement could not complete (a thread
// did not finish, or a wakee did not block, within its deadline).
bool run_bench();

}  // namespace kthreads
