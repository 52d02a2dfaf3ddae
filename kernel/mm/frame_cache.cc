#include "kernel/mm/frame_cache.h"

#include <new>

#include "smp/irq_guard.h"
#include "smp/platform/platform.h"

namespace mm {

CpuFrameCache* FrameCache::own_cache() const {
  const std::uint32_t cpu = platform::to_index(platform::current_cpu());
  return cpu < cpus_ ? &slots_[cpu] : nullptr;
}

void FrameCache::give_back(CpuFrameCache& cache, std::size_t n) {
  // Every frame in a cache is marked cached (take_batch or enter_cache put it there), so none
  // is skipped; a skip means a corrupted cache, counted where the tests and the log see it.
  cache.counters.bad_frames += frames_.return_batch(cache.frames, n);
  for (std::size_t i = n; i < cache.count; ++i) cache.frames[i - n] = cache.frames[i];
  cache.count -= static_cast<std::uint32_t>(n);
}

klib::Result<std::uint64_t, FrameError> FrameCache::alloc() {
  // Interrupts off for the whole call: this CPU stays this CPU, and an interrupt handler that
  // allocates on it cannot find its cache half-changed.
  smp::IrqGuard irq;
  CpuFrameCache* cache = own_cache();
  if (cache == nullptr) return frames_.alloc();
  const std::uint32_t self = platform::to_index(platform::current_cpu());
  const std::uint32_t node = cache->node;
  {
    IrqSpinGuard guard(cache->lock);
    ++cache->uses;
    if (cache->count == 0) {
      cache->count = static_cast<std::uint32_t>(
          frames_.take_batch(cache->frames, CpuFrameCache::kBatch, node));
      if (cache->count > 0) ++cache->counters.refills;
    }
    if (cache->count > 0) {
      const std::uint64_t phys = cache->frames[--cache->count];
      frames_.leave_cache(phys);
      ++cache->counters.local_allocs;  // a hit and a local allocation on our node (node_stats)
      return phys;
    }
  }
  // Our node has no free frame in the bitmap: the nearest node with one (counted there).
  if (auto remote = frames_.alloc(node)) return remote.value();
  // The bitmap is empty: memory is low. Our own lock is released (never two cache locks here).
  std::uint64_t phys = 0;
  if (take_from_others(self, phys)) {
    frames_.count_allocation(node, frames_.node_of(phys), node, 1);
    return phys;
  }
  // Found nothing, but frames may have moved behind us (another CPU stole from a cache we had
  // not looked at yet and freed into one we had). With every cache locked none can move: the
  // answer of this look is exact, and a failure means every frame was handed out.
  if (take_with_every_cache_locked(node, phys)) return phys;
  return klib::make_error(FrameError::kOutOfMemory);
}

bool FrameCache::take_with_every_cache_locked(std::uint32_t node, std::uint64_t& phys) {
  // Ascending CPU order, then the frame lock (in alloc / give_back): two CPUs doing this cannot
  // deadlock, and a CPU on the fast path holds one cache lock and waits only for the frame lock.
  // The guards live in the slots (an array of them here would need kMaxCpus), which is why one
  // CPU at a time does this: last_look_lock_ makes the slots' guard storage ours.
  IrqSpinGuard one_at_a_time(last_look_lock_);
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    new (slots_[c].stealer_guard) IrqSpinGuard(slots_[c].lock);
  }
  bool found = false;
  if (auto from_bitmap = frames_.alloc(node)) {  // counted by the bitmap
    phys = from_bitmap.value();
    found = true;
  }
  for (std::uint32_t c = 0; c < cpus_ && !found; ++c) {
    CpuFrameCache& other = slots_[c];
    if (other.count == 0) continue;
    phys = other.frames[--other.count];
    frames_.leave_cache(phys);
    give_back(other, other.count);
    ++other.counters.taken;
    frames_.count_allocation(node, frames_.node_of(phys), node, 1);
    found = true;
  }
  for (std::uint32_t c = cpus_; c-- > 0;) {
    std::launder(reinterpret_cast<IrqSpinGuard*>(slots_[c].stealer_guard))->~IrqSpinGuard();
  }
  return found;
}

