#include "kernel/vdso/vvar_writer.h"

namespace kvdso {

void publish_clock(pleiades_vvar& page, const ClockParams& p) {
  const std::uint32_t seq = __atomic_load_n(&page.seq, __ATOMIC_RELAXED);
  // Relaxed: ordered before the field stores by their release order below.
  __atomic_store_n(&page.seq, seq + 1, __ATOMIC_RELAXED);
  // Release on each field: a reader that sees a new field also sees the odd count stored above
  // (and retries). This stands for the release fence after the odd store, which
  // ThreadSanitizer cannot check (smp/locks/seqlock.h does the same).
  __atomic_store_n(&page.clock_mode, p.mode, __ATOMIC_RELEASE);
  __atomic_store_n(&page.tsc_mult, p.mult, __ATOMIC_RELEASE);
  __atomic_store_n(&page.tsc_shift, p.shift, __ATOMIC_RELEASE);
  __atomic_store_n(&page.realtime_offset_ns, p.realtime_offset_ns, __ATOMIC_RELEASE);
  // Every field before the even count (release): a reader that sees it sees them.
  __atomic_store_n(&page.seq, seq + 2, __ATOMIC_RELEASE);
}

}  // namespace kvdso
