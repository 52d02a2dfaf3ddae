// The frame allocator's benchmark (bench/alloc/frame_bench.cc), registered beside the heap's.
#pragma once

namespace allocbench {

// Registers FramePair/0/ours:frames (the bitmap allocator) and FrameCachePair/0/ours:frames
// (the per-CPU frame cache in front of it), each at 1 and 2 threads.
void register_frame_benchmarks();

}  // namespace allocbench
