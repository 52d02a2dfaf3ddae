// Our kernel heap (mm::Heap on the frame allocator) side by side with glibc malloc, mimalloc,
// jemalloc and tcmalloc in one binary (bench/alloc/README.md). Names are
// "<scenario>/<arg>/<allocator>", so bench/alloc/alloc_report.py can set each row's
// allocators side by side:
//
//   SameThread/SIZE    each thread keeps a ring of 64 blocks of SIZE bytes (16, 64, 256, 1024)
//                      and per iteration frees the oldest and allocates a new one (one pair)
//   CrossThread/0      a producer allocates (sizes 16, 64, 256, 1024 in turn), a consumer on
//                      another thread frees; per iteration one block crosses
//   Larson/0           larson-style churn: 4096 shared slots of random sizes 16..1024; per
//                      iteration a thread allocates a block of random size and swaps it into a
//                      random slot, freeing what was there (with 2 threads, half the frees are
//                      of the other thread's blocks)
//   Footprint/SIZE     16384 blocks of SIZE allocated, then freed, per iteration
//
// Memory overhead, the counters held_per_live (bytes the allocator holds beyond its start per
// byte live), held_kib and rss_per_live (the same from the process's resident set, one measure
// for all), comes from a fresh child process per allocator (footprint.h): on
// Footprint/SIZE rows with 65536 blocks of SIZE live, on Larson rows after a one-thread churn
// of 2^20 replacements in the 4096 slots.
//   FramePair/0        the frame allocator (ours only): a ring of 64 frames per thread, free
//                      the oldest and allocate one per iteration
//
// Threads play CPUs 0 and 1 of the host platform (platform::host::bind_cpu), so per-CPU caches
// in the heap or the frame allocator see two CPUs as in the kernel.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

#include "bench/alloc/allocator.h"
#include "bench/alloc/footprint.h"
#include "bench/alloc/frame_bench.h"
#include "smp/platform/host/platform_host.h"

namespace allocbench {
namespace {

constexpr std::size_t kSizes[] = {16, 64, 256, 1024};
constexpr std::size_t kWindow = 64;          // blocks each SameThread thread keeps live
constexpr std::size_t kSlots = 4096;         // Larson's shared slots
constexpr std::size_t kLarsonMin = 16;
constexpr std::size_t kLarsonMax = 1024;
constexpr std::size_t kFootprintBlocks = 16384;
constexpr std::size_t kFootprintLiveBlocks = 65536;  // the overhead figure's live set
constexpr std::size_t kLarsonChurn = std::size_t{1} << 20;  // replacements before measuring
// A spinning thread that sees no progress for this long gives up and fails the benchmark (no
// wait without a deadline); far above any real stall on a loaded host.
constexpr std::chrono::seconds kStallLimit{10};

std::uint64_t next_random(std::uint64_t& s) {
  // Knuth's MMIX LCG: cheap and the same sequence for every allocator.
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s >> 16;
}

void bind_cpu(int cpu) { platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(cpu)}); }

// Writes the block's size into its first word: the memory is touched as a user would, and
// Larson reads the size back to count live bytes.
void* allocate_stamped(Allocator& a, std::size_t size) {
  void* p = a.allocate(size);
  if (p) *static_cast<std::uint64_t*>(p) = size;
  return p;
}

void set_footprint(benchmark::State& state, const Footprint& f) {
  if (!f.error.empty() || f.live == 0) return;
  state.counters["held_per_live"] = static_cast<double>(f.held) / static_cast<double>(f.live);
  state.counters["held_kib"] = static_cast<double>(f.held) / 1024.0;
  state.counters["rss_per_live"] = static_cast<double>(f.resident) / static_cast<double>(f.live);
}

void same_thread(benchmark::State& state, Allocator* a, std::size_t size) {
  bind_cpu(state.thread_index());
  void* ring[kWindow];
  for (auto& p : ring) p = allocate_stamped(*a, size);
  std::size_t i = 0;
  bool failed = false;
  for (auto _ : state) {
    a->release(ring[i]);
    ring[i] = allocate_stamped(*a, size);
    failed |= ring[i] == nullptr;
    i = (i + 1) % kWindow;
  }
  for (void* p : ring) a->release(p);
  if (failed) state.SkipWithError("an allocation failed");
  state.SetItemsProcessed(state.iterations());
}

// Single producer, single consumer ring of pointers.
struct alignas(64) Ring {
  static constexpr std::size_t kCapacity = 1024;
  alignas(64) std::atomic<std::size_t> head{0};  // next to pop (consumer)
  alignas(64) std::atomic<std::size_t> tail{0};  // next to push (producer)
  alignas(64) std::atomic<bool> done{false};     // producer finished
  std::atomic<bool> stalled{false};
  void* slots[kCapacity];
};

