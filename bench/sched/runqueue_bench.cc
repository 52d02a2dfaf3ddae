// Runqueue operations at sizes 1..65536: our EEVDF fair queue (augmented rbtree) and RT bitmap
// queue side by side with std::priority_queue, std::multiset and a Boost.Intrusive multiset
// (red-black tree). Names: "<Operation>/n:<size>/<implementation>" (bench/report.py).
//
//   Enqueue   insert one element into a queue of n (batches of 64, removal untimed)
//   Dequeue   remove an arbitrary element from a queue of n (batches of 64, re-insert untimed;
//             std::priority_queue cannot remove an arbitrary element and is absent)
//   PickNext  the scheduler's cycle per pick (Scheduler::schedule_internal: update_curr
//             charges the running thread, put_prev enqueues it, pick_next picks and dequeues
//             the next): take the next element out, advance its key by one request, put it
//             back (ours: eligible + earliest virtual deadline; peers: earliest key, i.e. less
//             work than EEVDF's eligibility test). Equal weights and slices, so the earliest
//             deadline is always eligible: ours takes its O(1) leftmost path.
//   PickNextRoundRobin the PickNext cycle with the vruntimes within four slices of each other, as
//             lag clamping keeps a real queue's (PickNext spreads them over n slices, which no
//             equal-weight queue reaches): after one pass every charged element gets the latest
//             deadline, the round robin of equal threads. Ours appends at the cached rightmost.
//   PickNextMixed the same cycle with nice -5..5 and slices of 1..12 ms, vruntimes within four
//             slices of each other (as lag clamping keeps them): the earliest deadline is often
//             not eligible, so ours walks the tree. Peer: Boost.Intrusive, earliest deadline.
//   RtPickNext the same for the real-time class: ours O(1) bitmap vs std::priority_queue
#include <benchmark/benchmark.h>

#include <boost/intrusive/set.hpp>
#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sched/fair_queue.h"
#include "sched/rt_queue.h"
#include "sched/weight.h"

