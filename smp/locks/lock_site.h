// LockSite capture: a guard's constructor takes `Site site = Site::here()` as its last
// parameter, so the site is the caller's file:line (GCC and Clang evaluate __builtin_FILE and
// __builtin_LINE in a default argument at the call site) plus the return address of the guard's
// caller, which a kernel backtrace can symbolise.
#pragma once

#include "smp/platform/platform.h"

namespace smp {

struct Site {
  const char* file;
  unsigned line;

  static constexpr Site here(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) {
    return Site{file, line};
  }
};

// The site as the platform reports it.
inline platform::LockSite to_lock_site(Site site, const void* return_address) {
  return platform::LockSite{site.file, site.line, return_address};
}

}  // namespace smp
