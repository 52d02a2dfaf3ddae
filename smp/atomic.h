// smp::Atomic<T>: std::atomic<T> whose every operation is first an interleaving point
// (platform::interleave_point) for the host's interleaving explorer (docs/explorer.md).
//
// Used for the words that CPUs race on and whose order the explorer must be able to vary: the
// raw lock words (smp/locks/) and the scheduler's per-thread and per-runqueue flags (sched/).
// In the kernel and in the normal host build interleave_point() is an empty inline function, so
// this is std::atomic<T> with the same code; only the host's explore variant of the libraries
// (built with PLEIADES_EXPLORE) lets the explorer switch CPUs before each access.
#pragma once

#include <atomic>

#include "smp/platform/platform.h"

namespace smp {

template <typename T>
class Atomic {
 public:
  constexpr Atomic() noexcept = default;
  constexpr Atomic(T value) noexcept : value_(value) {}  // NOLINT: as std::atomic<T>
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    platform::interleave_point();
    return value_.load(order);
  }
  void store(T value, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    value_.store(value, order);
  }
  T exchange(T value, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.exchange(value, order);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) noexcept {
    platform::interleave_point();
    return value_.compare_exchange_weak(expected, desired, success, failure);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.compare_exchange_weak(expected, desired, order);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    platform::interleave_point();
    return value_.compare_exchange_strong(expected, desired, success, failure);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.compare_exchange_strong(expected, desired, order);
  }
  T fetch_add(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.fetch_add(arg, order);
  }
  T fetch_sub(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.fetch_sub(arg, order);
  }
  T fetch_or(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.fetch_or(arg, order);
  }
  T fetch_and(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    platform::interleave_point();
    return value_.fetch_and(arg, order);
  }

 private:
  std::atomic<T> value_{};
};

}  // namespace smp
