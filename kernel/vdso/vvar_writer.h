// The write side of the vvar page's protocol (vvar.h): one update of the clock fields under the
// sequence count. Pure: the kernel writes its page with it, host tests race it against readers.
#pragma once

#include <cstdint>

#include "kernel/vdso/vvar.h"

namespace kvdso {

struct ClockParams {
  std::uint32_t mode = PLEIADES_VCLOCK_NONE;
  std::uint64_t mult = 0;
  std::uint32_t shift = 0;
  std::uint64_t realtime_offset_ns = 0;
};

// Writes `p` into `page`: a reader on any CPU sees either all of an update or none of it. One
// writer at a time (the caller serialises writers); readers at any time.
void publish_clock(pleiades_vvar& page, const ClockParams& p);

}  // namespace kvdso
