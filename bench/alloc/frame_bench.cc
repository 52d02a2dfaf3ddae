// The frame allocator through its public API (FrameAllocator::alloc / free) over fake physical
// memory: one frame allocated and one freed per iteration, 64 frames live per thread, each
// thread playing its own CPU. No peer: the allocators of alloc_bench hand out bytes, not frames.
// The frames are never touched (the allocator only keeps their bitmap), so the arena needs no
// host memory behind it.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/alloc/frame_bench.h"
#include "kernel/mm/frame_allocator.h"
#include "smp/platform/host/platform_host.h"

namespace allocbench {
namespace {

constexpr std::size_t kWindow = 64;
constexpr std::uint64_t kPhysBase = std::uint64_t{1} << 32;  // fake, page aligned
constexpr std::uint64_t kBytes = std::uint64_t{256} << 20;   // 65536 frames

// The allocator every FramePair thread shares, or nullptr when init failed.
mm::FrameAllocator* frames() {
  static mm::MapRange range{kPhysBase, kBytes, mm::MemoryClass::kUsable};
  static mm::NormalizedMap map{&range, 1, {}, 0, 0, 0};
  static std::unique_ptr<std::uint64_t[]> metadata =
      std::make_unique<std::uint64_t[]>(mm::FrameAllocator::metadata_bytes(map) / 8);
  static mm::FrameAllocator* allocator = [] {
    auto* f = new mm::FrameAllocator;
    if (!f->init(map, nullptr, 0, metadata.get(), 0).ok()) {
      delete f;
      return static_cast<mm::FrameAllocator*>(nullptr);
    }
    return f;
  }();
  return allocator;
}

void frame_pair(benchmark::State& state) {
  platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(state.thread_index())});
  mm::FrameAllocator& f = *frames();  // registered only when init succeeded
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

}  // namespace

void register_frame_benchmarks() {
  if (frames() == nullptr) {
    benchmark::RegisterBenchmark("FramePair/0/ours:frames", [](benchmark::State& s) {
      s.SkipWithError("FrameAllocator::init over the fake range failed");
      for (auto _ : s) {
      }
    });
    return;
  }
  benchmark::RegisterBenchmark("FramePair/0/ours:frames", frame_pair)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

}  // namespace allocbench
