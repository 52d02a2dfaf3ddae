// Barrier: a sense-reversing spin barrier for a fixed number of CPUs (stop-the-machine
// phases, start-up handshakes, tests). Each round has a generation number; the last CPU to
// arrive resets the count and advances the generation, which releases the others. The
// generation's low bit is the "sense" of the classic algorithm; the full number lets a caller
// see which round it passed and keeps a fast CPU from running into the next round early.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/spin_wait.h"

namespace smp {

class Barrier {
 public:
  // `parties` CPUs call arrive_and_wait per round; must be at least 1.
  explicit constexpr Barrier(std::uint32_t parties) : parties_(parties) {}
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Waits until all parties of this round have arrived. Returns the generation it passed
  // (0 for the first round). Everything a CPU did before arriving happens before everything
  // any CPU does after passing the same generation.
  std::uint32_t arrive_and_wait();

  std::uint32_t parties() const { return parties_; }
  std::uint32_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  const std::uint32_t parties_;
  Atomic<std::uint32_t> arrived_{0};
  Atomic<std::uint32_t> generation_{0};
};

}  // namespace smp
