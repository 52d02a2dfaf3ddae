#include "smp/locks/barrier.h"

namespace smp {

std::uint32_t Barrier::arrive_and_wait() {
  // Read the generation before arriving: after our arrival the last CPU may advance it at any
  // moment, and we must wait for exactly the round we joined. Relaxed is enough because our
  // fetch_add below cannot complete a round we have not joined yet: the generation cannot
  // move past `gen` until we arrive.
  const std::uint32_t gen = generation_.load(std::memory_order_relaxed);
  // Acq_rel: release publishes what we did before arriving to the last arriver (which reads
  // this count), acquire lets the last arriver see what the earlier ones did.
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
    // Relaxed: nobody arrives for round gen+1 before seeing the generation advance below,
    // whose release orders this reset before their fetch_add.
    arrived_.store(0, std::memory_order_relaxed);
    // Release: everything every party did before arriving (gathered by the acq_rel chain on
    // arrived_) happens before whatever the waiters do after seeing the new generation.
    generation_.store(gen + 1, std::memory_order_release);
    return gen;
  }
  SpinWait wait(this, nullptr, nullptr);
  // Acquire: pairs with the release store of the last arriver.
  while (generation_.load(std::memory_order_acquire) == gen) wait.pause();
  return gen;
}

}  // namespace smp
