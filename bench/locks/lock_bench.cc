// Our locks side by side with Concurrency Kit, pthread and the C++ library, in one binary.
// Names are "<scenario>/<implementation>" (implementation "ours:*" or a peer), so
// bench/report.py can compare each of ours with the best peer per scenario.
//
//   Uncontended       one thread, lock + unlock
//   Contended         N threads hammering one lock around a two-line critical section;
//                     counter "handoff": share of acquisitions that changed owner
//   Fairness          2 threads for a 20 ms window per iteration; counter "min_share":
//                     fewest / most acquisitions per thread among those made while the
//                     other thread waited for the lock (1 = perfectly even; see
//                     fairness_window), "min_share_all": the same over every acquisition
//   RwMix/read:P      N threads, P per mille reads, the rest writes
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/locks/lock_adapters.h"
#include "smp/platform/host/platform_host.h"

namespace lockbench {
namespace {

constexpr int kFairThreads = 2;
constexpr std::chrono::milliseconds kFairWindow{20};

struct alignas(64) SharedData {
  std::uint64_t counter = 0;
  std::uint64_t second_line[8] = {};
  int last_owner = -1;
};

template <typename L>
void uncontended(benchmark::State& state) {
  static L lock;
  static SharedData data;
  for (auto _ : state) {
    lock.lock();
    ++data.counter;
    lock.unlock();
  }
  benchmark::DoNotOptimize(data.counter);
}

template <typename L>
void contended(benchmark::State& state) {
  static L lock;
  static SharedData data;
  const int me = state.thread_index();
  std::uint64_t handoffs = 0, count = 0;
  for (auto _ : state) {
    lock.lock();
    ++data.counter;
    data.second_line[0] += data.counter;
    if (data.last_owner != me) ++handoffs;
    data.last_owner = me;
    lock.unlock();
    ++count;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
  state.counters["handoff"] = benchmark::Counter(
      count ? static_cast<double>(handoffs) / static_cast<double>(count) : 0,
      benchmark::Counter::kAvgThreads);
}

// One thread's side of a fairness window, on its own cache line.
struct alignas(64) FairThread {
  std::atomic<bool> waiting{false};  // between calling lock() and getting the lock
  std::uint64_t all = 0;             // acquisitions in the window
  std::uint64_t competed = 0;        // ... made while every other thread was waiting too
};

// A fairness window: kFairThreads threads take the lock in a loop for kFairWindow.
//   - Start: the threads wait for each other (arrival count), so the window begins only when
//     all of them run; the main thread then only waits in join() and takes no CPU from them.
//   - Stop: thread 0 watches the clock and raises a shared stop flag; every thread stops at
//     its next acquisition.
//   - Counts: every acquisition (min_share_all) and, separately, the acquisitions made while
//     every other thread was waiting for the lock (min_share). A thread that the host has
//     descheduled outside lock() is not competing, and whatever the others take meanwhile
//     says nothing about the lock's fairness; a FIFO lock alternates while all threads wait,
//     an unfair one lets the holder re-take it. The flag is raised just before lock(), so
//     a thread descheduled between raising it and queueing still counts as waiting (rare).
template <typename L>
void fairness_window(FairThread (&per)[kFairThreads]) {
  L lock;
  std::atomic<bool> stop{false};
  std::atomic<int> arrived{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kFairThreads; ++t) {
    threads.emplace_back([&, t] {
      FairThread& me = per[t];
      arrived.fetch_add(1);
      while (arrived.load() < kFairThreads) platform::cpu_relax();
      const auto deadline = std::chrono::steady_clock::now() + kFairWindow;
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        // Relaxed: a heuristic read by the holder; lock() itself orders nothing for it.
        me.waiting.store(true, std::memory_order_relaxed);
        lock.lock();
        me.waiting.store(false, std::memory_order_relaxed);
        bool others_wait = true;
        for (int o = 0; o < kFairThreads; ++o) {
          if (o != t && !per[o].waiting.load(std::memory_order_relaxed)) others_wait = false;
        }
        ++me.all;
        if (others_wait) ++me.competed;
        lock.unlock();
        if (t == 0 && n % 256 == 0 && std::chrono::steady_clock::now() > deadline) {
          stop.store(true, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
}

double min_share(const std::uint64_t* counts, int n) {
  const auto [lo, hi] = std::minmax_element(counts, counts + n);
  return *hi ? static_cast<double>(*lo) / static_cast<double>(*hi) : 0;
}

template <typename L>
void fairness(benchmark::State& state) {
  double competed_share = 0, all_share = 0;
  std::uint64_t total = 0;
  for (auto _ : state) {
    FairThread per[kFairThreads];
    fairness_window<L>(per);
    std::uint64_t all[kFairThreads], competed[kFairThreads];
    for (int t = 0; t < kFairThreads; ++t) {
      all[t] = per[t].all;
      competed[t] = per[t].competed;
      total += all[t];
    }
    competed_share += min_share(competed, kFairThreads);
    all_share += min_share(all, kFairThreads);
  }
  const double windows = static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
  state.counters["min_share"] = competed_share / windows;
  state.counters["min_share_all"] = all_share / windows;
  state.counters["acq_per_s"] = benchmark::Counter(static_cast<double>(total),
                                                   benchmark::Counter::kIsRate);
}

template <typename L>
void rw_mix(benchmark::State& state) {
  static L lock;
  static SharedData data;
  const std::uint64_t read_permille = static_cast<std::uint64_t>(state.range(0));
  // Thread i plays CPU i (only ours:rw-percpu looks: its reader slot).
  platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(state.thread_index())});
  std::uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(state.thread_index() + 1);
  std::uint64_t sink = 0;
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (x % 1000 < read_permille) {
      lock.lock_shared();
      sink += data.counter + data.second_line[0];
      lock.unlock_shared();
    } else {
      lock.lock();
      ++data.counter;
      data.second_line[0] += data.counter;
      lock.unlock();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}

std::vector<int> thread_counts() {
  std::vector<int> counts{1, 2};
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  if (hw > 2) counts.push_back(hw);
  return counts;
}

template <typename L>
void register_exclusive() {
  const std::string name = L::kName;
  benchmark::RegisterBenchmark(("Uncontended/" + name).c_str(), uncontended<L>);
  auto* c = benchmark::RegisterBenchmark(("Contended/" + name).c_str(), contended<L>);
  for (int n : thread_counts()) c->Threads(n);
  c->UseRealTime();
  benchmark::RegisterBenchmark(("Fairness/" + name).c_str(), fairness<L>)
      ->Iterations(5)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

template <typename L>
void register_rw() {
  const std::string name = L::kName;
  for (int permille : {1000, 990, 900, 500}) {
    auto* b = benchmark::RegisterBenchmark(
        ("RwMix/read:" + std::to_string(permille / 10) + "%/" + name).c_str(), rw_mix<L>);
    b->Arg(permille);
    for (int n : thread_counts()) b->Threads(n);
    b->UseRealTime();
  }
}

}  // namespace
}  // namespace lockbench

int main(int argc, char** argv) {
  using namespace lockbench;
  register_exclusive<OursTicket>();
  register_exclusive<OursMcs>();
  register_exclusive<OursTas>();
  register_exclusive<OursTicketGuarded>();
  register_exclusive<CkTicket>();
  register_exclusive<CkMcs>();
  register_exclusive<CkFas>();
  register_exclusive<PthreadSpin>();
  register_exclusive<StdMutex>();
  register_rw<OursRw>();
  register_rw<OursPercpuRw>();
  register_rw<CkRw>();
  register_rw<PthreadRw>();
  register_rw<StdSharedMutex>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
