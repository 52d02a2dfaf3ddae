#include "kernel/vdso/vvar_writer.h"

namespace kvdso {

void publish_clock(pleiades_vvar& page, const ClockParams& p) {
  const std::uint32_t seq = __atomic_load_n(&page.seq, __ATOMIC_RELAXED);
  __atomic_store_n(&page.seq, seq + 1, __ATOMIC_RELAXED);
  // The odd count is visible before any field changes: a reader that takes a new field then
  // finds the count changed (it pairs with the reader's acquire fence, vvar.h).
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(&page.clock_mode, p.mode, __ATOMIC_RELAXED);
  __atomic_store_n(&page.tsc_mult, p.mult, __ATOMIC_RELAXED);
  __atomic_store_n(&page.tsc_shift, p.shift, __ATOMIC_RELAXED);
  __atomic_store_n(&page.realtime_offset_ns, p.realtime_offset_ns, __ATOMIC_RELAXED);
  // Every field before the even count (release): a reader that sees it sees them.
  __atomic_store_n(&page.seq, seq + 2, __ATOMIC_RELEASE);
}

}  // namespace kvdso
