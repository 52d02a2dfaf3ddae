// The frame allocator's benchmark (bench/alloc/frame_bench.cc), registered beside the heap's.
#pragma once

namespace allocbench {

// Registers FramePair/0/ours:frames at 1 and 2 threads.
void register_frame_benchmarks();

}  // namespace allocbench