bool FrameCache::take_from_others(std::uint32_t self, std::uint64_t& phys) {
  for (std::uint32_t k = 1; k < cpus_; ++k) {
    CpuFrameCache& other = slots_[(self + k) % cpus_];
    IrqSpinGuard guard(other.lock);
    if (other.count == 0) continue;
    phys = other.frames[--other.count];
    frames_.leave_cache(phys);
    // The rest goes back to the bitmap, where every CPU short of memory finds it (Linux drains
    // all per-CPU lists when an allocation fails). We already hold our frame, so a CPU that
    // refills from them meanwhile cannot make us fail.
    give_back(other, other.count);
    ++other.counters.taken;
    return true;
  }
  return false;
}

klib::Result<void, FrameError> FrameCache::free(std::uint64_t phys) {
  smp::IrqGuard irq;  // as in alloc(): the CPU and its cache stay ours
  CpuFrameCache* cache = own_cache();
  if (cache == nullptr) return frames_.free(phys);
  const std::uint32_t node = TRY(frames_.enter_cache(phys));  // checked and marked cached
  IrqSpinGuard guard(cache->lock);
  ++cache->uses;
  if (node != cache->node) {
    // Another node's frame: to its own node's free frames, not into this node's cache.
    cache->counters.bad_frames += frames_.return_batch(&phys, 1);
    ++cache->counters.remote_frees;
    return klib::Ok{};
  }
  if (cache->count == CpuFrameCache::kCapacity) {
    // The oldest frames go: the newest are the ones most likely still in this CPU's caches.
    give_back(*cache, CpuFrameCache::kBatch);
    ++cache->counters.drains;
  }
  cache->frames[cache->count++] = phys;
  return klib::Ok{};
}

std::size_t FrameCache::drain_cpu(klib::CpuNumber cpu) {
  const std::uint32_t index = klib::to_index(cpu);
  if (index >= cpus_) return 0;
  CpuFrameCache& cache = slots_[index];
  IrqSpinGuard guard(cache.lock);
  const std::size_t n = cache.count;
  if (n == 0) return 0;
  give_back(cache, n);
  ++cache.counters.taken;
  return n;
}

std::size_t FrameCache::drain_all() {
  std::size_t n = 0;
  for (std::uint32_t c = 0; c < cpus_; ++c) n += drain_cpu(klib::CpuNumber{c});
  return n;
}

std::size_t FrameCache::drain_if_idle(std::uint64_t now, std::uint64_t idle_cycles) {
  smp::IrqGuard irq;
  CpuFrameCache* cache = own_cache();
  if (cache == nullptr) return 0;
  IrqSpinGuard guard(cache->lock);
  const std::size_t n = cache->count;
  if (cache->uses != cache->uses_seen) {  // used since the last call: idle from now on, maybe
    cache->uses_seen = cache->uses;
    cache->idle_since = now;
    return 0;
  }
  if (n == 0 || now < cache->idle_since || now - cache->idle_since < idle_cycles) return 0;
  give_back(*cache, n);
  ++cache->counters.idle_drains;
  return n;
}

CpuFrameCacheStats FrameCache::cpu_stats(klib::CpuNumber cpu) const {
  const std::uint32_t index = klib::to_index(cpu);
  if (index >= cpus_) return {};
  CpuFrameCache& cache = slots_[index];
  IrqSpinGuard guard(cache.lock);
  CpuFrameCacheStats s = cache.counters;
  s.cached = cache.count;
  return s;
}

CpuFrameCacheStats FrameCache::total_stats() const {
  CpuFrameCacheStats total = {};
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    const CpuFrameCacheStats s = cpu_stats(klib::CpuNumber{c});
    total.cached += s.cached;
    total.refills += s.refills;
    total.drains += s.drains;
    total.idle_drains += s.idle_drains;
    total.taken += s.taken;
    total.bad_frames += s.bad_frames;
    total.local_allocs += s.local_allocs;
    total.remote_frees += s.remote_frees;
  }
  return total;
}

NodeFrameStats FrameCache::node_stats(std::uint32_t node) const {
  NodeFrameStats s = frames_.node_stats(node);
  if (node >= frames_.node_count()) return s;
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    if (slots_[c].node != node) continue;
    const std::uint64_t served = cpu_stats(klib::CpuNumber{c}).local_allocs;
    s.numa_hit += served;
    s.local_node += served;
  }
  return s;
}

}  // namespace mm
