// Memory overhead: bytes an allocator holds per byte in use, measured in a fresh child process
// (bench/alloc/footprint.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/alloc/allocator.h"

namespace allocbench {

struct Footprint {
  std::uint64_t held = 0;  // bytes held by the allocator beyond its footprint before the work
  std::uint64_t live = 0;  // bytes requested and not freed when `held` was read
  // Growth of the child's resident set (/proc/self/statm) over the same work: one measure for
  // every allocator, whatever its own statistics count.
  std::uint64_t resident = 0;
  std::string error;       // non-empty when the child failed (then held and live are 0)
};

// What the child does: allocates through `a` and returns the bytes it left live (blocks stay
// allocated; the child exits).
using Workload = std::uint64_t (*)(Allocator& a, std::size_t arg);

// Forks, and in the child trims `a`, reads held_bytes(), runs `work(a, arg)`, reads
// held_bytes() again and sends the figures back (with the resident-set growth); the parent waits at most 60 seconds.
// A fresh child per figure keeps memory that earlier benchmarks left cached in the allocator
// out of the count (it would otherwise be reused and hide the overhead). Call it while the
// process runs no other thread.
Footprint measure_footprint(Allocator& a, Workload work, std::size_t arg);

}  // namespace allocbench