void consume(Ring& ring, Allocator& a) {
  bind_cpu(1);
  auto last_progress = std::chrono::steady_clock::now();
  std::size_t head = ring.head.load(std::memory_order_relaxed);
  for (std::uint32_t spins = 0;; ++spins) {
    // Acquire: the producer's write of the slot happens before it publishes tail.
    const std::size_t tail = ring.tail.load(std::memory_order_acquire);
    if (head != tail) {
      while (head != tail) a.release(ring.slots[head++ % Ring::kCapacity]);
      // Release: the slots are read before the producer may reuse them.
      ring.head.store(head, std::memory_order_release);
      last_progress = std::chrono::steady_clock::now();
      continue;
    }
    if (ring.done.load(std::memory_order_acquire) &&
        head == ring.tail.load(std::memory_order_acquire)) {
      return;
    }
    // Checked every 1024 empty polls: a clock read per poll would dominate the loop.
    if (spins % 1024 == 0 && std::chrono::steady_clock::now() - last_progress > kStallLimit) {
      ring.stalled.store(true);
      return;
    }
    std::this_thread::yield();
  }
}

void cross_thread(benchmark::State& state, Allocator* a) {
  bind_cpu(0);
  Ring ring;
  std::thread consumer(consume, std::ref(ring), std::ref(*a));
  std::size_t tail = 0, k = 0;
  const char* error = nullptr;
  for (auto _ : state) {
    void* p = allocate_stamped(*a, kSizes[k++ % 4]);
    if (!p) {
      error = "an allocation failed";
      break;
    }
    if (tail - ring.head.load(std::memory_order_acquire) == Ring::kCapacity) {
      const auto start = std::chrono::steady_clock::now();
      while (tail - ring.head.load(std::memory_order_acquire) == Ring::kCapacity) {
        if (ring.stalled.load() || std::chrono::steady_clock::now() - start > kStallLimit) {
          error = "the consumer stalled";
          break;
        }
        std::this_thread::yield();
      }
      if (error) {
        a->release(p);
        break;
      }
    }
    ring.slots[tail++ % Ring::kCapacity] = p;
    ring.tail.store(tail, std::memory_order_release);  // publishes the slot to the consumer
  }
  ring.done.store(true, std::memory_order_release);
  consumer.join();
  // A consumer that gave up left blocks behind: free them here.
  for (std::size_t h = ring.head.load(); h != tail; ++h) a->release(ring.slots[h % Ring::kCapacity]);
  if (ring.stalled.load() && !error) error = "the consumer stalled";
  if (error) state.SkipWithError(error);
  state.SetItemsProcessed(state.iterations());
}

std::atomic<void*> g_slots[kSlots];

std::size_t larson_size(std::uint64_t r) { return kLarsonMin + r % (kLarsonMax - kLarsonMin + 1); }

void larson(benchmark::State& state, Allocator* a, const Footprint* f) {
  bind_cpu(state.thread_index());
  // Thread 0 fills the slots while the others wait at the loop's start barrier.
  if (state.thread_index() == 0) {
    std::uint64_t seed = 1;
    for (auto& slot : g_slots) slot.store(allocate_stamped(*a, larson_size(next_random(seed))));
  }
  std::uint64_t seed = 12345 + static_cast<std::uint64_t>(state.thread_index());
  bool failed = false;
  for (auto _ : state) {
    const std::uint64_t r = next_random(seed);
    void* p = allocate_stamped(*a, larson_size(r >> 16));
    failed |= p == nullptr;
    // acq_rel: the old block's contents (written by whichever thread allocated it) are
    // visible before it is freed here, and the new block's before another thread frees it.
    void* old = g_slots[r % kSlots].exchange(p, std::memory_order_acq_rel);
    a->release(old);
  }
  // The loop ends at a barrier: every thread is done with the slots when thread 0 frees them.
  if (state.thread_index() == 0) {
    for (auto& slot : g_slots) a->release(slot.exchange(nullptr));
    set_footprint(state, *f);
  }
  if (failed) state.SkipWithError("an allocation failed");
  state.SetItemsProcessed(state.iterations());
}

void footprint(benchmark::State& state, Allocator* a, std::size_t size, const Footprint* f) {
  bind_cpu(0);
  static void* blocks[kFootprintBlocks];
  bool failed = false;
  for (auto _ : state) {
    for (auto& p : blocks) {
      p = allocate_stamped(*a, size);
      failed |= p == nullptr;
    }
    for (void* p : blocks) a->release(p);
  }
  if (failed) state.SkipWithError("an allocation failed");
  set_footprint(state, *f);
  state.SetItemsProcessed(state.iterations() * kFootprintBlocks);
}

// The footprint children's workloads (footprint.h): they leave their blocks allocated.
std::uint64_t fill_blocks(Allocator& a, std::size_t size) {
  for (std::size_t i = 0; i < kFootprintLiveBlocks; ++i) {
    if (!allocate_stamped(a, size)) return 0;
  }
  return kFootprintLiveBlocks * size;
}

