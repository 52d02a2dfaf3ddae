#include "kernel/vm/frame_shares.h"

#include "kernel/console/log.h"
#include "kernel/mm/mm.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"
#include "smp/locks/thread_annotations.h"

namespace kvm {
namespace {

// Slot layout: the frame number (physical address >> 12, up to 40 bits for 52-bit physical
// addresses) in the high 40 bits, the number of mappers in the low 24 (a frame is shared by at
// most one space per process, and processes are limited far below 2^24). 0: an empty slot
// (frame 0 is never a user frame: the frame allocator does not hand out the real-mode page).
constexpr int kCountBits = 24;
constexpr std::uint64_t kCountMask = (1ull << kCountBits) - 1;
// Beyond 7/8 full, linear probing's runs grow long: share_frame refuses instead.
constexpr std::uint64_t kMaxLoadNumerator = 7, kMaxLoadDenominator = 8;

constinit smp::LockClass kFrameShareClass{"frame-share", smp::LockRank{55}};
smp::TicketSpinLock<smp::NoIrqSave, kFrameShareClass> g_lock;
std::uint64_t* g_slots TA_GUARDED(g_lock) = nullptr;
std::uint64_t g_mask TA_GUARDED(g_lock) = 0;  // slots - 1 (a power of two minus one)
std::uint64_t g_used TA_GUARDED(g_lock) = 0;

std::uint64_t frame_of(std::uint64_t slot) { return slot >> kCountBits; }

std::uint64_t home_of(std::uint64_t frame) TA_REQ(g_lock) {
  // Fibonacci hashing: consecutive frames (the usual case) spread over the table.
  return (frame * 0x9e3779b97f4a7c15ull >> 20) & g_mask;
}

// The slot holding `frame`, or the empty slot where it would go.
std::uint64_t probe(std::uint64_t frame) TA_REQ(g_lock) {
  std::uint64_t i = home_of(frame);
  while (g_slots[i] != 0 && frame_of(g_slots[i]) != frame) i = (i + 1) & g_mask;
  return i;
}

// Empties slot `hole` and moves later entries of the run back so that every entry stays
// reachable from its home slot (Knuth's algorithm R, vol. 3, 6.4).
void remove_at(std::uint64_t hole) TA_REQ(g_lock) {
  std::uint64_t i = hole;
  for (;;) {
    g_slots[hole] = 0;
    for (;;) {
      i = (i + 1) & g_mask;
      if (g_slots[i] == 0) return;
      const std::uint64_t home = home_of(frame_of(g_slots[i]));
      // The entry at i may fill the hole when its home is not cyclically within (hole, i].
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!stays) break;
    }
    g_slots[hole] = g_slots[i];
    hole = i;
  }
}

}  // namespace

bool init_frame_shares(std::uint64_t ram_frames) {
  std::uint64_t slots = 512;  // one page of slots at least
  while (slots < ram_frames) slots <<= 1;
  const std::uint64_t pages = slots * sizeof(std::uint64_t) / 4096;
  auto memory = mm::alloc_cleared_frames(pages);  // every slot empty (0)
  if (!memory) {
    klog::error("vm: no {} KiB for the frame share table: fork will fail with ENOMEM",
                pages * 4);
    return false;
  }
  auto* table = mm::phys_to<std::uint64_t>(memory.value());
  smp::Guard g{g_lock};
  g_slots = table;
  g_mask = slots - 1;
  g_used = 0;
  return true;
}

bool share_frame(std::uint64_t phys) {
  const std::uint64_t frame = phys >> 12;
  smp::Guard g{g_lock};
  if (g_slots == nullptr) return false;
  const std::uint64_t i = probe(frame);
  if (g_slots[i] != 0) {
    if ((g_slots[i] & kCountMask) == kCountMask) return false;
    ++g_slots[i];
    return true;
  }
  if ((g_used + 1) * kMaxLoadDenominator > (g_mask + 1) * kMaxLoadNumerator) return false;
  g_slots[i] = frame << kCountBits | 2;  // the old mapper and the new one
  ++g_used;
  return true;
}

bool frame_shared(std::uint64_t phys) {
  smp::Guard g{g_lock};
  return g_slots != nullptr && g_slots[probe(phys >> 12)] != 0;
}

bool release_frame(std::uint64_t phys) {
  smp::Guard g{g_lock};
  if (g_slots == nullptr) return true;
  const std::uint64_t i = probe(phys >> 12);
  if (g_slots[i] == 0) return true;  // one mapper: the caller
  if ((g_slots[i] & kCountMask) == 2) {
    remove_at(i);  // one mapper left: it owns the frame alone again
    --g_used;
  } else {
    --g_slots[i];
  }
  return false;
}

std::uint64_t shared_frames() {
  smp::Guard g{g_lock};
  return g_used;
}

}  // namespace kvm
