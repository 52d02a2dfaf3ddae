// The frame allocator through its public APIs over fake physical memory: one frame allocated
// and one freed per iteration, 64 frames live per thread, each thread playing its own CPU.
//   FramePair       the bare bitmap allocator (FrameAllocator::alloc / free, one lock);
//   FrameCachePair  the per-CPU frame cache in front of it (FrameCache::alloc / free), the
//                   kernel's path for single frames.
// No peer: the allocators of alloc_bench hand out bytes, not frames. The frames are never
// touched (the allocator only keeps their bitmap), so the arena needs no host memory behind it.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/alloc/frame_bench.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_cache.h"
#include "smp/platform/host/platform_host.h"

namespace allocbench {
namespace {

constexpr std::size_t kWindow = 64;
constexpr std::uint64_t kPhysBase = std::uint64_t{1} << 32;  // fake, page aligned
constexpr std::uint64_t kBytes = std::uint64_t{256} << 20;   // 65536 frames

constexpr std::uint32_t kCpus = 2;  // the threads of the 2-thread rows play CPUs 0 and 1

// A frame allocator over the fake range, or nullptr when init failed. Never freed (the
// benchmarks may run until the process ends).
mm::FrameAllocator* new_frames() {
  auto* range = new mm::MapRange{kPhysBase, kBytes, mm::MemoryClass::kUsable};
  auto* map = new mm::NormalizedMap{range, 1, {}, 0, 0, 0};
  auto* metadata = new std::uint64_t[mm::FrameAllocator::metadata_bytes(*map) / 8];
  auto* f = new mm::FrameAllocator;
  if (!f->init(*map, nullptr, 0, metadata, 0).ok()) return nullptr;
  return f;
}

// The allocator every FramePair thread shares.
mm::FrameAllocator* frames() {
  static mm::FrameAllocator* allocator = new_frames();
  return allocator;
}

// The cache every FrameCachePair thread shares, over an allocator of its own, or nullptr.
mm::FrameCache* frame_cache() {
  static mm::FrameCache* cache = []() -> mm::FrameCache* {
    mm::FrameAllocator* f = new_frames();
    if (f == nullptr) return nullptr;
    return new mm::FrameCache(*f, new mm::CpuFrameCache[kCpus], kCpus);
  }();
  return cache;
}

// A ring of kWindow frames through `f` (FrameAllocator or FrameCache: the same alloc/free).
template <typename Frames>
void frame_ring(benchmark::State& state, Frames& f) {
  platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(state.thread_index())});
  std::uint64_t ring[kWindow];
  const char* error = nullptr;
  for (auto& phys : ring) {
    auto r = f.alloc();
    phys = r ? r.value() : 0;
    if (!r) error = "frame allocation failed";
  }
  std::size_t i = 0;
  for (auto _ : state) {
    if (error) break;
    if (!f.free(ring[i]).ok()) error = "frame free failed";
    auto r = f.alloc();
    if (!r) {
      error = "frame allocation failed";
      ring[i] = 0;
      break;
    }
    ring[i] = r.value();
    i = (i + 1) % kWindow;
  }
  for (auto phys : ring) {
    if (phys != 0 && !f.free(phys).ok() && !error) error = "frame free failed";
  }
  if (error) state.SkipWithError(error);
  state.SetItemsProcessed(state.iterations());
}

void register_failed(const char* name) {
  benchmark::RegisterBenchmark(name, [](benchmark::State& s) {
    s.SkipWithError("FrameAllocator::init over the fake range failed");
    for (auto _ : s) {
    }
  });
}

}  // namespace

void register_frame_benchmarks() {
  if (frames() == nullptr) {
    register_failed("FramePair/0/ours:frames");
  } else {
    benchmark::RegisterBenchmark("FramePair/0/ours:frames",
                                 [](benchmark::State& s) { frame_ring(s, *frames()); })
        ->UseRealTime()
        ->Threads(1)
        ->Threads(kCpus);
  }
  if (frame_cache() == nullptr) {
    register_failed("FrameCachePair/0/ours:frames");
  } else {
    benchmark::RegisterBenchmark("FrameCachePair/0/ours:frames",
                                 [](benchmark::State& s) { frame_ring(s, *frame_cache()); })
        ->UseRealTime()
        ->Threads(1)
        ->Threads(kCpus);
  }
}

}  // namespace allocbench