std::uint64_t larson_churn(Allocator& a, std::size_t) {
  std::vector<void*> slots(kSlots);
  std::uint64_t seed = 1, live = 0;
  for (auto& p : slots) {
    const std::size_t size = larson_size(next_random(seed));
    p = allocate_stamped(a, size);
    if (!p) return 0;
    live += size;
  }
  for (std::size_t i = 0; i < kLarsonChurn; ++i) {
    const std::uint64_t r = next_random(seed);
    const std::size_t size = larson_size(r >> 16);
    void* p = allocate_stamped(a, size);
    if (!p) return 0;
    void*& slot = slots[r % kSlots];
    live = live - *static_cast<std::uint64_t*>(slot) + size;
    a.release(slot);
    slot = p;
  }
  return live;
}

// Figures measured before the benchmarks run (benchmarks read them through pointers).
std::vector<std::unique_ptr<Footprint>> g_footprints;

const Footprint* measure(Allocator* a, Workload work, std::size_t arg, const char* what) {
  g_footprints.push_back(std::make_unique<Footprint>());
  if (a) {
    *g_footprints.back() = measure_footprint(*a, work, arg);
    if (!g_footprints.back()->error.empty()) {
      std::fprintf(stderr, "alloc_bench: %s footprint (%s): %s\n", a->name(), what,
                   g_footprints.back()->error.c_str());
    }
  }
  return g_footprints.back().get();
}

// Registers every scenario for one allocator; `missing` (non-empty) makes each a skipped row
// that carries the reason, so the table shows the column as missing rather than dropping it.
void register_all(const std::string& name, Allocator* a, const std::string& missing) {
  auto add = [&](const std::string& scenario, auto fn, bool threads) {
    benchmark::internal::Benchmark* b;
    if (!missing.empty()) {
      b = benchmark::RegisterBenchmark((scenario + "/" + name).c_str(),
                                       [missing](benchmark::State& s) {
                                         s.SkipWithError(("missing: " + missing).c_str());
                                         for (auto _ : s) {
                                         }
                                       });
    } else {
      b = benchmark::RegisterBenchmark((scenario + "/" + name).c_str(), fn);
    }
    b->UseRealTime();
    if (threads) b->Threads(1)->Threads(2);
  };
  for (std::size_t size : kSizes) {
    add("SameThread/" + std::to_string(size),
        [a, size](benchmark::State& s) { same_thread(s, a, size); }, true);
  }
  add("CrossThread/0", [a](benchmark::State& s) { cross_thread(s, a); }, false);
  const Footprint* churn = measure(a, larson_churn, 0, "larson churn");
  add("Larson/0", [a, churn](benchmark::State& s) { larson(s, a, churn); }, true);
  for (std::size_t size : kSizes) {
    const Footprint* f = measure(a, fill_blocks, size, "blocks");
    add("Footprint/" + std::to_string(size),
        [a, size, f](benchmark::State& s) { footprint(s, a, size, f); }, false);
  }
}

// jemalloc's thread-local state is initial-exec TLS (2632 bytes in Debian's 5.3), which a
// dlopen'd library can only get from the static TLS surplus glibc reserves at start-up; glibc
// reserves more only when told so before the process starts. So the binary re-executes itself
// once with the tunable set. 16384: jemalloc's block with room to spare for the others.
void ensure_static_tls_room(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.rtld.optional_static_tls")) return;
  std::string value = tunables ? std::string(tunables) + ":" : "";
  value += "glibc.rtld.optional_static_tls=16384";
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Carry on without: jemalloc's dlopen then fails and its column says why.
  std::perror("alloc_bench: re-exec with static TLS room for jemalloc failed");
}

}  // namespace
}  // namespace allocbench

int main(int argc, char** argv) {
  using namespace allocbench;
  ensure_static_tls_room(argv);
  platform::host::set_cpu_count(2);  // benchmark threads play CPUs 0 and 1
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  static Allocators all = load_allocators();
  for (auto& a : all.loaded) {
    benchmark::AddCustomContext(std::string("held:") + a->name(), a->held_what());
    register_all(a->name(), a.get(), "");
  }
  for (auto& m : all.missing) {
    std::fprintf(stderr, "alloc_bench: %s skipped: %s\n", m.name.c_str(), m.reason.c_str());
    benchmark::AddCustomContext("missing:" + m.name, m.reason);
    register_all(m.name, nullptr, m.reason);
  }
  register_frame_benchmarks();

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (our_heap_faults() != 0) {
    std::fprintf(stderr, "alloc_bench: the heap reported %llu faults\n",
                 static_cast<unsigned long long>(our_heap_faults()));
    return 1;
  }
  return 0;
}
