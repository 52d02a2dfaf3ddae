#include "smp/locks/lockstat.h"

namespace smp::lockstat {
namespace {

void store_max(std::atomic<std::uint64_t>& max, std::uint64_t value) {
  std::uint64_t seen = max.load(std::memory_order_relaxed);
  while (value > seen &&
         !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

// All counters relaxed: they are statistics, nothing is ordered by them.
void record_acquire(LockClass& cls, bool contended, std::uint64_t wait_cycles) {
  (void)cls.index();  // registers the class so print() lists it
  LockClassStats& s = cls.stats();
  s.acquisitions.fetch_add(1, std::memory_order_relaxed);
  if (!contended) return;
  s.contended.fetch_add(1, std::memory_order_relaxed);
  s.wait_total.fetch_add(wait_cycles, std::memory_order_relaxed);
  store_max(s.wait_max, wait_cycles);
}

void record_hold(LockClass& cls, std::uint64_t hold_cycles) {
  LockClassStats& s = cls.stats();
  s.holds.fetch_add(1, std::memory_order_relaxed);
  s.hold_total.fetch_add(hold_cycles, std::memory_order_relaxed);
  store_max(s.hold_max, hold_cycles);
}

void print(fmt::Sink& sink) {
  fmt::format_to(sink, "{:<24} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "class", "acq",
                 "contended", "wait-max", "wait-mean", "hold-max", "hold-mean");
  const std::uint32_t n = LockClass::registered_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    LockClass* cls = LockClass::registered(i);
    if (cls == nullptr) continue;  // being registered right now
    const LockClassStats& s = cls->stats();
    const std::uint64_t acq = s.acquisitions.load(std::memory_order_relaxed);
    const std::uint64_t contended = s.contended.load(std::memory_order_relaxed);
    const std::uint64_t holds = s.holds.load(std::memory_order_relaxed);
    const std::uint64_t wait_mean =
        contended ? s.wait_total.load(std::memory_order_relaxed) / contended : 0;
    const std::uint64_t hold_mean = holds ? s.hold_total.load(std::memory_order_relaxed) / holds : 0;
    fmt::format_to(sink, "{:<24} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", cls->name(), acq,
                   contended, s.wait_max.load(std::memory_order_relaxed), wait_mean,
                   s.hold_max.load(std::memory_order_relaxed), hold_mean);
  }
}

void reset() {
  const std::uint32_t n = LockClass::registered_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    LockClass* cls = LockClass::registered(i);
    if (cls == nullptr) continue;
    LockClassStats& s = cls->stats();
    std::atomic<std::uint64_t>* counters[] = {&s.acquisitions, &s.contended, &s.wait_total,
                                              &s.wait_max,     &s.hold_total, &s.hold_max,
                                              &s.holds};
    for (auto* c : counters) c->store(0, std::memory_order_relaxed);
  }
}

}  // namespace smp::lockstat