namespace {

constexpr std::uint32_t kBatch = 64;
constexpr std::uint64_t kSlice = sched::kDefaultSliceNs;

std::vector<std::uint64_t> keys(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> k(n);
  for (auto& x : k) x = 1'000'000'000ull + rng() % (n * kSlice + 1);
  return k;
}

// Keys within four slices of each other, as the vruntimes of a queue whose lags are clamped.
std::vector<std::uint64_t> close_keys(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> k(n);
  for (auto& x : k) x = 1'000'000'000ull + rng() % (4 * kSlice);
  return k;
}

// ---- Ours: the EEVDF queue ---------------------------------------------------------------

struct Ours {
  std::vector<sched::FairEntity> es;
  sched::FairQueue q;
  Ours(std::size_t n, std::size_t extra) : Ours(n, keys(n + extra, 1)) {}
  // The first n of k are queued, the rest only set up.
  Ours(std::size_t n, const std::vector<std::uint64_t>& k) : es(k.size()) {
    for (std::size_t i = 0; i < es.size(); ++i) {
      es[i].weight = 1024;
      es[i].vruntime = k[i];
      es[i].deadline = k[i] + kSlice / 2;
    }
    for (std::size_t i = 0; i < n; ++i) q.enqueue(es[i]);
  }
};

void OursEnqueue(benchmark::State& state, std::size_t n) {
  Ours o(n, kBatch);
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < kBatch; ++i) o.q.enqueue(o.es[n + i]);
    state.PauseTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) o.q.dequeue(o.es[n + i]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void OursDequeue(benchmark::State& state, std::size_t n) {
  Ours o(n + kBatch, 0);
  std::mt19937 rng(3);
  for (auto _ : state) {
    state.PauseTiming();
    std::uint32_t base = rng() % static_cast<std::uint32_t>(n + 1);
    state.ResumeTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) o.q.dequeue(o.es[base + i]);
    state.PauseTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) o.q.enqueue(o.es[base + i]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void OursPickNextOn(benchmark::State& state, const std::vector<std::uint64_t>& k) {
  Ours o(k.size(), k);
  for (auto _ : state) {
    sched::FairEntity* e = o.q.pick(nullptr);
    o.q.dequeue(*e);
    o.q.charge(*e, kSlice);  // runs one request: vruntime and deadline move on
    o.q.enqueue(*e);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
void OursPickNext(benchmark::State& state, std::size_t n) { OursPickNextOn(state, keys(n, 1)); }
void OursPickNextRoundRobin(benchmark::State& state, std::size_t n) {
  OursPickNextOn(state, close_keys(n, 1));
}

// Mixed weights and request sizes: entity i gets nice -5..5 and a slice of 1, 3, 6 or 12 ms.
struct MixedSpec {
  std::uint32_t weight;
  std::uint64_t slice_ns;
  std::uint64_t vruntime;
};

std::vector<MixedSpec> mixed_specs(std::size_t n) {
  std::mt19937_64 rng(7);
  constexpr std::uint64_t kSlices[] = {1'000'000, 3'000'000, 6'000'000, 12'000'000};
  std::vector<MixedSpec> specs(n);
  for (auto& m : specs) {
    m.weight = sched::weight_of_nice(static_cast<int>(rng() % 11) - 5);
    m.slice_ns = kSlices[rng() % 4];
    m.vruntime = 1'000'000'000ull + rng() % (4 * kSlice);
  }
  return specs;
}

void OursPickNextMixed(benchmark::State& state, std::size_t n) {
  auto specs = mixed_specs(n);
  std::vector<sched::FairEntity> es(n);
  sched::FairQueue q;
  for (std::size_t i = 0; i < n; ++i) {
    es[i].weight = specs[i].weight;
    es[i].slice_ns = specs[i].slice_ns;
    es[i].vruntime = specs[i].vruntime;
    es[i].deadline = es[i].vruntime + sched::virtual_delta(es[i].slice_ns, es[i].weight) / 2;
    q.enqueue(es[i]);
  }
  for (auto _ : state) {
    sched::FairEntity* e = q.pick(nullptr);
    q.dequeue(*e);
    q.charge(*e, e->slice_ns);  // runs one whole request
    q.enqueue(*e);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- Peers ---------------------------------------------------------------------------------

struct BoostItem : boost::intrusive::set_base_hook<boost::intrusive::optimize_size<false>> {
  std::uint64_t key = 0;
  friend bool operator<(const BoostItem& a, const BoostItem& b) { return a.key < b.key; }
};
using BoostSet = boost::intrusive::multiset<BoostItem>;

void BoostEnqueue(benchmark::State& state, std::size_t n) {
  auto k = keys(n + kBatch, 1);
  std::vector<BoostItem> items(n + kBatch);
  for (std::size_t i = 0; i < items.size(); ++i) items[i].key = k[i];
  BoostSet set;
  for (std::size_t i = 0; i < n; ++i) set.insert(items[i]);
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < kBatch; ++i) set.insert(items[n + i]);
    state.PauseTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) set.erase(set.iterator_to(items[n + i]));
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  set.clear();
}

void BoostDequeue(benchmark::State& state, std::size_t n) {
  auto k = keys(n + kBatch, 1);
  std::vector<BoostItem> items(n + kBatch);
  BoostSet set;
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].key = k[i];
    set.insert(items[i]);
  }
  std::mt19937 rng(3);
  for (auto _ : state) {
    state.PauseTiming();
    std::uint32_t base = rng() % static_cast<std::uint32_t>(n + 1);
    state.ResumeTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) set.erase(set.iterator_to(items[base + i]));
    state.PauseTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) set.insert(items[base + i]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  set.clear();
}

void BoostPickNextOn(benchmark::State& state, const std::vector<std::uint64_t>& k) {
  std::size_t n = k.size();
  std::vector<BoostItem> items(n);
  BoostSet set;
  for (std::size_t i = 0; i < n; ++i) {
    items[i].key = k[i];
    set.insert(items[i]);
  }
  for (auto _ : state) {
    BoostItem& e = *set.begin();
    set.erase(set.begin());
    e.key += kSlice;
    set.insert(e);
    benchmark::DoNotOptimize(&e);
  }
  state.SetItemsProcessed(state.iterations());
  set.clear();
}
void BoostPickNext(benchmark::State& state, std::size_t n) { BoostPickNextOn(state, keys(n, 1)); }
void BoostPickNextRoundRobin(benchmark::State& state, std::size_t n) {
  BoostPickNextOn(state, close_keys(n, 1));
}

struct BoostMixedItem : boost::intrusive::set_base_hook<boost::intrusive::optimize_size<false>> {
  std::uint64_t deadline = 0;
  std::uint64_t vslice = 0;  // one request in virtual time
  friend bool operator<(const BoostMixedItem& a, const BoostMixedItem& b) {
    return a.deadline < b.deadline;
  }
};

void BoostPickNextMixed(benchmark::State& state, std::size_t n) {
  auto specs = mixed_specs(n);
  std::vector<BoostMixedItem> items(n);
  boost::intrusive::multiset<BoostMixedItem> set;
  for (std::size_t i = 0; i < n; ++i) {
    items[i].vslice = sched::virtual_delta(specs[i].slice_ns, specs[i].weight);
    items[i].deadline = specs[i].vruntime + items[i].vslice / 2;
    set.insert(items[i]);
  }
  for (auto _ : state) {
    BoostMixedItem& e = *set.begin();
    set.erase(set.begin());
    e.deadline += e.vslice;
    set.insert(e);
    benchmark::DoNotOptimize(&e);
  }
  state.SetItemsProcessed(state.iterations());
  set.clear();
}

using Pair = std::pair<std::uint64_t, std::uint32_t>;

void MultisetEnqueue(benchmark::State& state, std::size_t n) {
  auto k = keys(n + kBatch, 1);
  std::multiset<Pair> set;
  for (std::size_t i = 0; i < n; ++i) set.insert({k[i], static_cast<std::uint32_t>(i)});
  std::vector<std::multiset<Pair>::iterator> its(kBatch);
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < kBatch; ++i) its[i] = set.insert({k[n + i], n + i});
    state.PauseTiming();
    for (auto it : its) set.erase(it);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void MultisetDequeue(benchmark::State& state, std::size_t n) {
  auto k = keys(n + kBatch, 1);
  std::multiset<Pair> set;
  for (std::size_t i = 0; i < n + kBatch; ++i) set.insert({k[i], static_cast<std::uint32_t>(i)});
  std::mt19937 rng(3);
  for (auto _ : state) {
    state.PauseTiming();
    std::uint32_t base = rng() % static_cast<std::uint32_t>(n + 1);
    state.ResumeTiming();
    // A runqueue removes a known element: find it by key (the multiset holds no handle).
    for (std::uint32_t i = 0; i < kBatch; ++i) set.erase(set.find({k[base + i], base + i}));
    state.PauseTiming();
    for (std::uint32_t i = 0; i < kBatch; ++i) set.insert({k[base + i], base + i});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void MultisetPickNextOn(benchmark::State& state, const std::vector<std::uint64_t>& k) {
  std::size_t n = k.size();
  std::multiset<Pair> set;
  for (std::size_t i = 0; i < n; ++i) set.insert({k[i], static_cast<std::uint32_t>(i)});
  for (auto _ : state) {
    Pair p = *set.begin();
    set.erase(set.begin());
    p.first += kSlice;
    set.insert(p);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
void MultisetPickNext(benchmark::State& state, std::size_t n) {
  MultisetPickNextOn(state, keys(n, 1));
}
void MultisetPickNextRoundRobin(benchmark::State& state, std::size_t n) {
  MultisetPickNextOn(state, close_keys(n, 1));
}

using MinHeap = std::priority_queue<Pair, std::vector<Pair>, std::greater<Pair>>;

void HeapEnqueue(benchmark::State& state, std::size_t n) {
  auto k = keys(n + kBatch, 1);
  MinHeap heap;
  for (std::size_t i = 0; i < n; ++i) heap.push({k[i], static_cast<std::uint32_t>(i)});
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < kBatch; ++i) heap.push({k[n + i], n + i});
    state.PauseTiming();
    // Restore the size: a heap can only drop its top, so rebuild from the original keys.
    heap = MinHeap();
    for (std::size_t i = 0; i < n; ++i) heap.push({k[i], static_cast<std::uint32_t>(i)});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void HeapPickNextOn(benchmark::State& state, const std::vector<std::uint64_t>& k) {
  std::size_t n = k.size();
  MinHeap heap;
  for (std::size_t i = 0; i < n; ++i) heap.push({k[i], static_cast<std::uint32_t>(i)});
  for (auto _ : state) {
    Pair p = heap.top();
    heap.pop();
    p.first += kSlice;
    heap.push(p);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
void HeapPickNext(benchmark::State& state, std::size_t n) { HeapPickNextOn(state, keys(n, 1)); }
void HeapPickNextRoundRobin(benchmark::State& state, std::size_t n) {
  HeapPickNextOn(state, close_keys(n, 1));
}

// ---- Real-time class -------------------------------------------------------------------------

void OursRtPickNext(benchmark::State& state, std::size_t n) {
  std::vector<sched::RtEntity> es(n);
  sched::RtQueue q;
  std::mt19937 rng(5);
  for (auto& e : es) {
    e.priority = static_cast<std::uint8_t>(rng() % sched::kRtPriorities);
    q.enqueue(e);
  }
  for (auto _ : state) {
    sched::RtEntity* e = q.pick();
    q.dequeue(*e);
    q.enqueue(*e);  // round-robin: back to the tail of its priority
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}

void HeapRtPickNext(benchmark::State& state, std::size_t n) {
  // (priority descending, FIFO sequence ascending) in a max-heap on (prio, -seq).
  using Item = std::pair<std::uint32_t, std::int64_t>;
  std::priority_queue<Item> heap;
  std::mt19937 rng(5);
  std::int64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) heap.push({rng() % sched::kRtPriorities, -(seq++)});
  for (auto _ : state) {
    Item it = heap.top();
    heap.pop();
    it.second = -(seq++);
    heap.push(it);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(state.iterations());
}

void register_all() {
  for (std::size_t n : {1u, 16u, 256u, 1024u, 4096u, 65536u}) {
    std::string size = "/n:" + std::to_string(n);
    auto reg = [&](const std::string& name, void (*fn)(benchmark::State&, std::size_t)) {
      benchmark::RegisterBenchmark(name.c_str(), fn, n);
    };
    reg("Enqueue" + size + "/ours:eevdf", OursEnqueue);
    reg("Enqueue" + size + "/boost::intrusive::multiset", BoostEnqueue);
    reg("Enqueue" + size + "/std::multiset", MultisetEnqueue);
    reg("Enqueue" + size + "/std::priority_queue", HeapEnqueue);
    reg("Dequeue" + size + "/ours:eevdf", OursDequeue);
    reg("Dequeue" + size + "/boost::intrusive::multiset", BoostDequeue);
    reg("Dequeue" + size + "/std::multiset", MultisetDequeue);
    reg("PickNext" + size + "/ours:eevdf", OursPickNext);
    reg("PickNext" + size + "/boost::intrusive::multiset", BoostPickNext);
    reg("PickNext" + size + "/std::multiset", MultisetPickNext);
    reg("PickNext" + size + "/std::priority_queue", HeapPickNext);
    reg("PickNextRoundRobin" + size + "/ours:eevdf", OursPickNextRoundRobin);
    reg("PickNextRoundRobin" + size + "/boost::intrusive::multiset", BoostPickNextRoundRobin);
    reg("PickNextRoundRobin" + size + "/std::multiset", MultisetPickNextRoundRobin);
    reg("PickNextRoundRobin" + size + "/std::priority_queue", HeapPickNextRoundRobin);
    reg("PickNextMixed" + size + "/ours:eevdf", OursPickNextMixed);
    reg("PickNextMixed" + size + "/boost::intrusive::multiset", BoostPickNextMixed);
    reg("RtPickNext" + size + "/ours:rt_bitmap", OursRtPickNext);
    reg("RtPickNext" + size + "/std::priority_queue", HeapRtPickNext);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
